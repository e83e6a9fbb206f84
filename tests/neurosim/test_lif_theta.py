"""Conductance LIF with adaptive threshold (Diehl & Cook's excitatory neuron): the pure step
is the equation, the number of spikes under constant drive is the theory's, theta decays
with tau_theta and stays put when frozen, the backends agree spike for spike, Brian2 agrees
on the export, bad parameters are rejected with clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _spike_compare import assert_same_spikes

from neurosim import (
    CurrentInjection,
    LIFCondThetaParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    Synapses,
)
from neurosim.neurons.lif_theta import LIFCondThetaState, lif_cond_theta_step
from neurosim.units import Hz, ms, mV

#: Diehl & Cook's excitatory neuron (conductances relative to the leak: r_m = 1)
DC = LIFCondThetaParams(tau_m=100 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                        v_thresh=-52 * mV, t_ref=5 * ms, r_m=1.0, tau_e=1 * ms,
                        tau_i=2 * ms, e_e=0.0, e_i=-100 * mV, theta_plus=0.05 * mV,
                        tau_theta=1e4)


def test_step_is_pure_and_matches_equation():
    p = DC
    dt = 0.5 * ms
    st = LIFCondThetaState(v=np.array([-60e-3, -51e-3, -51e-3, -55e-3]),
                           g_e=np.array([0.3, 0.0, 0.0, 2.0]), g_i=np.array([0.1, 0.0, 0.0, 0.5]),
                           ref=np.array([0.0, 0.0, 0.0, 3.0]),
                           theta=np.array([1e-3, 0.0, 2e-3, 0.0]))
    before = [a.copy() for a in st]
    spikes, new = lif_cond_theta_step(st, 0.0, p, dt)
    for a, b in zip(st, before):
        np.testing.assert_array_equal(a, b)
    g = 1 + st.g_e + st.g_i
    v_inf = (p.v_rest + st.g_e * p.e_e + st.g_i * p.e_i) / g
    v = v_inf + (st.v - v_inf) * np.exp(-dt / p.tau_m * g)
    # neuron 1: above v_thresh + 0 -> spikes; neuron 2: same v, theta 2 mV holds it back;
    # neuron 3: refractory, membrane held
    assert spikes.tolist() == [False, True, False, False]
    np.testing.assert_allclose(new.v[[0, 2]], v[[0, 2]], rtol=1e-14)
    assert new.v[1] == p.v_reset and new.v[3] == st.v[3] and new.ref[3] == 2.0
    a = math.exp(-dt / p.tau_theta)
    np.testing.assert_allclose(new.theta, st.theta * a + np.array([0, p.theta_plus, 0, 0]),
                               rtol=1e-15)
    np.testing.assert_allclose(new.g_e, st.g_e * math.exp(-dt / p.tau_e), rtol=1e-15)
    # frozen: theta neither grows nor decays
    _, fr = lif_cond_theta_step(st, 0.0, p.frozen(), dt)
    np.testing.assert_array_equal(fr.theta, st.theta)


def _drive(params, i_in, duration, dt=0.5 * ms):
    g = NeuronGroup(1, params, name="g")
    mon = SpikeMonitor(g)
    net = Network(g, CurrentInjection(g, i_in), mon, dt=dt, backend="numpy", seed=0)
    net.run(duration)
    return mon.t, net.get_state()["g"]["theta"][0, 0]


def test_adaptation_stops_firing_after_the_predicted_number_of_spikes():
    """Constant current, no decay of theta: the neuron fires while v_inf = v_rest + R I >
    v_thresh + theta, so exactly ceil((v_inf - v_thresh) / theta_plus) spikes, and
    inter-spike intervals grow (each spike raises the threshold)."""
    p = LIFCondThetaParams(tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                           v_thresh=-55 * mV, t_ref=2 * ms, r_m=1.0, tau_e=5 * ms,
                           tau_i=5 * ms, theta_plus=1.3 * mV, tau_theta=math.inf)
    i_in = 14.6e-3                       # v_inf = -50.4 mV: 4.6 mV above v_thresh
    expected = math.ceil((p.v_rest + i_in - p.v_thresh) / p.theta_plus)   # 4
    t, theta = _drive(p, i_in, 2.0)
    assert t.size == expected == 4
    assert theta == pytest.approx(expected * p.theta_plus, rel=1e-12)
    assert np.all(np.diff(np.diff(t)) > 0)


def test_theta_decays_with_tau_theta():
    p = LIFCondThetaParams(tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                           v_thresh=-55 * mV, t_ref=2 * ms, r_m=1.0, tau_e=5 * ms,
                           tau_i=5 * ms, theta_plus=2 * mV, tau_theta=50 * ms)
    g = NeuronGroup(1, p, name="g", init={"theta": 3 * mV})
    net = Network(g, dt=0.5 * ms, backend="numpy")
    net.run(100 * ms)
    assert net.get_state()["g"]["theta"][0, 0] == pytest.approx(3 * mV * math.exp(-2),
                                                                rel=1e-9)


def _net(backend, batch=2):
    inp = PoissonGroup(50, 60 * Hz, name="inp")
    g = NeuronGroup(20, DC, name="exc")
    h = NeuronGroup(20, DC.frozen(), name="inh", init={"theta": 1 * mV})
    rng = np.random.default_rng(0)
    s = Synapses.all_to_all(inp, g, rng.random(1000) * 0.5, name="ie")
    r = Synapses.all_to_all(g, h, rng.random(400) * 2.0, name="eh")
    q = Synapses.all_to_all(h, g, rng.random(400) * 3.0, target="i", name="he")
    m = SpikeMonitor(g)
    net = Network(inp, g, h, s, r, q, m, dt=0.5 * ms, seed=1, backend=backend,
                  batch_size=batch)
    net.run(0.5)
    return m, net.get_state()


def test_backends_give_identical_spikes():
    """numpy (reference), numba and torch: the same spikes and thresholds; membrane and
    conductances equal to rounding (the array backends sum a step's input first)."""
    ref_m, ref = _net("numpy")
    assert ref_m.i.size > 50 and ref["exc"]["theta"].max() > 0
    np.testing.assert_array_equal(ref["inh"]["theta"], 1 * mV)          # frozen
    for be in ("numba", "torch"):
        m, st = _net(be)
        np.testing.assert_array_equal(m.i, ref_m.i)
        np.testing.assert_array_equal(m.steps, ref_m.steps)
        np.testing.assert_array_equal(m.batch, ref_m.batch)
        for grp in ("exc", "inh"):
            np.testing.assert_array_equal(st[grp]["theta"], ref[grp]["theta"])
            for v in ("v", "g_e", "g_i"):
                np.testing.assert_allclose(st[grp][v], ref[grp][v], rtol=1e-12, atol=1e-15)


@pytest.mark.brian2
def test_same_spikes_as_brian2():
    """Export to Brian2 (runtime, numpy target): the same neurons spike at the same times
    (within one dt), with adaptation visible (several spikes per neuron)."""
    pytest.importorskip("brian2")
    from neurosim.interop.brian2 import run_in_brian2

    dt = 0.1 * ms
    rng = np.random.default_rng(5)
    n = 10
    steps, idx = np.nonzero(rng.random((800, n)) < 0.05)      # at most one per step
    gen = SpikeGeneratorGroup(n, idx, (steps + 0.5) * dt, name="gen")
    p = LIFCondThetaParams(tau_m=20 * ms, v_rest=-65 * mV, v_reset=-65 * mV,
                           v_thresh=-55 * mV, t_ref=2 * ms, r_m=1.0, tau_e=5 * ms,
                           tau_i=5 * ms, theta_plus=1 * mV, tau_theta=math.inf)
    g = NeuronGroup(n, p, name="g")
    s_in = Synapses.all_to_all(gen, g, rng.uniform(0.1, 0.4, n * n), name="s_in")
    sm = SpikeMonitor(g, name="sm")
    net = Network(gen, g, s_in, sm, dt=dt, seed=1, backend="numpy")
    ref = run_in_brian2(net, 80 * ms, target="numpy")
    net.run(80 * ms)
    b_i, b_t = ref.spikes["g"]
    assert sm.i.size > 2 * n
    assert sm.i.size == b_i.size
    assert_same_spikes(sm.i, sm.t, b_i, b_t, dt, within=dt * 1.001, strict=False)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(theta_plus=-1e-3), r"LIFCondThetaParams\.theta_plus must be >= 0, got -0\.001"),
    (dict(theta_plus=5.0), r"LIFCondThetaParams\.theta_plus=5\.0 V looks like millivolts"),
    (dict(theta_plus=float("nan")), r"LIFCondThetaParams\.theta_plus must be finite"),
    (dict(tau_theta=0.0), r"LIFCondThetaParams\.tau_theta must be > 0, got 0\.0"),
    (dict(tau_theta=float("nan")), r"LIFCondThetaParams\.tau_theta must not be NaN"),
    (dict(tau_m=20), r"LIFCondThetaParams\.tau_m=20 s looks like milliseconds"),
    (dict(v_reset=-40 * mV), r"LIFCondThetaParams\.v_reset must be < v_thresh"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LIFCondThetaParams(**kwargs)
    # inf is allowed for tau_theta only (no decay)
    assert LIFCondThetaParams(tau_theta=math.inf).frozen().theta_plus == 0.0
