"""e-prop: online learning for recurrent spiking networks with eligibility traces and a
broadcast learning signal (Bellec et al. 2020, "A solution to the learning dilemma for
recurrent networks of spiking neurons", Nature Communications 11:3625).

Network (time in steps of ``dt``; LIF neurons, a subset adaptive -- ALIF):

.. math::

    v_t &= \\alpha v_{t-1} + W^{in} x_t + W^{rec} z_{t-1} - \\vartheta z_{t-1} \\\\
    a_t &= \\rho a_{t-1} + z_{t-1}, \\qquad A_t = \\vartheta + \\beta_a a_t \\\\
    z_t &= H(v_t - A_t), \\qquad
    \\psi_t = \\frac{\\gamma}{\\vartheta}
        \\max\\Big(0, 1 - \\frac{|v_t - A_t|}{\\vartheta}\\Big) \\\\
    y_t &= \\kappa y_{t-1} + W^{out} z_t + b^{out}

with :math:`\\alpha = e^{-dt/\\tau_m}`, :math:`\\rho = e^{-dt/\\tau_a}`,
:math:`\\kappa = e^{-dt/\\tau_{out}}`, no self-connections, and the reset term treated as a
constant in the gradient (as in the paper's derivation and in snnTorch).

**Learning rule.** For every synapse :math:`i \\to j` (inputs and recurrent, presynaptic
activity :math:`p_t = [x_t, z_{t-1}]`):

.. math::

    \\bar p_{i,t} &= \\alpha \\bar p_{i,t-1} + p_{i,t}
        \\quad\\text{(presynaptic trace)} \\\\
    \\epsilon^a_{ji,t} &= \\rho\\, \\epsilon^a_{ji,t-1} + e_{ji,t-1}
        \\quad\\text{(adaptation trace, ALIF only)} \\\\
    e_{ji,t} &= \\psi_{j,t} (\\bar p_{i,t} - \\beta_{a,j} \\epsilon^a_{ji,t})
        \\quad\\text{(eligibility trace)} \\\\
    L_{j,t} &= \\sum_k B_{jk} (\\pi_{k,t} - \\pi^*_{k,t})
        \\quad\\text{(broadcast learning signal)} \\\\
    \\Delta W_{ji} &\\propto -\\sum_t L_{j,t}\\, \\mathcal F_\\kappa(e_{ji})_t, \\qquad
    \\mathcal F_\\kappa(e)_t = \\kappa \\mathcal F_\\kappa(e)_{t-1} + e_t .

**Locality.** Everything a synapse needs is available at the synapse at time ``t``: the
presynaptic trace :math:`\\bar p_i` (presynaptic), the pseudo-derivative :math:`\\psi_j` and
adaptation trace (postsynaptic), and one number per postsynaptic neuron, :math:`L_{j,t}`,
broadcast from the output error through fixed feedback weights ``B`` -- random ("random
e-prop": no weight transport) or ``W_out.T`` ("symmetric e-prop"). Nothing is propagated
backwards through time: the gradient is accumulated online, step by step, with memory
independent of the sequence length; the accumulated update is applied (with Adam) after each
batch of sequences, as in the paper. With ``W_rec = 0`` and symmetric feedback, e-prop equals
BPTT exactly (tested); with recurrent weights it drops the paths through other neurons.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from backprop.neuron_math import RESETS, adaptive_threshold, decay, leaky_update
from backprop.utils import check_choice, check_int, check_real, check_sequence, resolve_device

try:  # numba is a core dependency, but keep the module importable without it
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

__all__ = [
    "EProp",
    "EPropParams",
    "LOSSES",
    "eprop_gradients",
    "eprop_gradients_online",
    "make_temporal_patterns",
    "online_traces",
    "readout_loss",
    "rsnn_forward",
]

_FEEDBACK = ("random", "symmetric")


@dataclass(frozen=True)
class EPropParams:
    """Neuron, readout and learning constants of an e-prop network (times in steps).

    Parameters
    ----------
    tau_m, tau_a, tau_out : float
        Membrane, threshold-adaptation and readout time constants (> 0, in units of ``dt``).
    dt : float
        Time step (> 0).
    threshold : float
        Baseline threshold :math:`\\vartheta` (> 0).
    beta_a : float
        Threshold adaptation strength of the ALIF neurons (>= 0).
    gamma : float
        Pseudo-derivative dampening (> 0; 0.3 in the paper).
    n_adaptive : int
        How many of the recurrent neurons are ALIF (the first ``n_adaptive``); 0 = all LIF.
    feedback : {"random", "symmetric"}
        Broadcast weights ``B``: fixed random, or the current ``W_out.T``.
    lr : float
        Adam learning rate (> 0).
    readout_steps : int
        The loss (cross-entropy of softmax(y_t)) is taken over the last ``readout_steps`` steps.
    """

    tau_m: float = 20.0
    tau_a: float = 200.0
    tau_out: float = 20.0
    dt: float = 1.0
    threshold: float = 1.0
    beta_a: float = 1.0
    gamma: float = 0.3
    n_adaptive: int = 0
    feedback: str = "random"
    lr: float = 5e-3
    readout_steps: int = 10

    def __post_init__(self) -> None:
        for name in ("tau_m", "tau_a", "tau_out", "dt", "threshold", "gamma", "lr", "beta_a"):
            check_real(f"EPropParams.{name}", getattr(self, name), low=0,
                       low_open=name != "beta_a")
        check_int("EPropParams.n_adaptive", self.n_adaptive, low=0)
        check_int("EPropParams.readout_steps", self.readout_steps, low=1)
        check_choice("EPropParams.feedback", self.feedback, _FEEDBACK)

    @property
    def alpha(self) -> float:
        return decay(self.tau_m, self.dt)

    @property
    def rho(self) -> float:
        return decay(self.tau_a, self.dt)

    @property
    def kappa(self) -> float:
        return decay(self.tau_out, self.dt)


def _pseudo_derivative(u: Tensor, p: EPropParams) -> Tensor:
    """:math:`\\psi = (\\gamma/\\vartheta) \\max(0, 1 - |u|/\\vartheta)` with ``u = v - A``."""
    return (p.gamma / p.threshold) * torch.clamp(1 - u.abs() / p.threshold, min=0)


class _SpikePD(torch.autograd.Function):
    """H(u) forward, e-prop's pseudo-derivative backward (for the BPTT reference)."""

    @staticmethod
    def forward(ctx: Any, u: Tensor, p: EPropParams) -> Tensor:
        ctx.save_for_backward(u)
        ctx.p = p
        return (u > 0).to(u.dtype)

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor, None]:
        (u,) = ctx.saved_tensors
        return g * _pseudo_derivative(u, ctx.p), None


def _beta_vec(n_rec: int, p: EPropParams, like: Tensor) -> Tensor:
    b = torch.zeros(n_rec, dtype=like.dtype, device=like.device)
    b[: min(p.n_adaptive, n_rec)] = p.beta_a
    return b


def _no_self(w_rec: Tensor) -> Tensor:
    return w_rec * (1 - torch.eye(w_rec.shape[0], dtype=w_rec.dtype, device=w_rec.device))


def _run(
    x: Tensor, w_in: Tensor, w_rec: Tensor, p: EPropParams, reset: str = "subtract"
) -> tuple[Tensor, Tensor]:
    """The (AL)IF recurrence without autograd: spikes ``z`` and ``u = v - A``, both (T, B, N).

    The input projection ``W_in x_t`` of all steps is one product; the recurrence is
    :mod:`backprop.neuron_math`'s ``leaky_update`` and ``adaptive_threshold``, run as a loop
    of torch ops, or on the CPU as their compiled transcription :func:`_rsnn_kernel` (the
    recurrent input of binary spikes as a sum of the active neurons' weight rows; tested
    against the torch loop). ``reset="zero"`` only serves the forward comparison with
    ``neurosim`` (see :mod:`backprop.neuron_math`); e-prop subtracts.
    """
    T, B, n_in = x.shape
    N = w_in.shape[0]
    beta = _beta_vec(N, p, x)
    adaptive = p.n_adaptive > 0 and p.beta_a > 0
    cur_in = (x.reshape(T * B, n_in) @ w_in.T).reshape(T, B, N)
    w_rec_t = w_rec.T.contiguous()
    thr = p.threshold
    if _numba_ok(x) and _USE_KERNEL:
        sc = _np_dtype(x)
        z_np = np.empty((T, B, N), _np_dtype(x))
        u_np = np.empty_like(z_np)
        _rsnn_kernel(cur_in.detach().contiguous().numpy(), w_rec_t.detach().numpy(),
                     beta.numpy(), sc(p.alpha), sc(p.rho), sc(thr), RESETS[reset], adaptive,
                     z_np, u_np)
        return torch.from_numpy(z_np), torch.from_numpy(u_np)
    z_all = x.new_empty(T, B, N)
    u_all = x.new_empty(T, B, N)
    v = x.new_zeros(B, N)
    a = x.new_zeros(B, N)
    z = x.new_zeros(B, N)
    for t in range(T):
        v = leaky_update(v, torch.addmm(cur_in[t], z, w_rec_t), z, p.alpha, thr, reset)
        if adaptive:
            a, thresh = adaptive_threshold(a, z, p.rho, thr, beta)
            u = torch.sub(v, thresh, out=u_all[t])
        else:
            u = torch.sub(v, thr, out=u_all[t])
        z = (u > 0).to(x.dtype)
        z_all[t] = z
    return z_all, u_all


#: False forces the torch loop in :func:`_run` (tests compare the two)
_USE_KERNEL = True

if HAVE_NUMBA:

    @njit(cache=True)
    def _rsnn_kernel(cur, w_rec_t, beta, alpha, rho, thr, reset, adaptive, z, u):
        """:func:`_run`'s recurrence compiled (``leaky_update`` + ``adaptive_threshold``):
        ``cur (T, B, N)`` input currents, ``w_rec_t = W_rec.T``; fills ``z`` and ``u``."""
        T, B, N = cur.shape
        one, zero = z.dtype.type(1), z.dtype.type(0)
        v = np.empty(N, z.dtype)
        a = np.empty(N, z.dtype)
        r = np.empty(N, z.dtype)  # the previous step's spikes
        i_t = np.empty(N, z.dtype)
        active = np.empty(N, np.int64)
        for b in range(B):
            v[:] = zero
            a[:] = zero
            r[:] = zero
            n_act = 0
            for t in range(T):
                ub, zb = u[t, b], z[t, b]
                i_t[:] = cur[t, b]
                for k in range(n_act):  # W_rec z_{t-1}: add the active neurons' rows
                    row = w_rec_t[active[k]]
                    for j in range(N):
                        i_t[j] += row[j]
                if reset == 0:
                    for j in range(N):
                        v[j] = alpha * v[j] + i_t[j] - r[j] * thr
                elif reset == 1:
                    for j in range(N):
                        v[j] = alpha * ((one - r[j]) * v[j]) + i_t[j]
                else:
                    for j in range(N):
                        v[j] = alpha * v[j] + i_t[j]
                if adaptive:
                    for j in range(N):
                        a[j] = rho * a[j] + r[j]
                        ub[j] = v[j] - (thr + beta[j] * a[j])
                else:
                    for j in range(N):
                        ub[j] = v[j] - thr
                for j in range(N):
                    r[j] = one if ub[j] > 0 else zero
                    zb[j] = r[j]
                n_act = 0
                for j in range(N):
                    if ub[j] > 0:
                        active[n_act] = j
                        n_act += 1


def _numba_ok(x: Tensor) -> bool:
    return HAVE_NUMBA and x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64)


def _np_dtype(x: Tensor) -> type:
    return np.float32 if x.dtype == torch.float32 else np.float64


_FILTERS: dict[tuple, Tensor] = {}


def _filter_matrix(f: float, T: int, like: Tensor) -> Tensor:
    """``K[t, s] = f**(t - s)`` for ``s <= t``, else 0: ``K @ X`` runs the leaky filter
    :math:`\\bar X_t = f \\bar X_{t-1} + X_t` over a ``(T, ...)`` sequence in one product
    (``K.T @ X``: the same filter backwards in time, its adjoint)."""
    key = (f, T, like.dtype, like.device)
    k = _FILTERS.get(key)
    if k is None:
        if len(_FILTERS) > 64:
            _FILTERS.clear()
        d = torch.arange(T, dtype=torch.float64)
        lag = d[:, None] - d[None, :]
        k = torch.where(lag >= 0, f ** lag.clamp(min=0), torch.zeros((), dtype=torch.float64))
        k = _FILTERS[key] = k.to(like.device, like.dtype)
    return k


def _time_filter(k: Tensor, x: Tensor) -> Tensor:
    """``k (T', T) @ x (T, ...)`` over the time axis."""
    return (k @ x.reshape(x.shape[0], -1)).reshape(k.shape[0], *x.shape[1:])


def _leaky_readout(z: Tensor, w_out: Tensor, b_out: Tensor, kappa: float) -> Tensor:
    """:math:`y_t = \\kappa y_{t-1} + W^{out} z_t + b^{out}` for all steps, (T, B, K)."""
    drive = torch.matmul(z, w_out.T) + b_out
    return _time_filter(_filter_matrix(kappa, z.shape[0], z), drive)


def rsnn_forward(x: Tensor, weights: dict[str, Tensor], p: EPropParams) -> dict[str, Tensor]:
    """Run the (AL)IF network with plain autograd (the BPTT reference for e-prop).

    Under ``torch.no_grad()`` (prediction) the same network runs without building a graph
    (:func:`_run`, one input product for all steps).

    Parameters
    ----------
    x : Tensor, shape (T, B, n_in)
    weights : dict
        ``w_in (N, n_in)``, ``w_rec (N, N)`` (diagonal ignored), ``w_out (K, N)``, ``b_out (K,)``.
    p : EPropParams

    Returns
    -------
    dict with ``y (T, B, K)`` readout and ``z (T, B, N)`` spikes.
    """
    w_in, w_rec, w_out, b_out = (weights[k] for k in ("w_in", "w_rec", "w_out", "b_out"))
    w_rec = _no_self(w_rec)
    if not torch.is_grad_enabled():
        z, _ = _run(x, w_in, w_rec, p)
        return {"y": _leaky_readout(z, w_out, b_out, p.kappa), "z": z}
    T, B, _ = x.shape
    N = w_in.shape[0]
    beta = _beta_vec(N, p, x)
    v = x.new_zeros(B, N)
    a = x.new_zeros(B, N)
    z = x.new_zeros(B, N)
    y = x.new_zeros(B, w_out.shape[0])
    ys, zs = [], []
    for t in range(T):
        a, thresh = adaptive_threshold(a, z, p.rho, p.threshold, beta)
        v = leaky_update(v, x[t] @ w_in.T + z @ w_rec.T, z.detach(), p.alpha, p.threshold,
                         "subtract")
        z = _SpikePD.apply(v - thresh, p)
        y = p.kappa * y + z @ w_out.T + b_out
        ys.append(y)
        zs.append(z)
    return {"y": torch.stack(ys), "z": torch.stack(zs)}


LOSSES = ("ce", "bce", "mse")


def readout_loss(y: Tensor, target: Tensor, p: EPropParams, loss: str = "ce",
                 per_step: bool = False, mask: Tensor | None = None) -> Tensor:
    """The loss of the readout ``y (T, B, K)`` that every rule of the network minimises.

    ``per_step=False``: ``target`` is one per sequence (``(B,)`` classes for ``"ce"``,
    ``(B, K)`` for ``"bce"``/``"mse"``) and the loss is the mean over the last
    ``p.readout_steps`` steps (the target held over the window); ``per_step=True``:
    ``target`` is ``(T, B)`` / ``(T, B, K)`` and the loss is the (masked) mean over every
    step. ``"ce"``: cross-entropy of ``softmax(y_t)``; ``"bce"``: of ``sigmoid(y_t)``;
    ``"mse"``: squared error (:func:`backprop.losses.masked_loss`).
    """
    from backprop.losses import masked_loss

    if per_step:
        return masked_loss(loss, y, target, mask)
    w = min(p.readout_steps, y.shape[0])
    return masked_loss(loss, y[-w:], target.expand(w, *target.shape))


def _readout_error(y_t: Tensor, target: Tensor, scale: float) -> tuple[Tensor, Tensor]:
    """dE/dy_t for softmax cross-entropy (mean over batch and window), and the loss term."""
    logp = torch.log_softmax(y_t, dim=-1)
    onehot = torch.nn.functional.one_hot(target, y_t.shape[-1]).to(y_t.dtype)
    err = (logp.exp() - onehot) * scale
    loss = -(logp * onehot).sum() * scale
    return err, loss


@torch.no_grad()
def eprop_gradients(
    x: Tensor, target: Tensor, weights: dict[str, Tensor], p: EPropParams, feedback: Tensor,
    loss: str = "ce", per_step: bool = False, mask: Tensor | None = None,
) -> dict[str, Any]:
    """e-prop's weight gradients for a batch: loss, outputs and the accumulated gradients.

    Computes exactly the sum that the online rule accumulates,
    :math:`g_{ji} = \\sum_t L_{j,t} \\mathcal F_\\kappa(e_{ji})_t` (module docstring;
    :func:`eprop_gradients_online` runs it step by step), in a different order: e-prop's
    learning signal depends on the forward pass only, and the eligibility trace is linear in
    the presynaptic trace, so the filters over time move from the ``B x N x (n_in + N)``
    synapse traces onto ``B x N`` per-neuron factors (their adjoints, run backwards in time):

    .. math::

        \\hat L_t &= \\sum_{t' \\ge \\max(t, t_0)} \\kappa^{t'-t} L_{t'}, \\qquad
        \\lambda_t = \\hat L_t + \\mu_{t+1}, \\qquad
        \\mu_t = \\rho \\mu_{t+1} - \\beta_a \\psi_t \\lambda_t \\\\
        g_{ji} &= \\sum_{b, t} \\psi_{bj,t} \\lambda_{bj,t}\\, \\bar p_{bi,t}
        = \\sum_{b, t} \\hat c_{bj,t}\\, p_{bi,t}
        \\quad\\text{(one matrix product over } b, t)

    with :math:`\\hat c` the :math:`\\alpha` filter run backwards over
    :math:`c = \\psi\\lambda`

    (:math:`\\mu \\equiv 0` for LIF neurons). The network, the learning rule and the
    gradient are those of the online form; only the floating-point summation order differs
    (``tests/backprop/test_eprop.py`` bounds the difference: 1e-12 relative in float64, and
    float64 training ends at the same weights to 1e-9). In float64 the suite's e-prop learner
    (seq_digits, mnist1d, spike_patterns, 2 passes) predicts the same as the step-by-step
    code before this form (readouts within 2e-13); in float32, the default, a rounding
    difference sometimes flips a spike sitting at threshold and training then takes another
    path, so float32 predictions are not bit-identical to those of the step-by-step code. The
    cost per batch drops from ``O(T B N (n_in + N))`` elementwise updates to one product of
    that size, and memory from ``O(B N (n_in + N))`` to ``O(T B (n_in + N))``.

    Parameters
    ----------
    x : Tensor, shape (T, B, n_in)
        Input spikes (or currents).
    target : Tensor of int64, shape (B,)
        Class labels, scored over the last ``p.readout_steps`` steps.
    weights : dict
        As in :func:`rsnn_forward`.
    p : EPropParams
    feedback : Tensor, shape (N, K)
        Broadcast matrix ``B`` (``w_out.T`` for symmetric e-prop).
    loss, per_step, mask :
        The readout's loss (:func:`readout_loss`; default: cross-entropy of one class per
        sequence over the last steps, as in the paper). The learning signal is the loss's
        derivative with respect to the readout, ``dE/dy_t`` (``softmax - onehot`` for
        cross-entropy, ``y - y*`` up to the mean's scale for squared error), broadcast
        through ``B``: a quantity of the output units, computed at each step.

    Returns
    -------
    dict with ``grads`` (same keys as ``weights``), ``loss`` (float), ``y (T, B, K)``,
    ``z (T, B, N)``, ``rate`` (mean spikes per neuron per step) and ``held_bytes``: the
    bytes of the arrays this form holds, ``batch`` (the ``(T, B, .)`` states, errors,
    signals and adjoints of the batch) and ``filters`` (the two ``(T, T)`` filter matrices).
    """
    w_in, w_out, b_out = weights["w_in"], weights["w_out"], weights["b_out"]
    w_rec = _no_self(weights["w_rec"])
    T, B, n_in = x.shape
    N = w_in.shape[0]
    beta = _beta_vec(N, p, x)
    adaptive = p.n_adaptive > 0 and p.beta_a > 0
    alpha, rho, kappa = p.alpha, p.rho, p.kappa
    t0 = 0 if per_step else T - min(p.readout_steps, T)
    scale = 1.0 / (B * (T - t0))

    z, u = _run(x, w_in, w_rec, p)
    k_kappa = _filter_matrix(kappa, T, x)
    y = _time_filter(k_kappa, torch.matmul(z, w_out.T) + b_out)
    psi = _pseudo_derivative(u, p)
    if loss == "ce" and not per_step:  # the paper's case, in closed form
        err, loss_v = _readout_error(y[t0:], target, scale)  # (T - t0, B, K)
    else:  # dE/dy_t of the output units for any readout loss
        with torch.enable_grad():
            y_req = y.detach().requires_grad_(True)
            loss_v = readout_loss(y_req, target, p, loss, per_step, mask)
            err = torch.autograd.grad(loss_v, y_req)[0][t0:]
    fb = w_out.T if p.feedback == "symmetric" else feedback
    signal = err @ fb.T  # (T - t0, B, N): one number per neuron, broadcast

    # readout weights and bias: exact gradients with the kappa-filtered spikes / ones
    zbar = _time_filter(k_kappa[t0:], z)
    g_out = err.reshape(-1, err.shape[-1]).T @ zbar.reshape(-1, N)
    g_b = (err.sum(1) * k_kappa[t0:].sum(1)[:, None]).sum(0)

    # adjoint filters, backwards in time: lambda_t = dG/de_t, mu_t = dG/d eps^a_t
    lhat = _time_filter(k_kappa[t0:].T, signal)  # (T, B, N)
    if adaptive:
        coef = torch.empty_like(psi)  # psi_t * lambda_t
        mu = None
        for t in range(T - 1, -1, -1):
            lam = lhat[t] if mu is None else lhat[t] + mu
            c = torch.mul(psi[t], lam, out=coef[t])
            mu = -beta * c if mu is None else rho * mu - beta * c
    else:
        coef = psi * lhat
    # presynaptic traces p_t = [x_t, z_{t-1}] filtered by alpha: sum_t c_t pbar_t^T is
    # sum_t chat_t p_t^T with chat the same filter run backwards over c
    k_alpha = _filter_matrix(alpha, T, x)
    chat = _time_filter(k_alpha.T, coef)
    g_in = chat.reshape(T * B, N).T @ x.reshape(T * B, n_in)
    g_rec = chat[1:].reshape(-1, N).T @ z[:-1].reshape(-1, N)
    mask = 1 - torch.eye(N, dtype=x.dtype, device=x.device)
    grads = {
        "w_in": g_in,
        "w_rec": g_rec * mask,
        "w_out": g_out,
        "b_out": g_b,
    }
    # what this form holds (counted, not used): the (T, B, .) arrays of the batch and the
    # two (T, T) filter matrices, which do not depend on the batch
    held = (z, u, y, psi, err, signal, zbar, lhat, coef, chat)
    held_bytes = {"batch": int(sum(t.nbytes for t in held)),
                  "filters": int(k_kappa.nbytes + k_alpha.nbytes)}
    return {"grads": grads, "loss": float(loss_v), "y": y, "z": z, "rate": float(z.mean()),
            "held_bytes": held_bytes}


def online_traces(n_in: int, n_rec: int, p: EPropParams, batch: int = 1, *,
                  like: Tensor | None = None) -> dict[str, Tensor]:
    """The traces the online rule (:func:`eprop_gradients_online`) holds, as zeros: what a
    neuromorphic implementation keeps while a sequence runs (Bellec et al. 2020, Methods),
    independent of the sequence length.

    ``pbar (batch, n_in + N)``: the presynaptic traces :math:`\\bar p_i`;
    ``ebar (batch, N, n_in + N)``: the :math:`\\kappa`-filtered eligibility traces
    :math:`\\mathcal F_\\kappa(e_{ji})`, one per synapse; with adaptive neurons
    (``p.n_adaptive > 0`` and ``p.beta_a > 0``) also ``eps_a`` (the adaptation traces
    :math:`\\epsilon^a_{ji}`) and ``e_prev`` (the previous step's :math:`e_{ji}`, which
    :math:`\\epsilon^a` integrates), one per synapse each; ``zbar_out (batch, N)``: the
    filtered spikes of the readout's gradient. Every step reads and writes each of them
    once. ``like`` gives the dtype and device (default float32 on the CPU).
    """
    like = torch.zeros((), dtype=torch.float32) if like is None else like
    N, pre = n_rec, n_in + n_rec
    out = {"pbar": like.new_zeros(batch, pre), "ebar": like.new_zeros(batch, N, pre)}
    if p.n_adaptive > 0 and p.beta_a > 0:
        out["eps_a"] = like.new_zeros(batch, N, pre)
        out["e_prev"] = like.new_zeros(batch, N, pre)
    out["zbar_out"] = like.new_zeros(batch, N)
    return out


@torch.no_grad()
def eprop_gradients_online(
    x: Tensor, target: Tensor, weights: dict[str, Tensor], p: EPropParams, feedback: Tensor
) -> dict[str, Any]:
    """The online form of :func:`eprop_gradients`: same arguments, same results up to the
    floating-point summation order, computed strictly forward in time.

    The gradient of every weight is accumulated as :math:`\\sum_t L_{j,t} \\mathcal
    F_\\kappa(e_{ji})_t` while the network runs, with the synapse traces of the module
    docstring held explicitly (memory ``O(B * N * (n_in + N))``, independent of ``T``): what
    a neuromorphic chip would do, and the reference that :func:`eprop_gradients` is tested
    against.
    """
    w_in, w_rec, w_out = weights["w_in"], weights["w_rec"], weights["w_out"]
    b_out = weights["b_out"]
    T, B, n_in = x.shape
    N, K = w_in.shape[0], w_out.shape[0]
    dev, dt = x.device, x.dtype
    mask = 1 - torch.eye(N, dtype=dt, device=dev)
    w_rec = w_rec * mask
    beta = _beta_vec(N, p, x)
    adaptive = p.n_adaptive > 0 and p.beta_a > 0
    alpha, rho, kappa, thr = p.alpha, p.rho, p.kappa, p.threshold
    t0 = T - min(p.readout_steps, T)
    scale = 1.0 / (B * (T - t0))

    v = x.new_zeros(B, N)
    a = x.new_zeros(B, N)
    z = x.new_zeros(B, N)
    y = x.new_zeros(B, K)
    traces = online_traces(n_in, N, p, B, like=x)  # zeros (see online_traces)
    pbar = traces["pbar"]  # presynaptic traces
    ebar = traces["ebar"]  # kappa-filtered eligibility traces
    eps_a = traces.get("eps_a")
    e_prev = traces.get("e_prev")
    zbar_out = traces["zbar_out"]  # kappa-filtered spikes for the readout weights
    bbar = 0.0
    g_rec_in = x.new_zeros(N, n_in + N)
    g_out = torch.zeros_like(w_out)
    g_b = torch.zeros_like(b_out)
    loss = x.new_zeros(())
    ys, zs = [], []
    for t in range(T):
        pre = torch.cat([x[t], z], dim=1)  # [x_t, z_{t-1}]
        a, thresh = adaptive_threshold(a, z, rho, thr, beta)
        v = leaky_update(v, x[t] @ w_in.T + z @ w_rec.T, z, alpha, thr, "subtract")
        u = v - thresh
        z = (u > 0).to(dt)
        psi = _pseudo_derivative(u, p)
        y = kappa * y + z @ w_out.T + b_out
        # eligibility traces (local to each synapse)
        pbar = alpha * pbar + pre
        if adaptive:
            eps_a = rho * eps_a + e_prev
            e = psi[:, :, None] * (pbar[:, None, :] - beta[None, :, None] * eps_a)
            e_prev = e
        else:
            e = psi[:, :, None] * pbar[:, None, :]
        ebar = kappa * ebar + e
        zbar_out = kappa * zbar_out + z
        bbar = kappa * bbar + 1.0
        if t >= t0:
            err, l_t = _readout_error(y, target, scale)
            loss = loss + l_t
            fb = w_out.T if p.feedback == "symmetric" else feedback
            learning_signal = err @ fb.T  # (B, N): one number per neuron, broadcast
            g_rec_in += torch.einsum("bj,bji->ji", learning_signal, ebar)
            g_out += err.T @ zbar_out
            g_b += err.sum(0) * bbar
        ys.append(y)
        zs.append(z)
    z_all = torch.stack(zs)
    grads = {
        "w_in": g_rec_in[:, :n_in],
        "w_rec": g_rec_in[:, n_in:] * mask,
        "w_out": g_out,
        "b_out": g_b,
    }
    return {
        "grads": grads,
        "loss": float(loss),
        "y": torch.stack(ys),
        "z": z_all,
        "rate": float(z_all.mean()),
    }


class EProp:
    """A recurrent (AL)IF network with a leaky readout, trained online by e-prop.

    Parameters
    ----------
    n_in, n_rec, n_out : int
        Input channels, recurrent neurons, classes.
    params : EPropParams, optional
    device : str or torch.device
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``.
    seed : int
        Seeds the initial weights and the random feedback matrix.
    dtype : torch.dtype
    rule : str or None
        None (default): e-prop with ``params.feedback``. Otherwise one of
        :data:`backprop.rsnn_rules.RSNN_RULES` (``"bptt"``, ``"tbptt"``,
        ``"eprop_symmetric"``, ``"eprop_random"``, ``"readout"``): the same network
        trained by another rule (the ``rsnn`` rule-swap family).
    truncation : int
        The window of ``rule="tbptt"`` (steps).
    loss : {"ce", "bce", "mse"}
        The readout's loss (:func:`readout_loss`): ``"ce"`` takes class labels, ``"bce"``
        (0/1 targets, logits) and ``"mse"`` real targets of ``n_out`` values.
    output : {"final", "per_step"}
        One target per sequence, scored over the last ``readout_steps`` steps (default, the
        paper's), or one per step (``y (T, S, ...)``, with an optional ``mask``).

    Examples
    --------
    >>> x, y = make_temporal_patterns(n_samples=64, seed=0)
    >>> net = EProp(x.shape[2], 32, int(y.max()) + 1, seed=0, device="cpu")
    >>> history = net.fit(x, y, epochs=2, batch_size=32)
    """

    def __init__(
        self,
        n_in: int,
        n_rec: int,
        n_out: int,
        params: EPropParams | None = None,
        *,
        device: str | torch.device = "auto",
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
        rule: str | None = None,
        truncation: int = 10,
        loss: str = "ce",
        output: str = "final",
    ) -> None:
        from backprop.rsnn_rules import RSNN_RULES

        if rule is not None:
            check_choice("EProp.rule", rule, RSNN_RULES)
        self.loss = check_choice("EProp.loss", loss, LOSSES)
        self.per_step = check_choice("EProp.output", output, ("final", "per_step")) == \
            "per_step"
        self.rule = rule
        self.truncation = check_int("EProp.truncation", truncation, low=1)
        n_in, n_rec, n_out = (check_int(f"EProp.{name}", v, low=1)
                              for name, v in (("n_in", n_in), ("n_rec", n_rec), ("n_out", n_out)))
        self.params = params if params is not None else EPropParams()
        self.device = resolve_device(device)
        self.n_in, self.n_rec, self.n_out = n_in, n_rec, n_out
        g = torch.Generator().manual_seed(seed)
        thr = self.params.threshold

        def randn(*shape: int) -> Tensor:
            return torch.randn(*shape, generator=g, dtype=torch.float64)

        w = {
            "w_in": randn(n_rec, n_in) * thr / math.sqrt(n_in),
            "w_rec": randn(n_rec, n_rec) * thr / math.sqrt(n_rec) * 0.5,
            "w_out": randn(n_out, n_rec) / math.sqrt(n_rec),
            "b_out": torch.zeros(n_out, dtype=torch.float64),
        }
        w["w_rec"].fill_diagonal_(0.0)
        self.weights = {
            k: v.to(self.device, dtype).requires_grad_(True) for k, v in w.items()
        }
        self.feedback = (randn(n_rec, n_out) / math.sqrt(n_out)).to(self.device, dtype)
        self.optimizer = torch.optim.Adam(self.weights.values(), lr=self.params.lr)

    def _check(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        x = torch.as_tensor(x)
        if not torch.is_floating_point(x):
            x = x.to(torch.float32)
        check_sequence(x, self.n_in, name="x", owner="EProp")
        if not bool(torch.isfinite(x).all()):
            raise ValueError("EProp got an input x containing NaN or inf")
        x = x.to(self.device, self.weights["w_in"].dtype)
        if y is not None and (self.loss != "ce" or self.per_step):
            y = torch.as_tensor(y).to(self.device)
            want = ((x.shape[0],) if self.per_step else ()) + (x.shape[1],) + (
                () if self.loss == "ce" else (self.n_out,))
            if tuple(y.shape) != want:
                raise ValueError(f"EProp (loss={self.loss!r}, output="
                                 f"{'per_step' if self.per_step else 'final'!r}) expected "
                                 f"targets y of shape {want}, got {tuple(y.shape)}")
            if self.loss == "ce":
                if y.dtype.is_floating_point or int(y.min()) < 0 or int(y.max()) >= self.n_out:
                    raise ValueError(f"EProp labels must be ints in [0, {self.n_out - 1}]")
                return x, y.long()
            if not bool(torch.isfinite(y).all()):
                raise ValueError("EProp got targets y containing NaN or inf")
            return x, y.to(x.dtype)
        if y is not None:
            y = torch.as_tensor(y).to(self.device)
            if y.shape != (x.shape[1],):
                hint = ""
                if y.ndim == 1 and y.shape[0] == x.shape[0]:
                    hint = (
                        f"; x {tuple(x.shape)} looks batch-first (B, T, F): "
                        "pass x.transpose(0, 1) to get (T, B, F)"
                    )
                raise ValueError(
                    f"EProp expected labels y of shape ({x.shape[1]},) (one per sequence), "
                    f"got {tuple(y.shape)}{hint}"
                )
            if y.dtype.is_floating_point or int(y.min()) < 0 or int(y.max()) >= self.n_out:
                raise ValueError(f"EProp labels must be ints in [0, {self.n_out - 1}]")
            y = y.long()
        return x, y

    def train_step(self, x: Tensor, y: Tensor, mask: Tensor | None = None
                   ) -> dict[str, float]:
        """One online e-prop pass over a batch ``x (T, B, n_in)``, ``y (B,)`` (or the
        gradients of ``rule``), then one Adam step with the accumulated gradients. Returns
        ``loss`` and spike ``rate``. ``mask`` (per-step outputs only): ``(T, B)``, 1 where a
        step's target counts."""
        x, y = self._check(x, y)
        if mask is not None:
            mask = torch.as_tensor(mask).to(self.device, x.dtype)
        kw = {} if self.loss == "ce" and not self.per_step else {
            "loss": self.loss, "per_step": self.per_step, "mask": mask}
        with torch.no_grad():
            if self.rule is None:
                out = eprop_gradients(x, y, self.weights, self.params, self.feedback, **kw)
            else:
                from backprop.rsnn_rules import rsnn_gradients

                out = rsnn_gradients(self.rule, x, y, self.weights, self.params,
                                     self.feedback, self.truncation, **kw)
        if not math.isfinite(out["loss"]):
            raise FloatingPointError(
                f"EProp loss became {out['loss']}; lower EPropParams.lr (now {self.params.lr})"
            )
        self.optimizer.zero_grad(set_to_none=True)
        for k, w in self.weights.items():
            w.grad = out["grads"][k]
        self.optimizer.step()
        return {"loss": out["loss"], "rate": out["rate"]}

    def fit(
        self,
        x: Tensor,
        y: Tensor,
        *,
        epochs: int = 10,
        batch_size: int = 32,
        seed: int = 0,
        callback: Callable[[int], bool] | None = None,
        mask: Tensor | None = None,
    ) -> list[float]:
        """Train on ``x (T, S, n_in)``, ``y (S,)``; returns the mean loss of each epoch.

        Parameters
        ----------
        x : Tensor, shape (T, S, n_in)
        y : Tensor of int64, shape (S,)
        epochs : int
            Passes over the ``S`` sequences (shuffled each pass, mini-batches of
            ``batch_size``; one Adam step per batch).
        batch_size : int
        seed : int
            Seeds the shuffling.
        callback : callable or None
            ``callback(epoch)`` is called after every pass (``epoch`` counts from 1);
            returning True stops training there (e.g. early stopping on a validation set).
            None (the default) trains for all ``epochs``.
        mask : Tensor or None
            Per-step outputs: ``(T, S)``, 1 where a step's target counts.
        """
        x, y = self._check(x, y)
        rng = np.random.default_rng(seed)
        history = []
        S = x.shape[1]
        for epoch in range(1, epochs + 1):
            order = torch.as_tensor(rng.permutation(S), device=self.device)
            losses = []
            for i in range(0, S, batch_size):
                idx = order[i : i + batch_size]
                yb = y[:, idx] if self.per_step else y[idx]
                mb = None if mask is None else torch.as_tensor(mask)[:, idx.cpu()]
                losses.append(self.train_step(x[:, idx], yb, mb)["loss"])
            history.append(float(np.mean(losses)))
            if callback is not None and callback(epoch):
                break
        return history

    @torch.no_grad()
    def predict(self, x: Tensor) -> Tensor:
        """Class with the largest readout summed over the readout window, shape (B,)."""
        x, _ = self._check(x)
        out = rsnn_forward(x, self.weights, self.params)
        window = out["y"][-min(self.params.readout_steps, x.shape[0]) :]
        return window.sum(0).argmax(1)

    def score(self, x: Tensor, y: Tensor) -> float:
        """Accuracy of :meth:`predict`."""
        x, y = self._check(x, y)
        return float((self.predict(x) == y).float().mean())


def make_temporal_patterns(
    n_samples: int = 256,
    *,
    n_classes: int = 3,
    n_in: int = 20,
    steps: int = 40,
    rate: float = 0.05,
    jitter_keep: float = 0.9,
    noise_rate: float = 0.01,
    seed: int = 0,
    sample_seed: int | None = None,
) -> tuple[Tensor, Tensor]:
    """A small temporal spike-pattern classification task (for e-prop demos and tests).

    Each class is one frozen Poisson pattern (``n_in`` channels x ``steps``, ``rate`` spikes
    per step); a sample is its class pattern with each spike kept with probability
    ``jitter_keep`` plus background noise spikes (``noise_rate``). Chance = 1/n_classes.
    ``seed`` fixes the class templates, ``sample_seed`` (default ``seed + 1``) the samples:
    draw a training and a test set with the same ``seed`` and different ``sample_seed``.

    Returns
    -------
    x : Tensor, shape (steps, n_samples, n_in), float32 spikes
    y : Tensor of int64, shape (n_samples,)
    """
    templates = np.random.default_rng(seed).random((n_classes, steps, n_in)) < rate
    rng = np.random.default_rng(seed + 1 if sample_seed is None else sample_seed)
    y = rng.integers(0, n_classes, n_samples)
    keep = rng.random((n_samples, steps, n_in)) < jitter_keep
    noise = rng.random((n_samples, steps, n_in)) < noise_rate
    x = (templates[y] & keep) | noise
    return torch.as_tensor(x.transpose(1, 0, 2), dtype=torch.float32), torch.as_tensor(y)
