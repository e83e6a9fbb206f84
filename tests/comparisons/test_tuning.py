"""Equal-budget tuning (comparisons.tuning): validation only, defaults first, selection by
validation, resume after a kill, pruning, reproducibility, Dask."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import optuna  # a core dependency: a missing optuna fails here, it does not skip
import pytest

from comparisons import tuning
from comparisons.learners import LEARNERS, register
from comparisons.learners.base import FitInfo, Learner
from comparisons.protocol import Budget
from comparisons.runner import run_cell
from comparisons.space import Choice, Float, distributions
from comparisons.tuning import TuneSpec, run_trial, tune

TASK = {"length": 6, "n_train": 20, "n_val": 12, "n_test": 8}  # n_val != n_test
SEEN: list[tuple[int, tuple[int, ...]]] = []
FITS: list[dict] = []


class _Quad(Learner):
    """Predicts the training mean plus a penalty (x - 1)^2 that shrinks with epochs: the
    validation MSE is smallest at x = 1, and every curve falls with the epochs."""

    name: ClassVar[str] = "test_quad"
    family: ClassVar[str] = "classical"
    scorecard: ClassVar[dict] = {}
    search_space: ClassVar[dict] = {"x": Float(-2.0, 2.0), "kind": Choice(("a", "b"))}
    budget_param: ClassVar[str] = "epochs"

    def __init__(self, seed=0, device="auto", x=-1.5, kind="a", epochs=3):
        super().__init__(seed, device)
        self.x, self.kind, self.epochs = x, kind, epochs
        self.level = 0

    @classmethod
    def supports(cls, task):
        return task.name == "adding", "adding only"

    def fit(self, task, data):
        FITS.append({"x": self.x, "kind": self.kind, "seed": self.seed})
        self.mean = float(np.mean(data.train.y))
        n = data.train.n_samples
        for e in range(1, self.epochs + 1):
            self.level = e
            if self.epoch_end(e, e * n):
                break
        return FitInfo(readout="none")

    def predict(self, x):
        SEEN.append((id(x), x.shape))
        bias = (self.x - 1.0) ** 2 * (1.0 + 1.0 / self.level) + (0.01 if self.kind == "b"
                                                                   else 0.0)
        return np.full((x.shape[1], 1), self.mean + bias, np.float32)

    def param_count(self):
        return 1


@pytest.fixture(autouse=True)
def _registered():
    register(_Quad)
    SEEN.clear()
    FITS.clear()
    tuning._DATA_CACHE.clear()
    yield
    LEARNERS.pop("test_quad", None)


def spec(trials=6, **kw) -> TuneSpec:
    return TuneSpec("adding", "test_quad", dict(TASK), {}, Budget(trials=trials, passes=3,
                                                                  patience=None, **kw), seed=3)


def test_tuning_never_sees_the_test_split_and_defaults_come_first():
    s = spec()
    res = tune([s], progress=False)[0]
    task, data = tuning._task_data(s)
    assert SEEN, "the trials scored nothing"
    assert all(i != id(data.test.x) for i, _ in SEEN)
    assert {shape[1] for _, shape in SEEN} == {TASK["n_val"]}  # validation only
    assert res["trials"][0]["params"] == {"x": -1.5, "kind": "a"}  # the defaults
    assert res["trials"][0]["defaults"] is True
    assert len(res["trials"]) == 6 == res["n_trials"]


def test_selection_is_the_best_validation_trial():
    res = tune([spec(trials=8)], progress=False)[0]
    complete = [t for t in res["trials"] if t["state"] == "COMPLETE"]
    best = min(complete, key=lambda t: t["value"])
    assert res["chosen"] == best["params"] and res["best_value"] == best["value"]
    assert res["best_so_far"] == sorted(res["best_so_far"], reverse=True)  # never worse
    # the chosen settings improve on the defaults (x = 1 is optimal)
    assert abs(res["chosen"]["x"] - 1.0) < abs(-1.5 - 1.0)


def test_run_cell_scores_test_once_and_records_train_val_test():
    row = run_cell("adding", "test_quad", 5, TASK, {"x": 0.5}, budget=Budget(passes=3,
                                                                              patience=None))
    assert row["status"] == "ok", row["error"]
    shapes = [shape[1] for _, shape in SEEN]
    assert shapes.count(TASK["n_test"]) == 1  # the test split, once
    assert shapes.count(TASK["n_val"]) == 3 + 1  # each pass, then the final val score
    assert set(row["val_metrics"]) == set(row["metrics"]) == set(row["train_metrics"])
    assert row["chosen_params"] == {"x": 0.5, "kind": "a", "epochs": 3}
    assert row["training"]["epochs_run"] == 3 and row["budget"]["passes"] == 3


def test_same_spec_same_trials():
    a = tune([spec()], progress=False)[0]
    b = tune([spec()], progress=False)[0]
    assert [t["params"] for t in a["trials"]] == [t["params"] for t in b["trials"]]


def test_study_resumes_and_extends_and_reruns_a_killed_trial(tmp_path):
    db = str(tmp_path / "s.optuna.sqlite")
    tune([spec(trials=3)], storage=db, progress=False)
    assert len(FITS) == 3
    FITS.clear()
    tune([spec(trials=3)], storage=db, progress=False)
    assert FITS == []  # finished: nothing runs again
    # a run killed mid-trial leaves a RUNNING trial: it is failed, not counted, rerun
    st = tuning._Study(spec(trials=5), tuning._storage(db))
    st.ask()
    res = tune([spec(trials=5)], storage=db, progress=False)[0]
    assert len(FITS) == 2
    assert res["n_trials"] == 5 and len(res["trials"]) == 5


def test_pruning_waits_for_the_startup_trials_and_a_quarter_of_the_passes():
    b = Budget(trials=9, passes=20)
    p = tuning._pruner(b)
    assert isinstance(p, optuna.pruners.MedianPruner)
    assert b.n_startup == 3 and p._n_startup_trials == 4  # defaults + 3 random trials
    assert b.n_prune_after == 5 and p._n_warmup_steps == 5
    assert Budget(passes=3).n_prune_after == 2 and Budget(prune_after=7).n_prune_after == 7
    assert isinstance(tuning._pruner(Budget(prune=False)), optuna.pruners.NopPruner)
    with pytest.raises(ValueError, match="Budget.prune_after must be >= 1, got 0"):
        Budget(prune_after=0)


def test_a_worse_curve_is_pruned_against_earlier_trials():
    s = spec(startup_trials=1)  # pruning from the 3rd trial on, from pass 2
    study = optuna.create_study(direction="minimize")
    finished = {}
    for x in (1.0, 0.8):  # two good finished trials
        params = {"x": x, "kind": "a"}
        res = run_trial(s, params, [])
        finished[x] = res["value"]
        assert res["state"] == "COMPLETE"
        study.enqueue_trial(params)
        t = study.ask(distributions(s.space()))
        for e, _, v in res["curve"]:
            t.report(v, e)
        study.tell(t, res["value"])
    out = run_trial(s, {"x": -2.0, "kind": "b"}, study.trials)
    assert out["state"] == "PRUNED" and out["epochs_run"] == 2  # pruning starts at epoch 2
    best = min(finished, key=finished.get)  # a rerun of the better one beats the median
    out = run_trial(s, {"x": best, "kind": "a"}, study.trials)
    assert out["state"] == "COMPLETE" and out["epochs_run"] == 3


def test_failing_trials_are_recorded_and_defaults_used_when_all_fail():
    s = TuneSpec("adding", "test_quad", dict(TASK), {}, Budget(trials=2, passes=2), seed=0)
    orig = _Quad.fit

    def boom(self, task, data):
        raise RuntimeError("deliberate")

    _Quad.fit = boom
    try:
        res = tune([s], progress=False)[0]
    finally:
        _Quad.fit = orig
    assert res["n_failed"] == 2 and res["chosen"] == {}
    assert all("deliberate" in str(t.get("error", "")) or t["state"] == "FAIL"
               for t in res["trials"])


def test_fixed_settings_are_not_searched():
    s = TuneSpec("adding", "test_quad", dict(TASK), {"kind": "b"}, Budget(trials=3, passes=2),
                 seed=0)
    res = tune([s], progress=False)[0]
    assert all(set(t["params"]) == {"x"} for t in res["trials"])
    assert all(f["kind"] == "b" for f in FITS)


def test_trials_run_on_a_dask_cluster():
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    s = TuneSpec("adding", "lstm", {"length": 5, "n_train": 16, "n_val": 8, "n_test": 8},
                 {"hidden_size": 4}, Budget(trials=3, passes=2), seed=0, device="cpu")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as cluster, \
            Client(cluster) as client:
        res = tune([s], client=client, progress=False)[0]
    assert len(res["trials"]) == 3 and res["n_failed"] == 0, res["trials"]
    complete = [t for t in res["trials"] if t["state"] == "COMPLETE"]
    assert res["chosen"] == min(complete, key=lambda t: t["value"])["params"]
