"""Network: delivery timing, counters, inputs, continuation, store/restore, bad input."""

import numpy as np
import pytest

from neurosim import (
    CurrentInjection,
    LIFParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    PopulationRateMonitor,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from neurosim.units import Hz, ms, mV, nA, pA

BACKENDS = ["numpy", "numba", "torch"]




def _random_net(backend, seed=0, batch=1):
    exc = NeuronGroup(80, LIFParams(), name="exc")
    inh = NeuronGroup(20, LIFParams(), name="inh")
    inp = PoissonGroup(40, 30 * Hz, name="inp")
    objs = [
        exc, inh, inp,
        Synapses.fixed_probability(inp, exc, 0.3, 300 * pA, seed=seed, name="in_e"),
        Synapses.fixed_probability(exc, exc, 0.1, 100 * pA, seed=seed + 1, name="ee"),
        Synapses.fixed_probability(exc, inh, 0.2, 150 * pA, seed=seed + 2, name="ei"),
        Synapses.fixed_probability(inh, exc, 0.2, -200 * pA, target="i", seed=seed + 3,
                                   name="ie"),
        CurrentInjection(exc, 0.18 * nA),
        SpikeMonitor(exc, name="m_exc"), SpikeMonitor(inp, name="m_inp"),
        SpikeMonitor(inh, name="m_inh"),
    ]
    return Network(*objs, dt=0.1 * ms, seed=seed, backend=backend, batch_size=batch)


@pytest.mark.parametrize("backend", BACKENDS)
def test_spike_acts_on_target_from_next_step(backend):
    gen = SpikeGeneratorGroup(1, [0], [1.0 * ms], name="gen")
    g = NeuronGroup(2, LIFParams(), name="g")
    syn = Synapses.from_list(gen, g, [0], [1], 100 * pA, name="s")
    mon = StateMonitor(g, ["i_e", "v"], every=1)
    net = Network(gen, g, syn, mon, dt=0.1 * ms, backend=backend)
    net.run(2 * ms)
    i_e = mon["i_e"][:, 0, :]
    assert mon.t[0] == 0.0 and i_e.shape == (20, 2)
    # spike at step 10 is delivered at the end of step 10: visible at the start of step 11
    assert np.all(i_e[:11] == 0) and i_e[11, 1] == pytest.approx(100 * pA)
    assert np.all(i_e[:, 0] == 0)
    assert mon["v"][12, 0, 1] > LIFParams().v_rest


@pytest.mark.parametrize("backend", BACKENDS)
def test_counters_match_monitors(backend):
    net = _random_net(backend)
    net.run(50 * ms)
    c = net.counters
    mons = {m.name: m for m in net.objects if isinstance(m, SpikeMonitor)}
    assert c["steps"] == 500 and c["neuron_updates"] == 500 * 100
    assert c["spikes"] == mons["m_exc"].i.size + mons["m_inh"].i.size > 0
    assert c["input_spikes"] == mons["m_inp"].i.size
    syns = {s.name: s for s in net.objects if isinstance(s, Synapses)}
    events = sum(int(np.sum(syns[s].row_lengths()[mons[m].i]))
                 for s, m in [("in_e", "m_inp"), ("ee", "m_exc"), ("ei", "m_exc"),
                              ("ie", "m_inh")])
    assert c["synaptic_events"] == events
    assert c["n_synapses"] == sum(s.n_syn for s in syns.values())
    assert c["state_bytes"] == 100 * 4 * 8


def test_poisson_rate_within_statistical_bound():
    inp = PoissonGroup(500, 40 * Hz, name="inp")
    mon = SpikeMonitor(inp)
    rates = PopulationRateMonitor(inp)
    for seed in (0, 1, 2):
        mon.reset()
        rates.reset()
        net = Network(inp, mon, rates, dt=0.1 * ms, seed=seed, backend="numpy")
        net.run(0.5)
        n_exp = 500 * 40 * 0.5
        assert abs(mon.i.size - n_exp) < 5 * np.sqrt(n_exp)
        assert rates.rate.mean() == pytest.approx(mon.i.size / (500 * 0.5))


def test_time_varying_rates_and_currents():
    rates = np.zeros((100, 3))
    rates[50:, 1] = 5000 * Hz
    inp = PoissonGroup(3, rates, name="inp")
    mon = SpikeMonitor(inp)
    g = NeuronGroup(2, LIFParams(), name="g")
    cur = np.zeros((100, 2))
    cur[:, 1] = 1 * nA
    vmon = StateMonitor(g, "v")
    net = Network(inp, g, mon, vmon, CurrentInjection(g, cur), dt=0.1 * ms, seed=0,
                  backend="numpy")
    net.run(10 * ms)
    assert set(mon.i) == {1} and mon.steps.min() >= 50
    assert np.all(vmon.v[:, 0, 0] == LIFParams().v_rest) and vmon.v[-1, 0, 1] > -60 * mV
    with pytest.raises(ValueError, match=r"covers 100 steps but the run needs steps up to 109"):
        net.run(1 * ms)


@pytest.mark.parametrize("backend", BACKENDS)
def test_repeated_runs_continue_and_store_restore_is_exact(backend):
    a = _random_net(backend, seed=3)
    a.run(20 * ms)
    a.run(30 * ms)
    b = _random_net(backend, seed=3)
    b.run(50 * ms)
    ma = {m.name: m for m in a.objects if isinstance(m, SpikeMonitor)}
    mb = {m.name: m for m in b.objects if isinstance(m, SpikeMonitor)}
    for k in ma:
        np.testing.assert_array_equal(ma[k].steps, mb[k].steps)
        np.testing.assert_array_equal(ma[k].i, mb[k].i)
    b.store()
    b.run(20 * ms)
    first = (mb["m_exc"].i.copy(), b.get_state()["exc"]["v"].copy(), b.counters)
    b.restore()
    b.run(20 * ms)
    np.testing.assert_array_equal(mb["m_exc"].i, first[0])
    np.testing.assert_array_equal(b.get_state()["exc"]["v"], first[1])
    assert b.counters == first[2]


def test_bad_input_errors():
    g = NeuronGroup(3, LIFParams(), name="g")
    with pytest.raises(ValueError, match=r"unknown backend 'nmba'; choose from: auto, numba"):
        Network(g, backend="nmba")
    with pytest.raises(ValueError, match=r"Network.run: duration must be >= 0, got -1.0"):
        Network(g, backend="numpy").run(-1.0)
    with pytest.raises(ValueError, match=r"Network.dt=1 s looks like milliseconds"):
        Network(g, dt=1)
    with pytest.raises(ValueError, match=r"dt=0.02 s is larger than LIFParams.tau_e"):
        Network(g, dt=0.02, backend="numpy").run(0.1)
    with pytest.raises(ValueError, match=r"Synapses.weights contains NaN or inf"):
        Synapses.from_list(g, g, [0], [1], np.nan)
    with pytest.raises(ValueError, match=r"Synapses.delay must be >= 0, got -0.001"):
        Synapses.from_list(g, g, [0], [1], 1 * pA, delay=-1 * ms)
    s = Synapses.from_list(g, g, [0], [1], 1 * pA, delay=0.25 * ms)
    with pytest.raises(ValueError, match=r"Synapses.delay must be a multiple of dt"):
        Network(g, s, dt=0.1 * ms, backend="numpy").run(1 * ms)
    with pytest.raises(ValueError, match=r"from_matrix: w must have shape \(3, 3\)"):
        Synapses.from_matrix(g, g, np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"target must be one of e, i, v"):
        Synapses.from_list(g, g, [0], [1], 1 * pA, target="x")
    with pytest.raises(ValueError, match=r"CurrentInjection.values must have shape \(3,\)"):
        CurrentInjection(g, np.ones(4))
    with pytest.raises(ValueError, match=r"CurrentInjection.values contains NaN or inf"):
        CurrentInjection(g, np.array([0, np.inf, 0]))
    with pytest.raises(ValueError, match=r"PoissonGroup.rates must be >= 0"):
        PoissonGroup(2, -1 * Hz)
    with pytest.raises(TypeError, match=r"NeuronGroup.params must be one of LIFParams"):
        NeuronGroup(3, object())
    with pytest.raises(ValueError, match=r"NeuronGroup.n must be >= 1, got 0"):
        NeuronGroup(0, LIFParams())
    other = NeuronGroup(2, LIFParams(), name="other")
    with pytest.raises(ValueError, match=r"refers to group 'other', which is not in the"):
        Network(g, SpikeMonitor(other), backend="numpy").run(1 * ms)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_in_state_is_detected_not_spiked(backend):
    g = NeuronGroup(3, LIFParams(), name="g")
    net = Network(g, CurrentInjection(g, 0.1 * nA), backend=backend)
    net.run(1 * ms)
    st = net.get_state()
    runner = net._runner
    if backend == "numba":
        runner.S[0, 0, 1] = np.nan
    else:
        runner.state["g"]["v"][0, 1] = float("nan")
    with pytest.raises(FloatingPointError, match=r"state of group 'g' became NaN or inf"):
        net.run(1 * ms)
    assert st["g"]["v"].shape == (1, 3)


def test_float32_on_torch_and_rejected_elsewhere():
    g = NeuronGroup(20, LIFParams(), name="g")
    cur = CurrentInjection(g, np.linspace(0.1, 0.5, 20) * nA)
    m32, m64 = SpikeMonitor(g, name="a"), SpikeMonitor(g, name="b")
    Network(g, cur, m32, backend="torch", dtype="float32").run(50 * ms)
    Network(g, cur, m64, backend="numpy").run(50 * ms)
    # float32 rounding may move a spike by a step, never by more
    assert abs(m32.i.size - m64.i.size) <= 2
    with pytest.raises(ValueError, match=r"dtype=.float32. needs backend=.torch. or .numba."):
        Network(g, backend="numpy", dtype="float32")
