"""Task protocol shared by every sequence task in the suite.

A task generates its train / validation / test data offline from a seed and knows how to
score predictions. The protocol: learners fit on ``train``, select settings and early-stop on
``val`` only, and ``test`` is scored once per seed; a seed resamples all three splits. Data
are real-valued tensors of shape ``(T, B, F)`` (time first, like ``nn.LSTM``); spike
encodings of the same data are produced by :mod:`comparisons.tasks.encoding` and reached
through :meth:`Task.encode`.

Hooks a task may override: :meth:`Task.extra_scores` (more metrics in :meth:`Task.score`,
e.g. sMAPE), :meth:`Task.baselines` (named trivial predictors besides ``chance``, e.g.
persistence; described in ``Task.baseline_descriptions``), :meth:`Task.ceiling` (the best
achievable headline metric, where known), :meth:`Task.input_range` (the value range that
spike encoders map to [0, 1]). Published reference values live in ``Task.literature``.

Targets come in three kinds (``Task.target``):

- ``"binary"``: ``y`` holds 0/1 values, predictions are probabilities (or 0/1) of the same shape;
- ``"class"``: ``y`` holds integer class labels, predictions are scores ``(..., n_out)``;
- ``"real"``: ``y`` holds real values, predictions have the same shape.

and two output timings (``Task.output``):

- ``"per_step"``: ``y`` has shape ``(T, B, n_out)`` (``(T, B)`` for class labels) and ``mask``
  ``(T, B)`` says which steps are scored;
- ``"final"``: one target per sequence, ``y`` has shape ``(B, n_out)`` (``(B,)`` for labels).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from comparisons.validation import check_choice

TARGET_KINDS = ("binary", "class", "real")
OUTPUT_KINDS = ("per_step", "final")
#: the names of a task's splits, in protocol order
SPLITS = ("train", "val", "test")
#: the keys of a ``Task.literature`` entry
LITERATURE_KEYS = ("model", "value", "metric", "source", "setting")


@dataclass(frozen=True)
class Split:
    """One split of a task's data.

    Parameters
    ----------
    x : ndarray, shape (T, B, F), float32
        Inputs, time first.
    y : ndarray
        Targets; shape depends on the task's ``target`` and ``output`` (see module docstring).
    mask : ndarray, shape (T, B), bool, optional
        Scored steps of a per-step task (``None``: every step is scored).
    """

    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.x.ndim != 3:
            raise ValueError(f"Split.x must have shape (T, B, F), got shape {self.x.shape}")
        if self.mask is not None and self.mask.shape != self.x.shape[:2]:
            raise ValueError(
                f"Split.mask must have shape (T, B) = {self.x.shape[:2]}, got {self.mask.shape}"
            )

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[1])

    @property
    def n_steps(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True, kw_only=True)
class TaskData:
    """Train, validation and test splits plus free-form metadata (generation settings).

    Parameters
    ----------
    train : Split
        Fitting data.
    val : Split
        Validation data: model selection and early stopping only. Drawn from the test
        distribution where train and test differ (e.g. longer numbers in binary addition).
    test : Split
        Held-out data, scored once per seed with the chosen settings.
    meta : dict
        Generation settings and split bookkeeping (seed, sizes, indices of re-split datasets).

    All fields are keyword-only: ``TaskData(train=..., val=..., test=...)``.
    """

    train: Split
    val: Split
    test: Split
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in SPLITS:
            value = getattr(self, name)
            if not isinstance(value, Split):
                raise TypeError(f"TaskData.{name} must be a Split, got {type(value).__name__}")

    def split(self, name: str) -> Split:
        """The split called ``name`` (``"train"``, ``"val"`` or ``"test"``)."""
        return getattr(self, check_choice("split", name, SPLITS))


class Task(ABC):
    """A sequence task: generates data from a seed and scores predictions.

    Subclasses set the class attributes and implement :meth:`make`; scoring, the chance
    baseline and :meth:`trivial_best` are shared.
    """

    name: ClassVar[str]
    target: ClassVar[str]  # one of TARGET_KINDS
    output: ClassVar[str]  # one of OUTPUT_KINDS
    metric: ClassVar[str]  # name of the headline metric returned by :meth:`score`
    higher_is_better: ClassVar[bool] = True
    description: ClassVar[str] = ""

    n_in: int
    n_out: int

    #: one-line statement of the chance baseline from theory (for ``describe()``).
    chance_note: ClassVar[str] = ""
    #: True when ``x`` already holds 0/1 spikes (no encoding needed).
    spiking_input: ClassVar[bool] = False
    #: True when a sample has no time axis to speak of (one step): criteria about time,
    #: such as the scorecard's "online in time", do not apply ("n/a").
    static: ClassVar[bool] = False
    #: one line per name returned by :meth:`baselines`.
    baseline_descriptions: ClassVar[dict[str, str]] = {
        "chance": "best constant prediction fitted on the train split (majority bit, "
                  "majority class or mean target), scored on the requested split",
    }
    #: baselines that are reference solutions, not trivial rules (left out of
    #: :meth:`trivial_best`).
    reference_baselines: ClassVar[tuple[str, ...]] = ()
    #: published values for (nearly) this task definition; each entry has the keys
    #: ``LITERATURE_KEYS``: model, value, metric (a key of :meth:`score`), source
    #: ("Author Year, venue/arXiv id") and setting (what the number was measured on).
    literature: ClassVar[tuple[dict[str, Any], ...]] = ()

    @abstractmethod
    def make(self, seed: int) -> TaskData:
        """Generate the train, validation and test splits deterministically from ``seed``."""

    def config(self) -> dict[str, Any]:
        """Settings that define the task (used in the results' config hash)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def split_sizes(self) -> dict[str, int]:
        """Samples per split as the settings declare them, without generating data."""
        return {s: int(getattr(self, f"n_{s}")) for s in SPLITS}

    def _task_data(self, seed: int, train: Split, val: Split, test: Split,
                   **extra: Any) -> TaskData:
        """A :class:`TaskData` whose ``meta`` holds the seed, the config and the sizes."""
        sizes = {"train": train.n_samples, "val": val.n_samples, "test": test.n_samples}
        meta = {"seed": seed, **self.config(), "split_sizes": sizes, **extra}
        return TaskData(train=train, val=val, test=test, meta=meta)

    # ----------------------------------------------------------------------------- scoring
    def score(self, pred: np.ndarray, split: Split) -> dict[str, float]:
        """Score predictions against a split; returns ``{metric name: value}``.

        The task's headline metric is ``self.metric``; tasks may add more entries.
        """
        pred = np.asarray(pred)
        if self.target == "binary":
            out = _score_binary(pred, split, self.output)
        elif self.target == "class":
            out = _score_class(pred, split, self.output)
        else:
            out = _score_real(pred, split, self.output)
        out.update(self.extra_scores(pred, split))
        return out

    def extra_scores(self, pred: np.ndarray, split: Split) -> dict[str, float]:
        """Task-specific metrics added to :meth:`score` (hook; ``pred`` is already checked)."""
        return {}

    # --------------------------------------------------------------------------- baselines
    def baselines(self, data: TaskData, split: str = "test") -> dict[str, dict[str, float]]:
        """Scores of trivial reference predictors on one split: ``{name: scores}``.

        Each value has the keys of :meth:`score`. Always contains ``"chance"`` (the best
        constant predictor fitted on ``data.train`` and scored on ``split``: nothing is
        fitted on the split it is scored on); tasks add their own (persistence for
        time-series prediction, the cue for pattern completion, ...), each described in
        ``baseline_descriptions``.

        Parameters
        ----------
        data : TaskData
        split : {"train", "val", "test"}
        """
        target = data.split(split)
        return {"chance": self.chance(target, fit=data.train)}

    def trivial_best(self, data: TaskData, split: str = "test") -> tuple[str, float]:
        """Name and headline-metric value of the best trivial baseline on ``split``.

        "Best" respects ``higher_is_better``; baselines in ``reference_baselines`` (reference
        solutions such as the nearest stored pattern) and non-finite values are left out;
        ties go to the first name in alphabetical order. A learner that does not beat this
        value is flagged "failed to train" by the report.
        """
        base = self.baselines(data, split)
        vals = sorted((name, float(s[self.metric])) for name, s in base.items()
                      if name not in self.reference_baselines
                      and np.isfinite(s[self.metric]))
        if not vals:
            return "chance", float(base["chance"][self.metric])
        sign = -1.0 if self.higher_is_better else 1.0
        return min(vals, key=lambda nv: sign * nv[1])

    def ceiling(self, data: TaskData, split: str = "test") -> float | None:
        """Best achievable headline metric on ``split``, or ``None`` where unknown.

        Tasks whose target is a deterministic function of the inputs seen so far return the
        perfect value (1 for accuracies, 0 for errors); tasks with noise override this with
        the Bayes-optimal value where it can be computed. Default: ``None``.
        """
        data.split(split)  # validates the name
        return None

    def _perfect(self) -> float:
        """The best value of the headline metric (1 for accuracies, 0 for errors)."""
        return 1.0 if self.higher_is_better else 0.0

    # ---------------------------------------------------------------------------- encoding
    def input_range(self, data: TaskData) -> tuple[np.ndarray, np.ndarray]:
        """Per-feature ``(low, high)`` used to normalise inputs to [0, 1] before encoding.

        Default: min and max of the training inputs (features that are constant get
        ``high = low + 1``). Tasks whose inputs have a known range override this.
        """
        x = data.train.x
        low = x.min(axis=(0, 1)).astype(np.float64)
        high = x.max(axis=(0, 1)).astype(np.float64)
        high = np.where(high > low, high, low + 1.0)
        return low, high

    def encode(
        self,
        data: TaskData | Split,
        method: str,
        steps_per_value: int | None = None,
        seed: int | np.random.Generator = 0,
        **options: Any,
    ) -> TaskData | Split:
        """Spike-encode a task's data: ``rate``, ``latency`` or ``delta``.

        Given a :class:`TaskData`, all three splits are encoded with the input range of the
        training split and a :class:`TaskData` is returned (the usual call); given a single
        :class:`Split`, its own range is used and a :class:`Split` is returned. Inputs become
        float32 0/1 spikes ``(T * steps_per_value, B, F')``; per-step targets and masks are
        stretched so :meth:`score` works unchanged. See
        :func:`comparisons.tasks.encoding.encode_task_data` for the options.
        """
        from comparisons.tasks.encoding import encode_task_data

        if isinstance(data, Split):
            alone = TaskData(train=data, val=data, test=data)
            return encode_task_data(self, alone, method, steps_per_value=steps_per_value,
                                    seed=seed, splits=("train",), **options).train
        return encode_task_data(self, data, method, steps_per_value=steps_per_value,
                                seed=seed, **options)

    def chance(self, split: Split, fit: Split | None = None) -> dict[str, float]:
        """Scores on ``split`` of the best input-independent (constant) predictor.

        Binary: the majority bit; class: the majority class; real: the mean target — each
        computed on the scored steps of ``fit`` (default: ``split`` itself, the constant's
        best case; :meth:`baselines` passes the train split). Returns the keys of
        :meth:`score`.
        """
        fit = split if fit is None else fit
        vals = _masked(np.asarray(fit.y), fit, self.output)
        y = np.asarray(split.y)
        if self.target == "binary":
            const = np.full(y.shape, float(vals.mean() >= 0.5), dtype=np.float32)
        elif self.target == "class":
            n_cls = max(int(self.n_out), int(vals.max()) + 1, int(y.max()) + 1)
            counts = np.bincount(vals.astype(int).reshape(-1), minlength=n_cls)
            const = np.zeros((*y.shape, n_cls), dtype=np.float32)
            const[..., int(counts.argmax())] = 1.0
        else:
            const = np.broadcast_to(vals.mean(axis=0), y.shape).astype(np.float32)
        return self.score(const, split)


def _masked(a: np.ndarray, split: Split, output: str) -> np.ndarray:
    """Select the scored entries; per-step arrays keep their trailing feature axis."""
    if output == "per_step" and split.mask is not None:
        return a[split.mask]
    return a.reshape(-1) if a.ndim <= 2 else a.reshape(-1, a.shape[-1])


def _check_shape(pred: np.ndarray, want: tuple[int, ...], what: str) -> None:
    if pred.shape != want:
        raise ValueError(f"predictions for {what} must have shape {want}, got {pred.shape}")


def _score_binary(pred: np.ndarray, split: Split, output: str) -> dict[str, float]:
    _check_shape(pred, split.y.shape, "a binary task")
    bits = pred >= 0.5
    correct = bits == (split.y >= 0.5)
    if output == "per_step":
        m = np.ones(split.x.shape[:2], bool) if split.mask is None else split.mask
        per_seq = np.all(correct.reshape(correct.shape[0], correct.shape[1], -1) | ~m[..., None],
                         axis=(0, 2))
        acc = float(correct[m].mean())
    else:
        per_seq = np.all(correct.reshape(correct.shape[0], -1), axis=1)
        acc = float(correct.mean())
    return {"accuracy": acc, "sequence_accuracy": float(per_seq.mean())}


def _score_class(pred: np.ndarray, split: Split, output: str) -> dict[str, float]:
    want = (*split.y.shape, pred.shape[-1]) if pred.ndim == split.y.ndim + 1 else split.y.shape
    _check_shape(pred, want, "a classification task")
    labels = pred.argmax(-1) if pred.ndim == split.y.ndim + 1 else pred
    correct = labels == split.y
    if output == "per_step" and split.mask is not None:
        correct = correct[split.mask]
    return {"accuracy": float(np.mean(correct))}


def _score_real(pred: np.ndarray, split: Split, output: str) -> dict[str, float]:
    _check_shape(pred, split.y.shape, "a regression task")
    err = (pred - split.y) ** 2
    y = split.y
    if output == "per_step" and split.mask is not None:
        err, y = err[split.mask], y[split.mask]
    mse = float(np.mean(err))
    var = float(np.var(y))
    return {"mse": mse, "nrmse": float(np.sqrt(mse / var)) if var > 0 else float("nan")}
