r"""Export a :class:`~neurosim.network.Network` to NIR and import NIR graphs (``nir`` package).

NIR (Pedersen et al. 2024, "Neuromorphic intermediate representation: a unified instruction
set for interoperable brain-inspired computing", Nat. Commun. 15:8122) describes neurons as
continuous-time equations, e.g. ``LIF``: :math:`\tau \dot v = (v_\text{leak} - v) + r I`,
spike when :math:`v > v_\text{threshold}`, then :math:`v \leftarrow v_\text{reset}`. A graph
holds no step size, so **every conversion here takes an explicit** ``dt`` (s) and there is no
default: the same file read at another ``dt`` is a different discrete network.

The per-step reading used here (and by snnTorch's importer, which assumes ``dt = 1e-4`` s)
-----------------------------------------------------------------------------------------
A spike is a value 1 during one step; a node is advanced by forward Euler at ``dt``:

- ``LIF``: :math:`U_t = v_\text{leak} + \beta (U_{t-1} - v_\text{leak}) + g\,I_t` with
  :math:`\beta = 1 - dt/\tau`, :math:`g = r\,dt/\tau`, threshold checked on :math:`U_t`
  right after the input is added (snnTorch ``Leaky(reset_mechanism="zero",
  reset_delay=False)`` when ``v_leak = v_reset = 0``);
- ``CubaLIF``: :math:`J_t = \alpha J_{t-1} + g_s I_t`, :math:`U_t = v_\text{leak} +
  \beta (U_{t-1} - v_\text{leak}) + g_m J_t` with :math:`\alpha = 1 - dt/\tau_\text{syn}`,
  :math:`g_s = w_\text{in} dt/\tau_\text{syn}`, :math:`g_m = r\,dt/\tau_\text{mem}`
  (snnTorch ``Synaptic``);
- ``IF``: :math:`U_t = U_{t-1} + r\,I_t` (``beta = 1``, gain ``r`` per step, as snnTorch's
  ``Leaky(beta=1)`` and :mod:`backprop.nir`), starting at :math:`U = 0`;
- ``Affine``/``Linear``: :math:`I = W s + b` every step; ``Delay``: ``d / dt`` whole steps.

neurosim integrates exactly (``a_m = exp(-dt/tau_m)``) and delivers a spike of step ``k``
after the neuron update of step ``k`` (it acts from step ``k + 1``, see
:mod:`neurosim.network`). :func:`to_nir` writes parameters so that the per-step reading at
``dt`` gives *exactly* neurosim's spikes, one step later per projection: ``tau = dt / (1 -
a_m)`` (so ``beta = a_m``), ``r = tau / dt``; for ``LIF`` nodes (synapses onto ``"v"``) the
threshold and reset are measured before the decay that neurosim applies to a fresh input,
``v_threshold = v_rest + (v_thresh - v_rest) / a_m``; for ``CubaLIF`` nodes (current
synapses ``"e"``/``"i"``) the weights carry the exact current-to-voltage kernel ``k_e``.
``IFParams`` groups (synapses onto ``"v"``) become ``IF`` nodes with ``r = 1``, potentials
measured from ``v_rest`` (``v_threshold = v_thresh - v_rest``, ``v_reset = v_reset -
v_rest``) and weights in volts; imports get ``v_rest = 0`` and the default ``c_m``.
:func:`from_nir` inverts these maps, so export -> import -> run gives the same spikes.

What NIR carries / what it loses (neurosim <-> NIR)
---------------------------------------------------
=============================================  =============================================
carried                                        lost (error, or dropped where marked)
=============================================  =============================================
LIF (``LIFParams``, synapses onto ``"v"``)     refractory period (``t_ref > dt``: error)
  -> ``LIF``                                   adaptive threshold (``ALIFParams``: error)
LIF with current synapses ``"e"``/``"i"``      two synaptic time constants (``tau_e !=
  -> ``CubaLIF`` (one ``tau_syn``)               tau_i`` both used: error)
IF (``IFParams``, synapses onto ``"v"``)       IF with current synapses (``"e"``/``"i"``:
  -> ``IF``                                      error; NIR's IF has no synaptic filter)
weights -> ``Linear`` (dense ``(post, pre)``)  sparsity pattern (zeros are "no synapse")
constant ``CurrentInjection`` -> ``Affine``    time-varying currents (input data: error)
  bias                                         conductance synapses (``LIFCond*``: error)
homogeneous, per-source or per-target delays   per-synapse delays that are neither (error)
  -> ``Delay`` nodes                           Izhikevich, AdEx (no NIR node: error)
``SpikeGeneratorGroup`` -> ``Input`` (size     the spike times themselves (pass them to
  only)                                          :func:`from_nir` as ``input_spikes``)
groups with a ``SpikeMonitor`` -> ``Output``   ``PoissonGroup`` (random source: error)
``dt`` in the graph metadata (informative)     plasticity rules and their traces, short-term
                                                 plasticity (``stp``; error)
                                               monitors' settings, state monitors (dropped)
                                               dynamic state, initial values (dropped: an
                                                 imported network starts where the per-step
                                                 reading starts, U = v_leak; see below)
                                               which current pathway (``"e"``/``"i"``) and
                                                 ``r_m`` (imports use ``"e"`` and the
                                                 default ``r_m``; weights rescaled to match)
                                               ``c_m`` and ``v_rest`` of IF groups
                                                 (imports: default ``c_m``, ``v_rest = 0``)
                                               group/backend/batch settings (dropped)
=============================================  =============================================

Initial state: the per-step reading starts at ``U = v_leak``, while neurosim integrates a
constant current already in step 0 (and a group ``L`` projections deep sees its first input
``L`` steps later). :func:`from_nir` therefore starts a group with an Affine bias at
:func:`initial_v` (``v_rest - r_m (1 - a_m) I / a_m`` for ``L = 1``); a network exported with
a current matches the graph from the first step when its group starts there, and otherwise
only after a transient of a few ``tau_m``. Exact agreement with the per-step reading needs
every path from the inputs to a group to cross the same number of projections (layered
graphs; recurrent projections are fine: both sides see the previous step's spikes).

Recurrent projections are exported as a ``LIF -> Linear -> LIF`` loop and act with the
previous step's spikes (as snnTorch's ``RLeaky``). snnTorch 1.0.0's importer turns such a loop
into a subgraph whose input edge goes through the recurrent weights (``_create_rnn_subgraph``
connects ``input -> w_rec``), so recurrent graphs give other spikes there; feed-forward
``LIF``/``CubaLIF`` graphs agree spike for spike (tested).

``v > threshold`` (NIR, snnTorch) versus neurosim's ``v >= v_thresh`` differ only on exact
ties.

Usage::

    g = to_nir(net, dt=net.dt)          # nir.NIRGraph
    write_nir(g, "net.nir"); g2 = read_nir("net.nir")
    net2 = from_nir(g2, dt=net.dt, input_spikes={"gen": raster})   # raster: (T, n) bool
    net2.run(T * net.dt)
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from neurosim.atomic import atomic_path
from neurosim.monitors import SpikeMonitor
from neurosim.neurons import (
    CurrentInjection,
    IFParams,
    LIFParams,
    NeuronGroup,
    SpikeGeneratorGroup,
)
from neurosim.neurons.base import hold_steps
from neurosim.neurons.lif import lif_coefficients
from neurosim.synapses import Synapses
from neurosim.validation import check_real

__all__ = ["to_nir", "from_nir", "write_nir", "read_nir", "flatten_nir", "initial_v",
           "NIR_CARRIES"]

#: node types :func:`from_nir` understands (other node types raise NotImplementedError)
NIR_CARRIES = ("Input", "Output", "Affine", "Linear", "Delay", "LIF", "CubaLIF", "IF")


def _nir() -> Any:
    try:
        import nir
    except ImportError as exc:  # pragma: no cover
        raise ImportError("neurosim.interop.nir needs the 'nir' package: pip install nir") \
            from exc
    return nir


def _check_dt(func: str, dt: Any) -> float:
    if dt is None:
        raise ValueError(f"{func}: dt is required (the step in s at which the NIR graph is "
                         "read); NIR graphs are continuous-time and store no step")
    return check_real(f"{func}: dt", dt, low=0, high=0.1, low_open=True,  # seconds
                      high_open=True)


def _check_unit(func: str, v_unit: Any) -> float:
    return check_real(f"{func}: v_unit", v_unit, low=0, low_open=True)  # V per NIR unit


# ---------------------------------------------------------------------- export
def _unsupported(what: str) -> NotImplementedError:
    return NotImplementedError(
        f"to_nir: {what}; NIR carries LIF (LIFParams with synapses onto 'v'), CubaLIF "
        f"(LIFParams with current synapses 'e'/'i' sharing one time constant), IF (IFParams "
        f"with synapses onto 'v'), Affine/Linear "
        f"weights, constant biases, Delay and spike-generator inputs")


def _neuron_node(nir: Any, g: NeuronGroup, kinds: set[str], dt: float, v_unit: float
                 ) -> tuple[Any, float]:
    """NIR node for a neuron group and the factor turning neurosim weights into NIR ones."""
    p = g.params
    if type(p) is IFParams and hold_steps(p.t_ref, dt) == 0 and kinds <= {"v"}:
        n1 = np.ones(g.n)
        return nir.IF(r=n1, v_threshold=n1 * ((p.v_thresh - p.v_rest) / v_unit),
                      v_reset=n1 * ((p.v_reset - p.v_rest) / v_unit)), 1.0 / v_unit
    if type(p) is IFParams and kinds - {"v"}:
        raise _unsupported(f"group {g.name!r} (IFParams) receives current synapses "
                           f"{sorted(kinds - {'v'})}; NIR's IF has no synaptic filter")
    if type(p) not in (LIFParams, IFParams):
        kind = {"LIFCondParams": "conductance synapses (LIFCondParams)",
                "LIFCondAlphaParams": "conductance synapses (LIFCondAlphaParams)",
                "ALIFParams": "adaptive thresholds (ALIFParams)"}.get(
            type(p).__name__, f"neuron model {type(p).__name__}")
        raise _unsupported(f"group {g.name!r} uses {kind}, which NIR cannot carry")
    if hold_steps(p.t_ref, dt) > 0:
        raise _unsupported(f"group {g.name!r} has a refractory period t_ref={p.t_ref} s > "
                           f"dt={dt} s (NIR's LIF and IF have none; use t_ref=0)")
    c = lif_coefficients(p, dt)
    n = g.n
    full = lambda x: np.full(n, float(x))  # noqa: E731
    tau_m = dt / (1.0 - c.a_m)
    if kinds <= {"v"}:
        node = nir.LIF(tau=full(tau_m), r=full(tau_m / dt), v_leak=full(p.v_rest / v_unit),
                       v_threshold=full((p.v_rest + (p.v_thresh - p.v_rest) / c.a_m) / v_unit),
                       v_reset=full((p.v_rest + (p.v_reset - p.v_rest) / c.a_m) / v_unit))
        return node, 1.0 / v_unit
    if "v" in kinds:
        raise _unsupported(f"group {g.name!r} receives synapses onto 'v' and onto currents "
                           f"({sorted(kinds)}); NIR's CubaLIF has one input path")
    if kinds == {"e", "i"} and not math.isclose(p.tau_e, p.tau_i, rel_tol=1e-12):
        raise _unsupported(f"group {g.name!r} uses both synaptic currents with tau_e="
                           f"{p.tau_e} s != tau_i={p.tau_i} s (CubaLIF has one tau_syn)")
    a_s, k_s = (c.a_e, c.k_e) if "e" in kinds else (c.a_i, c.k_i)
    tau_s = dt / (1.0 - a_s)
    node = nir.CubaLIF(tau_syn=full(tau_s), tau_mem=full(tau_m), r=full(tau_m / dt),
                       v_leak=full(p.v_rest / v_unit), v_threshold=full(p.v_thresh / v_unit),
                       v_reset=full(p.v_reset / v_unit), w_in=full(tau_s / dt))
    return node, k_s / v_unit


def _delay_split(syn: Synapses, dt: float) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-source or per-target delays (s) of a projection, or (None, None) for none."""
    steps = syn.delay_steps(dt)
    if steps.ndim == 0:
        return (None, None) if steps == 0 else (None, np.full(syn.post.n, steps * dt))
    rows = np.repeat(np.arange(syn.n_pre), syn.row_lengths())
    for key, n, where in ((syn.indices, syn.post.n, "post"), (rows, syn.n_pre, "pre")):
        d = np.zeros(n)
        d[key] = steps
        if np.array_equal(d[key], steps):
            d = d * dt
            return (d, None) if where == "pre" else (None, d)
    raise _unsupported(f"projection {syn.name!r} has per-synapse delays that depend on both "
                       "source and target (NIR's Delay acts per channel)")


def to_nir(network: Any, *, dt: float | None = None, v_unit: float = 1.0) -> Any:
    """Export ``network`` to a :class:`nir.NIRGraph` read at step ``dt``.

    Parameters
    ----------
    network : Network
        Spike-generator inputs, ``LIFParams``/``IFParams`` groups, static synapses, constant
        current injections and spike monitors (see the module table for what NIR cannot
        carry).
    dt : float
        Step (s) at which the graph is to be read (required; use ``network.dt`` to reproduce
        this network's spikes; snnTorch's importer assumes ``1e-4``). Stored in the metadata.
    v_unit : float
        Volts per NIR voltage unit (``1.0``: NIR values in volts; ``1e-3``: millivolts).

    Returns
    -------
    nir.NIRGraph
        Nodes named after the groups and projections (``"<proj>_delay"`` for delays,
        ``"output"`` or ``"output_<group>"`` for outputs); shapes ``(n,)``, weights
        ``(n_post, n_pre)``.
    """
    nir = _nir()
    dt = _check_dt("to_nir", dt)
    v_unit = _check_unit("to_nir", v_unit)
    network._ensure()
    plan = network._plan
    for g in plan.input_groups:
        if not isinstance(g, SpikeGeneratorGroup):
            raise _unsupported(f"input group {g.name!r} is a {type(g).__name__} (a random "
                               "source; NIR graphs hold no input data: use a "
                               "SpikeGeneratorGroup)")
    for s in plan.synapses:
        if s.plasticity is not None:
            raise _unsupported(f"projection {s.name!r} is plastic "
                               f"({type(s.plasticity).__name__}); NIR has no learning rules "
                               "(detach with syn.attach(None) to export the weights)")
        if s.stp is not None:
            raise _unsupported(f"projection {s.name!r} has short-term plasticity "
                               f"(stp={s.stp!r}); NIR has no dynamic synapses (set "
                               "syn.stp = None to export the static weights)")
    kinds: dict[str, set[str]] = {g.name: set() for g in plan.neuron_groups}
    for s in plan.synapses:
        kinds[s.post.name].add(s.target)
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    scale: dict[str, float] = {}
    for g in plan.input_groups:
        nodes[g.name] = nir.Input(input_type=np.array([g.n]))
    for g in plan.neuron_groups:
        nodes[g.name], scale[g.name] = _neuron_node(nir, g, kinds[g.name], dt, v_unit)
    bias: dict[str, np.ndarray] = {}
    for g in plan.neuron_groups:
        inj = plan.injections[g.name]
        if any(i.time_varying for i in inj):
            raise _unsupported(f"group {g.name!r} has a time-varying CurrentInjection "
                               "(input data, not part of a graph)")
        if inj and np.any(cur := sum(np.asarray(i.values, float) for i in inj)):
            if isinstance(nodes[g.name], nir.CubaLIF):
                raise _unsupported(f"group {g.name!r} (CubaLIF) has a constant current: NIR's "
                                   "bias would pass through the synaptic filter")
            if isinstance(nodes[g.name], nir.IF):
                bias[g.name] = dt / g.params.c_m * cur / v_unit
            else:
                c = lif_coefficients(g.params, dt)
                bias[g.name] = g.params.r_m * (1.0 - c.a_m) / c.a_m * cur / v_unit
    for s in plan.synapses:
        w = s.to_dense().T * scale[s.post.name]          # (n_post, n_pre)
        b = bias.pop(s.post.name, None)
        nodes[s.name] = nir.Linear(weight=w) if b is None else nir.Affine(weight=w, bias=b)
        d_pre, d_post = _delay_split(s, dt)
        src, dst = s.pre.name, s.post.name
        if d_pre is not None:
            nodes[f"{s.name}_delay"] = nir.Delay(delay=d_pre)
            edges += [(src, f"{s.name}_delay"), (f"{s.name}_delay", s.name), (s.name, dst)]
        elif d_post is not None:
            nodes[f"{s.name}_delay"] = nir.Delay(delay=d_post)
            edges += [(src, s.name), (s.name, f"{s.name}_delay"), (f"{s.name}_delay", dst)]
        else:
            edges += [(src, s.name), (s.name, dst)]
    if bias:
        raise _unsupported(f"group(s) {', '.join(bias)} have a constant current but no "
                           "incoming projection to carry it as an Affine bias")
    outs = [m.group for m in plan.spike_monitors if isinstance(m.group, NeuronGroup)]
    if not outs:
        has_out = {s.pre.name for s in plan.synapses if s.pre is not s.post}
        outs = [g for g in plan.neuron_groups if g.name not in has_out]
    outs = list({g.name: g for g in outs}.values())
    for g in outs:
        name = "output" if len(outs) == 1 else f"output_{g.name}"
        nodes[name] = nir.Output(output_type=np.array([g.n]))
        edges.append((g.name, name))
    return nir.NIRGraph(nodes=nodes, edges=edges,
                        metadata={"dt": dt, "v_unit": v_unit, "producer": "neurosim"})


# ---------------------------------------------------------------------- import
def _uniform(node_name: str, field: str, x: Any) -> float:
    arr = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if not np.allclose(arr, arr.flat[0], rtol=1e-9, atol=0):
        raise NotImplementedError(
            f"from_nir: node {node_name!r} has per-neuron {field} (range {arr.min()}.."
            f"{arr.max()}); a neurosim group shares one parameter set")
    return float(arr.flat[0])


def _decay(node_name: str, field: str, tau: float, dt: float) -> float:
    a = 1.0 - dt / tau
    if not 0 < a < 1:
        raise ValueError(f"from_nir: node {node_name!r} has {field}={tau} s, which at dt={dt} "
                         f"s gives the per-step decay 1 - dt/{field} = {a}; need {field} > dt")
    return a


def _neuron_from_node(nir: Any, name: str, node: Any, dt: float, v_unit: float
                      ) -> tuple[NeuronGroup, str, float, float | None]:
    """(group, synaptic target, weight factor, bias factor (NIR bias -> volts per step of
    the per-step reading) or None for CubaLIF)."""
    u = lambda f: _uniform(name, f, getattr(node, f)) * v_unit  # noqa: E731
    n = int(np.asarray(node.output_type["output"]).prod())
    if isinstance(node, nir.CubaLIF):
        tau_m, tau_s = _uniform(name, "tau_mem", node.tau_mem), _uniform(name, "tau_syn",
                                                                         node.tau_syn)
        a_m, a_s = _decay(name, "tau_mem", tau_m, dt), _decay(name, "tau_syn", tau_s, dt)
        g_m = _uniform(name, "r", node.r) * dt / tau_m
        g_s = _uniform(name, "w_in", node.w_in) * dt / tau_s
        ts = -dt / math.log(a_s)
        p = LIFParams(tau_m=-dt / math.log(a_m), tau_e=ts, tau_i=ts, t_ref=0.0,
                      v_rest=u("v_leak"), v_thresh=u("v_threshold"), v_reset=u("v_reset"))
        k = lif_coefficients(p, dt).k_e
        return NeuronGroup(n, p, name=name), "e", g_m * g_s * v_unit / k, None
    if isinstance(node, nir.IF):
        g = _uniform(name, "r", node.r) * v_unit
        p = IFParams(v_rest=0.0, t_ref=0.0, v_thresh=u("v_threshold"), v_reset=u("v_reset"))
        return NeuronGroup(n, p, name=name), "v", g, g
    tau = _uniform(name, "tau", node.tau)
    a = _decay(name, "tau", tau, dt)
    g = _uniform(name, "r", node.r) * dt / tau
    vl = u("v_leak")
    p = LIFParams(tau_m=-dt / math.log(a), t_ref=0.0, v_rest=vl,
                  v_thresh=vl + a * (u("v_threshold") - vl), v_reset=vl + a * (u("v_reset") - vl))
    return NeuronGroup(n, p, name=name), "v", g * v_unit, g * v_unit


def _generator(name: str, n: int, spikes: Any, dt: float) -> SpikeGeneratorGroup:
    if spikes is None:
        return SpikeGeneratorGroup(n, np.zeros(0, np.int64), np.zeros(0), name=name)
    if isinstance(spikes, tuple) and len(spikes) == 2:
        return SpikeGeneratorGroup(n, spikes[0], spikes[1], name=name)
    arr = np.asarray(spikes)
    if arr.ndim != 2 or arr.shape[1] != n:
        raise ValueError(f"from_nir: input_spikes[{name!r}] must be a (T, {n}) 0/1 array or an "
                         f"(indices, times) pair, got shape {arr.shape}")
    if not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"from_nir: input_spikes[{name!r}] must hold 0/1 spikes")
    steps, idx = np.nonzero(arr)
    return SpikeGeneratorGroup(n, idx, steps * dt, name=name)


def _paths(graph: Any, src: str, out: dict[str, list[str]]) -> list[tuple[list[str], str]]:
    """All paths ``src -> (Delay | Linear | Affine)* -> target`` (target: neuron/Output)."""
    nir = _nir()
    found, stack = [], [([], d) for d in out.get(src, [])]
    while stack:
        via, node_name = stack.pop()
        node = graph.nodes[node_name]
        if isinstance(node, (nir.Delay, nir.Linear, nir.Affine)):
            if len(via) > 8 or node_name in via:
                raise NotImplementedError(f"from_nir: a loop of weight/delay nodes through "
                                          f"{node_name!r} without a neuron")
            stack += [([*via, node_name], d) for d in out.get(node_name, [])]
        else:
            found.append((via, node_name))
    return found


def flatten_nir(graph: Any) -> Any:
    """Inline nested :class:`nir.NIRGraph` nodes (e.g. snnTorch's ``RLeaky`` export: a
    subgraph ``input -> lif <-> w_rec``, ``lif -> output``) into one flat graph; inner node
    ``k`` of subgraph ``s`` becomes ``"s.k"``. Returns a new graph (not type-checked)."""
    nir = _nir()
    nodes: dict[str, Any] = {}
    edges = list(graph.edges)
    for name, node in graph.nodes.items():
        if not isinstance(node, nir.NIRGraph):
            nodes[name] = node
            continue
        sub = flatten_nir(node)
        ins = {k for k, v in sub.nodes.items() if isinstance(v, nir.Input)}
        outs = {k for k, v in sub.nodes.items() if isinstance(v, nir.Output)}
        nodes.update({f"{name}.{k}": v for k, v in sub.nodes.items() if k not in ins | outs})
        entry = [f"{name}.{b}" for a, b in sub.edges if a in ins]
        exit_ = [f"{name}.{a}" for a, b in sub.edges if b in outs]
        inner = [(f"{name}.{a}", f"{name}.{b}") for a, b in sub.edges
                 if a not in ins and b not in outs]
        new = []
        for a, b in edges:
            srcs = exit_ if a == name else [a]
            dsts = entry if b == name else [b]
            new += [(x, y) for x in srcs for y in dsts]
        edges = new + inner
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=dict(graph.metadata or {}),
                        type_check=False)


def _depths(inputs: list[str], pairs: list[tuple[str, str]]) -> dict[str, int]:
    """Fewest projections from an input to each group (breadth-first)."""
    depth = {k: 0 for k in inputs}
    frontier = list(inputs)
    while frontier:
        nxt = []
        for src, dst in pairs:
            if src in frontier and dst not in depth:
                depth[dst] = depth[src] + 1
                nxt.append(dst)
        frontier = nxt
    return depth


def initial_v(v_rest: float, bias: Any, a_m: float, depth: int) -> Any:
    r"""Start potential (V) of a group with a constant current that matches NIR's per-step
    reading, which starts at :math:`U = v_\text{leak}`.

    neurosim integrates the current from step 0, and a group ``depth`` projections away from
    the inputs sees its first input ``depth`` steps later than in the per-step reading; so
    ``v(0)`` is chosen to put the membrane at rest after those ``depth`` bias-only steps:
    :math:`v(0) = v_\text{rest} - b\,(1 - a^L) / ((1 - a)\,a^{L-1})`, with ``bias``
    :math:`b = r_m (1 - a_m) I / a_m` (V per step) and :math:`L` = ``depth``; for
    ``IFParams`` (``a_m = 1``, ``b = dt I / C``) the limit :math:`v_\text{rest} - b L`.
    """
    a = a_m
    if a == 1.0:   # no leak (IF): the limit a -> 1
        return v_rest - np.asarray(bias) * depth
    return v_rest - np.asarray(bias) * (1.0 - a ** depth) / ((1.0 - a) * a ** (depth - 1))


def from_nir(graph: Any, *, dt: float | None = None, input_spikes: Any = None,
             v_unit: float = 1.0, **network_kw: Any) -> Any:
    """Build a :class:`~neurosim.network.Network` from a NIR graph read at step ``dt``.

    Parameters
    ----------
    graph : nir.NIRGraph
        Nodes among :data:`NIR_CARRIES` (nested subgraphs are inlined with
        :func:`flatten_nir`); every path between two neuron nodes (or an Input and
        a neuron) holds at most one ``Linear``/``Affine`` and any ``Delay`` nodes.
    dt : float
        Step (s) at which the graph is read (required; snnTorch writes graphs for ``1e-4``).
    input_spikes : dict or array, optional
        ``{input node: (T, n) 0/1 array or (indices, times)}`` (an array alone when the graph
        has one Input). Inputs without spikes stay silent.
    v_unit : float
        Volts per NIR voltage unit (``1e-3`` reads snnTorch's dimensionless threshold 1.0 as
        1 mV; spikes do not depend on it).
    **network_kw
        Passed to :class:`~neurosim.network.Network` (``backend``, ``seed``, ...).

    Returns
    -------
    Network
        Groups named after the nodes, ``SpikeMonitor`` ``"<group>_spikes"`` on every group
        feeding an Output; input spike step ``k`` reaches a group ``L`` projections away at
        step ``k + L`` (the per-step reading of the graph gives it at step ``k``).
    """
    nir = _nir()
    from neurosim.network import Network

    dt = _check_dt("from_nir", dt)
    v_unit = _check_unit("from_nir", v_unit)
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"from_nir: graph must be a nir.NIRGraph, got {type(graph).__name__}")
    if any(isinstance(v, nir.NIRGraph) for v in graph.nodes.values()):
        graph = flatten_nir(graph)
    for name, node in graph.nodes.items():
        if type(node).__name__ not in NIR_CARRIES:
            raise NotImplementedError(
                f"from_nir: node {name!r} is a {type(node).__name__}; neurosim imports "
                f"{', '.join(NIR_CARRIES)}")
    out: dict[str, list[str]] = {}
    for a, b in graph.edges:
        out.setdefault(a, []).append(b)
    inputs = [k for k, v in graph.nodes.items() if isinstance(v, nir.Input)]
    if input_spikes is not None and not isinstance(input_spikes, dict):
        if len(inputs) != 1:
            raise ValueError(f"from_nir: the graph has inputs {inputs}; give input_spikes as "
                             "a dict {input name: spikes}")
        input_spikes = {inputs[0]: input_spikes}
    input_spikes = dict(input_spikes or {})
    unknown = set(input_spikes) - set(inputs)
    if unknown:
        raise ValueError(f"from_nir: input_spikes has unknown inputs {sorted(unknown)}; the "
                         f"graph's inputs are {inputs}")
    groups: dict[str, Any] = {}
    info: dict[str, tuple[str, float, float | None]] = {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.Input):
            n = int(np.asarray(node.input_type["input"]).prod())
            groups[name] = _generator(name, n, input_spikes.get(name), dt)
        elif isinstance(node, (nir.LIF, nir.CubaLIF, nir.IF)):
            try:
                grp, target, wf, cf = _neuron_from_node(nir, name, node, dt, v_unit)
            except ValueError as e:
                if "looks like millivolts" not in str(e):
                    raise
                raise ValueError(f"from_nir: node {name!r}: {e}. NIR voltages are read as "
                                 f"volts x v_unit (v_unit={v_unit}); for a graph in mV or "
                                 "unitless (snnTorch: threshold 1.0) pass v_unit=1e-3") from e
            groups[name], info[name] = grp, (target, wf, cf)
    objs: list[Any] = list(groups.values())
    ebias: dict[str, np.ndarray] = {}
    pairs: list[tuple[str, str]] = []
    biased: set[tuple[str, str]] = set()
    monitored: list[str] = []
    for src in groups:
        for via, dst in _paths(graph, src, out):
            if isinstance(graph.nodes[dst], nir.Output):
                if via:
                    raise NotImplementedError(
                        f"from_nir: {src} -> {' -> '.join(via)} -> {dst} sends weighted or "
                        "delayed values to an Output (a current readout); neurosim records "
                        "spikes only: connect the neuron node to the Output directly")
                if src in info and src not in monitored:
                    monitored.append(src)
                continue
            weights = [v for v in via if not isinstance(graph.nodes[v], nir.Delay)]
            if len(weights) > 1:
                raise NotImplementedError(f"from_nir: path {src} -> {' -> '.join(via)} -> "
                                          f"{dst} has more than one weight node")
            if dst not in info:
                raise ValueError(f"from_nir: edge path {src} -> {dst} ends in an "
                                 f"{type(graph.nodes[dst]).__name__}, not a neuron or Output")
            n_pre, n_post = groups[src].n, groups[dst].n
            target, wf, cf = info[dst]
            if weights:
                node = graph.nodes[weights[0]]
                w = np.asarray(node.weight, dtype=np.float64)
                if w.shape != (n_post, n_pre):
                    raise ValueError(f"from_nir: {weights[0]!r} weight has shape {w.shape}, "
                                     f"expected ({n_post}, {n_pre}) for {src} -> {dst}")
                b = np.asarray(getattr(node, "bias", 0.0), dtype=np.float64)
                if np.any(b != 0) and (weights[0], dst) not in biased:   # once per target
                    biased.add((weights[0], dst))
                    if cf is None:
                        raise NotImplementedError(
                            f"from_nir: {weights[0]!r} has a bias into CubaLIF {dst!r}; "
                            "neurosim injects currents into the membrane, not the synapse")
                    ebias[dst] = ebias.get(dst, 0.0) + np.broadcast_to(b, (n_post,)) * cf
            else:
                if n_pre != n_post:
                    raise ValueError(f"from_nir: {src} -> {dst} has no weights and sizes "
                                     f"{n_pre} != {n_post}")
                w = np.eye(n_post)
            delay = np.zeros((n_pre, n_post))
            pos = weights and via.index(weights[0])
            for k, v in enumerate(via):
                if isinstance(graph.nodes[v], nir.Delay):
                    d = np.broadcast_to(np.asarray(graph.nodes[v].delay, float), (
                        n_pre if weights and k < pos else n_post,))
                    delay += d[:, None] if weights and k < pos else d[None, :]
            pairs.append((src, dst))
            name = "_".join([src, *via, dst]) if via else f"{src}_{dst}"
            objs.append(Synapses.from_matrix(groups[src], groups[dst], (w * wf).T,
                                             target=target, delay=delay, name=name))
    depth = _depths(inputs, pairs)
    for name, eb in ebias.items():
        p = groups[name].params
        if isinstance(p, IFParams):
            a, cur = 1.0, eb * p.c_m / dt
        else:
            a = lif_coefficients(p, dt).a_m
            cur = eb * a / (p.r_m * (1.0 - a))
        objs.append(CurrentInjection(groups[name], cur, name=f"{name}_bias"))
        groups[name].init["v"] = initial_v(p.v_rest, eb, a, depth.get(name, 1))
    objs += [SpikeMonitor(groups[m], name=f"{m}_spikes") for m in monitored]
    return Network(*objs, dt=dt, **network_kw)


# ---------------------------------------------------------------------- files
def write_nir(obj: Any, path: str | os.PathLike, *, dt: float | None = None,
              v_unit: float = 1.0) -> None:
    """Write a NIR graph (or a Network, exported with :func:`to_nir` at ``dt``) to ``path``
    (HDF5), atomically: a temporary file in the same folder, then a rename."""
    nir = _nir()
    graph = obj if isinstance(obj, nir.NIRGraph) else to_nir(obj, dt=dt, v_unit=v_unit)
    with atomic_path(path) as tmp:
        nir.write(tmp, graph)


def read_nir(path: str | os.PathLike) -> Any:
    """Read a NIR graph written by :func:`write_nir` or any NIR producer."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"read_nir: no file {os.fspath(path)!r}")
    return _nir().read(os.fspath(path))
