"""neurosim: a spiking-network simulator (and, in submodules, associative memories).

Quick start::

    from neurosim import LIFParams, NeuronGroup, PoissonGroup, Synapses, Network, SpikeMonitor
    from neurosim.units import ms, Hz, pA

    exc = NeuronGroup(100, LIFParams(), name="exc")
    inp = PoissonGroup(50, 20 * Hz, name="inp")
    syn = Synapses.fixed_probability(inp, exc, p=0.2, w=200 * pA, seed=0)
    mon = SpikeMonitor(exc)
    net = Network(exc, inp, syn, mon, dt=0.1 * ms, seed=0)
    net.run(0.5)
    mon.i, mon.t, net.counters["synaptic_events"]

This module stays import-light: it does not import torch, numba, the backends, or the
``memory`` / ``plasticity`` subpackages (import those explicitly).
"""

from neurosim import units
from neurosim.monitors import PopulationRateMonitor, SpikeMonitor, StateMonitor
from neurosim.network import Network
from neurosim.neurons import (
    AdExParams,
    ALIFParams,
    CurrentInjection,
    IFParams,
    IzhikevichParams,
    LIFCondAlphaParams,
    LIFCondParams,
    LIFCondState,
    LIFCondThetaParams,
    LIFParams,
    LIFState,
    NeuronGroup,
    PoissonGroup,
    QIFParams,
    SpikeGeneratorGroup,
    lif_cond_step,
    lif_step,
)
from neurosim.synapses import Synapses

__all__ = [
    "units", "Network", "NeuronGroup", "PoissonGroup", "SpikeGeneratorGroup",
    "CurrentInjection", "Synapses", "SpikeMonitor", "StateMonitor", "PopulationRateMonitor",
    "LIFParams", "LIFState", "lif_step", "LIFCondParams", "LIFCondState", "lif_cond_step",
    "LIFCondAlphaParams", "ALIFParams", "IzhikevichParams", "AdExParams",
    "IFParams", "QIFParams", "LIFCondThetaParams",
]
