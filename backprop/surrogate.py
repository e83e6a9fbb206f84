"""Surrogate gradients for the Heaviside spike function.

A spiking neuron emits :math:`S = H(U - \\vartheta)`; the step has zero derivative almost
everywhere, so training by backprop replaces :math:`H'` in the backward pass with a smooth
pseudo-derivative :math:`\\sigma'(x)` of the shifted membrane :math:`x = U - \\vartheta`
(Neftci, Mostafa & Zenke 2019, "Surrogate gradient learning in spiking neural networks",
IEEE Signal Processing Magazine 36(6)).

Each surrogate is a frozen, validated dataclass with

- ``derivative(x)``: the pure pseudo-derivative (used by the fused LIF backward and by e-prop),
- ``__call__(x)``: the spike, :math:`H(x) = [x > 0]`, as an autograd function whose backward
  multiplies the incoming gradient by ``derivative(x)``.

The shapes and constants of ``fast_sigmoid``, ``atan`` and ``sigmoid`` are those of
``snntorch.surrogate`` (same defaults), so gradients match snnTorch exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import torch
from torch import Tensor

from neurosim.validation import check_real

__all__ = [
    "ATan",
    "FastSigmoid",
    "Rectangular",
    "SURROGATES",
    "Sigmoid",
    "SpikeFunction",
    "Surrogate",
    "Triangular",
    "make_surrogate",
]


def _check_positive(owner: str, name: str, value: Any) -> None:
    """``owner.name`` is a finite real number > 0 (:func:`neurosim.validation.check_real`)."""
    check_real(f"{owner}.{name}", value, low=0, low_open=True)


@dataclass(frozen=True)
class Surrogate:
    """Base class: Heaviside forward, ``derivative`` backward.

    Subclasses define ``name`` and :meth:`derivative`; every numeric field must be > 0.
    """

    name: ClassVar[str] = "surrogate"

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_positive(type(self).__name__, f.name, getattr(self, f.name))

    def derivative(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        """Pseudo-derivative :math:`\\sigma'(x)`, same shape as ``x``."""
        raise NotImplementedError

    def __call__(self, x: Tensor) -> Tensor:
        """Spikes :math:`H(x) = [x > 0]` (same dtype as ``x``) with the surrogate backward."""
        return SpikeFunction.apply(x, self)


@dataclass(frozen=True)
class FastSigmoid(Surrogate):
    """Fast sigmoid (Zenke & Ganguli 2018, SuperSpike): :math:`\\sigma'(x) = 1/(k|x| + 1)^2`.

    Same as ``snntorch.surrogate.fast_sigmoid(slope=25)``.
    """

    slope: float = 25.0
    name: ClassVar[str] = "fast_sigmoid"

    def derivative(self, x: Tensor) -> Tensor:
        return 1.0 / (self.slope * x.abs() + 1.0) ** 2


@dataclass(frozen=True)
class ATan(Surrogate):
    """Arc-tangent (Fang et al. 2021).

    :math:`\\sigma'(x) = \\frac{\\alpha/2}{1 + (\\pi\\alpha x/2)^2}`.

    Same as ``snntorch.surrogate.atan(alpha=2.0)``, snnTorch's default ``spike_grad``.
    """

    alpha: float = 2.0
    name: ClassVar[str] = "atan"

    def derivative(self, x: Tensor) -> Tensor:
        return self.alpha / 2 / (1 + (torch.pi / 2 * self.alpha * x).pow(2))


@dataclass(frozen=True)
class Sigmoid(Surrogate):
    """Logistic: :math:`\\sigma'(x) = k e^{-kx} / (e^{-kx} + 1)^2`.

    Same as ``snntorch.surrogate.sigmoid(slope=25)``.
    """

    slope: float = 25.0
    name: ClassVar[str] = "sigmoid"

    def derivative(self, x: Tensor) -> Tensor:
        s = torch.sigmoid(self.slope * x)
        return self.slope * s * (1 - s)


@dataclass(frozen=True)
class Triangular(Surrogate):
    """Triangle (Bellec et al. 2018/2020): :math:`\\sigma'(x) = \\gamma \\max(0, 1 - |x|/w)`.

    The pseudo-derivative of e-prop, with dampening :math:`\\gamma = 0.3` and half-width
    :math:`w` equal to the threshold.
    """

    gamma: float = 0.3
    width: float = 1.0
    name: ClassVar[str] = "triangular"

    def derivative(self, x: Tensor) -> Tensor:
        return self.gamma * torch.clamp(1.0 - x.abs() / self.width, min=0.0)


@dataclass(frozen=True)
class Rectangular(Surrogate):
    """Box-car: :math:`\\sigma'(x) = [|x| < w/2] / w` (Wu et al. 2018, STBP)."""

    width: float = 1.0
    name: ClassVar[str] = "rectangular"

    def derivative(self, x: Tensor) -> Tensor:
        return (x.abs() < self.width / 2).to(x.dtype) / self.width


SURROGATES: dict[str, type[Surrogate]] = {
    cls.name: cls for cls in (ATan, FastSigmoid, Sigmoid, Triangular, Rectangular)
}


def make_surrogate(spec: str | Surrogate = "atan", **kwargs: float) -> Surrogate:
    """Build a surrogate from a name (``"atan"``, ``"fast_sigmoid"``, ...) or pass one through.

    Parameters
    ----------
    spec : str or Surrogate
        A name from :data:`SURROGATES` or an instance (returned unchanged; ``kwargs`` must then
        be empty).
    **kwargs
        The surrogate's constants, e.g. ``slope=25.0`` or ``alpha=2.0``.
    """
    if isinstance(spec, Surrogate):
        if kwargs:
            raise TypeError(
                "make_surrogate: keyword arguments need a surrogate name, not an instance"
            )
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"surrogate must be a str or Surrogate, got {type(spec).__name__}")
    try:
        cls = SURROGATES[spec]
    except KeyError:
        raise ValueError(
            f"unknown surrogate {spec!r}; choose from: {', '.join(sorted(SURROGATES))}"
        ) from None
    valid = {f.name for f in fields(cls)}
    unknown = set(kwargs) - valid
    if unknown:
        raise TypeError(
            f"{cls.__name__} got unknown argument(s) {sorted(unknown)}; valid: {sorted(valid)}"
        )
    return cls(**kwargs)


class SpikeFunction(torch.autograd.Function):
    """Spike with a surrogate gradient.

    Forward :math:`S = H(x)`; backward
    :math:`\\partial L/\\partial x = \\sigma'(x)\\,\\partial L/\\partial S`.
    """

    @staticmethod
    def forward(ctx: Any, x: Tensor, surrogate: Surrogate) -> Tensor:
        ctx.save_for_backward(x)
        ctx.surrogate = surrogate
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor, None]:
        (x,) = ctx.saved_tensors
        return grad_out * ctx.surrogate.derivative(x), None
