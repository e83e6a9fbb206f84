"""Run (task, learner, seed) cells and turn what they measured into result rows."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from comparisons.learners import TaskNotSupported, get_learner_class
from comparisons.learners.scorecard import copy_components
from comparisons.metrics.energy import energy_range, list_profiles
from comparisons.metrics.gpu import GPUEnergyMeter
from comparisons.metrics.hardware import hardware_metrics
from comparisons.protocol import (
    Budget,
    check_learner_params,
    fit_with_validation,
    flags_for,
    learner_settings,
    learner_supports,
    predict_split,
)
from comparisons.store import to_jsonable
from comparisons.tasks import get_task
from comparisons.validation import check_int

RowCallback = Callable[[dict[str, Any]], None]


def config_hash(task: str, task_cfg: dict, learner: str, learner_cfg: dict, seed: int,
                budget: dict | None = None) -> str:
    """Stable 16-hex-digit hash of everything that defines a cell."""
    spec: dict[str, Any] = {"task": task, "task_cfg": task_cfg, "learner": learner,
                            "learner_cfg": learner_cfg, "seed": seed}
    if budget is not None:
        spec["budget"] = budget
    blob = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def versions() -> dict[str, str]:
    """Versions of the packages that shape results."""
    import torch

    from comparisons import __version__

    return {"neurosim": __version__, "python": sys.version.split()[0], "numpy": np.__version__,
            "torch": torch.__version__, "platform": platform.platform()}


def _energy(ops: dict[str, float], memory: bool, footprint_bytes: float | None = None
            ) -> dict[str, dict[str, float] | None]:
    """``{profile: {"min", "typical", "max"} joules or None}`` for ``ops`` under every
    shipped profile; ``footprint_bytes`` chooses the memory tier (see
    :mod:`comparisons.metrics.energy`)."""
    return {p: energy_range(ops, p, memory=memory, footprint_bytes=footprint_bytes)
            for p in list_profiles()}


def run_cell(
    task_name: str,
    learner_name: str,
    seed: int,
    task_params: dict[str, Any] | None = None,
    learner_params: dict[str, Any] | None = None,
    device: str = "auto",
    budget: Budget | dict[str, Any] | None = None,
    tuning: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit one learner on one task with one seed; score train, validation and test.

    The learner trains on the seed's training split, watched by the validation split
    (early stopping with ``budget.patience``; the best epoch on validation is kept), then
    the test split is scored once. With a ``budget``, the learner's ``budget_param``
    (epochs, ...) is ``budget.passes``. ``learner_params`` are checked against the
    learner's settings first (a typo raises ``ValueError`` naming the allowed names).

    Never raises for a failing learner: the row gets ``status="failed"`` and the traceback.
    A task the learner does not declare gives ``status="skipped"`` with the reason.
    ``tuning`` (the study that chose the settings) is stored in the row as is.
    """
    seed = check_int("seed", seed, low=0)
    task = get_task(task_name, **(task_params or {}))
    cls = get_learner_class(learner_name)
    bud = None if budget is None else Budget.from_dict(budget)
    lparams = check_learner_params(cls, dict(learner_params or {}), bud)
    settings = learner_settings(cls, lparams, bud)
    bdict = None if bud is None else bud.to_dict()
    row: dict[str, Any] = {
        "task": task_name, "learner": learner_name, "seed": seed,
        "family": cls.family, "metric": task.metric, "higher_is_better": task.higher_is_better,
        "config_hash": config_hash(task_name, task.config(), learner_name,
                                   to_jsonable(settings), seed, bdict),
        "task_config": task.config(), "learner_config": lparams,
        "chosen_params": to_jsonable(settings), "budget": bdict, "tuning": tuning,
        "scorecard": dict(cls.scorecard),
        "scorecard_components": copy_components(getattr(cls, "scorecard_components", None)),
        "metrics": {}, "val_metrics": {},
        "train_metrics": {}, "chance": {}, "baselines": {}, "trivial_best": None,
        "val_baselines": {}, "val_trivial_best": None,
        "flags": [], "training": {}, "ops": {},
        "train_ops": {}, "energy_j": {}, "energy_compute_j": {}, "train_memory_bytes": None,
        "params": None, "wall_s": 0.0, "fit_s": 0.0, "status": "ok", "error": None,
        "device": device, "versions": versions(), "history": [], "readout": "",
    }
    ok, why = learner_supports(cls, task)
    if ok:
        ok, why = cls.applicable(settings)
    if not ok:
        row.update(status="skipped", error=why)
        return row
    t0 = time.perf_counter()
    try:
        learner = cls(seed=seed, device=device, **settings)
        row["scorecard"] = dict(learner.scorecard)  # may depend on settings (e.g. readout)
        row["scorecard_components"] = copy_components(
            getattr(learner, "scorecard_components", None))
        data = task.make(seed)
        row["data"] = to_jsonable({k: v for k, v in data.meta.items()
                                   if not isinstance(v, dict)})
        with GPUEnergyMeter() as meter:
            info, mon = fit_with_validation(task, data, learner,
                                            patience=None if bud is None else bud.patience)
        row["training"] = mon.summary()
        learner.count_ops = False
        row["train_metrics"] = task.score(predict_split(task, learner, data, "train"),
                                          data.train)
        row["val_metrics"] = task.score(predict_split(task, learner, data, "val"), data.val)
        learner.count_ops = True
        # the test split, once (in closed loop where the task says so); last: the ops
        # are the test's
        pred = predict_split(task, learner, data, "test")
        ops = dict(learner.last_inference_ops)
        row["metrics"] = task.score(pred, data.test)
        row["baselines"] = task.baselines(data, "test")
        row["chance"] = dict(row["baselines"].get("chance") or task.chance(data.test))
        row["trivial_best"] = list(task.trivial_best(data, "test"))
        # the same baselines on the validation split: what a choice made on validation
        # scores (e.g. the report's matched-score target) may compare with
        row["val_baselines"] = task.baselines(data, "val")
        row["val_trivial_best"] = list(task.trivial_best(data, "val"))
        row["ceiling"] = task.ceiling(data, "test")  # best achievable (None: unknown)
        row["flags"] = flags_for(task, row["metrics"].get(task.metric), tuple(
            row["trivial_best"]))
        if (bud is not None and cls.budget_param is not None and not mon.stopped_early
                and mon.curve and mon.best_epoch == mon.curve[-1][0] == bud.passes
                and len(mon.curve) > 1):
            row["flags"].append("still_improving_at_budget")
        row["hardware"] = hardware_metrics(learner, ops)
        row["hardware"]["gpu_fit_energy_j"] = meter.joules  # measured (NVML); None on CPU
        # the memory tier: the model's footprint at inference; in training, the footprint
        # plus what the learning rule keeps per sample (stored activations, traces)
        foot = row["hardware"].get("footprint_bytes")
        train_foot = None if foot is None else foot + max(int(info.train_memory_bytes), 0)
        row.update(
            ops=ops, train_ops=dict(info.train_ops), history=list(info.history),
            energy_j=_energy(ops, True, foot), energy_compute_j=_energy(ops, False, foot),
            train_energy_j=_energy(dict(info.train_ops), True, train_foot),
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


#: tasks whose sequence length is one parameter: (task, parameter, length -> value)
_PROBE_TASKS: tuple[tuple[str, str, Callable[[int], int]], ...] = (
    ("adding", "length", lambda T: T),
    ("temporal_xor", "n_triples", lambda T: max(1, T // 3)),
    ("binary_addition", "train_bits", lambda T: max(1, T - 3)),
    ("spike_patterns", "length", lambda T: T),
    ("mackey_glass", "length", lambda T: T),
)


def measure_train_memory(
    learner: str,
    lengths: Sequence[int] = (25, 50, 100),
    learner_params: dict[str, Any] | None = None,
    seed: int = 0,
    device: str = "cpu",
) -> list[dict[str, Any]]:
    """Training memory per sample of ``learner`` at several sequence lengths.

    Fits the learner (one epoch where it has an ``epochs`` setting, 8 training sequences)
    on the first task of ``adding, temporal_xor, binary_addition, spike_patterns,
    mackey_glass`` that it supports, at each length, and records
    ``FitInfo.train_memory_bytes`` through the learner's public API. BPTT learners store
    every step's activations (bytes grow linearly with T); learners with local or online
    readouts keep a state whose size does not depend on T.

    Returns
    -------
    list of dict
        One record per length: ``learner``, ``learner_hash``, ``probe_task``, ``length``
        (the actual T of the training sequences), ``train_memory_bytes``, ``status``, ``error``.
    """
    import inspect

    cls = get_learner_class(learner)
    lparams = dict(learner_params or {})
    lhash = config_hash("", {}, learner, lparams, 0)
    accepted = inspect.signature(cls.__init__).parameters
    if "epochs" in accepted:
        lparams["epochs"] = 1
    base = {"learner": learner, "learner_hash": lhash, "learner_config": dict(
        learner_params or {})}
    choice = None
    for tname, pname, conv in _PROBE_TASKS:
        if cls.supports(get_task(tname))[0]:
            choice = (tname, pname, conv)
            break
    if choice is None:
        return [{**base, "probe_task": None, "length": int(T), "train_memory_bytes": None,
                 "status": "skipped", "error": "supports none of the probe tasks "
                 + ", ".join(t for t, _, _ in _PROBE_TASKS)} for T in lengths]
    tname, pname, conv = choice
    out = []
    for T in lengths:
        T = check_int("length", T, low=2)
        rec = {**base, "probe_task": tname, "length": T, "train_memory_bytes": None,
               "status": "ok", "error": None}
        try:
            task = get_task(tname, **{pname: conv(T), "n_train": 8, "n_test": 2})
            data = task.make(seed)
            rec["length"] = int(data.train.x.shape[0])
            info = cls(seed=seed, device=device, **lparams).fit(task, data)
            rec["train_memory_bytes"] = int(info.train_memory_bytes)
        except Exception:  # noqa: BLE001 - recorded, like a failing cell
            rec.update(status="failed", error=traceback.format_exc())
        out.append(rec)
    return out
