"""The plausibility scorecard per component: the representation and the readout graded apart.

A learner's learner-level card (``Learner.scorecard``, one mark per criterion of
:data:`~comparisons.learners.base.SCORECARD_CRITERIA`) says whether the learner *as a whole*
meets each criterion. ``Learner.scorecard_components`` grades its two parts separately
(:data:`COMPONENTS`):

- the **representation**: the network that turns the input sequence into states or
  features (a recurrent network, a reservoir, a delay line, an associative memory);
- the **readout**: the map from those states to the outputs.

Each component card maps every criterion to ``True`` (yes), ``False`` (no) or ``None``
(n/a): the component does not learn (a fixed random reservoir, a delay line: every
criterion but ``binary_spikes`` is n/a, :func:`not_learned`), or the criterion does not
apply to it (``binary_spikes`` of a readout: its outputs are the learner's answer, read by no
other unit; what it reads is the representation's, graded there). A component that the
learner does not have (an associative memory's state is its answer: no readout) is ``None``
as a whole.

The learner-level mark is the weaker of the components' marks (:func:`combine`): "yes" only
where every component that has a mark says yes. Tests hold every registered learner to
``scorecard == combine(scorecard_components)`` (the rubric: ``docs/guide/scorecard.md``).

The shared cards of this module grade the readouts most learners use:
:data:`DELTA_RULE_READOUT` (a linear readout trained by its own error times its
presynaptic activity: the readout of every gradient-trained network, and the NLMS readout)
and :data:`BATCH_READOUT` (ridge or logistic regression solved over all training states).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from comparisons.learners.base import SCORECARD_CRITERIA

#: the components a learner is graded on, separately, and what each is
COMPONENTS: dict[str, str] = {
    "representation": "the network that turns the input sequence into states or features",
    "readout": "the map from those states to the outputs",
}

#: a component's marks: criterion -> True / False / None (n/a)
ComponentCard = dict[str, bool | None]
#: a learner's components: component -> its card, or None (the learner has no such part)
Components = dict[str, ComponentCard | None]

#: the criteria about learning (every one but ``binary_spikes``): n/a for a part that does
#: not learn
LEARNING_CRITERIA: tuple[str, ...] = tuple(c for c in SCORECARD_CRITERIA
                                           if c != "binary_spikes")


def not_learned(binary_spikes: bool | None = None) -> ComponentCard:
    """The card of a component that does not learn (a fixed random reservoir, a delay line,
    a fixed decision rule): every learning criterion n/a (``None``); ``binary_spikes`` as
    given (``None`` for a readout)."""
    return {c: (binary_spikes if c == "binary_spikes" else None) for c in SCORECARD_CRITERIA}


def readout_card(**marks: bool) -> ComponentCard:
    """A readout's card from its learning marks (every criterion of
    :data:`LEARNING_CRITERIA`, by keyword); ``binary_spikes`` is n/a for a readout."""
    missing = set(LEARNING_CRITERIA) - set(marks)
    extra = set(marks) - set(LEARNING_CRITERIA)
    if missing or extra:
        raise ValueError(f"readout_card needs exactly the learning criteria "
                         f"{list(LEARNING_CRITERIA)}; missing {sorted(missing)}, "
                         f"unknown {sorted(extra)}")
    return {c: (None if c == "binary_spikes" else bool(marks[c])) for c in SCORECARD_CRITERIA}


#: A linear readout trained by its own error times its presynaptic activity (the delta
#: rule; through a leaky readout, times a filtered trace of it): the readout update of every
#: gradient-trained network here (BPTT, truncated BPTT, e-prop, RFLO, feedback alignment:
#: the gradient of the loss with respect to the readout weights is this rule, whatever the
#: rule does below it), and the NLMS readout of the reservoirs. Local, no feedback pathway,
#: no derivative of a hidden nonlinearity (the losses' output error is ``y - target``),
#: computable step by step as the sequence runs; supervised.
DELTA_RULE_READOUT: ComponentCard = readout_card(
    local_learning=True, no_weight_transport=True, no_derivative_feedback=True,
    no_clocked_phases=True, no_target_outputs=False, online_in_time=True)

#: A readout solved in one batch over every training state (ridge regression, logistic
#: regression by L-BFGS, least squares): the solution couples all weights through the
#: states' Gram matrix (not local), needs all states collected first (a separate phase,
#: not online); no feedback pathway or derivative; supervised.
BATCH_READOUT: ComponentCard = readout_card(
    local_learning=False, no_weight_transport=True, no_derivative_feedback=True,
    no_clocked_phases=False, no_target_outputs=False, online_in_time=False)

#: A representation whose plastic synapses learn by spike-timing rules without targets
#: (STDP with soft bounds, adaptive thresholds, lateral inhibition): each update reads the
#: pre- and postsynaptic spike traces, as the spikes happen.
STDP_REPRESENTATION: ComponentCard = {c: True for c in SCORECARD_CRITERIA}


def check_components(name: str, components: Any) -> Components:
    """Validate a learner's per-component card; returns it. Raises ``ValueError`` naming
    the learner and what is wrong (a missing or unknown component or criterion, a mark that
    is not True, False or None)."""
    if not isinstance(components, Mapping):
        raise ValueError(f"{name}.scorecard_components must be a dict "
                         f"{{component: card or None}}, got {type(components).__name__}")
    if set(components) != set(COMPONENTS):
        raise ValueError(f"{name}.scorecard_components needs exactly the components "
                         f"{list(COMPONENTS)}, got {sorted(components)}")
    for comp, card in components.items():
        if card is None:
            continue
        if not isinstance(card, Mapping) or set(card) != set(SCORECARD_CRITERIA):
            got = sorted(card) if isinstance(card, Mapping) else type(card).__name__
            raise ValueError(f"{name}.scorecard_components[{comp!r}] must mark every "
                             f"criterion of SCORECARD_CRITERIA, got {got}")
        bad = {c: v for c, v in card.items() if v is not None and not isinstance(v, bool)}
        if bad:
            raise ValueError(f"{name}.scorecard_components[{comp!r}] marks must be True, "
                             f"False or None (n/a), got {bad}")
    return dict(components)


def combine(components: Mapping[str, Mapping[str, bool | None] | None]) -> dict[str, bool]:
    """The learner-level card of per-component cards: per criterion, the weaker of the
    components' marks (``all`` of those that are not n/a).

    Raises ``ValueError`` when no component marks a criterion (every one n/a or absent):
    the learner-level card needs a mark for each.
    """
    out: dict[str, bool] = {}
    for c in SCORECARD_CRITERIA:
        marks = [card[c] for card in components.values()
                 if card is not None and card.get(c) is not None]
        if not marks:
            raise ValueError(f"no component marks criterion {c!r} (all n/a or absent): "
                             f"the learner as a whole needs a mark")
        out[c] = all(marks)
    return out


def copy_components(components: Components | None) -> Components | None:
    """A copy of a per-component card for a result row (``None`` stays ``None``: a learner
    that declares none, e.g. one defined outside this package)."""
    return None if components is None else copy.deepcopy(dict(components))


__all__ = [
    "BATCH_READOUT", "COMPONENTS", "DELTA_RULE_READOUT", "LEARNING_CRITERIA",
    "STDP_REPRESENTATION", "ComponentCard", "Components", "check_components", "combine",
    "copy_components", "not_learned", "readout_card",
]
