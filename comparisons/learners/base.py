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

NeuroBench's counts (Yik et al. 2025; :mod:`comparisons.metrics.neurobench_counts`), reported
where a learner measures them, beside the priced keys above and not priced themselves:

``effective_macs`` / ``effective_acs`` synaptic operations with a non-zero input and weight,
                   on real-valued / binary inputs (kept apart)
``dense_ops``      every synaptic operation, zeros included
``activations`` / ``nonzero_activations`` outputs of the nonlinearities (activation sparsity
                   ``1 - nonzero_activations / activations``)
"""

from __future__ import annotations

import copy
import inspect
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from comparisons.space import Param
from comparisons.tasks.base import Task, TaskData

#: ``monitor(learner, epoch, samples_seen) -> stop?``: what a learner with an epoch loop
#: calls after every pass over the training data (see :meth:`Learner.epoch_end`).
Monitor = Callable[["Learner", int, int], bool]

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


class SettingsNotApplicable(ValueError):
    """Raised when a combination of a learner's settings has no meaning (e.g. STDP on input
    synapses that carry no spikes). A sweep records such a variant as skipped, with this
    message as the reason (an ablation grid may contain such corners)."""


@dataclass
class FitInfo:
    """What a fit measured.

    Attributes
    ----------
    wall_s : float
        Training wall time in seconds.
    train_ops : dict
        Op counts of the whole fit per training sample (see module docstring for keys):
        the total over every pass the fit actually ran (all epochs, fewer when stopped
        early; a closed-form or one-shot fit counts its single pass), divided by the
        number of training samples. This is what the report prices as "energy per
        training sample"; learners with passes say how many in ``extra["epochs_run"]``.
    train_memory_bytes : int
        Peak memory the learning algorithm needs beyond the parameters: what it keeps per
        training sample (BPTT: stored activations; an ESN: the stored reservoir states;
        local rules: traces) plus any state shared by all samples (a ridge readout's Gram
        matrices). Where a learner has shared state, ``extra`` gives the split as
        ``train_memory_per_sample_bytes`` and ``train_memory_shared_bytes``.
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

    Subclasses set ``name``, ``family``, ``scorecard`` (and ``scorecard_components``: the
    same criteria graded for the representation and the readout apart) and implement
    :meth:`supports`, :meth:`fit`, :meth:`predict` and :meth:`param_count`.

    The comparison protocol (:mod:`comparisons.protocol`) also relies on:

    - ``search_space``: the settings it may tune, with ranges and priors
      (:mod:`comparisons.space`); the defaults are the constructor's (:meth:`defaults`);
    - ``budget_param``: the constructor argument that takes the training budget, counted in
      passes over the training split (``epochs``, ``n_iter``, ...), or ``None`` for a
      one-shot fit (closed form or a single pass: it sees the data once);
    - :meth:`epoch_end`, called by learners with an epoch loop after every pass: the
      protocol evaluates the validation split there (early stopping, pruning) and may ask
      the learner to stop;
    - :meth:`get_state` / :meth:`set_state`: a snapshot of the fitted model, so that the
      best epoch on validation can be put back after training;
    - :meth:`generate` for tasks scored in closed loop (``Task.closed_loop``): a generic
      fallback on :meth:`predict`, overridden by stateful learners
      (:meth:`supports_closed_loop` says whether a learner can be scored so).
    """

    name: ClassVar[str]
    family: ClassVar[str]  # "backprop", "spiking", "memory" or "classical"
    #: the rule-swap family this learner belongs to (``"rsnn"``...; None: none): the same
    #: network as the family's other members, trained by another rule (``rule``)
    rule_family: ClassVar[str | None] = None
    rule: ClassVar[str | None] = None
    scorecard: ClassVar[dict[str, bool]]
    #: the scorecard per component (:mod:`comparisons.learners.scorecard`):
    #: ``{"representation": card, "readout": card}``, each card criterion -> True / False /
    #: None (n/a), a whole component None where the learner has no such part; ``scorecard``
    #: is the weaker of the two (tested). None: not graded per component (a learner from
    #: outside this package); the report then prints its learner-level card only.
    scorecard_components: ClassVar[dict[str, dict[str, bool | None] | None] | None] = None
    description: ClassVar[str] = ""
    #: tunable settings: constructor argument -> range and prior (comparisons.space)
    search_space: ClassVar[dict[str, Param]] = {}
    #: constructor argument receiving the training budget in passes (None: one-shot fit)
    budget_param: ClassVar[str | None] = None
    #: True when ``predict``'s output at step t depends on the inputs up to t only (every
    #: learner of this package): the generic closed loop of :meth:`generate` is then valid
    causal: ClassVar[bool] = True

    def __init__(self, seed: int = 0, device: str = "auto") -> None:
        self.seed = int(seed)
        self.device = device
        self.last_inference_ops: dict[str, float] = {}
        #: False while the protocol scores the validation split (op counting can be slow)
        self.count_ops = True
        self._monitor: Monitor | None = None
        #: seconds the monitor took during the current fit (scoring validation is not
        #: training): see :meth:`fit_clock` and :meth:`fit_seconds`
        self.monitor_s = 0.0

    # ------------------------------------------------------------------ declared settings
    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every setting the constructor takes (besides ``seed`` and ``device``) with its
        default, including those a subclass passes on to its parent through ``**kwargs``."""
        out: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            init = klass.__dict__.get("__init__")
            if init is None or klass is object:
                continue
            for p in inspect.signature(init).parameters.values():
                if p.name in ("self", "seed", "device") or p.kind in (
                        p.VAR_KEYWORD, p.VAR_POSITIONAL):
                    continue
                out[p.name] = p.default
        return out

    # ----------------------------------------------------------------- validation monitor
    def set_monitor(self, monitor: Monitor | None) -> None:
        """Install (or remove) the callable :meth:`epoch_end` reports to."""
        self._monitor = monitor

    def epoch_end(self, epoch: int, samples_seen: int) -> bool:
        """Report the end of pass ``epoch`` (1-based) after ``samples_seen`` training samples;
        returns True when the learner should stop training (early stopping or pruning)."""
        monitor = getattr(self, "_monitor", None)
        if monitor is None:
            return False
        t = time.perf_counter()
        try:
            return bool(monitor(self, epoch, samples_seen))
        finally:
            self.monitor_s = getattr(self, "monitor_s", 0.0) + time.perf_counter() - t

    def fit_clock(self) -> float:
        """Start timing a fit (resets :attr:`monitor_s`); returns the start time."""
        self.monitor_s = 0.0
        return time.perf_counter()

    def fit_seconds(self, start: float) -> float:
        """Training seconds since ``start``: wall time minus the monitor's."""
        return time.perf_counter() - start - self.monitor_s

    def get_state(self) -> Any:
        """A snapshot of everything fitted (default: a deep copy of the attributes)."""
        return copy.deepcopy({k: v for k, v in vars(self).items() if k != "_monitor"})

    def set_state(self, state: Any) -> None:
        """Put back a snapshot taken by :meth:`get_state`."""
        self.__dict__.update(copy.deepcopy(state))

    # ------------------------------------------------------------------ declared abilities
    @classmethod
    @abstractmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        """Whether this learner can do ``task``; the string says why not."""

    @classmethod
    def applicable(cls, settings: dict[str, Any]) -> tuple[bool, str]:
        """Whether these constructor settings make sense together; the string says why not
        (the constructor raises :class:`SettingsNotApplicable` with it). Default: yes."""
        return True, ""

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

    # ------------------------------------------------------------------------ closed loop
    @classmethod
    def supports_closed_loop(cls, task: Task) -> tuple[bool, str]:
        """Whether this learner can be scored in closed loop on ``task`` (its outputs fed
        back as its next inputs; :func:`comparisons.protocol.predict_split`); the string
        says why not. Needs a real-valued per-step task with as many outputs as inputs,
        raw (not spike-encoded) inputs, and a learner that either steps its own state
        (overrides :meth:`generate`) or declares a causal ``predict`` (``causal``)."""
        if task.target != "real" or task.output != "per_step" or task.n_in != task.n_out:
            return False, ("closed loop feeds predictions back as inputs: needs a real-valued "
                           "per-step task with n_out == n_in")
        if task.spiking_input:
            return False, "closed loop cannot feed real-valued outputs back as spike trains"
        if not cls.causal and cls.generate is Learner.generate:
            return False, (f"{cls.name} has no closed-loop generate() and its predict is not "
                           f"causal")
        return True, ""

    def generate(self, prefix: np.ndarray, n_steps: int) -> np.ndarray:
        """Closed-loop (autoregressive) prediction: read ``prefix`` teacher-forced, then
        feed on its own output.

        The first output is the prediction after the last prefix step; each later one is
        the prediction after the previous output was fed as the next input (cast to the
        prefix's dtype, as any input is). This fallback re-runs :meth:`predict` on the
        growing sequence, ``prefix`` plus the outputs so far, and keeps the last step:
        correct for any causal learner (the output at step t depends on inputs up to t
        only), but O(n_steps x T) steps instead of O(T). Learners with a state override it
        with stateful stepping (ESN, LSTM/GRU/RNN), which must give the same outputs. Op
        counting is off meanwhile (:func:`comparisons.protocol.predict_split` counts the
        closed loop's ops on the sequence it fed).

        Parameters
        ----------
        prefix : ndarray, shape (P, B, F)
            Teacher-forced inputs; its last step is the last true input.
        n_steps : int
            Outputs to generate (>= 1).

        Returns
        -------
        ndarray, shape (n_steps, B, F)
            ``out[k]`` predicts the input that would follow step ``P - 1 + k``.
        """
        x = np.asarray(prefix)
        n_steps = int(n_steps)
        counting, self.count_ops = self.count_ops, False
        outs = []
        try:
            for k in range(n_steps):
                y = np.asarray(self.predict(x))[-1]
                outs.append(y)
                if k + 1 < n_steps:
                    x = np.concatenate([x, y[None].astype(x.dtype)])
        finally:
            self.count_ops = counting
        return np.stack(outs)

    def config(self) -> dict[str, Any]:
        """Settings that define the learner (used in the results' config hash)."""
        return {
            k: v for k, v in vars(self).items()
            if not k.startswith("_") and k not in ("last_inference_ops", "device", "count_ops",
                                                   "monitor_s")
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
