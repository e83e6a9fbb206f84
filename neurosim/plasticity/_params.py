"""Validation helpers shared by the plasticity parameter dataclasses: the ``(owner, name)``
spelling of :mod:`neurosim.validation`'s checks (one error template, one implementation)."""

from __future__ import annotations

from typing import Any

from neurosim.neurons.base import check_time_constant
from neurosim.validation import check_choice as _check_choice
from neurosim.validation import check_real as _check_real


def check_real(owner: str, name: str, value: Any) -> float:
    """``owner.name`` as a float: a real number, not NaN (``inf`` allowed: ``w_max=inf``)."""
    return _check_real(f"{owner}.{name}", value, finite=False)


def check_tau(owner: str, name: str, value: Any) -> None:
    """A time constant in seconds: finite, > 0, and not milliseconds given as seconds
    (:func:`neurosim.neurons.base.check_time_constant`; ``tau_theta`` may be long)."""
    if name == "tau_theta":
        _check_real(f"{owner}.{name}", value, low=0, low_open=True)
    else:
        check_time_constant(owner, name, value)


def check_nonneg(owner: str, name: str, value: Any) -> None:
    """``owner.name`` is a finite real number >= 0."""
    _check_real(f"{owner}.{name}", value, low=0)


def check_bounds(owner: str, w_min: Any, w_max: Any) -> None:
    lo, hi = check_real(owner, "w_min", w_min), check_real(owner, "w_max", w_max)
    if not lo < hi:
        raise ValueError(f"{owner}.w_min must be < w_max, got w_min={lo}, w_max={hi}")


def check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    """:func:`neurosim.validation.check_choice` for the setting ``owner.name``."""
    _check_choice(f"{owner}.{name}", value, choices)
