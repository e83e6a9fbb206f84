"""The shared neuron math of backprop's spiking networks against neurosim's models: the
parameter translation, and the same forward spikes (zero reset) for the surrogate-gradient
layers and for e-prop's LIF/ALIF network over a few hundred steps."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from backprop.eprop import EProp, EPropParams, _no_self, _run
from backprop.neuron_math import (
    adaptive_threshold,
    decay,
    leaky_update,
    lif_params_for_leaky,
)
from backprop.snn import LeakyParams, LIFLayer
from neurosim import ALIFParams, LIFParams, lif_step
from neurosim.neurons.alif import alif_step
from neurosim.neurons.lif import lif_coefficients

DT = 1e-3


def test_decay_and_translation():
    assert decay(20.0, 1.0) == pytest.approx(math.exp(-0.05))
    params, scale = lif_params_for_leaky(0.9, 1.5, DT, v_unit=0.01)
    assert isinstance(params, LIFParams) and not isinstance(params, ALIFParams)
    c = lif_coefficients(params, DT)
    assert c.a_m == pytest.approx(0.9, rel=1e-12)
    assert params.r_m * (1 - c.a_m) * scale == pytest.approx(0.01, rel=1e-12)
    assert params.v_thresh == pytest.approx(0.015) and params.v_reset == params.v_rest == 0
    assert params.t_ref == 0 and c.n_ref == 0
    alif, _ = lif_params_for_leaky(0.9, 1.0, DT, rho=0.99, beta_a=1.7)
    assert isinstance(alif, ALIFParams)
    assert math.exp(-DT / alif.tau_a) == pytest.approx(0.99, rel=1e-12)
    assert alif.delta_a == pytest.approx(1.7 * 0.01 / 0.99)


@pytest.mark.parametrize(
    "kwargs, msg",
    [({"beta": 1.0}, "beta must be in"), ({"beta": 0.0}, "beta must be in"),
     ({"threshold": 0.0}, "threshold must be > 0"), ({"rho": 1.5}, "rho must be in")],
)
def test_translation_bad_values(kwargs, msg):
    args = {"beta": 0.9, "threshold": 1.0, "dt": DT, **kwargs}
    with pytest.raises(ValueError, match=msg):
        lif_params_for_leaky(**args)


def test_leaky_update_modes():
    mem, cur = torch.tensor([[0.5, 1.2]]), torch.tensor([[0.1, 0.1]])
    r = torch.tensor([[0.0, 1.0]])
    torch.testing.assert_close(leaky_update(mem, cur, r, 0.9, 1.0, "subtract"),
                               torch.tensor([[0.55, 0.18]]))
    torch.testing.assert_close(leaky_update(mem, cur, r, 0.9, 1.0, "zero"),
                               torch.tensor([[0.55, 0.1]]))
    torch.testing.assert_close(leaky_update(mem, cur, r, 0.9, 1.0, "none"),
                               torch.tensor([[0.55, 1.18]]))
    a, thr = adaptive_threshold(torch.tensor([1.0]), torch.tensor([1.0]), 0.5, 1.0, 2.0)
    assert float(a) == 1.5 and float(thr) == 4.0


def _neurosim_spikes(step, params, current, scale):
    """Run a neurosim pure step over ``current (T, B, N)`` (dimensionless per-step input)."""
    state = params.init_state(current.shape[1:])
    out = []
    for t in range(current.shape[0]):
        spikes, state = step(state, current[t] * scale, params, DT)
        out.append(spikes)
    return np.stack(out)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("fused", [True, False])
def test_snn_layer_spikes_equal_neurosim_lif(seed, fused):
    torch.manual_seed(seed)
    p = LeakyParams(beta=0.9, threshold=1.0, reset="zero")
    layer = LIFLayer(30, 12, p, fused=fused, sparse="never").double()
    with torch.no_grad():
        layer.linear.weight.mul_(4.0)
    x = (torch.rand(300, 4, 30, dtype=torch.float64) < 0.2).double()
    with torch.no_grad():
        spk, _ = layer(x)
        current = layer.linear(x).numpy()
    params, scale = lif_params_for_leaky(p.beta, p.threshold, DT)
    ref = _neurosim_spikes(lif_step, params, current, scale)
    assert 0.02 < spk.mean() < 0.5
    np.testing.assert_array_equal(spk.numpy().astype(bool), ref)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("n_adaptive", [0, 6, 12])
def test_eprop_network_spikes_equal_neurosim_alif(seed, n_adaptive):
    # e-prop's own recurrence (its CPU kernel), with the reset to zero that neurosim has;
    # the recurrent input of the previous step's spikes is added outside neurosim's step
    p = EPropParams(n_adaptive=n_adaptive, tau_a=50.0, beta_a=0.5)
    net = EProp(15, 12, 3, p, seed=seed, device="cpu", dtype=torch.float64)
    w_in, w_rec = net.weights["w_in"].detach() * 1.5, _no_self(net.weights["w_rec"].detach())
    x = (torch.rand(300, 3, 15, generator=torch.Generator().manual_seed(seed)) < 0.2).double()
    z, _ = _run(x, w_in, w_rec, p, reset="zero")
    assert 0.02 < float(z.mean()) < 0.5

    lif, scale = lif_params_for_leaky(p.alpha, p.threshold, DT)
    alif, _ = lif_params_for_leaky(p.alpha, p.threshold, DT, rho=p.rho, beta_a=p.beta_a)
    cur_in = (x @ w_in.T).numpy()
    w_rec_np = w_rec.numpy()
    na = n_adaptive
    s_alif = alif.init_state((3, na))
    s_lif = lif.init_state((3, 12 - na))
    prev = np.zeros((3, 12))
    ref = []
    for t in range(x.shape[0]):
        i_t = (cur_in[t] + prev @ w_rec_np.T) * scale
        sp_a, s_alif = alif_step(s_alif, i_t[:, :na], alif, DT)
        sp_l, s_lif = lif_step(s_lif, i_t[:, na:], lif, DT)
        prev = np.concatenate([sp_a, sp_l], axis=1).astype(np.float64)
        ref.append(prev)
    np.testing.assert_array_equal(z.numpy(), np.stack(ref))
