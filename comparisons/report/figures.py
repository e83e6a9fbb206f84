"""Matplotlib figures for the report; each returns a PNG as bytes (Agg backend)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from comparisons.metrics.energy import as_range, typical  # noqa: E402
from comparisons.metrics.matched import SIZE_SETTINGS as _SIZE_SETTINGS  # noqa: E402
from comparisons.report.summary import learner_key, task_key  # noqa: E402

FAMILY_COLORS = {"backprop": "#1f77b4", "spiking": "#d62728", "memory": "#2ca02c",
                 "classical": "#7f7f7f", "reservoir": "#ff7f0e"}


def _log_x(ax, lo: float, hi: float) -> None:
    """x axis over [lo, hi] with labels that do not overlap: log with decade labels on wide
    ranges, log with 1-2-5 labels on a decade or two, linear (scientific offset) below one
    decade."""
    from matplotlib.ticker import (
        LogFormatterSciNotation,
        LogLocator,
        MaxNLocator,
        NullFormatter,
    )

    span = np.log10(hi / lo)
    if span < 1.0:
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
        return
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    subs = (1.0, 2.0, 5.0) if span < 2.5 else (1.0,)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=8))
    ax.xaxis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def accuracy_figure(ts: dict[str, Any]) -> bytes:
    """Test headline metric per learner: mean with its bootstrap interval (error bars; the
    seeds as dots), chance and the best trivial baseline as lines; failed-to-train learners
    hatched.

    Parameters
    ----------
    ts : dict
        One task's summary (:func:`comparisons.report.summary.task_summaries`).
    """
    recs = [(k, s) for k, s in ts["learners"].items() if s["n"] > 0]
    fig, ax = plt.subplots(figsize=(1.6 + 1.1 * max(len(recs), 1), 3.3))
    for i, (_, s) in enumerate(recs):
        c = FAMILY_COLORS.get(s["family"], "#999")
        lo = s["mean"] - s["low"] if np.isfinite(s["low"]) else 0.0
        hi = s["high"] - s["mean"] if np.isfinite(s["high"]) else 0.0
        ax.bar(i, s["mean"], color=c, alpha=0.55 if s["failed_to_train"] else 0.9,
               hatch="//" if s["failed_to_train"] else None, edgecolor=c)
        ax.errorbar(i, s["mean"], yerr=[[max(lo, 0.0)], [max(hi, 0.0)]], color="k",
                    capsize=4, lw=1)
        xs = i + np.linspace(-0.15, 0.15, len(s["values"])) if len(s["values"]) > 1 else [i]
        ax.plot(xs, s["values"], "o", ms=3, color="k", alpha=0.5)
    ax.set_xticks(range(len(recs)), [k for k, _ in recs], rotation=20, ha="right")
    chance = ts.get("chance")
    lines = False
    if chance is not None and np.isfinite(chance):
        ax.axhline(chance, ls="--", color="k", lw=1, label=f"chance ({chance:.3g})")
        lines = True
    tb = ts.get("trivial_best")
    if tb and tb["value"] is not None and tb["name"] != "chance":
        ax.axhline(tb["value"], ls=":", color="#b00", lw=1.2,
                   label=f"trivial best: {tb['name']} ({tb['value']:.3g})")
        lines = True
    if lines:
        ax.legend(loc="best", fontsize=7)
    better = "higher" if ts["higher_is_better"] else "lower"
    ax.set_ylabel(f"test {ts['metric']} ({better} is better)")
    n = max((s["n"] for _, s in recs), default=0)
    conf = int(round(100 * ts.get("confidence", 0.95)))
    ax.set_title(f"{ts['task']}: mean and {conf}% bootstrap interval over seeds (n<={n})",
                 fontsize=9)
    return _png(fig)


def tuning_figure(records: dict[str, dict[str, Any]], metric: str, higher_is_better: bool,
                  title: str) -> bytes:
    """Best validation value after each tuning trial, one line per learner (from the tuning
    record's ``best_so_far``), with every trial's own value as a dot (pruned trials open):
    how much each learner gains from its settings, and whether the budget was enough."""
    fig, ax = plt.subplots(figsize=(5.4, 3.4))
    cmap = plt.get_cmap("tab10")
    for i, (name, rec) in enumerate(sorted(records.items())):
        c = cmap(i % 10)
        best = [np.nan if v is None else float(v) for v in rec.get("best_so_far") or []]
        if best:
            ax.step(np.arange(1, len(best) + 1), best, where="post", color=c, label=name)
        for j, t in enumerate(rec.get("trials") or []):
            v = t.get("value")
            if v is None:
                continue
            pruned = t.get("state") == "PRUNED"
            ax.plot(j + 1, float(v), "o", ms=3.5, color=c, mfc="none" if pruned else c,
                    alpha=0.6)
    ys = [float(v) for rec in records.values() for v in
          [*(rec.get("best_so_far") or []), *(t.get("value") for t in rec.get("trials") or [])]
          if v is not None and np.isfinite(float(v))]
    if ys and min(ys) > 0 and max(ys) / min(ys) > 30:
        ax.set_yscale("log")  # one diverged trial must not flatten the others
    ax.set_xlabel("trial")
    better = "higher" if higher_is_better else "lower"
    ax.set_ylabel(f"validation {metric} ({better} is better)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    if records:
        ax.legend(fontsize=7, loc="best")
    ax.set_title(f"{title}: best validation value vs trials (dots: trials, open: pruned)",
                 fontsize=8)
    return _png(fig)


def pareto_figure(summary: list[dict[str, Any]], task: str, profiles: list[str]) -> bytes:
    """Headline metric vs energy per inference (log x), one panel per profile; filled
    markers include memory access (at the typical energy, the horizontal bar spans the
    range [min, max]), open ones count compute only; the line joins the Pareto-optimal
    learners (with memory, typical energies)."""
    from comparisons.report.summary import pareto_front

    recs = [s for s in summary if s["task"] == task and s["n_ok"] > 0]
    profs = [p for p in profiles if any(typical(s["energy_j"].get(p)) for s in recs)] \
        or profiles[:1]
    ncol = min(2, len(profs))
    nrow = (len(profs) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 3.4 * nrow), squeeze=False)
    for ax in axes.flat[len(profs):]:
        ax.set_visible(False)
    for ax, profile in zip(axes.flat, profs, strict=False):
        pts = []
        for s in recs:
            c = FAMILY_COLORS.get(s["family"], "#999")
            e_mem = typical(s["energy_j"].get(profile))
            e_cmp = typical(s["energy_compute_j"].get(profile))
            pts.append((e_mem if e_mem else np.nan, s["mean"]))
            if e_mem:
                rng = as_range(s["energy_j"].get(profile)) or {}
                xerr = [[e_mem - rng.get("min", e_mem)], [rng.get("max", e_mem) - e_mem]]
                ax.errorbar(e_mem, s["mean"], yerr=s["std"], xerr=xerr, fmt="o", color=c,
                            capsize=3)
                ax.annotate(s["learner"], (e_mem, s["mean"]), fontsize=7, xytext=(4, 4),
                            textcoords="offset points")
            if e_cmp:
                ax.plot(e_cmp, s["mean"], marker="o", mfc="none", color=c, ls="none")
                if e_mem:
                    ax.plot([e_cmp, e_mem], [s["mean"]] * 2, color=c, lw=0.8, alpha=0.6)
        front = pareto_front(pts, recs[0]["higher_is_better"] if recs else True)
        if len(front) > 1:
            ax.step([pts[i][0] for i in front], [pts[i][1] for i in front], where="post",
                    color="k", lw=0.8, ls=":", label="Pareto front")
            ax.legend(fontsize=7, loc="best")
        if not any(np.isfinite(p[0]) for p in pts):
            ax.text(0.5, 0.5, "no learner runs on this profile", ha="center",
                    transform=ax.transAxes, fontsize=8)
        else:
            rngs = [as_range(s["energy_j"].get(profile)) or {} for s in recs]
            lo = np.nanmin([p[0] for p in pts] + [typical(s["energy_compute_j"].get(profile))
                                                  or np.nan for s in recs]
                           + [r.get("min") or np.nan for r in rngs])
            hi = np.nanmax([p[0] for p in pts] + [r.get("max") or np.nan for r in rngs])
            _log_x(ax, lo / 1.6, hi * 1.6)
        ax.set_xlabel(f"J per inference, {profile}")
        ax.set_ylabel(recs[0]["metric"] if recs else "")
        ax.set_title(f"{task}: {profile}", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def breakdown_figure(parts: list[dict[str, Any]], task: str, profiles: list[str]) -> bytes:
    """Share of each op kind in the energy per inference (100% stacked bars), one panel per
    profile; the total is written next to each bar ("n/a": the profile cannot run it)."""
    recs = [b for b in parts if b["task"] == task]
    learners = list(dict.fromkeys(b["learner"] for b in recs))
    kinds = sorted({k for b in recs if b["parts"] for k in b["parts"]})
    cmap = plt.get_cmap("tab10")
    colors = {k: cmap(i % 10) for i, k in enumerate(kinds)}
    ncol = min(2, len(profiles))
    nrow = (len(profiles) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 0.6 + (0.45 * len(learners)
                                                                      + 0.9) * nrow),
                             squeeze=False)
    for ax in axes.flat[len(profiles):]:
        ax.set_visible(False)
    for ax, profile in zip(axes.flat, profiles, strict=False):
        for y, name in enumerate(learners):
            b = next((b for b in recs if b["learner"] == name and b["profile"] == profile),
                     None)
            if not b or not b["parts"]:
                ax.text(0.01, y, "n/a", va="center", fontsize=7)
                continue
            total = sum(b["parts"].values())
            left = 0.0
            for k in kinds:
                v = b["parts"].get(k, 0.0) / total if total > 0 else 0.0
                ax.barh(y, v, left=left, color=colors[k], label=k)
                left += v
            ax.text(1.01, y, f"{total:.2g} J", va="center", fontsize=7)
        ax.set_yticks(range(len(learners)), learners, fontsize=7)
        ax.set_xlim(0, 1.25)
        ax.set_xticks([0, 0.5, 1.0], ["0", "50%", "100%"])
        ax.invert_yaxis()
        ax.set_title(f"{profile}", fontsize=9)
    handles = {}
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    if handles:
        fig.legend(handles.values(), handles.keys(), fontsize=7, loc="lower center",
                   ncol=min(4, len(handles)), bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(f"{task}: energy per inference by op kind (with memory access)", fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return _png(fig)


def memory_figure(probes: list[dict[str, Any]]) -> bytes:
    """Training memory per sample vs sequence length, one line per learner (log-log)."""
    fig, ax = plt.subplots(figsize=(4.8, 3.3))
    by: dict[str, list[tuple[int, int]]] = {}
    for p in probes:
        if p.get("status") == "ok" and p.get("train_memory_bytes"):
            by.setdefault(p["learner"], []).append((p["length"], p["train_memory_bytes"]))
    for name, pts in sorted(by.items()):
        pts.sort()
        ax.plot([t for t, _ in pts], [b for _, b in pts], marker="o", label=name)
    ax.set_yscale("log")
    ax.set_xlim(left=0)
    ax.set_xlabel("sequence length T (steps)")
    ax.set_ylabel("training memory per sample [bytes]")
    ax.set_title("training memory vs sequence length")
    if by:
        ax.legend(fontsize=8)
    return _png(fig)


def weight_hist_figure(weights: dict[str, np.ndarray], title: str) -> bytes:
    """Histogram of each weight array (non-zero entries)."""
    fig, ax = plt.subplots(figsize=(4.8, 3.0))
    for name, w in weights.items():
        w = np.asarray(w, dtype=float).ravel()
        w = w[np.isfinite(w) & (w != 0)]
        if w.size:
            ax.hist(w, bins=40, alpha=0.6, label=f"{name} ({w.size})")
    ax.set_xlabel("weight")
    ax.set_ylabel("count")
    ax.set_title(title)
    if weights:
        ax.legend(fontsize=7)
    return _png(fig)


def curves_figure(rows: list[dict[str, Any]], task: str) -> bytes:
    """Training curves (loss per epoch) of every learner that records one, all seeds."""
    fig, ax = plt.subplots(figsize=(4.8, 3.2))
    seen: set[str] = set()
    order = sorted({learner_key(r) for r in rows if task_key(r) == task})
    cmap = plt.get_cmap("tab10")
    for r in rows:
        if task_key(r) != task or r.get("status") != "ok" or not r.get("history"):
            continue
        name = learner_key(r)
        c = cmap(order.index(name) % 10)
        label = name if name not in seen else None
        seen.add(name)
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


#: learner settings that set a network's size (defined in comparisons.metrics.matched)
SIZE_SETTINGS = _SIZE_SETTINGS


def _short(label: str, n: int = 40) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def plausibility_score(scorecard: dict[str, bool]) -> int:
    """How many plausibility criteria a learner meets (0..7; the declared/measured marks)."""
    return int(sum(bool(v) for v in scorecard.values()))


def pareto_3d(points: list[tuple[float, float, float]], higher_is_better: bool = True
              ) -> list[int]:
    """Indices of the points not dominated in (energy: lower, metric: better, plausibility:
    higher). A point is dominated when another is at least as good in all three and strictly
    better in one. Points with a non-finite energy or metric are left out."""
    sign = 1.0 if higher_is_better else -1.0
    idx = [i for i, (e, m, _) in enumerate(points) if np.isfinite(e) and np.isfinite(m)]
    out = []
    for i in idx:
        e, m, q = points[i]
        if not any(points[j][0] <= e and sign * points[j][1] >= sign * m and points[j][2] >= q
                   and (points[j][0] < e or sign * points[j][1] > sign * m
                        or points[j][2] > q) for j in idx if j != i):
            out.append(i)
    return out


def size_plausibility_figure(summary: list[dict[str, Any]], task: str, profile: str
                             ) -> bytes:
    """Two panels for one task. Left: the headline metric vs parameters (log x); the
    variants of one learner (a size sweep, ``learner_grid``) are joined by a line. Right: the
    metric vs energy per inference under ``profile`` (memory access included), colour = how
    many plausibility criteria the learner meets; points on the three-way Pareto front
    (energy, metric, plausibility) are ringed."""
    recs = [s for s in summary if s["task"] == task and s["n_ok"] > 0]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    higher = recs[0]["higher_is_better"] if recs else True
    by_name: dict[str, list[dict[str, Any]]] = {}
    for s in recs:  # a line joins variants that differ in size settings only
        if s.get("params"):
            rest = sorted((k, repr(v)) for k, v in (s.get("variant") or {}).items()
                          if k not in SIZE_SETTINGS)
            key = s["learner_name"] + (str(rest) if rest else "")
            by_name.setdefault(key, []).append(s)
    for _, ss in sorted(by_name.items()):
        name = _short(ss[-1]["learner"]) if len(ss) == 1 else ss[0]["learner_name"]
        ss = sorted(ss, key=lambda s: s["params"])
        c = FAMILY_COLORS.get(ss[0]["family"], "#999")
        ax1.plot([s["params"] for s in ss], [s["mean"] for s in ss], marker="o", color=c,
                 lw=0.8 if len(ss) > 1 else 0)
        ax1.annotate(name, (ss[-1]["params"], ss[-1]["mean"]), fontsize=7, xytext=(4, 2),
                     textcoords="offset points")
    if by_name:
        ps = [s["params"] for ss in by_name.values() for s in ss]
        _log_x(ax1, min(ps) / 1.6, max(ps) * 1.6)
    ax1.set_xlabel("parameters")
    ax1.set_ylabel(recs[0]["metric"] if recs else "")
    ax1.set_title(f"{task}: metric vs size (lines: size sweeps)", fontsize=9)
    pts = [(typical(s["energy_j"].get(profile)) or np.nan, s["mean"],
            plausibility_score(s["scorecard"])) for s in recs]
    ok = [i for i, p in enumerate(pts) if np.isfinite(p[0])]
    if ok:
        sc = ax2.scatter([pts[i][0] for i in ok], [pts[i][1] for i in ok],
                         c=[pts[i][2] for i in ok], cmap="viridis", vmin=0, vmax=7, s=36,
                         zorder=3)
        fig.colorbar(sc, ax=ax2, label="plausibility criteria met (of 7)")
        front = pareto_3d(pts, higher)
        ax2.scatter([pts[i][0] for i in front], [pts[i][1] for i in front], s=110,
                    facecolors="none", edgecolors="k", lw=0.9, zorder=4,
                    label="Pareto front (energy, metric, plausibility)")
        for i in ok:
            ax2.annotate(_short(recs[i]["learner"]), pts[i][:2], fontsize=6, xytext=(4, 2),
                         textcoords="offset points")
        lo = min(pts[i][0] for i in ok)
        hi = max(pts[i][0] for i in ok)
        _log_x(ax2, lo / 1.6, hi * 1.6)
        ax2.legend(fontsize=7, loc="best")
    else:
        ax2.text(0.5, 0.5, f"no learner priced on {profile}", ha="center",
                 transform=ax2.transAxes, fontsize=8)
    ax2.set_xlabel(f"J per inference, {profile} (with memory)")
    ax2.set_title(f"{task}: metric x energy x plausibility", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def sweep_figure(sweep: dict[str, list[dict[str, Any]]], task: str, family: str,
                 profiles: list[str], higher_is_better: bool = True) -> bytes:
    """Test mean vs energy per inference (log x, typical joules with memory access; the
    bar spans [min, max]) of one family's size sweep, one panel per profile that prices
    it: one line per rule through its sizes, each point labelled by size; the family's
    Pareto front (lower energy, better test mean) ringed and joined by a dotted step.

    Parameters
    ----------
    sweep : dict
        ``{rule: [configurations by size]}``
        (:func:`comparisons.metrics.matched.sweep_points` of one family).
    """
    from comparisons.metrics.matched import size_text
    from comparisons.report.summary import pareto_front

    pts = [p for ps in sweep.values() for p in ps]
    keys = {tuple(p["size"]) for p in pts}
    one_key = len(keys) == 1 and len(next(iter(keys))) == 1   # label points by value
    profs = [p for p in profiles if any(as_range(q["energy"].get(p)) for q in pts)] \
        or profiles[:1]
    ncol = min(2, len(profs))
    nrow = (len(profs) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.8 * ncol, 3.5 * nrow), squeeze=False)
    for ax in axes.flat[len(profs):]:
        ax.set_visible(False)
    cmap = plt.get_cmap("tab10")
    for ax, prof in zip(axes.flat, profs, strict=False):
        xy = []
        for i, (rule, ps) in enumerate(sweep.items()):
            c = cmap(i % 10)
            line = [(typical(p["energy"].get(prof)), p) for p in ps
                    if typical(p["energy"].get(prof)) and p["test"] is not None]
            if not line:
                continue
            xs = [e for e, _ in line]
            ys = [p["test"] for _, p in line]
            lo = [e - as_range(p["energy"][prof])["min"] for e, p in line]
            hi = [as_range(p["energy"][prof])["max"] - e for e, p in line]
            ax.errorbar(xs, ys, xerr=[lo, hi], marker="o", ms=4, color=c, lw=1, capsize=2,
                        label=rule)
            for (e, p) in line:
                text = (", ".join(str(v) for v in p["size"].values()) if one_key
                        else size_text(p))
                ax.annotate(text, (e, p["test"]), fontsize=6, xytext=(3, 3),
                            textcoords="offset points")
        for p in pts:
            e = typical(p["energy"].get(prof))
            xy.append((e if e else np.nan, np.nan if p["test"] is None else p["test"]))
        front = pareto_front(xy, higher_is_better)
        if front:
            ax.scatter([xy[i][0] for i in front], [xy[i][1] for i in front], s=90,
                       facecolors="none", edgecolors="k", lw=0.9, zorder=4,
                       label="Pareto front")
            if len(front) > 1:
                ax.step([xy[i][0] for i in front], [xy[i][1] for i in front], where="post",
                        color="k", lw=0.8, ls=":")
        finite = [x for x, _ in xy if np.isfinite(x)]
        if finite:
            rngs = [as_range(p["energy"].get(prof)) for p in pts]
            lo_e = min([r["min"] for r in rngs if r] + finite)
            hi_e = max([r["max"] for r in rngs if r] + finite)
            _log_x(ax, lo_e / 1.6, hi_e * 1.6)
            ax.legend(fontsize=7, loc="best")
        else:
            ax.text(0.5, 0.5, f"no configuration priced on {prof}", ha="center",
                    transform=ax.transAxes, fontsize=8)
        ax.set_xlabel(f"J per inference, {prof} (with memory)")
        ax.set_ylabel(f"test {pts[0]['metric']}" if pts else "")
        label = f" (points: {next(iter(keys))[0]})" if one_key else ""
        ax.set_title(f"{task}: family {family}, {prof}{label}", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def break_even_figure(points: list[dict[str, Any]], task: str, profiles: list[str],
                      published: tuple[float, float] = (0.15, 1.38)) -> bytes:
    """Measured activity (black bar) of each spiking configuration and its break-even
    activity under each profile (coloured markers, typical; the bar spans the levels'
    [min, max]), log y; the published break-even range (Dampfhoffer et al. 2023) shaded.
    Non-positive break-evens (fixed costs alone exceed the dense energy) are drawn as
    downward triangles at the bottom edge.

    Parameters
    ----------
    points : list of dict
        :func:`comparisons.report.fair.break_even_points` of one task.
    """
    fig, ax = plt.subplots(figsize=(2.2 + 1.0 * max(len(points), 1), 3.8))
    cmap = plt.get_cmap("tab10")
    vals = [b["activity"] for b in points if b["activity"]]
    for b in points:
        for p in profiles:
            d = b["profiles"].get(p) or {}
            if d.get("why") is None and d.get("break_even"):
                vals += [v for v in d["break_even"].values() if v > 0]
    floor = (min(vals + [published[0]]) / 3) if vals else published[0] / 3
    ax.axhspan(*published, color="#ddd", alpha=0.6, zorder=0,
               label=f"published break-even {published[0]}-{published[1]} "
                     "(Dampfhoffer et al. 2023)")
    width = 0.8 / max(len(profiles), 1)
    used: set[str] = set()
    below = False
    for i, b in enumerate(points):
        if b["activity"]:
            ax.hlines(b["activity"], i - 0.42, i + 0.42, color="k", lw=2.2, zorder=3)
        for j, p in enumerate(profiles):
            d = b["profiles"].get(p) or {}
            if d.get("why") is not None or not d.get("break_even"):
                continue
            used.add(p)
            x = i - 0.4 + width * (j + 0.5)
            be = d["break_even"]
            lo, hi = min(be.values()), max(be.values())
            c = cmap(j % 10)
            if be["typical"] > 0:
                ax.errorbar(x, be["typical"], yerr=[[be["typical"] - max(lo, floor)],
                                                    [hi - be["typical"]]],
                            fmt="o", color=c, ms=5, capsize=2, zorder=4)
            else:
                below = True
                ax.plot(x, floor, marker="v", color=c, ms=6, ls="none", zorder=4)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(color="#ddd", label=f"published break-even {published[0]}-"
                     f"{published[1]} (Dampfhoffer et al. 2023)"),
               Line2D([], [], color="k", lw=2.2, label="measured activity")]
    handles += [Line2D([], [], color=cmap(j % 10), marker="o", ls="none",
                       label=f"break-even, {p}") for j, p in enumerate(profiles) if p in used]
    if below:
        handles.append(Line2D([], [], color="#555", marker="v", ls="none",
                              label="break-even <= 0 (fixed costs exceed the dense energy)"))
    ax.legend(handles=handles, fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_yscale("log")
    ax.set_ylim(bottom=floor * 0.9)
    ax.set_xticks(range(len(points)), [_short(b["config"], 36) for b in points],
                  rotation=25, ha="right", fontsize=7)
    ax.set_xlim(-0.6, len(points) - 0.4)
    ax.set_ylabel("synaptic events per synapse per input step")
    ax.set_title(f"{task}: measured activity vs break-even with a dense network "
                 "(spiking cheaper below its marker)", fontsize=8)
    return _png(fig)
