"""``Network(dtype="float32")`` on the compiled CPU backend, and the one copy of the
connectivity it keeps (issue "engine at scale").

float32 stores state, weights, delay buffers and STDP traces in 4 bytes; the kernel computes
each update in float64 from them and rounds on store, so individual spikes of a chaotic
network drift apart from float64 while its statistics agree. The bounds below are the
documented effect on the CUBA benchmark network (Vogels & Abbott 2005 as in Brian2's
example): they fail if float32 changes the dynamics (e.g. a mis-scaled weight or a lost
input), not on chaos.
"""

from __future__ import annotations

import numpy as np
import pytest
from _cuba_network import cuba as cuba_network

from neurosim import (
    LIFParams,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    Synapses,
)
from neurosim.plasticity.rules import STDP
from neurosim.plasticity.stdp import PairSTDPParams
from neurosim.units import ms, mV


def cuba(n: int = 4000, dtype: str = "float64", seed: int = 0) -> tuple[Network, list]:
    net, mon, syn = cuba_network(n, seed, backend="numba", dtype=dtype, threads=1)
    return net, [mon, syn]


def stats(mon: SpikeMonitor, n: int, duration: float) -> tuple[float, float]:
    """Mean rate (Hz) and mean CV of the inter-spike intervals (neurons with >= 3 spikes)."""
    order = np.lexsort((mon.t, mon.i))
    i, t = mon.i[order], mon.t[order]
    cvs = []
    for k in np.unique(i):
        d = np.diff(t[i == k])
        if d.size >= 2:
            cvs.append(d.std() / d.mean())
    return mon.i.size / (n * duration), float(np.mean(cvs))


def test_float32_cuba_statistics_match_float64():
    out = {}
    for dtype in ("float64", "float32"):
        net, (mon, _) = cuba(dtype=dtype)
        net.run(0.5)
        out[dtype] = stats(mon, 3200, 0.5)
        assert net._runner.S.dtype == np.dtype(dtype)
    (r64, cv64), (r32, cv32) = out["float64"], out["float32"]
    assert 2.0 < r64 < 20.0            # the asynchronous irregular regime of CUBA
    assert abs(r32 - r64) <= 0.1 * r64
    assert abs(cv32 - cv64) <= 0.05


def test_float32_stores_four_bytes_and_one_copy():
    net, (mon, syn) = cuba(n=1000, dtype="float32")
    net.run(20 * ms)
    run = net._runner
    assert run.S.dtype == np.float32 and run.weights.dtype == np.float32
    n_syn = sum(s.n_syn for s in syn)
    for s in syn:                      # the Synapses see the backend's arrays (no copy)
        assert s.weights.dtype == np.float32 and np.shares_memory(s.weights, run.weights)
        # targets of <= 65536 neurons: 2-byte indices, seen as they are stored
        assert s.indices.dtype == np.uint16 and np.shares_memory(s.indices, run.indices)
    c = net.counters                   # the counters' storage model: int32 indices
    assert c["synapse_bytes"] == n_syn * 8 + sum(8 * (s.n_pre + 1) for s in syn)
    assert c["state_bytes"] == 4 * 4 * 1000            # v, i_e, i_i, ref; 4 bytes each
    st = net.get_state()               # float64 copies holding float32 values exactly
    v = st["E"]["v"]
    assert v.dtype == np.float64 and np.array_equal(v.astype(np.float32).astype(np.float64), v)
    assert np.isfinite(v).all() and v.std() > 0
    assert net._state is None          # the runner holds the only copy of the state


def test_weights_view_is_live_and_writable():
    # one source spiking every 5 ms onto one neuron: with the weight zeroed through
    # syn.weights between runs, the target no longer receives input
    src = SpikeGeneratorGroup(1, np.zeros(40, dtype=int), np.arange(40) * 5 * ms)
    tgt = NeuronGroup(1, LIFParams(tau_m=20 * ms, v_rest=-70 * mV, v_reset=-70 * mV,
                                   v_thresh=-50 * mV, t_ref=2 * ms, r_m=1.0, tau_e=5 * ms))
    syn = Synapses.from_list(src, tgt, [0], [0], 100 * mV)
    mon = SpikeMonitor(tgt)
    net = Network(src, tgt, syn, mon, dt=0.1 * ms, backend="numba")
    net.run(100 * ms)
    before = mon.i.size
    assert before >= 10
    kept = syn.weights.copy()
    syn.weights[:] = 0.0
    net.run(100 * ms)
    assert mon.i.size == before
    assert kept[0] == pytest.approx(100 * mV)


def test_float32_stdp_learns_like_float64():
    # feed-forward: 50 Poisson-like sources (fixed spike trains) onto 5 LIF neurons with
    # pair STDP; float32 learns the same changes to within float32 rounding (here no spike
    # moved), weights in bounds
    rng = np.random.default_rng(3)
    n_src, T = 50, 2.0
    steps = np.flatnonzero(rng.random((int(T / (0.1 * ms)), n_src)).ravel() < 0.002)
    times, idx = (steps // n_src) * 0.1 * ms, steps % n_src     # 20 Hz, one per step
    finals = {}
    for dtype in ("float64", "float32"):
        src = SpikeGeneratorGroup(n_src, idx, times)
        tgt = NeuronGroup(5, LIFParams(tau_m=20 * ms, v_rest=-70 * mV, v_reset=-70 * mV,
                                       v_thresh=-54 * mV, t_ref=2 * ms, r_m=1.0,
                                       tau_e=5 * ms))
        w0 = np.random.default_rng(4).uniform(5 * mV, 10 * mV, size=n_src * 5)
        syn = Synapses.all_to_all(src, tgt, w0)
        syn.attach(STDP(PairSTDPParams(a_plus=0.02 * mV, a_minus=0.021 * mV, w_min=0.0,
                                       w_max=12 * mV)))
        mon = SpikeMonitor(tgt)
        net = Network(src, tgt, syn, mon, dt=0.1 * ms, backend="numba", dtype=dtype)
        net.run(T)
        assert mon.i.size > 20                                 # the targets fire
        w = net.get_state()["plastic:" + syn.name]["w"][0]
        assert (w >= 0).all() and (w <= 12 * mV + 1e-12).all()
        assert syn.weights.dtype == np.dtype(dtype)
        assert np.shares_memory(syn.weights, net._runner.weights)
        finals[dtype] = w
    change = np.abs(finals["float64"] - w0).max()
    assert change > 1e-4                                       # it learned (0.3 mV)
    # rounding of the weights (~5e-10 V) accumulated over the run: far below the changes
    assert np.abs(finals["float32"] - finals["float64"]).max() < 1e-3 * change


def test_indices_take_two_bytes_up_to_65536_targets():
    """uint16 indices while every target group has <= 65536 neurons, uint32 (seen by the
    Synapses as int32) beyond; the same spikes either way."""
    def run(n_big):
        src = SpikeGeneratorGroup(3, np.array([0, 1, 2, 0]), np.array([1, 2, 3, 6]) * ms)
        big = NeuronGroup(n_big, LIFParams(tau_m=20 * ms, v_rest=-70 * mV,
                                           v_reset=-70 * mV, v_thresh=-50 * mV,
                                           t_ref=2 * ms, r_m=1.0, tau_e=5 * ms))
        j = np.array([0, n_big - 1, 7, n_big - 1, 3])
        syn = Synapses.from_list(src, big, [0, 0, 1, 2, 2], j, 300 * mV)
        mon = SpikeMonitor(big)
        net = Network(src, big, syn, mon, dt=0.1 * ms, backend="numba", threads=1)
        net.run(10 * ms)
        return net._runner.indices.dtype, syn.indices, mon
    small, big = run(1 << 16), run((1 << 16) + 1)
    assert small[0] == np.uint16 and small[1].dtype == np.uint16
    assert big[0] == np.uint32 and big[1].dtype == np.int32
    assert small[1][1] == (1 << 16) - 1 and big[1][1] == 1 << 16      # no wrap-around
    assert small[2].i.size > 0
    np.testing.assert_array_equal(small[2].steps, big[2].steps)
    np.testing.assert_array_equal(np.minimum(small[2].i, 8), np.minimum(big[2].i, 8))
