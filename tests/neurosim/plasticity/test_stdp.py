"""STDP rules: window vs theory (pure step and through the engine, every backend), bounds,
weight dependence, pairing, triplet rule, reward modulation, bad input, NaN detection."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurosim import LIFParams, Network, NeuronGroup, SpikeGeneratorGroup, SpikeMonitor, Synapses
from neurosim.plasticity import (
    STDP,
    PairSTDPParams,
    PairSTDPState,
    RewardSTDP,
    RewardSTDPParams,
    RewardSTDPState,
    TripletSTDP,
    TripletSTDPParams,
    TripletSTDPState,
    pair_stdp_step,
    reward_stdp_step,
    stdp_window,
    triplet_stdp_step,
)
from neurosim.units import ms, mV

DT = 0.1 * ms




def pair_protocol(step_fn, state, params, delays_steps, w0, n_steps=1400, t_pre=700):
    """Isolated pairs: synapse k sees one pre spike at step t_pre and one post spike at
    t_pre + delays_steps[k] (pre and post neuron k; one synapse per pair, one-to-one)."""
    n = len(delays_steps)
    w = np.full((1, n), w0)
    idx = np.arange(n)
    for s in range(n_steps):
        pre = (s == t_pre) * np.ones((1, n), bool)
        post = (s == t_pre + np.asarray(delays_steps))[None]
        w, state = step_fn(state, w, pre, post, params, DT, idx, idx)
    return w[0] - w0


@pytest.mark.parametrize("pairing", ["all_to_all", "nearest"])
def test_pair_window_matches_exponential(pairing):
    p = PairSTDPParams(a_plus=0.01, a_minus=0.012, tau_pre=17 * ms, tau_post=34 * ms,
                       pairing=pairing)
    d = np.arange(-600, 601, 37)
    st = PairSTDPState(np.zeros((1, d.size)), np.zeros((1, d.size)))
    dw = pair_protocol(pair_stdp_step, st, p, d, 0.5)
    theory = stdp_window(d * DT, p)
    assert np.abs(dw - theory).max() < 1e-12 * p.a_plus + 1e-15
    assert np.all(dw[d > 0] > 0) and np.all(dw[d < 0] < 0)   # LTP pre->post, LTD post->pre


def test_triplet_window_isolated_pairs_and_triplet_term():
    p = TripletSTDPParams()
    d = np.arange(-500, 501, 25)
    z = np.zeros((1, d.size))
    dw = pair_protocol(triplet_stdp_step, TripletSTDPState(z, z, z, z), p, d, 0.5)
    # isolated pair: pair window, except LTD's A3- term sees r2 = 0 only before the pre spike
    theory = stdp_window(d * DT, p)
    assert np.abs(dw - theory).max() < 1e-12
    # post-pre-post triplet: the second post spike's LTP grows by A3+ * o2(before)
    w = np.full((1, 1), 0.5)
    st = TripletSTDPState(*(np.zeros((1, 1)),) * 4)
    times_post, t_pre, dw_expect = (0, 200), 100, 0.0
    for s in range(400):
        w_prev = w.copy()
        w, st_new = triplet_stdp_step(st, w, np.array([[s == t_pre]]),
                                      np.array([[s in times_post]]), p, DT)
        if s == 200:
            o2 = st.o2[0, 0] * np.exp(-DT / p.tau_y)
            r1 = st.r1[0, 0] * np.exp(-DT / p.tau_plus)
            dw_expect = r1 * (p.a2_plus + p.a3_plus * o2)
            assert abs((w - w_prev)[0, 0] - dw_expect) < 1e-15
        st = st_new
    assert dw_expect > p.a2_plus * np.exp(-100 * DT / p.tau_plus)


def _engine_window(rule, d_steps, backend):
    """Measure the window through a Network: pre k and a kicker driving post k."""
    n = len(d_steps)
    t0 = 40 * ms
    pre = SpikeGeneratorGroup(n, np.arange(n), np.full(n, t0), name="pre")
    kick_t = t0 + (np.asarray(d_steps) - 1) * DT
    drv = SpikeGeneratorGroup(n, np.arange(n), kick_t, name="drv")
    post = NeuronGroup(n, LIFParams(), name="post")
    kick = Synapses.one_to_one(drv, post, 40 * mV, target="v", dense=True, name="kick")
    syn = Synapses.one_to_one(pre, post, 0.5 * mV, target="v", name="plastic")
    syn.attach(rule)
    mon = SpikeMonitor(post)
    net = Network(pre, drv, post, kick, syn, mon, dt=DT, backend=backend, seed=0)
    net.run(t0 + 80 * ms)
    np.testing.assert_allclose(np.sort(mon.t), np.sort(t0 + np.asarray(d_steps) * DT),
                               atol=1e-12)   # each post neuron fired exactly when asked
    # op counter: n pre spikes x fan-out 1 + n post spikes x fan-in 1
    assert net.counters["plasticity_updates"] == 2 * n
    return syn.weights - 0.5 * mV


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_engine_window_every_backend(backend):
    p = PairSTDPParams(a_plus=0.01 * mV, a_minus=0.0105 * mV, w_max=1 * mV)
    d = np.array([-300, -120, -40, -5, 1, 5, 40, 120, 300])
    dw = _engine_window(STDP(p), d, backend)
    np.testing.assert_allclose(dw, stdp_window(d * DT, p), rtol=1e-9, atol=1e-20)


def test_engine_triplet_window():
    p = TripletSTDPParams(a2_plus=0.005 * mV, a3_plus=0.006 * mV, a2_minus=0.002 * mV,
                          a3_minus=0.001 * mV, w_max=1 * mV)
    d = np.array([-200, -20, 3, 20, 200])
    dw = _engine_window(TripletSTDP(p), d, "numpy")
    np.testing.assert_allclose(dw, stdp_window(d * DT, p), rtol=1e-9, atol=1e-20)


def test_bounds_and_multiplicative_soft_bounds():
    rng = np.random.default_rng(1)
    n = 400
    w0 = rng.random((2, n))
    pre, post = rng.random((3000, 2, n)) < 0.05, rng.random((3000, 2, n)) < 0.05
    idx = np.arange(n)
    for dep in ("additive", "multiplicative"):
        p = PairSTDPParams(a_plus=0.3, a_minus=0.3, weight_dependence=dep,
                           pairing="nearest" if dep == "multiplicative" else "all_to_all")
        w, st = w0.copy(), PairSTDPState(np.zeros((2, n)), np.zeros((2, n)))
        for k in range(3000):
            w, st = pair_stdp_step(st, w, pre[k], post[k], p, DT, idx, idx)
            assert w.min() >= 0 and w.max() <= 1
        if dep == "multiplicative":   # soft bounds: the bounds are never reached exactly
            assert 0 < w.min() and w.max() < 1
        else:                         # additive with large steps: pile-up at the bounds
            assert ((w == 0) | (w == 1)).mean() > 0.2
    # multiplicative LTP at w = w_max and LTD at w = w_min are exactly zero
    p = PairSTDPParams(weight_dependence="multiplicative")
    st = PairSTDPState(np.ones((1, 1)), np.ones((1, 1)))
    w, _ = pair_stdp_step(st, np.ones((1, 1)), np.zeros((1, 1), bool), np.ones((1, 1), bool),
                          p, DT)
    assert w[0, 0] == 1.0
    w, _ = pair_stdp_step(st, np.zeros((1, 1)), np.ones((1, 1), bool), np.zeros((1, 1), bool),
                          p, DT)
    assert w[0, 0] == 0.0


def test_nearest_vs_all_to_all_burst():
    """Three pre spikes then a post spike: all-to-all sums three pairs, nearest only one."""
    out = {}
    for pairing in ("all_to_all", "nearest"):
        p = PairSTDPParams(a_plus=0.01, a_minus=0.0, pairing=pairing)
        w, st = np.full((1, 1), 0.5), PairSTDPState(np.zeros((1, 1)), np.zeros((1, 1)))
        for s in range(60):
            w, st = pair_stdp_step(st, w, np.array([[s in (10, 20, 30)]]),
                                   np.array([[s == 50]]), p, DT)
        out[pairing] = w[0, 0] - 0.5
    e = lambda k: np.exp(-k * DT / (20 * ms))  # noqa: E731
    assert out["all_to_all"] == pytest.approx(0.01 * (e(20) + e(30) + e(40)), rel=1e-12)
    assert out["nearest"] == pytest.approx(0.01 * e(20), rel=1e-12)


def test_dense_sparse_numpy_torch_agree_and_batch_independent():
    rng = np.random.default_rng(2)
    B, n_pre, n_post = 3, 7, 5
    w0 = rng.random((B, n_pre, n_post))
    pre, post = rng.random((200, B, n_pre)) < 0.2, rng.random((200, B, n_post)) < 0.2
    pre[:, 1] = False                              # copy 1 never sees a pre spike
    p = PairSTDPParams(a_plus=0.05, a_minus=0.06)
    i, j = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
    wd, ws = w0.copy(), w0.reshape(B, -1).copy()
    wt = torch.tensor(w0)
    sd = PairSTDPState(np.zeros((B, n_pre)), np.zeros((B, n_post)))
    ss, stt = sd, PairSTDPState(torch.zeros(B, n_pre, dtype=torch.float64),
                                torch.zeros(B, n_post, dtype=torch.float64))
    for k in range(200):
        wd, sd = pair_stdp_step(sd, wd, pre[k], post[k], p, DT)
        ws, ss = pair_stdp_step(ss, ws, pre[k], post[k], p, DT, i.ravel(), j.ravel())
        wt, stt = pair_stdp_step(stt, wt, torch.tensor(pre[k]), torch.tensor(post[k]), p, DT)
    np.testing.assert_allclose(wd.reshape(B, -1), ws, rtol=0, atol=1e-15)
    np.testing.assert_allclose(wt.numpy(), wd, rtol=0, atol=1e-15)
    # copy 1: only potentiation is impossible (no pre trace) -> only depression... none either
    np.testing.assert_array_equal(wd[1], w0[1])
    assert not np.allclose(wd[0], w0[0])


def test_inputs_not_modified():
    p = PairSTDPParams()
    w = np.full((1, 3), 0.5)
    st = PairSTDPState(np.ones((1, 3)), np.ones((1, 3)))
    w_c, x_c = w.copy(), st.x_pre.copy()
    pair_stdp_step(st, w, np.ones((1, 3), bool), np.ones((1, 3), bool), p, DT)
    np.testing.assert_array_equal(w, w_c)
    np.testing.assert_array_equal(st.x_pre, x_c)


def test_reward_modulated_stdp():
    p = RewardSTDPParams(PairSTDPParams(a_plus=0.01, a_minus=0.01), tau_c=200 * ms,
                         learning_rate=5.0)
    z = np.zeros((2, 1))
    w, st = np.full((2, 1), 0.5), RewardSTDPState(z, z, z.copy())
    reward = np.array([0.0, 1.0])          # copy 0 unrewarded, copy 1 rewarded
    c_seen = 0.0
    for s in range(400):
        w, st = reward_stdp_step(st, w, np.array([[s == 10]] * 2), np.array([[s == 20]] * 2),
                                 reward if s >= 100 else np.zeros(2), p, DT)
        if s == 20:
            c_seen = st.c[1, 0]
    assert c_seen == pytest.approx(0.01 * np.exp(-10 * DT / (20 * ms)), rel=1e-12)
    assert w[0, 0] == 0.5                   # no reward -> no change
    # w gain = lr * dt * sum_s c(s) for s >= 100: c decays geometrically from step 20
    a = np.exp(-DT / p.tau_c)
    expect = 5.0 * DT * c_seen * sum(a ** (s - 20) for s in range(100, 400))
    assert w[1, 0] - 0.5 == pytest.approx(expect, rel=1e-9)
    # through the engine: the rule object carries the reward
    rule = RewardSTDP(p)
    rule.reward = np.ones(3)
    with pytest.raises(ValueError, match=r"RewardSTDP.reward must be a float or shape \(1,\)"):
        rule.update(rule.init_state(1, 1, np.zeros((1, 1))), np.zeros((1, 1)),
                    np.zeros((1, 1), bool), np.zeros((1, 1), bool), DT, None, None)


@pytest.mark.parametrize("kw, msg", [
    ({"w_min": 1.0, "w_max": 1.0}, r"PairSTDPParams.w_min must be < w_max, got w_min=1.0"),
    ({"w_min": 2.0, "w_max": 1.0}, r"w_min must be < w_max"),
    ({"tau_pre": -0.02}, r"PairSTDPParams.tau_pre must be > 0, got -0.02"),
    ({"tau_post": 20.0}, r"tau_post=20(\.0)? s looks like milliseconds; write 20\*ms"),
    ({"a_plus": -0.1}, r"PairSTDPParams.a_plus must be >= 0, got -0.1"),
    ({"weight_dependence": "mult"}, r"unknown PairSTDPParams.weight_dependence 'mult'; "
                                    r"choose from: additive, multiplicative"),
    ({"pairing": "near"}, r"unknown PairSTDPParams.pairing 'near'; choose from: all_to_all, "
                          r"nearest"),
])
def test_bad_parameters(kw, msg):
    with pytest.raises(ValueError, match=msg):
        PairSTDPParams(**kw)


def test_bad_types_and_other_params():
    with pytest.raises(TypeError, match="PairSTDPParams.a_plus must be a real number, got str"):
        PairSTDPParams(a_plus="0.1")
    with pytest.raises(ValueError, match="TripletSTDPParams.tau_x must be > 0"):
        TripletSTDPParams(tau_x=-1.0)
    with pytest.raises(TypeError, match="RewardSTDPParams.stdp must be a PairSTDPParams"):
        RewardSTDPParams(stdp=TripletSTDPParams())
    with pytest.raises(TypeError, match="STDP.params must be a PairSTDPParams"):
        STDP(TripletSTDPParams())


def _small_net(w, target="e", delay=0.0, backend="numpy"):
    from neurosim import LIFCondParams

    pre = SpikeGeneratorGroup(2, [0, 1], [1 * ms, 2 * ms], name="pre")
    post = NeuronGroup(2, LIFCondParams(), name="post")
    syn = Synapses.all_to_all(pre, post, w, target=target, delay=delay, name="s")
    return pre, post, syn


def test_attach_rejects_synapses_it_cannot_serve():
    pre, post, syn = _small_net(2e-9)
    with pytest.raises(ValueError, match=r"initial weights must lie in \[w_min, w_max\]"):
        syn.attach(STDP(PairSTDPParams(w_max=1e-9)))
    with pytest.raises(ValueError, match="w_min=-1e-09 < 0 is not allowed for a conductance"):
        syn.attach(STDP(PairSTDPParams(w_min=-1e-9, w_max=1e-8)))
    _, _, syn_d = _small_net(2e-9, delay=1 * ms)
    syn_d.attach(STDP(PairSTDPParams(w_max=1e-8)))   # one delay: served (mixed: rejected,
    assert syn_d.plasticity is not None               # tests/neurosim/plasticity/test_brunel)
    with pytest.raises(TypeError, match="rule must be a PlasticityRule, got PairSTDPParams"):
        syn.attach(PairSTDPParams())


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_nan_weights_reported_with_step(backend):
    pre = SpikeGeneratorGroup(1, [0, 0], [1 * ms, 1.5 * ms], name="pre")
    post = NeuronGroup(1, LIFParams(), name="post")
    drv = SpikeGeneratorGroup(1, [0], [1.9 * ms], name="drv")
    kick = Synapses.one_to_one(drv, post, 40 * mV, target="v", name="kick")
    syn = Synapses.one_to_one(pre, post, 0.5 * mV, target="v", name="plastic")
    # a (valid but absurd) huge LTP amplitude without an upper bound: the potentiation at
    # the post spike (step 20) sums two pre traces and overflows to inf
    syn.attach(STDP(PairSTDPParams(a_plus=1.7e308, w_max=float("inf"))))
    net = Network(pre, drv, post, kick, syn, dt=DT, backend=backend, seed=0)
    with np.errstate(over="ignore"), pytest.raises(
            FloatingPointError, match=r"Synapses 'plastic' produced NaN or inf weights at "
                                      r"step 20 \(t = 0.002 s\)"):
        net.run(5 * ms)


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_learning_switch_store_restore(backend):
    from neurosim.learning.song_abbott import SongAbbottConfig, build_song_abbott

    cfg = SongAbbottConfig(n_inputs=500, rate=30.0)
    net, syn, _ = build_song_abbott(cfg, seed=3, backend=backend)
    w0 = syn.weights.copy()
    net.run(0.2, progress=False)
    assert not np.array_equal(syn.weights, w0)
    net.store()
    net.run(0.1, progress=False)
    w_a = syn.weights.copy()
    net.restore()
    net.run(0.1, progress=False)
    np.testing.assert_array_equal(syn.weights, w_a)        # bit-identical continuation
    net.learning = False
    w_b = syn.weights.copy()
    net.run(0.1, progress=False)
    np.testing.assert_array_equal(syn.weights, w_b)        # frozen for evaluation
    n_upd = net.counters["plasticity_updates"]
    net.learning = True
    net.run(0.1, progress=False)
    assert not np.array_equal(syn.weights, w_b)
    c = net.counters
    # counted while learning: pre spikes x fan-out (1) + post spikes x fan-in (n_inputs)
    assert c["plasticity_updates"] > n_upd > 0
