"""NeuroBench's counts, measured from a run: effective MACs, effective ACs, dense synaptic
operations, activation sparsity, connection sparsity and footprint.

The definitions are those of NeuroBench (Yik et al., "The neurobench framework for
benchmarking neuromorphic computing algorithms and systems", Nature Communications 16,
2025; arXiv:2304.04640, 2024) as implemented by the ``neurobench`` package, version
:data:`NEUROBENCH_VERSION` (``neurobench/metrics/workload/synaptic_operations.py``,
``activation_sparsity.py``, ``static/connection_sparsity.py``, ``static/footprint.py`` and
``utils/layers/macs.py``):

* **Synaptic operations** of a connection layer ``y = W x (+ b)``: one operation per pair of a
  non-zero input ``x_k`` and a non-zero weight ``W_jk`` (``sum_j sum_k [x_k != 0][W_jk != 0]``),
  bias additions not included. They are **effective ACs** when the layer's input is binary
  (every value in ``{0, 1, -1}``: a spike selects a weight, an accumulate) and **effective
  MACs** otherwise; the two are kept apart. **Dense** operations count every pair, zeros
  included (``fan_in x fan_out`` per input row). All three are per sample (summed over time
  steps and layers, divided by the number of samples).
* **Activation sparsity**: the fraction of zero values among all outputs of the activation
  layers (``nn.ReLU``, ``nn.Sigmoid``, snnTorch neurons: their spikes), over layers, time
  steps and samples.
* **Connection sparsity**: the fraction of zero weights in the connection layers (``Linear``,
  ``Conv*``: weights; ``RNNCell``-family: weights and biases).
* **Footprint**: bytes of the parameters and buffers.

Three ways to measure them, for the three kinds of model in this project:

* :func:`torch_model_counts` — NeuroBench's own method: forward hooks on the connection and
  activation modules of an ``nn.Module`` (cross-checked against the ``neurobench`` package
  in ``tests/comparisons/test_neurobench_counts.py``);
* :func:`count_ops` — the same counts at the level of the tensor operations a function runs
  (a ``TorchDispatchMode``, like ``FlopCounterMode``): every matrix product and convolution
  is a connection layer, every ``tanh``/``sigmoid``/``relu``/... output an activation. This
  covers functional models (the explicit-cell RNNs, the echo state network) that have no
  ``nn.Linear`` to hook;
* :func:`engine_counts` — a ``neurosim.Network`` after a run, from its counters: the synaptic
  events are the effective ACs (a spike x its fan-out), every synapse of every projection at
  every step the dense operations, the spikes per neuron update the activation density.

Differences from the package, all deliberate and stated where they matter:

* ``neurobench`` 2.3.0 cannot count ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (it raises a string,
  a ``TypeError``, which its ``Benchmark`` prints and swallows, then it has removed the
  layer's hook, so later batches silently omit the layer); :func:`torch_model_counts`
  raises ``NotImplementedError`` instead. Use the explicit-cell twin with
  :func:`count_ops`.
* Its ``LSTMCell`` dense count binarises the hidden and cell states instead of setting them
  to one (``cylce_tuple_ones`` recurses into ``cylce_tuple``), so zero states are skipped
  even in the dense count; here the dense count of an ``LSTMCell`` counts every pair.
  Effective counts agree. ``GRUCell`` is not supported here.
* :func:`count_ops` counts the products inside a layer's matmul only: the gate products of
  an LSTM (``f*c``, ``i*g``, ``o*tanh(c)``), which the package adds for ``LSTMCell``, are
  elementwise and not counted there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["NEUROBENCH_VERSION", "NeuroBenchCounts", "count_ops", "dense_layer_counts",
           "engine_counts", "is_binary", "layer_synaptic_ops", "torch_connection_sparsity",
           "torch_footprint", "torch_model_counts"]

#: the version of the ``neurobench`` package whose definitions this module follows
NEUROBENCH_VERSION = "2.3.0"

#: NeuroBench's connection layers (``neurobench.blocks.layer.SUPPORTED_LAYERS``)
STATELESS_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
RECURRENT_CELLS = (nn.RNNCellBase,)
RECURRENT_LAYERS = (nn.RNNBase,)
#: NeuroBench's activation modules (``neurobench.blocks.activation``); snnTorch's
#: ``SpikingNeuron`` is added when snnTorch is installed
ACTIVATION_MODULES: tuple[type, ...] = (nn.ReLU, nn.Sigmoid)


@dataclass
class NeuroBenchCounts:
    """Totals of one measurement; :meth:`per_sample` gives NeuroBench's figures.

    Attributes
    ----------
    effective_macs, effective_acs : float
        Synaptic operations with a non-zero input and a non-zero weight, on real-valued
        inputs (MACs) and on binary inputs (ACs), summed over everything measured.
    dense_ops : float
        Every input-weight pair, zeros included.
    activations, nonzero_activations : float
        Activation values produced, and how many were non-zero.
    samples : int
        Samples the totals cover (the batch size of the run).
    """

    effective_macs: float = 0.0
    effective_acs: float = 0.0
    dense_ops: float = 0.0
    activations: float = 0.0
    nonzero_activations: float = 0.0
    samples: int = 1

    @property
    def activation_sparsity(self) -> float | None:
        """Zero activations over all activations (``None`` when none was seen)."""
        if self.activations <= 0:
            return None
        return 1.0 - self.nonzero_activations / self.activations

    def __add__(self, other: NeuroBenchCounts) -> NeuroBenchCounts:
        if self.samples != other.samples:
            raise ValueError(f"NeuroBenchCounts: cannot add counts over {self.samples} and "
                             f"{other.samples} samples")
        return NeuroBenchCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                                   for f in fields(self) if f.name != "samples"},
                                samples=self.samples)

    def per_sample(self) -> dict[str, float]:
        """Op-count keys per sample, as the learners report them (see
        :mod:`comparisons.learners.base`): ``effective_macs``, ``effective_acs``,
        ``dense_ops``, ``activations``, ``nonzero_activations``."""
        s = float(self.samples)
        return {"effective_macs": self.effective_macs / s,
                "effective_acs": self.effective_acs / s,
                "dense_ops": self.dense_ops / s,
                "activations": self.activations / s,
                "nonzero_activations": self.nonzero_activations / s}


# --------------------------------------------------------------------------- layer rules
def is_binary(x: torch.Tensor | np.ndarray) -> bool:
    """NeuroBench's spike test: every value of ``x`` is 0, 1 or -1 (an empty or all-zero
    tensor counts as binary)."""
    if isinstance(x, np.ndarray):
        return bool(np.all((x == 0) | (x == 1) | (x == -1)))
    return not bool(((x != 0) & (x != 1) & (x != -1)).any())


def _nz(t: torch.Tensor) -> torch.Tensor:
    return (t != 0).to(torch.float64)


def dense_layer_counts(x: np.ndarray | torch.Tensor, w: np.ndarray | torch.Tensor
                       ) -> tuple[float, float, bool]:
    """Synaptic operations of ``x @ w`` for inputs ``x`` (..., fan_in) and weights ``w``
    (fan_in, fan_out), bias excluded.

    Returns
    -------
    effective : float
        ``sum over rows of x, over outputs j, over k of [x_k != 0][w_kj != 0]``.
    dense : float
        ``rows x fan_in x fan_out``.
    binary : bool
        Whether ``x`` is binary (:func:`is_binary`): the effective ops are then ACs.
    """
    if isinstance(x, np.ndarray) or isinstance(w, np.ndarray):
        xa, wa = np.asarray(x), np.asarray(w)
        xr = (xa.reshape(-1, xa.shape[-1]) != 0)
        # (rows with x_k != 0) . (non-zero weights leaving k): sum over k of count_k * fanout_k
        eff = float(xr.sum(axis=0) @ (wa != 0).sum(axis=1))
        return eff, float(xr.shape[0] * wa.shape[0] * wa.shape[1]), is_binary(xa)
    xr = x.reshape(-1, x.shape[-1])
    eff = float(_nz(xr).sum(0) @ _nz(w).sum(1))
    return eff, float(xr.shape[0] * w.shape[0] * w.shape[1]), is_binary(x)


def _rnn_cell_ops(layer: nn.RNNCellBase, x: torch.Tensor, h: torch.Tensor | None,
                  ones: bool) -> float:
    w_ih = torch.ones_like(layer.weight_ih) if ones else _nz(layer.weight_ih)
    w_hh = torch.ones_like(layer.weight_hh) if ones else _nz(layer.weight_hh)
    bx = torch.ones_like(x, dtype=torch.float64) if ones else _nz(x)
    out = bx.reshape(-1, x.shape[-1]) @ w_ih.to(torch.float64).T
    if h is not None:
        bh = torch.ones_like(h, dtype=torch.float64) if ones else _nz(h)
        out = out + bh.reshape(-1, h.shape[-1]) @ w_hh.to(torch.float64).T
    return float(out.sum())


def _lstm_cell_ops(layer: nn.LSTMCell, x: torch.Tensor,
                   hc: tuple[torch.Tensor, torch.Tensor] | None, ones: bool) -> float:
    """NeuroBench's ``lstm_cell_macs``: the gate matmuls, then the products ``f*c + i*g``
    and ``o*tanh(c)`` where both factors are non-zero (a gate is non-zero when its binary
    pre-activation, biases included, is)."""
    f64 = torch.float64

    def b(t: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(t, dtype=f64) if ones else _nz(t)

    bx = b(x).reshape(-1, x.shape[-1])
    out = bx @ b(layer.weight_ih).T
    if hc is not None:
        out = out + b(hc[0]).reshape(-1, hc[0].shape[-1]) @ b(layer.weight_hh).T
    macs = float(out.sum())
    if layer.bias:
        out = out + b(layer.bias_ih) + b(layer.bias_hh)
    gate = (out != 0).to(f64)
    i, f, g, o = gate.chunk(4, dim=-1)
    c1 = i * g
    if hc is not None:
        c1 = c1 + f * b(hc[1]).reshape(c1.shape)
    macs += float(c1.sum())
    return macs + float((o * (c1 != 0).to(f64)).sum())


def layer_synaptic_ops(layer: nn.Module, inputs: tuple[Any, ...]
                       ) -> tuple[float, float, bool]:
    """Synaptic operations of one call of a NeuroBench connection layer.

    Parameters
    ----------
    layer : nn.Module
        ``nn.Linear``, ``nn.Conv1d/2d/3d``, ``nn.RNNCell`` or ``nn.LSTMCell``.
    inputs : tuple
        The positional arguments of the call (as a forward pre-hook receives them).

    Returns
    -------
    effective, dense : float
        Operations with non-zero input and weight, and all operations (bias excluded).
    binary : bool
        Whether the layer's first input is binary: the effective operations are ACs.

    Raises
    ------
    NotImplementedError
        For ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (NeuroBench 2.3.0 cannot count them either),
        ``nn.GRUCell`` and other layers.
    """
    x = inputs[0]
    binary = is_binary(x)
    with torch.no_grad():
        if isinstance(layer, nn.Linear):
            eff, dense, _ = dense_layer_counts(x, layer.weight.T)
            return eff, dense, binary
        if isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            f64 = torch.float64
            w_nz = _nz(layer.weight).to(x.dtype)
            eff = float(layer._conv_forward(_nz(x).to(x.dtype), w_nz, None).to(f64).sum())
            dense = float(layer._conv_forward(torch.ones_like(x), torch.ones_like(layer.weight),
                                              None).to(f64).sum())
            return eff, dense, binary
        if isinstance(layer, nn.LSTMCell):
            hc = inputs[1] if len(inputs) > 1 and inputs[1] is not None else None
            return (_lstm_cell_ops(layer, x, hc, ones=False),
                    _lstm_cell_ops(layer, x, hc, ones=True), binary)
        if isinstance(layer, nn.RNNCell):
            h = inputs[1] if len(inputs) > 1 else None
            return (_rnn_cell_ops(layer, x, h, ones=False), _rnn_cell_ops(layer, x, h, True),
                    binary)
    if isinstance(layer, RECURRENT_LAYERS):
        raise NotImplementedError(
            f"{type(layer).__name__}: a fused recurrent layer's products are not visible to "
            "hooks (NeuroBench 2.3.0 cannot count it either); count its explicit-cell twin "
            "with count_ops")
    raise NotImplementedError(f"no NeuroBench synaptic-operation rule for "
                              f"{type(layer).__name__} (supported: Linear, Conv1d/2d/3d, "
                              "RNNCell, LSTMCell)")


# ------------------------------------------------------------------- hooks (NeuroBench's way)
def _activation_types(extra: Iterable[type]) -> tuple[type, ...]:
    types = list(ACTIVATION_MODULES) + list(extra)
    try:
        import snntorch

        types.append(snntorch.SpikingNeuron)
    except ImportError:  # pragma: no cover - snntorch is a test dependency
        pass
    return tuple(types)


def _leaf_modules(net: nn.Module, types: tuple[type, ...]) -> list[nn.Module]:
    """Modules of ``types`` found as NeuroBench finds them: children first, recursing into a
    child only when it is not itself a match."""
    out: list[nn.Module] = []
    for child in net.children():
        if isinstance(child, types):
            out.append(child)
        elif list(child.children()):
            out.extend(_leaf_modules(child, types))
    return out


def torch_model_counts(net: nn.Module, run: Callable[[], Any], samples: int,
                       activation_types: Iterable[type] = ()) -> NeuroBenchCounts:
    """NeuroBench's workload counts of ``net`` over one call of ``run()``.

    Forward pre-hooks on the connection layers (``Linear``, ``Conv*``, ``RNNCell``,
    ``LSTMCell``) count synaptic operations with :func:`layer_synaptic_ops` at every call;
    forward hooks on the activation modules (``nn.ReLU``, ``nn.Sigmoid``, snnTorch neurons,
    plus ``activation_types``) count their outputs (a spiking neuron's first output, the
    spikes). Hooks are removed afterwards, also on error.

    Parameters
    ----------
    net : nn.Module
    run : callable
        Runs the model on the data (e.g. ``lambda: net(x)``, or a loop over time steps).
    samples : int
        Number of samples ``run`` processes (NeuroBench divides by ``data[0].size(0)``).
    activation_types : iterable of type
        More module types whose outputs count as activations.
    """
    counts = NeuroBenchCounts(samples=int(samples))
    handles = []

    def pre(layer: nn.Module, inputs: tuple[Any, ...]) -> None:
        eff, dense, binary = layer_synaptic_ops(layer, inputs)
        if binary:
            counts.effective_acs += eff
        else:
            counts.effective_macs += eff
        counts.dense_ops += dense

    def post(layer: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        if isinstance(output, tuple):
            output = output[0]
        counts.activations += output.numel()
        counts.nonzero_activations += int(torch.count_nonzero(output))

    try:
        for layer in _leaf_modules(net, (*STATELESS_LAYERS, *RECURRENT_CELLS,
                                         *RECURRENT_LAYERS)):
            handles.append(layer.register_forward_pre_hook(pre))
        for layer in _leaf_modules(net, _activation_types(activation_types)):
            handles.append(layer.register_forward_hook(post))
        with torch.no_grad():
            run()
    finally:
        for h in handles:
            h.remove()
    return counts


def torch_connection_sparsity(net: nn.Module) -> float | None:
    """NeuroBench's connection sparsity: zero entries over all entries of the connection
    layers' weights (``Linear``/``Conv*``: ``weight``; ``RNNCell``-family and ``nn.RNNBase``:
    every weight and, with ``bias``, every bias). ``None`` without such layers. (The package
    rounds to 4 decimals; this does not.)"""
    zeros, total = 0, 0
    for layer in _leaf_modules(net, (*STATELESS_LAYERS, *RECURRENT_CELLS, *RECURRENT_LAYERS)):
        if isinstance(layer, STATELESS_LAYERS):
            params = [layer.weight]
        else:
            params = [p for name, p in layer.named_parameters(recurse=False)
                      if name.startswith("weight") or (layer.bias and name.startswith("bias"))]
        for p in params:
            zeros += int((p == 0).sum())
            total += p.numel()
    return None if total == 0 else zeros / total


def torch_footprint(net: nn.Module) -> int:
    """NeuroBench's footprint: bytes of all parameters and buffers.

    Measure it before a run, as NeuroBench does: a stateful module (an snnTorch neuron with
    ``init_hidden``) keeps a batch of state in its buffers afterwards."""
    return int(sum(t.numel() * t.element_size()
                   for t in (*net.parameters(), *net.buffers())))


# ------------------------------------------------------------- tensor operations (any model)
_aten = torch.ops.aten
_MM = {_aten.mm.default, _aten.addmm.default, _aten.bmm.default, _aten.baddbmm.default}
_MV = {_aten.mv.default, _aten.addmv.default}
_ACTIVATIONS = {
    _aten.tanh.default, _aten.sigmoid.default, _aten.relu.default, _aten.relu_.default,
    _aten.tanh_.default, _aten.sigmoid_.default, _aten.hardtanh.default,
    _aten.leaky_relu.default, _aten.elu.default, _aten.gelu.default, _aten.silu.default,
    _aten.softplus.default, _aten.hardsigmoid.default, _aten._softmax.default,
}


def _storage(t: Any) -> int | None:
    if not isinstance(t, torch.Tensor):
        return None
    try:
        return t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):  # pragma: no cover - exotic tensors
        return None


class _OpCounter(TorchDispatchMode):
    def __init__(self, counts: NeuroBenchCounts, weights: set[int] | None) -> None:
        super().__init__()
        self.counts = counts
        self.weights = weights

    def _activation_operand(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """The operand that carries activity: the one that is not a weight (the first when
        both or neither are)."""
        if self.weights:
            if _storage(a) in self.weights and _storage(b) not in self.weights:
                return b
        return a

    def _add(self, eff: float, dense: float, act: torch.Tensor) -> None:
        if is_binary(act):
            self.counts.effective_acs += eff
        else:
            self.counts.effective_macs += eff
        self.counts.dense_ops += dense

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Any:
        out = func(*args, **(kwargs or {}))
        with torch.no_grad():
            if func in _MM:
                a, b = (args[0], args[1]) if func in (_aten.mm.default, _aten.bmm.default) \
                    else (args[1], args[2])
                eff = float((_nz(a) @ _nz(b)).sum())
                dense = float(math.prod(a.shape) * b.shape[-1])
                self._add(eff, dense, self._activation_operand(a, b))
            elif func in _MV:
                m, v = (args[0], args[1]) if func is _aten.mv.default else (args[1], args[2])
                act = v if self.weights is None or _storage(v) not in self.weights else m
                self._add(float((_nz(m) @ _nz(v)).sum()), float(m.numel()), act)
            elif func is _aten.convolution.default:
                x, w = args[0], args[1]
                eff = float(func(_nz(x).to(x.dtype), _nz(w).to(w.dtype), None, *args[3:])
                            .to(torch.float64).sum())
                dense = float(func(torch.ones_like(x), torch.ones_like(w), None, *args[3:])
                              .to(torch.float64).sum())
                self._add(eff, dense, x)
            elif func in _ACTIVATIONS:
                self.counts.activations += out.numel()
                self.counts.nonzero_activations += int(torch.count_nonzero(out))
        return out


def count_ops(fn: Callable[..., Any], *args: Any, samples: int = 1,
              weights: Iterable[torch.Tensor] | None = None, **kwargs: Any
              ) -> tuple[Any, NeuroBenchCounts]:
    """Run ``fn(*args, **kwargs)`` and count NeuroBench's synaptic operations and
    activations at the level of the tensor operations it runs.

    Every matrix product (``mm``, ``addmm``, ``bmm``, ``baddbmm``, ``mv``, ``addmv``: what
    ``nn.Linear``, ``F.linear`` and ``@`` become) and every convolution is a connection
    layer: its effective operations are the pairs of non-zero operands, its dense
    operations ``m k n``; they are ACs when the activation operand is binary (in
    ``{0, 1, -1}``), else MACs. Biases are not counted. Every output of ``tanh``,
    ``sigmoid``, ``relu`` (and the other common nonlinearities) is an activation.
    The dense count equals ``FlopCounterMode``'s FLOPs / 2 for the same products.

    Parameters
    ----------
    fn : callable
    *args, **kwargs
        Passed to ``fn``.
    samples : int
        Samples the call processes (the counts' ``per_sample`` divides by it).
    weights : iterable of tensors, optional
        The model's weights (e.g. ``model.parameters()``): in a product, the operand that is
        not one of them (by storage) is the activation whose values decide MAC or AC. Without
        it (or when both or neither operand is a weight) the first operand is (``x @ W.T``,
        ``F.linear(x, W)``); for a matrix-vector product, the vector.

    Returns
    -------
    result : any
        What ``fn`` returned.
    counts : NeuroBenchCounts
        Totals over the call.

    Notes
    -----
    Fused kernels (``nn.LSTM`` on CPU runs ``mkldnn_rnn_layer``; cuDNN on a GPU) hide their
    products and count nothing: run the explicit-cell implementation.
    """
    counts = NeuroBenchCounts(samples=int(samples))
    ws = None if weights is None else {_storage(w) for w in weights}
    with _OpCounter(counts, ws):
        out = fn(*args, **kwargs)
    return out, counts


# ------------------------------------------------------------------ neurosim engine networks
def engine_counts(net: Any, samples: int | None = None) -> dict[str, Any]:
    """NeuroBench's counts of a ``neurosim.Network`` after a run, from ``net.counters`` and
    its synapses.

    * ``effective_acs`` = synaptic events (a spike x the synapses it leaves, input groups'
      spikes included): binary inputs, so accumulates; ``effective_macs`` = 0 (currents
      injected from outside are not part of the network; count them with
      :func:`dense_layer_counts`);
    * ``dense_ops`` = ``sum over projections of n_pre x n_post`` x steps x copies: every
      possible connection at every step;
    * ``activations`` = neuron updates, ``nonzero_activations`` = spikes of the neuron
      groups: activation sparsity ``1 - spikes / neuron_updates``;
    * ``connection_sparsity`` = 1 - non-zero weights / ``sum n_pre x n_post``;
    * ``footprint_bytes`` = the synapses' bytes + the neurons' state bytes of one copy (both
      as the engine stores them: float64 values, int32/int64 indices).

    Parameters
    ----------
    net : neurosim.Network
        A network that has run.
    samples : int, optional
        Samples the run covered (default: ``net.batch_size``, one per copy).

    Returns
    -------
    dict
        The per-sample op keys of :meth:`NeuroBenchCounts.per_sample` plus
        ``activation_sparsity``, ``connection_sparsity`` and ``footprint_bytes``.
    """
    from neurosim import Synapses

    c = net.counters
    b = int(net.batch_size)
    samples = b if samples is None else int(samples)
    syns = [o for o in net.objects if isinstance(o, Synapses)]
    full = sum(s.n_pre * s.post.n for s in syns)
    nonzero_w = sum(int(np.count_nonzero(s.weights)) for s in syns)
    counts = NeuroBenchCounts(effective_acs=float(c["synaptic_events"]),
                              dense_ops=float(full) * c["steps"] * b,
                              activations=float(c["neuron_updates"]),
                              nonzero_activations=float(c["spikes"]), samples=samples)
    out: dict[str, Any] = counts.per_sample()
    out["activation_sparsity"] = counts.activation_sparsity
    out["connection_sparsity"] = None if full == 0 else 1.0 - nonzero_w / full
    out["footprint_bytes"] = int(c["synapse_bytes"] + c["state_bytes"] // b)
    return out
