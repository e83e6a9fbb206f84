"""One-step bit-error rate of the Hebbian Hopfield network vs the theory Phi(-sqrt(1/alpha)).

Also shows the exact finite-N binomial prediction (zero diagonal, ties keep the bit).

    python examples/hopfield_bit_error.py [--out output] [--quick]

Output: ``<out>/hopfield_bit_error.png``, the one-step bit-error rate against the load alpha =
P/N on a log scale: the large-N theory Phi(-sqrt(1/alpha)) (solid), the exact binomial
prediction at the simulated N (dashed) and the measured rates with +-2 standard errors (dots).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurosim.memory.experiments import one_step_bit_error, one_step_error_theory  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    n = 400 if args.quick else 2000
    loads = np.round(np.arange(0.05, 0.41, 0.025), 3)
    r = one_step_bit_error(n_units=n, loads=loads, n_trials=2 if args.quick else 4,
                           random_state=args.seed)
    print(f"N = {n}")
    print(f"{'alpha':>7} {'measured':>10} {'Phi(-sqrt(1/a))':>16} {'exact finite-N':>15}")
    for a, e, t, x in zip(r.loads, r.error, r.theory, r.theory_exact):
        print(f"{a:>7.3f} {e:>10.5f} {t:>16.5f} {x:>15.5f}")
    fine = np.linspace(0.03, 0.42, 200)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogy(fine, [one_step_error_theory(10**6, int(a * 10**6), exact=False) for a in fine],
                "k-", label=r"$\Phi(-\sqrt{1/\alpha})$")
    ax.semilogy(r.loads, r.theory_exact, "b--", label=f"exact binomial, N={n}")
    se = r.error_trials.std(1, ddof=1) / np.sqrt(r.error_trials.shape[1])
    ax.errorbar(r.loads, r.error, yerr=2 * se, fmt="o", color="C3", ms=4,
                label="measured (±2 s.e.)")
    ax.set_xlabel("load alpha = P/N")
    ax.set_ylabel("one-step bit-error rate")
    ax.legend()
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "hopfield_bit_error.png", dpi=120)
    print(f"saved {out / 'hopfield_bit_error.png'}")


if __name__ == "__main__":
    main()
