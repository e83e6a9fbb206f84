"""Argument checks for the comparisons package: :mod:`neurosim.validation`'s, re-exported
(one error template, one implementation). ``check_float`` is the older name of
:func:`neurosim.validation.check_real`; the choices of :func:`check_choice` are listed sorted."""

from __future__ import annotations

from collections.abc import Iterable

from neurosim.validation import check_choice as _check_choice
from neurosim.validation import check_int, check_real

__all__ = ["check_choice", "check_float", "check_int", "check_real"]

#: ``check_float(name, value, low=None, high=None, low_open=False, high_open=False)``.
check_float = check_real


def check_choice(kind: str, value: str, choices: Iterable[str]) -> str:
    """Raise ``ValueError("unknown task 'x'; choose from: a, b")`` unless ``value`` is valid
    (:func:`neurosim.validation.check_choice`, the choices sorted)."""
    return _check_choice(kind, value, choices, sort=True)
