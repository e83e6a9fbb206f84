"""Potjans & Diesmann (2014) cortical microcircuit: population rates and a raster plot.

Builds the model of :mod:`neurosim.learning.microcircuit` (eight populations of layers
2/3, 4, 5 and 6, NEST's ``Potjans_2014`` parameters) with DC background, simulates it and
prints each population's rate next to the published full-scale rates (obtained with Poisson
background; DC background is expected to differ). By default the scaling of NEST's example:
10% of the neurons and 10% of the in-degrees, weights times sqrt(10) and a DC current
restoring the mean input (7 717 neurons, ~3 x 10^6 synapses, about 2 s per simulated
second on one core; measured rates 0.66-7.3 Hz, 0.68-1.1 times the published ones).
``--k-scale 1`` keeps the full in-degrees (~3 x 10^7 synapses; so few neurons sharing so
many inputs fire in occasional population bursts, layer 2/3 at 3-4 times the published);
``--full`` runs the full scale (77 169 neurons, ~3 x 10^8 synapses, about 2 minutes to
build, 11 GB of memory at the peak, rates within 13% of the published).

    python examples/engine_microcircuit.py [--scale 0.1] [--k-scale 0.1] [--full]
        [--duration 1.0] [--no-plot] [--out output]

Output: the rates table and (unless ``--no-plot``) ``<out>/engine_microcircuit.png``: a
raster of the last 200 ms (every neuron at ``--scale 0.1``, a subsample at larger scales),
populations from layer 2/3 (top) to layer 6, excitatory black, inhibitory red.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from neurosim.learning.microcircuit import (
    POPULATIONS,
    MicrocircuitConfig,
    build_microcircuit,
    population_rates,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1, help="factor on the neuron numbers")
    ap.add_argument("--k-scale", type=float, default=0.1, help="factor on the in-degrees "
                    "(below 1: weights / sqrt(k) and DC compensation, as NEST's example)")
    ap.add_argument("--full", action="store_true", help="full scale (--scale 1 --k-scale 1)")
    ap.add_argument("--duration", type=float, default=1.0, help="seconds simulated")
    ap.add_argument("--t-start", type=float, default=0.1, help="rates from this time on (s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-plot", action="store_true", help="no raster plot")
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    args = ap.parse_args()
    if args.full:
        args.scale, args.k_scale = 1.0, 1.0
    cfg = MicrocircuitConfig()
    t0 = time.perf_counter()
    net, mon, info = build_microcircuit(cfg, args.scale, args.k_scale, seed=args.seed)
    t1 = time.perf_counter()
    print(f"built {info['offsets'][-1]:,} neurons, {info['n_synapses']:,} synapses in "
          f"{t1 - t0:.1f} s")
    net.run(args.duration, progress=True)
    print(f"simulated {args.duration:g} s in {time.perf_counter() - t1:.1f} s")
    i, t = np.asarray(mon.i), np.asarray(mon.t)
    rates = population_rates(i, t, info["offsets"], args.t_start, args.duration)
    print(f"{'population':<12}{'rate (Hz)':>10}{'published':>11}")
    for name, r, p in zip(POPULATIONS, rates, cfg.full_mean_rates):
        print(f"{name:<12}{r:>10.3f}{p:>11.3f}")
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        off = info["offsets"]
        keep = max(1, int(round(10 * args.scale)))      # ~every 10th neuron at full scale
        sel = (t >= args.duration - 0.2) & (i % keep == 0)
        pop = np.searchsorted(off, i[sel], side="right") - 1
        fig, ax = plt.subplots(figsize=(8, 6))
        ax.scatter(t[sel] * 1e3, off[-1] - i[sel], s=0.5,
                   c=np.where(pop % 2 == 0, "k", "tab:red"))
        ax.set_yticks([off[-1] - (off[a] + off[a + 2]) / 2 for a in (0, 2, 4, 6)],
                      ["L2/3", "L4", "L5", "L6"])
        ax.set_xlabel("time (ms)")
        ax.set_title(f"microcircuit, scale {args.scale:g}: raster of the last 200 ms")
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        fig.savefig(out / "engine_microcircuit.png", dpi=120, bbox_inches="tight")
        print(f"wrote {out / 'engine_microcircuit.png'}")


if __name__ == "__main__":
    main()
