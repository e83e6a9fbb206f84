"""Argument checks shared by the comparisons package (one error template)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real

from neurosim.validation import check_choice as _check_choice


def check_int(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as int or raise ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def check_float(
    name: str, value: object, low: float | None = None, high: float | None = None,
    low_open: bool = False,
) -> float:
    """Return ``value`` as a finite float or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if low is not None and (v <= low if low_open else v < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def check_choice(kind: str, value: str, choices: Iterable[str]) -> str:
    """Raise ``ValueError("unknown task 'x'; choose from: a, b")`` unless ``value`` is valid
    (:func:`neurosim.validation.check_choice`, the choices sorted)."""
    return _check_choice(kind, value, choices, sort=True)
