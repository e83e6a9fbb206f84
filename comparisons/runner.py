"""Run (task, learner, seed) cells and turn what they measured into result rows."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from comparisons.learners import TaskNotSupported, get_learner_class
from comparisons.metrics.energy import energy_joules, list_profiles
from comparisons.tasks import get_task
from comparisons.validation import check_int

RowCallback = Callable[[dict[str, Any]], None]


def config_hash(task: str, task_cfg: dict, learner: str, learner_cfg: dict, seed: int) -> str:
    """Stable 16-hex-digit hash of everything that defines a cell."""
    blob = json.dumps(
        {"task": task, "task_cfg": task_cfg, "learner": learner, "learner_cfg": learner_cfg,
         "seed": seed}, sort_keys=True, default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def versions() -> dict[str, str]:
    """Versions of the packages that shape results."""
    import torch

    from comparisons import __version__

    return {"neurosim": __version__, "python": sys.version.split()[0], "numpy": np.__version__,
            "torch": torch.__version__, "platform": platform.platform()}


def _energy(ops: dict[str, float], memory: bool) -> dict[str, float | None]:
    return {p: energy_joules(ops, p, memory=memory) for p in list_profiles()}


def run_cell(
    task_name: str,
    learner_name: str,
    seed: int,
    task_params: dict[str, Any] | None = None,
    learner_params: dict[str, Any] | None = None,
    device: str = "auto",
) -> dict[str, Any]:
    """Fit one learner on one task with one seed and evaluate it on the test split.

    Never raises for a failing learner: the row gets ``status="failed"`` and the traceback.
    A task the learner does not declare gives ``status="skipped"`` with the reason.
    """
    seed = check_int("seed", seed, low=0)
    task = get_task(task_name, **(task_params or {}))
    cls = get_learner_class(learner_name)
    lparams = dict(learner_params or {})
    row: dict[str, Any] = {
        "task": task_name, "learner": learner_name, "seed": seed,
        "family": cls.family, "metric": task.metric, "higher_is_better": task.higher_is_better,
        "config_hash": config_hash(task_name, task.config(), learner_name, lparams, seed),
        "task_config": task.config(), "learner_config": lparams,
        "scorecard": dict(cls.scorecard), "metrics": {}, "chance": {}, "ops": {},
        "train_ops": {}, "energy_j": {}, "energy_compute_j": {}, "train_memory_bytes": None,
        "params": None, "wall_s": 0.0, "fit_s": 0.0, "status": "ok", "error": None,
        "device": device, "versions": versions(), "history": [], "readout": "",
    }
    ok, why = cls.supports(task)
    if not ok:
        row.update(status="skipped", error=why)
        return row
    t0 = time.perf_counter()
    try:
        learner = cls(seed=seed, device=device, **lparams)
        data = task.make(seed)
        info = learner.fit(task, data)
        pred = learner.predict(data.test.x)
        row["metrics"] = task.score(pred, data.test)
        row["train_metrics"] = task.score(learner.predict(data.train.x), data.train)
        row["chance"] = task.chance(data.test)
        ops = dict(learner.last_inference_ops)
        row.update(
            ops=ops, train_ops=dict(info.train_ops), history=list(info.history),
            energy_j=_energy(ops, memory=True), energy_compute_j=_energy(ops, memory=False),
            train_memory_bytes=int(info.train_memory_bytes), params=int(learner.param_count()),
            fit_s=float(info.wall_s), readout=info.readout, device=str(getattr(
                learner, "device_used", device)),
        )
        row["artifacts"] = learner.artifacts()
    except TaskNotSupported as exc:
        row.update(status="skipped", error=str(exc))
    except Exception:  # noqa: BLE001 - a failing cell is recorded, the suite goes on
        row.update(status="failed", error=traceback.format_exc())
    row["wall_s"] = time.perf_counter() - t0
    return row


def run_suite(
    tasks: Sequence[str],
    learners: Sequence[str],
    seeds: Iterable[int] = (0,),
    task_params: dict[str, dict[str, Any]] | None = None,
    learner_params: dict[str, dict[str, Any]] | None = None,
    device: str = "auto",
    progress: bool = True,
    on_row: RowCallback | None = None,
) -> list[dict[str, Any]]:
    """Run every (task, learner, seed) cell; returns one row per cell.

    Parameters
    ----------
    tasks, learners : sequence of str
        Registered names (unknown names raise ``ValueError`` listing the valid ones before
        anything runs).
    seeds : iterable of int
    task_params, learner_params : dict, optional
        Per-name keyword arguments, e.g. ``{"lstm": {"hidden_size": 16}}``.
    progress : bool
        Show a tqdm progress bar (only when stderr is a terminal).
    on_row : callable, optional
        Called with each finished row (e.g. to store it at once).
    """
    from comparisons.learners import list_learners
    from comparisons.tasks import list_tasks
    from comparisons.validation import check_choice

    for t in tasks:
        check_choice("task", t, list_tasks())
    for name in learners:
        check_choice("learner", name, list_learners())
    seeds = [check_int("seed", s, low=0) for s in seeds]
    cells = [(t, lname, s) for t in tasks for lname in learners for s in seeds]
    rows: list[dict[str, Any]] = []
    bar = _progress(len(cells), progress)
    for t, lname, s in cells:
        if bar is not None:
            bar.set_postfix_str(f"{t} / {lname} / seed {s}")
        row = run_cell(t, lname, s, (task_params or {}).get(t), (learner_params or {}).get(
            lname), device=device)
        rows.append(row)
        if on_row is not None:
            on_row(row)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return rows


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="cells", unit="cell", disable=not sys.stderr.isatty())
