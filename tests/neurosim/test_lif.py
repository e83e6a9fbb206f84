"""LIF models: closed-form membrane, analytic f-I curve, validation, array genericity."""

import math

import numpy as np
import pytest
import torch

from neurosim.neurons.lif import (
    LIFCondAlphaParams,
    LIFCondParams,
    LIFParams,
    LIFState,
    lif_coefficients,
    lif_cond_alpha_step,
    lif_cond_step,
    lif_step,
)
from neurosim.units import Mohm, ms, mV, nA, pA


def _run(params, i_in, steps, dt, shape=(3, 4)):
    st = params.init_state(shape)
    vs, spikes = [], []
    for _ in range(steps):
        s, st = lif_step(st, i_in, params, dt)
        vs.append(st.v)
        spikes.append(s)
    return np.array(vs), np.array(spikes)


@pytest.mark.parametrize("i_in", [0.05 * nA, 0.15 * nA])
def test_membrane_matches_closed_form_below_threshold(i_in):
    p = LIFParams(tau_m=20 * ms, v_rest=-70 * mV, v_thresh=-50 * mV, r_m=100 * Mohm)
    dt = 0.1 * ms
    vs, spikes = _run(p, i_in, 500, dt)
    t = dt * np.arange(1, 501)
    expected = p.v_rest + p.r_m * i_in * (1 - np.exp(-t / p.tau_m))
    assert not spikes.any()
    np.testing.assert_allclose(vs, np.broadcast_to(expected[:, None, None], vs.shape),
                               rtol=0, atol=1e-12)


def test_membrane_exact_for_any_dt():
    # exact integration: the value at t=10 ms does not depend on dt
    p = LIFParams()
    v_end = [_run(p, 0.1 * nA, int(round(10 * ms / dt)), dt, (1,))[0][-1, 0]
             for dt in (0.05 * ms, 0.5 * ms, 1 * ms)]
    np.testing.assert_allclose(v_end, v_end[0], rtol=0, atol=1e-12)


def test_synaptic_current_kernel_matches_closed_form():
    p = LIFParams(tau_m=20 * ms, tau_e=5 * ms)
    dt = 0.1 * ms
    st = p.init_state((1,))
    st = st._replace(i_e=np.array([100 * pA]))
    out = []
    for _ in range(300):
        _, st = lif_step(st, 0.0, p, dt)
        out.append(st.v[0])
    t = dt * np.arange(1, 301)
    a = p.r_m * 100 * pA * p.tau_e / (p.tau_e - p.tau_m)
    expected = p.v_rest + a * (np.exp(-t / p.tau_e) - np.exp(-t / p.tau_m))
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def _fi_rate(p, i_in):
    drive = p.r_m * i_in
    gap = p.v_thresh - p.v_rest
    if drive <= gap:
        return 0.0
    t_int = p.tau_m * math.log((drive - (p.v_reset - p.v_rest)) / (drive - gap))
    return 1.0 / (p.t_ref + t_int)


@pytest.mark.parametrize("t_ref", [0.0, 2 * ms, 5 * ms])
def test_rate_matches_analytic_fi_curve(t_ref):
    # every inter-spike interval lies within one dt of the analytic ISI: a threshold crossing
    # is labelled with the start of the step in which it happens; the membrane restarts at
    # exactly t_spike + t_ref
    p = LIFParams(t_ref=t_ref)
    dt = 0.05 * ms
    currents = np.array([0.1, 0.21, 0.25, 0.4, 0.8, 1.6]) * nA
    st = p.init_state((currents.size,))
    n = np.zeros(currents.size)
    first = np.full(currents.size, np.nan)
    last = np.full(currents.size, np.nan)
    for k in range(int(round(0.25 / dt))):
        s, st = lif_step(st, currents, p, dt)
        n += s
        first = np.where(s & np.isnan(first), k, first)
        last = np.where(s, k, last)
    for j, i_in in enumerate(currents):
        expected = _fi_rate(p, i_in)
        if expected == 0.0:
            assert n[j] == 0
            continue
        assert n[j] >= 3
        isi = (last[j] - first[j]) * dt / (n[j] - 1)
        assert abs(isi - 1 / expected) <= dt, (i_in, isi, 1 / expected)


def test_refractory_clamps_membrane():
    p = LIFParams(t_ref=2 * ms)
    dt = 0.1 * ms
    st = p.init_state((1,))._replace(v=np.array([p.v_thresh + 1e-3]))
    s, st = lif_step(st, 10 * nA, p, dt)
    assert s[0] and st.v[0] == p.v_reset and st.ref[0] == 19
    for _ in range(19):
        s, st = lif_step(st, 10 * nA, p, dt)
        assert not s[0] and st.v[0] == p.v_reset
    _, st = lif_step(st, 10 * nA, p, dt)
    assert st.v[0] > p.v_reset


def test_input_not_modified_and_float32_agrees():
    p = LIFParams()
    rng = np.random.default_rng(0)
    v0 = rng.uniform(-70e-3, -50e-3, (5, 7))
    st = LIFState(v0.copy(), np.zeros((5, 7)), np.zeros((5, 7)), np.zeros((5, 7)))
    _, new = lif_step(st, 0.1 * nA, p, 0.1 * ms)
    np.testing.assert_array_equal(st.v, v0)
    st32 = LIFState(*(a.astype(np.float32) for a in st))
    _, new32 = lif_step(st32, np.float32(0.1 * nA), p, 0.1 * ms)
    np.testing.assert_allclose(new32.v, new.v, rtol=1e-5)


def test_torch_tensors_give_the_same_result_as_numpy():
    p = LIFParams()
    rng = np.random.default_rng(1)
    i_in = rng.uniform(0, 0.5 * nA, (4, 6))
    st_np = p.init_state((4, 6))
    st_t = LIFState(*(torch.as_tensor(a) for a in st_np))
    for _ in range(400):
        s_np, st_np = lif_step(st_np, i_in, p, 0.1 * ms)
        s_t, st_t = lif_step(st_t, torch.as_tensor(i_in), p, 0.1 * ms)
        np.testing.assert_array_equal(s_t.numpy(), s_np)
    np.testing.assert_array_equal(st_t.v.numpy(), st_np.v)


def test_conductance_lif_relaxes_to_reversal_weighted_mean():
    p = LIFCondParams(tau_e=1e6 * ms / 1e6 * 5, v_thresh=-1 * mV + 0.9e-3)
    st = p.init_state((1,))._replace(g_e=np.array([5e-9]))
    # with g_e frozen the fixed point is (v_rest + R g E_e) / (1 + R g)
    v_inf = (p.v_rest + p.r_m * 5e-9 * p.e_e) / (1 + p.r_m * 5e-9)
    tau_eff = p.tau_m / (1 + p.r_m * 5e-9)
    _, new = lif_cond_step(st, 0.0, p, 0.1 * ms)
    expected = v_inf + (p.v_rest - v_inf) * math.exp(-0.1 * ms / tau_eff)
    assert new.v[0] == pytest.approx(expected, abs=1e-15)
    assert new.g_e[0] == pytest.approx(5e-9 * math.exp(-0.1 * ms / p.tau_e))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tau_m": 20}, r"LIFParams.tau_m=20 s looks like milliseconds; write 20\*ms"),
        ({"tau_m": -0.02}, r"LIFParams.tau_m must be > 0, got -0.02"),
        ({"tau_m": float("nan")}, r"LIFParams.tau_m must be finite"),
        ({"v_reset": -40 * mV}, r"LIFParams.v_reset must be < v_thresh"),
        ({"v_thresh": -50}, r"v_thresh=-50 V looks like millivolts"),
        ({"r_m": 0.0}, r"LIFParams.r_m must be > 0, got 0.0"),
        ({"t_ref": -1 * ms}, r"LIFParams.t_ref must be >= 0"),
    ],
)
def test_bad_parameters_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LIFParams(**kwargs)


def test_wrong_type_and_large_dt_are_rejected():
    with pytest.raises(TypeError, match=r"LIFParams.tau_m must be a real number, got str"):
        LIFParams(tau_m="20ms")
    with pytest.raises(ValueError, match=r"dt=0.01 s is larger than LIFParams.tau_e"):
        lif_coefficients(LIFParams(), 0.01)
    with pytest.raises(ValueError, match=r"LIFCondParams.e_i=-80 V looks like millivolts"):
        LIFCondParams(e_i=-80)


def test_alpha_conductance_matches_closed_form_and_peaks_at_tau():
    p = LIFCondAlphaParams(tau_e=3 * ms)
    dt = 0.05 * ms
    st = p.init_state((1,))._replace(x_e=np.array([2e-9]))
    g = []
    for _ in range(400):
        _, st = lif_cond_alpha_step(st, 0.0, p, dt)
        g.append(st.g_e[0])
    t = dt * np.arange(1, 401)
    expected = 2e-9 * t / p.tau_e * np.exp(1 - t / p.tau_e)
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-24)
    assert t[int(np.argmax(g))] == pytest.approx(p.tau_e, abs=dt)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_voltage_jumps_during_refractoriness_are_discarded(backend):
    """The membrane is clamped at v_reset while refractory (as documented, and as Brian2's
    ``(unless refractory)`` and NEST's iaf_psc_delta): a jump arriving then is lost, one
    arriving after the refractory period is kept."""
    from neurosim import Network, NeuronGroup, SpikeGeneratorGroup, SpikeMonitor, StateMonitor
    from neurosim.neurons.lif import LIFParams
    from neurosim.synapses import Synapses

    dt = 1e-4
    p = LIFParams(tau_m=0.02, v_rest=0.0, v_reset=0.01, v_thresh=0.02, t_ref=0.002)
    g = NeuronGroup(1, p, name="g", init={"v": np.array([0.0199])})
    # step 0: a 1 mV jump makes it spike at step 1; steps 5-9 (refractory): five 1 mV
    # jumps; step 40 (long after): one 1 mV jump
    src = SpikeGeneratorGroup(1, np.zeros(7, int), np.array([0, 5, 6, 7, 8, 9, 40]) * dt)
    syn = Synapses.from_list(src, g, [0], [0], 1e-3, target="v")
    mon, st = SpikeMonitor(g), StateMonitor(g, "v")
    net = Network(src, g, syn, mon, st, dt=dt, backend=backend)
    net.run(60 * dt)
    v = np.asarray(st.v).reshape(-1)
    assert mon.i.size == 1 and int(round(mon.t[0] / dt)) == 1
    n_ref = int(round(p.t_ref / dt))
    # after the refractory period the membrane starts from v_reset, not v_reset + 5 mV
    after = 1 + n_ref + 1
    assert v[after] == pytest.approx(p.v_reset * np.exp(-dt / p.tau_m), rel=1e-9)
    # the late jump is kept: 1 mV on top of a step's leak
    assert v[41] - v[40] * np.exp(-dt / p.tau_m) == pytest.approx(1e-3, rel=1e-6)


@pytest.mark.parametrize("model", ["lif", "if", "adex"])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_jumps_during_refractoriness_leave_no_trace(model, backend):
    """Invariant for every model with a voltage target and a refractory period: extra
    voltage jumps that arrive only while the unit is refractory change nothing afterwards
    (same later state, same later spikes)."""
    from neurosim import Network, NeuronGroup, SpikeGeneratorGroup, SpikeMonitor
    from neurosim.neurons.adex import AdExParams
    from neurosim.neurons.if_ import IFParams
    from neurosim.neurons.lif import LIFParams
    from neurosim.synapses import Synapses

    dt = 1e-4
    params = {"lif": LIFParams(t_ref=3e-3), "if": IFParams(t_ref=3e-3),
              "adex": AdExParams(t_ref=3e-3)}[model]
    kick = 30e-3 if model != "adex" else 40e-3      # one jump takes it past threshold

    def run(extra: bool):
        g = NeuronGroup(1, params, name="g")
        steps = [10] + ([14, 16, 18, 20] if extra else []) + [60, 61, 62]
        w = [kick] + ([5e-3] * 4 if extra else []) + [2e-3] * 3
        src = SpikeGeneratorGroup(len(steps), np.arange(len(steps)),
                                  np.array(steps, float) * dt)
        syn = Synapses.from_list(src, g, np.arange(len(steps)), np.zeros(len(steps), int),
                                 np.array(w), target="v")
        mon = SpikeMonitor(g)
        net = Network(src, g, syn, mon, dt=dt, backend=backend)
        net.run(100 * dt)
        return np.asarray(mon.t), net.get_state()["g"]

    (t0, s0), (t1, s1) = run(False), run(True)
    assert t0.size == 1 and 10 * dt < t0[0] < 14 * dt    # the kick fired it before the extras
    np.testing.assert_array_equal(t0, t1)
    for v in s0:
        np.testing.assert_array_equal(s0[v], s1[v])
