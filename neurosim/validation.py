"""Checks shared by neurosim, backprop and comparisons, in the project's one wording.

An error names the parameter (as the user spells it: ``"LIFParams.tau_m"``,
``"lstm.hidden_size"``), the offending value and what is allowed, in one template::

    TypeError("lstm.hidden_size must be an int, got float (2.5)")
    ValueError("lstm.hidden_size must be >= 1, got 0")
    ValueError("LIFParams.tau_m must be > 0, got -0.02")
    ValueError("Trainer.momentum must be in [0, 1), got 1.5")
    ValueError("LIFParams.tau_m must be finite, got nan")

``TypeError`` for a wrong type (``bool`` is not a number here; numpy integers and floats
are), ``ValueError`` for a value out of range (:func:`check_int`, :func:`check_real`). A
setting with a fixed set of values answers ``ValueError("unknown Trainer.optimizer 'adamw';
choose from: adam, sgd, rmsprop")`` in every package (:func:`check_choice`). Devices:
:mod:`neurosim.devices`; atomic file writes: :mod:`neurosim.atomic`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

__all__ = ["check_choice", "check_int", "check_real", "describe_range"]


def describe_range(low: Any = None, high: Any = None, *, low_open: bool = False,
                   high_open: bool = False) -> str:
    """What a range allows, in the words of the error template: ``">= 1"``, ``"> 0"``,
    ``"<= 50"``, ``"in [0, 1)"``, or ``""`` with no bound (an infinite bound is none)."""
    low = None if low is not None and low == -math.inf else low
    high = None if high is not None and high == math.inf else high
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high}"
    return ""


def _type_error(name: str, kind: str, allow_none: bool, value: Any) -> TypeError:
    return TypeError(f"{name} must be {kind}{' or None' if allow_none else ''}, got "
                     f"{type(value).__name__} ({value!r})")


def _outside(v: float, low: Any, high: Any, low_open: bool, high_open: bool) -> bool:
    return ((low is not None and (v <= low if low_open else v < low))
            or (high is not None and (v >= high if high_open else v > high)))


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None, *,
              allow_none: bool = False) -> int | None:
    """Return ``value`` as an ``int`` if it is an integer in ``[low, high]``, else raise.

    Parameters
    ----------
    name : str
        The setting as the user spells it (``"lstm.hidden_size"``, ``"NeuronGroup.n"``).
    value : Any
        What was given: an ``int`` or a numpy integer (``bool`` is rejected).
    low, high : int, optional
        Inclusive bounds; ``None`` is no bound.
    allow_none : bool
        Accept ``None`` (returned as is).

    Raises
    ------
    TypeError
        Not an integer: ``"lstm.hidden_size must be an int, got float (2.5)"``.
    ValueError
        Out of range: ``"lstm.hidden_size must be >= 1, got 0"``.
    """
    if value is None and allow_none:
        return None
    rng = describe_range(low, high)
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise _type_error(name, "an int", allow_none, value)
    v = int(value)
    if _outside(v, low, high, False, False):
        raise ValueError(f"{name} must be {rng}, got {v}")
    return v


def check_real(name: str, value: Any, low: float | None = None, high: float | None = None,
               *, low_open: bool = False, high_open: bool = False, finite: bool = True,
               allow_none: bool = False) -> float | None:
    """Return ``value`` as a ``float`` if it is a real number in the range, else raise.

    Parameters
    ----------
    name : str
        The setting as the user spells it (``"LIFParams.tau_m"``, ``"lstm.lr"``).
    value : Any
        What was given: an ``int``, ``float`` or numpy number (``bool`` is rejected).
    low, high : float, optional
        Bounds, inclusive unless ``low_open`` / ``high_open``; ``None`` is no bound.
    finite : bool
        Reject ``inf`` (default). NaN is always rejected.
    allow_none : bool
        Accept ``None`` (returned as is).

    Raises
    ------
    TypeError
        Not a real number: ``"LIFParams.tau_m must be a real number, got str ('20ms')"``.
    ValueError
        NaN or inf: ``"LIFParams.tau_m must be finite, got nan"`` (with ``finite=False``:
        ``"PairSTDPParams.w_max must not be NaN, got nan"``); out of range:
        ``"LIFParams.tau_m must be > 0, got -0.02"``, ``"Trainer.momentum must be in [0, 1),
        got 1.5"``.
    """
    if value is None and allow_none:
        return None
    rng = describe_range(low, high, low_open=low_open, high_open=high_open)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise _type_error(name, "a real number", allow_none, value)
    v = float(value)
    if math.isnan(v) or (finite and math.isinf(v)):
        raise ValueError(f"{name} must {'be finite' if finite else 'not be NaN'}, got {v}")
    if _outside(v, low, high, low_open, high_open):
        raise ValueError(f"{name} must be {rng}, got {v}")
    return v


def check_choice(name: str, value: Any, choices: Iterable[str], *, sort: bool = False) -> str:
    """Return ``value`` if it is one of ``choices``, else raise.

    Parameters
    ----------
    name : str
        The setting as the user spells it (``"Trainer.optimizer"``, ``"task"``).
    value : Any
        What was given.
    choices : iterable of str
        The allowed values, listed in this order (or sorted with ``sort=True``).

    Raises
    ------
    TypeError
        ``value`` is not a str: ``"Trainer.optimizer must be a str, one of: adam, sgd; got
        int (3)"``.
    ValueError
        An unknown str: ``"unknown Trainer.optimizer 'adamw'; choose from: adam, sgd"``.
    """
    opts = [str(c) for c in choices]
    if sort:
        opts.sort()
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of: {', '.join(opts)}; got "
                        f"{type(value).__name__} ({value!r})")
    if value not in opts:
        raise ValueError(f"unknown {name} {value!r}; choose from: {', '.join(opts)}")
    return value
