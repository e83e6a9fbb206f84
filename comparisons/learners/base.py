"""Learner protocol: one interface for backprop, spiking, memory and classical models.

Every learner is fitted on a task's training split and predicts on any split of the same task.
It declares which tasks it can do (:meth:`Learner.supports`) and its biological-plausibility
scorecard; it measures what it does (op counts per inference sample, op counts and memory per
training sample) so that :mod:`comparisons.metrics` can turn counts into energy.

Op-count keys (all per sample, floats):

``mac``            multiply-accumulates on real values (dense layers, recurrent matmuls)
``ac``             accumulate-only operations (a binary spike selecting a weight)
``spikes``         spikes emitted
``synaptic_events`` spikes x fan-out (the ACs of a spiking layer; kept separate for profiles
                   that price synaptic events, e.g. Loihi)
``neuron_updates`` neuron state updates (one per neuron per simulation step)
``plasticity_updates`` weight updates done by a local rule
``mem_read_bytes`` / ``mem_write_bytes`` parameter and state traffic (see metrics.ops)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from comparisons.tasks.base import Task, TaskData

#: Criteria of the biological-plausibility scorecard (from the course's backprop-vs-biology
#: table). ``True`` means the learner satisfies the criterion.
SCORECARD_CRITERIA: dict[str, str] = {
    "local_learning": "weight updates use only pre/post-synaptic quantities (plus a broadcast)",
    "no_weight_transport": "no feedback pathway reuses the transpose of forward weights",
    "no_derivative_feedback": "feedback does not need the derivative of the forward nonlinearity",
    "no_clocked_phases": "no separate, clocked forward and backward phases",
    "binary_spikes": "units communicate with binary events",
    "no_target_outputs": "learns without explicit target outputs (unsupervised / reward)",
    "online_in_time": "learns online, without storing the past sequence (no BPTT)",
}


class TaskNotSupported(ValueError):
    """Raised when a learner is asked to do a task it does not declare."""


@dataclass
class FitInfo:
    """What a fit measured.

    Attributes
    ----------
    wall_s : float
        Training wall time in seconds.
    train_ops : dict
        Op counts per training sample (see module docstring for keys).
    train_memory_bytes : int
        Peak memory the learning algorithm needs for one training sample beyond the
        parameters (BPTT: stored activations; local rules: traces).
    history : list of float
        Training loss (or another progress measure) per epoch.
    readout : str
        How the output layer was trained ("bptt", "ridge", "local", ...).
    """

    wall_s: float = 0.0
    train_ops: dict[str, float] = field(default_factory=dict)
    train_memory_bytes: int = 0
    history: list[float] = field(default_factory=list)
    readout: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Learner(ABC):
    """Base class of every learner in the suite.

    Subclasses set ``name``, ``family``, ``scorecard`` and implement :meth:`supports`,
    :meth:`fit`, :meth:`predict` and :meth:`param_count`.
    """

    name: ClassVar[str]
    family: ClassVar[str]  # "backprop", "spiking", "memory" or "classical"
    scorecard: ClassVar[dict[str, bool]]
    description: ClassVar[str] = ""

    def __init__(self, seed: int = 0, device: str = "auto") -> None:
        self.seed = int(seed)
        self.device = device
        self.last_inference_ops: dict[str, float] = {}

    # ------------------------------------------------------------------ declared abilities
    @classmethod
    @abstractmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        """Whether this learner can do ``task``; the string says why not."""

    def check_supports(self, task: Task) -> None:
        ok, why = self.supports(task)
        if not ok:
            raise TaskNotSupported(f"learner {self.name!r} cannot do task {task.name!r}: {why}")

    # ------------------------------------------------------------------------- the protocol
    @abstractmethod
    def fit(self, task: Task, data: TaskData) -> FitInfo:
        """Train on ``data.train``; return what was measured."""

    @abstractmethod
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predict for inputs ``x`` of shape (T, B, F); sets ``last_inference_ops``."""

    @abstractmethod
    def param_count(self) -> int:
        """Number of trained and fixed parameters (weights, biases, thresholds)."""

    def config(self) -> dict[str, Any]:
        """Settings that define the learner (used in the results' config hash)."""
        return {
            k: v for k, v in vars(self).items()
            if not k.startswith("_") and k not in ("last_inference_ops", "device")
            and isinstance(v, int | float | str | bool | type(None) | tuple | list)
        }

    def structure(self) -> dict[str, Any]:
        """Sizes for hardware metrics: ``neurons``, ``synapses`` (spiking learners), the
        ``weights`` arrays (for connection sparsity) and optionally ``footprint_bytes``.
        The default knows nothing; learners override it."""
        return {"weights": []}

    def artifacts(self) -> dict[str, Any]:
        """Optional data for report figures (spike rasters, weight arrays)."""
        return {}
