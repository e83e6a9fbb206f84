"""The neuron models a :class:`~neurosim.neurons.group.NeuronGroup` accepts.

``MODEL_PARAMS`` maps each model's ``model_name`` to its parameter class. A new model is one
module (frozen params dataclass, state NamedTuple, pure step function) plus one entry here;
the backends and exporters find how to run it in their own tables keyed by the params class
(:mod:`neurosim.backends.numba_cpu`, :mod:`neurosim.interop.brian2_script`).
"""

from __future__ import annotations

from neurosim.neurons.adex import AdExParams
from neurosim.neurons.alif import ALIFParams
from neurosim.neurons.if_ import IFParams
from neurosim.neurons.izhikevich import IzhikevichParams
from neurosim.neurons.lif import LIFCondAlphaParams, LIFCondParams, LIFParams
from neurosim.neurons.lif_theta import LIFCondThetaParams
from neurosim.neurons.qif import QIFParams

__all__ = ["MODEL_PARAMS"]

#: model name -> parameter class (extended as models are added)
MODEL_PARAMS: dict[str, type] = {
    LIFParams.model_name: LIFParams,
    LIFCondParams.model_name: LIFCondParams,
    LIFCondAlphaParams.model_name: LIFCondAlphaParams,
    ALIFParams.model_name: ALIFParams,
    IzhikevichParams.model_name: IzhikevichParams,
    AdExParams.model_name: AdExParams,
    IFParams.model_name: IFParams,
    QIFParams.model_name: QIFParams,
    LIFCondThetaParams.model_name: LIFCondThetaParams,
}
