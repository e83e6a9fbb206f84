r"""NIR export and import for surrogate-gradient SNNs (:class:`backprop.snn.SpikingMLP`).

A :class:`~backprop.snn.SpikingMLP` layer is ``I_t = W x_t + b`` followed by snnTorch's
``Leaky`` neuron, :math:`U_t = \beta U_{t-1} + I_t`, :math:`S_t = H(U_t - \vartheta)`.
NIR (Pedersen et al. 2024, Nat. Commun. 15:8122) is continuous-time,
:math:`\tau \dot v = (v_\text{leak} - v) + r I`, so a step ``dt`` (s) is required in both
directions and never guessed. The mapping is snnTorch's (forward Euler, a spike is a value 1
for one step): ``tau = dt / (1 - beta)``, ``r = tau / dt`` (unit input gain),
``v_leak = 0``, ``v_threshold = threshold``, ``v_reset = 0``; reading back,
``beta = 1 - dt / tau`` and the input gain ``r dt / tau`` is folded into ``W`` and ``b``.
``beta = 1`` is written as NIR ``IF``.

What NIR carries / what it loses (backprop SNN <-> NIR)
------------------------------------------------------
==========================================  =================================================
carried                                     lost (error)
==========================================  =================================================
weights, biases (``Affine``; ``Linear``      ``reset="subtract"`` and ``"none"`` (NIR resets
  when the bias is zero)                       to ``v_reset``: only ``reset="zero"`` exports)
``beta`` (as ``tau`` at the stated ``dt``)   per-neuron ``beta``/``threshold`` on import (one
``threshold``                                  value per layer here)
layer order (Input -> ... -> Output chain)   surrogate gradient (training-only; re-chosen
``beta = 1`` as ``IF``                         on import, default ``"atan"``)
``dt`` in the graph metadata                 fused/sparse execution flags, dtype, device
==========================================  =================================================

snnTorch 1.0.0: ``snntorch.import_nir.import_from_nir`` (needs ``nirtorch``) reads these
graphs when ``dt = 1e-4`` s, the step it assumes; ``snntorch.export_nir.export_to_nir``
fails NIR type inference on a plain ``Linear`` + ``Leaky`` ``nn.Sequential`` (its ``LIF``
node gets shape ``()``), so :func:`snntorch_to_nir` builds the graph from the snnTorch
modules' parameters instead (same formulas as snnTorch's exporter, explicit ``dt``, shapes
``(n,)``). snnTorch's importer maps ``IF`` to ``Leaky(beta=0.9)``, not ``beta = 1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from backprop.snn import LeakyParams, SpikingMLP
from backprop.utils import check_real

__all__ = ["to_nir", "from_nir", "snntorch_to_nir"]


def _nir() -> Any:
    try:
        import nir
    except ImportError as exc:  # pragma: no cover
        raise ImportError("backprop.nir needs the 'nir' package: pip install nir") from exc
    return nir


def _check_dt(func: str, dt: Any) -> float:
    if dt is None:
        raise ValueError(f"{func}: dt is required (the step in s that the per-step model "
                         "stands for; snnTorch's NIR importer assumes dt=1e-4)")
    return check_real(f"{func}: dt", dt, low=0, low_open=True)  # seconds


def _layer_nodes(nir: Any, name: str, weight: np.ndarray, bias: np.ndarray | None,
                 beta: float, threshold: float, reset: str, dt: float) -> dict[str, Any]:
    if reset != "zero":
        raise ValueError(f"to_nir: layer {name!r} has reset={reset!r}; NIR neurons reset to "
                         "v_reset, so only reset='zero' can be exported")
    n = weight.shape[0]
    syn = (nir.Linear(weight=weight) if bias is None or not np.any(bias)
           else nir.Affine(weight=weight, bias=bias))
    thr = np.full(n, float(threshold))
    if beta >= 1.0:
        neuron = nir.IF(r=np.ones(n), v_threshold=thr, v_reset=np.zeros(n))
    else:
        tau = dt / (1.0 - beta)
        neuron = nir.LIF(tau=np.full(n, tau), r=np.full(n, tau / dt), v_leak=np.zeros(n),
                         v_threshold=thr, v_reset=np.zeros(n))
    return {f"fc{name}": syn, f"lif{name}": neuron}


def _chain(nir: Any, layers: list[dict[str, Any]], n_in: int, dt: float,
           producer: str) -> Any:
    nodes: dict[str, Any] = {"input": nir.Input(input_type=np.array([n_in]))}
    for layer in layers:
        nodes.update(layer)
    n_out = list(nodes.values())[-1].output_type["output"]
    nodes["output"] = nir.Output(output_type=np.array(n_out))
    names = list(nodes)
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names[:-1], names[1:])),
                        metadata={"dt": dt, "producer": producer})


def to_nir(model: SpikingMLP, *, dt: float | None = None) -> Any:
    """Export a :class:`~backprop.snn.SpikingMLP` to a chain ``Input -> (Affine -> LIF)* ->
    Output`` read at step ``dt`` (s, required).

    Returns
    -------
    nir.NIRGraph
        Nodes ``"input"``, ``"fc<k>"`` (weights ``(out, in)``), ``"lif<k>"`` (``(out,)``),
        ``"output"``; metadata ``{"dt": dt}``.
    """
    nir = _nir()
    dt = _check_dt("to_nir", dt)
    if not isinstance(model, SpikingMLP):
        raise TypeError(f"to_nir: model must be a SpikingMLP, got {type(model).__name__} "
                        "(for snnTorch modules use snntorch_to_nir)")
    layers = []
    for k, layer in enumerate(model.layers):
        p = layer.params
        w = layer.linear.weight.detach().cpu().double().numpy()
        b = layer.linear.bias
        b = None if b is None else b.detach().cpu().double().numpy()
        layers.append(_layer_nodes(nir, str(k), w, b, p.beta, p.threshold, p.reset, dt))
    return _chain(nir, layers, model.sizes[0], dt, "neurosim.backprop")


def snntorch_to_nir(module: nn.Module, *, dt: float | None = None) -> Any:
    """Export an ``nn.Sequential`` of ``nn.Linear`` and ``snntorch.Leaky`` (reset
    ``"zero"``) to NIR at step ``dt`` (s, required).

    Workaround for ``snntorch.export_nir.export_to_nir`` (snnTorch 1.0.0), which fails NIR
    type inference on such a model: the graph is built from the modules' parameters with
    snnTorch's formulas (``tau = dt / (1 - beta)``, ``r = tau / dt``) at the given ``dt``
    and ``(n,)``-shaped neuron parameters. A ``Leaky`` with one ``beta`` per neuron must
    keep them equal.
    """
    import snntorch as snn

    nir = _nir()
    dt = _check_dt("snntorch_to_nir", dt)
    if not isinstance(module, nn.Sequential):
        raise TypeError(f"snntorch_to_nir: module must be an nn.Sequential, got "
                        f"{type(module).__name__}")
    mods = list(module)
    if len(mods) % 2 or not mods:
        raise ValueError(f"snntorch_to_nir: expected pairs (nn.Linear, snntorch.Leaky), got "
                         f"{[type(m).__name__ for m in mods]}")
    layers, n_in = [], None
    for k in range(0, len(mods), 2):
        fc, lif = mods[k], mods[k + 1]
        if not isinstance(fc, nn.Linear) or type(lif) is not snn.Leaky:
            raise ValueError(f"snntorch_to_nir: expected (nn.Linear, snntorch.Leaky) at "
                             f"positions {k}, {k + 1}, got ({type(fc).__name__}, "
                             f"{type(lif).__name__})")
        n_in = fc.in_features if n_in is None else n_in
        reset = {0: "subtract", 1: "zero", 2: "none"}[int(lif.reset_mechanism_val)]
        beta = lif.beta.detach().double().flatten().unique()
        thr = lif.threshold.detach().double().flatten().unique()
        if beta.numel() != 1 or thr.numel() != 1:
            raise ValueError(f"snntorch_to_nir: layer {k // 2} has per-neuron beta or "
                             "threshold; export needs one value per layer")
        w = fc.weight.detach().cpu().double().numpy()
        b = None if fc.bias is None else fc.bias.detach().cpu().double().numpy()
        layers.append(_layer_nodes(nir, str(k // 2), w, b, float(beta.clamp(0, 1)),
                                   float(thr), reset, dt))
    return _chain(nir, layers, n_in, dt, "snntorch")


def _one(node_name: str, field: str, x: Any) -> float:
    arr = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if not np.allclose(arr, arr.flat[0], rtol=1e-9, atol=0):
        raise NotImplementedError(f"from_nir: node {node_name!r} has per-neuron {field}; a "
                                  "SpikingMLP layer shares one value")
    return float(arr.flat[0])


def from_nir(graph: Any, *, dt: float | None = None, surrogate: str = "atan",
             device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
             ) -> SpikingMLP:
    """Build a :class:`~backprop.snn.SpikingMLP` from a NIR chain ``Input -> (Affine |
    Linear -> LIF | IF)* -> Output`` read at step ``dt`` (s, required).

    ``beta = 1 - dt / tau`` (``IF``: 1); the input gain ``r dt / tau`` (``IF``: ``r``)
    multiplies the weights and biases; ``v_leak`` and ``v_reset`` must be 0 (reset
    ``"zero"``). Returns the model in ``dtype`` on ``device``.
    """
    nir = _nir()
    dt = _check_dt("from_nir", dt)
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"from_nir: graph must be a nir.NIRGraph, got {type(graph).__name__}")
    out: dict[str, list[str]] = {}
    for a, b in graph.edges:
        out.setdefault(a, []).append(b)
    inputs = [k for k, v in graph.nodes.items() if isinstance(v, nir.Input)]
    if len(inputs) != 1:
        raise NotImplementedError(f"from_nir: a SpikingMLP has one input, the graph has "
                                  f"{len(inputs)}")
    order, cur = [], inputs[0]
    while not isinstance(graph.nodes[cur], nir.Output):
        nxt = out.get(cur, [])
        if len(nxt) != 1:
            raise NotImplementedError(f"from_nir: node {cur!r} has {len(nxt)} successors; a "
                                      "SpikingMLP is a chain (no branches or recurrence)")
        cur = nxt[0]
        order.append(cur)
    order = order[:-1]
    kinds = [type(graph.nodes[k]).__name__ for k in order]
    if len(order) % 2 or any(kinds[i] not in ("Affine", "Linear") or kinds[i + 1] not in (
            "LIF", "IF") for i in range(0, len(order), 2)) or not order:
        raise NotImplementedError(f"from_nir: expected (Affine|Linear, LIF|IF) pairs, got "
                                  f"{kinds}; CubaLIF, Delay and other nodes have no "
                                  "SpikingMLP counterpart")
    params, weights = [], []
    for i in range(0, len(order), 2):
        fc, lif = graph.nodes[order[i]], graph.nodes[order[i + 1]]
        name = order[i + 1]
        if _one(name, "v_reset", lif.v_reset) != 0.0:
            raise NotImplementedError(f"from_nir: node {name!r} has v_reset != 0; a "
                                      "SpikingMLP resets to zero")
        if isinstance(lif, nir.LIF):
            if _one(name, "v_leak", lif.v_leak) != 0.0:
                raise NotImplementedError(f"from_nir: node {name!r} has v_leak != 0")
            tau = _one(name, "tau", lif.tau)
            beta = 1.0 - dt / tau
            if not 0 < beta <= 1:
                raise ValueError(f"from_nir: node {name!r} has tau={tau} s <= dt={dt} s "
                                 f"(beta = 1 - dt/tau = {beta})")
            gain = _one(name, "r", lif.r) * dt / tau
        else:
            beta, gain = 1.0, _one(name, "r", lif.r)
        thr = _one(name, "v_threshold", lif.v_threshold)
        params.append(LeakyParams(beta=beta, threshold=thr, reset="zero", surrogate=surrogate))
        w = np.asarray(fc.weight, dtype=np.float64) * gain
        b = np.asarray(getattr(fc, "bias", np.zeros(w.shape[0])), dtype=np.float64) * gain
        weights.append((w, np.broadcast_to(b, (w.shape[0],))))
    sizes = [weights[0][0].shape[1]] + [w.shape[0] for w, _ in weights]
    for k, (w, _) in enumerate(weights):
        if w.shape != (sizes[k + 1], sizes[k]):
            raise ValueError(f"from_nir: weight {order[2 * k]!r} has shape {w.shape}, "
                             f"expected ({sizes[k + 1]}, {sizes[k]})")
    model = SpikingMLP(sizes, params, device=device, dtype=dtype)
    with torch.no_grad():
        for layer, (w, b) in zip(model.layers, weights):
            layer.linear.weight.copy_(torch.from_numpy(w))
            layer.linear.bias.copy_(torch.from_numpy(np.array(b)))
    return model
