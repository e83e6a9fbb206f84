"""Sequence tasks, generated offline from a seed; a registry by name.

>>> from comparisons.tasks import get_task, list_tasks
>>> task = get_task("adding", length=20, n_train=8, n_val=4, n_test=4)
>>> data = task.make(seed=0)
>>> data.train.x.shape, data.val.x.shape
((20, 8, 2), (20, 4, 2))
>>> sorted(task.baselines(data, "val"))
['chance']
>>> spikes = task.encode(data, "rate", steps_per_value=4, seed=0)
>>> spikes.train.x.shape
(80, 8, 2)
"""

from __future__ import annotations

from typing import Any

from comparisons.tasks.adding import AddingProblem
from comparisons.tasks.associative import AssociativeRecall
from comparisons.tasks.base import SPLITS, Split, Task, TaskData
from comparisons.tasks.binary_addition import BinaryAddition
from comparisons.tasks.copy_task import CopyTask
from comparisons.tasks.encoded import EncodedTask
from comparisons.tasks.mackey_glass import MackeyGlass
from comparisons.tasks.mnist1d_task import MNIST1D
from comparisons.tasks.neurobench_mackey_glass import NeuroBenchMackeyGlass
from comparisons.tasks.seq_digits import SequentialDigits
from comparisons.tasks.spike_patterns import SpikePatterns
from comparisons.tasks.temporal_xor import TemporalXOR
from comparisons.validation import check_choice

TASKS: dict[str, type[Task]] = {
    cls.name: cls
    for cls in (
        AddingProblem, AssociativeRecall, BinaryAddition, CopyTask, MackeyGlass, MNIST1D,
        NeuroBenchMackeyGlass, SequentialDigits, SpikePatterns, TemporalXOR,
    )
}


#: Literature-scale settings for longer runs (the defaults are quick CPU settings):
#: ``get_task(name, **FULL_SETTINGS[name])``.
FULL_SETTINGS: dict[str, dict[str, Any]] = {
    "adding": dict(length=200, n_train=20000, n_val=2000, n_test=2000),  # Le et al. 150-750
    "associative_recall": dict(n_patterns=20, n_bits=256, noise=0.2, n_train=2000,
                               n_val=1000, n_test=1000),  # load 0.078 < 0.138 N capacity
    "binary_addition": dict(train_bits=8, test_bits=64, n_train=5000, n_val=1000,
                            n_test=1000),
    "copy": dict(n_symbols=8, n_recall=10, delay=100, n_train=20000, n_val=2000,
                 n_test=2000),
    "mackey_glass": dict(length=1000, n_train=64, n_val=16, n_test=16, washout=100),
    "mnist1d": dict(),  # the standard 5000 samples, re-split 3500 / 500 / 1000 per seed
    "neurobench_mackey_glass": dict(),  # NeuroBench's own sizes; seeds 0-29 = its 30 runs
    "seq_digits": dict(),  # all 1797 images, re-split per seed
    "spike_patterns": dict(n_classes=10, n_channels=100, length=200, spikes_per_channel=4,
                           jitter=2.0, p_drop=0.1, noise_prob=0.002, n_train=2000,
                           n_val=1000, n_test=1000),
    "temporal_xor": dict(n_triples=100, n_train=2000, n_val=500, n_test=500,
                         random_phase=True),
}


def list_tasks() -> list[str]:
    """Names of the registered tasks, sorted."""
    return sorted(TASKS)


def get_task(
    name: str,
    encoding: str | None = None,
    steps_per_value: int | None = None,
    encoding_options: dict[str, Any] | None = None,
    **params: Any,
) -> Task:
    """Instantiate a registered task by name (unknown names list the valid ones).

    With ``encoding`` (``"rate"``, ``"latency"``, ``"delta"``) the task is wrapped in an
    :class:`~comparisons.tasks.encoded.EncodedTask` whose data are spike trains; the other
    ``params`` go to the task's constructor.
    """
    check_choice("task", name, TASKS)
    task = TASKS[name](**params)
    if encoding is None:
        if steps_per_value is not None or encoding_options:
            raise ValueError("steps_per_value and encoding_options need an encoding; "
                             "choose from: delta, latency, rate")
        return task
    return EncodedTask(task, encoding, steps_per_value, encoding_options)


def describe(
    measure: bool = False, seed: int = 0, task_params: dict[str, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One row per registered task: name, target, output, metric, direction, chance, text.

    ``chance`` is the theoretical statement (``Task.chance_note``); ``n_train`` / ``n_val``
    / ``n_test`` are the split sizes of the task's settings (default quick settings,
    updated by ``task_params[name]``), ``baselines`` the names of its baselines and
    ``literature`` the number of published reference values. With ``measure=True`` each
    task is also generated and ``chance_measured`` holds the chance baseline's headline
    metric on the test split (fitted on the train split, as :meth:`Task.baselines` does; a
    few seconds with the defaults; MNIST-1D generation dominates).
    """
    task_params = task_params or {}
    for name in task_params:
        check_choice("task", name, TASKS)
    rows = []
    for name in list_tasks():
        cls = TASKS[name]
        task = cls(**task_params.get(name, {}))
        sizes = task.split_sizes()
        row: dict[str, Any] = {
            "name": name, "target": cls.target, "output": cls.output, "metric": cls.metric,
            "higher_is_better": cls.higher_is_better, "chance": cls.chance_note,
            "spiking_input": cls.spiking_input,
            "description": cls.description,
            "n_train": sizes["train"], "n_val": sizes["val"], "n_test": sizes["test"],
            "baselines": tuple(cls.baseline_descriptions),
            "literature": len(cls.literature),
        }
        if measure:
            data = task.make(seed)
            row["chance_measured"] = task.baselines(data, "test")["chance"][cls.metric]
        rows.append(row)
    return rows


def format_table(rows: list[dict[str, Any]] | None = None) -> str:
    """Plain-text table of :func:`describe` rows (for the CLI ``list`` command)."""
    rows = describe() if rows is None else rows
    cols = ["name", "target", "output", "metric", "n_val", "baselines", "chance"]
    if rows and "chance_measured" in rows[0]:
        cols.append("chance_measured")
    cols = [c for c in cols if all(c in r for r in rows)]  # rows from older describe()

    def cell(r: dict[str, Any], c: str) -> str:
        v = r[c]
        if c == "metric":
            return f"{v} ({'higher' if r['higher_is_better'] else 'lower'} better)"
        if c == "baselines":
            return ", ".join(v)
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    width = {c: max(len(c), *(len(cell(r, c)) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(width[c]) for c in cols),
             "  ".join("-" * width[c] for c in cols)]
    lines += ["  ".join(cell(r, c).ljust(width[c]) for c in cols) for r in rows]
    return "\n".join(lines)


__all__ = [
    "SPLITS", "Split", "Task", "TaskData", "TASKS", "FULL_SETTINGS", "get_task", "list_tasks",
    "describe", "format_table",
    "AddingProblem", "AssociativeRecall", "BinaryAddition", "CopyTask", "EncodedTask",
    "MackeyGlass",
    "MNIST1D", "NeuroBenchMackeyGlass", "SequentialDigits", "SpikePatterns", "TemporalXOR",
]
