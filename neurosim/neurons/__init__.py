"""Neuron models (parameters + pure step functions) and input groups."""

from neurosim.neurons.adex import AdExParams, AdExState, adex_step
from neurosim.neurons.alif import ALIFParams, ALIFState, alif_step
from neurosim.neurons.group import NeuronGroup
from neurosim.neurons.if_ import IFParams, if_step
from neurosim.neurons.inputs import CurrentInjection, PoissonGroup, SpikeGeneratorGroup
from neurosim.neurons.izhikevich import IzhikevichParams, IzhikevichState, izhikevich_step
from neurosim.neurons.lif import (
    LIFCondAlphaParams,
    LIFCondAlphaState,
    LIFCondParams,
    LIFCondState,
    LIFParams,
    LIFState,
    lif_cond_alpha_step,
    lif_cond_step,
    lif_step,
)
from neurosim.neurons.lif_theta import (
    LIFCondThetaParams,
    LIFCondThetaState,
    lif_cond_theta_step,
)
from neurosim.neurons.qif import QIFParams, QIFState, qif_step
from neurosim.neurons.registry import MODEL_PARAMS

__all__ = [
    "NeuronGroup", "PoissonGroup", "SpikeGeneratorGroup", "CurrentInjection",
    "LIFParams", "LIFState", "lif_step", "LIFCondParams", "LIFCondState", "lif_cond_step",
    "LIFCondAlphaParams", "LIFCondAlphaState", "lif_cond_alpha_step",
    "ALIFParams", "ALIFState", "alif_step", "IzhikevichParams", "IzhikevichState",
    "izhikevich_step", "AdExParams", "AdExState", "adex_step", "IFParams", "if_step",
    "QIFParams", "QIFState", "qif_step",
    "LIFCondThetaParams", "LIFCondThetaState", "lif_cond_theta_step",
    "MODEL_PARAMS",
]
