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

from backprop.utils import check_choice, check_sequence, resolve_device

__all__ = [
    "EProp",
    "EPropParams",
    "eprop_gradients",
    "make_temporal_patterns",
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
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"EPropParams.{name} must be a real number, got {type(v).__name__}")
            if not math.isfinite(v) or v < 0 or (v == 0 and name != "beta_a"):
                rel = ">= 0" if name == "beta_a" else "> 0"
                raise ValueError(f"EPropParams.{name} must be {rel}, got {v!r}")
        for name in ("n_adaptive", "readout_steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"EPropParams.{name} must be an int, got {type(v).__name__}")
        if self.n_adaptive < 0:
            raise ValueError(f"EPropParams.n_adaptive must be >= 0, got {self.n_adaptive}")
        if self.readout_steps < 1:
            raise ValueError(f"EPropParams.readout_steps must be >= 1, got {self.readout_steps}")
        check_choice("EPropParams.feedback", self.feedback, _FEEDBACK)

    @property
    def alpha(self) -> float:
        return math.exp(-self.dt / self.tau_m)

    @property
    def rho(self) -> float:
        return math.exp(-self.dt / self.tau_a)

    @property
    def kappa(self) -> float:
        return math.exp(-self.dt / self.tau_out)


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


def rsnn_forward(x: Tensor, weights: dict[str, Tensor], p: EPropParams) -> dict[str, Tensor]:
    """Run the (AL)IF network with plain autograd (the BPTT reference for e-prop).

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
    T, B, _ = x.shape
    N = w_in.shape[0]
    mask = 1 - torch.eye(N, dtype=x.dtype, device=x.device)
    w_rec = w_rec * mask
    beta = _beta_vec(N, p, x)
    v = x.new_zeros(B, N)
    a = x.new_zeros(B, N)
    z = x.new_zeros(B, N)
    y = x.new_zeros(B, w_out.shape[0])
    ys, zs = [], []
    for t in range(T):
        a = p.rho * a + z
        v = p.alpha * v + x[t] @ w_in.T + z @ w_rec.T - p.threshold * z.detach()
        z = _SpikePD.apply(v - (p.threshold + beta * a), p)
        y = p.kappa * y + z @ w_out.T + b_out
        ys.append(y)
        zs.append(z)
    return {"y": torch.stack(ys), "z": torch.stack(zs)}


def _readout_error(y_t: Tensor, target: Tensor, scale: float) -> tuple[Tensor, Tensor]:
    """dE/dy_t for softmax cross-entropy (mean over batch and window), and the loss term."""
    logp = torch.log_softmax(y_t, dim=1)
    err = (logp.exp() - torch.nn.functional.one_hot(target, y_t.shape[1]).to(y_t.dtype)) * scale
    loss = -logp.gather(1, target[:, None]).sum() * scale
    return err, loss


def eprop_gradients(
    x: Tensor, target: Tensor, weights: dict[str, Tensor], p: EPropParams, feedback: Tensor
) -> dict[str, Any]:
    """One online e-prop pass over a batch: loss, outputs and accumulated weight gradients.

    The sequence is processed strictly forward in time; the gradient of every weight is
    accumulated as :math:`\\sum_t L_{j,t} \\mathcal F_\\kappa(e_{ji})_t` while the network runs
    (see the module docstring). Memory: ``O(B * N * (n_in + N))``, independent of ``T``.

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

    Returns
    -------
    dict with ``grads`` (same keys as ``weights``), ``loss`` (float), ``y (T, B, K)``,
    ``z (T, B, N)`` and ``rate`` (mean spikes per neuron per step).
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
    pbar = x.new_zeros(B, n_in + N)  # presynaptic traces
    ebar = x.new_zeros(B, N, n_in + N)  # kappa-filtered eligibility traces
    eps_a = x.new_zeros(B, N, n_in + N) if adaptive else None
    e_prev = x.new_zeros(B, N, n_in + N) if adaptive else None
    zbar_out = x.new_zeros(B, N)  # kappa-filtered spikes for the readout weights
    bbar = 0.0
    g_rec_in = x.new_zeros(N, n_in + N)
    g_out = torch.zeros_like(w_out)
    g_b = torch.zeros_like(b_out)
    loss = x.new_zeros(())
    ys, zs = [], []
    for t in range(T):
        pre = torch.cat([x[t], z], dim=1)  # [x_t, z_{t-1}]
        a = rho * a + z
        v = alpha * v + x[t] @ w_in.T + z @ w_rec.T - thr * z
        u = v - (thr + beta * a)
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
    ) -> None:
        for name, v in (("n_in", n_in), ("n_rec", n_rec), ("n_out", n_out)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"EProp.{name} must be an int, got {type(v).__name__}")
            if v < 1:
                raise ValueError(f"EProp.{name} must be >= 1, got {v}")
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

    def train_step(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """One online e-prop pass over a batch ``x (T, B, n_in)``, ``y (B,)``, then one Adam
        step with the accumulated gradients. Returns ``loss`` and spike ``rate``."""
        x, y = self._check(x, y)
        with torch.no_grad():
            out = eprop_gradients(x, y, self.weights, self.params, self.feedback)
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
                losses.append(self.train_step(x[:, idx], y[idx])["loss"])
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
