"""PoissonGroup.set_rates (constant or per-copy rates changed between runs) and
Network.set_state into a prepared runner (numba's load_state) versus a fresh runner."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim import LIFParams, Network, NeuronGroup, PoissonGroup, SpikeMonitor, Synapses
from neurosim.units import Hz, ms, pA


def _poisson_net(rates, batch=1, seed=0):
    inp = PoissonGroup(40, rates, name="inp")
    mon = SpikeMonitor(inp)
    net = Network(inp, mon, dt=0.5 * ms, seed=seed, backend="numpy", batch_size=batch)
    return net, inp, mon


def test_per_copy_rates_give_per_copy_counts():
    """Copy b at rate r_b: the spike count per source and step is Binomial(T, r_b dt);
    the means agree within 5 standard errors."""
    net, inp, mon = _poisson_net(0.0, batch=3)
    r = np.array([20.0, 80.0, 0.0])
    inp.set_rates(np.repeat(r[:, None], 40, 1), block_steps=2000)
    net.run(1.0)
    T = 2000
    counts = np.bincount(mon.batch, minlength=3) / 40
    p = r * 0.5 * ms
    se = np.sqrt(T * p * (1 - p) / 40)
    assert counts[2] == 0
    assert np.all(np.abs(counts[:2] - T * p[:2]) < 5 * se[:2]), (counts, T * p)


def test_spikes_after_set_rates_do_not_depend_on_the_clock():
    """The same generator state gives the same presentation whether the network has run
    0 or 777 steps before (blocks restart at the next step drawn)."""
    out = []
    for pre in (0, 777):
        net, inp, mon = _poisson_net(30.0)
        net.get_state()          # built: the network gives its generator at build time
        net.run(pre * 0.5 * ms)
        inp.rng = np.random.default_rng(42)
        inp.set_rates(np.linspace(0, 100, 40), block_steps=300)
        mon.clear()
        net.run(300 * 0.5 * ms)
        out.append((mon.steps - net.step_count + 300, mon.i))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
    assert out[0][1].size > 100


def test_set_rates_errors():
    _, inp, _ = _poisson_net(0.0)
    with pytest.raises(ValueError, match=r"PoissonGroup\.rates must be >= 0, got min -1\.0"):
        inp.set_rates(-1.0)
    with pytest.raises(ValueError, match=r"rates must have shape \(40,\) or \(B, 40\), "
                                         r"got \(3,\)"):
        inp.set_rates(np.ones(3))
    with pytest.raises(ValueError, match=r"block_steps must be >= 1, got 0"):
        inp.set_rates(1.0, block_steps=0)
    net, inp, _ = _poisson_net(0.0, batch=2)
    inp.set_rates(np.ones((3, 40)))
    with pytest.raises(ValueError, match=r"3 rows \(one per copy\), network has "
                                         r"batch_size=2"):
        net.run(1 * ms)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_set_state_in_place_equals_a_fresh_network(backend):
    """set_state on a network that has run (the numba runner takes it in place) continues
    exactly as a new network given the same state."""
    def build():
        inp = PoissonGroup(30, 50 * Hz, name="inp")
        g = NeuronGroup(20, LIFParams(), name="g")
        s = Synapses.all_to_all(inp, g, 40 * pA, name="s")
        m = SpikeMonitor(g)
        return Network(inp, g, s, m, dt=0.1 * ms, seed=3, backend=backend), m

    a, ma = build()
    a.run(20 * ms)
    st = a.get_state()
    st["g"]["v"] += 2e-3
    a.set_state(st)
    ma.clear()
    a.run(30 * ms)
    b, mb = build()
    b.run(20 * ms)          # same clock and input stream
    b._runner = None        # force a freshly prepared runner from the state
    b.set_state(st)
    mb.clear()
    b.run(30 * ms)
    assert ma.i.size > 10
    np.testing.assert_array_equal(ma.i, mb.i)
    np.testing.assert_array_equal(ma.steps, mb.steps)
    np.testing.assert_array_equal(a.get_state()["g"]["v"], b.get_state()["g"]["v"])
