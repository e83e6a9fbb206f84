"""Quadratic integrate-and-fire neuron: period vs theory, backends agree, Brian2 agrees,
bad parameters are rejected with clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _spike_compare import assert_same_spikes

from neurosim import (
    CurrentInjection,
    Network,
    NeuronGroup,
    PoissonGroup,
    QIFParams,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from neurosim.neurons.qif import QIFState, qif_period, qif_step
from neurosim.units import Hz, ms, mV, pA


def _isi(params, i_in, dt, duration=400 * ms):
    """Mean inter-spike interval of one neuron driven by a constant current (numpy)."""
    g = NeuronGroup(1, params, name="g")
    mon = SpikeMonitor(g)
    Network(g, CurrentInjection(g, i_in), mon, dt=dt, backend="numpy", seed=0).run(duration)
    assert mon.t.size >= 3
    return float(np.diff(mon.t).mean())


@pytest.mark.parametrize("i_in", [45 * pA, 60 * pA, 120 * pA])
def test_period_matches_theory(i_in):
    """Constant suprathreshold input: the ISI equals the analytic QIF period
    T = tau/(a b) [atan((v_peak - m)/b) - atan((v_reset - m)/b)] (Ermentrout & Kopell 1986;
    Latham et al. 2000). Euler at step dt and spike detection on the grid each err by
    O(dt): the bound is 3 dt, and the error shrinks with dt."""
    p = QIFParams()
    T = qif_period(p, i_in)
    assert math.isfinite(T) and T > 0
    errs = []
    for dt in (0.1 * ms, 0.02 * ms):
        errs.append(abs(_isi(p, i_in, dt) - T))
        assert errs[-1] <= 3 * dt, (dt, errs[-1], T)
    assert errs[1] < errs[0]


def test_rheobase():
    p = QIFParams()
    rheo = p.a * ((p.v_crit - p.v_rest) / 2) ** 2 / p.r_m      # 37.5 pA
    assert qif_period(p, 0.99 * rheo) == math.inf
    assert math.isfinite(qif_period(p, 1.01 * rheo))
    g = NeuronGroup(1, p, name="g")
    mon = SpikeMonitor(g)
    Network(g, CurrentInjection(g, 0.9 * rheo), mon, dt=0.1 * ms, backend="numpy").run(
        200 * ms)
    assert mon.t.size == 0


def test_refractory_period_adds_to_the_period():
    base, held = QIFParams(), QIFParams(t_ref=3 * ms)
    dt = 0.1 * ms
    assert _isi(held, 80 * pA, dt) == pytest.approx(_isi(base, 80 * pA, dt) + 3 * ms,
                                                    abs=1.5 * dt)


def test_step_is_pure_and_matches_equation():
    p = QIFParams(t_ref=0.0)
    st = QIFState(np.array([-60e-3, -40e-3]), np.array([1e-11, 0.0]), np.zeros(2),
                  np.zeros(2))
    before = [a.copy() for a in st]
    dt = 0.1 * ms
    spikes, new = qif_step(st, 50 * pA, p, dt)
    for a, b in zip(st, before):
        np.testing.assert_array_equal(a, b)
    v = st.v
    dv = (p.a * (v - p.v_rest) * (v - p.v_crit) + p.r_m * (50 * pA + st.i_e)) / p.tau_m
    np.testing.assert_allclose(new.v, v + dt * dv, rtol=1e-14)
    assert not spikes.any()
    spikes, new = qif_step(st._replace(v=np.array([-60e-3, -30.2e-3])), 0.0, p, dt)
    assert spikes.tolist() == [False, True] and new.v[1] == p.v_reset


def _recurrent(backend, seed=2):
    inp = PoissonGroup(40, 80 * Hz, name="inp")
    g = NeuronGroup(30, QIFParams(t_ref=1 * ms), name="g",
                    init={"v": np.random.default_rng(seed).uniform(-65, -52, 30) * mV})
    s_in = Synapses.fixed_probability(inp, g, 0.3, 60 * pA, seed=seed, name="s_in")
    s_ee = Synapses.fixed_probability(g, g, 0.2, 40 * pA, seed=seed + 1, name="s_ee")
    s_ii = Synapses.fixed_probability(g, g, 0.1, -60 * pA, target="i", seed=seed + 2,
                                      delay=1 * ms, name="s_ii")
    mon = SpikeMonitor(g, name="m")
    st = StateMonitor(g, ["v", "i_e"], [0, 5], name="st")
    net = Network(inp, g, s_in, s_ee, s_ii, CurrentInjection(g, 20 * pA), mon, st,
                  dt=0.1 * ms, seed=seed, backend=backend, device="cpu")
    return net, mon, st


def test_backends_give_identical_spikes():
    """numpy, numba and torch (float64, CPU): same spikes and states, bit for bit."""
    pytest.importorskip("torch")
    res = {}
    for b in ("numpy", "numba", "torch"):
        net, mon, st = _recurrent(b)
        net.run(80 * ms)
        res[b] = (mon.i.copy(), mon.steps.copy(), st["v"].copy(), st["i_e"].copy())
    assert res["numpy"][0].size > 50
    for b in ("numba", "torch"):
        for x, y in zip(res["numpy"], res[b]):
            np.testing.assert_array_equal(x, y)


@pytest.mark.brian2
def test_same_spikes_as_brian2():
    """Export to Brian2 (runtime, numpy target) and run there: same neurons spike, at the
    same times (within one dt: Euler steps written differently by Brian2 round
    differently), with spike-generator input (deterministic) and recurrent synapses."""
    pytest.importorskip("brian2")
    from neurosim.interop.brian2 import model_equations, run_in_brian2

    dt = 0.1 * ms
    rng = np.random.default_rng(5)
    n = 12
    times = np.sort(rng.uniform(0, 50 * ms, 60))
    gen = SpikeGeneratorGroup(n, rng.integers(0, n, times.size), times, name="gen")
    g = NeuronGroup(n, QIFParams(), name="g",
                    init={"v": rng.uniform(-65, -55, n) * mV})
    s_in = Synapses.fixed_probability(gen, g, 0.4, 150 * pA, seed=1, name="s_in")
    s_rec = Synapses.fixed_probability(g, g, 0.2, -40 * pA, target="i", seed=2,
                                       name="s_rec")
    inj = CurrentInjection(g, rng.uniform(30, 60, n) * pA)
    sm = SpikeMonitor(g, name="sm")
    net = Network(gen, g, s_in, s_rec, inj, sm, dt=dt, seed=1, backend="numpy")
    assert model_equations(QIFParams())["method"] == "euler"
    ref = run_in_brian2(net, 60 * ms, target="numpy")
    net.run(60 * ms)
    b_i, b_t = ref.spikes["g"]
    assert sm.i.size > 10
    assert sm.i.size == b_i.size
    assert_same_spikes(sm.i, sm.t, b_i, b_t, dt, within=dt * 1.001, strict=False)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(tau_m=10), r"QIFParams\.tau_m=10 s looks like milliseconds"),
    (dict(tau_m=-1e-3), r"QIFParams\.tau_m must be > 0"),
    (dict(v_peak=30), r"QIFParams\.v_peak=30 V looks like millivolts"),
    (dict(a=0.0667), r"QIFParams\.a=0\.0667 /V looks like per millivolt"),
    (dict(a=-5.0), r"QIFParams\.a must be > 0"),
    (dict(v_rest=-40 * mV), r"QIFParams\.v_rest must be < v_crit"),
    (dict(v_peak=-55 * mV), r"QIFParams\.v_peak must be > v_crit"),
    (dict(v_reset=-20 * mV, v_peak=-25 * mV), r"QIFParams\.v_reset must be < v_peak"),
    (dict(t_ref=-1e-3), r"QIFParams\.t_ref must be >= 0"),
    (dict(r_m=0.0), r"QIFParams\.r_m must be > 0"),
    (dict(tau_e=float("nan")), r"QIFParams\.tau_e must be finite"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        QIFParams(**kwargs)


def test_bad_dt_and_types():
    with pytest.raises(TypeError, match=r"QIFParams\.a must be a real number"):
        QIFParams(a="1")
    with pytest.raises(ValueError, match=r"too large for Euler integration of QIFParams"):
        QIFParams(tau_m=20 * ms, tau_e=20 * ms, tau_i=20 * ms).check_dt(2 * ms)


def test_nir_export_names_the_model():
    pytest.importorskip("nir")
    from neurosim.interop.nir import to_nir

    gen = SpikeGeneratorGroup(2, [0], [1 * ms], name="gen")
    g = NeuronGroup(2, QIFParams(), name="g")
    net = Network(gen, g, Synapses.one_to_one(gen, g, 1 * mV, target="v", name="s"),
                  SpikeMonitor(g), dt=0.1 * ms, backend="numpy")
    with pytest.raises(NotImplementedError, match=r"QIFParams"):
        to_nir(net, dt=0.1 * ms)
