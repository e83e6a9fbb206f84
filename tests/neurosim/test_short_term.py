"""Tests for neurosim.plasticity.short_term (Tsodyks–Markram STP) and its engine support:
theory (first PSC, steady state of a regular train, facilitation), the three backends spike
for spike, Brian2 as a peer, state save/restore, and the errors."""

import logging
import math

import numpy as np
import pytest
from _spike_compare import assert_same_spikes

from neurosim import (
    CurrentInjection,
    LIFParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from neurosim.plasticity import STDP, PairSTDPParams
from neurosim.plasticity.short_term import (
    TsodyksMarkramParams,
    TsodyksMarkramState,
    tsodyks_markram_step,
)
from neurosim.units import Hz, ms, nA, pA

DT = 0.1 * ms
BACKENDS = ["numpy", "numba", "torch"]


def _train_psc(backend, stp, period, n_spikes, w=100 * pA, tau_e=5 * ms):
    """PSC amplitudes (jumps of i_e, in units of w) of a regular presynaptic train."""
    times = np.arange(n_spikes) * period + 1 * ms
    src = SpikeGeneratorGroup(1, np.zeros(n_spikes, dtype=np.int64), times, name="src")
    post = NeuronGroup(1, LIFParams(tau_e=tau_e, v_thresh=0.5), name="post")  # never fires
    syn = Synapses.from_matrix(src, post, [[w]], stp=stp, name="syn")
    mon = StateMonitor(post, "i_e")
    net = Network(src, post, syn, mon, dt=DT, backend=backend)
    net.run(times[-1] + 2 * DT)
    ie = mon.i_e[:, 0, 0]
    jumps = (ie[1:] - ie[:-1] * math.exp(-DT / tau_e)) / w
    steps = np.rint(times / DT).astype(int)     # a spike at step k is in i_e from k + 1
    return jumps[steps], net


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("U", "rate"), [(0.5, 20 * Hz), (0.2, 50 * Hz), (1.0, 10 * Hz)])
def test_depression_first_psc_and_steady_state(backend, U, rate):
    tau_rec = 300 * ms
    period = 1 / rate
    psc, _ = _train_psc(backend, TsodyksMarkramParams(U=U, tau_rec=tau_rec), period, 40)
    assert psc[0] == pytest.approx(U, rel=1e-9)          # first PSC: U w
    e = math.exp(-period / tau_rec)
    x_ss = (1 - e) / (1 - (1 - U) * e)                    # Tsodyks & Markram 1997
    # x converges geometrically, by (1 - U) e^{-T/tau_rec} per spike, from x_0 = 1
    gap = (1 - x_ss) * ((1 - U) * e) ** (psc.size - 1)
    assert abs(psc[-1] - U * x_ss) <= U * gap + 1e-12
    assert abs(psc[-1] - U * x_ss) < 1e-4 * U
    # the model's recursion: x before spike n+1 = 1 - (1 - x_n (1 - U)) e^{-T/tau_rec}
    x = 1.0
    for n in range(psc.size):
        assert psc[n] == pytest.approx(U * x, rel=1e-9)
        x = 1 - (1 - x * (1 - U)) * e
    assert np.all(np.diff(psc) <= 1e-12)                  # depression: never grows


@pytest.mark.parametrize("backend", BACKENDS)
def test_facilitation_steady_state_and_growth(backend):
    U, tau_rec, tau_fac = 0.1, 50 * ms, 500 * ms
    period = 1 / (20 * Hz)
    psc, _ = _train_psc(backend, TsodyksMarkramParams(U=U, tau_rec=tau_rec,
                                                      tau_fac=tau_fac), period, 60)
    assert psc[0] == pytest.approx(U, rel=1e-9)
    assert psc[1] > 1.3 * psc[0]                           # facilitating synapse
    ef, er = math.exp(-period / tau_fac), math.exp(-period / tau_rec)
    u_ss = U / (1 - (1 - U) * ef)                          # u just after a spike
    x_ss = (1 - er) / (1 - (1 - u_ss) * er)                # x just before a spike
    assert psc[-1] == pytest.approx(u_ss * x_ss, rel=1e-5)


def test_pure_step_matches_hand_recursion_and_does_not_modify_input():
    p = TsodyksMarkramParams(U=0.3, tau_rec=100 * ms, tau_fac=200 * ms)
    st = TsodyksMarkramState(np.array([[1.0, 0.5]]), np.array([[0.0, 0.4]]))
    keep = (st.x.copy(), st.u.copy())
    r, new = tsodyks_markram_step(st, np.array([[True, True]]), p, 1 * ms)
    x = 1 - (1 - st.x) * math.exp(-1e-3 / 0.1)
    u = st.u * math.exp(-1e-3 / 0.2)
    u = u + 0.3 * (1 - u)
    np.testing.assert_allclose(r, u * x, rtol=1e-15)
    np.testing.assert_allclose(new.x, x - u * x, rtol=1e-15)
    np.testing.assert_allclose(new.u, u, rtol=1e-15)
    np.testing.assert_array_equal(st.x, keep[0])
    np.testing.assert_array_equal(st.u, keep[1])
    r0, quiet = tsodyks_markram_step(st, np.array([[False, False]]), p, 1 * ms)
    assert np.all(r0 == 0) and quiet.x[0, 1] > 0.5 and quiet.u[0, 1] < 0.4


def _net(backend, seed=3, batch=2, delays=True):
    """A small recurrent LIF network with STP on every projection (depressing excitation,
    facilitating input, depressing inhibition), Poisson input, per-synapse delays."""
    rng = np.random.default_rng(seed)
    n_in, n = 30, 40
    pg = PoissonGroup(n_in, rng.uniform(10, 40, n_in) * Hz, name="pg")
    g = NeuronGroup(n, LIFParams(), name="g")
    d_in = (lambda r, k: r.integers(0, 15, k) * DT) if delays else 0.0  # noqa: E731
    s_in = Synapses.fixed_probability(
        pg, g, 0.3, 900 * pA, seed=seed, delay=d_in, name="s_in", dense=False,
        stp=TsodyksMarkramParams(U=0.15, tau_rec=100 * ms, tau_fac=400 * ms))
    s_e = Synapses.fixed_probability(
        g, g, 0.1, 400 * pA, seed=seed + 1, name="s_e", dense=False,
        stp=TsodyksMarkramParams(U=0.5, tau_rec=200 * ms))
    s_i = Synapses.from_matrix(
        g, g, -rng.uniform(0, 300, (n, n)) * pA * (rng.random((n, n)) < 0.5), target="i",
        delay=1 * ms if delays else 0.0, name="s_i",
        stp=TsodyksMarkramParams(U=0.8, tau_rec=50 * ms))
    per_copy = np.repeat(rng.uniform(0.1, 0.19, (1, batch, n)), 4, axis=0) * nA
    inj = CurrentInjection(g, per_copy, steps_per_value=1000)      # 400 ms
    sm = SpikeMonitor(g, name="sm")
    return Network(pg, g, s_in, s_e, s_i, inj, sm, dt=DT, seed=seed, backend=backend,
                   batch_size=batch), sm


@pytest.mark.parametrize("delays", [False, True])
def test_backends_agree_spike_for_spike(delays):
    res = {}
    for be in BACKENDS:
        net, sm = _net(be, delays=delays)
        net.run(150 * ms)
        res[be] = (sm.steps, sm.batch, sm.i, net.get_state(), net.counters)
    ref = res["numpy"]
    assert ref[0].size > 100
    for be in ("numba", "torch"):
        for a, b in zip(res[be][:3], ref[:3]):
            np.testing.assert_array_equal(a, b)
        for key in ("stp:s_in", "stp:s_e", "stp:s_i"):
            for v in ("x", "u"):
                np.testing.assert_allclose(res[be][3][key][v], ref[3][key][v], rtol=0,
                                           atol=1e-12)
        assert res[be][4]["synaptic_events"] == ref[4]["synaptic_events"]
    # synaptic events are still spikes x fan-out, STP or not
    st, c = ref[3], ref[4]
    assert c["synaptic_events"] > 0 and not np.all(st["stp:s_e"]["x"] == 1)


def test_stp_changes_the_dynamics_and_events_count_spikes_times_fanout():
    """With U = 1 and a slow recovery, a high-rate train transmits far less than without STP
    (so the feature is not a no-op), while the synaptic event count stays spikes x fan-out."""
    n_spk = 20
    psc_stp, net = _train_psc("numba", TsodyksMarkramParams(U=1.0, tau_rec=500 * ms),
                              5 * ms, n_spk)
    psc_static, _ = _train_psc("numba", None, 5 * ms, n_spk)
    np.testing.assert_allclose(psc_static, 1.0, rtol=1e-9)
    assert psc_stp[-1] < 0.05
    assert net.counters["synaptic_events"] == n_spk          # fan-out 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_store_restore_and_get_set_state_continue_identically(backend):
    net, sm = _net(backend, batch=1, delays=False)
    net.run(50 * ms)
    net.store()
    saved = net.get_state()
    assert saved["stp:s_e"]["x"].shape == (1, 40)
    net.run(50 * ms)
    first = sm.i[sm.steps >= 500].copy()
    end1 = net.get_state()["stp:s_e"]["x"]
    net.restore()
    net.run(50 * ms)
    np.testing.assert_array_equal(sm.i[sm.steps >= 500][-first.size:], first)
    np.testing.assert_array_equal(net.get_state()["stp:s_e"]["x"], end1)
    bad = {k: dict(v) for k, v in saved.items()}
    bad["stp:s_e"]["x"] = np.zeros((1, 3))
    with pytest.raises(ValueError, match=r"stp:s_e.x expected shape \(1, 40\), got \(1, 3\)"):
        net.set_state(bad)


def test_torch_sparse_event_path_scales_by_release():
    """The torch backend's event-driven (sparse) delivery multiplies by the release."""
    pytest.importorskip("torch")
    out = {}
    for be in ("numpy", "torch"):
        rng = np.random.default_rng(0)
        pg = PoissonGroup(200, 50 * Hz, name="pg")
        g = NeuronGroup(50, LIFParams(v_thresh=0.5), name="g")
        s = Synapses.fixed_probability(pg, g, 0.05, 100 * pA, seed=1, dense=False,
                                       stp=TsodyksMarkramParams(U=0.4, tau_rec=80 * ms))
        mon = StateMonitor(g, "i_e")
        net = Network(pg, g, s, mon, dt=DT, seed=int(rng.integers(100)), backend=be)
        net.run(30 * ms)
        out[be] = mon.i_e
    np.testing.assert_allclose(out["torch"], out["numpy"], rtol=1e-12, atol=1e-24)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("kw", "err", "msg"), [
    (dict(U=0.0), ValueError, r"TsodyksMarkramParams.U must be in \(0, 1\], got 0.0"),
    (dict(U=1.5), ValueError, r"TsodyksMarkramParams.U must be in \(0, 1\], got 1.5"),
    (dict(U="0.5"), TypeError, r"TsodyksMarkramParams.U must be a real number, got str"),
    (dict(tau_rec=-1 * ms), ValueError, r"TsodyksMarkramParams.tau_rec must be > 0"),
    (dict(tau_rec=800), ValueError, r"tau_rec=800 s looks like milliseconds; write 800\*ms"),
    (dict(tau_fac=-0.1), ValueError, r"TsodyksMarkramParams.tau_fac must be >= 0, got -0.1"),
    (dict(tau_fac=math.nan), ValueError, r"TsodyksMarkramParams.tau_fac must be finite"),
])
def test_params_errors(kw, err, msg):
    with pytest.raises(err, match=msg):
        TsodyksMarkramParams(**kw)


def test_synapses_errors():
    g = NeuronGroup(3, LIFParams(), name="g")
    with pytest.raises(TypeError, match=r"Synapses.stp must be a TsodyksMarkramParams or "
                                        r"None, got dict"):
        Synapses.all_to_all(g, g, 1 * pA, stp={"U": 0.5})
    s = Synapses.all_to_all(g, g, 1 * pA, stp=TsodyksMarkramParams(), name="s")
    with pytest.raises(ValueError, match=r"Synapses 's': stp=TsodyksMarkramParams\(.*\) "
                                         r"cannot be combined with the plasticity rule STDP"):
        s.attach(STDP(PairSTDPParams(w_max=1e-9)))
    s2 = Synapses.all_to_all(g, g, 1 * pA, name="s2").attach(STDP(PairSTDPParams(w_max=1e-9)))
    with pytest.raises(ValueError, match=r"cannot be combined with the plasticity rule STDP"):
        s2.stp = TsodyksMarkramParams()
    s3 = Synapses.all_to_all(g, g, 1 * pA, stp=TsodyksMarkramParams(), name="s3")
    s3.plasticity = STDP(PairSTDPParams(w_max=1e-9))   # set around attach(): the network checks
    with pytest.raises(ValueError, match=r"Synapses 's3': stp=.* cannot be combined"):
        Network(g, s3).run(1 * ms)
    s4 = Synapses.all_to_all(g, g, 1 * pA, stp=TsodyksMarkramParams(), name="s4")
    Network(g, s4).run(1 * ms)
    with pytest.raises(ValueError, match=r"Synapses 's4': stp cannot change after the "
                                         r"projection was built into a network"):
        s4.stp = None
    s4.stp = TsodyksMarkramParams()                  # the same parameters: no change


# ----------------------------------------------------------------------------- Brian2
@pytest.fixture
def _quiet_brian2():
    log = logging.getLogger("brian2")
    old = log.level
    log.setLevel(logging.WARNING)
    yield
    log.setLevel(old)


def _b2_net(delays):
    rng = np.random.default_rng(0)
    n_in, n = 20, 30
    times = np.sort(rng.choice(1000, 300, replace=False)) * DT
    gen = SpikeGeneratorGroup(n_in, np.arange(300) % n_in, times, name="gen")
    g = NeuronGroup(n, LIFParams(), name="g")
    d_in = (lambda r, k: r.integers(0, 20, k) * DT) if delays else 0.0  # noqa: E731
    s_in = Synapses.fixed_probability(
        gen, g, 0.3, 600 * pA, seed=1, name="s_in", delay=d_in,
        stp=TsodyksMarkramParams(U=0.2, tau_rec=200 * ms, tau_fac=300 * ms))
    s_rec = Synapses.fixed_probability(
        g, g, 0.2, -200 * pA, target="i", seed=2, name="s_rec",
        stp=TsodyksMarkramParams(U=0.6, tau_rec=100 * ms))
    inj = CurrentInjection(g, rng.uniform(0.15, 0.22, n) * nA)
    sm = SpikeMonitor(g, name="sm")
    st = StateMonitor(g, ["v", "i_e"], [0, 1, 2, 3], name="st")
    return Network(gen, g, s_in, s_rec, inj, sm, st, dt=DT, seed=1, backend="numba"), sm, st


@pytest.mark.brian2
@pytest.mark.parametrize("delays", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_same_spikes_and_currents_as_brian2(_quiet_brian2, delays):
    """Brian2's standard Tsodyks–Markram synapse (exported by neurosim.interop) gives the
    same spikes and the same synaptic currents."""
    pytest.importorskip("brian2")
    from neurosim.interop.brian2 import run_in_brian2

    net, sm, st = _b2_net(delays)
    ref = run_in_brian2(net, 120 * ms, target="numpy")
    net.run(120 * ms)
    b_i, b_t = ref.spikes["g"]
    assert sm.i.size > 50
    assert_same_spikes(sm.i, sm.t, b_i, b_t, DT, within=DT)
    np.testing.assert_allclose(st["i_e"][:, 0, :], ref.states["g"]["i_e"], rtol=1e-9,
                               atol=1e-20)
    np.testing.assert_allclose(st["v"][:, 0, :], ref.states["g"]["v"], rtol=0, atol=1e-9)


@pytest.mark.brian2
def test_brian2_export_continues_a_run_and_refuses_delayed_stp_mid_run(_quiet_brian2):
    pytest.importorskip("brian2")
    from neurosim.interop.brian2 import run_in_brian2

    net, sm, st = _b2_net(False)
    net.run(40 * ms)
    ref = run_in_brian2(net, 60 * ms, target="numpy")      # exports the state after 40 ms
    n0 = sm.i.size
    net.run(60 * ms)
    b_i, b_t = ref.spikes["g"]
    assert b_i.size > 10
    np.testing.assert_array_equal(np.sort(sm.i[n0:]), np.sort(b_i))
    net2, _, _ = _b2_net(True)
    net2.run(1 * ms)
    with pytest.raises(NotImplementedError, match=r"projection 's_in' has short-term "
                                                  r"plasticity and delays"):
        run_in_brian2(net2, 1 * ms, target="numpy")


def test_stp_beside_compiled_stdp_and_save_load(tmp_path):
    """An STP projection next to a plastic (pair STDP) one: the compiled plastic kernel
    gives the numpy spikes and weights; the STP state survives save / load."""
    from neurosim.io import load, save

    res = {}
    for be in ("numpy", "numba"):
        rng = np.random.default_rng(7)
        pg = PoissonGroup(40, 30 * Hz, name="pg")
        g = NeuronGroup(20, LIFParams(), name="g")
        plastic = Synapses.all_to_all(pg, g, rng.uniform(0, 300, 800) * pA, name="plastic")
        plastic.attach(STDP(PairSTDPParams(a_plus=10 * pA, a_minus=10.5 * pA,
                                           w_max=400 * pA)))
        dep = Synapses.all_to_all(pg, g, 200 * pA, name="dep",
                                  stp=TsodyksMarkramParams(U=0.6, tau_rec=150 * ms))
        sm = SpikeMonitor(g)
        net = Network(pg, g, plastic, dep, sm, dt=DT, seed=2, backend=be)
        net.run(100 * ms)
        res[be] = (sm.steps.copy(), sm.i.copy(), plastic.weights.copy(), net)
    np.testing.assert_array_equal(res["numba"][0], res["numpy"][0])
    np.testing.assert_array_equal(res["numba"][1], res["numpy"][1])
    np.testing.assert_allclose(res["numba"][2], res["numpy"][2], rtol=0, atol=1e-20)
    assert res["numpy"][0].size > 20
    net = res["numba"][3]
    save(net, tmp_path / "net.npz")
    x = net.get_state()["stp:dep"]["x"].copy()
    net.run(10 * ms)
    load(net, tmp_path / "net.npz")
    np.testing.assert_array_equal(net.get_state()["stp:dep"]["x"], x)


def test_nir_export_refuses_stp():
    pytest.importorskip("nir")
    from neurosim.interop.nir import to_nir

    gen = SpikeGeneratorGroup(3, [0], [1 * ms], name="gen")
    g = NeuronGroup(2, LIFParams(tau_e=10 * ms, tau_i=10 * ms), name="g")
    s = Synapses.all_to_all(gen, g, 10 * pA, name="s", stp=TsodyksMarkramParams())
    with pytest.raises(NotImplementedError, match=r"projection 's' has short-term "
                                                  r"plasticity"):
        to_nir(Network(gen, g, s, SpikeMonitor(g), dt=DT), dt=DT)


def test_stp_state_is_counted_in_state_bytes():
    """(x, u) per source neuron and copy: 16 bytes each, on top of the neuron state."""
    from neurosim import Network, NeuronGroup, Synapses
    from neurosim.neurons.lif import LIFParams
    from neurosim.plasticity import TsodyksMarkramParams

    def state_bytes(stp):
        pre, post = NeuronGroup(7, LIFParams()), NeuronGroup(5, LIFParams())
        syn = Synapses.from_matrix(pre, post, np.full((7, 5), 1e-10), target="e", stp=stp)
        return Network(pre, post, syn, batch_size=3).counters["state_bytes"]

    assert state_bytes(TsodyksMarkramParams(U=0.5, tau_rec=0.1)) - state_bytes(None) == \
        2 * 8 * 7 * 3
