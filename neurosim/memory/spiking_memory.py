"""Spiking associative memory: a recurrent LIF network built from stored Hopfield patterns.

The bridge between the two halves of :mod:`neurosim`. Each unit of a ``±1`` pattern is a
leaky integrate-and-fire neuron (the engine's :class:`~neurosim.neurons.lif.LIFParams`);
``+1`` means "fires", ``−1`` means "silent". The recurrent weights are the Hopfield weights
``W`` (any rule of :mod:`neurosim.memory.hopfield`) with each row's mean removed:

.. math:: W'_{ij} = W_{ij} - \\frac1N\\sum_k W_{ik}, \\qquad
          \\sum_j W'_{ij} x_j = \\sum_j W_{ij}\\,(x_j - \\bar x)

so a population in which the units of a pattern fire (``x_j ∈ {0, 1}``, ``x̄ ≈ ½``) drives
neuron ``i`` with a current proportional to the Hopfield field ``½ (W s)_i``: excitation
between co-active units plus activity-dependent inhibition. A cue is an external current
(depolarising for ``+1`` cue bits, hyperpolarising for ``−1``) applied for ``cue_time``;
then the cue is removed and the recurrent currents alone complete and hold the pattern. The
state is read out from the firing rates in the last ``readout_time``: ``+1`` where a neuron
fires at ``min_rate`` or more.

Synapses saturate (NMDA-like; Wang 1999): each neuron ``j`` has a gate ``u_j`` that is set
to 1 at each of its spikes and decays with ``syn_tau`` otherwise, and neuron ``i`` receives the
current ``(2 coupling / R_m) Σ_j W'_ij u_j``. For firing rates well above ``1/syn_tau`` the gate
stays near 1 whatever the exact rate, so the network behaves like the binary Hopfield network
rather than a threshold-linear one (with plain summing synapses the rate differences between
weakly and strongly driven units let the state drift away from the pattern). ``coupling`` is
the voltage offset ``±coupling`` that a unit receives from a fully recalled pattern.

The memory runs on the engine (:func:`memory_network`): a :class:`~neurosim.Network` whose
batch holds one copy per cue, on the backend that ``device`` selects. The gate is the
engine's Tsodyks–Markram short-term depression with ``U = 1`` and ``tau_rec = syn_tau``
(:mod:`neurosim.plasticity.short_term`): with ``x_j = 1 - u_j``, a spike delivers ``w x_j``
and empties ``x_j``, which recovers with ``syn_tau``, into a synaptic current that decays
with the same ``syn_tau`` — the current is ``w u_j``.

References
----------
Hopfield (1984), neurons with graded response have collective computational properties like
those of two-state neurons, PNAS 81, 3088; Amit & Brunel (1997), model of global spontaneous
activity and local structured activity during delay periods in the cerebral cortex; Wang (1999),
synaptic basis of cortical persistent activity: the importance of NMDA receptors to working
memory;
Gerstner, Kistler, Naud & Paninski (2014), Neuronal Dynamics, ch. 17 (memory and attractor
dynamics).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator

from neurosim.memory.hopfield import (
    DTYPES,
    RULES,
    _check_choice,
    check_array,
    learn_weights,
    resolve_device,
)
from neurosim.monitors import SpikeMonitor
from neurosim.network import Network
from neurosim.neurons.base import (
    check_magnitude,
    check_positive,
    check_time_constant,
    check_voltage,
)
from neurosim.neurons.group import NeuronGroup
from neurosim.neurons.inputs import CurrentInjection
from neurosim.neurons.lif import LIFParams
from neurosim.plasticity.short_term import TsodyksMarkramParams
from neurosim.synapses import Synapses
from neurosim.units import Hz, ms, mV

__all__ = ["SpikingMemoryParams", "SpikingRecall", "SpikingHopfield", "spiking_recall",
           "memory_network"]


@dataclass(frozen=True)
class SpikingMemoryParams:
    """Protocol and coupling of :class:`SpikingHopfield` (SI floats).

    Parameters
    ----------
    cue_time : s, > 0. How long the cue current is applied.
    free_time : s, > 0. Free run after the cue is removed.
    readout_time : s, in ``(0, free_time]``. Final window whose rates are read out.
    dt : s, > 0. Integration step (exact integration within a step).
    bias : V, < 0. Resting offset below threshold ``v_inf − v_thresh`` with no input
        (negative: silent without recurrent or cue input).
    cue_drive : V, > 0. Voltage offset ``R_m I_cue`` of the cue current (``±`` per bit).
    coupling : V, > 0. Recurrent drive (see module docstring).
    min_rate : Hz, > 0. Readout threshold.
    syn_tau : s, > 0. Decay of the saturating synaptic gates.
    """

    cue_time: float = 50 * ms
    free_time: float = 150 * ms
    readout_time: float = 50 * ms
    dt: float = 0.5 * ms
    bias: float = -2 * mV
    cue_drive: float = 10 * mV
    coupling: float = 40 * mV
    min_rate: float = 10 * Hz
    syn_tau: float = 50 * ms

    def __post_init__(self) -> None:
        name = type(self).__name__
        for f in ("dt", "syn_tau"):
            check_time_constant(name, f, getattr(self, f))
        for f in ("cue_time", "free_time", "readout_time"):  # durations: up to 10 s
            check_positive(name, f, getattr(self, f))
            check_magnitude(name, f, getattr(self, f), 10.0, "s", "milliseconds", "ms",
                            "seconds")
        for f in ("cue_drive", "coupling", "bias"):
            check_voltage(name, f, getattr(self, f))
            if f != "bias":
                check_positive(name, f, getattr(self, f))
        check_positive(name, "min_rate", self.min_rate)
        if self.bias >= 0:
            raise ValueError(f"{name}.bias must be < 0, got {self.bias}")
        if self.readout_time > self.free_time:
            raise ValueError(f"{name}.readout_time must be <= free_time={self.free_time}, "
                             f"got {self.readout_time}")
        if self.cue_drive <= -self.bias:
            raise ValueError(f"{name}.cue_drive must be > -bias={-self.bias} so that cued "
                             f"neurons can fire, got {self.cue_drive}")
        if self.dt > self.cue_time:
            raise ValueError(f"{name}.dt must be <= cue_time={self.cue_time}, got {self.dt}")


@dataclass(frozen=True)
class SpikingRecall:
    """Outcome of :func:`spiking_recall` for a batch of ``B`` cues of ``N`` neurons.

    Attributes
    ----------
    states : int8 array (B, N), ``±1`` read out from ``rates``.
    rates : array (B, N), Hz, in the readout window.
    cue_rates : array (B, N), Hz, while the cue was on.
    spike_times, spike_units : arrays, the raster of the first cue (s, neuron index).
    n_spikes : int, all spikes of all cues (for energy accounting).
    counters : dict, the engine's op counters of the run (:mod:`neurosim.counters`:
        spikes, synaptic events, neuron updates, ..., summed over the cues).
    """

    states: np.ndarray
    rates: np.ndarray
    cue_rates: np.ndarray
    spike_times: np.ndarray = field(repr=False)
    spike_units: np.ndarray = field(repr=False)
    n_spikes: int = 0
    counters: dict = field(default_factory=dict, repr=False)


def _as_numpy(x: Any) -> np.ndarray:
    """A numpy float64 copy of an array or (CPU/GPU) tensor."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def memory_network(weights: Any, cues: Any, params: SpikingMemoryParams, lif: LIFParams,
                   device: str = "auto", dtype: str = "float64") -> tuple[Network, SpikeMonitor]:
    r"""The engine network of :func:`spiking_recall` (not yet run) and its spike monitor.

    One :class:`~neurosim.NeuronGroup` of ``N`` LIF neurons with ``B`` copies (one per cue,
    the network's batch), their synaptic currents decaying with ``syn_tau``; the recurrent
    weights ``(2 c / R_m) W'`` split by sign into a projection onto ``i_e`` (``W' > 0``) and
    one onto ``i_i`` (``W' < 0``: negative amperes, the engine's sign convention), both with
    Tsodyks–Markram depression ``U = 1``, ``tau_rec = syn_tau``: a spike of ``j`` adds
    ``w x_j`` (``x_j = 1 - u_j``) and empties ``x_j``, so the synaptic current onto ``i`` is
    exactly ``(2 c / R_m) Σ_j W'_ij u_j`` with the saturating gate ``u_j`` of the module
    docstring. The bias and the cue are one :class:`~neurosim.CurrentInjection` (a row per
    copy, held for ``cue_time``, then the bias alone).

    Parameters
    ----------
    weights : array or Tensor, shape (N, N)
        Row-centred recurrent weights ``W'`` (``W'[i, j]``: from ``j`` onto ``i``).
    cues : array or Tensor, shape (B, N), ``±1``.
    params : SpikingMemoryParams
    lif : LIFParams
        Neuron model; its ``tau_e`` / ``tau_i`` are replaced by ``params.syn_tau``.
    device : str
        Device for the engine's backend choice (``"auto"``: torch on CUDA when available,
        else the compiled CPU backend).
    dtype : {"float32", "float64"}
        Used on the torch backend; the CPU backends run float64.

    Returns
    -------
    (Network, SpikeMonitor)
    """
    from neurosim.backends import resolve_backend_name

    w, s = _as_numpy(weights), _as_numpy(cues)
    b, n = s.shape
    dt = params.dt
    n_cue = max(1, int(round(params.cue_time / dt)))
    n_all = n_cue + max(1, int(round(params.free_time / dt)))
    neuron = replace(lif, tau_e=params.syn_tau, tau_i=params.syn_tau)
    group = NeuronGroup(n, neuron, name="memory")
    w_pre_post = (w * (2.0 * params.coupling / lif.r_m)).T     # (pre j, post i)
    gate = TsodyksMarkramParams(U=1.0, tau_rec=params.syn_tau)
    exc = Synapses.from_matrix(group, group, np.maximum(w_pre_post, 0.0), target="e",
                               stp=gate, name="recurrent_e")
    inh = Synapses.from_matrix(group, group, np.minimum(w_pre_post, 0.0), target="i",
                               stp=gate, name="recurrent_i")
    i_bias = (lif.v_thresh - lif.v_rest + params.bias) / lif.r_m
    rows = np.full((-(-n_all // n_cue), b, n), i_bias)
    rows[0] += s * (params.cue_drive / lif.r_m)
    drive = CurrentInjection(group, rows, steps_per_value=n_cue, name="bias_and_cue")
    mon = SpikeMonitor(group, name="spikes")
    backend = resolve_backend_name("auto", device)
    net = Network(group, exc, inh, drive, mon, dt=dt, batch_size=b, backend=backend,
                  device=device, dtype=dtype if backend == "torch" else "float64", seed=0)
    return net, mon


def spiking_recall(weights: Any, cues: Any, params: SpikingMemoryParams, lif: LIFParams,
                   device: str = "auto", dtype: str = "float64") -> SpikingRecall:
    r"""Simulate the recurrent LIF memory from ``±1`` cues (pure function of its inputs).

    .. math::
        \tau_m \dot v_i = -(v_i - v_\text{rest}) + R_m\Big(I_b + I^\text{cue}_i(t)
        + \frac{2\,c}{R_m}\sum_j W'_{ij} u_j\Big),
        \qquad \dot u_j = -u_j/\tau_s,\quad u_j \leftarrow 1 \text{ at a spike of } j

    with ``R_m I_b = v_thresh − v_rest + bias``, ``R_m I^cue_i = ±cue_drive`` for
    ``t < cue_time`` and 0 after, ``c = coupling``, ``τ_s = syn_tau``. Runs on the engine
    (:func:`memory_network`: a :class:`~neurosim.Network` with the cues as ``B`` copies in
    its batch; the gate is Tsodyks–Markram depression with ``U = 1``); the synaptic current
    ``Σ_j W'_ij u_j`` is a state variable of the neuron integrated exactly within each step.

    Parameters
    ----------
    weights : array or Tensor, shape (N, N)
        Row-centred recurrent weights ``W'``.
    cues : array or Tensor, shape (B, N), ``±1``.
    params : SpikingMemoryParams
    lif : LIFParams
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``: where the engine runs.
    dtype : {"float32", "float64"}
        Precision on the torch (GPU) backend; CPU runs are float64.

    Returns
    -------
    SpikingRecall
        Spike times of the raster are the engine's (a spike in step ``k`` at ``k dt``).
    """
    net, mon = memory_network(weights, cues, params, lif, device, dtype)
    b, n = np.shape(cues)
    dt = params.dt
    n_cue = max(1, int(round(params.cue_time / dt)))
    n_free = max(1, int(round(params.free_time / dt)))
    n_read = max(1, int(round(params.readout_time / dt)))
    net.run((n_cue + n_free) * dt, progress=False)
    steps, copy, unit = mon.steps, mon.batch, mon.i

    def counts(sel: np.ndarray) -> np.ndarray:
        return np.bincount(copy[sel] * n + unit[sel], minlength=b * n).reshape(b, n)

    rates = counts(steps >= n_cue + n_free - n_read) / (n_read * dt)
    first = copy == 0
    return SpikingRecall(
        states=np.where(rates >= params.min_rate, 1, -1).astype(np.int8),
        rates=rates,
        cue_rates=counts(steps < n_cue) / (n_cue * dt),
        spike_times=steps[first] * dt,
        spike_units=unit[first],
        n_spikes=int(net.counters["spikes"]),
        counters=net.counters,
    )


class SpikingHopfield(BaseEstimator):
    """Spiking associative memory built from stored patterns (scikit-learn style).

    Parameters
    ----------
    rule : {"hebbian", "storkey", "pseudo_inverse"}
        Rule that builds ``W`` from the patterns (then row-centred).
    params : SpikingMemoryParams
    lif : LIFParams
        Neuron model (engine defaults: 20 ms membrane); its synaptic time constants
        ``tau_e`` / ``tau_i`` are replaced by ``params.syn_tau`` (the gates' decay).
    binarize : bool
        Map ``x > 0 -> +1``, ``x <= 0 -> -1`` instead of rejecting non-``±1`` input.
    device : str
        Where the engine runs: ``"auto"`` (torch backend on CUDA when available, else the
        compiled CPU backend), ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
    dtype : {"float32", "float64"}
        Precision on the torch (GPU) backend; CPU runs are float64.

    Attributes
    ----------
    weights_ : ndarray (N, N), the row-centred recurrent weights (dimensionless).
    patterns_ : ndarray (P, N)
    n_features_in_, n_patterns_ : int
    """

    def __init__(self, rule: str = "hebbian", params: SpikingMemoryParams | None = None,
                 lif: LIFParams | None = None, binarize: bool = False, device: str = "auto",
                 dtype: str = "float32"):
        self.rule = rule
        self.params = params
        self.lif = lif
        self.binarize = binarize
        self.device = device
        self.dtype = dtype

    def fit(self, X: Any, y: Any = None) -> SpikingHopfield:
        """Store ``±1`` patterns ``X`` ``(P, N)``."""
        name = type(self).__name__
        _check_choice(name, "rule", self.rule, RULES)
        _check_choice(name, "dtype", self.dtype, DTYPES)
        for attr, cls in (("params", SpikingMemoryParams), ("lif", LIFParams)):
            v = getattr(self, attr)
            if v is not None and not isinstance(v, cls):
                raise TypeError(f"{name}.{attr} must be a {cls.__name__} or None, "
                                f"got {type(v).__name__}")
        self.params_ = self.params or SpikingMemoryParams()
        self.lif_ = self.lif or LIFParams()
        self.lif_.check_dt(self.params_.dt)
        resolve_device(self.device)  # spelling and availability, checked at fit
        X = check_array(X, "patterns", binarize=self.binarize)
        w = learn_weights(torch.as_tensor(X, dtype=torch.float64), self.rule)
        w = w - w.mean(dim=1, keepdim=True)
        self.weights_ = w.numpy()
        self.patterns_ = X.astype(np.int8)
        self.n_patterns_, self.n_features_in_ = X.shape
        return self

    def simulate(self, X: Any) -> SpikingRecall:
        """Run the cue/free-run protocol on cues ``X`` ``(B, N)``; full :class:`SpikingRecall`."""
        if not hasattr(self, "weights_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit(X) first")
        S = check_array(X, "cues", self.n_features_in_, binarize=self.binarize)
        return spiking_recall(self.weights_, S, self.params_, self.lif_, self.device,
                              self.dtype)

    def recall(self, X: Any) -> np.ndarray:
        """Completed ``±1`` states, ``(B, N)`` (``(N,)`` for a 1-D cue)."""
        out = self.simulate(X).states
        return out[0] if np.ndim(X) == 1 else out

    predict = recall
