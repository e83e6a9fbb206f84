"""A task seen through a spike encoding: the same targets and metrics, spike-train inputs.

``EncodedTask(base, "rate", steps_per_value=8)`` behaves like any other task — ``make(seed)``
returns spike-encoded splits ``(T * k, B, F')`` (float32 0/1), ``n_in`` is the number of
spike channels ``F'`` — so learners and the suite runner use it unchanged. The registry builds
it with ``get_task(name, encoding="rate", steps_per_value=8, encoding_options={...})``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from comparisons.tasks.base import SPLITS, Split, Task, TaskData
from comparisons.tasks.encoding import DEFAULT_STEPS, ENCODERS, n_channels
from comparisons.validation import check_choice, check_int


class EncodedTask(Task):
    """Wrap ``base`` so that :meth:`make` returns spike-encoded data.

    Parameters
    ----------
    base : Task
        The real-valued task.
    method : {"rate", "latency", "delta"}
    steps_per_value : int or None
        Simulation steps per real step (``None``: the method's default).
    encoding_options : dict or None
        Passed to :func:`comparisons.tasks.encoding.encode_task_data` (``max_prob``,
        ``threshold``, ``initial``).

    Notes
    -----
    The spikes are drawn from a generator seeded by ``(seed, 1)`` so they differ from the
    data's own randomness yet follow the seed. :meth:`baselines` are those of the raw task
    (same targets, same scored steps), computed for every split in :meth:`make` and kept in
    ``meta["raw_baselines"]``; likewise :meth:`ceiling` (``meta["raw_ceilings"]``), which for
    an encoded task is an upper bound (a lossy encoding may lower the true ceiling).
    ``literature`` is empty: published values were measured on the raw inputs (they stay
    at ``task.base.literature``).
    """

    spiking_input = True

    def __init__(
        self, base: Task, method: str, steps_per_value: int | None = None,
        encoding_options: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(base, Task):
            raise TypeError(f"EncodedTask.base must be a Task, got {type(base).__name__}")
        if isinstance(base, EncodedTask):
            raise TypeError("EncodedTask.base is already encoded")
        self.base = base
        self.encoding = check_choice("encoding", method, ENCODERS)
        self.steps_per_value = check_int(
            "EncodedTask.steps_per_value",
            DEFAULT_STEPS[method] if steps_per_value is None else steps_per_value, low=1)
        self.encoding_options = dict(encoding_options or {})
        # the protocol's class attributes, taken from the base task
        self.name = base.name  # type: ignore[misc]
        self.target = base.target  # type: ignore[misc]
        self.output = base.output  # type: ignore[misc]
        self.metric = base.metric  # type: ignore[misc]
        self.higher_is_better = base.higher_is_better  # type: ignore[misc]
        self.description = f"{base.description} [{method}-encoded]"  # type: ignore[misc]
        self.chance_note = base.chance_note  # type: ignore[misc]
        self.baseline_descriptions = dict(base.baseline_descriptions)  # type: ignore[misc]
        self.reference_baselines = tuple(base.reference_baselines)  # type: ignore[misc]
        self.literature = ()  # type: ignore[misc]
        self.n_in = n_channels(method, base.n_in)
        self.n_out = base.n_out

    def config(self) -> dict[str, Any]:
        return {**self.base.config(), "n_in": self.n_in, "encoding": self.encoding,
                "steps_per_value": self.steps_per_value,
                "encoding_options": dict(self.encoding_options)}

    def split_sizes(self) -> dict[str, int]:
        return self.base.split_sizes()

    def make(self, seed: int) -> TaskData:
        """The base task's data for ``seed``, all three splits spike-encoded."""
        seed = check_int("seed", seed, low=0)
        raw = self.base.make(seed)
        enc = self.base.encode(raw, self.encoding, steps_per_value=self.steps_per_value,
                               seed=np.random.default_rng([seed, 1]), **self.encoding_options)
        enc.meta["raw_baselines"] = {s: self.base.baselines(raw, s) for s in SPLITS}
        enc.meta["raw_ceilings"] = {s: self.base.ceiling(raw, s) for s in SPLITS}
        return enc

    def extra_scores(self, pred: np.ndarray, split: Split) -> dict[str, float]:
        return self.base.extra_scores(pred, split)

    def baselines(self, data: TaskData, split: str = "test") -> dict[str, dict[str, float]]:
        """The raw task's baselines on ``split`` (stored by :meth:`make`); chance (fitted on
        the train split) if they are missing."""
        stored = data.meta.get("raw_baselines") or {}
        if split in stored:
            return {k: dict(v) for k, v in stored[split].items()}
        return {"chance": self.chance(data.split(split), fit=data.train)}

    def ceiling(self, data: TaskData, split: str = "test") -> float | None:
        """The raw task's ceiling on ``split`` (an upper bound for the encoded inputs)."""
        data.split(split)
        return (data.meta.get("raw_ceilings") or {}).get(split)
