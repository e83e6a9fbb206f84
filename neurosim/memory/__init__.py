"""Associative memories: classical and modern Hopfield networks, spiking associative memory.

Boltzmann machines / RBMs live in :mod:`neurosim.memory.boltzmann` (added separately).
"""

from neurosim.memory.hopfield import (
    HopfieldNetwork,
    RecallInfo,
    async_sweep,
    hebbian_weights,
    hopfield_energy,
    learn_weights,
    pseudo_inverse_weights,
    storkey_weights,
    sync_step,
)
from neurosim.memory.modern import (
    DenseAssociativeMemory,
    ModernHopfield,
    dense_energy,
    dense_field,
    modern_hopfield_energy,
    modern_hopfield_update,
)

__all__ = [
    "DenseAssociativeMemory",
    "ModernHopfield",
    "dense_energy",
    "dense_field",
    "modern_hopfield_energy",
    "modern_hopfield_update",
    "HopfieldNetwork",
    "RecallInfo",
    "async_sweep",
    "hebbian_weights",
    "hopfield_energy",
    "learn_weights",
    "pseudo_inverse_weights",
    "storkey_weights",
    "sync_step",
]
