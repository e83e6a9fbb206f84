"""Spike-for-spike agreement with Brian2 (numpy code generation, runtime mode)."""

import logging

import numpy as np
import pytest
from _spike_compare import assert_same_spikes

from neurosim import (
    ALIFParams,
    CurrentInjection,
    IzhikevichParams,
    LIFCondParams,
    LIFParams,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from neurosim.neurons import AdExParams
from neurosim.units import ms, nA, nS, pA

pytest.importorskip("brian2")
pytestmark = pytest.mark.brian2

DT = 0.1 * ms


@pytest.fixture(autouse=True)
def _quiet_brian2():
    """Brian2 logs every code object at DEBUG level and pytest's log capture formats each
    record, which costs more than the simulations; keep warnings only."""
    log = logging.getLogger("brian2")
    old = log.level
    log.setLevel(logging.WARNING)
    yield
    log.setLevel(old)


def _build(kind, delays, seed):
    rng = np.random.default_rng(seed)
    n_in, n = 20, 30
    times = np.sort(rng.uniform(0, 50 * ms, 60))
    gen = SpikeGeneratorGroup(n_in, rng.integers(0, n_in, 60), np.round(times / DT) * DT,
                              name="gen")
    if kind == "lif":
        params, w_in, w_rec, cur = LIFParams(), 300 * pA, -100 * pA, (0.1, 0.22)
    elif kind == "cond":
        params, w_in, w_rec, cur = LIFCondParams(), 4 * nS, 2 * nS, (0.05, 0.12)
    elif kind == "alif":
        params, w_in, w_rec, cur = ALIFParams(), 300 * pA, -100 * pA, (0.15, 0.3)
    elif kind == "izh":
        params, w_in, w_rec, cur = IzhikevichParams(), 300.0, -50.0, (2.0, 8.0)
    else:
        params, w_in, w_rec, cur = AdExParams(), 600 * pA, -100 * pA, (0.5, 1.0)
    g = NeuronGroup(n, params, name="g")
    # input synapses: per-synapse delays (0 to 1.9 ms); recurrent: none, or 1.5 ms
    d_in = lambda r, k: r.integers(0, 20, k) * DT  # noqa: E731
    d_rec = 1.5 * ms if delays else 0.0
    s_in = Synapses.fixed_probability(gen, g, 0.3, w_in, seed=seed, delay=d_in, name="s_in")
    # inhibitory: a conductance >= 0, or a negative current (the sign convention)
    s_rec = Synapses.fixed_probability(g, g, 0.2, abs(w_rec) if kind == "cond" else w_rec,
                                       target="i", seed=seed + 1, delay=d_rec, name="s_rec")
    inj = CurrentInjection(g, rng.uniform(*cur, n) * (nA if kind not in ("izh",) else 1.0))
    sm = SpikeMonitor(g, name="sm")
    st = StateMonitor(g, ["v"], [0, 1, 2, 3], name="st")
    return Network(gen, g, s_in, s_rec, inj, sm, st, dt=DT, seed=seed, backend="numba")


@pytest.mark.parametrize(
    ("kind", "delays"),
    [("lif", False), ("cond", False), ("alif", False), ("izh", False),
     pytest.param("lif", True, marks=pytest.mark.slow),
     pytest.param("cond", True, marks=pytest.mark.slow),
     pytest.param("alif", True, marks=pytest.mark.slow),
     pytest.param("izh", True, marks=pytest.mark.slow),
     pytest.param("adex", False, marks=pytest.mark.slow)],
)
def test_same_spikes_and_traces_as_brian2(kind, delays):
    from neurosim.interop.brian2 import run_in_brian2

    net = _build(kind, delays, seed=1)
    ref = run_in_brian2(net, 60 * ms, target="numpy")
    net.run(60 * ms)
    sm = next(m for m in net.objects if isinstance(m, SpikeMonitor))
    st = next(m for m in net.objects if isinstance(m, StateMonitor))
    b_i, b_t = ref.spikes["g"]
    assert sm.i.size > 10
    # identical spike trains: same neurons, times within one dt
    assert_same_spikes(sm.i, sm.t, b_i, b_t, DT, within=DT)
    v = st["v"][:, 0, :]
    np.testing.assert_allclose(v, ref.states["g"]["v"], rtol=0, atol=1e-9)
