"""Matplotlib figures for the report; each returns a PNG as bytes (Agg backend)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

FAMILY_COLORS = {"backprop": "#1f77b4", "spiking": "#d62728", "memory": "#2ca02c",
                 "classical": "#7f7f7f"}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def accuracy_figure(summary: list[dict[str, Any]], task: str) -> bytes:
    """Bar chart of the headline metric per learner (mean ± std over seeds), chance dashed."""
    recs = [s for s in summary if s["task"] == task and s["n_ok"] > 0]
    fig, ax = plt.subplots(figsize=(1.4 + 1.1 * max(len(recs), 1), 3.2))
    names = [s["learner"] for s in recs]
    means = [s["mean"] for s in recs]
    stds = [s["std"] for s in recs]
    colors = [FAMILY_COLORS.get(s["family"], "#999") for s in recs]
    ax.bar(range(len(recs)), means, yerr=stds, color=colors, capsize=4)
    ax.set_xticks(range(len(recs)), names, rotation=20, ha="right")
    if recs and np.isfinite(recs[0]["chance"]):
        ax.axhline(recs[0]["chance"], ls="--", color="k", lw=1, label="chance")
        ax.legend(loc="best", fontsize=8)
    ax.set_ylabel(recs[0]["metric"] if recs else "")
    ax.set_title(task)
    return _png(fig)


def pareto_figure(summary: list[dict[str, Any]], task: str, profile: str) -> bytes:
    """Headline metric vs energy per inference (log x) under ``profile``, with and without
    memory access; one point per learner."""
    recs = [s for s in summary if s["task"] == task and s["n_ok"] > 0]
    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    for s in recs:
        c = FAMILY_COLORS.get(s["family"], "#999")
        e_mem = s["energy_j"].get(profile)
        e_cmp = s["energy_compute_j"].get(profile)
        if e_mem:
            ax.errorbar(e_mem, s["mean"], yerr=s["std"], fmt="o", color=c, capsize=3)
            ax.annotate(s["learner"], (e_mem, s["mean"]), fontsize=8, xytext=(4, 4),
                        textcoords="offset points")
        if e_cmp:
            ax.plot(e_cmp, s["mean"], marker="o", mfc="none", color=c, ls="none")
            if e_mem:
                ax.plot([e_cmp, e_mem], [s["mean"]] * 2, color=c, lw=0.8, alpha=0.6)
    ax.set_xscale("log")
    ax.set_xlabel(f"energy per inference [J], profile {profile} (open: compute only)")
    ax.set_ylabel(recs[0]["metric"] if recs else "")
    ax.set_title(f"{task}: accuracy vs energy")
    return _png(fig)


def curves_figure(rows: list[dict[str, Any]], task: str) -> bytes:
    """Training curves (loss per epoch) of every learner that records one, all seeds."""
    fig, ax = plt.subplots(figsize=(4.8, 3.2))
    seen = set()
    for r in rows:
        if r["task"] != task or r.get("status") != "ok" or not r.get("history"):
            continue
        c = FAMILY_COLORS.get(r.get("family"), "#999")
        label = r["learner"] if r["learner"] not in seen else None
        seen.add(r["learner"])
        ax.plot(np.arange(1, len(r["history"]) + 1), r["history"], color=c, alpha=0.7,
                label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    if seen:
        ax.legend(fontsize=8)
    ax.set_title(f"{task}: learning curves")
    return _png(fig)


def raster_figure(spike_t: np.ndarray, spike_i: np.ndarray, title: str) -> bytes:
    """Spike raster (time index vs neuron index)."""
    fig, ax = plt.subplots(figsize=(4.8, 3.0))
    ax.plot(spike_t, spike_i, "|", ms=3, color="k")
    ax.set_xlabel("simulation step")
    ax.set_ylabel("neuron")
    ax.set_title(title)
    return _png(fig)
