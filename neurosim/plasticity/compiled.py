"""Compiled (numba) path for plastic networks: pair STDP inside the numba chunk loop.

Used by :func:`neurosim.plasticity.engine.prepare_plastic` for ``backend="numba"`` when every
attached rule is :class:`~neurosim.plasticity.rules.STDP` (pair-based) and ``batch_size``
is 1 (other cases take the array path). Each step calls the numba backend's own one-step
kernel (:func:`neurosim.backends.numba_cpu._run`, so neuron updates and spike delivery are
exactly the engine's) and then applies the pair rule event-driven: traces decay every step;
a presynaptic spike walks its CSR row (depression), a postsynaptic spike walks its column
(potentiation, via a precomputed column index). The arithmetic is that of
:func:`neurosim.plasticity.stdp.pair_stdp_step` in the same operation order, so both paths
give identical weights (tested).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from neurosim.backends.numba_cpu import NumbaRunner, _run

__all__ = ["PlasticNumbaRunner", "supports"]

_MODE = {"additive": 0, "multiplicative": 1}


def supports(plan: Any, plastic: list[Any]) -> bool:
    from neurosim.plasticity.rules import STDP

    return plan.batch == 1 and plan.dtype == np.float64 and all(
        type(s.plasticity) is STDP for s in plastic)


@numba.njit(cache=True, nogil=True)
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


@numba.njit(cache=True, nogil=True)
def _stdp_step(r0, r1, coef, mult, nearest, pre_g, post_g, lo, hi, indptr, row0, indices,
               syn_pre, col_ptr, col_syn, w, xpre, xpost, rec_g, rec_i):
    """Pair STDP for one projection (synapses ``lo:hi`` of the concatenated arrays) and one
    step whose spikes are the records ``r0:r1``. ``xpre``/``xpost`` are this projection's
    trace views. Returns the first synapse with a non-finite weight, or -1."""
    dpre, dpost, a_plus, a_minus, w_min, w_max = (coef[0], coef[1], coef[2], coef[3],
                                                  coef[4], coef[5])
    xpre *= dpre
    xpost *= dpost
    bad = -1
    for r in range(r0, r1):                       # presynaptic spikes: depression
        if rec_g[r] != pre_g:
            continue
        i = rec_i[r]
        for q in range(indptr[row0 + i], indptr[row0 + i + 1]):
            f = (w[q] - w_min) if mult else 1.0
            w[q] = _clip(w[q] - a_minus * f * xpost[indices[q]], w_min, w_max)
            if not math.isfinite(w[q]):
                bad = q
        xpre[i] = 1.0 if nearest else xpre[i] + 1.0
    for r in range(r0, r1):                       # postsynaptic spikes: potentiation
        if rec_g[r] != post_g:
            continue
        j = rec_i[r]
        for c in range(col_ptr[j], col_ptr[j + 1]):
            q = col_syn[c]
            f = (w_max - w[q]) if mult else 1.0
            w[q] = _clip(w[q] + a_plus * f * xpre[syn_pre[q]], w_min, w_max)
            if not math.isfinite(w[q]):
                bad = q
        xpost[j] = 1.0 if nearest else xpost[j] + 1.0
    return bad


@numba.njit(cache=True, nogil=True)
def _run_plastic(start, k, S, g_model, g_coef, g_off, g_n, g_cur, cur_const, cur_tv,
                 in_off, in_n, in_spk, p_pre, p_npre, p_post, p_var, p_ptr, p_delayed,
                 indptr, indices, weights, delays, buf, buf_vars, g_rec, rec_step, rec_b,
                 rec_i, rec_g, n_rec, counts, events, m_var, m_every, m_idx_ptr, m_idx,
                 m_out_ptr, m_count, m_out, n_neuron,
                 pl_coef, pl_mode, pl_pre_g, pl_post_g, pl_lo, pl_hi, pl_row0, syn_pre,
                 pl_col_ptr, pl_col_off, col_syn, xpre, pl_xpre_off, xpost, pl_xpost_off,
                 learn, bad_out):
    """Steps ``start .. start+k-1`` one at a time through the engine's ``_run``, applying
    pair STDP after each. Returns the number of steps done (fewer when the spike record
    buffer is full, or when a weight became non-finite: then ``bad_out = [step, syn]``)."""
    for s in range(k):
        n0 = n_rec[0]
        ct = cur_tv[s:s + 1] if s < cur_tv.shape[0] else cur_tv[0:1]  # unused if constant
        done = _run(start + s, 1, S, g_model, g_coef, g_off, g_n, g_cur, cur_const, ct,
                    in_off, in_n, in_spk[s:s + 1], p_pre, p_npre, p_post, p_var, p_ptr,
                    p_delayed, indptr, indices, weights, delays, buf, buf_vars, g_rec,
                    rec_step, rec_b, rec_i, rec_g, n_rec, counts[s:s + 1], events, m_var,
                    m_every, m_idx_ptr, m_idx, m_out_ptr, m_count, m_out, n_neuron)
        if done == 0:
            return s
        if not learn:
            continue
        for p in range(pl_lo.shape[0]):
            n_pre = pl_xpre_off[p + 1] - pl_xpre_off[p]
            n_post = pl_xpost_off[p + 1] - pl_xpost_off[p]
            c0 = pl_col_off[p]
            bad = _stdp_step(n0, n_rec[0], pl_coef[p], pl_mode[p, 0] == 1,
                             pl_mode[p, 1] == 1, pl_pre_g[p], pl_post_g[p], pl_lo[p],
                             pl_hi[p], indptr, pl_row0[p], indices, syn_pre,
                             pl_col_ptr[c0:c0 + n_post + 1], col_syn, weights,
                             xpre[pl_xpre_off[p]:pl_xpre_off[p] + n_pre],
                             xpost[pl_xpost_off[p]:pl_xpost_off[p] + n_post], rec_g, rec_i)
            if bad >= 0:
                bad_out[0] = start + s
                bad_out[1] = bad
                return s + 1
    return k


class PlasticNumbaRunner(NumbaRunner):
    """:class:`~neurosim.backends.numba_cpu.NumbaRunner` whose kernel also runs pair STDP
    on the plastic projections (``batch == 1``; see :func:`supports`)."""

    def __init__(self, plan: Any, state: dict[str, dict[str, np.ndarray]],
                 plastic: list[Any], network: Any = None) -> None:
        super().__init__(plan, state)
        self.network, self.plastic = network, plastic
        syns = plan.synapses
        syn_off = np.cumsum([0] + [s.n_syn for s in syns])
        P = len(plastic)
        self.pl_coef = np.zeros((P, 6))
        self.pl_mode = np.zeros((P, 2), dtype=np.int64)
        self.pl_pre_g = np.array([self.group_index[s.pre.name] for s in plastic],
                                 dtype=np.int64)
        self.pl_post_g = np.array([self.group_index[s.post.name] for s in plastic],
                                  dtype=np.int64)
        pidx = [syns.index(s) for s in plastic]
        self.pl_lo = syn_off[pidx].astype(np.int64)
        self.pl_hi = (syn_off[pidx] + [s.n_syn for s in plastic]).astype(np.int64)
        self.pl_row0 = self.p_ptr[pidx].astype(np.int64)
        self.syn_pre = np.concatenate(
            [np.repeat(np.arange(s.n_pre), s.row_lengths()) for s in syns]
            or [np.zeros(0)]).astype(np.int64)
        col_ptrs, col_syn, col_off = [], [], [0]
        for s, lo in zip(plastic, self.pl_lo):
            order = np.argsort(s.indices, kind="stable")
            base = sum(len(c) for c in col_syn)
            counts = np.bincount(s.indices, minlength=s.post.n)
            col_ptrs.append(base + np.concatenate([[0], np.cumsum(counts)]))
            col_syn.append(lo + order)
            col_off.append(col_off[-1] + s.post.n + 1)
        self.pl_col_ptr = np.concatenate(col_ptrs or [np.zeros(0)]).astype(np.int64)
        self.pl_col_off = np.array(col_off, dtype=np.int64)
        self.col_syn = np.concatenate(col_syn or [np.zeros(0)]).astype(np.int64)
        self.pl_xpre_off = np.cumsum([0] + [s.n_pre for s in plastic]).astype(np.int64)
        self.pl_xpost_off = np.cumsum([0] + [s.post.n for s in plastic]).astype(np.int64)
        self.xpre = np.zeros(int(self.pl_xpre_off[-1]))
        self.xpost = np.zeros(int(self.pl_xpost_off[-1]))
        for p, s in enumerate(plastic):
            prm = s.plasticity.params
            self.pl_coef[p] = (math.exp(-plan.dt / prm.tau_pre),
                               math.exp(-plan.dt / prm.tau_post), prm.a_plus, prm.a_minus,
                               prm.w_min, prm.w_max)
            self.pl_mode[p] = (_MODE[prm.weight_dependence], int(prm.pairing == "nearest"))
            self.g_rec[self.pl_pre_g[p]] = True
            self.g_rec[self.pl_post_g[p]] = True
            saved = state.get(f"plastic:{s.name}")
            sl = slice(self.pl_lo[p], self.pl_hi[p])
            if saved is not None:
                self.weights[sl] = saved["w"][0]
                self.xpre[self.pl_xpre_off[p]:self.pl_xpre_off[p + 1]] = saved["x_pre"][0]
                self.xpost[self.pl_xpost_off[p]:self.pl_xpost_off[p + 1]] = saved["x_post"][0]
        self.bad = np.full(2, -1, dtype=np.int64)
        self.kernel = self._plastic_kernel

    def _plastic_kernel(self, *args: Any) -> int:
        learn = bool(getattr(self.network, "learning", True))
        done = _run_plastic(*args, self.pl_coef, self.pl_mode, self.pl_pre_g,
                            self.pl_post_g, self.pl_lo, self.pl_hi, self.pl_row0,
                            self.syn_pre, self.pl_col_ptr, self.pl_col_off, self.col_syn,
                            self.xpre, self.pl_xpre_off, self.xpost, self.pl_xpost_off,
                            learn, self.bad)
        if self.bad[0] >= 0:
            step, q = int(self.bad[0]), int(self.bad[1])
            name = next(s.name for s, lo, hi in zip(self.plastic, self.pl_lo, self.pl_hi)
                        if lo <= q < hi)
            self.bad[:] = -1
            raise FloatingPointError(
                f"plasticity rule STDP on Synapses {name!r} produced NaN or inf weights at "
                f"step {step} (t = {step * self.plan.dt:.6g} s)")
        return done

    def _weights_of(self, p: int) -> np.ndarray:
        return self.weights[self.pl_lo[p]:self.pl_hi[p]]

    def get_state(self) -> dict[str, dict[str, np.ndarray]]:
        out = super().get_state()
        for p, s in enumerate(self.plastic):
            out[f"plastic:{s.name}"] = {
                "w": self._weights_of(p)[None].copy(),
                "x_pre": self.xpre[None, self.pl_xpre_off[p]:self.pl_xpre_off[p + 1]].copy(),
                "x_post": self.xpost[None,
                                     self.pl_xpost_off[p]:self.pl_xpost_off[p + 1]].copy()}
        return out

    def run_chunk(self, start: int, k: int, inputs: dict[str, np.ndarray],
                  currents: dict[str, Any]) -> Any:
        out = super().run_chunk(start, k, inputs, currents)
        from neurosim.plasticity.engine import count_plasticity_updates

        count_plasticity_updates(self.network, out, self.plastic)
        for p, s in enumerate(self.plastic):
            s.weights = self._weights_of(p).copy()
            s.batch_weights = s.weights[None].copy()
        return out
