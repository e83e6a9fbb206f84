"""Tests for backprop.hessian_free: the Gauss-Newton product equals J^T H J built explicitly,
CG solves SPD systems, and HF training drives the loss down."""

import pytest
import torch
from torch.func import functional_call

from backprop import LSTM, ElmanRNN, Trainer, masked_loss
from backprop.hessian_free import HessianFree, conjugate_gradient, gauss_newton_product
from backprop.models import explicit_cells

# torch.func's forward-mode AD triggers torch's own torch.jit.script deprecation warning
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_gauss_newton_product_matches_explicit_matrix(loss):
    torch.manual_seed(0)
    model = LSTM(2, 3, 2, seed=0).double()
    x = torch.randn(4, 3, 2, dtype=torch.float64)
    y = torch.rand(4, 3, 2, dtype=torch.float64)
    if loss == "bce":
        y = y.round()
    params = {n: p.detach() for n, p in model.named_parameters()}
    names = list(params)
    sizes = [params[n].numel() for n in names]

    def forward(ps):
        return functional_call(model, ps, (x,))

    def lo(out):
        return masked_loss(loss, out, y)

    def flat_forward(theta):
        parts = torch.split(theta, sizes)
        return forward({n: t.view_as(params[n]) for n, t in zip(names, parts)}).reshape(-1)

    theta = torch.cat([params[n].reshape(-1) for n in names])
    with explicit_cells(model):
        J = torch.autograd.functional.jacobian(flat_forward, theta)  # (n_out, n_params)
        out = forward(params)
        H = torch.autograd.functional.hessian(lambda o: lo(o.view_as(out)), out.reshape(-1))
        G = J.T @ H @ J
        v_flat = torch.randn(theta.numel(), dtype=torch.float64)
        v = {n: t.view_as(params[n]) for n, t in zip(names, torch.split(v_flat, sizes))}
        gv = gauss_newton_product(forward, lo, params, v)
    got = torch.cat([gv[n].reshape(-1) for n in names])
    torch.testing.assert_close(got, G @ v_flat, rtol=1e-8, atol=1e-10)
    assert torch.linalg.eigvalsh(G).min() > -1e-10  # GN matrix is PSD


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conjugate_gradient_solves_spd_system(seed):
    g = torch.Generator().manual_seed(seed)
    M = torch.randn(30, 30, generator=g, dtype=torch.float64)
    A = M @ M.T + 0.5 * torch.eye(30, dtype=torch.float64)
    b = torch.randn(30, generator=g, dtype=torch.float64)
    x, kept, iters = conjugate_gradient(lambda v: A @ v, b, max_iter=200, tol=1e-12)
    torch.testing.assert_close(x, torch.linalg.solve(A, b), rtol=1e-6, atol=1e-8)
    assert kept[-1][0] == iters
    # warm start at the solution: nothing left to do
    x2, _, _ = conjugate_gradient(lambda v: A @ v, b, x0=x, max_iter=5)
    torch.testing.assert_close(x2, x, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hf_training_reduces_loss(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(10, 32, 1, generator=g)
    y = torch.zeros_like(x)
    y[2:] = x[:-2]
    tr = Trainer(ElmanRNN(1, 6, 1, seed=seed), optimizer="hf", lr=1.0, progress=False,
                 hf_options={"cg_max_iter": 25})
    h = tr.fit(x, y, epochs=8, batch_size=32)
    assert h.loss[-1] < 0.1 * h.loss[0]
    assert all(b <= a + 1e-6 for a, b in zip(h.loss, h.loss[1:]))  # line search: monotone
    assert tr.optimizer.last["cg_iterations"] >= 1


def test_hf_bad_arguments():
    m = ElmanRNN(1, 3, 1)
    with pytest.raises(ValueError, match="HessianFree.damping must be > 0, got 0"):
        HessianFree(m, damping=0.0)
    with pytest.raises(ValueError, match="HessianFree.decay must be in"):
        HessianFree(m, decay=1.5)
    with pytest.raises(ValueError, match="optimizer='hf' works on whole sequences"):
        Trainer(m, optimizer="hf", tbptt=(2, 2))
