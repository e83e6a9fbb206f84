"""The protocol hooks of the spiking and memory learners (lif_reservoir, stdp_reservoir,
diehl_cook, hopfield, modern_hopfield, rbm) beyond the generic contract of test_protocol.py:

- training is the same whether or not a monitor scores the validation split after every pass;
- epoch-by-epoch drivers give the same model as the one-call fits they replace;
- predictions are the same with ``count_ops`` on or off, and the same when repeated;
- fits never read the test split.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from comparisons.learners import get_learner
from comparisons.tasks import get_task
from comparisons.tasks.base import Split

SMALL = {
    "lif_reservoir": ("adding", {"length": 8, "n_train": 32, "n_val": 16, "n_test": 16},
                      {"n_neurons": 40, "steps_per_input": 2}),
    "stdp_reservoir": ("adding", {"length": 8, "n_train": 32, "n_val": 16, "n_test": 16},
                       {"n_neurons": 40, "steps_per_input": 2, "n_stdp": 10}),
    "diehl_cook": ("seq_digits", {"n_train": 40, "n_val": 20, "n_test": 20}, {"n_exc": 10}),
    "hopfield": ("associative_recall", {"n_patterns": 3, "n_bits": 32, "n_train": 24,
                                        "n_val": 12, "n_test": 12}, {}),
    "modern_hopfield": ("associative_recall", {"n_patterns": 3, "n_bits": 32, "n_train": 24,
                                               "n_val": 12, "n_test": 12}, {}),
    "rbm": ("associative_recall", {"n_patterns": 3, "n_bits": 32, "n_train": 24, "n_val": 12,
                                   "n_test": 12}, {"n_hidden": 8, "epochs": 5}),
}


def setup(name: str, seed: int = 0, **over):
    tname, tparams, lparams = SMALL[name]
    task = get_task(tname, **tparams)
    return task, task.make(seed), get_learner(name, seed=seed, device="cpu",
                                              **{**lparams, **over})


@pytest.mark.parametrize("name", sorted(SMALL))
def test_count_ops_off_gives_the_same_predictions_and_repeats_are_equal(name):
    task, data, learner = setup(name)
    learner.fit(task, data)
    on = learner.predict(data.val.x)
    ops = dict(learner.last_inference_ops)
    learner.count_ops = False
    off = learner.predict(data.test.x[:, :3])
    off = learner.predict(data.val.x)
    learner.count_ops = True
    np.testing.assert_array_equal(on, off)
    assert learner.last_inference_ops == ops  # the uncounted predicts left the counts alone
    np.testing.assert_array_equal(learner.predict(data.val.x), on)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_fit_never_reads_the_test_split(name):
    task, data, learner = setup(name)
    learner.fit(task, data)
    want = learner.predict(data.val.x)
    poisoned = dataclasses.replace(data, test=Split(
        x=np.full_like(data.test.x, np.nan), y=np.full_like(data.test.y, -7),
        mask=data.test.mask))
    _, _, again = setup(name)
    again.fit(task, poisoned)
    np.testing.assert_array_equal(again.predict(data.val.x), want)


@pytest.mark.parametrize("name", ["stdp_reservoir", "diehl_cook", "rbm"])
def test_scoring_validation_every_pass_does_not_change_training(name):
    task, data, plain = setup(name, epochs=3)
    plain.fit(task, data)
    _, _, watched = setup(name, epochs=3)
    scores = []
    watched.set_monitor(lambda lr, epoch, seen: scores.append(lr.predict(data.val.x)) or False)
    watched.fit(task, data)
    assert len(scores) == 3
    np.testing.assert_array_equal(watched.predict(data.val.x), plain.predict(data.val.x))
    np.testing.assert_array_equal(scores[-1], plain.predict(data.val.x))


def test_stdp_reservoir_first_readout_pass_is_the_one_pass_fit():
    task, data, one = setup("stdp_reservoir", epochs=1)
    one.fit(task, data)
    _, _, three = setup("stdp_reservoir", epochs=3)
    seen = []
    three.set_monitor(lambda lr, epoch, s: seen.append(lr._w_out.copy()) or False)
    info = three.fit(task, data)
    np.testing.assert_array_equal(seen[0], one._w_out)
    assert not np.array_equal(seen[1], seen[0])  # the second pass goes on learning
    assert info.extra["epochs_run"] == 3
    # ridge is a closed form: one pass, whatever epochs says
    _, _, ridge = setup("stdp_reservoir", epochs=3, readout="ridge")
    calls = []
    ridge.set_monitor(lambda lr, epoch, s: calls.append(epoch) or False)
    assert ridge.fit(task, data).extra["epochs_run"] == 1 and calls == [1]


def test_lms_readout_starts_from_scratch_on_every_fit():
    task, data, lr = setup("lif_reservoir", readout="lms")
    lr.fit(task, data)
    w = lr._w_out.copy()
    lr.fit(task, data)
    np.testing.assert_array_equal(lr._w_out, w)


def test_rbm_epoch_by_epoch_equals_one_call_fit():
    from neurosim.memory.rbm import RBM

    task, data, lr = setup("rbm", epochs=6, k=2)
    lr.fit(task, data)
    y = (np.asarray(data.train.y) >= 0.5).astype(np.float64)
    ref = RBM(n_components=8, learning_rate=lr.learning_rate, n_iter=6, k=2, device="cpu",
              random_state=0).fit(y)
    np.testing.assert_array_equal(lr._model.components_, ref.components_)
    np.testing.assert_array_equal(lr._model.intercept_visible_, ref.intercept_visible_)
    np.testing.assert_array_equal(lr._model.intercept_hidden_, ref.intercept_hidden_)


def test_diehl_cook_epoch_end_keeps_training_and_stops_at_the_epoch():
    from neurosim.learning.diehl_cook import DiehlCook, DiehlCookConfig

    rng = np.random.default_rng(0)
    X = rng.integers(0, 17, size=(16, 64)).astype(float)
    y = np.arange(16) % 4
    cfg = DiehlCookConfig(n_input=64, n_exc=8, norm_total=78.0 * 64 / 784)
    ref = DiehlCook(cfg, max_pixel=16.0, random_state=0).fit(X, y, epochs=3)
    seen = []

    def keep(epoch):
        seen.append((epoch, m.W_.copy(), m.theta_.copy(), m.assignments_.copy()))
        return False

    m = DiehlCook(cfg, max_pixel=16.0, random_state=0)
    m.fit(X, y, epochs=3, epoch_end=keep)
    assert [s[0] for s in seen] == [1, 2, 3]
    for a, b in [(m.W_, ref.W_), (m.theta_, ref.theta_), (m.assignments_, ref.assignments_),
                 (seen[-1][1], ref.W_)]:
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(seen[0][1], seen[1][1])  # copies, not views of the weights
    stop = DiehlCook(cfg, max_pixel=16.0, random_state=0)
    stop.fit(X, y, epochs=3, epoch_end=lambda e: e >= 2)
    np.testing.assert_array_equal(stop.W_, seen[1][1])
    np.testing.assert_array_equal(stop.theta_, seen[1][2])
    np.testing.assert_array_equal(stop.assignments_, seen[1][3])


def test_pseudo_inverse_hopfield_is_not_local():
    assert get_learner("hopfield", rule="hebbian").scorecard["local_learning"]
    assert not get_learner("hopfield", rule="pseudo_inverse").scorecard["local_learning"]


@pytest.mark.parametrize("name", ["stdp_reservoir", "lif_reservoir"])
def test_feature_caches_give_the_results_of_simulating_again(name, monkeypatch):
    """Readout passes reuse the first pass's features, and predicts reuse the last array's
    features: the same weights and predictions as simulating every time, and the same op
    counts (a cached pass still counts its simulation)."""
    import comparisons.learners.lif_reservoir as lr

    over = {"epochs": 3, "lms_rate": 0.3} if name == "stdp_reservoir" else {}
    task, data, cached = setup(name, **over)
    info_c = cached.fit(task, data)
    p1 = cached.predict(data.val.x)
    p2 = cached.predict(data.val.x)  # served from the cache
    monkeypatch.setattr(lr, "_PASS_CACHE_BYTES", 0)
    monkeypatch.setattr(lr, "_PREDICT_CACHE_BYTES", 0)
    task, data, plain = setup(name, **over)
    info_p = plain.fit(task, data)
    np.testing.assert_array_equal(cached._w_out, plain._w_out)
    np.testing.assert_array_equal(p1, plain.predict(data.val.x))
    np.testing.assert_array_equal(p1, p2)
    assert info_c.train_ops == pytest.approx(info_p.train_ops)
    # a snapshot from another fit must not serve this reservoir's cached features
    state = cached.get_state()
    assert "_feat_cache" not in state
    cached.fit(task, task.make(1))
    cached.predict(data.val.x)
    cached.set_state(state)
    np.testing.assert_array_equal(cached.predict(data.val.x), p1)
