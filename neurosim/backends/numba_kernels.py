"""Numba kernels of the compiled CPU backend: per-model neuron updates, pair STDP and the
chunk loop :func:`_run`.

Compile time is kept low (``benchmarks/cuba.py`` reports it: ``ours_first_call_s``) by compiling
only what a network uses. :func:`_run` takes one argument per neuron model and one per
optional part (delays, state monitors, plasticity) that is None where the network lacks it;
numba prunes ``if x is not None:`` blocks on None arguments before typing, so the *types*
of these arguments select a specialisation. Types, unlike literal values (``literally``),
keep the dispatch cheap and the specialisations cacheable (``cache=True``). Model updates
are inlined at numba-IR level (``inline="always"``): typed once, and their LLVM code
optimised once, inside ``_run`` (a call of a separately compiled function costs its own
compile plus a second optimisation after linking). The pair-STDP step is the exception:
compiled on its own it cost less than inlined (measured: the plastic kernel ~1 CPU s less).

All jitted code lives in this one file on purpose: numba's on-disk cache of a function is
invalidated only when *its own* source file changes, not when a callee in another file does.

The per-model branches repeat the arithmetic of the models' pure step functions
(``neurosim/neurons/*.py``) in the same operation order, so results equal the reference
backend (tested); the pair STDP step repeats
:func:`neurosim.plasticity.stdp.pair_stdp_step` (van Rossum et al. 2000; Song et al. 2000).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_JIT = dict(cache=True, nogil=True, error_model="numpy")
_INLINE = dict(nogil=True, error_model="numpy", inline="always")


# ------------------------------------------------- a step barrier for one network's threads
# One network split over threads by neuron (:func:`_run`'s ``split``) meets once per step:
# each thread publishes how far it got (a release store into its own padded slot of
# ``arrive``) and waits for the others (acquire loads). numba has no atomics, so these are
# LLVM atomic load / store instructions: the loads cannot be hoisted out of the wait loop,
# and the spike lists written before the release store are visible after the acquire load
# (also on weakly ordered CPUs). A waiting thread yields its core after a short spin, so
# more threads than cores stay correct, only slower.
def _element_pointer(context, builder, aty, arr, idx):
    ary = context.make_array(aty)(context, builder, arr)
    return cgutils.get_item_pointer(context, builder, aty, ary, [idx])


@intrinsic
def _load_acquire(typingctx, arr, idx):
    """``arr[idx]`` (int64) as an atomic acquire load."""
    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], args[1])
        return builder.load_atomic(ptr, "acquire", 8)
    return types.int64(arr, idx), codegen


@intrinsic
def _store_release(typingctx, arr, idx, val):
    """``arr[idx] = val`` (int64) as an atomic release store."""
    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, sig.args[0], args[0], args[1])
        builder.store_atomic(args[2], ptr, "release", 8)
        return context.get_dummy_value()
    return types.void(arr, idx, val), codegen


@intrinsic
def _yield_core(typingctx):
    """``sched_yield()``: let another thread run on this core."""
    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module,
                                            ir.FunctionType(ir.IntType(32), []),
                                            "sched_yield")
        builder.call(fn, [])
        return context.get_dummy_value()
    return types.void(), codegen


#: threads' slots in ``arrive`` are this many int64 apart (one cache line each)
PAD = 8


@numba.njit(**_INLINE)
def _barrier(arrive, tid, nthr, value):
    """Publish that thread ``tid`` reached ``value`` and wait until every thread has."""
    _store_release(arrive, tid * PAD, value)
    for u in range(nthr):
        spins = 0
        while _load_acquire(arrive, u * PAD) < value:
            spins += 1
            if spins > 2000:
                _yield_core()


# ------------------------------------------------------------------- neuron model updates
# Each advances neurons ``off .. off+n`` of copy ``b`` by one step (input current
# ``irow[off:off+n]``) and appends the global indices of the neurons that spiked to ``sl``
# (from position ``ns``); returns the new ``ns``.
# Loops run over slice views with ``range(n)`` so that numba can drop negative-index checks.

@numba.njit(**_INLINE)
def _lif(c, S, off, n, b, irow, sl, ns):
    """LIF, exact integration; two passes with hoisted constants."""
    lo, hi = off, off + n
    ir = irow[lo:hi]
    v_, ie_, ii_, ref_ = S[0, b, lo:hi], S[1, b, lo:hi], S[2, b, lo:hi], S[3, b, lo:hi]
    c0, c1, c2, c3, c4, c5, c6 = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    c7, c8, c9 = c[7], c[8], c[9]
    for j in range(n):
        v, ref = v_[j], ref_[j]
        free = ref <= 0
        v_int = c0 + (v - c0) * c1 + c2 * ir[j] + c3 * ie_[j] + c4 * ii_[j]
        v_[j] = v_int if free else c8   # clamped at v_reset while refractory
        ref_[j] = ref if free else ref - 1.0
        ie_[j] *= c5
        ii_[j] *= c6
    for j in range(n):
        if v_[j] >= c7 and ref_[j] <= 0:
            v_[j] = c8
            ref_[j] = c9
            sl[ns] = off + j
            ns += 1
    return ns


@numba.njit(**_INLINE)
def _alif(c, S, off, n, b, irow, sl, ns):
    """Adaptive LIF, exact integration."""
    lo, hi = off, off + n
    ir = irow[lo:hi]
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
            sl[ns] = off + j
            ns += 1
        v_[j] = v
        ref_[j] = ref
        a_[j] = a
        ie_[j] *= c[5]
        ii_[j] *= c[6]
    return ns


@numba.njit(**_INLINE)
def _cond(alpha, c, S, off, n, b, irow, sl, ns):
    """Conductance LIF (exponential Euler); ``alpha``: alpha-shaped conductances with state
    ``(v, g_e, g_i, x_e, x_i, ref)`` (g += k x; x decays), else ``(v, g_e, g_i, ref)``."""
    lo, hi = off, off + n
    ir = irow[lo:hi]
    ri = 5 if alpha else 3
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
            sl[ns] = off + j
            ns += 1
        v_[j] = v
        ref_[j] = ref
        ge_[j] = ge * c[5]
        gi_[j] = gi * c[6]
    if alpha:
        xe_, xi_ = S[3, b, lo:hi], S[4, b, lo:hi]
        for j in range(n):
            ge_[j] = ge_[j] + c[10] * xe_[j]
            gi_[j] = gi_[j] + c[11] * xi_[j]
            xe_[j] *= c[5]
            xi_[j] *= c[6]
    return ns


@numba.njit(**_INLINE)
def _cond_exp(c, S, off, n, b, irow, sl, ns):
    """Conductance LIF, exponential synapses."""
    return _cond(False, c, S, off, n, b, irow, sl, ns)


@numba.njit(**_INLINE)
def _cond_alpha(c, S, off, n, b, irow, sl, ns):
    """Conductance LIF, alpha synapses."""
    return _cond(True, c, S, off, n, b, irow, sl, ns)


@numba.njit(**_INLINE)
def _izh(c, S, off, n, b, irow, sl, ns):
    """Izhikevich (Euler)."""
    lo, hi = off, off + n
    ir = irow[lo:hi]
    v_, u_, ie_, ii_ = S[0, b, lo:hi], S[1, b, lo:hi], S[2, b, lo:hi], S[3, b, lo:hi]
    dt = c[0]
    for j in range(n):
        v, u = v_[j], u_[j]
        v_new = v + dt * (c[1] * v * v + c[2] * v + c[3] - u + ir[j] + ie_[j] + ii_[j])
        u_new = u + dt * (c[4] * (c[5] * v - u))
        if v_new >= c[8]:
            v_new = c[6]
            u_new = u_new + c[7]
            sl[ns] = off + j
            ns += 1
        v_[j] = v_new
        u_[j] = u_new
        ie_[j] *= c[9]
        ii_[j] *= c[10]
    return ns


@numba.njit(**_INLINE)
def _adex(c, S, off, n, b, irow, sl, ns):
    """AdEx (Euler)."""
    lo, hi = off, off + n
    ir = irow[lo:hi]
    v_, w_, ie_ = S[0, b, lo:hi], S[1, b, lo:hi], S[2, b, lo:hi]
    ii_, ref_ = S[3, b, lo:hi], S[4, b, lo:hi]
    dt = c[0]
    for j in range(n):
        v, w, ref = v_[j], w_[j], ref_[j]
        if ref > 0:          # clamped at v_reset while refractory (jumps discarded)
            v = c[9]
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
            sl[ns] = off + j
            ns += 1
        v_[j] = v
        w_[j] = w_new
        ref_[j] = ref
        ie_[j] *= c[12]
        ii_[j] *= c[13]
    return ns


@numba.njit(**_INLINE)
def _qif(c, S, off, n, b, irow, sl, ns):
    """Quadratic integrate-and-fire (Euler); :func:`neurosim.neurons.qif.qif_step`."""
    lo, hi = off, off + n
    ir = irow[lo:hi]
    v_, ie_, ii_, ref_ = S[0, b, lo:hi], S[1, b, lo:hi], S[2, b, lo:hi], S[3, b, lo:hi]
    dt = c[0]
    for j in range(n):
        v, ref = v_[j], ref_[j]
        dv = (c[1] * (v - c[2]) * (v - c[3]) + c[4] * (ir[j] + ie_[j] + ii_[j])) / c[5]
        if ref <= 0:
            v = v + dt * dv
        else:
            ref = ref - 1.0
        if v >= c[6] and ref <= 0:
            v = c[7]
            ref = c[8]
            sl[ns] = off + j
            ns += 1
        v_[j] = v
        ref_[j] = ref
        ie_[j] *= c[9]
        ii_[j] *= c[10]
    return ns


@numba.njit(**_INLINE)
def _cond_theta(c, S, off, n, b, irow, sl, ns):
    """Conductance LIF with adaptive threshold ``theta`` (state ``(v, g_e, g_i, ref,
    theta)``); :func:`neurosim.neurons.lif_theta.lif_cond_theta_step`, same order."""
    lo, hi = off, off + n
    ir = irow[lo:hi]
    v_, ge_, gi_, ref_ = S[0, b, lo:hi], S[1, b, lo:hi], S[2, b, lo:hi], S[3, b, lo:hi]
    th_ = S[4, b, lo:hi]
    r = c[1]
    for j in range(n):
        v, ge, gi, ref, th = v_[j], ge_[j], gi_[j], ref_[j], th_[j]
        g_tot = 1.0 + r * ge + r * gi
        v_inf = (c[0] + r * ge * c[2] + r * gi * c[3] + r * ir[j]) / g_tot
        if ref <= 0:
            if v != v_inf:   # at v_inf (a neuron at rest) the update is v_inf: skip exp
                v = v_inf + (v - v_inf) * math.exp(-c[4] * g_tot)
        else:
            ref = ref - 1.0
        spk = v > c[7] + th and ref <= 0
        th = th * c[10]
        if spk:
            v = c[8]
            ref = c[9]
            th = th + c[11]
            sl[ns] = off + j
            ns += 1
        v_[j] = v
        ref_[j] = ref
        th_[j] = th
        ge_[j] = ge * c[5]
        gi_[j] = gi * c[6]
    return ns


# ------------------------------------------------------------------------------ pair STDP
@numba.njit(**_INLINE)
def _overlap(a, b, lo, hi):
    """``(start, stop)`` of ``range(a, b)`` within ``range(lo, hi)`` (``stop == start``
    when they do not meet); written out, as :func:`_clip`."""
    s = a if a > lo else lo
    e = b if b < hi else hi
    return s, (e if e > s else s)


@numba.njit(**_INLINE)
def _segment(split, p, row, lo, hi):
    """Synapses ``lo .. hi-1`` of CSR row ``row`` of projection ``p``, narrowed to thread
    ``split[0]``'s part when the projection's rows are sorted by target (``split``: see
    :func:`_run`); unsorted rows stay whole (the caller skips other threads' targets)."""
    if split[9][p]:
        return split[8][row, split[0]], split[8][row, split[0] + 1]
    return lo, hi


@numba.njit(**_INLINE)
def _clip(x, lo, hi):
    """``min(max(x, lo), hi)`` exactly as numba's min/max (a NaN ``x`` stays NaN), written
    out: the builtins' overloads would be compiled separately."""
    m = lo if lo > x else x
    return hi if hi < m else m


@numba.njit(nogil=True, error_model="numpy")    # not inlined: see the module docstring
def _stdp_step(r0, r1, coef, mult, nearest, pre_g, post_g, indptr, row0, indices,
               col_pre, col_ptr, col_syn, w, xpre, xpost, rec_g, rec_i):
    """Pair STDP for one projection and one step whose spikes are the records ``r0:r1``.
    ``xpre``/``xpost`` are this projection's trace views; ``col_ptr``/``col_syn`` its
    column index (postsynaptic neuron -> synapses). Returns the first synapse with a
    non-finite weight, or -1."""
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
            w[q] = _clip(w[q] + a_plus * f * xpre[col_pre[c]], w_min, w_max)
            if not math.isfinite(w[q]):
                bad = q
        xpost[j] = 1.0 if nearest else xpost[j] + 1.0
    return bad


@numba.njit(**_INLINE)
def _triplet_step(r0, r1, coef, nearest, full, pre_g, post_g, indptr, row0, indices, col_pre,
                  col_ptr, c0, col_syn, w, xpre, xpre2, a, n_pre, xpost, xpost2, z, n_post,
                  rec_g, rec_i):
    """Triplet STDP (additive) for one projection and one step whose spikes are the records
    ``r0:r1``; :func:`neurosim.plasticity.stdp.triplet_stdp_step` in the same operation
    order, event-driven. ``coef``: decays of ``r1, o1, r2, o2``, ``A2+, A3+, A2-, A3-,
    w_min, w_max``; the traces are ``r1 = xpre[a:a+n_pre]``, ``r2 = xpre2[...]`` (pre),
    ``o1 = xpost[z:z+n_post]``, ``o2 = xpost2[...]`` (post), the column index
    ``col_ptr[c0:]`` (indexed with offsets: no views made per step); ``full``: every row
    targets ``0 .. len - 1`` in order (depression without the index gather). Returns the
    first synapse with a non-finite weight, or -1."""
    a2p, a3p, a2m, a3m, w_min, w_max = coef[4], coef[5], coef[6], coef[7], coef[8], coef[9]
    d_r1, d_r2, d_o1, d_o2 = coef[0], coef[2], coef[1], coef[3]
    for i in range(a, a + n_pre):
        xpre[i] *= d_r1
        xpre2[i] *= d_r2
    for j in range(z, z + n_post):
        xpost[j] *= d_o1
        xpost2[j] *= d_o2
    bad = -1
    for r in range(r0, r1):                       # presynaptic spikes: depression
        if rec_g[r] != pre_g:
            continue
        i = rec_i[r]
        amp = a2m + a3m * xpre2[a + i]            # r2 before its own jump
        lo, hi = indptr[row0 + i], indptr[row0 + i + 1]
        if full:                                  # contiguous: vectorises
            tot = 0.0
            for q in range(hi - lo):
                x = _clip(w[lo + q] - amp * xpost[z + q], w_min, w_max)
                w[lo + q] = x
                tot += x
            if not math.isfinite(tot):            # NaN / inf reach the sum
                for q in range(lo, hi):
                    if not math.isfinite(w[q]):
                        bad = q
            continue
        for q in range(lo, hi):
            w[q] = _clip(w[q] - amp * xpost[z + indices[q]], w_min, w_max)
            if not math.isfinite(w[q]):
                bad = q
    for r in range(r0, r1):                       # all pre jumps before potentiation
        if rec_g[r] != pre_g:
            continue
        i = a + rec_i[r]
        xpre[i] = 1.0 if nearest else xpre[i] + 1.0
        xpre2[i] = 1.0 if nearest else xpre2[i] + 1.0
    for r in range(r0, r1):                       # postsynaptic spikes: potentiation
        if rec_g[r] != post_g:
            continue
        j = rec_i[r]
        amp = a2p + a3p * xpost2[z + j]           # o2 before its own jump
        for c in range(col_ptr[c0 + j], col_ptr[c0 + j + 1]):
            q = col_syn[c]
            w[q] = _clip(w[q] + amp * xpre[a + col_pre[c]], w_min, w_max)
            if not math.isfinite(w[q]):
                bad = q
    for r in range(r0, r1):
        if rec_g[r] != post_g:
            continue
        j = z + rec_i[r]
        xpost[j] = 1.0 if nearest else xpost[j] + 1.0
        xpost2[j] = 1.0 if nearest else xpost2[j] + 1.0
    return bad


@numba.njit(**_INLINE)
def _plastic(pl, step, r0, r1, indptr, indices, weights, rec_g, rec_i):
    """Pair or triplet STDP after step ``step`` whose spikes are the records ``r0:r1``.
    ``pl`` holds, for ``P`` plastic projections: ``coef (P, 10)`` (pair: pre/post trace
    decay, A+, A-, w_min, w_max; triplet: see :func:`_triplet_step`), ``mode (P, 4)``
    (multiplicative, nearest, triplet, full rows), ``pre_g, post_g, row0 (P,)`` (group
    ids, first CSR row), ``col_pre`` (presynaptic index of each column entry),
    ``col_ptr, col_off, col_syn`` (column index), ``xpre, xpre_off, xpost, xpost_off``
    (traces; triplet: ``r1``, ``o1``),
    ``xpre2, xpost2`` (triplet: ``r2``, ``o2``; same offsets), ``learn`` (bool) and
    ``bad_out (2,)``. Returns True (and sets ``bad_out = [step, synapse]``) when a weight
    became non-finite."""
    (coef, mode, pre_g, post_g, row0, col_pre, col_ptr, col_off, col_syn, xpre,
     xpre_off, xpost, xpost_off, xpre2, xpost2, learn, bad_out) = pl
    if not learn:
        return False
    for p in range(pre_g.shape[0]):
        n_pre = xpre_off[p + 1] - xpre_off[p]
        n_post = xpost_off[p + 1] - xpost_off[p]
        c0 = col_off[p]
        a, z = xpre_off[p], xpost_off[p]
        if mode[p, 2] == 1:
            bad = _triplet_step(r0, r1, coef[p], mode[p, 1] == 1, mode[p, 3] == 1, pre_g[p],
                                post_g[p], indptr, row0[p], indices, col_pre, col_ptr, c0,
                                col_syn, weights, xpre, xpre2, a, n_pre, xpost, xpost2, z,
                                n_post, rec_g, rec_i)
        else:
            bad = _stdp_step(r0, r1, coef[p], mode[p, 0] == 1, mode[p, 1] == 1, pre_g[p],
                             post_g[p], indptr, row0[p], indices, col_pre,
                             col_ptr[c0:c0 + n_post + 1], col_syn, weights,
                             xpre[a:a + n_pre], xpost[z:z + n_post], rec_g, rec_i)
        if bad >= 0:
            bad_out[0] = step
            bad_out[1] = bad
            return True
    return False


@numba.njit(nogil=True, error_model="numpy")    # not inlined, as _stdp_step
def _plastic_split(pl, step, indptr, indices, w, split):
    """Pair STDP after step ``step`` for thread ``tid`` of a network split by neuron
    (``split`` as in :func:`_run`, plus ``pre_off, post_off, proj`` (P,): the plastic
    projections' first global pre- and postsynaptic indices and their index among all
    projections): :func:`_stdp_step`'s arithmetic in the same order
    for every synapse onto this thread's neurons, so weights are identical for any thread
    count. Depression walks every thread's presynaptic spikes (this thread's segment of
    each row), potentiation this thread's postsynaptic spikes (their columns: all synapses
    onto them). Presynaptic traces are needed by every thread: each keeps its own copy of
    ``xpre`` (decayed and bumped identically); postsynaptic traces are updated by their
    owner. A non-finite weight does not stop the run (the threads could not agree on the
    step in time): the first one is stored in ``bad_out`` and reported after the chunk."""
    (coef, mode, pre_g, post_g, row0, col_pre, col_ptr, col_off, col_syn, xpre,
     xpre_off, xpost, xpost_off, xpre2, xpost2, learn, bad_out) = pl
    if not learn:
        return
    tid, nthr, lo_t, hi_t = split[0], split[1], split[2], split[3]
    lists, pre_off, post_off, proj = split[6], split[10], split[11], split[12]
    par = step % 2
    arrive = split[5]
    for p in range(pre_g.shape[0]):
        dpre, dpost, a_plus, a_minus, w_min, w_max = (coef[p, 0], coef[p, 1], coef[p, 2],
                                                      coef[p, 3], coef[p, 4], coef[p, 5])
        mult, nearest = mode[p, 0] == 1, mode[p, 1] == 1
        a, z = xpre_off[p], xpost_off[p]
        n_pre, n_post = xpre_off[p + 1] - a, xpost_off[p + 1] - z
        pre, post, r0 = pre_off[p], post_off[p], row0[p]
        ja, jb = _overlap(0, n_post, lo_t - post, hi_t - post)   # this thread's targets
        for i in range(a, a + n_pre):
            xpre[i] *= dpre
        for j in range(z + ja, z + jb):
            xpost[j] *= dpost
        c0 = col_off[p]
        for u in range(nthr):                     # presynaptic spikes: depression
            lu = lists[par, u]
            for t in range(arrive[u * PAD + 3 + par]):
                i = lu[t] - pre
                if i < 0 or i >= n_pre:
                    continue
                qa, qb = _segment(split, proj[p], r0 + i, indptr[r0 + i],
                                  indptr[r0 + i + 1])
                for q in range(qa, qb):
                    jl = indices[q]
                    if jl < ja or jl >= jb:
                        continue
                    f = (w[q] - w_min) if mult else 1.0
                    w[q] = _clip(w[q] - a_minus * f * xpost[z + jl], w_min, w_max)
                    if not math.isfinite(w[q]) and bad_out[0] < 0:
                        bad_out[0] = step
                        bad_out[1] = q
                xpre[a + i] = 1.0 if nearest else xpre[a + i] + 1.0
        lu = lists[par, tid]
        for t in range(arrive[tid * PAD + 3 + par]):   # own postsynaptic spikes
            j = lu[t] - post
            if j < 0 or j >= n_post:
                continue
            for c in range(col_ptr[c0 + j], col_ptr[c0 + j + 1]):
                q = col_syn[c]
                f = (w_max - w[q]) if mult else 1.0
                w[q] = _clip(w[q] + a_plus * f * xpre[a + col_pre[c]], w_min, w_max)
                if not math.isfinite(w[q]) and bad_out[0] < 0:
                    bad_out[0] = step
                    bad_out[1] = q
            xpost[z + j] = 1.0 if nearest else xpost[z + j] + 1.0


# ------------------------------------------------------------ short-term plasticity (TM)
# ``stp = (s_idx (P,) int64: the projection's row in the next arrays or -1, s_coef (Q, 3):
# U, exp(-dt/tau_rec), exp(-dt/tau_fac) (0: no facilitation), s_off (Q + 1,) int64: column
# ranges, s_x, s_u (B, sum n_pre))``: one (x, u) per source neuron and copy. The arithmetic
# of :func:`neurosim.plasticity.short_term.tsodyks_markram_step`, same operation order.
@numba.njit(**_INLINE)
def _stp_recover(stp, b):
    """Advance every STP state of copy ``b`` by one step between spikes."""
    s_idx, s_coef, s_off, s_x, s_u = stp
    for q in range(s_coef.shape[0]):
        a_rec, a_fac = s_coef[q, 1], s_coef[q, 2]
        x_, u_ = s_x[b, s_off[q]:s_off[q + 1]], s_u[b, s_off[q]:s_off[q + 1]]
        for j in range(x_.shape[0]):
            x_[j] = 1.0 - (1.0 - x_[j]) * a_rec
            u_[j] = u_[j] * a_fac


@numba.njit(**_INLINE)
def _stp_release(stp, p, b, i):
    """Release ``r`` of source ``i`` of projection ``p`` (copy ``b``) at its spike, and the
    spike's update of ``(x, u)``; 1.0 for a projection without STP."""
    s_idx, s_coef, s_off, s_x, s_u = stp
    q = s_idx[p]
    if q < 0:
        return 1.0
    j = s_off[q] + i
    u = s_u[b, j] + s_coef[q, 0] * (1.0 - s_u[b, j])
    r = u * s_x[b, j]
    s_u[b, j] = u
    s_x[b, j] = s_x[b, j] - r
    return r


# ------------------------------------------------------------------ the model table
#: model code -> update ``(c, S, off, n, b, irow, sl, ns) -> ns`` (see above); a group's
#: code is its index here. A new model adds its update to this file (numba's cache of
#: ``_run`` is invalidated only by changes to this file), one entry here, and its flag and
#: branch in :func:`_run`; :mod:`neurosim.backends.numba_cpu` maps its params class to the
#: code and its coefficient function (a table, no isinstance chain).
KERNELS: list = [_lif, _cond_exp, _alif, _izh, _adex, _cond_alpha, _qif, _cond_theta]
LIF, LIF_COND, ALIF, IZH, ADEX, LIF_COND_ALPHA, QIF, LIF_COND_THETA = range(8)
N_MODELS = len(KERNELS)


def model_flags(model_ids: Iterable[int]) -> tuple[bool | None, ...]:
    """:func:`_run`'s first ``N_MODELS`` arguments: ``True`` at each model code in
    ``model_ids``, None elsewhere (one per :data:`KERNELS`). Their *types* select the
    specialisation: only the updates of the models present are compiled."""
    used = {int(m) for m in model_ids}
    return tuple(True if m in used else None for m in range(len(KERNELS)))


# ------------------------------------------------------------------------------ chunk loop
@numba.njit(**_JIT)
def _run(lif, cond, alif, izh, adex, alpha, qif, theta, start, k, S, g_model, g_coef, g_off,
         g_n, g_cur, cur_const, cur_tv, cur_hold, cur_phase, in_off, in_n, in_spk, p_pre,
         p_npre, p_post, p_var, p_ptr, p_full, indptr, indices, weights, delay, stp, g_rec,
         rec_step, rec_b, rec_i, rec_g, n_rec, counts, events, mon, n_neuron, sl, gstart, pl,
         split, b0, b1):
    """Steps ``start .. start+k-1`` of copies ``b0 .. b1-1``; returns the number of steps
    done (fewer when the spike record buffer is full, or, with plasticity, after the step
    where a weight became non-finite: then ``pl[-1] = [step, synapse]``).

    The first ``N_MODELS`` arguments (:func:`model_flags`, in :data:`KERNELS` order) are
    True for the models present and None for the others; ``delay``, ``stp``, ``mon``,
    ``pl`` and ``split`` are None when the network has no delayed projection / short-term
    plasticity (:func:`_stp_release`) / state monitor / compiled plasticity / neuron split.
    numba prunes the code behind ``if x is not None`` before typing when ``x`` is None, so
    only what a network uses is compiled (each combination is one cached specialisation).
    They are separate arguments because numba prunes on arguments only: a tuple of flags
    typed every model's update (measured +1.6 s compile for a LIF network) and a typing-time
    ``overload`` dispatch compiled its implementation separately (+1 s).
    ``p_full`` (P,) bool: every row of the projection targets ``0 .. len - 1`` in order
    (all-to-all): delivered without the index gather.
    ``delay = (p_delayed (P,) bool, delays (n_syn,) int32, buf (D, V, B, N), buf_vars)``,
    ``cur_tv`` ``(rows, B, n_neuron)``: time-varying currents, step ``s`` reads row
    ``(s + cur_phase) // cur_hold`` (a row per step: ``cur_hold = 1``; rows held for several
    steps, :class:`neurosim.neurons.inputs.HeldCurrent`, are not copied out per step).
    ``mon = (m_var, m_every, m_idx_ptr, m_idx, m_out_ptr, m_count, m_out)``, ``pl``: see
    :func:`_plastic`. Work arrays from the caller (each numpy allocation function used
    inside adds its own compile): ``sl`` (``n_neuron + in_spk.shape[2]`` int64: spiking
    global indices of one step) and ``gstart`` (``G + GI + 1`` int64: per-group ranges in
    ``sl``).

    Copies are independent unless ``pl`` is given, so disjoint ranges ``b0 .. b1-1`` may
    run in separate threads (the kernel releases the GIL), each with its own record
    buffers, ``n_rec``, ``events``, work arrays and monitor counts ``m_count``
    (:meth:`neurosim.backends.numba_cpu.NumbaRunner.run_chunk`; records of consecutive
    ranges are merged by :func:`merge_by_step`).

    One network (one copy, no ``stp``; ``pl`` pair STDP only) is split over ``nthr``
    threads by neuron with ``split = (tid, nthr, lo, hi, base, arrive, lists, lgst, rowcut,
    p_sorted, pre_off, post_off, proj)`` (the last three: see :func:`_plastic_split`):
    thread
    ``tid``
    updates neurons ``lo .. hi-1`` (global indices; thread 0 also reads the input groups),
    writes its spikes of the step into ``lists[step % 2, tid]`` (per-group ranges in
    ``lgst[step % 2, tid]``, their number also in ``arrive[tid * PAD + 3 + step % 2]``),
    meets the others at :func:`_barrier` (value ``base + s + 1``),
    then delivers every thread's spikes to its own neurons only (where a projection's rows
    are sorted by target, ``p_sorted[p]``, thread ``tid`` walks only the segment
    ``rowcut[row, tid] .. rowcut[row, tid + 1]`` of each row, :func:`row_cuts`; else the
    whole row, skipping other threads' targets). Each thread therefore
    writes only its own neurons' state, delay buffer and monitor entries, and each neuron
    receives its synaptic input in the serial order: spikes and state are identical for any
    thread count. Two step parities keep a list from being overwritten while another
    thread reads it. Each thread keeps its own records (its neurons; thread 0 the inputs),
    ``counts`` and ``m_count``; thread 0 counts ``events``. Record buffers are checked one
    step ahead (``arrive[tid * PAD + 1 + step % 2]``, read after the barrier; a thread's
    slots share one cache line) so that all threads
    stop after the same step; the caller gives every thread room for one step at entry."""
    B = b1 - b0
    G, GI = g_model.shape[0], in_off.shape[0]
    cap = rec_step.shape[0]
    tid, nthr, lo_t, hi_t = 0, 1, 0, n_neuron
    if split is not None:
        tid, nthr, lo_t, hi_t = split[0], split[1], split[2], split[3]
    # input of groups without current; allocated here (not passed in): measured ~10% faster
    # loop (CUBA), numba/LLVM then knows it aliases no argument
    zeros = np.empty_like(S[0, 0])   # S's dtype (float64 or float32)
    for j in range(zeros.shape[0]):
        zeros[j] = 0.0
    max_rec = 0
    for g in range(G + GI):
        if g_rec[g]:
            if g < G:
                a, e = _overlap(g_off[g], g_off[g] + g_n[g], lo_t, hi_t)
                max_rec += (e - a) * B
            elif tid == 0:
                max_rec += in_n[g - G] * B
    for s in range(k):
        step = start + s
        n0 = n_rec[0]
        if split is None:
            if n0 + max_rec > cap:
                return s
        if mon is not None:                                    # state monitors
            m_var, m_every, m_idx_ptr, m_idx, m_out_ptr, m_count, m_out = mon
            for m in range(m_var.shape[0]):
                if step % m_every[m] == 0:
                    nidx = m_idx_ptr[m + 1] - m_idx_ptr[m]
                    base = m_out_ptr[m] + m_count[m] * S.shape[1] * nidx
                    for b in range(b0, b1):
                        for q in range(nidx):
                            j = m_idx[m_idx_ptr[m] + q]
                            if j >= lo_t and j < hi_t:
                                m_out[base + b * nidx + q] = S[m_var[m], b, j]
                    m_count[m] += 1
        for b in range(b0, b1):
            slw, gsw = sl, gstart
            if split is not None:
                slw, gsw = split[6][step % 2, tid], split[7][step % 2, tid]
            ns = np.int64(0)
            for g in range(G):                                 # neuron groups
                gsw[g] = ns
                kind = g_cur[g]
                ir = zeros if kind == 0 else (
                    cur_const if kind == 1 else cur_tv[(s + cur_phase) // cur_hold, b])
                # this thread's part of the group (all of it without a split)
                model, c = g_model[g], g_coef[g]
                off, e = _overlap(g_off[g], g_off[g] + g_n[g], lo_t, hi_t)
                n = e - off
                if lif is not None:                        # one branch per KERNELS entry
                    if model == LIF:
                        ns = _lif(c, S, off, n, b, ir, slw, ns)
                if cond is not None:
                    if model == LIF_COND:
                        ns = _cond_exp(c, S, off, n, b, ir, slw, ns)
                if alif is not None:
                    if model == ALIF:
                        ns = _alif(c, S, off, n, b, ir, slw, ns)
                if izh is not None:
                    if model == IZH:
                        ns = _izh(c, S, off, n, b, ir, slw, ns)
                if adex is not None:
                    if model == ADEX:
                        ns = _adex(c, S, off, n, b, ir, slw, ns)
                if alpha is not None:
                    if model == LIF_COND_ALPHA:
                        ns = _cond_alpha(c, S, off, n, b, ir, slw, ns)
                if qif is not None:
                    if model == QIF:
                        ns = _qif(c, S, off, n, b, ir, slw, ns)
                if theta is not None:
                    if model == LIF_COND_THETA:
                        ns = _cond_theta(c, S, off, n, b, ir, slw, ns)
            for g in range(GI):                                # input groups
                gsw[G + g] = ns
                if tid == 0:
                    for q in range(in_n[g]):
                        if in_spk[s, b, in_off[g] + q]:
                            slw[ns] = n_neuron + in_off[g] + q
                            ns += 1
            gsw[G + GI] = ns
            stop = False
            if split is not None:                  # meet the other threads of this network
                arrive = split[5]
                own = 0
                for g in range(G + GI):
                    if g_rec[g]:
                        own += gsw[g + 1] - gsw[g]
                arrive[tid * PAD + 1 + step % 2] = 1 if n0 + own + max_rec > cap else 0
                arrive[tid * PAD + 3 + step % 2] = ns
                _barrier(arrive, tid, nthr, split[4] + s + 1)
                for u in range(nthr):
                    if arrive[u * PAD + 1 + step % 2] != 0:
                        stop = True
            if stp is not None:                                # short-term plasticity
                _stp_recover(stp, b)
            for p in range(p_pre.shape[0]):                    # synapses (event-driven)
                var, row0, pre, post = p_var[p], p_ptr[p], p_pre[p], p_post[p]
                row = S[var, b, post:]
                for u in range(nthr):        # every thread's spikes, in thread order
                    lu, nu = sl, ns
                    if split is not None:
                        lu = split[6][step % 2, u]
                        nu = split[5][u * PAD + 3 + step % 2]
                    for t in range(nu):
                        i = lu[t] - pre
                        if i < 0 or i >= p_npre[p]:
                            continue
                        lo, hi = indptr[row0 + i], indptr[row0 + i + 1]
                        if tid == 0:
                            events[p] += hi - lo
                        r = 1.0                  # w * 1.0 == w: folded away without stp
                        if stp is not None:
                            r = _stp_release(stp, p, b, i)
                        direct = True
                        if delay is not None:
                            p_delayed, delays, buf, buf_vars = delay
                            if p_delayed[p]:
                                direct = False
                                D = buf.shape[0]
                                qa, qb = lo, hi
                                if split is not None:    # this thread's part of the row
                                    qa, qb = _segment(split, p, row0 + i, lo, hi)
                                for q in range(qa, qb):
                                    j = post + indices[q]
                                    if j < lo_t or j >= hi_t:
                                        continue
                                    d = delays[q]
                                    if d == 0:
                                        S[var, b, j] += weights[q] * r
                                    else:
                                        buf[(step + d) % D, var, b, j] += weights[q] * r
                        if direct:
                            if p_full[p]:    # row i targets 0 .. hi-lo-1 in order: no
                                # gather (same additions; vectorises); this thread's part
                                wr = weights[lo:hi]
                                qa, qb = _overlap(0, hi - lo, lo_t - post, hi_t - post)
                                for q in range(qa, qb):
                                    row[q] += wr[q] * r
                            elif split is None:
                                for q in range(lo, hi):
                                    row[indices[q]] += weights[q] * r
                            else:            # this thread's targets only
                                qa, qb = _segment(split, p, row0 + i, lo, hi)
                                for q in range(qa, qb):
                                    j = post + indices[q]
                                    if j >= lo_t and j < hi_t:
                                        S[var, b, j] += weights[q] * r
            if delay is not None:                              # delayed input arriving now
                p_delayed, delays, buf, buf_vars = delay
                slot = step % buf.shape[0]
                for u in range(buf_vars.shape[0]):
                    var = buf_vars[u]
                    for j in range(lo_t, hi_t):
                        S[var, b, j] += buf[slot, var, b, j]
                        buf[slot, var, b, j] = 0.0
            for g in range(G + GI):                            # counts and records
                counts[s, b, g] = gsw[g + 1] - gsw[g]
            # records in (step, batch, neuron) order
            for g in range(G + GI):
                if g_rec[g]:
                    off = g_off[g] if g < G else n_neuron + in_off[g - G]
                    for t in range(gsw[g], gsw[g + 1]):
                        r = n_rec[0]
                        rec_step[r] = step
                        rec_b[r] = b
                        rec_i[r] = slw[t] - off
                        rec_g[r] = g
                        n_rec[0] = r + 1
        if pl is not None:                                     # plasticity
            if split is None:
                if _plastic(pl, step, n0, n_rec[0], indptr, indices, weights, rec_g,
                            rec_i):
                    return s + 1
            else:
                _plastic_split(pl, step, indptr, indices, weights, split)
        if stop:
            return s + 1
    return k


@numba.njit(**_JIT)
def row_cuts(indptr, row0, n_rows, indices, post, cut, out):
    """``out[row0 + r, t]``: the first synapse of CSR row ``r`` (rows ``row0 ..
    row0 + n_rows - 1`` of ``indptr``) whose target ``post + indices[q]`` is at least
    ``cut[t]``, for a split of the neurons at ``cut``; False (``out`` incomplete) when a row
    is not sorted by target."""
    for r in range(n_rows):
        lo, hi = indptr[row0 + r], indptr[row0 + r + 1]
        for q in range(lo + 1, hi):
            if indices[q] < indices[q - 1]:
                return False
        q = lo
        for t in range(cut.shape[0]):
            while q < hi and post + indices[q] < cut[t]:
                q += 1
            out[row0 + r, t] = q
    return True


@numba.njit(**_JIT)
def merge_by_step(step, b, i, g, o_s, o_b, o_i, o_g):
    """Merge runs of spike records ``(step, batch, index, group)`` (tuples of arrays, one
    entry per run, each run in step order) into ``o_*`` in step order, the runs in their
    order within a step (runs of consecutive copy ranges: (step, batch, neuron) order).
    Copies blocks; linear time."""
    T = len(step)
    pos = np.zeros(T, dtype=np.int64)
    d = 0
    while d < o_s.shape[0]:
        s_min = -1
        for t in range(T):                         # the next step present in any run
            if pos[t] < step[t].shape[0] and (s_min < 0 or step[t][pos[t]] < s_min):
                s_min = step[t][pos[t]]
        for t in range(T):
            st, bt, it, gt = step[t], b[t], i[t], g[t]
            r = pos[t]
            while r < st.shape[0] and st[r] == s_min:
                o_s[d], o_b[d], o_i[d], o_g[d] = st[r], bt[r], it[r], gt[r]
                d += 1
                r += 1
            pos[t] = r
