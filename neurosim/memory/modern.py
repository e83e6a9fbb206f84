"""Modern (continuous) Hopfield networks and dense associative memories.

* :func:`modern_hopfield_update` / :func:`modern_hopfield_energy` and :class:`ModernHopfield`:
  Ramsauer et al. (2020), "Hopfield Networks is All You Need" — the update
  ``ξ <- X softmax(β Xᵀ ξ)`` (attention) and its energy; storage capacity exponential in the
  dimension (Demircigil et al. 2017).
* :func:`dense_field` / :func:`dense_energy` and :class:`DenseAssociativeMemory`: Krotov &
  Hopfield (2016), "Dense Associative Memory for Pattern Recognition" — binary states with
  energy ``E = −Σ_μ F(ξ^μ·σ)`` for a polynomial (or rectified polynomial, or exponential)
  ``F``; capacity grows like ``N^(n−1)`` for ``F(x) = x^n``.

Patterns are stored as rows: ``X`` has shape ``(P, d)``. Numpy in and out, torch inside.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator

from neurosim.memory.hopfield import (
    DTYPES,
    ORDERS,
    UPDATES,
    RecallInfo,
    _check_choice,
    _check_int,
    _check_real,
    _threads_for,
    check_array,
    resolve_device,
)

__all__ = [
    "DENSE_ENERGIES",
    "DenseAssociativeMemory",
    "ModernHopfield",
    "dense_energy",
    "dense_field",
    "modern_hopfield_energy",
    "modern_hopfield_update",
]

DENSE_ENERGIES = ("exponential", "polynomial", "rectified")


# --------------------------------------------------------------------------- modern Hopfield
def modern_hopfield_update(patterns: torch.Tensor, states: torch.Tensor,
                           beta: float) -> torch.Tensor:
    r"""One update of the modern (continuous) Hopfield network.

    .. math:: \xi^{\text{new}} = X \operatorname{softmax}(\beta X^\top \xi)

    with ``X = [x_1, ..., x_P]`` the stored patterns as columns (rows of ``patterns`` here).

    Parameters
    ----------
    patterns : Tensor, shape (P, d)
    states : Tensor, shape (B, d)
    beta : float
        Inverse temperature.

    Returns
    -------
    Tensor, shape (B, d)

    References
    ----------
    Ramsauer et al. (2020), Hopfield Networks is All You Need, eq. (3).
    """
    return torch.softmax(beta * states @ patterns.T, dim=-1) @ patterns


def modern_hopfield_energy(patterns: torch.Tensor, states: torch.Tensor,
                           beta: float) -> torch.Tensor:
    r"""Energy of the modern Hopfield network (never increased by the update).

    .. math::
        E(\xi) = -\beta^{-1}\log\sum_{\mu}\exp(\beta x_\mu^\top\xi) + \tfrac12\xi^\top\xi
        + \beta^{-1}\log P + \tfrac12 M^2, \qquad M = \max_\mu\lVert x_\mu\rVert

    Parameters
    ----------
    patterns : Tensor, shape (P, d)
    states : Tensor, shape (B, d)
    beta : float

    Returns
    -------
    Tensor, shape (B,)

    References
    ----------
    Ramsauer et al. (2020), eq. (2).
    """
    p = patterns.shape[0]
    lse = torch.logsumexp(beta * states @ patterns.T, dim=-1) / beta
    m2 = (patterns * patterns).sum(-1).max()
    return -lse + 0.5 * (states * states).sum(-1) + np.log(p) / beta + 0.5 * m2


class ModernHopfield(BaseEstimator):
    """Modern Hopfield network / attention memory (scikit-learn style estimator).

    Parameters
    ----------
    beta : float
        Inverse temperature (> 0). Large ``beta``: retrieval of single patterns; small
        ``beta``: metastable averages of many.
    max_steps : int
        Updates per :meth:`recall` (one usually suffices, Ramsauer et al. 2020).
    tol : float
        Stop early when no state moves by more than ``tol`` (max-norm).
    batch_size : int
        Cues processed at once (memory ``batch_size x P``).
    device : str
    dtype : {"float64", "float32"}

    Attributes
    ----------
    patterns_ : ndarray, shape (P, d)
    n_features_in_ : int
    n_patterns_ : int
    """

    def __init__(self, beta: float = 1.0, max_steps: int = 1, tol: float = 1e-9,
                 batch_size: int = 1024, device: str = "auto", dtype: str = "float64"):
        self.beta = beta
        self.max_steps = max_steps
        self.tol = tol
        self.batch_size = batch_size
        self.device = device
        self.dtype = dtype

    def fit(self, X: Any, y: Any = None) -> ModernHopfield:
        """Store (real-valued) patterns ``X`` of shape ``(P, d)``."""
        name = type(self).__name__
        _check_real(name, "beta", self.beta, low=0.0, low_open=True)
        _check_int(name, "max_steps", self.max_steps)
        _check_real(name, "tol", self.tol, low=0.0)
        _check_int(name, "batch_size", self.batch_size)
        _check_choice(name, "dtype", self.dtype, DTYPES)
        self._device = resolve_device(self.device)
        self._tdtype = getattr(torch, self.dtype)
        X = check_array(X, "patterns", binary=False)
        self.patterns_ = X
        self._x_t = torch.as_tensor(X, dtype=self._tdtype, device=self._device)
        self.n_patterns_, self.n_features_in_ = X.shape
        return self

    def _cues(self, X: Any, name: str = "cues") -> tuple[np.ndarray, bool]:
        if not hasattr(self, "patterns_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit(X) first")
        return check_array(X, name, self.n_features_in_, binary=False), np.ndim(X) == 1

    def _batches(self, S: np.ndarray):
        for i in range(0, S.shape[0], self.batch_size):
            yield torch.as_tensor(S[i:i + self.batch_size], dtype=self._tdtype,
                                  device=self._device)

    def recall(self, X: Any, *, max_steps: int | None = None, return_info: bool = False,
               ) -> np.ndarray | tuple[np.ndarray, RecallInfo]:
        """Apply the update to cues ``X`` ``(B, d)`` up to ``max_steps`` times."""
        S, one = self._cues(X)
        limit = self.max_steps if max_steps is None else _check_int(
            "recall", "max_steps", max_steps, low=0)
        with _threads_for(S.shape[0] * self.n_patterns_ * self.n_features_in_ * 2):
            return self._recall(S, one, limit, return_info)

    def _recall(self, S, one, limit, return_info):
        outs, steps, conv = [], [], []
        for s in self._batches(S):
            st = torch.zeros(s.shape[0], dtype=torch.int64, device=s.device)
            done = torch.zeros(s.shape[0], dtype=torch.bool, device=s.device)
            for _ in range(limit):
                new = modern_hopfield_update(self._x_t, s, self.beta)
                moved = (new - s).abs().amax(-1) > self.tol
                done |= ~moved
                s = torch.where(done[:, None], s, new)
                st += (~done).long()
                if bool(done.all()):
                    break
            if not bool(done.all()):
                new = modern_hopfield_update(self._x_t, s, self.beta)
                done |= (new - s).abs().amax(-1) <= self.tol
            outs.append(s.cpu().numpy())
            steps.append(st.cpu().numpy())
            conv.append(done.cpu().numpy())
        out = np.concatenate(outs)
        info = RecallInfo(np.concatenate(steps), np.concatenate(conv),
                          np.zeros(out.shape[0], dtype=bool))
        out = out[0] if one else out
        return (out, info) if return_info else out

    def attention(self, X: Any) -> np.ndarray:
        """Softmax weights ``softmax(β Xᵀ ξ)`` of each cue over the stored patterns, ``(B, P)``."""
        S, _ = self._cues(X)
        return np.concatenate([torch.softmax(self.beta * s @ self._x_t.T, -1).cpu().numpy()
                               for s in self._batches(S)])

    def predict(self, X: Any) -> np.ndarray:
        """Index of the stored pattern each cue is retrieved as (after :meth:`recall`), ``(B,)``."""
        S, _ = self._cues(X)
        R = self.recall(S)
        return np.concatenate([(s @ self._x_t.T).argmax(-1).cpu().numpy()
                               for s in self._batches(R)])

    def energy(self, X: Any) -> np.ndarray:
        """:func:`modern_hopfield_energy` of each state, ``(B,)``."""
        S, one = self._cues(X, "states")
        e = np.concatenate([modern_hopfield_energy(self._x_t, s, self.beta).cpu().numpy()
                            for s in self._batches(S)])
        return float(e[0]) if one else e


# --------------------------------------------------------------------------- dense AM
def _F(x: torch.Tensor, kind: str, degree: int) -> torch.Tensor:
    if kind == "polynomial":
        return x ** degree
    if kind == "rectified":
        return torch.clamp(x, min=0.0) ** degree
    return torch.exp(x)


def dense_energy(patterns: torch.Tensor, states: torch.Tensor, kind: str = "polynomial",
                 degree: int = 3) -> torch.Tensor:
    r"""Energy of a dense associative memory.

    .. math:: E(\sigma) = -\sum_{\mu=1}^{P} F(\xi^\mu\cdot\sigma),\quad
              F(x) = x^n \;(\text{polynomial}),\; \max(x,0)^n \;(\text{rectified}),\;
              e^{x} \;(\text{exponential})

    Parameters
    ----------
    patterns : Tensor, shape (P, N), ``±1``
    states : Tensor, shape (B, N), ``±1``
    kind : {"polynomial", "rectified", "exponential"}
    degree : int
        ``n`` (ignored for ``"exponential"``; overflows past overlaps of ~700 in float64).

    Returns
    -------
    Tensor, shape (B,)

    References
    ----------
    Krotov & Hopfield (2016); Demircigil et al. (2017) for the exponential.
    """
    return -_F(states @ patterns.T, kind, degree).sum(-1)


def dense_field(patterns: torch.Tensor, states: torch.Tensor, units: torch.Tensor,
                kind: str = "polynomial", degree: int = 3) -> torch.Tensor:
    r"""Energy gap that decides unit ``i`` of a dense associative memory.

    .. math::
        \Delta_i = \sum_\mu \Big[F\big(\xi_i^\mu + r_{\mu,i}\big) -
        F\big(-\xi_i^\mu + r_{\mu,i}\big)\Big],
        \qquad r_{\mu,i} = \sum_{j\ne i}\xi_j^\mu\sigma_j

    ``σ_i <- sgn(Δ_i)`` moves to the lower-energy value of unit ``i``
    (Krotov & Hopfield 2016, eq. 3). For ``"exponential"`` the sign-equivalent
    ``logsumexp(ξ_i + r) − logsumexp(−ξ_i + r)`` is returned (no overflow).

    Parameters
    ----------
    patterns : Tensor, shape (P, N)
    states : Tensor, shape (B, N)
    units : Tensor of int, shape (K,)
        Which units to evaluate.

    Returns
    -------
    Tensor, shape (B, K)
    """
    m = states @ patterns.T  # (B, P)
    xi = patterns[:, units].T  # (K, P)
    r = m[:, None, :] - xi[None] * states[:, units][:, :, None]  # (B, K, P)
    if kind == "exponential":
        return torch.logsumexp(r + xi, -1) - torch.logsumexp(r - xi, -1)
    return (_F(r + xi, kind, degree) - _F(r - xi, kind, degree)).sum(-1)


class DenseAssociativeMemory(BaseEstimator):
    """Binary dense associative memory (Krotov & Hopfield 2016), scikit-learn style.

    Parameters
    ----------
    degree : int
        ``n`` in ``F(x) = x^n`` (``n = 2`` is the classical Hopfield network).
    kind : {"polynomial", "rectified", "exponential"}
    update : {"async", "sync"}
    order : {"random", "fixed"}
    max_steps : int
    binarize : bool
        Map ``x > 0 -> +1`` and ``x <= 0 -> -1`` instead of rejecting non-``±1`` input.
    device : str
    dtype : {"float64", "float32"}
    random_state : int, Generator or None

    Attributes
    ----------
    patterns_ : ndarray, shape (P, N)
    n_features_in_, n_patterns_ : int
    """

    def __init__(self, degree: int = 3, kind: str = "polynomial", update: str = "async",
                 order: str = "random", max_steps: int = 100, binarize: bool = False,
                 device: str = "auto", dtype: str = "float64",
                 random_state: int | np.random.Generator | None = None):
        self.degree = degree
        self.kind = kind
        self.update = update
        self.order = order
        self.max_steps = max_steps
        self.binarize = binarize
        self.device = device
        self.dtype = dtype
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> DenseAssociativeMemory:
        """Store ``±1`` patterns ``X`` of shape ``(P, N)``."""
        name = type(self).__name__
        _check_int(name, "degree", self.degree, low=1)
        _check_choice(name, "kind", self.kind, DENSE_ENERGIES)
        _check_choice(name, "update", self.update, UPDATES)
        _check_choice(name, "order", self.order, ORDERS)
        _check_int(name, "max_steps", self.max_steps)
        _check_choice(name, "dtype", self.dtype, DTYPES)
        self._device = resolve_device(self.device)
        self._tdtype = getattr(torch, self.dtype)
        self._rng = np.random.default_rng(self.random_state)
        X = check_array(X, "patterns", binarize=self.binarize)
        self.patterns_ = X.astype(np.int8)
        self._x_t = torch.as_tensor(X, dtype=self._tdtype, device=self._device)
        self.n_patterns_, self.n_features_in_ = X.shape
        return self

    def _states(self, X: Any, name: str) -> tuple[torch.Tensor, bool]:
        if not hasattr(self, "patterns_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit(X) first")
        S = check_array(X, name, self.n_features_in_, binarize=self.binarize)
        return torch.as_tensor(S, dtype=self._tdtype, device=self._device), np.ndim(X) == 1

    def _decide(self, s: torch.Tensor, units: torch.Tensor) -> torch.Tensor:
        gap = dense_field(self._x_t, s, units, self.kind, self.degree)
        cur = s[:, units]
        one = torch.ones((), dtype=s.dtype, device=s.device)
        return torch.where(gap > 0, one, torch.where(gap < 0, -one, cur))

    def _sweep(self, s: torch.Tensor) -> torch.Tensor:
        b, n = s.shape
        s = s.clone()
        if self.update == "sync":
            new = torch.empty_like(s)
            for i in range(0, n, 64):
                u = torch.arange(i, min(i + 64, n), device=s.device)
                new[:, u] = self._decide(s, u)
            return new
        orders = np.broadcast_to(np.arange(n), (b, n))
        if self.order == "random":
            orders = self._rng.permuted(orders, axis=1)
        orders = torch.as_tensor(np.array(orders, dtype=np.int64), device=s.device)
        rows = torch.arange(b, device=s.device)
        m = s @ self._x_t.T  # overlaps, kept up to date
        for k in range(n):
            i = orders[:, k]
            xi = self._x_t[:, i].T  # (B, P)
            cur = s[rows, i]
            r = m - xi * cur[:, None]
            if self.kind == "exponential":
                gap = torch.logsumexp(r + xi, -1) - torch.logsumexp(r - xi, -1)
            else:
                gap = (_F(r + xi, self.kind, self.degree)
                       - _F(r - xi, self.kind, self.degree)).sum(-1)
            new = torch.where(gap > 0, 1.0, torch.where(gap < 0, -1.0, cur)).to(s.dtype)
            m = m + xi * (new - cur)[:, None]
            s[rows, i] = new
        return s

    def recall(self, X: Any, *, max_steps: int | None = None, return_info: bool = False,
               ) -> np.ndarray | tuple[np.ndarray, RecallInfo]:
        """Run the dynamics from cues ``X`` until a fixed point (or 2-cycle, sync) or the limit."""
        s, one = self._states(X, "cues")
        limit = self.max_steps if max_steps is None else _check_int(
            "recall", "max_steps", max_steps, low=0)
        # one operation of a sweep touches B x P (async) or B x 64 x P (sync) numbers
        with _threads_for(s.shape[0] * self.n_patterns_ * 64):
            return self._recall(s, one, limit, return_info)

    def _recall(self, s, one, limit, return_info):
        b = s.shape[0]
        steps = np.zeros(b, dtype=np.int64)
        conv = np.zeros(b, dtype=bool)
        cyc = np.zeros(b, dtype=bool)
        prev = torch.full_like(s, torch.nan)
        for _ in range(limit + 1):
            act = np.flatnonzero(~conv & ~cyc)
            if act.size == 0:
                break
            ta = torch.as_tensor(act, device=s.device)
            cur = s[ta]
            new = self._sweep(cur)
            fixed = (new == cur).all(-1).cpu().numpy()
            two = (new == prev[ta]).all(-1).cpu().numpy() & ~fixed
            conv[act[fixed]] = True
            cyc[act[two]] = True
            mov = ~fixed & (steps[act] < limit)
            if not mov.any():
                break
            tm = torch.as_tensor(act[mov], device=s.device)
            prev[tm] = s[tm]
            s[tm] = new[torch.as_tensor(np.flatnonzero(mov), device=s.device)]
            steps[act[mov]] += 1
        out = s.cpu().numpy().astype(np.int8)
        info = RecallInfo(steps, conv, cyc)
        out = out[0] if one else out
        return (out, info) if return_info else out

    predict = recall

    def energy(self, X: Any) -> np.ndarray:
        """:func:`dense_energy` of each state, ``(B,)`` (a float for 1-D input)."""
        s, one = self._states(X, "states")
        e = dense_energy(self._x_t, s, self.kind, self.degree).cpu().numpy()
        return float(e[0]) if one else e
