"""Validation helpers shared by the plasticity parameter dataclasses (one error template)."""

from __future__ import annotations

import math
from typing import Any

from neurosim.validation import check_choice as _check_choice


def check_real(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}.{name} must be a float, got {type(value).__name__}")
    if math.isnan(value):
        raise ValueError(f"{owner}.{name} must not be NaN, got {value}")
    return float(value)


def check_tau(owner: str, name: str, value: Any) -> None:
    """A time constant in seconds: finite, > 0, and not milliseconds given as seconds."""
    v = check_real(owner, name, value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{owner}.{name} must be > 0, got {v}")
    if v >= 1.0 and name != "tau_theta":
        raise ValueError(f"{owner}.{name}={v:g} s looks like milliseconds; write {v:g}*ms")


def check_nonneg(owner: str, name: str, value: Any) -> None:
    v = check_real(owner, name, value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{owner}.{name} must be finite and >= 0, got {v}")


def check_bounds(owner: str, w_min: Any, w_max: Any) -> None:
    lo, hi = check_real(owner, "w_min", w_min), check_real(owner, "w_max", w_max)
    if not lo < hi:
        raise ValueError(f"{owner}.w_min must be < w_max, got w_min={lo}, w_max={hi}")


def check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    """:func:`neurosim.validation.check_choice` for the setting ``owner.name``."""
    _check_choice(f"{owner}.{name}", value, choices)
