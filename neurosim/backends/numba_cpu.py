"""Compiled CPU backend: a whole chunk of steps runs inside one numba function.

Layout: all neuron groups' states are concatenated into one ``(V, B, N)`` float64 array
(``V`` = most state variables of any model); input groups' spikes come precomputed from the
host (identical to what the other backends receive). Synapses are concatenated CSR arrays,
delivered event-driven (work proportional to spikes x fan-out). Per-model update branches
repeat the arithmetic of the models' pure step functions in the same operation order, so
the results equal the reference backend (tested); see ``neurosim/neurons/*.py`` for the
equations.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from neurosim.backends import ChunkOut
from neurosim.neurons.adex import AdExParams
from neurosim.neurons.alif import ALIFParams
from neurosim.neurons.base import hold_steps
from neurosim.neurons.izhikevich import K0, K1, K2, IzhikevichParams
from neurosim.neurons.lif import (
    LIFCondAlphaParams,
    LIFCondParams,
    LIFParams,
    lif_coefficients,
)

LIF, LIF_COND, ALIF, IZH, ADEX, LIF_COND_ALPHA = 0, 1, 2, 3, 4, 5
N_COEF = 16


def model_coefficients(params: Any, dt: float) -> tuple[int, np.ndarray]:
    """``(model id, coefficient vector)`` for the compiled kernel."""
    params.check_dt(dt)
    c = np.zeros(N_COEF)
    if isinstance(params, (LIFParams, ALIFParams)) and not isinstance(params, LIFCondParams):
        k = lif_coefficients(params, dt)
        c[:10] = (params.v_rest, k.a_m, params.r_m * (1.0 - k.a_m), k.k_e, k.k_i, k.a_e,
                  k.a_i, params.v_thresh, params.v_reset, k.n_ref)
        if isinstance(params, ALIFParams):
            c[10:12] = (math.exp(-dt / params.tau_a), params.delta_a)
            return ALIF, c
        return LIF, c
    if isinstance(params, LIFCondParams):
        a_e, a_i = math.exp(-dt / params.tau_e), math.exp(-dt / params.tau_i)
        c[:10] = (params.v_rest, params.r_m, params.e_e, params.e_i, dt / params.tau_m,
                  a_e, a_i, params.v_thresh, params.v_reset, hold_steps(params.t_ref, dt))
        if isinstance(params, LIFCondAlphaParams):
            c[10:12] = (math.e * dt / params.tau_e * a_e, math.e * dt / params.tau_i * a_i)
            return LIF_COND_ALPHA, c
        return LIF_COND, c
    if isinstance(params, IzhikevichParams):
        c[:11] = (dt, K2, K1, K0, params.a, params.b, params.c, params.d, params.v_peak,
                  1.0 - dt / params.tau_e, 1.0 - dt / params.tau_i)
        return IZH, c
    if isinstance(params, AdExParams):
        p = params
        c[:16] = (dt, p.g_l, p.e_l, p.delta_t, p.v_t, p.c_m, p.a, p.tau_w, p.b, p.v_reset,
                  p.v_peak, hold_steps(p.t_ref, dt), 1.0 - dt / p.tau_e,
                  1.0 - dt / p.tau_i, 0.0, 0.0)
        return ADEX, c
    raise TypeError(f"numba backend: unsupported model {type(params).__name__}")


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _emit(j, sl, ns):
    sl[ns] = j
    return ns + 1


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _update_group(model, c, S, off, n, b, irow, sl, ns):
    """Advance neurons ``off .. off+n`` of copy ``b``; append spiking indices to ``sl``.

    Loops run over slice views with ``range(n)`` so that numba can drop negative-index
    checks (about 2x faster)."""
    lo, hi = off, off + n
    ir = irow[lo:hi]
    if model == 0:                            # LIF (exact); two passes, hoisted constants
        v_, ie_, ii_, ref_ = S[0, b, lo:hi], S[1, b, lo:hi], S[2, b, lo:hi], S[3, b, lo:hi]
        c0, c1, c2, c3, c4, c5, c6 = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
        c7, c8, c9 = c[7], c[8], c[9]
        for j in range(n):
            v, ref = v_[j], ref_[j]
            free = ref <= 0
            v_int = c0 + (v - c0) * c1 + c2 * ir[j] + c3 * ie_[j] + c4 * ii_[j]
            v_[j] = v_int if free else v
            ref_[j] = ref if free else ref - 1.0
            ie_[j] *= c5
            ii_[j] *= c6
        for j in range(n):
            if v_[j] >= c7 and ref_[j] <= 0:
                v_[j] = c8
                ref_[j] = c9
                ns = _emit(off + j, sl, ns)
    elif model == 2:                          # ALIF (exact)
        v_, ie_, ii_ = S[0, b, lo:hi], S[1, b, lo:hi], S[2, b, lo:hi]
        a_, ref_ = S[3, b, lo:hi], S[4, b, lo:hi]
        for j in range(n):
            v, ref = v_[j], ref_[j]
            if ref <= 0:
                v = c[0] + (v - c[0]) * c[1] + c[2] * ir[j] + c[3] * ie_[j] + c[4] * ii_[j]
            else:
                ref = ref - 1.0
            a = a_[j] * c[10]
            if v >= c[7] + a and ref <= 0:
                v = c[8]
                ref = c[9]
                a = a + c[11]
                ns = _emit(off + j, sl, ns)
            v_[j] = v
            ref_[j] = ref
            a_[j] = a
            ie_[j] *= c[5]
            ii_[j] *= c[6]
    elif model == 1 or model == 5:            # conductance LIF (exponential Euler)
        ri = 5 if model == 5 else 3           # alpha: (v, g_e, g_i, x_e, x_i, ref)
        v_, ge_, gi_, ref_ = S[0, b, lo:hi], S[1, b, lo:hi], S[2, b, lo:hi], S[ri, b, lo:hi]
        r = c[1]
        for j in range(n):
            v, ge, gi, ref = v_[j], ge_[j], gi_[j], ref_[j]
            g_tot = 1.0 + r * (ge + gi)
            v_inf = (c[0] + r * (ge * c[2] + gi * c[3] + ir[j])) / g_tot
            if ref <= 0:
                v = v_inf + (v - v_inf) * math.exp(-c[4] * g_tot)
            else:
                ref = ref - 1.0
            if v >= c[7] and ref <= 0:
                v = c[8]
                ref = c[9]
                ns = _emit(off + j, sl, ns)
            v_[j] = v
            ref_[j] = ref
            ge_[j] = ge * c[5]
            gi_[j] = gi * c[6]
        if model == 5:                        # alpha conductances: g += k x; x decays
            xe_, xi_ = S[3, b, lo:hi], S[4, b, lo:hi]
            for j in range(n):
                ge_[j] = ge_[j] + c[10] * xe_[j]
                gi_[j] = gi_[j] + c[11] * xi_[j]
                xe_[j] *= c[5]
                xi_[j] *= c[6]
    elif model == 3:                          # Izhikevich (Euler)
        v_, u_, ie_, ii_ = S[0, b, lo:hi], S[1, b, lo:hi], S[2, b, lo:hi], S[3, b, lo:hi]
        dt = c[0]
        for j in range(n):
            v, u = v_[j], u_[j]
            v_new = v + dt * (c[1] * v * v + c[2] * v + c[3] - u + ir[j] + ie_[j] + ii_[j])
            u_new = u + dt * (c[4] * (c[5] * v - u))
            if v_new >= c[8]:
                v_new = c[6]
                u_new = u_new + c[7]
                ns = _emit(off + j, sl, ns)
            v_[j] = v_new
            u_[j] = u_new
            ie_[j] *= c[9]
            ii_[j] *= c[10]
    else:                                     # AdEx (Euler)
        v_, w_, ie_ = S[0, b, lo:hi], S[1, b, lo:hi], S[2, b, lo:hi]
        ii_, ref_ = S[3, b, lo:hi], S[4, b, lo:hi]
        dt = c[0]
        for j in range(n):
            v, w, ref = v_[j], w_[j], ref_[j]
            dv = (-c[1] * (v - c[2]) + c[1] * c[3] * math.exp((v - c[4]) / c[3]) - w
                  + ir[j] + ie_[j] + ii_[j]) / c[5]
            w_new = w + dt * ((c[6] * (v - c[2]) - w) / c[7])
            if ref <= 0:
                v = v + dt * dv
            else:
                ref = ref - 1.0
            if v >= c[10] and ref <= 0:
                v = c[9]
                w_new = w_new + c[8]
                ref = c[11]
                ns = _emit(off + j, sl, ns)
            v_[j] = v
            w_[j] = w_new
            ref_[j] = ref
            ie_[j] *= c[12]
            ii_[j] *= c[13]
    return ns


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _run(start, k, S, g_model, g_coef, g_off, g_n, g_cur, cur_const, cur_tv,
         in_off, in_n, in_spk, p_pre, p_npre, p_post, p_var, p_ptr, p_delayed,
         indptr, indices, weights, delays, buf, buf_vars, g_rec, rec_step, rec_b, rec_i,
         rec_g, n_rec, counts, events, m_var, m_every, m_idx_ptr, m_idx, m_out_ptr, m_count,
         m_out, n_neuron):
    B = S.shape[1]
    G, GI = g_model.shape[0], in_off.shape[0]
    D = buf.shape[0]
    cap = rec_step.shape[0]
    zeros = np.zeros(S.shape[2])
    sl = np.empty(n_neuron + in_spk.shape[2], dtype=np.int64)   # spiking global indices
    gstart = np.zeros(G + GI + 1, dtype=np.int64)              # per-group ranges in sl
    max_rec = 0
    for g in range(G + GI):
        if g_rec[g]:
            max_rec += (g_n[g] if g < G else in_n[g - G]) * B
    for s in range(k):
        step = start + s
        if n_rec[0] + max_rec > cap:
            return s
        for m in range(m_var.shape[0]):                        # state monitors
            if step % m_every[m] == 0:
                nidx = m_idx_ptr[m + 1] - m_idx_ptr[m]
                base = m_out_ptr[m] + m_count[m] * B * nidx
                for b in range(B):
                    for q in range(nidx):
                        m_out[base + b * nidx + q] = S[m_var[m], b, m_idx[m_idx_ptr[m] + q]]
                m_count[m] += 1
        for b in range(B):
            ns = 0
            for g in range(G):                                 # neuron groups
                gstart[g] = ns
                kind = g_cur[g]
                irow = zeros if kind == 0 else (cur_const if kind == 1 else cur_tv[s, b])
                ns = _update_group(g_model[g], g_coef[g], S, g_off[g], g_n[g], b, irow, sl,
                                   ns)
            for g in range(GI):                                # input groups
                gstart[G + g] = ns
                for q in range(in_n[g]):
                    if in_spk[s, b, in_off[g] + q]:
                        sl[ns] = n_neuron + in_off[g] + q
                        ns += 1
            gstart[G + GI] = ns
            for p in range(p_pre.shape[0]):                    # synapses (event-driven)
                var, row0, pre, post = p_var[p], p_ptr[p], p_pre[p], p_post[p]
                for t in range(ns):
                    i = sl[t] - pre
                    if i < 0 or i >= p_npre[p]:
                        continue
                    lo, hi = indptr[row0 + i], indptr[row0 + i + 1]
                    events[p] += hi - lo
                    if p_delayed[p]:
                        for q in range(lo, hi):
                            d = delays[q]
                            if d == 0:
                                S[var, b, post + indices[q]] += weights[q]
                            else:
                                buf[(step + d) % D, var, b, post + indices[q]] += weights[q]
                    else:
                        row = S[var, b, post:]
                        for q in range(lo, hi):
                            row[indices[q]] += weights[q]
            if D > 1:
                slot = step % D
                for var in buf_vars:
                    for j in range(n_neuron):
                        S[var, b, j] += buf[slot, var, b, j]
                        buf[slot, var, b, j] = 0.0
            for g in range(G + GI):                            # counts and records
                counts[s, b, g] = gstart[g + 1] - gstart[g]
        # records in (step, batch, neuron) order: a second pass over copies is not needed
        # when B == 1; for B > 1 spikes of copy b were appended in copy order above
            for g in range(G + GI):
                if g_rec[g]:
                    off = g_off[g] if g < G else n_neuron + in_off[g - G]
                    for t in range(gstart[g], gstart[g + 1]):
                        r = n_rec[0]
                        rec_step[r] = step
                        rec_b[r] = b
                        rec_i[r] = sl[t] - off
                        rec_g[r] = g
                        n_rec[0] = r + 1
    return k


class NumbaRunner:
    """Holds the flattened network and calls the compiled chunk kernel.

    ``kernel`` (default :func:`_run`) is what :meth:`run_chunk` calls with ``_run``'s
    arguments; :mod:`neurosim.plasticity.compiled` replaces it to add plasticity.
    """

    kernel = staticmethod(_run)

    def __init__(self, plan: Any, state: dict[str, dict[str, np.ndarray]]) -> None:
        if plan.dtype != np.float64:
            raise ValueError("numba backend supports dtype='float64' only")
        self.plan = plan
        B = plan.batch
        ng, ig = plan.neuron_groups, plan.input_groups
        self.V = max([len(g.state_vars) for g in ng] + [1])
        self.g_off = np.cumsum([0] + [g.n for g in ng])[:-1].astype(np.int64)
        self.g_n = np.array([g.n for g in ng], dtype=np.int64)
        self.n_neuron = int(sum(g.n for g in ng))
        self.in_off = np.cumsum([0] + [g.n for g in ig])[:-1].astype(np.int64)
        self.in_n = np.array([g.n for g in ig], dtype=np.int64)
        self.n_in = int(sum(g.n for g in ig))
        coefs = [model_coefficients(g.params, plan.dt) for g in ng]
        self.g_model = np.array([m for m, _ in coefs], dtype=np.int64)
        self.g_coef = np.array([c for _, c in coefs]).reshape(len(ng), N_COEF)
        self.S = np.zeros((self.V, B, max(self.n_neuron, 1)))
        for g, off in zip(ng, self.g_off):
            for v, name in enumerate(g.state_vars):
                self.S[v, :, off:off + g.n] = state[g.name][name]
        glob = {g.name: int(o) for g, o in zip(ng, self.g_off)}
        glob.update({g.name: self.n_neuron + int(o) for g, o in zip(ig, self.in_off)})
        self.group_index = {g.name: k for k, g in enumerate([*ng, *ig])}
        syns = plan.synapses
        self.p_pre = np.array([glob[s.pre.name] for s in syns], dtype=np.int64)
        self.p_npre = np.array([s.n_pre for s in syns], dtype=np.int64)
        self.p_post = np.array([glob[s.post.name] for s in syns], dtype=np.int64)
        self.p_var = np.array([s.post.state_vars.index(s.target_var) for s in syns],
                              dtype=np.int64)
        self.p_ptr = np.cumsum([0] + [s.n_pre + 1 for s in syns])[:-1].astype(np.int64)
        syn_off = np.cumsum([0] + [s.n_syn for s in syns])[:-1]
        self.indptr = np.concatenate([s.indptr + o for s, o in zip(syns, syn_off)]
                                     or [np.zeros(1)]).astype(np.int64)
        # unsigned indices: numba then skips negative-index wraparound checks
        self.indices = np.concatenate([s.indices for s in syns] or [np.zeros(0)]
                                      ).astype(np.uint32)
        self.weights = np.concatenate([s.weights for s in syns] or [np.zeros(0)])
        # per-synapse delays (int32) only when some projection is delayed
        if any(plan.max_delay(s) > 0 for s in syns):
            self.delays = np.concatenate([np.broadcast_to(plan.delay_steps[s.name], s.n_syn)
                                          for s in syns]).astype(np.int32)
        else:
            self.delays = np.zeros(1, dtype=np.int32)
        max_d = [plan.max_delay(s) for s in syns]
        self.p_delayed = np.array([d > 0 for d in max_d], dtype=np.bool_)
        self.D = max(max_d + [0]) + 1
        self.buf_vars = np.unique(self.p_var[self.p_delayed]).astype(np.int64)
        self.delayed_syns = [s for s, d in zip(syns, max_d) if d > 0]
        self.buf = np.zeros((self.D, self.V, B, max(self.n_neuron, 1)) if self.D > 1
                            else (1, 1, 1, 1))
        # per-projection buffers (portable format: slot = step % d) -> shared buffer
        self._step = plan.start_step
        for s in self.delayed_syns:
            sb = state[f"syn:{s.name}"]["buffer"]
            v = self.p_var[syns.index(s)]
            off = glob[s.post.name]
            d = sb.shape[0]
            for ahead in range(d):
                self.buf[(self._step + ahead) % self.D, v, :, off:off + s.post.n] += \
                    sb[(self._step + ahead) % d]
        self.g_rec = np.zeros(len(ng) + len(ig), dtype=np.bool_)
        for name in plan.spike_record:
            self.g_rec[self.group_index[name]] = True
        mons = plan.state_monitors
        self.m_var = np.array([m.group.state_vars.index(v) for m in mons for v in m.variables],
                              dtype=np.int64)
        self.m_every = np.array([m.every for m in mons for _ in m.variables], dtype=np.int64)
        idx = [glob[m.group.name] + m.indices for m in mons for _ in m.variables]
        self.m_idx_ptr = np.cumsum([0] + [i.size for i in idx]).astype(np.int64)
        self.m_idx = np.concatenate(idx or [np.zeros(0)]).astype(np.int64)
        self.cap = 1 << 16
        self._alloc_rec()

    def _alloc_rec(self) -> None:
        self.rec = [np.zeros(self.cap, dtype=np.int64) for _ in range(4)]

    def nonfinite_group(self) -> str | None:
        """Name of the first neuron group whose state holds NaN or inf, else None."""
        if np.isfinite(self.S).all():
            return None
        for g, off in zip(self.plan.neuron_groups, self.g_off):
            if not np.isfinite(self.S[:, :, off:off + g.n]).all():
                return g.name
        return None

    def get_state(self) -> dict[str, dict[str, np.ndarray]]:
        plan = self.plan
        out = {g.name: {v: self.S[k, :, off:off + g.n].copy()
                        for k, v in enumerate(g.state_vars)}
               for g, off in zip(plan.neuron_groups, self.g_off)}
        # the shared ring buffer of a (target group, variable) is stored under the delayed
        # projection with the longest delay onto it; the others get zeros (only the sum of
        # pending input matters)
        owner: dict[tuple[str, int], Any] = {}
        for s in self.delayed_syns:
            key = (s.post.name, int(self.p_var[plan.synapses.index(s)]))
            if key not in owner or plan.max_delay(s) > plan.max_delay(owner[key]):
                owner[key] = s
        for s in self.delayed_syns:
            v = self.p_var[plan.synapses.index(s)]
            off = self.p_post[plan.synapses.index(s)]
            d = plan.max_delay(s) + 1
            if owner[(s.post.name, int(v))] is not s:
                out[f"syn:{s.name}"] = {"buffer": np.zeros((d, plan.batch, s.post.n))}
                continue
            full = self.buf[:, v, :, off:off + s.post.n]
            # rotate so that slot indices keep their meaning (step % d) for this projection
            out[f"syn:{s.name}"] = {"buffer": self._fold(full, d)}
        return out

    def _fold(self, full: np.ndarray, d: int) -> np.ndarray:
        """Map the shared buffer (``D`` slots, index ``step % D``) to ``d`` slots
        (index ``step % d``); only the next ``d - 1`` steps can hold pending input."""
        D = full.shape[0]
        if D == d:
            return full.copy()
        out = np.zeros((d,) + full.shape[1:])
        now = self._step
        for ahead in range(D):
            out[(now + ahead) % d] += full[(now + ahead) % D]
        return out

    def run_chunk(self, start: int, k: int, inputs: dict[str, np.ndarray],
                  currents: dict[str, Any]) -> ChunkOut:
        plan = self.plan
        B = plan.batch
        self._step = start + k
        in_spk = np.zeros((k, B, max(self.n_in, 1)), dtype=np.bool_)
        for g, off in zip(plan.input_groups, self.in_off):
            in_spk[:, :, off:off + g.n] = inputs[g.name]
        g_cur = np.zeros(len(plan.neuron_groups), dtype=np.int64)
        cur_const = np.zeros(max(self.n_neuron, 1))
        tv = any(c is not None and np.ndim(c) == 3 for c in currents.values())
        cur_tv = np.zeros((k, B, self.n_neuron) if tv else (1, 1, 1))
        for gi, (g, off) in enumerate(zip(plan.neuron_groups, self.g_off)):
            c = currents[g.name]
            if c is None:
                continue
            if np.ndim(c) == 3:
                g_cur[gi] = 2
                cur_tv[:, :, off:off + g.n] = c
            else:
                g_cur[gi] = 1
                cur_const[off:off + g.n] = c
        counts = np.zeros((k, B, len(self.g_rec)), dtype=np.int64)
        events = np.zeros(len(plan.synapses), dtype=np.int64)
        mons = plan.state_monitors
        n_rec_m = [len(range(-(-start // m.every) * m.every, start + k, m.every))
                   for m in mons for _ in m.variables]
        sizes = [r * B * (self.m_idx_ptr[q + 1] - self.m_idx_ptr[q])
                 for q, r in enumerate(n_rec_m)]
        m_out_ptr = np.cumsum([0] + sizes).astype(np.int64)
        m_out = np.zeros(int(m_out_ptr[-1]))
        m_count = np.zeros(len(sizes), dtype=np.int64)
        n_rec = np.zeros(1, dtype=np.int64)
        parts = []
        done = 0
        while done < k:
            s = self.kernel(start + done, k - done, self.S, self.g_model, self.g_coef,
                     self.g_off, self.g_n, g_cur, cur_const, cur_tv[done:] if tv else cur_tv,
                     self.in_off, self.in_n, in_spk[done:], self.p_pre, self.p_npre,
                     self.p_post, self.p_var, self.p_ptr, self.p_delayed, self.indptr,
                     self.indices, self.weights, self.delays, self.buf, self.buf_vars,
                     self.g_rec, *self.rec, n_rec, counts[done:], events, self.m_var,
                     self.m_every, self.m_idx_ptr, self.m_idx, m_out_ptr, m_count, m_out,
                     self.n_neuron)
            parts.append([r[:n_rec[0]].copy() for r in self.rec])
            n_rec[0] = 0
            done += s
            if s == 0 or done < k:
                self.cap *= 2
                self._alloc_rec()
        out = ChunkOut()
        groups = [*plan.neuron_groups, *plan.input_groups]
        for gi, g in enumerate(groups):
            out.counts[g.name] = counts[:, :, gi]
        rec = [np.concatenate([p[q] for p in parts]) for q in range(4)]
        for name in plan.spike_record:
            sel = rec[3] == self.group_index[name]
            out.spikes[name] = (rec[0][sel], rec[1][sel], rec[2][sel])
        out.events = {s.name: int(e) for s, e in zip(plan.synapses, events)}
        q = 0
        for m in mons:
            vals = {}
            for v in m.variables:
                nidx = m.indices.size
                vals[v] = m_out[m_out_ptr[q]:m_out_ptr[q + 1]].reshape(n_rec_m[q], B, nidx)
                q += 1
            steps = np.arange(-(-start // m.every) * m.every, start + k, m.every)
            out.states.append((steps, vals))
        return out


class NumbaBackend:
    """Compiled CPU backend (numba)."""

    name = "numba"

    def prepare(self, plan: Any, state: dict[str, dict[str, np.ndarray]]) -> NumbaRunner:
        return NumbaRunner(plan, state)
