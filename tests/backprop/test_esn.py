"""Tests for backprop.esn: spectral radius, echo state property, ridge readout vs
scikit-learn, a memory task, ESN-style initialisation."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import Ridge

from backprop import ElmanRNN, Trainer
from backprop.esn import (
    EchoStateNetwork,
    ESNParams,
    esn_initialize,
    esn_states,
    reservoir_matrix,
    ridge_readout,
)


@pytest.mark.parametrize(("rho", "density"), [(0.5, 0.1), (0.9, 0.3), (1.3, 1.0)])
def test_reservoir_has_the_requested_spectral_radius(rho, density):
    w = reservoir_matrix(80, rho, density, np.random.default_rng(0))
    assert np.max(np.abs(np.linalg.eigvals(w))) == pytest.approx(rho, rel=1e-9)
    assert np.mean(w != 0) == pytest.approx(density, abs=0.05)


def test_echo_state_property_forgets_the_initial_state():
    esn = EchoStateNetwork(1, 100, 1, spectral_radius=0.8, seed=0, device="cpu")
    x = torch.randn(60, 1, 1)
    h0a, h0b = torch.randn(1, 100), -torch.randn(1, 100)
    a = esn_states(x, esn.w_in, esn.w, esn.b, 1.0, h0a)
    b = esn_states(x, esn.w_in, esn.w, esn.b, 1.0, h0b)
    d = (a - b).norm(dim=(1, 2))
    assert d[-1] < 1e-4 * d[0]
    # contraction bound: |tanh'| <= 1, so the gap shrinks at least like ||W||_2^t
    norm2 = torch.linalg.matrix_norm(esn.w, ord=2).item()
    assert d[9] <= norm2**10 * (h0a - h0b).norm() * 1.0001


def test_leak_rate_one_step_equation():
    esn = EchoStateNetwork(2, 5, 1, leak_rate=0.3, bias_scaling=0.5, seed=1, device="cpu")
    x = torch.randn(1, 3, 2)
    h = esn.states(x)[0]
    expected = 0.3 * torch.tanh(x[0] @ esn.w_in.T + esn.b)
    torch.testing.assert_close(h, expected)


def test_ridge_readout_matches_sklearn():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(200, 12))
    y = h @ rng.normal(size=(12, 2)) + 0.1 * rng.normal(size=(200, 2)) + 3.0
    for alpha in (1e-6, 0.5, 10.0):
        w, b = ridge_readout(torch.as_tensor(h), torch.as_tensor(y), alpha)
        ref = Ridge(alpha=alpha).fit(h, y)
        np.testing.assert_allclose(w.numpy(), ref.coef_, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(b.numpy(), ref.intercept_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_esn_recalls_delayed_input(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(300, 4, 1, generator=g) * 2 - 1
    y = torch.zeros_like(x)
    y[5:] = x[:-5]
    esn = EchoStateNetwork(1, 150, 1, spectral_radius=0.9, input_scaling=0.5, density=0.2,
                           washout=20, seed=seed, device="cpu").fit(x[:, :3], y[:, :3])
    pred = esn.predict(x[:, 3:])[20:]
    nrmse = ((pred - y[20:, 3:]).pow(2).mean() / y[20:, 3:].var()).sqrt()
    assert nrmse < 0.1


def test_esn_bad_input():
    with pytest.raises(ValueError, match="ESNParams.spectral_radius must be > 0, got -1"):
        ESNParams(spectral_radius=-1)
    with pytest.raises(ValueError, match=r"ESNParams.leak_rate must be in \(0, 1\], got 0"):
        EchoStateNetwork(1, 10, 1, leak_rate=0.0)
    with pytest.raises(TypeError, match="unknown EchoStateNetwork parameter 'radius'"):
        EchoStateNetwork(1, 10, 1, radius=0.9)
    esn = EchoStateNetwork(2, 10, 1, device="cpu")
    with pytest.raises(RuntimeError, match="before fit"):
        esn.predict(torch.zeros(3, 1, 2))
    with pytest.raises(ValueError, match=r"expected x of shape \(T, B, 2\)"):
        esn.fit(torch.zeros(3, 1, 5), torch.zeros(3, 1, 1))
    with pytest.raises(ValueError, match="washout=5 leaves no steps"):
        EchoStateNetwork(2, 10, 1, washout=5, device="cpu").fit(torch.zeros(5, 1, 2),
                                                                torch.zeros(5, 1, 1))


def test_esn_initialize_then_train_with_momentum():
    m = esn_initialize(ElmanRNN(1, 32, 1, seed=0), spectral_radius=1.1, seed=0)
    eig = torch.linalg.eigvals(m.core.weight_hh_l0.detach()).abs().max()
    assert float(eig) == pytest.approx(1.1, rel=1e-5)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 128, 1, generator=g)
    y = torch.zeros_like(x)
    y[3:] = x[:-3]
    tr = Trainer(m, optimizer="sgd", lr=0.05, momentum=0.9, progress=False)
    h = tr.fit(x, y, epochs=30, batch_size=32)
    assert h.loss[-1] < 0.2 * h.loss[0]
    with pytest.raises(TypeError, match="esn_initialize needs an ElmanRNN"):
        from backprop import LSTM

        esn_initialize(LSTM(1, 4, 1))
