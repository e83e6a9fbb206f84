"""Capacity of a Hopfield network: fraction of patterns recalled vs load P/N, per rule and N.

Reproduces the Hebbian knee near alpha_c = 0.138 (Amit, Gutfreund & Sompolinsky 1985; finite N
shifts it up slightly), the Storkey rule's larger capacity (~N / sqrt(2 ln N)) and the
pseudo-inverse rule's exact storage up to N linearly independent patterns.

    python examples/hopfield_capacity.py [--out output] [--quick]

Output: ``<out>/hopfield_capacity.png``, one panel per rule (Hebbian, Storkey, pseudo-inverse):
the fraction of patterns recalled (overlap >= 0.95, solid; exactly, dashed) against the load
P/N, one curve per network size N; the Hebbian curves fall near 0.138, Storkey's later, the
pseudo-inverse's only near P = N.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurosim.memory.experiments import capacity_curve, capacity_knee  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    ap.add_argument("--quick", action="store_true", help="small sizes, seconds")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    sizes = (100, 200) if args.quick else (250, 500, 1000)
    loads = np.round(np.arange(0.02, 0.81 if not args.quick else 0.41, 0.02), 2)
    rules = ("hebbian", "storkey", "pseudo_inverse")
    fig, axes = plt.subplots(1, 3, figsize=(14, 4), sharey=True)
    print(f"{'rule':>15} {'N':>6} {'knee (m>=0.95)':>15} {'exact <50% at':>14}")
    for ax, rule in zip(axes, rules):
        for n in sizes:
            c = capacity_curve(n_units=n, loads=loads, rule=rule, n_trials=1 if n >= 1000 else 2,
                               random_state=args.seed)
            ax.plot(c.loads, c.recalled, "-o", ms=3, label=f"N={n}, overlap>=0.95")
            ax.plot(c.loads, c.exact, "--", alpha=0.6, label=f"N={n}, exact")
            print(f"{rule:>15} {n:>6} {capacity_knee(c.loads, c.recalled):>15.3f} "
                  f"{capacity_knee(c.loads, c.exact):>14.3f}")
        if rule == "hebbian":
            ax.axvline(0.138, color="k", lw=0.8, ls=":", label="0.138")
        ax.set_title(rule)
        ax.set_xlabel("load P/N")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("fraction of patterns recalled")
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "hopfield_capacity.png", dpi=120)
    print(f"saved {out / 'hopfield_capacity.png'}")


if __name__ == "__main__":
    main()
