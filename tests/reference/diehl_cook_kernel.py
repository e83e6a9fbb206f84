"""Test reference: the compiled Diehl & Cook (2015) presentation kernel that
:class:`neurosim.learning.diehl_cook.DiehlCook` ran on before it moved onto
:class:`neurosim.Network` (kept unchanged as the reference the network is tested against,
and for the speed comparison), with numpy's PCG64 stream drawn inside it.

:func:`_run` presents many images and their retries per call and counts what it simulates
into an int64 array indexed by the ``_OPS_*`` slots below; :func:`present_kernel` presents
one given input raster (the old ``present_numba``), :func:`coefficients` gives the
kernel's constants for a :class:`~neurosim.learning.diehl_cook.DiehlCookConfig`.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

# --------------------------------------------------------------------------- op slots
#: slots of the kernel's int64 op-count array; :func:`_add_ops` files them under the names
#: of :class:`neurosim.counters.OpCounters`
_OPS_PRESENTATIONS, _OPS_IN, _OPS_EXC, _OPS_INH, _OPS_PLASTIC = range(5)
N_OPS = 5


# --------------------------------------------------------------------------- the kernel
#: rows of the kernel's state array ``S`` ``(_N_ROWS, n_exc)``: membrane potentials,
#: conductances and refractory clocks of the E and I neurons, the post traces, scratch
_VE, _GEE, _GIE, _REFE, _VI, _GEI, _REFI, _O1, _O2, _BV, _BE, _N_ROWS = range(12)


# numpy's PCG64 (the default_rng bit generator) in the kernel: the same stream of doubles
# as Generator.random, drawn where they are used instead of as a (T, n_in) array first
_U = np.uint64
_S11, _S58, _S63, _S64 = _U(11), _U(58), _U(63), _U(64)
_PCG_MUL_HI, _PCG_MUL_LO = _U(2549297995355413924), _U(4865540595714422341)
_TWO53 = 9007199254740992.0  # Generator.random: (next_uint64 >> 11) / 2**53
_NO_RASTER = np.zeros((0, 0), dtype=np.bool_)


@intrinsic
def _lcg128(typingctx, sh, sl, mh, ml, ih, il):
    """``(s * m + i) mod 2**128`` on ``(hi, lo)`` uint64 halves; returns ``(hi, lo)``."""
    u64 = types.uint64
    sig = types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)
        sh64 = ir.Constant(i128, 64)

        def join(h, lo):
            return builder.or_(builder.shl(builder.zext(h, i128), sh64),
                               builder.zext(lo, i128))

        r = builder.add(builder.mul(join(args[0], args[1]), join(args[2], args[3])),
                        join(args[4], args[5]))
        hi = builder.trunc(builder.lshr(r, sh64), ir.IntType(64))
        return context.make_tuple(builder, signature.return_type,
                                  [hi, builder.trunc(r, ir.IntType(64))])

    return sig, codegen


@numba.njit(cache=True, nogil=True)
def _run(P, raster, rate0, rate_step, min_spikes, max_repeats, dt, T, rs, W, theta, c, learn,
         out, ops):
    """Present the images ``P`` ``(n, n_in)`` (pixel / max_pixel) one after the other to
    one copy, each with the authors' retry (input rate ``rate0``, then ``rate_step`` more
    until ``min_spikes`` excitatory spikes, at most ``max_repeats`` presentations); updates
    ``W`` ``(n_in, N)`` and ``theta`` in place when ``learn``, writes the spike counts of
    each image's last presentation to ``out`` ``(n, N)`` and adds the op counts to ``ops``
    ``(N_OPS,)``.

    Input: with ``raster`` ``(T, n_in)`` bool of one row (``n = 1``, ``max_repeats = 1``),
    its spikes; else the spike of pixel ``i`` in step ``t`` is ``u < P[i] * rate * dt`` with
    ``u`` the next double of the PCG64 state ``rs`` (``[state_hi, state_lo, inc_hi,
    inc_lo]``, updated), drawn in the order of ``Generator.random((T, n_in))``: the
    raster numpy would draw, without the raster.

    Each step: neurons update and spike, then the step's input spikes and the E/I spikes
    are delivered, then STDP. The same arithmetic, in the same order, as
    :func:`present_torch` (which keeps the general form), with shortcuts that give
    bit-identical results:

    * ``g_ii`` (inhibition onto inhibitory neurons) is identically 0 (there is no I->I
      projection), so it is left out (adding ``0 * E_inh_i`` changes nothing);
    * an inhibitory neuron stays exactly at rest (``v = v_rest_i``, ``g_ei = 0``, not
      refractory: ``v_inf = v_rest_i``) until its excitatory partner spikes, so only the
      neurons listed in ``inh`` (partner has spiked in this presentation) are updated,
      unless rest is above threshold; one with ``1 + g_ei == 1`` uses
      ``exp(-dt / tau_i)``, computed once (the same number as ``exp(-dt / tau_i * g)``);
    * the excitatory update runs in passes (exponentials, then a branch-free update).
    """
    n_img, n_in = P.shape
    N = W.shape[1]
    use_raster = raster.shape[0] > 0
    S = np.zeros((_N_ROWS, N))
    ve, gee, gie, refe = S[_VE], S[_GEE], S[_GIE], S[_REFE]
    vi, gei, refi, o1, o2 = S[_VI], S[_GEI], S[_REFI], S[_O1], S[_O2]
    bv, be = S[_BV], S[_BE]
    xpre = np.zeros(n_in)
    se = np.zeros(N, dtype=np.bool_)
    si = np.zeros(N, dtype=np.bool_)
    listed = np.zeros(N, dtype=np.bool_)
    inh = np.zeros(N, dtype=np.int64)
    act = np.zeros(n_in, dtype=np.int64)
    p = np.zeros(n_in, dtype=np.uint64)
    counts = np.zeros(N, dtype=np.int64)
    e_free_i = math.exp(-c[5] * 1.0)
    all_inh = c[6] > c[8]
    v_rest, e_exc, e_inh, v_th = c[1], c[12], c[13], c[3]
    dec_ge, dec_gi = c[10], c[11]
    nu_pre, nu_post, w_max = c[20], c[21], c[22]
    sh, sl, ih, il = rs[0], rs[1], rs[2], rs[3]
    for img in range(n_img):
        rate = rate0
        for _rep in range(max_repeats):
            for i in range(n_in):  # u < p  <=>  u * 2**53 < ceil(p * 2**53) (integers)
                p[i] = min(math.ceil(P[img, i] * rate * dt * _TWO53), _TWO53)
            counts[:] = 0
            S[:] = 0.0
            ve[:] = c[1]
            vi[:] = c[6]
            xpre[:] = 0.0
            si[:] = False
            listed[:] = False
            n_inh = 0
            for t in range(T):
                n_act = 0
                if use_raster:
                    for i in range(n_in):
                        if raster[t, i]:
                            act[n_act] = i
                            n_act += 1
                else:
                    for i in range(n_in):
                        sh, sl = _lcg128(sh, sl, _PCG_MUL_HI, _PCG_MUL_LO, ih, il)
                        if p[i] > 0:
                            xs = sh ^ sl
                            rot = sh >> _S58
                            xs = (xs >> rot) | (xs << ((_S64 - rot) & _S63))
                            act[n_act] = i
                            n_act += (xs >> _S11) < p[i]
                for j in range(N):                                      # excitatory: v_inf
                    g = 1.0 + gee[j] + gie[j]
                    bv[j] = (v_rest + gee[j] * e_exc + gie[j] * e_inh) / g
                    be[j] = g
                for j in range(N):                                      # exp: the dominant cost
                    if refe[j] <= 0:
                        be[j] = math.exp(-c[0] * be[j])
                n_se = 0
                for j in range(N):
                    free = refe[j] <= 0
                    v = bv[j] + (ve[j] - bv[j]) * be[j] if free else ve[j]
                    r = refe[j] if free else refe[j] - 1.0
                    s = (v > v_th + theta[j]) & (r <= 0)
                    se[j] = s
                    n_se += s
                    ve[j] = v
                    refe[j] = r
                    gee[j] *= dec_ge
                    gie[j] *= dec_gi
                if n_se:
                    for j in range(N):
                        if se[j]:
                            ve[j] = c[2]
                            refe[j] = c[4]
                            counts[j] += 1
                n_si = 0
                for k in range(N if all_inh else n_inh):                # inhibitory
                    j = k if all_inh else inh[k]
                    v = vi[j]
                    ge = gei[j]
                    if refi[j] <= 0:
                        if not (ge == 0.0 and v == c[6]):
                            g = 1.0 + ge
                            vinf = (c[6] + ge * c[12]) / g
                            v = vinf + (v - vinf) * (e_free_i if g == 1.0 else math.exp(-c[5] * g))
                    else:
                        refi[j] -= 1.0
                    s = v > c[8] and refi[j] <= 0
                    if s:
                        v = c[7]
                        refi[j] = c[9]
                        n_si += 1
                    si[j] = s
                    vi[j] = v
                    gei[j] = ge * c[10]
                ops[_OPS_IN] += n_act
                ops[_OPS_EXC] += n_se
                ops[_OPS_INH] += n_si
                if learn:
                    for j in range(N):
                        theta[j] = theta[j] * c[24] + (c[23] if se[j] else 0.0)
                for a in range(n_act):                                  # input -> exc
                    i = act[a]
                    for j in range(N):
                        gee[j] += W[i, j]
                if n_se:                                                # exc -> its inh
                    for j in range(N):
                        if se[j]:
                            if not listed[j]:                           # leaves rest
                                listed[j] = True
                                inh[n_inh] = j
                                n_inh += 1
                            gei[j] += c[15]
                if n_si:                                                # inh -> other exc
                    for j in range(N):
                        for _ in range(n_si - (1 if si[j] else 0)):  # one add per spike, in order
                            gie[j] += c[16]
                if learn:                                               # nearest triplet STDP
                    for i in range(n_in):
                        xpre[i] *= c[17]
                    for j in range(N):
                        o1[j] *= c[18]
                        o2[j] *= c[19]
                    for a in range(n_act):
                        i = act[a]
                        for j in range(N):
                            W[i, j] = min(max(W[i, j] - nu_pre * o1[j], 0.0), w_max)
                        xpre[i] = 1.0
                    if n_se:
                        for j in range(N):
                            if se[j]:
                                for i in range(n_in):
                                    w = W[i, j] + nu_post * o2[j] * xpre[i]
                                    W[i, j] = min(max(w, 0.0), w_max)
                                o1[j] = 1.0
                                o2[j] = 1.0
                    ops[_OPS_PLASTIC] += n_act * N + n_se * n_in
            ops[_OPS_PRESENTATIONS] += 1
            if counts.sum() >= min_spikes:
                break
            rate += rate_step
        out[img, :] = counts
    rs[0] = sh
    rs[1] = sl


def _pcg_state(rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
    st = rng.bit_generator.state
    if st.get("bit_generator") != "PCG64":
        raise TypeError(f"DiehlCook: the random generator must be PCG64, got "
                        f"{st.get('bit_generator')!r}")
    s, inc = st["state"]["state"], st["state"]["inc"]
    m = (1 << 64) - 1
    return np.array([s >> 64, s & m, inc >> 64, inc & m], dtype=np.uint64), st


def _set_pcg_state(rng: np.random.Generator, rs: np.ndarray, st: dict[str, Any]) -> None:
    st["state"]["state"] = (int(rs[0]) << 64) | int(rs[1])
    rng.bit_generator.state = st


def coefficients(cfg: Any) -> np.ndarray:
    """The kernel's constants ``c`` for a DiehlCookConfig (the old ``_coef``)."""
    dt = cfg.dt
    return np.array([
        dt / cfg.tau_e, cfg.v_rest_e, cfg.v_reset_e, cfg.v_thresh_e,
        float(round(cfg.t_ref_e / dt)), dt / cfg.tau_i, cfg.v_rest_i, cfg.v_reset_i,
        cfg.v_thresh_i, float(round(cfg.t_ref_i / dt)), math.exp(-dt / cfg.tau_ge),
        math.exp(-dt / cfg.tau_gi), cfg.e_exc, cfg.e_inh_e, cfg.e_inh_i, cfg.w_ei, cfg.w_ie,
        math.exp(-dt / cfg.tau_pre), math.exp(-dt / cfg.tau_post1),
        math.exp(-dt / cfg.tau_post2), cfg.nu_pre, cfg.nu_post, cfg.w_max, cfg.theta_plus,
        math.exp(-dt / cfg.tau_theta)])


def present_kernel(raster: np.ndarray, W: np.ndarray, theta: np.ndarray, cfg: Any,
                   learn: bool) -> tuple[np.ndarray, np.ndarray]:
    """Present one input raster ``(T, n_in)`` bool to one copy; ``W`` ``(n_in, N)`` and
    ``theta`` ``(N,)`` are updated in place when ``learn``. Returns ``(spike counts (N,),
    ops (N_OPS,))``."""
    raster = np.ascontiguousarray(raster, dtype=np.bool_)
    counts = np.zeros((1, W.shape[1]), dtype=np.int64)
    ops = np.zeros(N_OPS, dtype=np.int64)
    _run(np.zeros((1, raster.shape[1])), raster, 0.0, 0.0, 0, 1, float(cfg.dt),
         raster.shape[0], np.zeros(4, dtype=np.uint64), W, theta, coefficients(cfg),
         bool(learn), counts, ops)
    return counts[0], ops


def run_images(P: np.ndarray, W: np.ndarray, theta: np.ndarray, cfg: Any, learn: bool,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Images ``P`` ``(n, n_in)`` (pixel / max_pixel) with the authors' retry, the Poisson
    input drawn in the kernel from ``rng`` (PCG64; advanced); returns ``(counts (n, N),
    ops)`` (the old ``DiehlCook._present``)."""
    rs, st = _pcg_state(rng)
    out = np.zeros((P.shape[0], W.shape[1]), dtype=np.int64)
    ops = np.zeros(N_OPS, dtype=np.int64)
    _run(np.ascontiguousarray(P), _NO_RASTER, float(cfg.max_rate), float(cfg.intensity_step),
         int(cfg.min_spikes), int(cfg.max_repeats), float(cfg.dt), cfg.n_steps, rs, W, theta,
         coefficients(cfg), bool(learn), out, ops)
    _set_pcg_state(rng, rs, st)
    return out, ops
