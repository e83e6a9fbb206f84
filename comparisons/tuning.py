"""Equal-budget tuning: one Optuna study per (task, learner), validation split only.

Each study draws ``Budget.trials`` settings from the learner's declared search space
(:mod:`comparisons.space`) with Optuna's TPE sampler (Bergstra et al. 2011; Akiba et al.
2019): the learner's defaults are the first trial, then ``Budget.n_startup`` random trials,
then TPE. A trial trains on the tuning seed's training split for ``Budget.passes`` passes
(early stopping on validation, best epoch kept) and is worth its best validation score.
Trials whose validation curve falls below the median of earlier trials at the same epoch
are pruned (``MedianPruner``). The test split is never read here.

Studies live in an Optuna storage (SQLite next to the results store): a tuning run that is
killed resumes where it stopped, re-running only the trial that was in flight. With a Dask
client the trials of all studies run on the cluster (the driver asks and tells; a worker
decides pruning against a snapshot of the study's finished trials). In-process, trials run
one after the other and the TPE sampler is reseeded per trial from the study's seed and the
trial number, so a study is reproducible, resumed or not.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from comparisons.protocol import Budget, fit_with_validation, learner_settings

#: direction names for Optuna
_DIRECTION = {True: "maximize", False: "minimize"}


@dataclass(frozen=True)
class TuneSpec:
    """Everything that defines one study (picklable: it travels to Dask workers).

    Parameters
    ----------
    task, learner : str
        Registered names.
    task_params, learner_params : dict
        The task's settings, and the learner settings the user fixed (not tuned).
    budget : Budget
    seed : int
        Data and initialisation seed of every trial.
    device : str
    """

    task: str
    learner: str
    task_params: dict[str, Any] = field(default_factory=dict)
    learner_params: dict[str, Any] = field(default_factory=dict)
    budget: Budget = field(default_factory=Budget)
    seed: int = 0
    device: str = "auto"

    @property
    def label(self) -> str:
        return f"{self.task} / {self.learner}"

    def space(self) -> dict[str, Any]:
        """The searched part of the learner's space (settings the user fixed are left out)."""
        from comparisons.learners import get_learner_class

        cls = get_learner_class(self.learner)
        return {k: p for k, p in cls.search_space.items() if k not in self.learner_params}

    def n_trials(self) -> int:
        """Trials this study runs: the budget's, or 1 when nothing is left to search."""
        return self.budget.trials if self.space() else 1

    def higher_is_better(self) -> bool:
        from comparisons.tasks import get_task

        return bool(get_task(self.task, **self.task_params).higher_is_better)

    def study_name(self) -> str:
        """Stable name: task, learner and a hash of everything that shapes the trials,
        including the code fingerprint (edited code starts a new study). The number of
        trials is left out: a study asked for more trials later is extended."""
        from comparisons.space import describe
        from comparisons.sweep import code_fingerprint

        blob = json.dumps({"task": self.task, "task_params": self.task_params,
                           "learner": self.learner, "fixed": self.learner_params,
                           "space": describe(self.space()),
                           "budget": {k: v for k, v in self.budget.to_dict().items()
                                      if k != "trials"},
                           "seed": self.seed, "code": code_fingerprint()},
                          sort_keys=True, default=str)
        return f"{self.task}/{self.learner}/{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


# --------------------------------------------------------------------------- one trial
_DATA_CACHE: dict[str, Any] = {}


def _task_data(spec: TuneSpec):
    """The tuning seed's task and data (cached per process: trials reuse them)."""
    from comparisons.tasks import get_task

    key = json.dumps([spec.task, spec.task_params, spec.seed], sort_keys=True, default=str)
    if key not in _DATA_CACHE:
        if len(_DATA_CACHE) >= 4:
            _DATA_CACHE.pop(next(iter(_DATA_CACHE)))
        task = get_task(spec.task, **spec.task_params)
        _DATA_CACHE[key] = (task, task.make(spec.seed))
    return _DATA_CACHE[key]


def _pruner(budget: Budget):
    import optuna

    if not budget.prune:
        return optuna.pruners.NopPruner()
    # Nothing is pruned until the defaults and the random startup trials have finished
    # (the median needs references that ran their whole budget), nor before pass
    # ``prune_after`` (Optuna prunes at steps >= n_warmup_steps; a step is a pass).
    return optuna.pruners.MedianPruner(n_startup_trials=budget.n_startup + 1,
                                       n_warmup_steps=budget.n_prune_after)


def run_trial(spec: TuneSpec, params: dict[str, Any], prior: Sequence[Any] = ()
              ) -> dict[str, Any]:
    """Train one trial; runs in-process or on a Dask worker.

    Parameters
    ----------
    spec : TuneSpec
    params : dict
        The trial's settings (drawn by the driver's sampler).
    prior : sequence of optuna FrozenTrial
        The study's finished trials: pruning compares this trial's validation curve with
        theirs (Optuna's ``MedianPruner`` on a private in-memory copy of the study).

    Returns
    -------
    dict
        ``state`` ("COMPLETE", "PRUNED" or "FAIL"), ``value`` (best validation score),
        ``curve`` ([epoch, samples seen, validation score] per pass), ``wall_s``,
        ``error`` (traceback of a failed trial).
    """
    import optuna

    from comparisons.learners import get_learner_class
    from comparisons.space import distributions

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t0 = time.perf_counter()
    out: dict[str, Any] = {"state": "FAIL", "value": None, "curve": [], "error": None}
    try:
        task, data = _task_data(spec)
        shadow = optuna.create_study(direction=_DIRECTION[task.higher_is_better],
                                     pruner=_pruner(spec.budget))
        shadow.add_trials([t for t in prior if t.state.is_finished()])
        space = spec.space()
        shadow.enqueue_trial(params)
        strial = shadow.ask(distributions(space)) if space else shadow.ask()

        def report(epoch: int, value: float) -> bool:
            if not math.isfinite(value):
                return False
            strial.report(value, epoch)
            return bool(strial.should_prune())

        cls = get_learner_class(spec.learner)
        settings = learner_settings(cls, {**spec.learner_params, **params}, spec.budget)
        learner = cls(seed=spec.seed, device=spec.device, **settings)
        _, mon = fit_with_validation(task, data, learner, patience=spec.budget.patience,
                                     report=report)
        out["curve"] = [list(c) for c in mon.curve]
        out["epochs_run"] = mon.epochs_run
        if mon.pruned:
            out.update(state="PRUNED", value=mon.best if math.isfinite(mon.best) else None)
        elif math.isfinite(mon.best):
            out.update(state="COMPLETE", value=mon.best)
        else:
            out["error"] = "the validation score was never a finite number"
    except Exception:  # noqa: BLE001 - a failing trial is recorded, the study goes on
        out["error"] = traceback.format_exc()
    out["wall_s"] = time.perf_counter() - t0
    return out


# ------------------------------------------------------------------------------ studies
class _Study:
    """Driver-side state of one study: asks settings, tells results, resumes."""

    def __init__(self, spec: TuneSpec, storage: Any) -> None:
        import optuna

        self.spec = spec
        self.space = spec.space()
        self.total = spec.n_trials()
        self.study = optuna.create_study(
            storage=storage, study_name=spec.study_name(), load_if_exists=True,
            direction=_DIRECTION[spec.higher_is_better()], pruner=_pruner(spec.budget))
        # a trial left RUNNING by a killed run is failed and not counted: it runs again
        for t in self.study.get_trials(deepcopy=False,
                                       states=(optuna.trial.TrialState.RUNNING,)):
            self.study.tell(t.number, state=optuna.trial.TrialState.FAIL)
        if not self.study.get_trials(deepcopy=False):
            from comparisons.learners import get_learner_class

            d = get_learner_class(spec.learner).defaults()
            first = {k: d[k] for k in self.space if d.get(k) is not None
                     and self.space[k].contains(d[k])}
            self.study.enqueue_trial(first, user_attrs={"defaults": True})
        self.asked = 0

    def counted(self) -> list[Any]:
        return [t for t in self.study.get_trials(deepcopy=False)
                if t.user_attrs.get("counted") and t.state.is_finished()]

    def remaining(self) -> int:
        return max(0, self.total - len(self.counted()) - self.asked)

    def ask(self) -> tuple[Any, dict[str, Any]]:
        import optuna

        from comparisons.space import distributions

        n = len(self.study.get_trials(deepcopy=False))
        self.study.sampler = optuna.samplers.TPESampler(
            seed=(self.spec.seed * 1_000_003 + n) % 2**32,
            n_startup_trials=self.spec.budget.n_startup)
        trial = self.study.ask(distributions(self.space)) if self.space else self.study.ask()
        self.asked += 1
        return trial, dict(trial.params)

    def duplicate(self, params: dict[str, Any]) -> Any:
        """A finished trial with exactly these settings (categorical spaces repeat)."""
        for t in self.counted():
            if t.params == params and t.state.name == "COMPLETE":
                return t
        return None

    def tell(self, trial: Any, res: dict[str, Any]) -> None:
        import optuna

        states = optuna.trial.TrialState
        self.asked -= 1
        for epoch, _seen, value in res.get("curve", []):
            if value is not None and math.isfinite(value):
                trial.report(float(value), int(epoch))
        trial.set_user_attr("counted", True)
        trial.set_user_attr("wall_s", float(res.get("wall_s", 0.0)))
        trial.set_user_attr("epochs_run", int(res.get("epochs_run", 0) or 0))
        if res.get("duplicate_of") is not None:
            trial.set_user_attr("duplicate_of", int(res["duplicate_of"]))
        if res["state"] == "COMPLETE":
            self.study.tell(trial, float(res["value"]))
        elif res["state"] == "PRUNED":
            self.study.tell(trial, state=states.PRUNED)
        else:
            trial.set_user_attr("error", str(res.get("error"))[-2000:])
            self.study.tell(trial, state=states.FAIL)

    def prior(self) -> list[Any]:
        from optuna.trial import TrialState

        return self.study.get_trials(deepcopy=True, states=(TrialState.COMPLETE,
                                                            TrialState.PRUNED))

    def result(self) -> dict[str, Any]:
        """What the rows and the report keep of a study."""
        higher = self.spec.higher_is_better()
        trials, best_so_far, best = [], [], None
        for t in sorted(self.counted(), key=lambda t: t.number):
            value = t.value if t.state.name == "COMPLETE" else (
                t.intermediate_values[max(t.intermediate_values)]
                if t.intermediate_values else None)
            if t.state.name == "COMPLETE" and (best is None or (
                    t.value > best if higher else t.value < best)):
                best = t.value
            best_so_far.append(best)
            trials.append({"number": t.number, "state": t.state.name, "value": value,
                           "params": dict(t.params), "wall_s": t.user_attrs.get("wall_s"),
                           "epochs_run": t.user_attrs.get("epochs_run"),
                           "defaults": bool(t.user_attrs.get("defaults", False))})
        complete = [t for t in self.counted() if t.state.name == "COMPLETE"]
        chosen: dict[str, Any] = {}
        best_trial = None
        if complete:
            bt = (max if higher else min)(complete, key=lambda t: (t.value, -t.number)
                                          if higher else (t.value, t.number))
            chosen, best_trial = dict(bt.params), bt.number
        from comparisons.space import describe

        return {"study": self.spec.study_name(), "n_trials": self.total,
                "n_complete": sum(t["state"] == "COMPLETE" for t in trials),
                "n_pruned": sum(t["state"] == "PRUNED" for t in trials),
                "n_failed": sum(t["state"] == "FAIL" for t in trials),
                "best_value": best, "best_trial": best_trial, "chosen": chosen,
                "best_so_far": best_so_far, "trials": trials, "tune_seed": self.spec.seed,
                "space": describe(self.space), "fixed": dict(self.spec.learner_params),
                "budget": self.spec.budget.to_dict(),
                "sampler": f"TPE ({self.spec.budget.n_startup} random startup trials, "
                           "the defaults first)",
                "pruner": (f"median (validation curve; from pass "
                           f"{self.spec.budget.n_prune_after}, after "
                           f"{self.spec.budget.n_startup + 1} finished trials)"
                           if self.spec.budget.prune else "none"),
                "selection": "best validation score of the tuning seed"}


def _storage(path: str | None) -> Any:
    if path is None:
        return None
    import optuna

    return optuna.storages.RDBStorage(
        f"sqlite:///{path}", engine_kwargs={"connect_args": {"timeout": 60}})


def tune(specs: Sequence[TuneSpec], storage: str | None = None, client: Any = None,
         progress: bool = True, on_trial: Callable[[TuneSpec, dict], None] | None = None
         ) -> list[dict[str, Any]]:
    """Run (or resume) one study per spec; returns each study's :meth:`_Study.result`.

    Parameters
    ----------
    specs : sequence of TuneSpec
    storage : str, optional
        Path of the SQLite file that keeps the studies (``None``: in memory, no resume).
    client : distributed.Client, optional
        Run the trials on this Dask cluster (as many at once as it has worker threads).
    progress : bool
        One line per finished trial on stderr.
    on_trial : callable, optional
        Called with ``(spec, trial result)`` after each trial.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    store = _storage(storage)
    studies = [_Study(s, store) for s in specs]
    t0 = time.perf_counter()

    def finish(st: _Study, trial: Any, res: dict[str, Any]) -> None:
        st.tell(trial, res)
        if on_trial is not None:
            on_trial(st.spec, res)
        if progress:
            done = len(st.counted())
            r = st.result()
            task_metric = _metric(st.spec)
            val = res.get("value")
            print(f"[tune] {st.spec.label}: trial {done}/{st.total} {res['state'].lower()}"
                  f" val {task_metric} {_fmt(val)} (best {_fmt(r['best_value'])}) "
                  f"{res.get('wall_s', 0.0):.1f} s; {time.perf_counter() - t0:.0f} s elapsed",
                  file=sys.stderr, flush=True)

    if client is None:
        for st in studies:
            while st.remaining() > 0:
                asked = _ask_new(st, finish)
                if asked is not None:
                    finish(st, asked[0], run_trial(st.spec, asked[1], st.prior()))
    else:
        _tune_dask(studies, client, finish)
    return [st.result() for st in studies]


def _ask_new(st: _Study, finish) -> tuple[Any, dict[str, Any]] | None:
    """Ask ``st`` for a trial; settings a finished trial already had (categorical spaces
    repeat) reuse its value instead of training again (returns None then)."""
    trial, params = st.ask()
    dup = st.duplicate(params)
    if dup is None:
        return trial, params
    finish(st, trial, {"state": "COMPLETE", "value": dup.value, "curve": [], "wall_s": 0.0,
                       "duplicate_of": dup.number})
    return None


def _tune_dask(studies: list[_Study], client: Any, finish) -> None:
    """Keep every worker thread busy with trials, spreading them over the studies (a study
    gets a second trial in flight only when every study with trials left has one)."""
    from distributed import wait

    capacity = max(1, sum(client.nthreads().values()))
    running: dict[Any, tuple[_Study, Any]] = {}
    while True:
        level = 1
        while len(running) < capacity and any(st.remaining() > 0 for st in studies):
            progressed = False
            for st in studies:
                if len(running) >= capacity:
                    break
                if st.remaining() == 0 or sum(s is st for s, _ in running.values()) >= level:
                    continue
                progressed = True
                asked = _ask_new(st, finish)
                if asked is not None:
                    fut = client.submit(run_trial, st.spec, asked[1], st.prior(), pure=False)
                    running[fut] = (st, asked[0])
            if not progressed:
                level += 1
        if not running:
            return
        done, _ = wait(list(running), return_when="FIRST_COMPLETED")
        for fut in done:
            st, trial = running.pop(fut)
            try:
                res = fut.result()
            except Exception:  # noqa: BLE001 - a lost worker fails the trial, not the run
                res = {"state": "FAIL", "error": traceback.format_exc(), "curve": []}
            finish(st, trial, res)


def _metric(spec: TuneSpec) -> str:
    from comparisons.tasks import get_task

    return get_task(spec.task, **spec.task_params).metric


def _fmt(v: Any) -> str:
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.4g}"


__all__ = ["TuneSpec", "run_trial", "tune"]
