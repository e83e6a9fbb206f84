"""Tests for neurosim.memory.spiking_memory: a recurrent LIF network that completes cues."""

import math

import numpy as np
import pytest

from neurosim.memory.hopfield import HopfieldNetwork
from neurosim.memory.spiking_memory import SpikingHopfield, SpikingMemoryParams
from neurosim.neurons.lif import LIFParams
from neurosim.units import ms, mV


def make(seed, p=10, n=200, noise=0.15):
    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=(p, n))
    cues = X.copy()
    cues[rng.random(cues.shape) < noise] *= -1
    return X, cues


@pytest.mark.parametrize("seed", [0, 1])
def test_completes_noisy_cues_like_the_binary_network(seed):
    X, cues = make(seed)  # load 0.05, 15% of bits flipped
    keep = cues.copy()
    net = SpikingHopfield().fit(X)
    r = net.simulate(cues)
    exact = (r.states == X).all(1)
    assert exact.mean() >= 0.9
    assert ((r.states == X).mean(1)).mean() > 0.99
    hop = HopfieldNetwork(random_state=seed).fit(X).recall(cues)
    assert (r.states == hop).mean() > 0.99
    np.testing.assert_array_equal(cues, keep)
    # units of the pattern fire, the others are silent
    assert r.rates[X > 0].mean() > 30 and r.rates[X < 0].mean() < 1
    assert r.n_spikes > 0 and r.spike_times.size == r.spike_units.size


def test_recurrence_holds_the_memory():
    X, cues = make(3)
    p = SpikingMemoryParams(coupling=1e-3 * mV)  # recurrent input far too weak
    r = SpikingHopfield(params=p).fit(X).simulate(cues)
    assert (r.states == -1).all()  # activity dies when the cue is removed
    assert r.cue_rates[cues > 0].min() > 0  # ... although the cue made the units fire
    # with coupling the state persists long after the cue
    long = SpikingMemoryParams(free_time=400 * ms, readout_time=100 * ms)
    s = SpikingHopfield(params=long).fit(X).recall(cues)
    assert ((s == X).mean(1)).mean() > 0.99


def test_cue_phase_rate_matches_lif_theory():
    """Uncoupled neurons under the constant cue current fire at the LIF rate."""
    lif = LIFParams()
    p = SpikingMemoryParams(cue_time=300 * ms, coupling=1e-6 * mV, dt=0.25 * ms)
    X = np.array([[1.0, -1.0, 1.0, -1.0]])
    r = SpikingHopfield(params=p, lif=lif, dtype="float64").fit(X).simulate(X)
    gap = lif.v_thresh - lif.v_rest
    v_inf = gap + p.bias + p.cue_drive  # above rest
    t_first = lif.tau_m * math.log(v_inf / (v_inf - gap))
    isi = lif.t_ref + lif.tau_m * math.log((v_inf - (lif.v_reset - lif.v_rest))
                                           / (v_inf - gap))
    expected = math.floor((p.cue_time - t_first) / isi) + 1
    counts = r.cue_rates[0] * p.cue_time
    assert abs(counts[0] - expected) <= 1 and abs(counts[2] - expected) <= 1
    assert counts[1] == counts[3] == 0


def test_params_validation():
    with pytest.raises(ValueError, match=r"SpikingMemoryParams.cue_time must be > 0, got -1"):
        SpikingMemoryParams(cue_time=-1)
    with pytest.raises(ValueError, match=r"free_time=150 s looks like milliseconds"):
        SpikingMemoryParams(free_time=150)
    with pytest.raises(ValueError, match=r"coupling=40 V looks like millivolts"):
        SpikingMemoryParams(coupling=40)
    with pytest.raises(ValueError, match=r"cue_drive must be > -bias=0.01"):
        SpikingMemoryParams(bias=-10 * mV, cue_drive=5 * mV)
    with pytest.raises(ValueError, match=r"readout_time must be <= free_time"):
        SpikingMemoryParams(readout_time=200 * ms, free_time=100 * ms)
    with pytest.raises(TypeError, match=r"SpikingHopfield.params must be a SpikingMemoryParams"):
        SpikingHopfield(params={"coupling": 1}).fit([[1, -1]])


def test_bad_input():
    with pytest.raises(ValueError, match=r"patterns must contain only -1 and \+1"):
        SpikingHopfield().fit([[1, 0, 1]])
    net = SpikingHopfield().fit([[1, -1, 1, -1]])
    with pytest.raises(ValueError, match=r"cues has wrong length: expected 4"):
        net.recall([1, 1])
    with pytest.raises(ValueError, match=r"cues contains NaN"):
        net.recall([1, np.nan, 1, 1])
    with pytest.raises(RuntimeError, match="not fitted"):
        SpikingHopfield().recall([1, 1])
