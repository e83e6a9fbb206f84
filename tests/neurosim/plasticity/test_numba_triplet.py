"""Triplet STDP compiled in the numba kernel: the same weights and traces as the numpy
path (the pure triplet_stdp_step) for nearest and all-to-all pairing, several plastic
projections side by side with a pair rule, state round trip, and the rule's amplitudes
acting as the theory says (pre-before-post potentiates only through A3+ o2)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurosim import (
    LIFCondThetaParams,
    LIFParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    Synapses,
)
from neurosim.backends.numba_cpu import PlasticNumbaRunner
from neurosim.plasticity.rules import STDP, TripletSTDP
from neurosim.plasticity.stdp import PairSTDPParams, TripletSTDPParams
from neurosim.units import Hz, ms, mV, pA

P = LIFCondThetaParams(tau_m=100 * ms, v_rest=-65 * mV, v_reset=-65 * mV, v_thresh=-52 * mV,
                       t_ref=5 * ms, r_m=1.0, tau_e=1 * ms, tau_i=2 * ms, e_e=0.0,
                       e_i=-100 * mV, theta_plus=0.05 * mV, tau_theta=1e4)


def _triplet(pairing, a2p=0.0, a3m=0.0):
    return TripletSTDP(TripletSTDPParams(tau_plus=20 * ms, tau_minus=20 * ms, tau_x=30 * ms,
                                         tau_y=40 * ms, a2_plus=a2p, a3_plus=1e-2,
                                         a2_minus=1e-4, a3_minus=a3m, w_max=1.0,
                                         pairing=pairing))


def _run(backend, pairing, a2p, a3m, with_pair):
    inp = PoissonGroup(50, 60 * Hz, name="inp")
    g = NeuronGroup(20, P, name="exc")
    rng = np.random.default_rng(0)
    s = Synapses.all_to_all(inp, g, rng.random(1000) * 0.5, name="ie")
    s.attach(_triplet(pairing, a2p, a3m))
    objs = [inp, g, s]
    if with_pair:   # a sparse pair-STDP projection beside it
        s2 = Synapses.fixed_probability(inp, g, 0.3, 0.2, seed=3, name="ie2")
        s2.attach(STDP(PairSTDPParams(a_plus=5e-3, a_minus=6e-3, w_max=1.0)))
        objs.append(s2)
    net = Network(*objs, dt=0.5 * ms, seed=1, backend=backend)
    net.run(0.3)
    st1 = net.get_state()
    net.run(0.3)          # continues across a rebuilt runner (set_state of the same state)
    return net, st1, net.get_state()


@pytest.mark.parametrize(("pairing", "a2p", "a3m"), [("nearest", 0.0, 0.0),
                                                     ("all_to_all", 3e-3, 2e-3)])
@pytest.mark.parametrize("with_pair", [False, True])
def test_numba_equals_numpy(pairing, a2p, a3m, with_pair):
    ref_net, ref1, ref = _run("numpy", pairing, a2p, a3m, with_pair)
    net, st1, st = _run("numba", pairing, a2p, a3m, with_pair)
    assert isinstance(net._runner, PlasticNumbaRunner)
    assert set(st["plastic:ie"]) == {"w", "r1", "r2", "o1", "o2"}
    assert ref["exc"]["theta"].max() > 0       # the neurons fired
    for key in [k for k in ref if k.startswith("plastic:")]:
        for f in ref[key]:
            np.testing.assert_array_equal(st[key][f], ref[key][f])
    np.testing.assert_array_equal(st["exc"]["theta"], ref["exc"]["theta"])
    assert not np.array_equal(ref1["plastic:ie"]["w"], ref["plastic:ie"]["w"])
    assert net.counters["plasticity_updates"] == ref_net.counters["plasticity_updates"] > 0


def test_state_round_trip_continues_exactly():
    _, st1, ref = _run("numba", "nearest", 0.0, 0.0, False)
    inp = PoissonGroup(50, 60 * Hz, name="inp")
    g = NeuronGroup(20, P, name="exc")
    s = Synapses.all_to_all(inp, g, 0.1, name="ie").attach(_triplet("nearest"))
    net = Network(inp, g, s, dt=0.5 * ms, seed=1, backend="numba")
    net.run(0.3)
    net.set_state(st1)
    st = net.get_state()
    for f in st1["plastic:ie"]:
        np.testing.assert_array_equal(st["plastic:ie"][f], st1["plastic:ie"][f])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_spike_pairs_follow_the_rule(backend):
    """A pre spike at step 10; kicks make the post neuron spike at steps 21 and 41 (a kick
    delivered in step k acts from step k + 1). Nearest pairing, A2+ = A3- = 0: the pre
    spike depresses nothing (o1 = 0), the first post spike potentiates by A3+ o2(t-) r1 = 0
    (o2 = 0), the second by A3+ exp(-20 dt / tau_y) exp(-31 dt / tau_plus)."""
    dt = 0.5 * ms
    pre = SpikeGeneratorGroup(1, [0], [10.5 * dt], name="pre")
    kick = SpikeGeneratorGroup(1, [0, 0], [20.5 * dt, 40.5 * dt], name="kick")
    post = NeuronGroup(1, LIFParams(t_ref=0.0), name="post")
    w0 = 1e-3 * pA       # a current: far too small for the pre spike alone to fire
    s = Synapses.all_to_all(pre, post, w0, name="s")
    s.attach(TripletSTDP(TripletSTDPParams(tau_plus=20 * ms, tau_minus=20 * ms,
                                           tau_x=30 * ms, tau_y=40 * ms, a2_plus=0.0,
                                           a3_plus=1e-2, a2_minus=1e-4, a3_minus=0.0,
                                           w_min=0.0, w_max=1.0, pairing="nearest")))
    k = Synapses.all_to_all(kick, post, 1.0, target="v", name="k")
    mon = SpikeMonitor(post)
    net = Network(pre, kick, post, s, k, mon, dt=dt, seed=0, backend=backend)
    net.run(30 * dt)
    assert mon.steps.tolist() == [21]
    assert net.get_state()["plastic:s"]["w"][0, 0] == w0
    net.run(20 * dt)
    assert mon.steps.tolist() == [21, 41]
    expected = w0 + 1e-2 * math.exp(-20 * dt / (40 * ms)) * math.exp(-31 * dt / (20 * ms))
    assert net.get_state()["plastic:s"]["w"][0, 0] == pytest.approx(expected, rel=1e-12)
