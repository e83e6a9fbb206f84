"""Our figures on NeuroBench's Mackey–Glass task beside NeuroBench's leaderboard.

:func:`leaderboard_table` takes the report's result rows (the dicts of
:func:`comparisons.runner.run_cell`) and returns one table — rows as dicts plus Markdown and
HTML strings — with, per learner run on ``neurobench_mackey_glass``, the closed-loop sMAPE
(mean over seeds = runs, with a 95 % bootstrap interval, :func:`comparisons.stats.mean_ci`)
and NeuroBench's efficiency metrics, beside the leaderboard values of NeuroBench's LSTM and
ESN (Yik et al. 2025, Nat. Commun.; NeuroBench/neurobench ``leaderboard.md``).

Units, so the columns compare: NeuroBench counts synaptic operations per prediction step;
our rows count them per test sequence (1500 steps: the 750 teacher-forced ones that warm
the state, then the 750 closed-loop ones), so they are divided by the sequence length here.
Footprints are bytes of parameters and buffers (NeuroBench's baselines are float64, ours
float32). Activation sparsity is ``1 - nonzero_activations / activations``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from comparisons.report.markup import fmt, html_table, md_table
from comparisons.stats import mean_ci
from comparisons.tasks.neurobench_mackey_glass import (
    LEADERBOARD,
    LEADERBOARD_SOURCE,
    TEST_PTS,
    TRAIN_PTS,
)

TASK = "neurobench_mackey_glass"
#: steps of the test sequence our op counts are summed over
TEST_SEQUENCE_STEPS = TRAIN_PTS + TEST_PTS
COLUMNS = ("model", "smape", "smape_ci95", "n_runs", "footprint_bytes", "connection_sparsity",
           "activation_sparsity", "dense", "effective_macs", "source")
HEADERS = ["model", "sMAPE", "sMAPE 95% CI", "runs", "footprint (B)", "connection sparsity",
           "activation sparsity", "dense ops / step", "effective MACs / step", "source"]


def _mean(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else None


def _ours(learner: str, rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    smapes = [float(r["metrics"]["smape"]) for r in rows
              if math.isfinite(float(r.get("metrics", {}).get("smape", math.nan)))]
    ci = mean_ci(smapes)
    ops = [r.get("ops") or {} for r in rows]
    hw = [r.get("hardware") or {} for r in rows]

    def act_sparsity(o: Mapping[str, Any]) -> float | None:
        a = float(o.get("activations") or 0.0)
        return 1.0 - float(o.get("nonzero_activations", 0.0)) / a if a > 0 else None

    def per_step(key: str) -> float | None:
        m = _mean([o.get(key) for o in ops])
        return None if m is None else m / TEST_SEQUENCE_STEPS

    return {
        "model": f"{learner} (ours)",
        "smape": ci["mean"] if ci["n"] else None,
        "smape_ci95": (ci["low"], ci["high"]) if ci["n"] else None,
        "n_runs": ci["n"],
        "footprint_bytes": _mean([h.get("footprint_bytes") for h in hw]),
        "connection_sparsity": _mean([h.get("connection_sparsity") for h in hw]),
        "activation_sparsity": _mean([act_sparsity(o) for o in ops]),
        "dense": per_step("dense_ops"),
        "effective_macs": per_step("effective_macs"),
        "source": "this run: seeds = runs (start shifted by seed/2 Lyapunov times)",
    }


def leaderboard_table(rows: Iterable[Mapping[str, Any]], task: str = TASK
                      ) -> dict[str, Any]:
    """Our closed-loop sMAPE and efficiency per learner beside NeuroBench's leaderboard.

    Parameters
    ----------
    rows : iterable of dict
        Result rows (``run_cell``'s; the report's ``rows``): those of ``task`` with
        ``status == "ok"`` are used, grouped by ``learner`` (every seed one run).
    task : str
        The task name (``"neurobench_mackey_glass"``; a label the sweep gave it).

    Returns
    -------
    dict
        ``"rows"``: list of dicts with the keys ``COLUMNS`` (NeuroBench's LSTM and ESN
        first, then ours sorted by learner; ``smape_ci95`` a ``(low, high)`` pair or
        ``None``); ``"markdown"``: the table as Markdown lines joined by newlines;
        ``"html"``: the table as an HTML fragment; ``"note"``: the units and sources.
    """
    by_learner: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        if r.get("task") == task and r.get("status") == "ok":
            by_learner.setdefault(str(r.get("learner")), []).append(r)
    table: list[dict[str, Any]] = [
        {"model": f"{e['model']} (NeuroBench)", "smape": e["smape"], "smape_ci95": None,
         "n_runs": 30, "footprint_bytes": e["footprint_bytes"],
         "connection_sparsity": e["connection_sparsity"],
         "activation_sparsity": e["activation_sparsity"], "dense": e["dense"],
         "effective_macs": e["effective_macs"], "source": LEADERBOARD_SOURCE}
        for e in LEADERBOARD]
    table += [_ours(name, by_learner[name]) for name in sorted(by_learner)]

    def cells(r: Mapping[str, Any]) -> list[Any]:
        ci = r["smape_ci95"]
        return [r["model"], r["smape"], "–" if ci is None else f"[{fmt(ci[0])}, {fmt(ci[1])}]",
                r["n_runs"], r["footprint_bytes"], r["connection_sparsity"],
                r["activation_sparsity"], r["dense"], r["effective_macs"], r["source"]]

    body = [cells(r) for r in table]
    note = ("sMAPE in percent, closed loop over 750 points (lower is better); ops per "
            "prediction step (ours: counts over the 1500-step test sequence / 1500); "
            "footprint in bytes (NeuroBench float64, ours float32). Our series is "
            "mg_17.npy only where the task's `file` was given.")
    return {"rows": table, "markdown": "\n".join(md_table(HEADERS, body)),
            "html": html_table(HEADERS, body), "note": note}


__all__ = ["leaderboard_table", "COLUMNS", "TASK"]
