"""Compiled (numba) path for plastic networks: pair STDP inside the numba chunk loop.

Used by :func:`neurosim.plasticity.engine.prepare_plastic` for ``backend="numba"`` when every
attached rule is :class:`~neurosim.plasticity.rules.STDP` (pair-based) and ``batch_size``
is 1 (other cases take the array path). The numba backend's chunk kernel
(:func:`neurosim.backends.numba_kernels._run`, so neuron updates and spike delivery are
exactly the engine's) is given the plastic projections' arrays (its argument ``pl``) and
applies the pair rule after each step, event-driven
(:func:`neurosim.backends.numba_kernels._plastic`): traces decay every step; a presynaptic
spike walks its CSR row (depression), a postsynaptic spike walks its column (potentiation,
via a precomputed column index). The arithmetic is that of
:func:`neurosim.plasticity.stdp.pair_stdp_step` in the same operation order, so both paths
give identical weights (tested). One kernel (not a per-step call of the plain one) keeps the
compile time to one specialisation of ``_run``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neurosim.backends.numba_cpu import NumbaRunner

__all__ = ["PlasticNumbaRunner", "supports"]

_MODE = {"additive": 0, "multiplicative": 1}


def supports(plan: Any, plastic: list[Any]) -> bool:
    from neurosim.plasticity.rules import STDP

    return plan.batch == 1 and plan.dtype == np.float64 and all(
        type(s.plasticity) is STDP for s in plastic)


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

    def plastic_args(self) -> tuple:
        """The kernel's ``pl`` (see :func:`neurosim.backends.numba_kernels._plastic`)."""
        learn = bool(getattr(self.network, "learning", True))
        return (self.pl_coef, self.pl_mode, self.pl_pre_g, self.pl_post_g, self.pl_row0,
                self.syn_pre, self.pl_col_ptr, self.pl_col_off, self.col_syn, self.xpre,
                self.pl_xpre_off, self.xpost, self.pl_xpost_off, learn, self.bad)

    def kernel(self, *args: Any) -> int:
        done = NumbaRunner.kernel(*args)
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
