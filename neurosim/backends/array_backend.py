"""Array backends that call the models' pure step functions once per step.

:class:`ArrayRunner` is written against a tiny ``ops`` interface so that the same loop runs
on numpy (:class:`NumpyBackend`, the reference) and on torch tensors
(:mod:`neurosim.backends.torch_backend`, CPU/GPU, leading batch dimension). A backend that
subclasses :class:`ArrayBackend` and supplies its ``ops`` runs every model and every plastic
network (:meth:`ArrayBackend.prepare` picks the runner).

Plastic projections
-------------------

Every backend's ``prepare(plan, state, network)`` returns a :class:`PlasticArrayRunner`
(or, for ``backend="numba"`` with pair STDP and one copy, the compiled
:class:`~neurosim.backends.numba_cpu.PlasticNumbaRunner`) when any of the plan's Synapses
has a rule attached (``Synapses.attach``). It is :class:`ArrayRunner` with two changes in
every step, after the neurons have been updated:

1. a plastic projection transmits the spikes of the step with each copy's *current*
   weights ``(B, n_syn)`` (copies learn independently);
2. its rule is applied with the step's pre- and postsynaptic spikes (when
   ``network.learning`` is True), and the new weights are checked for NaN/inf — a
   non-finite weight raises ``FloatingPointError`` naming the projection and the step.

Short-term plasticity (``Synapses(..., stp=...)``, static projections only) is applied in
:meth:`ArrayRunner._deliver`: :func:`~neurosim.plasticity.short_term.tsodyks_markram_step`
turns a projection's spikes into release amplitudes ``(B, n_pre)``, which the delivery
function multiplies into the weights (``ops.matrix`` functions accept bool spikes or float
amplitudes). Its state is ``Network.get_state()``'s ``"stp:<name>"``.

The rules themselves (``check``, ``init_state``, ``update``) are the plasticity package's
data and pure functions; nothing here changes their arithmetic. The op counter
``plasticity_updates`` (see :func:`count_plasticity_updates`) is added to
``network.counters``. At the end of every ``Network.run`` the learned weights of copy 0
are written back to ``syn.weights`` (all copies: ``syn.batch_weights``, ``(B, n_syn)``).
Weights and traces are part of ``Network.get_state()`` (key ``"plastic:<name>"``), so
``store``/``restore`` and saving continue bit-identically.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from neurosim.backends import ChunkOut
from neurosim.neurons.inputs import per_step_current
from neurosim.plasticity._arrays import all_finite, scatter_sum
from neurosim.plasticity.short_term import TsodyksMarkramState, tsodyks_markram_step

__all__ = ["NumpyOps", "ArrayRunner", "PlasticArrayRunner", "ArrayBackend", "NumpyBackend",
           "count_plasticity_updates", "plastic_synapses", "prepare_array"]


def _csr_t(syn: Any, sel: np.ndarray | None) -> sp.csr_matrix:
    """Transposed weights ``(n_post, n_pre)`` of the synapses selected by ``sel``."""
    rows = np.repeat(np.arange(syn.n_pre), syn.row_lengths())
    cols, w = syn.indices, syn.weights
    if sel is not None:
        rows, cols, w = rows[sel], cols[sel], w[sel]
    return sp.csr_matrix((w, (cols, rows)), shape=(syn.post.n, syn.n_pre))


class NumpyOps:
    """numpy implementation of the ops used by :class:`ArrayRunner`."""

    def __init__(self, dtype: Any = np.float64) -> None:
        self.dtype = dtype

    def asarr(self, x: Any) -> Any:
        return np.array(x, dtype=self.dtype)

    def asbool(self, x: Any) -> Any:
        return np.asarray(x, dtype=bool)

    def to_np(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def tofloat(self, x: Any) -> Any:
        return x.astype(self.dtype)

    def stack(self, xs: list[Any]) -> Any:
        return np.stack(xs)

    def matrix(self, syn: Any, sel: np.ndarray | None) -> Any:
        wt = _csr_t(syn, sel)
        if syn.dense:
            dense = wt.T.toarray()
            return lambda spk: spk.astype(self.dtype) @ dense
        return lambda spk: (wt @ spk.T.astype(self.dtype)).T

    def nonzero(self, x: Any) -> tuple[np.ndarray, ...]:
        return np.nonzero(x)

    def index(self, idx: np.ndarray) -> Any:
        return idx

    def isfinite_all(self, x: Any) -> Any:
        return np.isfinite(x).all()


class ArrayRunner:
    """Runs a :class:`~neurosim.network.Plan` step by step with ``ops`` arrays."""

    def __init__(self, plan: Any, state: dict[str, dict[str, np.ndarray]], ops: Any) -> None:
        self.plan, self.ops = plan, ops
        self.state = {g.name: {v: ops.asarr(state[g.name][v]) for v in g.state_vars}
                      for g in plan.neuron_groups}
        self.state_cls = {g.name: type(g.params.init_state((1, 1)))
                          for g in plan.neuron_groups}
        self.buffers: dict[str, Any] = {}
        self.mats: dict[str, list[tuple[int, Any]]] = {}
        self.row_len = {}
        for s in plan.synapses:
            d = plan.delay_steps[s.name]
            if plan.max_delay(s) > 0:
                self.buffers[s.name] = ops.asarr(state[f"syn:{s.name}"]["buffer"])
                self.mats[s.name] = ([(int(d), ops.matrix(s, None))] if d.ndim == 0 else
                                     [(int(v), ops.matrix(s, d == v)) for v in np.unique(d)])
            else:
                self.mats[s.name] = [(0, ops.matrix(s, None))]
            self.row_len[s.name] = s.row_lengths().astype(np.int64)
        # short-term plasticity (Tsodyks-Markram): (x, u) per source neuron and copy
        self.stp = {s.name: TsodyksMarkramState(ops.asarr(state[f"stp:{s.name}"]["x"]),
                                                ops.asarr(state[f"stp:{s.name}"]["u"]))
                    for s in plan.synapses if s.stp is not None}

    def nonfinite_group(self) -> str | None:
        """Name of the first group whose state holds NaN or inf, else None."""
        for name, d in self.state.items():
            for a in d.values():
                if not bool(self.ops.to_np(self.ops.isfinite_all(a))):
                    return name
        return None

    def get_state(self) -> dict[str, dict[str, np.ndarray]]:
        out = {g: {v: np.array(self.ops.to_np(a), dtype=np.float64) for v, a in d.items()}
               for g, d in self.state.items()}
        for name, buf in self.buffers.items():
            out[f"syn:{name}"] = {"buffer": np.array(self.ops.to_np(buf), dtype=np.float64)}
        for name, st in self.stp.items():
            out[f"stp:{name}"] = {f: np.array(self.ops.to_np(a), dtype=np.float64)
                                  for f, a in st._asdict().items()}
        return out

    def run_chunk(self, start: int, k: int, inputs: dict[str, np.ndarray],
                  currents: dict[str, Any]) -> ChunkOut:
        plan, ops = self.plan, self.ops
        dt = plan.dt
        cur = {}
        for g in plan.neuron_groups:
            c = per_step_current(currents[g.name])
            cur[g.name] = (None if c is None else (ops.asarr(c), np.ndim(c) == 3))
        inp = {name: ops.asbool(x) for name, x in inputs.items()}
        rec: dict[str, list[Any]] = {g.name: [] for g in plan.groups}
        mon_steps: list[list[int]] = [[] for _ in plan.state_monitors]
        mon_vals: list[dict[str, list[Any]]] = [{v: [] for v in m.variables}
                                                for m in plan.state_monitors]
        mon_idx = [ops.index(m.indices) for m in plan.state_monitors]
        for s in range(k):
            step = start + s
            for mi, m in enumerate(plan.state_monitors):
                if step % m.every == 0:
                    mon_steps[mi].append(step)
                    st = self.state[m.group.name]
                    for v in m.variables:
                        mon_vals[mi][v].append(st[v][:, mon_idx[mi]])
            spk: dict[str, Any] = {}
            for g in plan.neuron_groups:
                c = cur[g.name]
                i_in = 0.0 if c is None else (c[0][s] if c[1] else c[0])
                st = self.state_cls[g.name](**self.state[g.name])
                spikes, new = g.params.step(st, i_in, dt)
                self.state[g.name] = new._asdict()
                spk[g.name] = spikes
            for g in plan.input_groups:
                spk[g.name] = inp[g.name][s]
            self._deliver(step, spk)
            for name, x in spk.items():
                rec[name].append(x)
        out = ChunkOut()
        for g in plan.groups:
            stacked = ops.stack(rec[g.name])                     # (k, B, n)
            out.counts[g.name] = ops.to_np(stacked.sum(-1)).astype(np.int64)
            if g.name in plan.spike_record:
                out.spikes[g.name] = tuple(ops.to_np(a) + (start if j == 0 else 0)
                                           for j, a in enumerate(ops.nonzero(stacked)))
            rec[g.name] = stacked
        for syn in plan.synapses:
            per_neuron = ops.to_np(rec[syn.pre.name].sum((0, 1))).astype(np.int64)
            out.events[syn.name] = int(per_neuron @ self.row_len[syn.name])
        for mi in range(len(plan.state_monitors)):
            vals = {v: ops.to_np(ops.stack(x)).astype(np.float64) if x else None
                    for v, x in mon_vals[mi].items()}
            out.states.append((np.asarray(mon_steps[mi], dtype=np.int64), vals))
        return out

    def _deliver(self, step: int, spk: dict[str, Any]) -> None:
        for syn in self.plan.synapses:
            src = spk[syn.pre.name]
            if syn.stp is not None:   # float release r (B, n_pre): each synapse adds w * r
                src, self.stp[syn.name] = tsodyks_markram_step(self.stp[syn.name], src,
                                                               syn.stp, self.plan.dt)
            tgt = self.state[syn.post.name]
            for d, mat in self.mats[syn.name]:
                contrib = mat(src)
                if d == 0:
                    tgt[syn.target_var] = tgt[syn.target_var] + contrib
                else:
                    buf = self.buffers[syn.name]
                    slot = (step + d) % buf.shape[0]
                    buf[slot] = buf[slot] + contrib
        for syn in self.plan.synapses:
            if syn.name in self.buffers:
                buf = self.buffers[syn.name]
                slot = step % buf.shape[0]
                tgt = self.state[syn.post.name]
                tgt[syn.target_var] = tgt[syn.target_var] + buf[slot]
                buf[slot] = 0.0


def count_plasticity_updates(network: Any, out: Any, plastic: list[Any]) -> None:
    """Add this chunk's weight updates to ``network.counters["plasticity_updates"]``:
    presynaptic spikes x fan-out (depression side) + postsynaptic spikes x mean fan-in
    (potentiation side), while ``network.learning``."""
    if network is None or not getattr(network, "learning", True):
        return
    n = 0
    for s in plastic:
        n += int(out.events.get(s.name, 0))
        n += int(round(int(out.counts[s.post.name].sum()) * s.n_syn / s.post.n))
    vals = network.counters_obj.values
    vals["plasticity_updates"] = vals.get("plasticity_updates", 0) + n


def plastic_synapses(plan: Any) -> list[Any]:
    """The plan's Synapses with a plasticity rule attached (in plan order)."""
    return [s for s in plan.synapses if getattr(s, "plasticity", None) is not None]


class PlasticArrayRunner(ArrayRunner):
    """:class:`ArrayRunner` whose plastic projections learn in every step."""

    def __init__(self, plan: Any, state: dict[str, dict[str, np.ndarray]], ops: Any,
                 network: Any = None) -> None:
        super().__init__(plan, state, ops)
        self.network = network
        self.plastic = plastic_synapses(plan)
        B = plan.batch
        self.w: dict[str, Any] = {}
        self.pstate: dict[str, Any] = {}
        self.idx: dict[str, tuple[Any, Any]] = {}
        for s in self.plastic:
            s.plasticity.check(s)
            rows = np.repeat(np.arange(s.n_pre), s.row_lengths())
            self.idx[s.name] = (ops.index(rows), ops.index(s.indices))
            saved = state.get(f"plastic:{s.name}")
            w0 = saved["w"] if saved is not None else np.broadcast_to(s.weights, (B, s.n_syn))
            self.w[s.name] = ops.asarr(w0)
            st = s.plasticity.init_state(s.n_pre, s.post.n, self.w[s.name])
            if saved is not None:
                st = type(st)(**{f: ops.asarr(saved[f]) for f in st._fields})
            self.pstate[s.name] = st
        self._plastic_names = {s.name for s in self.plastic}
        self._step_now = plan.start_step

    @property
    def learning(self) -> bool:
        return bool(getattr(self.network, "learning", True))

    def get_state(self) -> dict[str, dict[str, np.ndarray]]:
        out = super().get_state()
        for s in self.plastic:
            d = {"w": np.array(self.ops.to_np(self.w[s.name]), dtype=np.float64)}
            st = self.pstate[s.name]
            for f in st._fields:
                d[f] = np.array(self.ops.to_np(getattr(st, f)), dtype=np.float64)
            out[f"plastic:{s.name}"] = d
        return out

    def run_chunk(self, start: int, k: int, inputs: dict[str, np.ndarray],
                  currents: dict[str, Any]) -> Any:
        out = super().run_chunk(start, k, inputs, currents)
        count_plasticity_updates(self.network, out, self.plastic)
        return out

    def sync_weights(self) -> None:
        """Copy the learned weights to the Synapses (``batch_weights`` ``(B, n_syn)``,
        ``weights`` = copy 0): once per :meth:`neurosim.Network.run`, not per chunk."""
        for s in self.plastic:
            wb = np.array(self.ops.to_np(self.w[s.name]), dtype=np.float64)
            s.batch_weights = wb
            s.weights = wb[0].copy()

    def _deliver(self, step: int, spk: dict[str, Any]) -> None:
        plan = self.plan
        static = [s for s in plan.synapses if s.name not in self._plastic_names]
        if static:
            plan_syn = plan.synapses
            try:
                plan.synapses = static
                super()._deliver(step, spk)
            finally:
                plan.synapses = plan_syn
        learn = self.learning
        for s in self.plastic:
            pre_idx, post_idx = self.idx[s.name]
            w = self.w[s.name]
            pre = spk[s.pre.name]
            src = self.ops.tofloat(pre)[:, pre_idx] * w
            tgt = self.state[s.post.name]
            contrib = scatter_sum(src, post_idx, s.post.n, 2)
            d = self.mats[s.name][0][0]   # one delay per plastic projection (rule.check)
            if d == 0:
                tgt[s.target_var] = tgt[s.target_var] + contrib
            else:   # the weights at emission, arriving d steps later
                buf = self.buffers[s.name]
                slot = (step + d) % buf.shape[0]
                buf[slot] = buf[slot] + contrib
                now = step % buf.shape[0]
                tgt[s.target_var] = tgt[s.target_var] + buf[now]
                buf[now] = 0.0
            if not learn:
                continue
            w_new, st = s.plasticity.update(self.pstate[s.name], w, pre, spk[s.post.name],
                                            plan.dt, pre_idx, post_idx)
            if not all_finite(w_new):
                raise FloatingPointError(
                    f"plasticity rule {type(s.plasticity).__name__} on Synapses {s.name!r} "
                    f"produced NaN or inf weights at step {step} (t = {step * plan.dt:.6g} s)")
            self.w[s.name], self.pstate[s.name] = w_new, st


def prepare_array(plan: Any, state: dict[str, dict[str, np.ndarray]], ops: Any,
                  network: Any = None) -> ArrayRunner:
    """The array runner for ``plan`` on ``ops``: :class:`PlasticArrayRunner` when a
    projection has a rule attached, else the plain :class:`ArrayRunner`."""
    if plastic_synapses(plan):
        return PlasticArrayRunner(plan, state, ops, network)
    return ArrayRunner(plan, state, ops)


class ArrayBackend:
    """Base of the backends that run :class:`ArrayRunner` on some ``ops``: subclasses give
    :meth:`ops`; :meth:`prepare` returns the plain or the plastic runner."""

    name = "array"

    def ops(self, plan: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.ops: give the array operations")

    def prepare(self, plan: Any, state: dict[str, dict[str, np.ndarray]],
                network: Any = None) -> ArrayRunner:
        """The runner for ``plan`` from ``state`` (``network``: its ``learning`` switch and
        op counters, for plastic projections)."""
        return prepare_array(plan, state, self.ops(plan), network)


class NumpyBackend(ArrayBackend):
    """Reference backend: numpy arrays, the models' pure step functions, scipy.sparse."""

    name = "numpy"

    def ops(self, plan: Any) -> NumpyOps:
        return NumpyOps(plan.dtype)
