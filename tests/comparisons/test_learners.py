"""Learners: declared abilities, scorecards, measured op counts vs hand counts, learning."""

import copy

import numpy as np
import pytest

from comparisons.learners import (
    SCORECARD_CRITERIA,
    TaskNotSupported,
    get_learner,
    get_learner_class,
    list_learners,
)
from comparisons.runner import run_cell
from comparisons.tasks import get_task


@pytest.mark.parametrize("name", list_learners())
def test_every_learner_has_a_complete_scorecard(name):
    cls = get_learner_class(name)
    assert set(cls.scorecard) == set(SCORECARD_CRITERIA), name
    assert all(isinstance(v, bool) for v in cls.scorecard.values())
    assert cls.family in {"backprop", "spiking", "memory", "classical", "reservoir"}


def test_bptt_is_not_plausible_and_hebbian_hopfield_is_local():
    assert not any(get_learner_class("lstm").scorecard.values())
    hop = get_learner_class("hopfield").scorecard
    assert hop["local_learning"] and hop["no_weight_transport"] and hop["no_target_outputs"]


def test_unsupported_task_raises_clear_error():
    task = get_task("adding", n_train=4, n_test=2)
    learner = get_learner("hopfield")
    with pytest.raises(TaskNotSupported, match="cannot do task 'adding'"):
        learner.fit(task, task.make(0))


def test_predict_before_fit_is_an_error():
    with pytest.raises(RuntimeError, match="call fit"):
        get_learner("lif_reservoir").predict(np.zeros((3, 2, 2)))


def test_lif_reservoir_op_counts_match_hand_count():
    task = get_task("binary_addition", train_bits=3, test_bits=4, n_train=40, n_test=10)
    data = task.make(0)
    lr = get_learner("lif_reservoir", n_neurons=50, steps_per_input=4, seed=1)
    lr.fit(task, data)
    x = data.test.x[:, :1]  # one sequence
    lr.predict(x)
    ops = lr.last_inference_ops
    T, n, k = x.shape[0], 50, 4
    assert ops["neuron_updates"] == T * k * n
    art = lr.artifacts()  # raster of this same sequence
    counts = np.bincount(art["raster_i"], minlength=n)
    assert ops["spikes"] == counts.sum() > 0
    assert ops["synaptic_events"] == counts @ lr._fanout
    assert ops["ac"] == np.count_nonzero(x) * n  # binary inputs select input weights
    assert ops["mac"] == T * (n + 1) * 1  # real-valued readout per step


def test_lif_reservoir_is_deterministic_given_seed():
    task = get_task("temporal_xor", n_triples=4, n_train=30, n_test=10)
    data = task.make(0)
    preds = []
    for _ in range(2):
        lr = get_learner("lif_reservoir", n_neurons=40, seed=3)
        lr.fit(task, data)
        preds.append(lr.predict(data.test.x))
    np.testing.assert_array_equal(preds[0], preds[1])


@pytest.mark.parametrize("seed", [0, 1])
def test_lstm_learns_binary_addition_and_generalises_to_longer_numbers(seed):
    # trained on 6-bit numbers, tested on 16-bit numbers: only the carry automaton generalises
    params = {"train_bits": 6, "test_bits": 16, "n_train": 512, "n_test": 200}
    row = run_cell("binary_addition", "lstm", seed, params,
                   {"hidden_size": 8, "epochs": 30, "batch_size": 32, "lr": 2e-2})
    assert row["status"] == "ok", row["error"]
    assert row["metrics"]["sequence_accuracy"] >= 0.95
    assert row["chance"]["sequence_accuracy"] < 0.01


@pytest.mark.parametrize("name", ["hopfield", "modern_hopfield", "rbm"])
def test_memories_complete_cues_near_the_nearest_pattern_ceiling(name):
    # P = 5 patterns in N = 64 units (load 0.08 < 0.138), 10% flipped bits
    params = {"n_patterns": 5, "n_bits": 64, "noise": 0.1, "n_train": 100, "n_test": 100}
    row = run_cell("associative_recall", name, 0, params)
    assert row["status"] == "ok", row["error"]
    assert row["metrics"]["accuracy"] >= 0.98
    assert row["metrics"]["accuracy"] > row["chance"]["accuracy"] + 0.3


def test_hopfield_recall_ops_are_sweeps_times_n_squared():
    task = get_task("associative_recall", n_patterns=3, n_bits=32, noise=0.1, n_train=20,
                    n_test=10)
    data = task.make(0)
    hop = get_learner("hopfield")
    hop.fit(task, data)
    hop.predict(data.test.x)
    ops = hop.last_inference_ops
    sweeps = ops["neuron_updates"] / 32
    assert sweeps >= 1
    assert ops["ac"] == pytest.approx(sweeps * 32 * 32)


def test_ar_taps_beats_persistence_on_mackey_glass():
    task = get_task("mackey_glass")
    data = task.make(0)
    ar = get_learner("ar_taps")
    ar.fit(task, data)
    score = task.score(ar.predict(data.test.x), data.test)
    persistence = task.baselines(data)["persistence"]["nrmse"]
    assert score["nrmse"] < persistence


def test_stdp_reservoir_learns_inputs_within_bounds_and_freezes_them():
    task = get_task("temporal_xor", n_triples=3, n_train=12, n_test=4)
    data = task.make(0)
    lr = get_learner("stdp_reservoir", n_neurons=30, n_stdp=6, steps_per_input=5, seed=0)
    lr._lo, lr._span = np.zeros(1), np.ones(1)
    lr._build(1)
    w0 = lr._w_in_plastic.copy()
    info = lr.fit(task, data)
    w1 = lr._w_in_plastic.copy()
    assert np.abs(w1 - w0).max() > 1e-3 * lr.w_in_max  # STDP changed the input weights
    assert w1.min() >= 0.0 and w1.max() <= lr.w_in_max
    assert info.train_ops["plasticity_updates"] > 0
    lr.predict(data.test.x)  # plasticity is off at evaluation
    np.testing.assert_array_equal(w1, lr._w_in_plastic)
    assert lr.scorecard["local_learning"] and lr.scorecard["online_in_time"]
    ridge = get_learner("stdp_reservoir", readout="ridge")
    assert not ridge.scorecard["local_learning"]


def test_nlms_converges_to_least_squares_solution():
    from comparisons.learners.lif_reservoir import nlms

    rng = np.random.default_rng(0)
    f = rng.normal(size=(4000, 5))
    w_true = rng.normal(size=(5, 2))
    w = nlms(np.zeros((5, 2)), f, f @ w_true, 0.5)
    np.testing.assert_allclose(w, w_true, atol=1e-6)


def test_diehl_cook_learner_counts_and_votes():
    task = get_task("seq_digits", n_train=60, n_test=20)
    data = task.make(0)
    dc = get_learner("diehl_cook", n_exc=10)
    info = dc.fit(task, data)
    votes = dc.predict(data.test.x)
    assert votes.shape == (20, 10)
    # op counts are the model's measured counters of the same run, per image
    ops = dc.last_inference_ops
    c = dc._model.last_counters_.values
    n = 20
    for k in ("spikes", "input_spikes", "synaptic_events", "neuron_updates"):
        assert ops[k] * n == pytest.approx(c[k], rel=1e-12)
    assert ops["synaptic_events"] > 0 and ops["spikes"] > 0
    # every presentation (repeats included) updates 2 * n_exc neurons per step
    assert c["neuron_updates"] == c["presentations"] * dc._cfg.n_steps * 2 * 10
    assert c["presentations"] >= n
    fit = dc._model.counters_.values
    lab = dc._model.label_counters_.values
    for k in ("spikes", "synaptic_events", "neuron_updates", "plasticity_updates"):
        assert info.train_ops[k] * 60 == pytest.approx(fit[k] + lab[k], rel=1e-12)
    assert fit["plasticity_updates"] > 0 and lab["plasticity_updates"] == 0
    assert get_learner_class("diehl_cook").supports(get_task("adding"))[0] is False


def test_diehl_cook_input_drive_matches_the_authors_per_image():
    # the default rate gives the mean training image the authors' expected MNIST input
    # (784 x 0.1307 white pixels at 63.75 Hz for 350 ms), measured by the engine's counter
    from comparisons.learners.diehl_cook import matched_rate

    task = get_task("seq_digits", n_train=150, n_val=20, n_test=20)
    data = task.make(0)
    X = np.asarray(data.train.x, np.float64).transpose(1, 0, 2).reshape(150, -1)
    mp = float(X.max())
    rate = matched_rate(X, mp)
    assert rate * X.sum(1).mean() / mp == pytest.approx(63.75 * 784 * 0.1307, rel=1e-12)
    dc = get_learner("diehl_cook", n_exc=30)
    info = dc.fit(task, data)
    assert info.extra["max_rate_hz"] == pytest.approx(rate, rel=1e-12)
    lab = dc._model.label_counters_.values
    # labelling pass (learning off): every image once, so Poisson counts average to theory
    assert lab["presentations"] == 150
    expect = 63.75 * 784 * 0.1307 * 0.35 * 150       # input spikes over all images
    assert lab["input_spikes"] == pytest.approx(expect, rel=5 / np.sqrt(expect))
    # the authors' 63.75 Hz taken literally starves 64-pixel digits: the retry rule then
    # shows each image several times
    lit = get_learner("diehl_cook", n_exc=30, max_rate=63.75)
    assert lit.fit(task, data).extra["presentations_per_image"]["stdp"] > 3
    with pytest.raises(ValueError, match=r"diehl_cook.max_rate"):
        get_learner("diehl_cook", max_rate=0.0)
    with pytest.raises(ValueError, match=r"diehl_cook.max_rate.*probability"):
        get_learner("diehl_cook", max_rate=5000.0).fit(task, data)


@pytest.mark.slow
def test_diehl_cook_beats_chance_by_far_on_digits():
    row = run_cell("seq_digits", "diehl_cook", 0, None, {"n_exc": 100})
    assert row["metrics"]["accuracy"] > row["chance"]["accuracy"] + 0.3


def test_reservoir_engine_path_equals_pure_step_path():
    # neurosim.Network (compiled backend) and a loop over the pure lif_step: same spikes
    task = get_task("binary_addition", train_bits=3, test_bits=5, n_train=8, n_test=6)
    x = task.make(0).test.x.astype(float)
    out = []
    for engine in (False, True):
        lr = get_learner("lif_reservoir", n_neurons=60, engine=engine, seed=2)
        lr._build(2)
        out.append(lr._run(x, collect_raster=True))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][2], out[1][2])
    assert out[0][1] == out[1][1]


def test_reservoir_network_runs_on_the_learners_device_and_reports_it(monkeypatch):
    import neurosim

    seen = []
    real = neurosim.Network

    def spy(*objs, **kw):
        net = real(*objs, **kw)
        seen.append((kw.get("device"), net.backend_name))
        return net

    monkeypatch.setattr(neurosim, "Network", spy)
    task = get_task("binary_addition", train_bits=3, test_bits=5, n_train=8, n_test=6)
    x = task.make(0).test.x.astype(float)
    lr = get_learner("lif_reservoir", n_neurons=20, seed=0, device="cpu")
    lr._build(2)
    lr._run(x)
    # the learner's device reaches the engine (it used to run on "auto": CUDA when there
    # was one, while the row said "cpu"), and the row names where it ran
    assert seen == [("cpu", neurosim.backends.resolve_backend_name("auto", "cpu"))]
    assert lr.device_used == "cpu"


def test_reservoir_op_counts_are_the_engines_counters(monkeypatch):
    # issue 14: a spiking learner's reported counts are net.counters of the run it made
    import neurosim

    nets = []
    real = neurosim.Network

    def spy(*objs, **kw):
        nets.append(real(*objs, **kw))
        return nets[-1]

    monkeypatch.setattr(neurosim, "Network", spy)
    task = get_task("binary_addition", train_bits=3, test_bits=5, n_train=8, n_test=6)
    x = task.make(0).test.x.astype(float)
    lr = get_learner("lif_reservoir", n_neurons=40, seed=1, device="cpu")
    lr._build(2)
    _, ops, _ = lr._run(x)
    (net,) = nets
    c = net.counters
    assert c["synaptic_events"] > 0
    for key in ("spikes", "synaptic_events", "neuron_updates"):
        assert ops[key] == c[key], key


def test_readout_traces_equal_the_dense_filter():
    from comparisons.learners.lif_reservoir import readout_traces

    rng = np.random.default_rng(0)
    T, k, B, n, decay = 6, 4, 3, 5, 0.8
    spikes = rng.random((T * k, B, n)) < 0.3
    s, b, i = np.nonzero(spikes)
    got = readout_traces(s, b, i, T, k, B, n, decay)
    trace = np.zeros((B, n))
    within = decay ** np.arange(k - 1, -1, -1)
    for t in range(T):
        trace = trace * decay ** k + np.tensordot(within, spikes.reshape(T, k, B, n)[t]
                                                  .astype(float), axes=(0, 0))
        np.testing.assert_array_equal(got[t, :, :n], trace.astype(np.float32))
    assert np.all(got[..., n] == 1.0)


@pytest.mark.parametrize("learning, coding", [(False, "poisson"), (True, "poisson"),
                                              (False, "latency"), (True, "latency"),
                                              (False, "analog")])
def test_stdp_reservoir_engine_equals_the_pure_step_reference(learning, coding):
    # the engine (per-copy spike generator, STDP in the backend) and a numpy loop over the
    # pure steps in the engine's order give the same spikes, weights and counts
    task = get_task("temporal_xor", n_triples=3, n_train=12, n_test=4)
    x = task.make(0).test.x.astype(float)[:, :3]
    out = []
    for engine in (False, True):
        lr = get_learner("stdp_reservoir", n_neurons=40, steps_per_input=5, seed=4,
                         engine=engine, w_in_max=1.2e-9, input_coding=coding,
                         **({"n_stdp": 0} if coding == "analog" else {}))
        lr._lo, lr._span = np.zeros(1), np.ones(1)
        lr._build(1)
        lr._learning, lr._plastic_updates = learning, 0.0
        w_init = lr._w_in_plastic.copy()
        xx = x[:, :1] if learning else x  # STDP: one sequence at a time, as fit does
        feats, ops, r = lr._run(xx, collect_raster=True)
        out.append((feats, ops, r, lr._w_in_plastic.copy(), lr._plastic_updates))
    (f0, o0, r0, w0, p0), (f1, o1, r1, w1, p1) = out
    assert r0.shape[1] > 10  # the reservoir spiked
    np.testing.assert_array_equal(r0, r1)
    np.testing.assert_allclose(f0, f1, rtol=1e-6)
    assert o0 == o1
    np.testing.assert_allclose(w0, w1, rtol=1e-12, atol=1e-24)
    assert p0 == p1
    if learning:
        assert p1 > 0 and np.abs(w1 - w_init).max() > 1e-3 * lr.w_in_max
    else:
        np.testing.assert_array_equal(w1, w_init)


@pytest.mark.parametrize("name", ["hopfield", "modern_hopfield", "rbm"])
def test_memory_learners_pass_their_device_to_the_model(name):
    # issue 14: the memory learners hard-coded device="cpu" whatever the learner was given
    task = get_task("associative_recall", n_patterns=3, n_bits=16, noise=0.1, n_train=20,
                    n_val=5, n_test=5)
    lr = get_learner(name, device="cpu", seed=0)
    lr.fit(task, task.make(0))
    assert lr._model.device == "cpu" and lr.device_used == "cpu"
    lr = get_learner(name, device="auto", seed=0)
    lr.fit(task, task.make(0))
    assert lr._model.device == "auto"
    import torch

    assert lr.device_used.startswith("cuda") == torch.cuda.is_available()


def test_stdp_reservoir_latency_code_is_one_spike_per_feature_and_step_at_its_latency():
    lr = get_learner("stdp_reservoir", steps_per_input=5, input_coding="latency")
    lr._lo, lr._span = np.zeros(2), np.ones(2)
    lr._build(2)
    x = np.array([[[1.0, 0.0]], [[0.5, 0.25]], [[0.0, 0.9]]])  # (T=3, B=1, F=2)
    state = copy.deepcopy(lr._spike_rng.bit_generator.state)
    r = lr._input_raster(x).reshape(3, 5, 1, 2)
    assert lr._spike_rng.bit_generator.state == state  # deterministic: draws nothing
    # sub-step round((1 - v) * (k - 1)): v=1 -> 0, v=0.5 -> 2, v=0.25 -> 3, v=0.9 -> 0
    # (0.4 rounds to 0); v=0 -> no spike
    want = {(0, 0, 0), (1, 2, 0), (1, 3, 1), (2, 0, 1)}
    assert set(zip(*[a.tolist() for a in np.nonzero(r[:, :, 0])])) == {
        (t, s, f) for t, s, f in want}


def test_stdp_reservoir_analog_code_matches_the_poisson_codes_mean_synaptic_current():
    # the analog current is the steady-state mean of the synaptic current that the Poisson
    # code drives through the same weights: i <- a_e i + w * spike, P(spike) = max_prob * v
    lr = get_learner("stdp_reservoir", n_neurons=20, input_coding="analog", n_stdp=0,
                     max_prob=0.3, seed=1)
    lr._lo, lr._span = np.zeros(1), np.ones(1)
    lr._build(1)
    v = 0.6
    x = np.full((1, 1, 1), v)
    analog = lr._analog_current(x)[0, 0] - lr._bias
    rng = np.random.default_rng(0)
    a_e = np.exp(-lr.dt / lr._params.tau_e)
    w = lr._w_in_plastic[0, 0]
    spikes = rng.random(200_000) < lr.max_prob * v
    i, total = np.zeros_like(w), np.zeros_like(w)
    for s in spikes[:2000]:  # transient
        i = a_e * i + w * s
    n = 0
    for s in spikes[2000:]:
        i = a_e * i + w * s
        total += i
        n += 1
    np.testing.assert_allclose(total / n, analog, rtol=0.03)


def test_stdp_reservoir_analog_code_with_plasticity_is_skipped_with_its_reason():
    from comparisons.learners.base import SettingsNotApplicable

    with pytest.raises(SettingsNotApplicable, match=r"input_coding='analog'.*n_stdp=100"):
        get_learner("stdp_reservoir", input_coding="analog")
    with pytest.raises(ValueError, match=r"unknown stdp_reservoir.input_coding 'rate'"):
        get_learner("stdp_reservoir", input_coding="rate")
    row = run_cell("adding", "stdp_reservoir", seed=0,
                   task_params={"length": 5, "n_train": 8, "n_val": 4, "n_test": 4},
                   learner_params={"input_coding": "analog"})
    assert row["status"] == "skipped" and "n_stdp=0" in row["error"]
