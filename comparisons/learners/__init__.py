"""Learners: one protocol, a registry by name."""

from __future__ import annotations

from typing import Any

from comparisons.learners.base import (
    SCORECARD_CRITERIA,
    FitInfo,
    Learner,
    TaskNotSupported,
)
from comparisons.validation import check_choice

LEARNERS: dict[str, type[Learner]] = {}


def register(cls: type[Learner]) -> type[Learner]:
    """Class decorator: add a learner to the registry under ``cls.name``."""
    LEARNERS[cls.name] = cls
    return cls


def list_learners(families: bool = True) -> list[str]:
    """Names of the registered learners, sorted; ``families=False`` leaves out the members
    of rule-swap families (``family:rule``), which is what ``learners = "all"`` in a sweep
    means (run a family by its names, or with the ``families`` preset)."""
    _load_builtin()
    return sorted(n for n, c in LEARNERS.items() if families or c.rule_family is None)


def list_families() -> dict[str, list[str]]:
    """Rule-swap families and their rules: ``{"rsnn": ["bptt", "eprop_random", ...]}``.

    A family fixes the network and varies only the learning rule; its learners are
    registered as ``family:rule`` (see :mod:`comparisons.learners.families`)."""
    _load_builtin()
    out: dict[str, list[str]] = {}
    for cls in LEARNERS.values():
        if cls.rule_family is not None:
            out.setdefault(cls.rule_family, []).append(cls.rule)
    return {f: sorted(r) for f, r in sorted(out.items())}


def get_learner_class(name: str) -> type[Learner]:
    _load_builtin()
    check_choice("learner", name, LEARNERS)
    return LEARNERS[name]


def get_learner(name: str, **params: Any) -> Learner:
    """Instantiate a registered learner by name (unknown names list the valid ones)."""
    return get_learner_class(name)(**params)


def _load_builtin() -> None:
    # Imported lazily so that `import comparisons` stays light.
    from comparisons.learners import (  # noqa: F401
        diehl_cook,
        families,
        lif_reservoir,
        memory,
        rnn,
        spiking,
        statespace,
        stdp_reservoir,
        windows,
    )


__all__ = [
    "SCORECARD_CRITERIA", "FitInfo", "Learner", "TaskNotSupported", "LEARNERS", "register",
    "list_learners", "list_families", "get_learner", "get_learner_class",
]
