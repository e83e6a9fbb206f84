"""Vogels & Abbott (2005) CUBA network: raster plot and population rate.

Run: ``python examples/engine_cuba.py [--out cuba.png]`` (1 s of 4000 LIF neurons).
"""

from __future__ import annotations

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "benchmarks"))
from cuba import build_ours  # noqa: E402

from neurosim.plotting import raster_plot, rate_histogram  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="engine_cuba.png")
    ap.add_argument("--duration", type=float, default=1.0)
    args = ap.parse_args()
    net = build_ours("cuba", 4000, seed=0)
    net.run(args.duration)
    mon = next(m for m in net.objects if getattr(m, "name", "") == "mE")
    fig, axes = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    raster_plot(mon, ax=axes[0])
    rate_histogram(mon, bin_width=5e-3, ax=axes[1])
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    c = net.counters
    print(f"{c['spikes']} spikes ({c['spikes'] / (4000 * args.duration):.1f} Hz), "
          f"{c['synaptic_events']} synaptic events; figure: {args.out}")


if __name__ == "__main__":
    main()
