"""Tests for backprop.diagnostics: vanishing / exploding gradients against the mean-field
prediction, the LSTM's flat gradient, Jacobian norms against autograd."""

import numpy as np
import pytest
import torch

from backprop import GRU, LSTM, ElmanRNN
from backprop.diagnostics import (
    gate_statistics,
    gradient_rate,
    hidden_gradient_norms,
    predicted_rate,
    step_jacobian_norms,
)
from backprop.esn import reservoir_matrix


def _elman(rho, seed, n=80):
    m = ElmanRNN(4, n, 1, seed=seed)
    w = reservoir_matrix(n, rho, 1.0, np.random.default_rng(seed))
    with torch.no_grad():
        m.core.weight_hh_l0.copy_(torch.as_tensor(w, dtype=torch.float32))
    return m


def _x(seed, T=50, B=12):
    return torch.randn(T, B, 4, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_weights_vanish_at_the_predicted_rate(seed):
    m, x = _elman(0.5, seed), _x(seed)
    r = hidden_gradient_norms(m, x)
    rate = gradient_rate(r["h"], r["lag"], min_lag=5)
    pred = predicted_rate(m, x)
    assert rate < 0.6  # exponential decay
    assert rate == pytest.approx(pred["rate_rms"], rel=0.06)
    assert rate == pytest.approx(pred["rate_mean"], rel=0.1)  # rho x mean slope
    assert rate <= pred["bound"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_large_weights_explode(seed):
    m, x = _elman(3.0, seed), _x(seed)
    r = hidden_gradient_norms(m, x)
    rate = gradient_rate(r["h"], r["lag"], min_lag=5)
    pred = predicted_rate(m, x)
    assert rate > 1.15  # exponential growth
    assert rate == pytest.approx(pred["rate_rms"], rel=0.15)
    assert pred["mean_slope"] < 0.5  # saturated units


@pytest.mark.parametrize("seed", [0, 1])
def test_lstm_with_open_forget_gate_is_flat(seed):
    x = _x(seed)
    m = LSTM(4, 60, 1, seed=seed, forget_bias=5.0)
    r = hidden_gradient_norms(m, x)
    assert gradient_rate(r["c"], r["lag"], min_lag=5) == pytest.approx(1.0, abs=0.06)
    assert gradient_rate(r["h"], r["lag"], min_lag=5) == pytest.approx(1.0, abs=0.06)
    # torch's default init (forget gate ~ 0.5) decays instead
    d = hidden_gradient_norms(LSTM(4, 60, 1, seed=seed), x)
    assert gradient_rate(d["c"], d["lag"], min_lag=5) < 0.8


def test_hidden_gradient_norms_match_autograd_on_fused_path():
    m = GRU(3, 5, 1, seed=0)
    x = torch.randn(6, 2, 3)
    r = hidden_gradient_norms(m, x)
    # dE/dh_{T-1} = u: norm 1 for every sequence
    np.testing.assert_allclose(r["h"][-1], 1.0, rtol=1e-6)
    # dE/dh_0 via the fused path: start the last T-1 steps from h_0 as a leaf
    state = m.features(x[:1])[1].detach().requires_grad_()
    hs, _ = m.features(x[1:], state=state)
    e = (hs[-1] @ (torch.ones(5) / 5**0.5)).sum()
    (g,) = torch.autograd.grad(e, state)
    np.testing.assert_allclose(r["h"][0], g[0].norm(dim=-1).numpy(), rtol=1e-4)


def test_step_jacobian_norms_match_autograd():
    m = _elman(1.2, 0, n=10)
    x = torch.randn(5, 1, 4)
    norms = step_jacobian_norms(m, x)
    h, _ = m.features(x)
    for t in range(1, 5):
        jac = torch.autograd.functional.jacobian(
            lambda hp, t=t: torch.tanh(
                x[t, 0] @ m.core.weight_ih_l0.T + m.core.bias_ih_l0 + hp @ m.core.weight_hh_l0.T
                + m.core.bias_hh_l0),
            h[t - 1, 0].detach(),
        )
        assert norms[t, 0] == pytest.approx(float(torch.linalg.matrix_norm(jac, ord=2)), rel=1e-4)


def test_gate_statistics_and_errors():
    st = gate_statistics(LSTM(2, 8, 1, seed=0, forget_bias=3.0), torch.randn(5, 4, 2))
    assert set(st) == {"input", "forget", "cell", "output"}
    assert st["forget"]["mean"] > 0.9
    assert set(gate_statistics(GRU(2, 8, 1), torch.randn(5, 4, 2))) == {"reset", "update", "new"}
    with pytest.raises(ValueError, match="needs an LSTM or GRU"):
        gate_statistics(ElmanRNN(2, 8, 1), torch.randn(5, 4, 2))
    with pytest.raises(ValueError, match="predicted_rate is for Elman nets"):
        predicted_rate(LSTM(2, 8, 1), torch.randn(5, 4, 2))
    with pytest.raises(ValueError, match="forget_bias is for LSTMs only"):
        GRU(2, 8, 1, forget_bias=1.0)
