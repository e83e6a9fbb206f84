"""Array backends that call the models' pure step functions once per step.

:class:`ArrayRunner` is written against a tiny ``ops`` interface so that the same loop runs
on numpy (:class:`NumpyBackend`, the reference) and on torch tensors
(:mod:`neurosim.backends.torch_backend`, CPU/GPU, leading batch dimension).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from neurosim.backends import ChunkOut


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
        return out

    def run_chunk(self, start: int, k: int, inputs: dict[str, np.ndarray],
                  currents: dict[str, Any]) -> ChunkOut:
        plan, ops = self.plan, self.ops
        dt = plan.dt
        cur = {}
        for g in plan.neuron_groups:
            c = currents[g.name]
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


class NumpyBackend:
    """Reference backend: numpy arrays, the models' pure step functions, scipy.sparse."""

    name = "numpy"

    def prepare(self, plan: Any, state: dict[str, dict[str, np.ndarray]]) -> ArrayRunner:
        return ArrayRunner(plan, state, NumpyOps(plan.dtype))
