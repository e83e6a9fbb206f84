"""Poisson input: the block sampler draws the discretised Poisson process exactly and is
independent of how a run is split."""

import numpy as np
import pytest
from scipy import stats

from neurosim import LIFParams, Network, NeuronGroup, PoissonGroup, SpikeMonitor, Synapses
from neurosim.neurons.inputs import bernoulli_block
from neurosim.units import Hz, ms, pA


@pytest.mark.parametrize("p", [0.002, 0.04, 0.3])
def test_block_spike_probability_matches_p_within_binomial_bound(p):
    rng = np.random.default_rng(0)
    x = bernoulli_block(rng, np.full(200, p), 5000)
    n = x.size
    # 5-sigma binomial bound on the overall rate, and per-source counts within 6 sigma
    assert abs(x.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    counts = x.sum(axis=0)
    assert np.all(np.abs(counts - 5000 * p) < 6 * np.sqrt(5000 * p * (1 - p)) + 1)


def test_block_gaps_are_geometric_and_steps_independent():
    p = 0.01
    rng = np.random.default_rng(1)
    x = bernoulli_block(rng, np.full(50, p), 40000)
    gaps = np.concatenate([np.diff(np.flatnonzero(x[:, i])) for i in range(50)])
    # Kolmogorov-Smirnov against the geometric law (support 1, 2, ...); discrete -> loose p
    assert stats.kstest(gaps, stats.geom(p).cdf).pvalue > 1e-4
    # consecutive steps uncorrelated
    a, b = x[:-1].ravel().astype(float), x[1:].ravel().astype(float)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(a.size)


def test_block_rates_per_source_and_zero_rate():
    p = np.array([0.0, 0.001, 0.02, 0.05])
    x = bernoulli_block(np.random.default_rng(2), p, 200000)
    assert not x[:, 0].any()
    for i in range(1, 4):
        assert abs(x[:, i].mean() - p[i]) < 5 * np.sqrt(p[i] / 200000)


def _net(seed=3):
    inp = PoissonGroup(300, 40 * Hz, name="inp")
    g = NeuronGroup(20, LIFParams(), name="g")
    s = Synapses.fixed_probability(inp, g, 0.3, 400 * pA, seed=1, name="s")
    mi, mg = SpikeMonitor(inp, name="mi"), SpikeMonitor(g, name="mg")
    return Network(inp, g, s, mi, mg, dt=0.1 * ms, seed=seed, backend="numpy"), mi, mg


def _trains(m):
    return np.asarray(m.i), np.asarray(m.t)


def test_spikes_do_not_depend_on_how_the_run_is_split():
    # 300 sources -> blocks of ~14k steps; 1.7 s = 17k steps crosses a block boundary
    a, ma, _ = _net()
    a.run(1700 * ms, progress=False)
    b, mb, _ = _net()
    for d in (333 * ms, 1 * ms, 1000 * ms, 366 * ms):
        b.run(d, progress=False)
    for x, y in zip(_trains(ma), _trains(mb)):
        np.testing.assert_array_equal(x, y)


def test_store_restore_mid_block_is_bit_identical():
    a, ma, mg = _net()
    a.run(500 * ms, progress=False)
    a.store()
    a.run(1500 * ms, progress=False)
    first = [*_trains(ma), *_trains(mg)]
    a.restore()
    a.run(1500 * ms, progress=False)
    for x, y in zip(first, [*_trains(ma), *_trains(mg)]):
        np.testing.assert_array_equal(x, y)


def test_poisson_rate_in_a_network_matches_the_given_rate():
    a, ma, _ = _net(seed=5)
    a.run(1000 * ms, progress=False)
    n = np.asarray(ma.i).size
    expect = 300 * 40 * 1.0
    assert abs(n - expect) < 5 * np.sqrt(expect)
