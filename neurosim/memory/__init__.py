"""Associative memories: classical and modern Hopfield networks, spiking associative memory.

Boltzmann machines (:mod:`neurosim.memory.boltzmann`), restricted and deep Boltzmann
machines (:mod:`neurosim.memory.rbm`, :mod:`neurosim.memory.dbm`) and their samplers
(:mod:`neurosim.memory.sampling`: Gibbs, annealing, AIS, exact log Z) are exported here too.
"""

from neurosim.memory.boltzmann import BMParams, BoltzmannMachine
from neurosim.memory.dbm import DBM, DBMParams, dbm_log_partition_exact, dbm_mean_field
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
from neurosim.memory.rbm import RBM, RBMParams, cd_gradient
from neurosim.memory.sampling import (
    LogPartition,
    ais_rbm,
    bm_gibbs,
    bm_log_partition_exact,
    rbm_free_energy,
    rbm_gibbs,
    rbm_log_partition_exact,
    simulated_annealing,
)
from neurosim.memory.spiking_memory import (
    SpikingHopfield,
    SpikingMemoryParams,
    SpikingRecall,
    spiking_recall,
)

__all__ = [
    "BMParams", "BoltzmannMachine", "DBM", "DBMParams", "dbm_log_partition_exact",
    "dbm_mean_field", "RBM", "RBMParams", "cd_gradient", "LogPartition", "ais_rbm", "bm_gibbs",
    "bm_log_partition_exact", "rbm_free_energy", "rbm_gibbs", "rbm_log_partition_exact",
    "simulated_annealing",
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
