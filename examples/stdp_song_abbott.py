"""Song, Miller & Abbott (2000): STDP makes the weights bimodal and regulates the output.

1000 Poisson inputs at 15 Hz -> one conductance LIF with additive pair STDP (parameters of
Brian2's ``examples/synapses/STDP.py``). Prints, per seed, the fraction of weights below
0.1 gmax and above 0.9 gmax, the output rate in the first and last seconds, and with
``--brian2 cython`` (or ``numpy``) the same figures from Brian2's run of the same model.

    .venv/bin/python examples/stdp_song_abbott.py --duration 100 --seeds 0 1 2 \\
        --brian2 cython [--out output]

Output: ``<out>/stdp_song_abbott.png``, a histogram of the final weights (w / gmax, density,
all seeds pooled): bimodal, the weights piled up near 0 and near gmax; with
``--brian2``, Brian2's histogram is overlaid for comparison.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from neurosim.learning.song_abbott import (
    SongAbbottConfig,
    run_song_abbott,
    run_song_abbott_brian2,
    weight_fractions,
)


def summary(r, T):
    lo, hi = weight_fractions(r.w)
    return {"frac_below_0.1": lo, "frac_above_0.9": hi, "rate_first_s": r.rate_in(0, 1.0),
            "rate_last_10pct": r.rate_in(0.9 * T, T), "wall_s": r.wall_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=100.0, help="seconds simulated")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--brian2", default=None, choices=["numpy", "cython", "cpp_standalone"],
                    help="also run the model in Brian2 with this code generation target")
    ap.add_argument("--backend", default="numba", help="neurosim backend")
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    args = ap.parse_args()
    cfg, T = SongAbbottConfig(), args.duration
    res: dict[str, list] = {"neurosim": [], "brian2": []}
    ws: dict[str, list] = {"neurosim": [], "brian2": []}
    for s in args.seeds:
        r = run_song_abbott(T, cfg, seed=s, backend=args.backend)
        res["neurosim"].append(summary(r, T))
        ws["neurosim"].append(r.w)
        if args.brian2:
            rb = run_song_abbott_brian2(T, cfg, seed=100 + s, target=args.brian2)
            res["brian2"].append(summary(rb, T))
            ws["brian2"].append(rb.w)
    print(f"{'simulator':<10}{'seed':>5}{'w<0.1gmax':>11}{'w>0.9gmax':>11}{'rate 0-1s':>11}"
          f"{'rate end':>10}{'wall s':>9}")
    for sim, rows in res.items():
        for s, row in zip(args.seeds, rows):
            print(f"{sim:<10}{s:>5}{row['frac_below_0.1']:>11.3f}{row['frac_above_0.9']:>11.3f}"
                  f"{row['rate_first_s']:>11.1f}{row['rate_last_10pct']:>10.1f}"
                  f"{row['wall_s']:>9.2f}")
        if rows:
            m = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
            print(f"{sim:<10}{'mean':>5}{m['frac_below_0.1']:>11.3f}{m['frac_above_0.9']:>11.3f}"
                  f"{m['rate_first_s']:>11.1f}{m['rate_last_10pct']:>10.1f}{m['wall_s']:>9.2f}")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for sim, w in ws.items():
        if w:
            plt.hist(np.concatenate(w), bins=40, alpha=0.5, density=True, label=sim)
    plt.xlabel("w / gmax")
    plt.legend()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plt.savefig(out / "stdp_song_abbott.png", dpi=120)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
