"""Rule-swap families: one network, several learning rules (issue "rule-swap families").

A family fixes the network (neurons, sizes, initial weights for a seed, readout, loss,
optimiser, search space) and varies only the rule that computes the weight updates, so a
difference between its rows is the rule's. Its learners are named ``family:rule``.

``rsnn``: e-prop's recurrent LIF network (Bellec et al. 2020; :mod:`backprop.eprop`, 100
neurons by default, no self-connections, leaky readout, cross-entropy over the last steps,
Adam) trained by :mod:`backprop.rsnn_rules`: ``rsnn:bptt`` (surrogate-gradient BPTT),
``rsnn:tbptt`` (truncated, ``truncation`` steps), ``rsnn:eprop_symmetric``,
``rsnn:eprop_random`` (the random-feedback online rule; RFLO's spiking form) and
``rsnn:readout`` (input and recurrent weights frozen: the reservoir control). Every rule
trains all three weight matrices except ``readout``, which trains ``W_out`` and ``b_out``
only (said in its row's readout field). The search space is the optimiser's (learning rate,
batch size); the size is not tuned, so that a family compares rules at one size (sweep
``n_rec`` with a ``learner_grid`` for size curves).

Scorecards are declared per rule from what the rule computes (see
``docs/guide/scorecard.md`` for the rubric).
"""

from __future__ import annotations

from typing import Any

from comparisons.learners import LEARNERS, register
from comparisons.learners.spiking import EPropLearner
from comparisons.space import Choice, Float, Param

#: family -> rule -> registered learner name (filled by :func:`_rsnn`)
FAMILIES: dict[str, dict[str, str]] = {}

_RSNN_SPACE: dict[str, Param] = {
    "lr": Float(1e-4, 3e-2, log=True),
    "batch_size": Choice((8, 16, 32, 64, 128)),
}

_BPTT_CARD = {
    # gradients through time and across neurons: the transpose of the forward weights,
    # the derivative of the (surrogate) spike function, a backward phase after the sequence
    "local_learning": False, "no_weight_transport": False, "no_derivative_feedback": False,
    "no_clocked_phases": False, "binary_spikes": True, "no_target_outputs": False,
    "online_in_time": False,
}
_EPROP_CARD = {
    "local_learning": True, "no_weight_transport": True, "no_derivative_feedback": False,
    "no_clocked_phases": True, "binary_spikes": True, "no_target_outputs": False,
    "online_in_time": True,
}
_RSNN_RULES: dict[str, tuple[str, dict[str, bool]]] = {
    "bptt": ("backpropagation through time with e-prop's pseudo-derivative as surrogate",
             _BPTT_CARD),
    "tbptt": ("truncated BPTT: no gradient across windows of `truncation` steps",
              _BPTT_CARD),
    "eprop_symmetric": ("e-prop, learning signal through W_out.T (weight transport)",
                        {**_EPROP_CARD, "no_weight_transport": False}),
    "eprop_random": ("e-prop, learning signal through fixed random feedback (RFLO-like)",
                     _EPROP_CARD),
    "readout": ("input and recurrent weights frozen; the readout learns (reservoir control)",
                {**_EPROP_CARD, "no_derivative_feedback": True}),
}


def _rsnn(rule: str, doc: str, card: dict[str, bool]) -> type[EPropLearner]:
    name = f"rsnn:{rule}"
    cls = type(f"RSNN_{rule}", (EPropLearner,), {
        "__doc__": f"The ``rsnn`` family's network trained by rule ``{rule}``: {doc}.",
        "__module__": __name__,
        "name": name, "family": "spiking", "rule_family": "rsnn", "rule": rule,
        "scorecard": dict(card), "search_space": dict(_RSNN_SPACE),
    })
    FAMILIES.setdefault("rsnn", {})[rule] = name
    return register(cls)


for _rule, (_doc, _card) in _RSNN_RULES.items():
    _rsnn(_rule, _doc, _card)


def family_members(family: str) -> dict[str, type[Any]]:
    """``{rule: learner class}`` of a family."""
    return {rule: LEARNERS[name] for rule, name in FAMILIES[family].items()}


__all__ = ["FAMILIES", "family_members"]
