"""Fused kernels for surrogate-gradient LIF networks: the whole time loop as one autograd node,
and a spike-driven (sparse) linear layer.

Two things make a per-step snnTorch network slow on a CPU: every time step builds half a dozen
autograd nodes per layer, and the input layer multiplies a mostly-zero spike matrix densely.

- :class:`FusedLIF` runs the LIF recurrence of :func:`backprop.snn.leaky_step`
  (:func:`backprop.neuron_math.leaky_update`; the numba loop ``_lif_forward`` is its compiled
  transcription, tested equal bit for bit) forward over all
  ``T`` steps under ``no_grad`` and runs the exact adjoint recurrence backward in one reverse
  loop; it stores only the membrane trace ``(T, B, N)``.
- :class:`SpikeLinear` computes ``x @ W.T + b`` for a spike (mostly zero) input by adding the
  weight rows of the active inputs (accumulates instead of multiply-accumulates), and the
  weight gradient ``G.T @ x`` the same way. On the CPU it uses numba kernels; on other devices
  it uses ``torch.sparse`` CSR products.

Both are exercised against the per-step autograd reference in ``tests/backprop/test_snn.py``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from torch import Tensor

from backprop.neuron_math import RESETS, leaky_update
from backprop.surrogate import ATan, FastSigmoid, Rectangular, Sigmoid, Surrogate, Triangular

try:  # numba is a core dependency, but keep the module importable without it
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

__all__ = ["RESETS", "FusedLIF", "SpikeLinear", "fused_lif", "spike_linear"]

_RESET_NAMES = {code: name for name, code in RESETS.items()}


class FusedLIF(torch.autograd.Function):
    """LIF recurrence over a whole sequence as one autograd node (snnTorch ``Leaky`` semantics).

    Forward, for :math:`t = 1..T` with :math:`R_t = H(U_{t-1} - \\vartheta)` (detached):

    .. math::

        U_t = \\beta U_{t-1} + I_t - \\vartheta R_t \\quad(\\text{subtract}),\\qquad
        U_t = \\beta (1 - R_t) U_{t-1} + I_t \\quad(\\text{zero}),\\qquad
        S_t = H(U_t - \\vartheta).

    Backward (adjoint), with :math:`c_t = \\beta` (subtract/none) or :math:`\\beta(1 - R_t)`
    (zero) and :math:`\\sigma'` the surrogate:

    .. math::

        \\delta_t = \\bar U_t + \\sigma'(U_t - \\vartheta)\\,\\bar S_t + c_{t+1}\\,\\delta_{t+1},
        \\qquad \\bar I_t = \\delta_t,\\qquad \\bar U_0 = c_1 \\delta_1.

    Inputs: ``current (T, B, N)``, ``mem0 (B, N)``; outputs ``spk, mem`` both ``(T, B, N)``.
    On the CPU both loops are compiled (numba, one pass over ``T*B*N`` values each); elsewhere
    they are a short loop of whole-tensor torch ops (one per step, no per-step graph nodes).
    """

    @staticmethod
    def forward(
        ctx: Any,
        current: Tensor,
        mem0: Tensor,
        beta: float,
        threshold: float,
        reset: int,
        surrogate: Surrogate,
    ) -> tuple[Tensor, Tensor]:
        if _numba_ok(current) and mem0.dtype == current.dtype:
            cur = current.detach().contiguous().numpy()
            m0 = mem0.detach().contiguous().numpy()
            mem_np = np.empty_like(cur)
            spk_np = np.empty_like(cur)
            T = cur.shape[0]
            sc = cur.dtype.type  # scalars in the tensor's precision, as torch does
            _lif_forward(
                cur.reshape(T, -1), m0.reshape(-1), sc(beta), sc(threshold), reset,
                mem_np.reshape(T, -1), spk_np.reshape(T, -1),
            )
            mem, spk = torch.from_numpy(mem_np), torch.from_numpy(spk_np)
        else:
            mem = torch.empty_like(current)
            prev = mem0
            mode = _RESET_NAMES[reset]
            for t in range(current.shape[0]):
                r = (prev - threshold > 0).to(current.dtype)
                u = leaky_update(prev, current[t], r, beta, threshold, mode)
                mem[t] = u
                prev = u
            spk = (mem - threshold > 0).to(current.dtype)
        ctx.save_for_backward(mem0, mem)
        ctx.params = (beta, threshold, reset, surrogate)
        return spk, mem

    @staticmethod
    def backward(ctx: Any, g_spk: Tensor, g_mem: Tensor) -> tuple[Any, ...]:
        mem0, mem = ctx.saved_tensors
        beta, threshold, reset, surrogate = ctx.params
        T = mem.shape[0]
        if _numba_ok(mem) and g_spk.dtype == mem.dtype == g_mem.dtype == mem0.dtype:
            code, c1, c2 = _surrogate_code(surrogate)
            if code < 0:  # a custom surrogate: its derivative in torch, the loop compiled
                g_mem = g_mem + g_spk * surrogate.derivative(mem - threshold)
            g_np = np.empty(tuple(mem.shape), _np_dtype(mem))
            g0 = np.empty(mem0.numel(), g_np.dtype)
            sc = g_np.dtype.type

            def flat(t: Tensor) -> np.ndarray:
                return t.detach().contiguous().numpy().reshape(T, -1)

            _lif_backward(
                flat(g_spk), flat(g_mem), flat(mem),
                mem0.detach().contiguous().numpy().reshape(-1),
                sc(beta), sc(threshold), reset, code, c1, c2, g_np.reshape(T, -1), g0,
            )
            g_cur, carry = torch.from_numpy(g_np), torch.from_numpy(g0).reshape(mem0.shape)
        else:
            delta_in = g_mem + g_spk * surrogate.derivative(mem - threshold)
            if reset == 1:
                keep = (mem <= threshold).to(mem.dtype)  # 1 - R_{t+1} = 1 - H(U_t - theta)
            g_cur = torch.empty_like(mem)
            carry = None
            for t in range(T - 1, -1, -1):
                d = delta_in[t] if carry is None else delta_in[t] + carry
                g_cur[t] = d
                carry = beta * d
                if reset == 1:
                    prev_keep = (mem0 <= threshold).to(mem.dtype) if t == 0 else keep[t - 1]
                    carry = carry * prev_keep
        g_mem0 = carry if ctx.needs_input_grad[1] else None
        return g_cur, g_mem0, None, None, None, None


def fused_lif(
    current: Tensor, mem0: Tensor, beta: float, threshold: float, reset: str, surrogate: Surrogate
) -> tuple[Tensor, Tensor]:
    """Functional form of :class:`FusedLIF` (``reset`` by name); returns ``(spk, mem)``."""
    return FusedLIF.apply(current, mem0, float(beta), float(threshold), RESETS[reset], surrogate)


# --------------------------------------------------------------------------- sparse linear

if HAVE_NUMBA:

    @njit(cache=True)
    def _lif_forward(cur, mem0, beta, thr, reset, mem, spk):  # pragma: no cover - compiled
        """LIF forward over (T, M) currents: :func:`backprop.neuron_math.leaky_update`
        transcribed for numba (which cannot call torch); same operation order (and, with
        ``beta``/``thr`` in the array's dtype, the same rounding) as snnTorch's ``Leaky``."""
        T, M = cur.shape
        one = spk.dtype.type(1)
        zero = spk.dtype.type(0)
        for t in range(T):
            prev_row = mem0 if t == 0 else mem[t - 1]
            for m in range(M):
                prev = prev_row[m]
                if reset == 0:
                    r = one if prev - thr > 0 else zero
                    u = beta * prev + cur[t, m] - r * thr
                elif reset == 1:
                    r = one if prev - thr > 0 else zero
                    u = beta * ((one - r) * prev) + cur[t, m]
                else:
                    u = beta * prev + cur[t, m]
                mem[t, m] = u
                spk[t, m] = one if u - thr > 0 else zero

    @njit(cache=True, fastmath={"arcp", "contract", "afn", "reassoc"})
    def _lif_backward(
        g_spk, g_mem, mem, mem0, beta, thr, reset, code, c1, c2, g_cur, g_mem0
    ):  # pragma: no cover - compiled
        """Adjoint of :func:`_lif_forward` with the surrogate derivative inline.

        ``g_cur[t] = g_mem[t] + sigma'(mem[t] - thr) g_spk[t] + c_{t+1} g_cur[t+1]``;
        ``code`` selects sigma' (see ``_SURROGATE_CODES``), -1: ``g_spk`` is ignored and
        ``g_mem`` already holds the whole local term.
        """
        T, M = mem.shape
        ty = g_cur.dtype.type
        carry = np.zeros(M, g_cur.dtype)
        c1, c2 = ty(c1), ty(c2)
        half_pi, one, zero = ty(np.pi / 2), ty(1), ty(0)
        for t in range(T - 1, -1, -1):
            d = g_cur[t]
            gs, gm, u = g_spk[t], g_mem[t], mem[t]
            # one branch-free, vectorisable loop per surrogate
            if code == 0:  # atan
                for m in range(M):
                    z = half_pi * c1 * (u[m] - thr)
                    d[m] = gm[m] + gs[m] * (c1 / 2 / (1 + z * z)) + carry[m]
            elif code == 1:  # fast sigmoid
                for m in range(M):
                    q = c1 * abs(u[m] - thr) + 1
                    d[m] = gm[m] + gs[m] / (q * q) + carry[m]
            elif code == 2:  # sigmoid
                for m in range(M):
                    e = 1 / (1 + np.exp(-c1 * (u[m] - thr)))
                    d[m] = gm[m] + gs[m] * (c1 * e * (1 - e)) + carry[m]
            elif code == 3:  # triangular
                for m in range(M):
                    tri = c1 * max(zero, 1 - abs(u[m] - thr) / c2)
                    d[m] = gm[m] + gs[m] * tri + carry[m]
            elif code == 4:  # rectangular
                for m in range(M):
                    box = one / c2 if abs(u[m] - thr) < c2 / 2 else zero
                    d[m] = gm[m] + gs[m] * box + carry[m]
            else:
                for m in range(M):
                    d[m] = gm[m] + carry[m]
            if reset == 1:
                prev = mem0 if t == 0 else mem[t - 1]
                for m in range(M):
                    carry[m] = zero if prev[m] - thr > 0 else beta * d[m]
            else:
                for m in range(M):
                    carry[m] = beta * d[m]
        for m in range(M):
            g_mem0[m] = carry[m]

    @njit(cache=True)
    def _csr_from_dense(x):  # pragma: no cover - compiled
        """CSR of the non-zeros of a 2-D array: row pointers, column indices, values (empty
        when every non-zero is 1, i.e. binary spikes) and that binary flag.

        A vectorisable counting pass, then a branch-free fill (no mispredicted branches at
        any density)."""
        R, F = x.shape
        indptr = np.zeros(R + 1, np.int64)
        nonbinary = 0
        for r in range(R):
            c = 0
            for j in range(F):
                v = x[r, j]
                c += v != 0
                nonbinary += (v != 0) & (v != 1)
            indptr[r + 1] = indptr[r] + c
        nnz = indptr[R]
        binary = nonbinary == 0
        idx = np.empty(nnz + 1, np.int32)
        val = np.empty(1 if binary else nnz + 1, x.dtype)
        k = 0
        if binary:
            for r in range(R):
                for j in range(F):
                    idx[k] = j
                    k += x[r, j] != 0
        else:
            for r in range(R):
                for j in range(F):
                    v = x[r, j]
                    idx[k] = j
                    val[k] = v
                    k += v != 0
        return indptr, idx[:nnz], val[:nnz] if not binary else val[:0], binary

    @njit(cache=True)
    def _gather_rows(indptr, idx, val, binary, src, out):  # pragma: no cover - compiled
        """``out[r] += sum_k val[k] * src[idx[k]]`` over row r's non-zeros: ``x @ W.T`` with
        ``src = W.T``; accumulates only (no multiplies) for binary spikes."""
        R = out.shape[0]
        H = out.shape[1]
        for r in range(R):
            o = out[r]
            for k in range(indptr[r], indptr[r + 1]):
                s = src[idx[k]]
                if binary:
                    for h in range(H):
                        o[h] += s[h]
                else:
                    v = val[k]
                    for h in range(H):
                        o[h] += v * s[h]

    @njit(cache=True)
    def _scatter_rows(indptr, idx, val, binary, g, out):  # pragma: no cover - compiled
        """``out[idx[k]] += val[k] * g[r]`` for every non-zero (r, idx[k]): the weight
        gradient ``x.T @ G`` from the same CSR (accumulates only for binary spikes)."""
        R = g.shape[0]
        H = g.shape[1]
        for r in range(R):
            gr = g[r]
            for k in range(indptr[r], indptr[r + 1]):
                o = out[idx[k]]
                if binary:
                    for h in range(H):
                        o[h] += gr[h]
                else:
                    v = val[k]
                    for h in range(H):
                        o[h] += v * gr[h]


def _numba_ok(x: Tensor) -> bool:
    return HAVE_NUMBA and x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64)


def _np_dtype(x: Tensor) -> type:
    return np.float32 if x.dtype == torch.float32 else np.float64


def _surrogate_code(s: Surrogate) -> tuple[int, float, float]:
    """Integer code and constants of a built-in surrogate for the compiled backward."""
    kind = type(s)
    if kind is ATan:
        return 0, float(s.alpha), 1.0
    if kind is FastSigmoid:
        return 1, float(s.slope), 1.0
    if kind is Sigmoid:
        return 2, float(s.slope), 1.0
    if kind is Triangular:
        return 3, float(s.gamma), float(s.width)
    if kind is Rectangular:
        return 4, 1.0, float(s.width)
    return -1, 1.0, 1.0


class SpikeLinear(torch.autograd.Function):
    """``y = x @ W.T + b`` for a sparse (spike) input ``x (R, F)``, in accumulates.

    .. math::

        y_{r,h} = b_h + \\sum_{j:\\,x_{rj} \\neq 0} x_{rj} W_{hj},\\qquad
        \\bar W_{hj} = \\sum_{r:\\,x_{rj} \\neq 0} x_{rj} \\bar y_{r,h},\\qquad
        \\bar x = \\bar y W.

    The work is proportional to the number of non-zeros, not to ``R * F``: for binary spikes
    every multiply-accumulate becomes an accumulate. The input gradient (needed only when ``x``
    itself requires grad) is a dense product.
    """

    @staticmethod
    def forward(ctx: Any, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        H = weight.shape[0]
        ctx.has_bias = bias is not None
        if _numba_ok(x) and x.dtype == weight.dtype:
            xn = x.detach().contiguous().numpy()
            csr = _csr_from_dense(xn)
            wt = weight.detach().t().contiguous()
            # numpy's calloc-backed zeros: no multi-threaded fill on the critical path
            out_np = np.zeros((x.shape[0], H), dtype=xn.dtype)
            if bias is not None:
                out_np += bias.detach().numpy()
            _gather_rows(*csr, wt.numpy(), out_np)
            out = torch.from_numpy(out_np)
            ctx.csr = csr
            bias = None  # already added
        else:  # GPU / other dtypes: torch's CSR product
            with warnings.catch_warnings():  # "sparse CSR support is in beta"
                warnings.simplefilter("ignore", UserWarning)
                xs = x.detach().to_sparse_csr()
                out = torch.sparse.mm(xs, weight.detach().t())
            ctx.csr = None
        if bias is not None:
            out += bias.detach()
        ctx.save_for_backward(x, weight)
        return out

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        x, weight = ctx.saved_tensors
        g_x = g_w = g_b = None
        if ctx.needs_input_grad[0]:
            g_x = g @ weight
        if ctx.needs_input_grad[1]:
            if ctx.csr is not None:
                gn = g.detach().contiguous().numpy()
                gt = np.zeros((weight.shape[1], weight.shape[0]), dtype=gn.dtype)
                _scatter_rows(*ctx.csr, gn, gt)
                g_w = torch.from_numpy(gt).t().contiguous()
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    xts = x.detach().t().to_sparse_csr()
                    g_w = torch.sparse.mm(xts, g).t()
        if ctx.has_bias and ctx.needs_input_grad[2]:
            g_b = g.sum(0)
        return g_x, g_w, g_b


def spike_linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Functional form of :class:`SpikeLinear` for inputs of any leading shape ``(..., F)``."""
    lead = x.shape[:-1]
    y = SpikeLinear.apply(x.reshape(-1, x.shape[-1]), weight, bias)
    return y.reshape(*lead, weight.shape[0])
