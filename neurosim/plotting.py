"""Plot helpers (matplotlib): raster plot, voltage traces, rate histogram.

Each function draws on ``ax`` (a new figure when ``None``) and returns the Axes. matplotlib
is imported lazily, so importing :mod:`neurosim` does not need it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["raster_plot", "plot_traces", "rate_histogram"]


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 3.5))
    return ax


def raster_plot(monitor: Any, batch: int = 0, ax: Any = None, **kw: Any) -> Any:
    """Dots at (time in ms, neuron index) for one batch copy of a SpikeMonitor."""
    ax = _axes(ax)
    sel = monitor.batch == batch
    ax.plot(monitor.t[sel] * 1e3, monitor.i[sel], ".", ms=kw.pop("ms", 2),
            color=kw.pop("color", "k"), **kw)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron")
    ax.set_title(kw.get("title", f"{monitor.group.name}: {int(sel.sum())} spikes"))
    return ax


def plot_traces(monitor: Any, var: str = "v", batch: int = 0, ax: Any = None,
                scale: float | None = None, unit: str | None = None) -> Any:
    """One line per recorded neuron of a StateMonitor variable (volts shown in mV)."""
    ax = _axes(ax)
    data = monitor[var][:, batch, :]
    if scale is None:
        scale, unit = (1e3, "mV") if var in ("v", "a") else (1.0, unit or "")
    for q, idx in enumerate(monitor.indices):
        ax.plot(monitor.t * 1e3, data[:, q] * scale, lw=1, label=f"neuron {idx}")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"{var} ({unit})" if unit else var)
    if len(monitor.indices) <= 8:
        ax.legend(fontsize="small")
    return ax


def rate_histogram(monitor: Any, bin_width: float = 5e-3, batch: int = 0, ax: Any = None
                   ) -> Any:
    """Population rate (Hz) in bins of ``bin_width`` seconds, from a SpikeMonitor or a
    PopulationRateMonitor."""
    ax = _axes(ax)
    if hasattr(monitor, "counts"):
        counts, t = monitor.counts[:, batch], monitor.t
    else:
        sel = monitor.batch == batch
        t_all = monitor.t[sel]
        end = t_all.max() if t_all.size else bin_width
        edges = np.arange(0, end + bin_width, bin_width)
        hist, _ = np.histogram(t_all, edges)
        counts, t = hist, edges[:-1]
        ax.bar(t * 1e3, counts / (monitor.group.n * bin_width), width=bin_width * 1e3,
               align="edge", color="C0")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("rate (Hz)")
        return ax
    dt = monitor.dt or 1.0
    k = max(1, int(round(bin_width / dt)))
    nb = counts.size // k
    binned = counts[: nb * k].reshape(nb, k).sum(1)
    ax.bar(t[: nb * k: k] * 1e3, binned / (monitor.group.n * k * dt), width=k * dt * 1e3,
           align="edge", color="C0")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    return ax
