"""The comparison protocol: a declared budget, validation-only selection, failure flags.

Every learner of a run gets the same :class:`Budget`:

- ``trials`` tuning trials per (task, learner) (:mod:`comparisons.tuning`: Optuna's TPE
  sampler, the learner's defaults as the first trial, pruning on the validation curve);
- ``passes`` passes over the training split per fit — the training budget in samples seen
  (``passes x n_train``). Learners trained in epochs get ``passes`` epochs (their
  ``budget_param``); one-shot fits (ridge readouts, Hebbian storage, closed forms) see the
  data once, which is all they can use;
- early stopping on the validation split (``patience`` evaluations without improvement),
  after which the best epoch's model is put back.

The validation split decides everything (trial ranking, pruning, early stopping, which
epoch is kept). The test split is scored once per seed, after training, with the chosen
settings (:func:`comparisons.runner.run_cell`). A row whose test score does not beat the
task's best trivial baseline is flagged ``failed_to_train`` (:func:`flags_for`).

Tasks scored in closed loop (``Task.closed_loop``: the splits whose scored stretch the
model predicts from its own outputs, e.g. NeuroBench's Mackey-Glass) are scored through
:func:`predict_split`, validation and test alike; learners that cannot run so are skipped
(:meth:`~comparisons.learners.base.Learner.supports_closed_loop`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from comparisons.learners.base import FitInfo, Learner
from comparisons.tasks.base import Split, Task, TaskData
from comparisons.validation import check_int, check_real

#: ``report(epoch, value) -> prune?``: how a tuning trial hears about the validation curve
Reporter = Callable[[int, float], bool]


@dataclass(frozen=True)
class Budget:
    """The declared budget of a run, the same for every (task, learner) cell.

    Parameters
    ----------
    trials : int
        Tuning trials per (task, learner); 1 runs the defaults only (no tuning).
    passes : int
        Training passes over the training split per fit (epochs of iterative learners).
    patience : int or None
        Early stopping: stop after this many validation evaluations without improvement
        (``None``: train for all passes, still keeping the best epoch on validation).
    tune_seed : int or None
        Seed of the data and initialisation the trials use (``None``: the run's first
        seed). The evaluation seeds then train from scratch with the chosen settings.
    startup_trials : int or None
        Random trials before TPE models the results (``None``: ``max(2, trials // 3)``).
    prune : bool
        Stop trials whose validation curve falls below the median of earlier trials at
        the same epoch (Optuna's ``MedianPruner``), once the defaults and the random
        startup trials have finished and from pass ``prune_after`` on.
    prune_after : int or None
        The first pass at which a trial may be pruned (``None``: ``max(2, passes // 4)``).
        Learners that start slowly (a vanilla RNN on MNIST-1D sits at chance for several
        passes) are not judged on their first passes.
    """

    trials: int = 8
    passes: int = 20
    patience: int | None = 5
    tune_seed: int | None = None
    startup_trials: int | None = None
    prune: bool = True
    prune_after: int | None = None

    def __post_init__(self) -> None:
        check_int("Budget.trials", self.trials, low=1)
        check_int("Budget.passes", self.passes, low=1)
        if self.patience is not None:
            check_int("Budget.patience", self.patience, low=1)
        if self.tune_seed is not None:
            check_int("Budget.tune_seed", self.tune_seed, low=0)
        if self.startup_trials is not None:
            check_int("Budget.startup_trials", self.startup_trials, low=1)
        if not isinstance(self.prune, bool):
            raise TypeError(f"Budget.prune must be True or False, got {self.prune!r}")
        if self.prune_after is not None:
            check_int("Budget.prune_after", self.prune_after, low=1)

    @property
    def n_startup(self) -> int:
        return self.startup_trials if self.startup_trials is not None else max(
            2, self.trials // 3)

    @property
    def n_prune_after(self) -> int:
        """The first pass at which a trial may be pruned."""
        return self.prune_after if self.prune_after is not None else max(2, self.passes // 4)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | Budget | None) -> Budget:
        """A budget from a mapping (unknown keys are an error naming the allowed ones)."""
        if d is None:
            return cls()
        if isinstance(d, Budget):
            return d
        if not isinstance(d, dict):
            raise TypeError(f"budget must be a table of settings, got {d!r}")
        allowed = cls.__dataclass_fields__
        for k in d:
            if k not in allowed:
                raise ValueError(f"budget has no setting {k!r}; choose from: "
                                 f"{', '.join(sorted(allowed))}")
        return cls(**d)


def learner_supports(cls: Any, task: Task) -> tuple[bool, str]:
    """Whether learner class ``cls`` runs on ``task`` (``cls.supports``) and, where the
    task scores splits in closed loop, can be scored that way
    (``cls.supports_closed_loop``); the string says why not. The one check the runner, the
    tuning sweep and ``neurosim-compare list`` share."""
    ok, why = cls.supports(task)
    if ok and closed_loop_splits(task):
        ok, why = cls.supports_closed_loop(task)
    return ok, why


def closed_loop_splits(task: Task) -> tuple[str, ...]:
    """The splits of ``task`` scored in closed loop (``Task.closed_loop``; a spike-encoded
    task reports its base task's, so that such a pair is refused, not scored open-loop)."""
    own = getattr(task, "closed_loop", None)
    if own is None:
        own = getattr(getattr(task, "base", None), "closed_loop", None)
    return tuple(own or ())


def closed_loop_start(split: Split) -> int:
    """The first closed-loop step of ``split``: its scored steps must be one final stretch
    ``start .. T-1``, the same for every sequence (the input at ``start`` is the last true
    one; the model's outputs are fed from ``start + 1`` on)."""
    m = split.mask
    if m is None:
        raise ValueError("closed-loop scoring needs Split.mask (the scored final stretch)")
    m = np.asarray(m, bool)
    starts = m.argmax(axis=0)
    start = int(starts[0])
    if not m.any(axis=0).all() or (starts != start).any() or not m[start:].all() \
            or m[:start].any():
        raise ValueError("closed-loop scoring needs the scored steps of every sequence to be "
                         "the same final stretch of steps")
    return start


def closed_loop_predict(learner: Learner, split: Split) -> np.ndarray:
    """Predictions of ``learner`` on ``split`` with the scored stretch in closed loop.

    Steps before :func:`closed_loop_start` are teacher-forced; from there the learner reads
    the true input once and then its own outputs (:meth:`Learner.generate`). The returned
    array has ``split.y``'s shape: ``predict`` on the sequence the closed loop actually fed
    (the true prefix, then the generated outputs), with the scored stretch replaced by
    the generated outputs. That last ``predict`` is what sets ``last_inference_ops``: for a
    causal learner it does the closed loop's computation, so the op counts are those of
    the closed-loop run (prefix included).

    Returns
    -------
    ndarray, shape (T, B, n_out)
    """
    x = np.asarray(split.x)
    start = closed_loop_start(split)
    T = x.shape[0]
    gen = np.asarray(learner.generate(x[: start + 1], T - start))
    want = (T - start, *x.shape[1:])
    if gen.shape != want:
        raise ValueError(f"{learner.name}.generate must return shape {want}, got {gen.shape}")
    fed = np.concatenate([x[: start + 1], gen[:-1].astype(x.dtype)])
    pred = np.array(learner.predict(fed), copy=True)
    pred[start:] = gen
    return pred


def predict_split(task: Task, learner: Learner, data: TaskData, name: str) -> np.ndarray:
    """Predictions on split ``name`` of ``data`` as ``task`` scores it: teacher-forced
    (``learner.predict(x)``), or in closed loop for the splits in ``task.closed_loop``
    (:func:`closed_loop_predict`)."""
    split = data.split(name)
    if name in closed_loop_splits(task):
        return closed_loop_predict(learner, split)
    return learner.predict(split.x)


def _better(a: float, b: float, higher: bool) -> bool:
    return a > b if higher else a < b


@dataclass
class ValidationMonitor:
    """Scores the validation split after every training pass of a learner.

    Installed with :meth:`Learner.set_monitor`; the learner calls it from
    :meth:`Learner.epoch_end`. It keeps the validation curve, a snapshot of the best model
    so far, and tells the learner to stop after ``patience`` evaluations without
    improvement or when ``report`` (a tuning trial's pruner) says so.
    """

    task: Task
    split: Split
    patience: int | None = None
    report: Reporter | None = None
    #: score the split in closed loop (:func:`closed_loop_predict`)
    closed_loop: bool = False
    curve: list[tuple[int, int, float]] = field(default_factory=list)
    best: float = math.nan
    best_epoch: int = 0
    stopped_early: bool = False
    pruned: bool = False
    _state: Any = None
    _wait: int = 0

    def score(self, learner: Learner) -> float:
        """Headline metric of ``learner`` on the validation split (NaN if unusable)."""
        learner.count_ops = False
        try:
            pred = (closed_loop_predict(learner, self.split) if self.closed_loop
                    else learner.predict(self.split.x))
        finally:
            learner.count_ops = True
        v = self.task.score(pred, self.split).get(self.task.metric, math.nan)
        return float(v) if v is not None and math.isfinite(v) else math.nan

    def __call__(self, learner: Learner, epoch: int, samples_seen: int) -> bool:
        v = self.score(learner)
        self.curve.append((int(epoch), int(samples_seen), v))
        if math.isfinite(v) and (not math.isfinite(self.best)
                                 or _better(v, self.best, self.task.higher_is_better)):
            self.best, self.best_epoch, self._wait = v, int(epoch), 0
            self._state = learner.get_state()
        else:
            self._wait += 1
        if self.report is not None and self.report(int(epoch), v):
            self.pruned = True
            return True
        if self.patience is not None and self._wait >= self.patience:
            self.stopped_early = True
            return True
        return False

    def finish(self, learner: Learner, n_train: int) -> None:
        """After ``fit``: evaluate once if the learner never reported (one-shot fits), else
        put back the best epoch's model when a later one was worse."""
        if not self.curve:
            self(learner, 1, n_train)
            return
        if self._state is not None and self.best_epoch != self.curve[-1][0]:
            learner.set_state(self._state)
        self._state = None

    @property
    def epochs_run(self) -> int:
        return self.curve[-1][0] if self.curve else 0

    @property
    def samples_seen(self) -> int:
        return self.curve[-1][1] if self.curve else 0

    def summary(self) -> dict[str, Any]:
        return {"curve": [list(c) for c in self.curve], "best": self.best,
                "best_epoch": self.best_epoch, "epochs_run": self.epochs_run,
                "samples_seen": self.samples_seen, "stopped_early": self.stopped_early,
                "pruned": self.pruned}


def learner_settings(cls: type[Learner], params: dict[str, Any], budget: Budget | None
                     ) -> dict[str, Any]:
    """The settings a fit actually uses: the constructor's defaults, updated by ``params``,
    with the budget's passes in the learner's ``budget_param``."""
    out = {**cls.defaults(), **params}
    if budget is not None and cls.budget_param is not None:
        out[cls.budget_param] = budget.passes
    return out


def check_learner_params(cls: type[Learner], params: dict[str, Any],
                         budget: Budget | None = None) -> dict[str, Any]:
    """Reject unknown setting names, and settings the budget owns, before anything runs."""
    from comparisons.space import check_params

    check_params(f"learner {cls.name!r}", params, cls.defaults())
    if budget is not None and cls.budget_param is not None and cls.budget_param in params:
        raise ValueError(
            f"learner {cls.name!r}: {cls.budget_param} is set by the run's budget "
            f"(passes={budget.passes}, the same for every learner); change the budget, not "
            f"{cls.name}.{cls.budget_param}={params[cls.budget_param]!r}")
    return dict(params)


def fit_with_validation(task: Task, data: TaskData, learner: Learner,
                        patience: int | None = None, report: Reporter | None = None
                        ) -> tuple[FitInfo, ValidationMonitor]:
    """Fit ``learner`` on ``data.train`` watching ``data.val``; keep its best epoch.

    The test split is not touched here.
    """
    mon = ValidationMonitor(task, data.val, patience=patience, report=report,
                            closed_loop="val" in closed_loop_splits(task))
    learner.set_monitor(mon)
    try:
        info = learner.fit(task, data)
    finally:
        learner.set_monitor(None)
    mon.finish(learner, data.train.n_samples)
    return info, mon


def flags_for(task: Task, test_value: float | None, trivial: tuple[str, float] | None
              ) -> list[str]:
    """Flags of one row: ``failed_to_train`` when the test score does not beat the best
    trivial baseline (or is not a number)."""
    flags = []
    if test_value is None or not math.isfinite(test_value):
        flags.append("failed_to_train")
    elif trivial is not None and math.isfinite(trivial[1]) and not _better(
            test_value, trivial[1], task.higher_is_better):
        flags.append("failed_to_train")
    return flags


def tuning_improved_late(best_so_far: Sequence[float | None], fraction: float = 1 / 3
                         ) -> bool:
    """Whether a study found its best settings in its last ``fraction`` of trials.

    Parameters
    ----------
    best_so_far : sequence of float or None, shape (n_trials,)
        The best validation value after each trial (``None`` before the first finished
        trial), as in a tuning record's ``best_so_far``.
    fraction : float
        The closing share of the trials that counts as late (default: the last third).

    Returns
    -------
    bool
        True when the best value changed within the last ``max(1, floor(n * fraction))``
        trials: the search had not settled, and more trials may change the ranking. False
        for fewer than 3 trials (too few to tell).
    """
    check_real("fraction", fraction, low=0, high=1, low_open=True, high_open=True)
    vals = list(best_so_far or [])
    n = len(vals)
    if n < 3:
        return False
    k = max(1, int(n * fraction))
    return vals[-1] is not None and vals[-1] != vals[n - k - 1]


__all__ = ["Budget", "ValidationMonitor", "fit_with_validation", "learner_settings",
           "closed_loop_splits", "closed_loop_start", "closed_loop_predict", "predict_split",
           "check_learner_params", "flags_for", "tuning_improved_late", "Reporter"]
