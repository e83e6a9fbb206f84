"""Synaptic plasticity: STDP family, homeostasis, winner-take-all.

Pure step functions (numpy arrays or torch tensors) live in :mod:`.stdp`,
:mod:`.homeostasis`, :mod:`.wta` and :mod:`.short_term` (Tsodyks–Markram short-term
plasticity, given to a projection as ``Synapses(..., stp=TsodyksMarkramParams(...))``);
the rule objects in :mod:`.rules` attach to :class:`~neurosim.synapses.Synapses`
(``syn.attach(STDP(...))``) and are run by the network (:mod:`.engine`);
``network.learning = False`` freezes them (short-term plasticity always runs).
"""

from neurosim.plasticity.homeostasis import (
    AdaptiveThresholdParams,
    NormalizationParams,
    adaptive_threshold_step,
    normalize_columns,
)
from neurosim.plasticity.rules import STDP, PlasticityRule, RewardSTDP, TripletSTDP
from neurosim.plasticity.short_term import (
    TsodyksMarkramParams,
    TsodyksMarkramState,
    tsodyks_markram_step,
)
from neurosim.plasticity.stdp import (
    PairSTDPParams,
    PairSTDPState,
    RewardSTDPParams,
    RewardSTDPState,
    TripletSTDPParams,
    TripletSTDPState,
    pair_stdp_step,
    reward_stdp_step,
    stdp_window,
    triplet_stdp_step,
)
from neurosim.plasticity.wta import k_winners_take_all, lateral_inhibition_matrix, wta_network

__all__ = [
    "PairSTDPParams", "PairSTDPState", "pair_stdp_step",
    "TripletSTDPParams", "TripletSTDPState", "triplet_stdp_step",
    "RewardSTDPParams", "RewardSTDPState", "reward_stdp_step", "stdp_window",
    "PlasticityRule", "STDP", "TripletSTDP", "RewardSTDP",
    "TsodyksMarkramParams", "TsodyksMarkramState", "tsodyks_markram_step",
    "AdaptiveThresholdParams", "adaptive_threshold_step", "NormalizationParams",
    "normalize_columns", "k_winners_take_all", "lateral_inhibition_matrix", "wta_network",
]
