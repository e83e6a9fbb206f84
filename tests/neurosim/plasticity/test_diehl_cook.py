"""Diehl & Cook on neurosim.Network: the network equals the compiled kernel it replaced
(tests/reference/diehl_cook_kernel.py) bit for bit on the same input raster (spike counts,
weights, thresholds, op counts), and a plain numpy reference presentation; the backends
agree; the learning rule is the nearest triplet pure function; copies learn independently;
the classifier's op counts are the networks' counters; checkpoint resume is exact; it learns
(beats chance by a margin) on load_digits; bad input."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

import neurosim.learning.diehl_cook as dc
from neurosim.datasets import load_digits_split
from neurosim.learning.diehl_cook import (
    DiehlCook,
    DiehlCookConfig,
    build_network,
    new_counters,
    present,
    stdp_params,
)
from neurosim.plasticity import TripletSTDPState, triplet_stdp_step

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "reference"))
import diehl_cook_kernel as kernel  # noqa: E402  (the old compiled kernel, test reference)

CFG = DiehlCookConfig(n_input=64, n_exc=12, norm_total=32.0, t_image=100e-3)


def _reference(raster, W, theta, cfg, learn):
    """One presentation written out plainly (numpy over neurons, ``math.exp`` as the
    kernel's libm exp, all conductances kept), counting every spike it makes. Returns
    ``(counts, input spikes, E spikes, I spikes, plasticity updates)``; ``W`` and
    ``theta`` are updated in place when ``learn``."""
    import math

    dt, N = cfg.dt, cfg.n_exc
    n_in = W.shape[0]
    exp = np.vectorize(math.exp)
    ve, vi = np.full(N, cfg.v_rest_e), np.full(N, cfg.v_rest_i)
    gee, gie, gei, gii = (np.zeros(N) for _ in range(4))
    refe, refi = np.zeros(N), np.zeros(N)
    xpre, o1, o2 = np.zeros(n_in), np.zeros(N), np.zeros(N)
    d_ge, d_gi = math.exp(-dt / cfg.tau_ge), math.exp(-dt / cfg.tau_gi)
    counts = np.zeros(N, dtype=np.int64)
    n_i = n_plastic = 0
    for t in range(raster.shape[0]):
        free = refe <= 0
        g = 1.0 + gee + gie
        vinf = (cfg.v_rest_e + gee * cfg.e_exc + gie * cfg.e_inh_e) / g
        v = np.where(free, vinf + (ve - vinf) * exp(-(dt / cfg.tau_e) * g), ve)
        refe = np.where(free, refe, refe - 1.0)
        se = (v > cfg.v_thresh_e + theta) & (refe <= 0)
        ve = np.where(se, cfg.v_reset_e, v)
        refe = np.where(se, float(round(cfg.t_ref_e / dt)), refe)
        gee, gie = gee * d_ge, gie * d_gi
        free = refi <= 0
        g = 1.0 + gei + gii
        vinf = (cfg.v_rest_i + gei * cfg.e_exc + gii * cfg.e_inh_i) / g
        v = np.where(free, vinf + (vi - vinf) * exp(-(dt / cfg.tau_i) * g), vi)
        refi = np.where(free, refi, refi - 1.0)
        si = (v > cfg.v_thresh_i) & (refi <= 0)
        vi = np.where(si, cfg.v_reset_i, v)
        refi = np.where(si, float(round(cfg.t_ref_i / dt)), refi)
        gei, gii = gei * d_ge, gii * d_gi
        counts += se
        n_i += int(si.sum())
        if learn:
            theta[:] = theta * math.exp(-dt / cfg.tau_theta) + np.where(se, cfg.theta_plus,
                                                                         0.0)
        pre = np.flatnonzero(raster[t])
        for i in pre:
            gee = gee + W[i]
        gei = gei + np.where(se, cfg.w_ei, 0.0)
        for k in np.flatnonzero(si):
            gie = gie + np.where(np.arange(N) != k, cfg.w_ie, 0.0)
        if learn:
            xpre *= math.exp(-dt / cfg.tau_pre)
            o1 *= math.exp(-dt / cfg.tau_post1)
            o2 *= math.exp(-dt / cfg.tau_post2)
            for i in pre:
                W[i] = np.clip(W[i] - cfg.nu_pre * o1, 0.0, cfg.w_max)
                xpre[i] = 1.0
            for j in np.flatnonzero(se):
                W[:, j] = np.clip(W[:, j] + cfg.nu_post * o2[j] * xpre, 0.0, cfg.w_max)
                o1[j] = o2[j] = 1.0
            n_plastic += pre.size * N + int(se.sum()) * n_in
    return counts, int(raster.sum()), int(counts.sum()), n_i, n_plastic


def _expected(presentations, cfg):
    """Counter values from reference presentations ``[(input, E, I, plastic), ...]``."""
    n = cfg.n_exc
    n_in, n_e, n_i, n_p = (sum(p[k] for p in presentations) for k in range(4))
    return {"steps": len(presentations) * cfg.n_steps,
            "neuron_updates": len(presentations) * cfg.n_steps * 2 * n,
            "spikes": n_e + n_i, "input_spikes": n_in,
            "synaptic_events": n_in * n + n_e + n_i * (n - 1),
            "plasticity_updates": n_p, "presentations": len(presentations),
            "spikes_by_group": {"input": n_in, "exc": n_e, "inh": n_i},
            "synaptic_events_by_projection": {"input_exc": n_in * n, "exc_inh": n_e,
                                              "inh_exc": n_i * (n - 1)}}


def _scalars(counters):
    d = counters.as_dict()
    for k in ("state_bytes", "synapse_bytes", "n_synapses"):
        d.pop(k)
    return d


def _scalars(counters):
    d = counters.as_dict()
    for k in ("state_bytes", "synapse_bytes", "n_synapses"):
        d.pop(k)
    return d


def _net_cfg(cfg):
    """The configuration that makes the network hold the membrane as long as the old kernel
    and the reference: they held ``round(t_ref / dt)`` steps after a spike, the engine
    ``round(t_ref / dt) - 1`` (Brian2's convention: integration resumes at ``t_spike +
    t_ref``), so the network gets ``t_ref + dt``."""
    return dataclasses.replace(cfg, t_ref_e=cfg.t_ref_e + cfg.dt, t_ref_i=cfg.t_ref_i + cfg.dt)


def _inputs(seed, B=2, gain=4.0, cfg=CFG):
    rng = np.random.default_rng(seed)
    X = load_digits_split().X_train[:B]
    raster = rng.random((cfg.n_steps, B, 64)) < X / 16 * gain * cfg.max_rate * cfg.dt
    W = rng.random((B, 64, cfg.n_exc)) * 0.3
    return raster, W


@pytest.mark.parametrize("learn", [True, False])
def test_network_equals_the_old_kernel(learn):
    """Five successive presentations (350 ms, strong input: E and I spikes, refractory
    periods, repeated inhibition): the Network (numba backend) and the compiled kernel it
    replaced give identical spike counts, weights and thresholds, and the network's
    counters hold the kernel's measured counts. The operation order is the same (neurons
    update and spike, then this step's input and E/I spikes are delivered, then STDP), so
    the results are bit-identical."""
    cfg = DiehlCookConfig(n_input=64, n_exc=20, norm_total=32.0)
    rng = np.random.default_rng(11)
    X = load_digits_split().X_train[:5]
    W = rng.random((64, cfg.n_exc)) * 0.3
    theta = rng.random(cfg.n_exc) * 2e-3
    counters = new_counters(cfg)
    ops = np.zeros(kernel.N_OPS, dtype=np.int64)
    n_inh = 0
    for x in X:
        raster = rng.random((cfg.n_steps, 64)) < x / 16 * 3 * cfg.max_rate * cfg.dt
        Wk, thk = W.copy(), theta.copy()
        ck, ok = kernel.present_kernel(raster, Wk, thk, cfg, learn)
        ops += ok
        Wn, thn, cn = present(raster[:, None], W[None], theta[None], _net_cfg(cfg), learn,
                              counters)
        np.testing.assert_array_equal(cn[0], ck)
        np.testing.assert_array_equal(Wn[0], Wk)
        np.testing.assert_array_equal(thn[0], thk)
        W, theta = Wk, thk
        n_inh += ok[kernel._OPS_INH]
    assert ops[kernel._OPS_EXC] > 20 and n_inh > 20
    c = counters.as_dict()
    assert c["spikes_by_group"] == {"input": ops[kernel._OPS_IN], "exc": ops[kernel._OPS_EXC],
                                    "inh": ops[kernel._OPS_INH]}
    assert c["plasticity_updates"] == ops[kernel._OPS_PLASTIC]
    assert c["presentations"] == ops[kernel._OPS_PRESENTATIONS] == 5
    if learn:
        assert not np.array_equal(theta, 0) and c["plasticity_updates"] > 0


@pytest.mark.parametrize("learn", [True, False])
@pytest.mark.parametrize("rest_fires", [False, True])
def test_counts_equal_the_reference_presentation(learn, rest_fires):
    """The network's spikes, weights, thresholds and op counts are those of the plain
    numpy reference, presentation by presentation; the torch backend spikes and counts the
    same. ``rest_fires``: inhibitory rest above threshold."""
    cfg = CFG if not rest_fires else DiehlCookConfig(
        n_input=64, n_exc=12, norm_total=32.0, t_image=100e-3, v_rest_i=-38e-3)
    raster, W = _inputs(4)
    theta = np.full((2, CFG.n_exc), 1e-3)
    pres = []
    c_numba, c_torch = new_counters(cfg), new_counters(cfg)
    for b in range(2):
        Wr, thr = W[b].copy(), theta[b].copy()
        ref = _reference(raster[:, b], Wr, thr, cfg, learn)
        pres.append(ref[1:])
        Wn, thn, cn = present(raster[:, b:b + 1], W[b:b + 1], theta[b:b + 1], _net_cfg(cfg),
                              learn, c_numba)
        np.testing.assert_array_equal(cn[0], ref[0])
        np.testing.assert_array_equal(Wn[0], Wr)
        np.testing.assert_array_equal(thn[0], thr)
    assert sum(p[2] for p in pres) > 5                    # inhibitory spikes
    assert rest_fires or sum(p[1] for p in pres) > 5     # excitatory spikes
    exp = _expected(pres, cfg)
    assert _scalars(c_numba) == exp
    Wt, tht, ct = present(raster, W, theta, _net_cfg(cfg), learn, c_torch, backend="torch",
                          device="cpu")
    assert _scalars(c_torch) == {**exp, "steps": cfg.n_steps}  # two copies side by side
    assert ct.sum() == sum(p[1] for p in pres)


@pytest.mark.parametrize("learn", [True, False])
def test_backends_agree(learn):
    """numba, numpy and torch backends: the same spikes; weights and thresholds equal to
    rounding (the array backends sum a step's synaptic input before adding it)."""
    raster, W = _inputs(0, gain=8.0)
    theta = np.full((2, CFG.n_exc), 1e-3)
    out = {be: present(raster, W, theta, CFG, learn, backend=be, device="cpu")
           for be in ("numba", "numpy", "torch")}
    assert out["numba"][2].sum() > 10
    for be in ("numpy", "torch"):
        np.testing.assert_array_equal(out[be][2], out["numba"][2])
        np.testing.assert_allclose(out[be][0], out["numba"][0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(out[be][1], out["numba"][1], rtol=1e-12, atol=1e-18)
    if not learn:
        np.testing.assert_array_equal(out["numba"][0], W)
        np.testing.assert_array_equal(out["numba"][1], theta)


def test_classifier_counters_are_the_networks():
    """fit and responses: the model's counters (STDP, labelling, last responses) are the
    sums of the counters of the networks it ran (every presentation, repeats included)."""
    X, y = _data(6)
    X = X * 0.6                       # weak input: several images need repeats
    nets = []
    orig = dc.build_network

    def spy(*a, **kw):
        nets.append((kw.get("learn", True), orig(*a, **kw)))
        return nets[-1][1]

    dc.build_network = spy
    try:
        m = DiehlCook(CFG, max_pixel=16.0, random_state=5).fit(X, y)
        n_fit = len(nets)
        m.responses(X)
    finally:
        dc.build_network = orig
    train = [n for learn, n in nets[:n_fit] if learn]
    label = [n for learn, n in nets[:n_fit] if not learn]
    last = [n for _, n in nets[n_fit:]]
    assert train and label and last

    def total(ns):
        out = {}
        for n in ns:
            for k, v in n.counters.items():
                if isinstance(v, dict):
                    d = out.setdefault(k, {})
                    for kk, vv in v.items():
                        d[kk] = d.get(kk, 0) + vv
                elif k in ("state_bytes", "synapse_bytes", "n_synapses"):
                    out[k] = v
                else:
                    out[k] = out.get(k, 0) + v
        return out

    for counters, ns in ((m.counters_, train), (m.label_counters_, label),
                         (m.last_counters_, last)):
        d = counters.as_dict()
        pres = d.pop("presentations")
        assert d == total(ns)
        assert d["neuron_updates"] == pres * CFG.n_steps * 2 * CFG.n_exc
    assert m.counters_.values["presentations"] > len(X)              # repeats happened
    assert m.counters_.values["plasticity_updates"] > 0
    assert m.label_counters_.values["plasticity_updates"] == 0


def test_weight_change_is_the_triplet_rule():
    """Replaying the network's input and excitatory spikes through triplet_stdp_step
    (nearest, A2+ = A3- = 0) reproduces its weights."""
    raster, W = _inputs(1, B=1)
    net = build_network(CFG, W[0], raster=raster)
    net.run(CFG.n_steps * CFG.dt)
    post = net.dc_monitor.to_dense(CFG.n_steps, 1)
    Wn = dc.read_back(net)[0]
    assert post.sum() > 0
    w = W.copy()
    z_in, z = np.zeros((1, 64)), np.zeros((1, CFG.n_exc))
    st = TripletSTDPState(z_in, z_in.copy(), z, z.copy())
    for t in range(CFG.n_steps):
        w, st = triplet_stdp_step(st, w, raster[t], post[t], stdp_params(CFG), CFG.dt)
    np.testing.assert_allclose(w, Wn, rtol=1e-12, atol=1e-15)
    # LTP only where the post neuron fired; LTD everywhere a pre spike met a post trace
    fired = post.sum((0, 1)) > 0
    assert fired.any() and not fired.all()
    assert (w - W)[0][:, ~fired].max() <= 0 < (w - W)[0][:, fired].max()


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_copies_learn_independently(backend):
    raster, W = _inputs(2)
    raster[:, 1] = False                                   # copy 1 gets no input at all
    Wt, _, ct = present(raster, W, np.zeros((2, CFG.n_exc)), CFG, True, backend=backend,
                        device="cpu")
    np.testing.assert_array_equal(Wt[1], W[1])
    assert ct[1].sum() == 0 and not np.allclose(Wt[0], W[0])


def _data(n=40):
    d = load_digits_split()
    return d.X_train[:n], d.y_train[:n]


def test_checkpoint_resume_is_exact(tmp_path):
    X, y = _data(12)
    ref = DiehlCook(CFG, max_pixel=16.0, random_state=3).fit(X, y, epochs=2)
    ck = str(tmp_path / "dc.npz")

    class Stop(Exception):
        pass

    def interrupt(done):
        if done == 17:
            raise Stop

    m = DiehlCook(CFG, max_pixel=16.0, random_state=3)
    with pytest.raises(Stop):
        m.fit(X, y, epochs=2, checkpoint=ck, checkpoint_every=5, callback=interrupt)
    # a fresh object resumes from image 15 (last checkpoint) and ends identical
    m2 = DiehlCook(CFG, max_pixel=16.0, random_state=3).fit(X, y, epochs=2, checkpoint=ck,
                                                            checkpoint_every=5)
    np.testing.assert_array_equal(m2.W_, ref.W_)
    np.testing.assert_array_equal(m2.theta_, ref.theta_)
    np.testing.assert_array_equal(m2.assignments_, ref.assignments_)
    assert m2.counters_.as_dict() == ref.counters_.as_dict()   # saved with the position
    assert ref.counters_.values["presentations"] >= 2 * len(X)
    # a checkpoint of another configuration is refused; a corrupted one is reported
    with pytest.raises(ValueError, match="was made with a different epochs: 2 != 1"):
        DiehlCook(CFG, max_pixel=16.0, random_state=3).fit(X, y, epochs=1, checkpoint=ck)
    data = (tmp_path / "dc.npz").read_bytes()
    (tmp_path / "bad.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"DiehlCook checkpoint: .*bad.npz. is not a "
                                         r"readable neurosim .npz file \(truncated"):
        DiehlCook(CFG, max_pixel=16.0, random_state=3).fit(X, y, epochs=2,
                                                           checkpoint=str(tmp_path / "bad.npz"))


def test_learns_digits_above_chance():
    """40 neurons, 300 training images: test accuracy well above chance (10%) for several
    seeds (a weak bound: the full comparison is in examples/diehl_cook_digits.py)."""
    d = load_digits_split()
    cfg = DiehlCookConfig(n_input=64, n_exc=40, norm_total=32.0)
    accs = []
    for seed in (0, 1):
        m = DiehlCook(cfg, max_pixel=16.0, random_state=seed).fit(d.X_train[:300],
                                                                 d.y_train[:300])
        accs.append(m.score(d.X_test[:150], d.y_test[:150]))
    assert min(accs) > 0.3, accs


def test_bad_input():
    with pytest.raises(ValueError, match="DiehlCookConfig.n_exc must be >= 1, got 0"):
        DiehlCookConfig(n_exc=0)
    with pytest.raises(ValueError, match="DiehlCookConfig.tau_e must be > 0, got -0.1"):
        DiehlCookConfig(tau_e=-0.1)
    with pytest.raises(ValueError, match="norm_total=100.0 cannot be reached with n_input=64"):
        DiehlCookConfig(n_input=64, norm_total=100.0)
    with pytest.raises(ValueError, match="unknown DiehlCook.backend 'jax'; "
                                         "choose from: numba, torch"):
        DiehlCook(CFG, backend="jax")
    m = DiehlCook(CFG, max_pixel=16.0)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 64\), got \(3, 10\)"):
        m.fit(np.zeros((3, 10)), np.zeros(3))
    with pytest.raises(ValueError, match=r"X must be finite pixels in \[0, 16.0\]"):
        m.fit(np.full((3, 64), 20.0), np.zeros(3))
    with pytest.raises(RuntimeError, match="call fit first"):
        m.predict(np.zeros((1, 64)))


def test_torch_backend_copies_fit():
    X, y = _data(3)
    m = DiehlCook(CFG, max_pixel=16.0, backend="torch", n_copies=3, device="cpu",
                  random_state=0).fit(X, y)
    assert m.copies_W_.shape == (3, 64, CFG.n_exc)
    np.testing.assert_allclose(m.copies_W_.sum(1), CFG.norm_total, rtol=0.2)
    assert not np.allclose(m.copies_W_[0], m.copies_W_[1])


@pytest.mark.slow
def test_digits_28x28_100_neurons_accuracy():
    """The example's setting (authors' parameters, load_digits upsampled to 28x28, one
    epoch): 100 neurons reach >= 75% test accuracy for two seeds (Diehl & Cook report
    82.9% for 100 neurons on MNIST)."""
    d = load_digits_split(upsample=28)
    for seed in (0, 1):
        m = DiehlCook(DiehlCookConfig(n_exc=100), max_pixel=16.0, random_state=seed)
        m.fit(d.X_train, d.y_train)
        assert m.score(d.X_test, d.y_test) >= 0.75
