"""Shared helpers for neuron models: validation, array-agnostic ``where``, step counting.

Model code works on numpy arrays and torch tensors alike (any leading shape). It never
imports a backend; torch is only touched when the caller passes torch tensors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neurosim.validation import check_real


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
    """``owner.name`` is a finite real number (:func:`neurosim.validation.check_real`)."""
    check_real(f"{owner}.{name}", value)


def check_positive(owner: str, name: str, value: Any) -> None:
    """``owner.name`` is a finite real number > 0."""
    check_real(f"{owner}.{name}", value, low=0, low_open=True)


def check_time_constant(owner: str, name: str, value: Any, allow_zero: bool = False) -> None:
    """A time constant in seconds: > 0 (or >= 0), and not a millisecond number in disguise."""
    check_real(f"{owner}.{name}", value, low=0, low_open=not allow_zero)
    check_magnitude(owner, name, value, 1.0, "s", "milliseconds", "ms", "seconds")


def check_voltage(owner: str, name: str, value: Any) -> None:
    """A voltage in volts: |v| < 1 V (``-65`` looks like millivolts)."""
    check_finite(owner, name, value)
    check_magnitude(owner, name, value, 1.0, "V", "millivolts", "mV", "volts")


#: A current at or above this (1 uA) given to a neuron model looks like pA/nA written as A:
#: 1 uA through the default 100 Mohm membrane is 100 V, into 281 pF (AdEx) 3.6 V per ms.
CURRENT_LIMIT = 1e-6


def check_current(owner: str, name: str, value: Any, limit: float = CURRENT_LIMIT) -> None:
    """A current in amperes: ``|I| < limit`` (``-500`` looks like picoamperes: write
    ``-500*pA``). ``limit`` defaults to 1 uA (:data:`CURRENT_LIMIT`); a model that needs
    larger inputs (a dimensionless ``r_m = 1``) passes its own (see ``current_limit``)."""
    check_finite(owner, name, value)
    check_magnitude(owner, name, value, limit, "A", "picoamperes or nanoamperes",
                    "pA" if abs(value) >= 20 else "nA", "amperes",
                    f"|I| >= {limit:g} A would push the membrane by volts")


def check_magnitude(owner: str, name: str, value: Any, limit: float, unit: str,
                    looks_like: str, write: str, si: str, why: str = "") -> None:
    """The one wrong-unit check: ``|value| >= limit`` (in SI ``unit``) looks like a number
    written in a smaller unit, e.g. ``"LIFParams.tau_m=20 s looks like milliseconds; write
    20*ms (values are SI floats: seconds)"``."""
    if abs(value) >= limit:
        raise ValueError(
            f"{owner}.{name}={value} {unit} looks like {looks_like}; write {value:g}*{write} "
            f"(values are SI floats: {si}{'; ' + why if why else ''})"
        )


def check_dt_against(owner: str, dt: float, **taus: float) -> None:
    """Reject ``dt`` larger than any given time constant (the model would be meaningless)."""
    check_real("dt", dt, low=0, low_open=True)
    for name, tau in taus.items():
        if tau is not None and tau > 0 and dt > tau:
            raise ValueError(
                f"dt={dt} s is larger than {owner}.{name}={tau} s; use dt <= {tau}"
            )
