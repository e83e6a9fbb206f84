"""Protocol hooks of the backprop, spiking, window and state-space learners
(comparisons.learners.rnn / spiking / windows / statespace): what the generic contract test
(test_protocol.py) does not check.

- op counting off (``count_ops = False``) gives the same predictions and leaves the counts;
- snapshots restore a model after a fit on a task of another shape (rebuild path);
- the epoch loops reproduce the one-call fits they replaced (e-prop without a callback,
  Baum-Welch class by class, scikit-learn's MLP ``fit`` when one pass is one batch);
- settings exposed for tuning reach the model (ESN input scaling, e-prop learning rate).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from comparisons.learners import get_learner_class
from comparisons.tasks import get_task

ADDING = ("adding", {"length": 8, "n_train": 32, "n_test": 16})
MACKEY = ("mackey_glass", {"length": 60, "n_train": 8, "n_test": 4, "washout": 10})
SPIKES = ("spike_patterns", {"n_classes": 3, "n_channels": 10, "length": 20, "n_train": 30,
                             "n_test": 15})
SPIKES_WIDE = ("spike_patterns", {"n_classes": 3, "n_channels": 14, "length": 20,
                                  "n_train": 30, "n_test": 15})

SMALL = {
    "lstm": ({"hidden_size": 8, "batch_size": 16, "epochs": 2}, ADDING),
    "gru": ({"hidden_size": 8, "batch_size": 16, "epochs": 2}, ADDING),
    "rnn": ({"hidden_size": 8, "batch_size": 16, "epochs": 2}, ADDING),
    "snn_bptt": ({"hidden_size": 16, "batch_size": 16, "epochs": 2}, SPIKES),
    "eprop": ({"n_rec": 16, "batch_size": 16, "epochs": 2}, SPIKES),
    "esn": ({"reservoir_size": 30}, MACKEY),
    "ar_taps": ({}, MACKEY),
    "mlp_window": ({"hidden_size": 8, "epochs": 5}, SPIKES),
    "lds_kalman": ({}, MACKEY),
    "hmm": ({"n_states": 2, "n_iter": 3}, SPIKES),
}


def _task(spec):
    name, params = spec
    task = get_task(name, **params)
    return task, task.make(0)


def _fitted(name, spec=None, **over):
    params, default_spec = SMALL[name]
    task, data = _task(spec or default_spec)
    learner = get_learner_class(name)(seed=0, device="cpu", **{**params, **over})
    learner.fit(task, data)
    return learner, task, data


@pytest.mark.parametrize("name", sorted(SMALL))
def test_predictions_do_not_depend_on_op_counting(name):
    learner, _, data = _fitted(name)
    x = data.test.x
    counted = np.asarray(learner.predict(x), float)
    ops = dict(learner.last_inference_ops)
    assert ops  # counted when asked
    learner.count_ops = False
    quiet = np.asarray(learner.predict(x[:, :3]), float)  # fewer sequences: other counts
    full = np.asarray(learner.predict(x), float)
    learner.count_ops = True
    np.testing.assert_array_equal(full, counted)
    assert quiet.shape[0 if quiet.ndim == 2 else 1] == 3
    assert learner.last_inference_ops == ops  # not recounted while off


@pytest.mark.parametrize("name,other", [("lstm", MACKEY), ("snn_bptt", SPIKES_WIDE),
                                        ("eprop", SPIKES_WIDE)])
def test_snapshot_restores_after_a_fit_on_a_task_of_another_shape(name, other):
    learner, _, data = _fitted(name)
    before = np.asarray(learner.predict(data.test.x), float)
    state = learner.get_state()
    task2, data2 = _task(other)
    learner.fit(task2, data2)  # another input width: another model
    learner.set_state(state)
    after = np.asarray(learner.predict(data.test.x), float)
    np.testing.assert_array_equal(after, before)


def test_bptt_snapshot_is_a_copy_not_a_view():
    learner, _, data = _fitted("gru")
    state = learner.get_state()
    before = np.asarray(learner.predict(data.test.x), float)
    with torch.no_grad():
        for p in learner._model.parameters():
            p.add_(0.5)
    assert not np.array_equal(np.asarray(learner.predict(data.test.x), float), before)
    learner.set_state(state)
    np.testing.assert_array_equal(np.asarray(learner.predict(data.test.x), float), before)


def test_eprop_fit_callback_is_optional_and_stops_training():
    from backprop.eprop import EProp, make_temporal_patterns

    x, y = make_temporal_patterns(n_samples=24, n_in=8, steps=12, seed=0)
    plain = EProp(8, 10, 3, seed=0, device="cpu").fit(x, y, epochs=3, batch_size=8)
    seen = []

    def record(epoch):
        seen.append(epoch)
        return False

    net = EProp(8, 10, 3, seed=0, device="cpu")
    hist = net.fit(x, y, epochs=3, batch_size=8, callback=record)
    assert hist == plain and seen == [1, 2, 3]
    net = EProp(8, 10, 3, seed=0, device="cpu")
    assert len(net.fit(x, y, epochs=5, batch_size=8, callback=lambda e: e == 2)) == 2


def test_eprop_learning_rate_reaches_the_optimizer():
    learner, _, _ = _fitted("eprop", lr=1e-3)
    assert learner._net.params.lr == 1e-3
    assert learner._net.optimizer.param_groups[0]["lr"] == 1e-3


def test_esn_input_scaling_bounds_the_input_weights():
    learner, _, _ = _fitted("esn", input_scaling=0.25)
    w_in = learner._esn.w_in.abs()
    assert 0.1 < float(w_in.max()) <= 0.25  # 30 uniform draws on [-0.25, 0.25]


def test_hmm_passes_reproduce_baum_welch_class_by_class():
    from comparisons.learners.statespace import fit_gaussian_hmm

    learner, task, data = _fitted("hmm", n_iter=4)
    x = np.asarray(data.train.x, np.float64)
    x = x / (x.reshape(-1, x.shape[-1]).std(0) + 1e-8)
    y = np.asarray(data.train.y).astype(int)
    rng = np.random.default_rng(0)
    for c in range(task.n_out):
        *ref, _ = fit_gaussian_hmm(x[:, y == c], 2, 4, rng)
        for a, b in zip(learner._models[c], ref, strict=True):
            np.testing.assert_array_equal(a, b)


def test_hmm_reports_each_em_iteration():
    calls = []

    def monitor(learner, epoch, seen):
        calls.append((epoch, seen))
        return epoch == 3

    params, spec = SMALL["hmm"]
    task, data = _task(spec)
    learner = get_learner_class("hmm")(seed=0, **{**params, "n_iter": 4})
    learner.set_monitor(monitor)
    info = learner.fit(task, data)
    n = data.train.n_samples
    assert calls == [(1, n), (2, 2 * n), (3, 3 * n)] and len(info.history) == 3


@pytest.mark.parametrize("target", ["real", "class"])
def test_mlp_window_passes_equal_sklearn_fit_when_a_pass_is_one_batch(target):
    # <= 200 rows: scikit-learn's "auto" batch is the whole set, so the shuffle order does
    # not matter and pass-by-pass training must equal one fit(max_iter=epochs)
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    spec = SPIKES if target == "class" else ("mackey_glass", {
        "length": 24, "n_train": 6, "n_test": 4, "washout": 4})
    learner, task, data = _fitted("mlp_window", spec, epochs=40, hidden_size=6, taps=3)
    from comparisons.learners.windows import rows_for, targets_for

    X = rows_for(task, data.train.x, learner._taps_used, data.train.mask).astype(np.float64)
    assert len(X) <= 200
    y = targets_for(task, data.train.y, data.train.mask)
    y = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
    cls = MLPRegressor if target == "real" else MLPClassifier
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = cls(hidden_layer_sizes=(6,), max_iter=40, random_state=0).fit(X, y)
    assert learner._epochs == ref.n_iter_ == len(learner._model.loss_curve_)
    np.testing.assert_allclose(learner._model.loss_curve_, ref.loss_curve_, rtol=1e-9)
    for a, b in zip(learner._model.coefs_, ref.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_mlp_window_stops_by_sklearns_rule_and_reports_the_passes_it_ran():
    # a regression that converges: sklearn's fit stops when the training loss has not
    # improved by tol for n_iter_no_change passes; the pass loop stops at the same pass
    calls = []

    def monitor(learner, epoch, seen):
        calls.append(epoch)
        return False

    task, data = _task(("mackey_glass", {"length": 24, "n_train": 6, "n_test": 4,
                                         "washout": 4}))
    learner = get_learner_class("mlp_window")(seed=0, hidden_size=6, taps=3, epochs=500,
                                              lr=3e-2)
    learner.set_monitor(monitor)
    info = learner.fit(task, data)
    assert len(calls) == len(info.history) == learner._epochs < 500
    assert calls == list(range(1, len(calls) + 1))


@pytest.mark.parametrize("name", ["lstm", "snn_bptt", "eprop", "mlp_window", "hmm"])
def test_fit_time_leaves_out_the_time_spent_in_the_validation_monitor(name):
    import time

    params, spec = SMALL[name]
    task, data = _task(spec)
    budget = get_learner_class(name).budget_param
    learner = get_learner_class(name)(seed=0, device="cpu", **{**params, budget: 2})

    def slow_monitor(learner, epoch, seen):
        time.sleep(0.05)
        return False

    learner.set_monitor(slow_monitor)
    t0 = time.perf_counter()
    info = learner.fit(task, data)
    outside = time.perf_counter() - t0
    assert 0 <= info.wall_s <= outside - 2 * 0.05
