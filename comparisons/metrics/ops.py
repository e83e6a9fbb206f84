"""Op counting helpers.

Dense work is counted with :class:`torch.utils.flop_counter.FlopCounterMode` (a matmul of
``(m, k) @ (k, n)`` is ``2 m k n`` FLOPs = ``m k n`` MACs); spiking work is counted by the
simulator (spikes, synaptic events, neuron updates). Memory traffic follows a simple,
stated model (:func:`add_memory_traffic`), as in NeuroBench-style analyses: every MAC, AC and
synaptic event reads one weight; every neuron update reads and writes its state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch.utils.flop_counter import FlopCounterMode


def flop_count_macs(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """Run ``fn(*args, **kwargs)`` under ``FlopCounterMode``; return ``(result, MACs)``.

    MACs are FLOPs / 2 (PyTorch counts a multiply-add as two FLOPs). Only ops with a
    registered FLOP formula (matmul, conv, attention, ...) are counted: elementwise gate
    nonlinearities are not, and are small next to the matmuls.
    """
    with FlopCounterMode(display=False) as counter:
        out = fn(*args, **kwargs)
    return out, counter.get_total_flops() / 2.0


def dense_ops(macs: float) -> dict[str, float]:
    """Op dict for a dense (non-spiking) computation of ``macs`` multiply-accumulates."""
    return {"mac": float(macs), "ac": 0.0, "spikes": 0.0, "synaptic_events": 0.0,
            "neuron_updates": 0.0, "plasticity_updates": 0.0}


def add_memory_traffic(
    ops: dict[str, float], weight_bytes: int = 4, state_bytes: int = 4
) -> dict[str, float]:
    """Return a copy of ``ops`` with ``mem_read_bytes`` and ``mem_write_bytes`` filled in.

    Model: each MAC, AC and synaptic event reads one weight of ``weight_bytes``; each neuron
    update reads and writes one state variable of ``state_bytes``; each plasticity update
    reads and writes one weight.
    """
    out = dict(ops)
    reads = (ops.get("mac", 0.0) + ops.get("ac", 0.0) + ops.get("synaptic_events", 0.0)) \
        * weight_bytes
    reads += ops.get("neuron_updates", 0.0) * state_bytes
    reads += ops.get("plasticity_updates", 0.0) * weight_bytes
    writes = ops.get("neuron_updates", 0.0) * state_bytes \
        + ops.get("plasticity_updates", 0.0) * weight_bytes
    out["mem_read_bytes"] = float(reads)
    out["mem_write_bytes"] = float(writes)
    return out


def add_stored_activation_traffic(ops: dict[str, float], saved_bytes: float,
                                  passes: float) -> dict[str, float]:
    """Return a copy of ``ops`` (with memory traffic already filled in) plus the traffic of
    the activations BPTT stores: every pass, the forward pass writes the ``saved_bytes``
    autograd keeps for one sample and the backward pass reads them back."""
    out = dict(ops)
    traffic = float(saved_bytes) * float(passes)
    out["mem_read_bytes"] = out.get("mem_read_bytes", 0.0) + traffic
    out["mem_write_bytes"] = out.get("mem_write_bytes", 0.0) + traffic
    return out


def add_trace_traffic(ops: dict[str, float], trace_bytes: float,
                      steps: float) -> dict[str, float]:
    r"""Return a copy of ``ops`` (with memory traffic already filled in) plus the traffic of
    a local rule's traces: every step reads each trace and writes it back.

    .. math:: \text{mem\_read\_bytes} \mathrel{+}= S\,T_{\text{steps}}, \qquad
              \text{mem\_write\_bytes} \mathrel{+}= S\,T_{\text{steps}}

    with :math:`S` = ``trace_bytes``, the bytes of the traces one sample keeps, and
    :math:`T_{\text{steps}}` = ``steps``, the simulation steps per training sample over the
    whole fit (sequence length x epochs run). For e-prop (Bellec et al. 2020, "A solution
    to the learning dilemma for recurrent networks of spiking neurons", Nat. Commun.
    11:3625, Methods) the traces are the presynaptic traces, the filtered eligibility trace
    :math:`\mathcal F_\kappa(e_{ji})` of every plastic synapse (and the adaptation
    trace of ALIF synapses) and the readout's filtered spikes, each updated once a step
    (:func:`backprop.eprop.online_traces`): :math:`S \approx 4 N (n_{in} + N)` bytes
    for ``N`` recurrent LIF neurons in float32. For STDP the traces are per neuron, not
    per synapse, each decayed every simulation step of every presentation with plasticity
    on: Diehl & Cook's triplet rule (Diehl & Cook 2015; Pfister & Gerstner 2006) keeps
    :math:`r_1, r_2` per input and :math:`o_1, o_2` per excitatory neuron,
    :math:`S = 8 (2 n_{in} + 2 N)` bytes in float64 over presentations x ``n_steps``
    steps; the STDP reservoir's pair rule one trace per input and per neuron.
    """
    out = dict(ops)
    traffic = float(trace_bytes) * float(steps)
    out["mem_read_bytes"] = out.get("mem_read_bytes", 0.0) + traffic
    out["mem_write_bytes"] = out.get("mem_write_bytes", 0.0) + traffic
    return out


__all__ = ["flop_count_macs", "dense_ops", "add_memory_traffic",
           "add_stored_activation_traffic", "add_trace_traffic"]
