r"""Deep Boltzmann machine with two hidden layers (Salakhutdinov & Hinton 2009).

Binary units everywhere, energy

.. math::

    E(v, h^1, h^2) = -b^\top v - c_1^\top h^1 - c_2^\top h^2 - v^\top W_1 h^1
    - {h^1}^\top W_2 h^2 .

Training: greedy layer-wise pre-training of two RBMs with the weight-doubling of Salakhutdinov
& Hinton (2009) (bottom-up input doubled in the first RBM, top-down input doubled in the
second, because in the DBM ``h1`` receives input from both sides), then joint fine-tuning of
the log-likelihood with a mean-field positive phase and a persistent-Gibbs negative phase
(PCD / stochastic approximation):

.. math::

    \Delta W_1 \propto \langle v \mu_1^\top\rangle_{\text{data, MF}}
    - \langle \tilde v \tilde h_1^\top\rangle_{\text{chains}},\qquad
    \Delta W_2 \propto \langle \mu_1 \mu_2^\top\rangle_{\text{data, MF}}
    - \langle \tilde h_1 \tilde h_2^\top\rangle_{\text{chains}} .

Because ``v`` and ``h2`` are independent given ``h1``, :math:`\log Z` and :math:`\log p(v)`
are exact by enumerating ``h1`` when it has at most ~20-24 units. For larger ``h1`` the DBM is
scored as in Salakhutdinov & Hinton (2009): AIS for :math:`\log Z` (the DBM is an RBM between
``[v, h2]`` and ``h1``, :func:`dbm_as_rbm`) and the mean-field lower bound on
:math:`\log p^*(v)`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin

from .boltzmann import check_data, check_float, check_int, make_generator, resolve_device
from .rbm import learning_rate_factor
from .sampling import (
    MAX_EXACT_UNITS,
    LogPartition,
    _check_size,
    _chunks,
    ais_rbm,
    binary_states,
    few_threads_for_small_work,
)

__all__ = [
    "DBM",
    "DBMParams",
    "dbm_as_rbm",
    "dbm_gibbs_step",
    "dbm_log_partition_exact",
    "dbm_log_unnormalized_visible",
    "dbm_mean_field",
    "dbm_variational_lower_bound",
]


def dbm_mean_field(
    v: torch.Tensor, W1: torch.Tensor, W2: torch.Tensor, c1: torch.Tensor, c2: torch.Tensor,
    n_iter: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Mean-field posterior :math:`q(h^1, h^2 \mid v)` by fixed-point iteration.

    .. math::

        \mu_1 \leftarrow \sigma(c_1 + W_1^\top v + W_2 \mu_2),\qquad
        \mu_2 \leftarrow \sigma(c_2 + W_2^\top \mu_1),

    started from a bottom-up pass with doubled input (:math:`\mu_1 = \sigma(c_1 +
    2W_1^\top v)`), as in Salakhutdinov & Hinton (2009).

    Parameters
    ----------
    v : (n, n_visible) tensor
    W1 : (n_visible, n_hidden1), W2 : (n_hidden1, n_hidden2), c1, c2 : hidden biases
    n_iter : int

    Returns
    -------
    mu1 : (n, n_hidden1) tensor
    mu2 : (n, n_hidden2) tensor
    """
    field1 = torch.addmm(c1, v, W1)
    mu1 = torch.sigmoid(field1 + (v @ W1))
    mu2 = torch.sigmoid(torch.addmm(c2, mu1, W2))
    for _ in range(n_iter):
        mu1 = torch.sigmoid(field1 + mu2 @ W2.T)
        mu2 = torch.sigmoid(torch.addmm(c2, mu1, W2))
    return mu1, mu2


def dbm_gibbs_step(
    v: torch.Tensor, h2: torch.Tensor, W1: torch.Tensor, W2: torch.Tensor, b: torch.Tensor,
    c1: torch.Tensor, c2: torch.Tensor, generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""One block-Gibbs step: :math:`h^1 \mid (v, h^2)`, then :math:`(v, h^2) \mid h^1`.

    .. math::

        h^1 \sim \sigma(c_1 + W_1^\top v + W_2 h^2),\quad
        v \sim \sigma(b + W_1 h^1),\quad h^2 \sim \sigma(c_2 + W_2^\top h^1)

    Returns
    -------
    v, h1, h2 : new states
    p1 : (n, n_hidden1) tensor
        :math:`p(h^1 = 1 \mid v, h^2)` of the *new* ``v`` and ``h2`` (for Rao-Blackwellised
        statistics).
    """
    p1 = torch.sigmoid(torch.addmm(c1, v, W1) + h2 @ W2.T)
    h1 = torch.bernoulli(p1, generator=generator)
    v = torch.bernoulli(torch.sigmoid(torch.addmm(b, h1, W1.T)), generator=generator)
    h2 = torch.bernoulli(torch.sigmoid(torch.addmm(c2, h1, W2)), generator=generator)
    p1 = torch.sigmoid(torch.addmm(c1, v, W1) + h2 @ W2.T)
    return v, h1, h2, p1


# ---------------------------------------------------------------------------------------------
# exact partition function and marginal: enumerate the first hidden layer
# ---------------------------------------------------------------------------------------------


def dbm_log_partition_exact(
    W1: torch.Tensor, W2: torch.Tensor, b: torch.Tensor, c1: torch.Tensor, c2: torch.Tensor,
    *, max_units: int = MAX_EXACT_UNITS, chunk_elements: int = 1 << 22,
) -> float:
    r"""Exact :math:`\log Z` of a two-hidden-layer DBM by enumerating ``h1``.

    With :math:`E = -b^\top v - c_1^\top h_1 - c_2^\top h_2 - v^\top W_1 h_1 - h_1^\top W_2 h_2`,
    ``v`` and ``h2`` are independent given ``h1``:

    .. math::

        \log Z = \operatorname{logsumexp}_{h_1}\Big[c_1^\top h_1
        + \sum_i \operatorname{softplus}(b_i + W_{1,i:} h_1)
        + \sum_k \operatorname{softplus}(c_{2,k} + h_1^\top W_{2,:k})\Big]

    Parameters
    ----------
    W1 : (n_visible, n_hidden1), W2 : (n_hidden1, n_hidden2), b, c1, c2 : biases
    """
    n1 = W1.shape[1]
    _check_size(n1, max_units, "n_hidden1", "DBM likelihoods need a first hidden layer "
                "small enough to enumerate")
    W1, W2, b, c1, c2 = (t.double() for t in (W1, W2, b, c1, c2))
    width = W1.shape[0] + W2.shape[1]
    parts = []
    for lo, hi in _chunks(n1, width, chunk_elements):
        h1 = binary_states(lo, hi, n1, device=W1.device)
        t = h1 @ c1 + F.softplus(torch.addmm(b, h1, W1.T)).sum(1) + F.softplus(
            torch.addmm(c2, h1, W2)).sum(1)
        parts.append(torch.logsumexp(t, 0))
    return float(torch.logsumexp(torch.stack(parts), 0).item())


def dbm_log_unnormalized_visible(
    v: torch.Tensor, W1: torch.Tensor, W2: torch.Tensor, b: torch.Tensor, c1: torch.Tensor,
    c2: torch.Tensor, *, max_units: int = MAX_EXACT_UNITS, chunk_elements: int = 1 << 22,
) -> torch.Tensor:
    r""":math:`\log \sum_{h_1, h_2} e^{-E(v, h_1, h_2)}` for each row of ``v`` (exact).

    .. math::

        \log p^*(v) = b^\top v + \operatorname{logsumexp}_{h_1}\Big[(c_1 + W_1^\top v)^\top h_1
        + \sum_k \operatorname{softplus}(c_{2,k} + h_1^\top W_{2,:k})\Big]

    Returns
    -------
    (n_samples,) float64 tensor
    """
    n1 = W1.shape[1]
    _check_size(n1, max_units, "n_hidden1", "DBM likelihoods need a first hidden layer "
                "small enough to enumerate")
    v, W1, W2, b, c1, c2 = (t.double() for t in (v, W1, W2, b, c1, c2))
    field = torch.addmm(c1, v, W1)  # (n, n1)
    acc = torch.full((v.shape[0],), -math.inf, dtype=torch.float64, device=v.device)
    for lo, hi in _chunks(n1, max(v.shape[0], W2.shape[1]), chunk_elements):
        h1 = binary_states(lo, hi, n1, device=v.device)
        top = F.softplus(torch.addmm(c2, h1, W2)).sum(1)  # (chunk,)
        acc = torch.logaddexp(acc, torch.logsumexp(field @ h1.T + top, dim=1))
    return v @ b + acc


def dbm_as_rbm(
    W1: torch.Tensor, W2: torch.Tensor, b: torch.Tensor, c1: torch.Tensor, c2: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""A two-hidden-layer DBM as an RBM between the layers ``[v, h2]`` and ``h1``.

    The DBM graph is bipartite ({v, h2} vs {h1}), so its joint distribution is that of an RBM
    with "visible" layer :math:`[v, h^2]`, weights :math:`[W_1; W_2^\top]` and biases
    :math:`[b, c_2]`, :math:`c_1`. Its partition function is the DBM's, so exact enumeration
    and AIS (:func:`~neurosim.memory.sampling.ais_rbm`) apply unchanged.

    Returns
    -------
    W : (n_visible + n_hidden2, n_hidden1) tensor
    b_outer : (n_visible + n_hidden2,) tensor
    c_inner : (n_hidden1,) tensor
    """
    return torch.cat([W1, W2.T], 0), torch.cat([b, c2]), c1


def dbm_variational_lower_bound(
    v: torch.Tensor, W1: torch.Tensor, W2: torch.Tensor, b: torch.Tensor, c1: torch.Tensor,
    c2: torch.Tensor, n_iter: int = 50,
) -> torch.Tensor:
    r"""Mean-field lower bound on :math:`\log p^*(v) = \log\sum_{h^1,h^2} e^{-E(v,h^1,h^2)}`.

    .. math::

        \log p^*(v) \ge b^\top v + c_1^\top\mu_1 + c_2^\top\mu_2 + v^\top W_1\mu_1
        + \mu_1^\top W_2 \mu_2 + \mathcal H(\mu_1) + \mathcal H(\mu_2)

    with :math:`\mu` from :func:`dbm_mean_field` and :math:`\mathcal H` the entropy of
    independent Bernoulli units (Salakhutdinov & Hinton 2009, eq. 9).

    Returns
    -------
    (n_samples,) tensor
    """
    mu1, mu2 = dbm_mean_field(v, W1, W2, c1, c2, n_iter)

    def entropy(mu):
        mu = mu.clamp(1e-12, 1 - 1e-12)
        return -(mu * mu.log() + (1 - mu) * (1 - mu).log()).sum(1)

    return (v @ b + mu1 @ c1 + mu2 @ c2 + ((v @ W1) * mu1).sum(1) + ((mu1 @ W2) * mu2).sum(1)
            + entropy(mu1) + entropy(mu2))


@dataclass(frozen=True)
class DBMParams:
    """Validated settings of :class:`DBM` (see its docstring)."""

    n_components: tuple[int, int] = (16, 16)
    learning_rate: float = 0.05
    n_iter: int = 50
    pretrain_iter: int = 20
    pretrain_learning_rate: float = 0.1
    batch_size: int = 32
    n_chains: int = 100
    n_gibbs: int = 1
    mean_field_iter: int = 10
    momentum: float = 0.5
    weight_decay: float = 0.0
    lr_schedule: str | Callable[[int, int], float] = "linear"
    binarize: float | None = None

    def __post_init__(self) -> None:
        o = "DBMParams"
        nc = self.n_components
        if not isinstance(nc, tuple | list) or len(nc) != 2:
            raise ValueError(f"DBMParams.n_components must be a pair (n_hidden1, n_hidden2), "
                             f"got {nc!r}")
        check_int(o, "n_components[0]", nc[0], 1)
        check_int(o, "n_components[1]", nc[1], 1)
        check_float(o, "learning_rate", self.learning_rate, 0.0, low_open=True)
        check_int(o, "n_iter", self.n_iter, 0)
        check_int(o, "pretrain_iter", self.pretrain_iter, 0)
        check_float(o, "pretrain_learning_rate", self.pretrain_learning_rate, 0.0,
                    low_open=True)
        check_int(o, "batch_size", self.batch_size, 1)
        check_int(o, "n_chains", self.n_chains, 1)
        check_int(o, "n_gibbs", self.n_gibbs, 1)
        check_int(o, "mean_field_iter", self.mean_field_iter, 0)
        check_float(o, "momentum", self.momentum, 0.0, 1.0, high_open=True)
        check_float(o, "weight_decay", self.weight_decay, 0.0)
        if not callable(self.lr_schedule) and self.lr_schedule not in (
                "constant", "linear", "exponential"):
            raise ValueError(f"unknown DBMParams.lr_schedule {self.lr_schedule!r}; choose "
                             "from: constant, linear, exponential, or a callable")
        if self.binarize is not None:
            check_float(o, "binarize", self.binarize, -np.inf)


def _pretrain_rbm(X, n_hidden, up, down, epochs, lr, batch_size, momentum, g, init_b):
    """CD-1 for an RBM whose bottom-up input is scaled by ``up`` and top-down by ``down``."""
    n_v = X.shape[1]
    W = 0.01 * torch.randn((n_v, n_hidden), generator=g, dtype=X.dtype, device=X.device)
    b = init_b.clone()
    c = torch.zeros(n_hidden, dtype=X.dtype, device=X.device)
    vel = [torch.zeros_like(t) for t in (W, b, c)]
    n = X.shape[0]
    for ep in range(epochs):
        rate = lr * (1.0 - ep / epochs)
        Xs = X[torch.randperm(n, generator=g, device=X.device)]
        for s in range(0, n, batch_size):
            v0 = Xs[s:s + batch_size]
            ph0 = torch.sigmoid(up * (v0 @ W) + c)
            h = torch.bernoulli(ph0, generator=g)
            v1 = torch.bernoulli(torch.sigmoid(down * (h @ W.T) + b), generator=g)
            ph1 = torch.sigmoid(up * (v1 @ W) + c)
            m = v0.shape[0]
            grads = ((v0.T @ ph0 - v1.T @ ph1) / m, (v0 - v1).mean(0), (ph0 - ph1).mean(0))
            for p, v_, gr in zip((W, b, c), vel, grads):
                v_.mul_(momentum).add_(gr, alpha=rate)
                p.add_(v_)
    return W, b, c


class DBM(TransformerMixin, BaseEstimator):
    """Two-hidden-layer deep Boltzmann machine with binary units (scikit-learn estimator).

    Parameters
    ----------
    n_components : (int, int), default (16, 16)
        Sizes of the hidden layers ``h1`` and ``h2``.
    learning_rate : float, default 0.05
        Fine-tuning step size (times the schedule factor).
    n_iter : int, default 50
        Fine-tuning epochs (0: pre-training only).
    pretrain_iter : int, default 20
        Epochs of CD-1 for each of the two pre-training RBMs (0: random initialisation).
    pretrain_learning_rate : float, default 0.1
    batch_size : int, default 32
    n_chains : int, default 100
        Persistent fantasy particles of the negative phase.
    n_gibbs : int, default 1
        Gibbs steps of the fantasy particles per update.
    mean_field_iter : int, default 10
        Mean-field iterations of the positive phase.
    momentum, weight_decay, lr_schedule, binarize, device, random_state, verbose
        As in :class:`~neurosim.memory.rbm.RBM`.

    Attributes
    ----------
    weights_ : tuple of ndarray
        ``(W1 (n_features, n_hidden1), W2 (n_hidden1, n_hidden2))``.
    intercepts_ : tuple of ndarray
        ``(b (n_features,), c1 (n_hidden1,), c2 (n_hidden2,))``.
    n_features_in_ : int
    n_epochs_ : int
        Fine-tuning epochs done.
    """

    def __init__(self, n_components: tuple[int, int] = (16, 16), *, learning_rate: float = 0.05,
                 n_iter: int = 50, pretrain_iter: int = 20,
                 pretrain_learning_rate: float = 0.1, batch_size: int = 32,
                 n_chains: int = 100, n_gibbs: int = 1, mean_field_iter: int = 10,
                 momentum: float = 0.5, weight_decay: float = 0.0,
                 lr_schedule: str | Callable[[int, int], float] = "linear",
                 binarize: float | None = None, device: str | torch.device = "auto",
                 random_state: int | np.random.Generator | np.random.RandomState | None = None,
                 verbose: bool = False):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.pretrain_iter = pretrain_iter
        self.pretrain_learning_rate = pretrain_learning_rate
        self.batch_size = batch_size
        self.n_chains = n_chains
        self.n_gibbs = n_gibbs
        self.mean_field_iter = mean_field_iter
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.binarize = binarize
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def __getstate__(self):
        # torch.Generator cannot be pickled; a fresh one is made from random_state on demand
        state = super().__getstate__()
        state.pop("_generator", None)
        return state

    def _params(self) -> DBMParams:
        nc = self.n_components
        return DBMParams(tuple(nc) if isinstance(nc, list) else nc, self.learning_rate,
                         self.n_iter, self.pretrain_iter, self.pretrain_learning_rate,
                         self.batch_size, self.n_chains, self.n_gibbs, self.mean_field_iter,
                         self.momentum, self.weight_decay, self.lr_schedule, self.binarize)

    def _check_X(self, X, fitted: bool = True) -> np.ndarray:
        return check_data(X, owner="DBM", n_features=self.n_features_in_ if fitted else None,
                          binarize=self.binarize)

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError("DBM is not fitted yet; call fit(X) first")

    def _tensors(self, dtype=torch.float32):
        dev = resolve_device(self.device)
        return [torch.as_tensor(a, dtype=dtype, device=dev)
                for a in (*self.weights_, *self.intercepts_)]

    def _gen(self) -> torch.Generator:
        dev = resolve_device(self.device)
        if getattr(self, "_generator", None) is None or self._generator.device != dev:
            self._generator = make_generator(self.random_state, dev)
        return self._generator

    # -- learning --------------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: object = None) -> DBM:
        """Pre-train two RBMs greedily, then fine-tune the DBM jointly on binary ``X``."""
        prm = self._params()
        A = self._check_X(X, fitted=False)
        dev = resolve_device(self.device)
        self._generator = make_generator(self.random_state, dev)
        g = self._generator
        V = torch.as_tensor(A, dtype=torch.float32, device=dev)
        n1, n2 = prm.n_components
        p = V.mean(0).clamp(1e-3, 1 - 1e-3)
        b0 = torch.log(p / (1 - p))
        work = min(prm.batch_size, A.shape[0]) * A.shape[1] * max(n1, n2)
        with torch.inference_mode(), few_threads_for_small_work(work, dev):
            bs, ep, lr, mom = (prm.batch_size, prm.pretrain_iter, prm.pretrain_learning_rate,
                               prm.momentum)
            W1, b, c1a = _pretrain_rbm(V, n1, 2.0, 1.0, ep, lr, bs, mom, g, b0)
            H1 = torch.sigmoid(2.0 * (V @ W1) + c1a)
            W2, c1b, c2 = _pretrain_rbm(H1, n2, 1.0, 2.0, ep, lr, bs, mom, g,
                                        torch.zeros(n1, device=dev))
            # h1 gets the hidden bias of RBM 1 and the visible bias of RBM 2; each was
            # learned as if it were the only one, so the DBM uses their mean (a choice of
            # ours; Salakhutdinov & Hinton 2009 do not prescribe it).
            c1 = 0.5 * (c1a + c1b)
        self.weights_ = (W1.cpu().numpy(), W2.cpu().numpy())
        self.intercepts_ = (b.cpu().numpy(), c1.cpu().numpy(), c2.cpu().numpy())
        self.n_features_in_ = A.shape[1]
        self.base_rate_logits_ = b0.cpu().numpy().astype(np.float64)
        self.n_epochs_ = 0
        idx = torch.randint(A.shape[0], (prm.n_chains,), generator=g, device=dev)
        v = V[idx].clone()
        _, mu2 = dbm_mean_field(v, W1, W2, c1, c2, 1)
        self._chains = (v, torch.bernoulli(mu2, generator=g))
        self._velocity = None
        if prm.n_iter:
            self._finetune(V, prm, prm.n_iter)
        return self

    def partial_fit(self, X: ArrayLike, y: object = None) -> DBM:
        """One fine-tuning epoch over ``X`` (the model must have been fitted once)."""
        self._check_fitted()
        A = self._check_X(X)
        V = torch.as_tensor(A, dtype=torch.float32, device=resolve_device(self.device))
        self._finetune(V, self._params(), 1)
        return self

    def _finetune(self, V: torch.Tensor, prm: DBMParams, n_epochs: int) -> None:
        g = self._gen()
        dev = V.device
        W1, W2, b, c1, c2 = (t.clone() for t in self._tensors())
        params = (W1, W2, b, c1, c2)
        if self._velocity is None:
            self._velocity = tuple(torch.zeros_like(t) for t in params)
        vel = tuple(t.to(dev) for t in self._velocity)
        cv, ch2 = (t.to(dev) for t in self._chains)
        n, bs = V.shape[0], prm.batch_size
        work = min(bs, n) * W1.numel()
        with torch.inference_mode(), few_threads_for_small_work(work, dev):
            for _ in range(n_epochs):
                t0 = time.perf_counter()
                lr = prm.learning_rate * learning_rate_factor(prm.lr_schedule, self.n_epochs_,
                                                              max(prm.n_iter, 1))
                Vs = V[torch.randperm(n, generator=g, device=dev)]
                for s in range(0, n, bs):
                    v0 = Vs[s:s + bs]
                    mu1, mu2 = dbm_mean_field(v0, W1, W2, c1, c2, prm.mean_field_iter)
                    for _ in range(prm.n_gibbs):
                        cv, _, ch2, p1 = dbm_gibbs_step(cv, ch2, W1, W2, b, c1, c2, g)
                    m, M = v0.shape[0], cv.shape[0]
                    grads = (
                        v0.T @ mu1 / m - cv.T @ p1 / M - prm.weight_decay * W1,
                        mu1.T @ mu2 / m - p1.T @ ch2 / M - prm.weight_decay * W2,
                        v0.mean(0) - cv.mean(0),
                        mu1.mean(0) - p1.mean(0),
                        mu2.mean(0) - ch2.mean(0),
                    )
                    for p, v_, gr in zip(params, vel, grads):
                        v_.mul_(prm.momentum).add_(gr, alpha=lr)
                        p.add_(v_)
                self.n_epochs_ += 1
                if not all(torch.isfinite(p).all() for p in params):
                    raise FloatingPointError(
                        f"DBM training diverged in epoch {self.n_epochs_}; lower "
                        f"learning_rate (now {prm.learning_rate})")
                if self.verbose:
                    print(f"[DBM] epoch {self.n_epochs_}: {time.perf_counter() - t0:.3f} s")
        self.weights_ = (W1.cpu().numpy().copy(), W2.cpu().numpy().copy())
        self.intercepts_ = (b.cpu().numpy().copy(), c1.cpu().numpy().copy(),
                            c2.cpu().numpy().copy())
        self._velocity = vel
        self._chains = (cv, ch2)

    # -- inference -------------------------------------------------------------------------
    def transform(self, X: ArrayLike, layer: int = 2) -> np.ndarray:
        """Mean-field posterior means of hidden layer ``layer`` (1 or 2) for each row."""
        self._check_fitted()
        if layer not in (1, 2):
            raise ValueError(f"DBM.transform layer must be 1 or 2, got {layer!r}")
        A = self._check_X(X)
        W1, W2, _, c1, c2 = self._tensors()
        V = torch.as_tensor(A, dtype=W1.dtype, device=W1.device)
        mu1, mu2 = dbm_mean_field(V, W1, W2, c1, c2, self.mean_field_iter)
        return (mu1 if layer == 1 else mu2).cpu().numpy()

    def log_partition(self, method: str = "auto", *, n_chains: int = 100,
                      n_betas: int = 14500, max_units: int = MAX_EXACT_UNITS) -> LogPartition:
        """:math:`\\log Z`: exact by enumeration, or AIS on the bipartite form (:func:`dbm_as_rbm`).

        ``method="auto"`` is exact when ``h1`` (or ``[v, h2]``) has at most 20 units.
        """
        self._check_fitted()
        if method not in ("auto", "exact", "ais"):
            raise ValueError(f"unknown log_partition method {method!r}; choose from: auto, "
                             "exact, ais")
        W1, W2, b, c1, c2 = self._tensors(torch.float64)
        n1 = W1.shape[1]
        if method == "auto":
            method = "exact" if n1 <= 20 else "ais"
        if method == "exact":
            z = dbm_log_partition_exact(W1, W2, b, c1, c2, max_units=max_units)
            return LogPartition(z, 0.0, z, z, "exact")
        W, b_outer, c_inner = dbm_as_rbm(W1, W2, b, c1, c2)
        base = torch.cat([torch.as_tensor(self.base_rate_logits_, device=W.device),
                          torch.zeros(W2.shape[1], dtype=W.dtype, device=W.device)])
        return ais_rbm(W, b_outer, c_inner, n_chains=n_chains, betas=n_betas,
                       base_visible_bias=base, generator=self._gen())

    def score_samples(self, X: ArrayLike, method: str = "auto", **ais_kwargs: Any) -> np.ndarray:
        """Log-likelihood :math:`\\log p(v)` of each row.

        Exact when ``h1`` is small enough to enumerate (``method="auto"`` up to 20 units,
        ``"exact"`` up to ``MAX_EXACT_UNITS``); otherwise (``method="ais"``, or "auto" with a
        larger ``h1``) the mean-field lower bound on :math:`\\log p^*(v)`
        (:func:`dbm_variational_lower_bound`) minus the AIS estimate of :math:`\\log Z`, i.e. an
        estimate of a lower bound, as reported by Salakhutdinov & Hinton (2009).
        """
        self._check_fitted()
        A = self._check_X(X)
        W1, W2, b, c1, c2 = self._tensors(torch.float64)
        log_z = self.log_partition(method, **ais_kwargs)
        V = torch.as_tensor(A, device=W1.device)
        if log_z.method == "exact":
            lp = dbm_log_unnormalized_visible(V, W1, W2, b, c1, c2)
        else:
            lp = dbm_variational_lower_bound(V, W1, W2, b, c1, c2)
        return lp.cpu().numpy() - log_z.value

    def score(self, X: ArrayLike, y: object = None, method: str = "auto",
              **ais_kwargs: Any) -> float:
        """Mean log-likelihood of ``X`` in nats per sample (see :meth:`score_samples`)."""
        return float(np.mean(self.score_samples(X, method, **ais_kwargs)))

    def sample(self, n_samples: int = 1, n_steps: int = 1000) -> np.ndarray:
        """Visible samples after ``n_steps`` Gibbs steps of independent chains started from
        the data base rates (``h2`` from its prior given a mean-field pass)."""
        self._check_fitted()
        check_int("DBM.sample", "n_samples", n_samples, 1)
        check_int("DBM.sample", "n_steps", n_steps, 0)
        W1, W2, b, c1, c2 = self._tensors()
        g = self._gen()
        with torch.inference_mode(), few_threads_for_small_work(n_samples * W1.numel(),
                                                                W1.device):
            v = torch.bernoulli(torch.sigmoid(b).expand(n_samples, -1).contiguous(),
                                generator=g)
            h2 = torch.bernoulli(dbm_mean_field(v, W1, W2, c1, c2, 1)[1], generator=g)
            for _ in range(n_steps):
                v, _, h2, _ = dbm_gibbs_step(v, h2, W1, W2, b, c1, c2, g)
        return v.cpu().numpy()
