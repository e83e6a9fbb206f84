"""Associative memories: classical and modern Hopfield networks, spiking associative memory.

Boltzmann machines / RBMs live in :mod:`neurosim.memory.boltzmann` (added separately).
"""

from neurosim.memory.experiments import (
    async_energy_trace,
    basins_of_attraction,
    capacity_curve,
    capacity_knee,
    energy_descent,
    one_step_bit_error,
    one_step_error_theory,
    spurious_mixtures,
)
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
from neurosim.memory.spiking_memory import (
    SpikingHopfield,
    SpikingMemoryParams,
    SpikingRecall,
    spiking_recall,
)

__all__ = [
    "async_energy_trace",
    "async_sweep",
    "basins_of_attraction",
    "capacity_curve",
    "capacity_knee",
    "dense_energy",
    "dense_field",
    "DenseAssociativeMemory",
    "energy_descent",
    "hebbian_weights",
    "hopfield_energy",
    "HopfieldNetwork",
    "learn_weights",
    "modern_hopfield_energy",
    "modern_hopfield_update",
    "ModernHopfield",
    "one_step_bit_error",
    "one_step_error_theory",
    "pseudo_inverse_weights",
    "RecallInfo",
    "spiking_recall",
    "SpikingHopfield",
    "SpikingMemoryParams",
    "SpikingRecall",
    "spurious_mixtures",
    "storkey_weights",
    "sync_step",
]
