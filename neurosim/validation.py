"""Checks shared by neurosim, backprop and comparisons, in the project's one wording.

An error names the parameter, the offending value and what is allowed. A setting with a
fixed set of values answers ``ValueError("unknown Trainer.optimizer 'adamw'; choose from:
adam, sgd, rmsprop")`` in every package (:func:`check_choice`). Devices:
:mod:`neurosim.devices`; atomic file writes: :mod:`neurosim.atomic`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["check_choice"]


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
