"""Basins of attraction: recall vs fraction of flipped cue bits, per rule and load.

    python examples/hopfield_basins.py [--out output] [--quick]

Output: ``<out>/hopfield_basins.png``, one panel per rule (Hebbian, Storkey, pseudo-inverse):
the mean final overlap with the stored pattern against the fraction of cue bits flipped, one
curve per load P/N (0.05, 0.1, 0.14, 0.3); the basins shrink as the load grows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurosim.memory.experiments import basins_of_attraction  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    n = 200 if args.quick else 500
    flips = np.round(np.linspace(0.0, 0.5, 21), 3)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
    for ax, rule in zip(axes, ("hebbian", "storkey", "pseudo_inverse")):
        for load in (0.05, 0.1, 0.14, 0.3):
            p = max(1, int(load * n))
            b = basins_of_attraction(n_units=n, n_patterns=p, flip_fractions=flips, rule=rule,
                                     n_trials=2, random_state=args.seed)
            ax.plot(b.flip_fractions, b.overlap, "-o", ms=3, label=f"P/N={load}")
            half = b.flip_fractions[np.argmax(b.overlap < 0.95)] if (b.overlap < 0.95).any() \
                else float("nan")
            print(f"{rule:>15} load {load:<5} basin edge (overlap < 0.95) at {half:.3f} flipped")
        ax.set_title(rule)
        ax.set_xlabel("fraction of cue bits flipped")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("mean final overlap")
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "hopfield_basins.png", dpi=120)
    print(f"saved {out / 'hopfield_basins.png'}")


if __name__ == "__main__":
    main()
