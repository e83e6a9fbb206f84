"""Hardware-cost metrics of a fitted learner, with NeuroBench's definitions
(Yik et al. 2024, "NeuroBench"): footprint, connection sparsity, activation sparsity,
synaptic operations; plus an estimate of the neuromorphic cores a spiking learner needs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from comparisons.metrics.energy import get_profile, list_profiles


def connection_sparsity(weights: list[np.ndarray]) -> float | None:
    """Fraction of zero entries over all weight arrays (``None`` without weights)."""
    total = sum(int(np.size(w)) for w in weights)
    if total == 0:
        return None
    zeros = sum(int(np.size(w) - np.count_nonzero(w)) for w in weights)
    return zeros / total


def activation_sparsity(ops: dict[str, float]) -> float | None:
    """Fraction of zero activations during inference (NeuroBench's activation sparsity).

    Measured where the learner counted its activations (``activations`` and
    ``nonzero_activations``: the outputs of its nonlinearities, see
    :mod:`comparisons.metrics.neurobench_counts`); for spiking learners otherwise
    ``1 - spikes / neuron_updates`` (a neuron that does not spike at a step outputs zero).
    ``None`` when the learner measured neither (it used to be a hard-coded 0 for every
    non-spiking learner).
    """
    act = float(ops.get("activations", 0.0))
    if act > 0:
        return 1.0 - float(ops.get("nonzero_activations", 0.0)) / act
    upd = float(ops.get("neuron_updates", 0.0))
    if upd > 0 and "spikes" in ops:
        return 1.0 - float(ops["spikes"]) / upd
    return None


#: NeuroBench's synaptic-operation counts a learner may measure (per sample)
NEUROBENCH_OPS = ("effective_macs", "effective_acs", "dense_ops")


def cores_needed(neurons: int | None, synapses: int | None, profile_name: str) -> int | None:
    """Neuromorphic cores for ``neurons`` neurons and ``synapses`` synapses under a profile
    with per-core limits (``None`` when the profile or the learner gives no sizes).

    ``max(ceil(neurons / neurons_per_core), ceil(synapses / (fanin_per_core *
    neurons_per_core)))`` — a lower bound that ignores placement and routing.
    """
    p = get_profile(profile_name)
    if not neurons or p.neurons_per_core is None:
        return None
    n = math.ceil(neurons / p.neurons_per_core)
    if synapses and p.fanin_per_core:
        n = max(n, math.ceil(synapses / (p.fanin_per_core * p.neurons_per_core)))
    return int(n)


def hardware_metrics(learner: Any, ops: dict[str, float]) -> dict[str, Any]:
    """NeuroBench-style static and dynamic metrics of a fitted learner.

    Keys: ``footprint_bytes`` (parameters + buffers, float32 unless the learner says
    otherwise), ``connection_sparsity``, ``activation_sparsity`` (``None``: not measured),
    ``synaptic_ops`` (MACs + ACs + synaptic events per sample, as priced: merged),
    NeuroBench's ``effective_macs``, ``effective_acs`` and ``dense_ops`` kept apart where
    the learner measured them (:mod:`comparisons.metrics.neurobench_counts`; ``None``
    otherwise), ``neurons``, ``synapses`` and ``cores_<profile>`` for profiles with
    per-core limits (spiking learners only).
    """
    st = learner.structure()
    weights = st.get("weights", [])
    footprint = st.get("footprint_bytes")
    if footprint is None:
        footprint = 4 * int(learner.param_count())
    out: dict[str, Any] = {
        "footprint_bytes": int(footprint),
        "connection_sparsity": connection_sparsity(weights),
        "activation_sparsity": activation_sparsity(ops),
        "synaptic_ops": float(ops.get("mac", 0.0) + ops.get("ac", 0.0)
                              + ops.get("synaptic_events", 0.0)),
        "neurons": st.get("neurons"), "synapses": st.get("synapses"),
    }
    for k in NEUROBENCH_OPS:
        out[k] = float(ops[k]) if k in ops else None
    if learner.family == "spiking":
        for p in list_profiles():
            c = cores_needed(st.get("neurons"), st.get("synapses"), p)
            if c is not None:
                out[f"cores_{p}"] = c
    return out
