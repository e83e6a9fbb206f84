"""Winner-take-all: k-WTA selection, lateral inhibition matrix, and a circuit in which
lateral inhibition lets only the most strongly driven neuron fire."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurosim import LIFParams, Network, NeuronGroup, SpikeMonitor
from neurosim.neurons import CurrentInjection
from neurosim.plasticity import k_winners_take_all, lateral_inhibition_matrix, wta_network
from neurosim.units import ms, nA


def test_k_winners_numpy_torch():
    rng = np.random.default_rng(0)
    spikes = rng.random((50, 20)) < 0.4
    drive = rng.random((50, 20))
    for k in (1, 3):
        out = k_winners_take_all(spikes, drive, k)
        assert np.all(out <= spikes)                               # only spiking neurons
        assert np.all(out.sum(1) == np.minimum(spikes.sum(1), k))
        # the kept ones have the highest drive among spikers
        for b in range(50):
            kept = drive[b, out[b]]
            rest = drive[b, spikes[b] & ~out[b]]
            assert rest.size == 0 or kept.min() >= rest.max()
        t = k_winners_take_all(torch.tensor(spikes), torch.tensor(drive), k)
        np.testing.assert_array_equal(t.numpy(), out)
    np.testing.assert_array_equal(k_winners_take_all(spikes, drive, 20), spikes)


def test_lateral_inhibition_matrix_and_errors():
    w = lateral_inhibition_matrix(4, 17.0)
    assert np.all(np.diag(w) == 0) and np.all(w[~np.eye(4, dtype=bool)] == 17.0)
    with pytest.raises(ValueError, match="k_winners_take_all: k must be >= 1, got 0"):
        k_winners_take_all(np.ones((1, 2), bool), np.ones((1, 2)), 0)
    with pytest.raises(ValueError, match=r"must both be \(B, n\)"):
        k_winners_take_all(np.ones((1, 2), bool), np.ones((1, 3)), 1)
    with pytest.raises(ValueError, match="weight must be finite, got nan"):
        lateral_inhibition_matrix(3, float("nan"))
    with pytest.raises(ValueError, match="lateral_inhibition_matrix: n must be >= 1, got 0"):
        lateral_inhibition_matrix(0, 1.0)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_wta_circuit_strongest_wins(backend):
    """Five neurons with graded constant drive: without inhibition all fire; with the
    Diehl & Cook circuit the most driven neuron fires and the others are silenced."""
    n = 5
    drive = np.linspace(1.0, 1.2, n) * 0.3 * nA

    def run(with_inh):
        exc = NeuronGroup(n, LIFParams(t_ref=2 * ms), name="exc")
        inh = NeuronGroup(n, LIFParams(tau_m=5 * ms, t_ref=1 * ms), name="inh")
        objs = [exc, inh, CurrentInjection(exc, drive, name="drive"), SpikeMonitor(exc)]
        if with_inh:
            objs += wta_network(exc, inh, w_exc_inh=5 * nA, w_inh_exc=-5 * nA)
        net = Network(*objs, dt=0.1 * ms, backend=backend, seed=0)
        net.run(0.3)
        return np.bincount(objs[3].i, minlength=n)

    free, wta = run(False), run(True)
    assert np.all(free > 0)
    assert wta.argmax() == n - 1 and wta[n - 1] > 0
    assert wta[:-1].sum() < 0.2 * wta[n - 1]
