"""Aggregate result rows over seeds: mean and spread per (task, learner)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per (task, learner): headline metric mean/std/n over the finished seeds,
    chance, mean energy per profile (with and without memory), ops, params, status counts."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["task"], r["learner"])].append(r)
    out = []
    for (task, learner), rs in sorted(groups.items()):
        ok = [r for r in rs if r.get("status") == "ok"]
        metric = rs[0].get("metric", "")
        vals = np.array([r["metrics"].get(metric, np.nan) for r in ok], dtype=float)
        chance = [r["chance"].get(metric, np.nan) for r in ok]
        rec: dict[str, Any] = {
            "task": task, "learner": learner, "family": rs[0].get("family", ""),
            "metric": metric, "higher_is_better": rs[0].get("higher_is_better", True),
            "n_ok": len(ok), "n_failed": sum(r.get("status") == "failed" for r in rs),
            "n_skipped": sum(r.get("status") == "skipped" for r in rs),
            "mean": float(np.mean(vals)) if len(vals) else float("nan"),
            "std": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0,
            "chance": float(np.mean(chance)) if chance else float("nan"),
            "scorecard": rs[0].get("scorecard", {}),
            "skip_reason": next((r.get("error") for r in rs if r.get("status") == "skipped"),
                                None),
        }
        for key in ("energy_j", "energy_compute_j", "ops"):
            acc: dict[str, list[float]] = defaultdict(list)
            for r in ok:
                for k, v in (r.get(key) or {}).items():
                    if v is not None:
                        acc[k].append(float(v))
            rec[key] = {k: float(np.mean(v)) for k, v in acc.items()}
        for key in ("params", "train_memory_bytes", "fit_s", "wall_s"):
            v = [r.get(key) for r in ok if r.get(key) is not None]
            rec[key] = float(np.mean(v)) if v else None
        out.append(rec)
    return out
