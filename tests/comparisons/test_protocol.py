"""The comparison protocol's contract with every registered learner (comparisons.protocol).

- search spaces name real constructor settings and contain the defaults;
- learners trained in epochs report every pass to the validation monitor, stop when told,
  and their snapshots put the model back exactly;
- the validation monitor keeps the best epoch; budgets and flags validate their input.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from comparisons.learners import get_learner_class, list_learners
from comparisons.protocol import (
    Budget,
    ValidationMonitor,
    check_learner_params,
    fit_with_validation,
    flags_for,
    learner_settings,
    tuning_improved_late,
)
from comparisons.space import Choice, Float, Int
from comparisons.tasks import get_task

#: small settings so that every learner fits in a second or two
FAST: dict[str, dict] = {
    "lstm": {"hidden_size": 8, "batch_size": 16},
    "gru": {"hidden_size": 8, "batch_size": 16},
    "rnn": {"hidden_size": 8, "batch_size": 16},
    "snn_bptt": {"hidden_size": 16, "batch_size": 16},
    "eprop": {"n_rec": 16, "batch_size": 16},
    "esn": {"reservoir_size": 30},
    "lif_reservoir": {"n_neurons": 40, "steps_per_input": 2},
    "stdp_reservoir": {"n_neurons": 40, "steps_per_input": 2, "n_stdp": 10},
    "diehl_cook": {"n_exc": 10},
    "rbm": {"n_hidden": 8},
    "mlp_window": {"hidden_size": 8},
    "hmm": {"n_states": 2},
}

#: small tasks, tried in this order; the first one a learner supports is used
SMALL_TASKS = [
    ("adding", {"length": 8, "n_train": 32, "n_val": 16, "n_test": 16}),
    ("mackey_glass", {"length": 60, "n_train": 8, "n_val": 4, "n_test": 4, "washout": 10}),
    ("associative_recall", {"n_patterns": 3, "n_bits": 32, "n_train": 24, "n_val": 12,
                            "n_test": 12}),
    ("spike_patterns", {"n_classes": 3, "n_channels": 10, "length": 20, "n_train": 30,
                        "n_val": 15, "n_test": 15}),
    ("seq_digits", {"n_train": 60, "n_val": 30, "n_test": 30}),
]


def small_task(name: str):
    cls = get_learner_class(name)
    for tname, params in SMALL_TASKS:
        task = get_task(tname, **params)
        if cls.supports(task)[0]:
            return task
    pytest.skip(f"{name} supports none of the small tasks")


def make(name: str, seed: int = 0, **over):
    cls = get_learner_class(name)
    params = {**FAST.get(name, {}), **over}
    return cls(seed=seed, device="cpu", **params)


LEARNERS = list_learners()
ITERATIVE = [n for n in LEARNERS if get_learner_class(n).budget_param is not None]


@pytest.mark.parametrize("name", LEARNERS)
def test_search_space_names_settings_and_contains_defaults(name):
    cls = get_learner_class(name)
    defaults = cls.defaults()
    for key, p in cls.search_space.items():
        assert key in defaults, f"{name}.search_space names {key!r}, not a setting"
        assert isinstance(p, Float | Int | Choice)
        assert key != cls.budget_param, "the budget is not tuned"
        if defaults[key] is not None:
            assert p.contains(defaults[key]), (name, key, defaults[key], p)
    assert cls.budget_param is None or cls.budget_param in defaults


def test_some_learners_train_in_epochs_and_some_do_not():
    assert {"lstm", "gru", "rnn", "snn_bptt", "eprop"} <= set(ITERATIVE)
    assert "esn" not in ITERATIVE and "hopfield" not in ITERATIVE


@pytest.mark.parametrize("name", ITERATIVE)
def test_iterative_learner_reports_every_pass_and_stops_when_told(name):
    cls = get_learner_class(name)
    task = small_task(name)
    data = task.make(0)
    n = data.train.n_samples
    calls: list[tuple[int, int]] = []

    def monitor(learner, epoch, seen):
        calls.append((epoch, seen))
        return False

    learner = make(name, **{cls.budget_param: 3})
    learner.set_monitor(monitor)
    learner.fit(task, data)
    assert [c[0] for c in calls] == [1, 2, 3]
    assert [c[1] for c in calls] == [n, 2 * n, 3 * n]

    calls.clear()

    def stop_at_two(learner, epoch, seen):
        calls.append((epoch, seen))
        return epoch >= 2

    learner = make(name, **{cls.budget_param: 5})
    learner.set_monitor(stop_at_two)
    learner.fit(task, data)
    assert [c[0] for c in calls] == [1, 2]


@pytest.mark.parametrize("name", LEARNERS)
def test_snapshot_puts_the_model_back(name):
    task = small_task(name)
    data = task.make(0)
    learner = make(name)
    learner.fit(task, data)
    before = np.asarray(learner.predict(data.val.x), dtype=float)
    state = learner.get_state()
    learner.fit(task, task.make(1))  # another fit changes the model
    learner.set_state(state)
    after = np.asarray(learner.predict(data.val.x), dtype=float)
    np.testing.assert_allclose(after, before, rtol=0, atol=0)


class _Fake:
    """A learner stand-in whose validation score follows a given curve."""

    def __init__(self, values):
        self.values = list(values)
        self.i = -1
        self.count_ops = True
        self.restored = None

    def predict(self, x):
        return self.values[self.i]

    def get_state(self):
        return self.i

    def set_state(self, s):
        self.restored = s


class _Task:
    metric = "mse"
    higher_is_better = False

    def score(self, pred, split):
        return {"mse": pred}


def _run(values, patience=None, report=None):
    mon = ValidationMonitor(_Task(), split=SimpleNamespace(x=None), patience=patience,
                            report=report)
    fake = _Fake(values)
    stop_at = None
    for epoch in range(1, len(values) + 1):
        fake.i = epoch - 1
        if mon(fake, epoch, 10 * epoch):
            stop_at = epoch
            break
    mon.finish(fake, 10)
    return mon, fake, stop_at


def test_monitor_keeps_best_epoch_and_restores_it():
    mon, fake, stop = _run([0.5, 0.2, 0.3, 0.4])
    assert mon.best == 0.2 and mon.best_epoch == 2 and stop is None
    assert fake.restored == 1  # the snapshot taken at epoch 2
    mon, fake, _ = _run([0.5, 0.4, 0.3])
    assert fake.restored is None  # the last epoch is the best: nothing to put back


def test_monitor_early_stopping_counts_evaluations_without_improvement():
    mon, _, stop = _run([0.5, 0.2, 0.3, 0.3, 0.1], patience=2)
    assert stop == 4 and mon.stopped_early and mon.best == 0.2


def test_monitor_stops_when_the_pruner_says_so_and_ignores_nan():
    mon, _, stop = _run([math.nan, 0.3, 0.2], report=lambda e, v: e == 2)
    assert stop == 2 and mon.pruned and mon.best == 0.3


def test_budget_validates_and_reads_mappings():
    with pytest.raises(ValueError, match="Budget.passes must be >= 1, got 0"):
        Budget(passes=0)
    with pytest.raises(ValueError, match="budget has no setting 'pases'; choose from: .*passes"):
        Budget.from_dict({"pases": 3})
    b = Budget.from_dict({"trials": 4, "passes": 3})
    assert (b.trials, b.passes, b.n_startup) == (4, 3, 2)


def test_settings_budget_owns_the_epochs_and_typos_are_errors():
    cls = get_learner_class("lstm")
    s = learner_settings(cls, {"lr": 3e-3}, Budget(passes=7))
    assert s["epochs"] == 7 and s["lr"] == 3e-3 and s["hidden_size"] == cls.defaults()[
        "hidden_size"]
    with pytest.raises(ValueError, match=r"learner 'lstm' has no setting 'hiden_size'; "
                                         r"choose from: .*hidden_size"):
        check_learner_params(cls, {"hiden_size": 8})
    with pytest.raises(ValueError, match=r"epochs is set by the run's budget"):
        check_learner_params(cls, {"epochs": 3}, Budget())


def test_flags_failed_to_train():
    task = get_task("adding")  # lower is better
    assert flags_for(task, 0.2, ("chance", 0.167)) == ["failed_to_train"]
    assert flags_for(task, 0.167, ("chance", 0.167)) == ["failed_to_train"]
    assert flags_for(task, 0.01, ("chance", 0.167)) == []
    assert flags_for(task, float("nan"), ("chance", 0.167)) == ["failed_to_train"]


def test_fit_with_validation_never_touches_the_test_split():
    task = get_task("adding", length=8, n_train=32, n_val=16, n_test=12)
    data = task.make(0)
    seen = []
    learner = make("lstm", epochs=3)
    orig = learner.predict

    def spy(x):
        seen.append("val" if x is data.val.x else "test" if x is data.test.x else "other")
        return orig(x)

    learner.predict = spy
    info, mon = fit_with_validation(task, data, learner, patience=None)
    assert seen == ["val", "val", "val"]  # validation only, once per pass
    assert len(mon.curve) == 3 and mon.samples_seen == 3 * 32


@pytest.mark.parametrize("curve, late", [
    ([0.1] * 8, False),
    ([0.1, 0.2, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3], False),  # best at trial 6 of 8: settled
    ([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.4, 0.4], True),  # best at trial 7 of 8
    ([None, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.2], True),  # lower is better: any change
    ([0.1, 0.3], False),  # too few trials to tell
    ([None, None, None], False),
])
def test_tuning_improved_late(curve, late):
    assert tuning_improved_late(curve) is late


def test_tuning_improved_late_rejects_a_bad_fraction():
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\), got 1.5"):
        tuning_improved_late([0.1, 0.2, 0.3], fraction=1.5)
