"""Search spaces as data: the tunable settings of a learner, with ranges and priors.

Every learner declares ``search_space``: a mapping from constructor argument to one of

- :class:`Float` — a real value in ``[low, high]``, uniform or log-uniform (``log=True``);
- :class:`Int` — an integer in ``[low, high]``, uniform or log-uniform;
- :class:`Choice` — one of a few values (categorical, uniform prior).

The defaults stay where they are (the constructor's signature, read by
:meth:`comparisons.learners.base.Learner.defaults`); a search space says which of them the
protocol may change and within which bounds. Optuna draws from these spaces
(:func:`suggest`, :func:`distributions`), the CLI and :func:`comparisons.run_suite` check
user-given settings against them (:func:`check_params`), and reports print them
(:func:`describe`).

>>> from comparisons.space import Float, Int, describe
>>> describe({"lr": Float(1e-4, 3e-2, log=True), "hidden_size": Int(8, 64, log=True)})
'hidden_size: int log-uniform [8, 64]; lr: log-uniform [0.0001, 0.03]'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from comparisons.validation import check_float, check_int


@dataclass(frozen=True)
class Float:
    """A real-valued setting in ``[low, high]``; ``log=True`` draws it log-uniformly."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        check_float("Float.low", self.low)
        check_float("Float.high", self.high)
        if not self.low < self.high:
            raise ValueError(f"Float needs low < high, got low={self.low}, high={self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"Float(log=True) needs low > 0, got low={self.low}")

    def contains(self, value: Any) -> bool:
        return (isinstance(value, int | float) and not isinstance(value, bool)
                and math.isfinite(value) and self.low <= value <= self.high)

    def describe(self) -> str:
        kind = "log-uniform" if self.log else "uniform"
        return f"{kind} [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class Int:
    """An integer setting in ``[low, high]``; ``log=True`` draws it log-uniformly."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        check_int("Int.low", self.low)
        check_int("Int.high", self.high)
        if not self.low < self.high:
            raise ValueError(f"Int needs low < high, got low={self.low}, high={self.high}")
        if self.log and self.low < 1:
            raise ValueError(f"Int(log=True) needs low >= 1, got low={self.low}")

    def contains(self, value: Any) -> bool:
        return (isinstance(value, int) and not isinstance(value, bool)
                and self.low <= value <= self.high)

    def describe(self) -> str:
        kind = "int log-uniform" if self.log else "int uniform"
        return f"{kind} [{self.low}, {self.high}]"


@dataclass(frozen=True)
class Choice:
    """One of ``choices`` (a categorical setting, uniform prior)."""

    choices: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.choices, tuple) or len(self.choices) < 2:
            raise ValueError(f"Choice needs a tuple of at least 2 values, got {self.choices!r}")

    def contains(self, value: Any) -> bool:
        return any(value == c and type(value) is type(c) for c in self.choices)

    def describe(self) -> str:
        return "one of " + ", ".join(map(str, self.choices))


Param = Float | Int | Choice


def describe(space: Mapping[str, Param]) -> str:
    """One line per space, sorted by name: ``"lr: log-uniform [0.0001, 0.03]; ..."``."""
    return "; ".join(f"{k}: {p.describe()}" for k, p in sorted(space.items()))


def distributions(space: Mapping[str, Param]) -> dict[str, Any]:
    """Optuna distributions of a space (for ``study.ask(distributions)``)."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for name, p in space.items():
        if isinstance(p, Float):
            out[name] = FloatDistribution(p.low, p.high, log=p.log)
        elif isinstance(p, Int):
            out[name] = IntDistribution(p.low, p.high, log=p.log)
        else:
            out[name] = CategoricalDistribution(p.choices)
    return out


def suggest(trial: Any, space: Mapping[str, Param]) -> dict[str, Any]:
    """Draw every setting of ``space`` from an Optuna trial."""
    out: dict[str, Any] = {}
    for name, p in space.items():
        if isinstance(p, Float):
            out[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
        elif isinstance(p, Int):
            out[name] = trial.suggest_int(name, p.low, p.high, log=p.log)
        else:
            out[name] = trial.suggest_categorical(name, p.choices)
    return out


def check_params(owner: str, params: Mapping[str, Any], allowed: Mapping[str, Any],
                 space: Mapping[str, Param] | None = None, kind: str = "setting") -> dict:
    """Check user-given settings before anything runs.

    Parameters
    ----------
    owner : str
        Who the settings belong to, for messages (``"learner 'lstm'"``).
    params : mapping
        The settings to check.
    allowed : mapping
        Every accepted name -> its default (e.g. a constructor's defaults).
    space : mapping, optional
        The search space; a value outside its range is allowed (a user may fix a setting
        anywhere the constructor accepts), so only names are checked against it here.
    kind : str
        Word used in messages.

    Raises
    ------
    ValueError
        For an unknown name: ``"learner 'lstm' has no setting 'hiden_size'; choose from:
        batch_size, ..."``.
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"settings of {owner} must be a table of name = value, got {params!r}")
    for name in params:
        if name not in allowed:
            raise ValueError(f"{owner} has no {kind} {name!r}; choose from: "
                             f"{', '.join(sorted(allowed))}")
    return dict(params)


__all__ = ["Float", "Int", "Choice", "Param", "describe", "distributions", "suggest",
           "check_params"]
