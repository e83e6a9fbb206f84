"""Vogels & Abbott (2005) CUBA network: raster plot and population rate.

1 s of 4000 current-based LIF neurons (3200 excitatory, 800 inhibitory, 2 % connectivity),
built by ``benchmarks/cuba.py``; prints the spike and synaptic-event counts.

    python examples/engine_cuba.py [--out output] [--duration 1.0]

Output: ``<out>/engine_cuba.png``, two panels sharing the time axis: a raster plot of the
excitatory neurons (time against neuron index) and, below it, their population rate in 5 ms
bins.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "benchmarks"))
from cuba import build_ours  # noqa: E402

from neurosim.plotting import raster_plot, rate_histogram  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    ap.add_argument("--duration", type=float, default=1.0, help="seconds simulated")
    args = ap.parse_args()
    net = build_ours("cuba", 4000, seed=0)
    net.run(args.duration)
    mon = next(m for m in net.objects if getattr(m, "name", "") == "mE")
    fig, axes = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    raster_plot(mon, ax=axes[0])
    rate_histogram(mon, bin_width=5e-3, ax=axes[1])
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "engine_cuba.png"
    fig.savefig(path, dpi=100)
    c = net.counters
    print(f"{c['spikes']} spikes ({c['spikes'] / (4000 * args.duration):.1f} Hz), "
          f"{c['synaptic_events']} synaptic events; figure: {path}")


if __name__ == "__main__":
    main()
