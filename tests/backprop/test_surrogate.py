"""Surrogate gradients: values from theory (derivatives of the smooth functions they stand in
for), equality with snnTorch's surrogates run in the same test, and error messages."""

from __future__ import annotations

import math

import pytest
import torch

from backprop.surrogate import (
    SURROGATES,
    ATan,
    FastSigmoid,
    Rectangular,
    Sigmoid,
    Triangular,
    make_surrogate,
)

X = torch.linspace(-2.0, 2.0, 401, dtype=torch.float64)


def _autograd_derivative(fn, x):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(fn(x).sum(), x)
    return g


@pytest.mark.parametrize(
    ("surrogate", "smooth"),
    [
        (FastSigmoid(slope=25.0), lambda x: x / (1 + 25.0 * x.abs())),
        (FastSigmoid(slope=3.0), lambda x: x / (1 + 3.0 * x.abs())),
        (ATan(alpha=2.0), lambda x: torch.atan(math.pi / 2 * 2.0 * x) / math.pi),
        (ATan(alpha=5.0), lambda x: torch.atan(math.pi / 2 * 5.0 * x) / math.pi),
        (Sigmoid(slope=25.0), lambda x: torch.sigmoid(25.0 * x)),
        (Sigmoid(slope=4.0), lambda x: torch.sigmoid(4.0 * x)),
    ],
)
def test_derivative_is_the_derivative_of_the_smooth_step(surrogate, smooth):
    expected = _autograd_derivative(smooth, X[X != 0])
    torch.testing.assert_close(surrogate.derivative(X[X != 0]), expected)


def test_triangular_and_rectangular_from_their_definitions():
    tri = Triangular(gamma=0.3, width=0.5)
    expected = 0.3 * torch.clamp(1 - X.abs() / 0.5, min=0)
    torch.testing.assert_close(tri.derivative(X), expected)
    assert float(tri.derivative(torch.tensor(0.0))) == pytest.approx(0.3)
    rect = Rectangular(width=0.5)
    # unit area: integral of the pseudo-derivative over x is 1 (it replaces a unit step)
    fine = torch.linspace(-2, 2, 400001, dtype=torch.float64)
    area = torch.trapezoid(rect.derivative(fine), fine)
    assert float(area) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("name", sorted(SURROGATES))
def test_spike_forward_is_heaviside_and_backward_uses_derivative(name):
    s = make_surrogate(name)
    x = X.clone().requires_grad_(True)
    spk = s(x)
    assert spk.dtype == x.dtype
    assert torch.equal(spk, (X > 0).to(X.dtype))  # H(0) = 0, as in snnTorch
    g = torch.randn_like(X)
    spk.backward(g)
    torch.testing.assert_close(x.grad, g * s.derivative(X))


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (ATan(), ("atan", {})),
        (ATan(alpha=3.5), ("atan", {"alpha": 3.5})),
        (FastSigmoid(), ("fast_sigmoid", {})),
        (FastSigmoid(slope=7.0), ("fast_sigmoid", {"slope": 7.0})),
        (Sigmoid(), ("sigmoid", {})),
        (Sigmoid(slope=10.0), ("sigmoid", {"slope": 10.0})),
    ],
)
def test_matches_snntorch_surrogates(ours, theirs):
    snn_surrogate = pytest.importorskip("snntorch.surrogate")
    fn = getattr(snn_surrogate, theirs[0])(**theirs[1])
    x = (torch.randn(1000) * 0.3).requires_grad_(True)
    out = fn(x)
    out.backward(torch.ones_like(out))
    torch.testing.assert_close(ours(x.detach()), out.detach())
    torch.testing.assert_close(ours.derivative(x.detach()), x.grad)


def test_defaults_are_snntorch_defaults():
    assert ATan().alpha == 2.0
    assert FastSigmoid().slope == 25.0
    assert Sigmoid().slope == 25.0


def test_make_surrogate_names_and_passthrough():
    assert make_surrogate("fast_sigmoid", slope=5.0) == FastSigmoid(slope=5.0)
    s = ATan(alpha=1.0)
    assert make_surrogate(s) is s


def test_bad_surrogates():
    with pytest.raises(ValueError, match=r"unknown surrogate 'atn'; choose from: atan, fast_sig"):
        make_surrogate("atn")
    with pytest.raises(TypeError, match=r"FastSigmoid got unknown argument\(s\) \['alpha'\]"):
        make_surrogate("fast_sigmoid", alpha=2.0)
    with pytest.raises(ValueError, match=r"FastSigmoid.slope must be > 0, got -1.0"):
        FastSigmoid(slope=-1.0)
    with pytest.raises(ValueError, match=r"ATan.alpha must be finite, got nan"):
        ATan(alpha=float("nan"))
    with pytest.raises(TypeError, match=r"Triangular.width must be a real number, got str"):
        Triangular(width="1")
    with pytest.raises(TypeError, match=r"surrogate must be a str or Surrogate, got int"):
        make_surrogate(3)
    with pytest.raises(TypeError, match="need a surrogate name"):
        make_surrogate(ATan(), alpha=2.0)
