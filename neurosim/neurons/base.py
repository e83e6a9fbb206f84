"""Shared helpers for neuron models: validation, array-agnostic ``where``, step counting.

Model code works on numpy arrays and torch tensors alike (any leading shape). It never
imports a backend; torch is only touched when the caller passes torch tensors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def where(cond: Any, a: Any, b: Any) -> Any:
    """Elementwise ``a if cond else b`` for numpy arrays or torch tensors."""
    if type(cond).__module__.startswith("torch"):
        import torch

        return torch.where(cond, a, b)
    return np.where(cond, a, b)


def exp(x: Any) -> Any:
    """Elementwise exponential for numpy arrays, torch tensors or floats."""
    if type(x).__module__.startswith("torch"):
        import torch

        return torch.exp(x)
    return np.exp(x)


def timestep(t: float, dt: float) -> int:
    """Number of whole steps in ``t`` (Brian2's convention: ``floor((t + 1e-3 dt) / dt)``)."""
    return int(math.floor((t + 1e-3 * dt) / dt))


def hold_steps(t_ref: float, dt: float) -> float:
    """Refractory counter set at a spike: the membrane is held for the ``n - 1`` steps after
    the spike step, where ``n = timestep(t_ref, dt)``, so integration resumes at step
    ``k + n`` for a spike at step ``k`` (time ``t_spike + t_ref``; Brian2's convention)."""
    return float(max(timestep(t_ref, dt) - 1, 0))


def check_finite(owner: str, name: str, value: Any) -> None:
    """Raise ValueError when ``value`` is not a finite real number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}.{name} must be a real number, got {type(value).__name__}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{owner}.{name} must be finite, got {value}")


def check_positive(owner: str, name: str, value: Any) -> None:
    check_finite(owner, name, value)
    if value <= 0:
        raise ValueError(f"{owner}.{name} must be > 0, got {value}")


def check_time_constant(owner: str, name: str, value: Any, allow_zero: bool = False) -> None:
    """A time constant in seconds: > 0 (or >= 0), and not a millisecond number in disguise."""
    check_finite(owner, name, value)
    if allow_zero:
        if value < 0:
            raise ValueError(f"{owner}.{name} must be >= 0, got {value}")
    elif value <= 0:
        raise ValueError(f"{owner}.{name} must be > 0, got {value}")
    if value >= 1.0:
        raise ValueError(
            f"{owner}.{name}={value} s looks like milliseconds; write {value:g}*ms "
            f"(values are SI floats: seconds)"
        )


def check_voltage(owner: str, name: str, value: Any) -> None:
    """A voltage in volts: |v| < 1 V (``-65`` looks like millivolts)."""
    check_finite(owner, name, value)
    if abs(value) >= 1.0:
        raise ValueError(
            f"{owner}.{name}={value} V looks like millivolts; write {value:g}*mV "
            f"(values are SI floats: volts)"
        )


def check_dt_against(owner: str, dt: float, **taus: float) -> None:
    """Reject ``dt`` larger than any given time constant (the model would be meaningless)."""
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a finite float > 0, got {dt!r}")
    for name, tau in taus.items():
        if tau is not None and tau > 0 and dt > tau:
            raise ValueError(
                f"dt={dt} s is larger than {owner}.{name}={tau} s; use dt <= {tau}"
            )
