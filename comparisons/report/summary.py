"""Aggregate result rows over seeds: mean and spread per (task, learner) variant."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from comparisons.metrics.energy import energy_breakdown, get_profile


def task_key(row: dict[str, Any]) -> str:
    """The task a row belongs to in the report (its grid variant label, else its name)."""
    return str(row.get("task_label") or row["task"])


def learner_key(row: dict[str, Any]) -> str:
    """The learner variant label (``lstm[hidden_size=8]``), else its name."""
    return str(row.get("learner_label") or row["learner"])


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per (task, learner) variant: headline metric mean, std (ddof=1), min, max
    and n over the finished seeds, chance, mean energy per profile (with and without memory),
    mean ops, params, memory, times, and status counts."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(task_key(r), learner_key(r))].append(r)
    out = []
    for (task, learner), rs in sorted(groups.items()):
        ok = [r for r in rs if r.get("status") == "ok"]
        metric = rs[0].get("metric", "")
        vals = np.array([(r.get("metrics") or {}).get(metric, np.nan) for r in ok],
                        dtype=float)
        vals = vals[np.isfinite(vals)]
        chance = [(r.get("chance") or {}).get(metric) for r in ok]
        chance = [c for c in chance if c is not None]
        rec: dict[str, Any] = {
            "task": task, "learner": learner, "task_name": rs[0]["task"],
            "learner_name": rs[0]["learner"], "family": rs[0].get("family", ""),
            "metric": metric, "higher_is_better": rs[0].get("higher_is_better", True),
            "n_ok": len(ok), "n_failed": sum(r.get("status") == "failed" for r in rs),
            "n_skipped": sum(r.get("status") == "skipped" for r in rs),
            "mean": float(np.mean(vals)) if len(vals) else float("nan"),
            "std": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0,
            "min": float(np.min(vals)) if len(vals) else float("nan"),
            "max": float(np.max(vals)) if len(vals) else float("nan"),
            "chance": float(np.mean(chance)) if chance else float("nan"),
            "scorecard": rs[0].get("scorecard", {}),
            "readout": next((r.get("readout") for r in ok if r.get("readout")), ""),
            "skip_reason": next((r.get("error") for r in rs if r.get("status") == "skipped"),
                                None),
        }
        others: dict[str, list[float]] = defaultdict(list)
        for r in ok:
            for k, v in (r.get("metrics") or {}).items():
                if k != metric and isinstance(v, int | float) and np.isfinite(v):
                    others[k].append(float(v))
        rec["other_metrics"] = {
            k: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0)
            for k, v in sorted(others.items())}
        for key in ("energy_j", "energy_compute_j", "ops", "hardware"):
            acc: dict[str, list[float]] = defaultdict(list)
            for r in ok:
                for k, v in (r.get(key) or {}).items():
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        acc[k].append(float(v))
            rec[key] = {k: float(np.mean(v)) for k, v in acc.items()}
        for key in ("params", "train_memory_bytes", "fit_s", "wall_s"):
            v = [r.get(key) for r in ok if r.get(key) is not None]
            rec[key] = float(np.mean(v)) if v else None
        out.append(rec)
    return out


def breakdown(summary: list[dict[str, Any]], profiles: list[str], memory: bool = True
              ) -> list[dict[str, Any]]:
    """Energy per op kind (J per inference) for every summary record and profile, from the
    mean op counts: ``{"task", "learner", "profile", "parts": {op: J} or None}``."""
    profs = {p: get_profile(p) for p in profiles}
    out = []
    for s in summary:
        if s["n_ok"] == 0:
            continue
        for p, prof in profs.items():
            out.append({"task": s["task"], "learner": s["learner"], "profile": p,
                        "parts": energy_breakdown(s["ops"], prof, memory=memory)})
    return out


def pareto_front(points: list[tuple[float, float]], higher_is_better: bool = True
                 ) -> list[int]:
    """Indices of the non-dominated points (lower energy, better metric), by energy.

    A point is dominated when another one uses no more energy and scores at least as well,
    and is strictly better in one of the two.
    """
    sign = 1.0 if higher_is_better else -1.0
    idx = [i for i, (e, m) in enumerate(points) if np.isfinite(e) and np.isfinite(m)]
    front = []
    for i in idx:
        e, m = points[i]
        dominated = any(
            points[j][0] <= e and sign * points[j][1] >= sign * m
            and (points[j][0] < e or sign * points[j][1] > sign * m) for j in idx if j != i)
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: points[i][0])
