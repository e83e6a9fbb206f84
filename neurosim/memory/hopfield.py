"""Classical binary Hopfield networks (Hopfield 1982).

Functional core: the learning rules (:func:`hebbian_weights`, :func:`storkey_weights`,
:func:`pseudo_inverse_weights`), one synchronous update (:func:`sync_step`), one asynchronous
sweep (:func:`async_sweep`) and the energy (:func:`hopfield_energy`) are pure functions.
:class:`HopfieldNetwork` is a scikit-learn style estimator that holds settings and fitted
weights and calls them. Numpy in and out; torch inside for the dense algebra (``device``);
asynchronous sweeps are sequential by nature and run in a compiled (numba) CPU kernel that keeps
the local fields up to date incrementally, so a sweep costs O(N) per unit only when it flips.

States are ``±1``. The field of unit ``i`` is ``h_i = sum_j W_ij s_j`` and a unit whose
``h_i - theta_i`` is exactly zero (within ``TIE_TOL``) keeps its state.

References
----------
Hopfield, J. J. (1982). Neural networks and physical systems with emergent collective
computational abilities. PNAS 79, 2554-2558.
Storkey, A. (1997). Increasing the capacity of a Hopfield network without sacrificing
functionality. ICANN'97, 451-456.
Personnaz, L., Guyon, I., Dreyfus, G. (1985). Information storage and retrieval in spin-glass
like neural networks. J. Physique Lett. 46, L359-L365 (pseudo-inverse / projection rule).
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import torch
from sklearn.base import BaseEstimator
from threadpoolctl import ThreadpoolController

from neurosim.devices import resolve_device
from neurosim.memory.hopfield_rules import (
    hebbian_weights,
    pseudo_inverse_weights,
    storkey_weights,
)
from neurosim.validation import check_choice, check_int, check_real

__all__ = [
    "RULES",
    "HopfieldNetwork",
    "RecallInfo",
    "async_sweep",
    "hebbian_weights",
    "hopfield_energy",
    "learn_weights",
    "pseudo_inverse_weights",
    "resolve_device",
    "storkey_weights",
    "sync_step",
]

RULES = ("hebbian", "pseudo_inverse", "storkey")
UPDATES = ("async", "sync")
ORDERS = ("fixed", "random")
DTYPES = ("float32", "float64")
#: |h_i - theta_i| at or below this counts as a tie (the unit keeps its state).
TIE_TOL = {"float32": 1e-6, "float64": 1e-10}


# --------------------------------------------------------------------------- input checks
def _check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> str:
    return check_choice(f"{owner}.{name}", value, choices)


def _check_int(owner: str, name: str, value: Any, low: int = 1) -> int:
    """:func:`neurosim.validation.check_int` for ``owner.name`` (default ``>= 1``)."""
    return check_int(f"{owner}.{name}", value, low=low)


def _check_real(owner: str, name: str, value: Any, low: float | None = None,
                low_open: bool = False) -> float:
    """:func:`neurosim.validation.check_real` for ``owner.name`` (finite, optional bound)."""
    return check_real(f"{owner}.{name}", value, low=low, low_open=low_open)


def check_array(X: Any, name: str, n_features: int | None = None,
                binary: bool = True, binarize: bool = False) -> np.ndarray:
    """Validate patterns/cues and return a float64 array of shape ``(n, N)``.

    A 1-D input is treated as one pattern. With ``binary=True`` every entry must be ``-1`` or
    ``+1``; with ``binarize=True`` entries are mapped ``x > 0 -> +1``, ``x <= 0 -> -1`` first
    (so ``{0, 1}`` data and real-valued data are accepted). NaN and inf are always rejected.
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array, got {type(X).__name__}") from exc
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D (N,) or 2-D (n, N), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)})"
        )
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has wrong length: expected {n_features} units per row, got {arr.shape[1]}"
        )
    if binarize:
        arr = np.where(arr > 0, 1.0, -1.0)
    elif binary:
        ok = (arr == 1.0) | (arr == -1.0)
        if not ok.all():
            bad = np.argwhere(~ok)[0]
            raise ValueError(
                f"{name} must contain only -1 and +1, got {float(arr[tuple(bad)])!r} at index "
                f"{tuple(int(i) for i in bad)}; pass binarize=True to map x > 0 to +1 and "
                "x <= 0 to -1"
            )
    return np.array(arr, dtype=np.float64, order="C", copy=True)  # never alias the input


# --------------------------------------------------------------------------- learning rules
_RULE_FUNCS = {
    "hebbian": hebbian_weights,
    "storkey": storkey_weights,
    "pseudo_inverse": pseudo_inverse_weights,
}


def learn_weights(patterns: torch.Tensor, rule: str, zero_diagonal: bool = True) -> torch.Tensor:
    """Dispatch to one of :data:`RULES`; warns when the pseudo-inverse cannot hold them all."""
    _check_choice("learn_weights", "rule", rule, RULES)
    if rule == "pseudo_inverse":
        p, n = patterns.shape
        rank = int(torch.linalg.matrix_rank(patterns.double()))
        if rank < p:
            warnings.warn(
                f"pseudo_inverse rule can hold at most {min(n, p)} linearly independent "
                f"patterns of length N={n}; got {p} patterns of rank {rank}, so {p - rank} of "
                "them are not stored independently (the span is stored instead)",
                RuntimeWarning,
                stacklevel=3,
            )
    return _RULE_FUNCS[rule](patterns, zero_diagonal)


# --------------------------------------------------------------------------- dynamics
def _sign_keep(a: torch.Tensor, state: torch.Tensor, tol: float) -> torch.Tensor:
    one = torch.ones((), dtype=state.dtype, device=state.device)
    return torch.where(a > tol, one, torch.where(a < -tol, -one, state))


def sync_step(weights: torch.Tensor, threshold: torch.Tensor, states: torch.Tensor,
              tol: float = 0.0) -> torch.Tensor:
    r"""One synchronous (parallel) update of every unit.

    .. math:: s_i(t+1) = \operatorname{sgn}\Big(\sum_j W_{ij} s_j(t) - \theta_i\Big)

    (a zero argument keeps ``s_i``). Ends in a fixed point or a 2-cycle for symmetric ``W``
    (Goles et al. 1985).

    Parameters
    ----------
    weights : Tensor, shape (N, N)
    threshold : Tensor, shape (N,)
    states : Tensor, shape (B, N)
    tol : float
        Tie tolerance.

    Returns
    -------
    Tensor, shape (B, N)
    """
    return _sign_keep(states @ weights.T - threshold, states, tol)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@numba.njit(cache=True)
def _splitmix64(state):  # pragma: no cover - compiled
    z = state + _GOLDEN
    nxt = z
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return nxt, z ^ (z >> np.uint64(31))


def _async_run_impl(wt, theta, states, fields, orders, seeds, random_order, n_sweeps, tol,
                    steps, converged):  # pragma: no cover - compiled
    """Up to ``n_sweeps`` sweeps per row; a sweep without flips marks the row converged.

    Row ``b`` starts from ``orders[b]``; with ``random_order`` it is Fisher-Yates shuffled
    before each sweep by a per-row splitmix64 stream (``seeds``, updated in place), so results
    do not depend on thread scheduling. ``states``, ``fields``, ``steps``, ``converged`` are
    updated in place.
    """
    n_batch, n = states.shape
    for b in numba.prange(n_batch):
        order = orders[b].copy()
        st = seeds[b]
        for _ in range(n_sweeps):
            if random_order:
                for k in range(n - 1, 0, -1):
                    st, r = _splitmix64(st)
                    j = np.int64(r % np.uint64(k + 1))
                    tmp = order[k]
                    order[k] = order[j]
                    order[j] = tmp
            flips = 0
            for k in range(n):
                i = order[k]
                a = fields[b, i] - theta[i]
                if a > tol:
                    new = 1.0
                elif a < -tol:
                    new = -1.0
                else:
                    continue
                if new != states[b, i]:
                    d = new - states[b, i]
                    states[b, i] = new
                    for j2 in range(n):
                        fields[b, j2] += d * wt[i, j2]
                    flips += 1
            if flips == 0:
                converged[b] = True
                break
            steps[b] += 1
        seeds[b] = st


_async_run_serial = numba.njit(cache=True)(_async_run_impl)
_async_run_parallel = numba.njit(cache=True, parallel=True)(_async_run_impl)
#: work (flops of one operation, e.g. cues x N^2) above which threads are used; below it thread
#: start-up and contention on a small, shared machine cost far more than they save (measured
#: 30x on a loaded 2-core box)
PARALLEL_WORK = 2e8


_CONTROLLER: list[ThreadpoolController] = []


def _threads_for(work: float):
    """Context limiting BLAS/OpenMP (numpy, torch) to one thread for small problems.

    The controller (which scans the loaded libraries, ~3 ms) is made once and reused.
    """
    if work >= PARALLEL_WORK:
        return contextlib.nullcontext()
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1)


def async_sweep(weights: np.ndarray, threshold: np.ndarray, states: np.ndarray,
                orders: np.ndarray, tol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    r"""One asynchronous sweep: each unit updated once, in ``orders[b]``, using current states.

    .. math:: s_i \leftarrow \operatorname{sgn}\Big(\sum_j W_{ij} s_j - \theta_i\Big)
              \quad \text{for } i = \text{order}_1, \dots, \text{order}_N

    With symmetric ``W`` and ``W_ii ≥ 0`` the energy :func:`hopfield_energy` never increases.

    Parameters
    ----------
    weights : ndarray, shape (N, N)
    threshold : ndarray, shape (N,)
    states : ndarray, shape (B, N)
        Not modified.
    orders : ndarray of int, shape (B, N)
        A permutation of ``range(N)`` per row.
    tol : float
        Tie tolerance.

    Returns
    -------
    new_states : ndarray, shape (B, N)
    n_flips : ndarray of int, shape (B,)
    """
    dtype = weights.dtype
    s = np.array(states, dtype=dtype, copy=True, order="C")
    b = s.shape[0]
    _async_run_serial(np.ascontiguousarray(weights.T), np.ascontiguousarray(threshold, dtype),
                      s, np.ascontiguousarray(s @ weights.T),
                      np.ascontiguousarray(orders, dtype=np.int64), np.zeros(b, np.uint64),
                      False, 1, float(tol), np.zeros(b, np.int64), np.zeros(b, bool))
    return s, (s != states).sum(axis=1)


def hopfield_energy(weights: torch.Tensor, threshold: torch.Tensor,
                    states: torch.Tensor) -> torch.Tensor:
    r"""Hopfield energy of each state.

    .. math:: E(s) = -\tfrac12 s^\top W s + \theta^\top s

    Parameters
    ----------
    weights : Tensor, shape (N, N)
    threshold : Tensor, shape (N,)
    states : Tensor, shape (B, N)

    Returns
    -------
    Tensor, shape (B,)
    """
    return -0.5 * ((states @ weights) * states).sum(-1) + states @ threshold


# --------------------------------------------------------------------------- estimator
@dataclass(frozen=True)
class RecallInfo:
    """Per-cue outcome of :meth:`HopfieldNetwork.recall`.

    Attributes
    ----------
    steps : ndarray of int, shape (B,)
        Sweeps (async) or parallel updates (sync) that changed the state.
    converged : ndarray of bool, shape (B,)
        Ended in a fixed point.
    cycle : ndarray of bool, shape (B,)
        Ended in a 2-cycle (synchronous updates only); the returned state is its last state.
    """

    steps: np.ndarray
    converged: np.ndarray
    cycle: np.ndarray


class HopfieldNetwork(BaseEstimator):
    """Binary ``±1`` Hopfield network (scikit-learn style estimator).

    Parameters
    ----------
    rule : {"hebbian", "storkey", "pseudo_inverse"}
        Learning rule used by :meth:`fit`.
    update : {"async", "sync"}
        Asynchronous (one unit at a time) or synchronous (all at once) updates.
    order : {"random", "fixed"}
        Unit order in asynchronous sweeps: a fresh random permutation per sweep and cue, or
        ``0..N-1``.
    threshold : float or array of shape (N,)
        Thresholds ``θ``.
    zero_diagonal : bool
        No self-couplings.
    max_steps : int
        Step limit of :meth:`recall` (sweeps or parallel updates).
    binarize : bool
        Map inputs ``x > 0 -> +1``, ``x <= 0 -> -1`` instead of rejecting non-``±1`` values.
    device : str
        Torch device for learning, synchronous updates and energies (``"auto"``).
    dtype : {"float64", "float32"}
    random_state : int, numpy Generator or None
        Seeds the random unit orders.

    Attributes
    ----------
    weights_ : ndarray, shape (N, N)
    threshold_ : ndarray, shape (N,)
    patterns_ : ndarray, shape (P, N)
    n_features_in_ : int
    n_patterns_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.choice([-1, 1], size=(5, 100))
    >>> net = HopfieldNetwork(rule="storkey", random_state=0).fit(X)
    >>> bool((net.recall(X) == X).all())
    True
    """

    def __init__(self, rule: str = "hebbian", update: str = "async", order: str = "random",
                 threshold: float | np.ndarray = 0.0, zero_diagonal: bool = True,
                 max_steps: int = 100, binarize: bool = False, device: str = "auto",
                 dtype: str = "float64", random_state: int | np.random.Generator | None = None):
        self.rule = rule
        self.update = update
        self.order = order
        self.threshold = threshold
        self.zero_diagonal = zero_diagonal
        self.max_steps = max_steps
        self.binarize = binarize
        self.device = device
        self.dtype = dtype
        self.random_state = random_state

    # -- settings
    def _validate_settings(self) -> None:
        name = type(self).__name__
        _check_choice(name, "rule", self.rule, RULES)
        _check_choice(name, "update", self.update, UPDATES)
        _check_choice(name, "order", self.order, ORDERS)
        _check_choice(name, "dtype", self.dtype, DTYPES)
        _check_int(name, "max_steps", self.max_steps)
        self._device = resolve_device(self.device)
        self._tdtype = getattr(torch, self.dtype)
        self._rng = np.random.default_rng(self.random_state)

    def _threshold_vector(self, n: int) -> np.ndarray:
        th = np.asarray(self.threshold, dtype=np.float64)
        if th.ndim == 0:
            _check_real(type(self).__name__, "threshold", float(th))
            return np.full(n, float(th))
        if th.shape != (n,):
            raise ValueError(
                f"{type(self).__name__}.threshold must be a number or shape ({n},), "
                f"got shape {th.shape}"
            )
        if not np.all(np.isfinite(th)):
            raise ValueError(f"{type(self).__name__}.threshold contains NaN or inf")
        return th

    def _t(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, dtype=self._tdtype, device=self._device)

    # -- fitting
    def fit(self, X: Any, y: Any = None) -> HopfieldNetwork:
        """Store patterns ``X`` of shape ``(P, N)`` (``±1``) with :attr:`rule`."""
        self._validate_settings()
        X = check_array(X, "patterns", binarize=self.binarize)
        p, n = X.shape
        # thread policy by the size of one operation: Storkey is P small rank-1 updates
        with _threads_for(n * n * (10 if self.rule == "storkey" else p)):
            w = learn_weights(self._t(X), self.rule, self.zero_diagonal)
        self._set_fitted(w, self._threshold_vector(n), X)
        return self

    @classmethod
    def from_weights(cls, weights: Any, threshold: float | np.ndarray = 0.0,
                     **settings: Any) -> HopfieldNetwork:
        """A fitted network with given weights (e.g. ``[[0, 1], [1, 0]]``); ``patterns_`` empty."""
        net = cls(threshold=threshold, **settings)
        net._validate_settings()
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 2 or w.shape[0] != w.shape[1]:
            raise ValueError(f"weights must be a square (N, N) matrix, got shape {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError("weights contain NaN or inf")
        n = w.shape[0]
        net._set_fitted(net._t(w), net._threshold_vector(n), np.zeros((0, n)))
        return net

    def _set_fitted(self, w: torch.Tensor, th: np.ndarray, X: np.ndarray) -> None:
        self._w_t = w
        self._th_t = self._t(th)
        self.weights_ = w.detach().cpu().numpy()
        self._symmetric = bool(np.array_equal(self.weights_, self.weights_.T))
        self.threshold_ = th.astype(self.weights_.dtype)
        self.patterns_ = X.astype(np.int8)
        self.n_features_in_ = self.weights_.shape[0]
        self.n_patterns_ = X.shape[0]

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit(X) first")

    # -- recall
    def recall(self, X: Any, *, max_steps: int | None = None, return_info: bool = False,
               ) -> np.ndarray | tuple[np.ndarray, RecallInfo]:
        """Run the dynamics from cues ``X`` (``(B, N)`` or ``(N,)``) to a fixed point.

        Stops per cue at a fixed point, at a 2-cycle (synchronous only) or after ``max_steps``
        sweeps / parallel updates. Returns the final states ``(B, N)`` (``(N,)`` for a 1-D
        cue), and a :class:`RecallInfo` when ``return_info`` is true.
        """
        self._check_fitted()
        one = np.ndim(X) == 1
        S = check_array(X, "cues", self.n_features_in_, binarize=self.binarize)
        limit = self.max_steps if max_steps is None else _check_int(
            "recall", "max_steps", max_steps, low=0)
        run = self._recall_async if self.update == "async" else self._recall_sync
        with _threads_for(S.shape[0] * S.shape[1] ** 2):
            S, info = run(S, limit)
        out = S.astype(np.int8) if not one else S[0].astype(np.int8)
        return (out, info) if return_info else out

    predict = recall

    #: asynchronous recall recomputes the local fields exactly (BLAS) every this many sweeps,
    #: and keeps them up to date incrementally in between
    FIELD_REFRESH = 8

    def _recall_async(self, S: np.ndarray, limit: int) -> tuple[np.ndarray, RecallInfo]:
        b, n = S.shape
        w = self.weights_
        wt = w if self._symmetric else np.ascontiguousarray(w.T)
        th = np.ascontiguousarray(self.threshold_)
        S = np.ascontiguousarray(S, dtype=w.dtype)
        steps = np.zeros(b, dtype=np.int64)
        converged = np.zeros(b, dtype=bool)
        seeds = self._rng.integers(0, 2**63, size=b, dtype=np.uint64)
        tol = TIE_TOL[self.dtype]
        while True:
            act = np.flatnonzero(~converged & (steps < limit))
            if act.size == 0:
                break
            sa = np.ascontiguousarray(S[act])
            fields = np.ascontiguousarray(sa @ w.T)
            st, cv, sd = steps[act], converged[act], seeds[act]
            # unconverged rows have all done the same number of sweeps so far
            chunk = int(min(self.FIELD_REFRESH, limit - st.max()))
            st_chunk = np.zeros_like(st)
            kern = _async_run_parallel if sa.shape[0] * n * n >= PARALLEL_WORK else \
                _async_run_serial
            kern(wt, th, sa, fields, np.broadcast_to(np.arange(n), (act.size, n)), sd,
                 self.order == "random", chunk, tol, st_chunk, cv)
            S[act], steps[act], converged[act], seeds[act] = sa, st + st_chunk, cv, sd
        rest = np.flatnonzero(~converged)  # hit the step limit: is the last state fixed anyway?
        if rest.size:
            a = S[rest] @ w.T - th
            want = np.where(a > tol, 1.0, np.where(a < -tol, -1.0, S[rest]))
            converged[rest] = (want == S[rest]).all(axis=1)
        return S, RecallInfo(steps, converged, np.zeros(b, dtype=bool))

    def _recall_sync(self, S: np.ndarray, limit: int) -> tuple[np.ndarray, RecallInfo]:
        b = S.shape[0]
        tol = TIE_TOL[self.dtype]
        cur = self._t(S)
        prev = torch.full_like(cur, torch.nan)
        steps = torch.zeros(b, dtype=torch.int64, device=self._device)
        done = torch.zeros(b, dtype=torch.bool, device=self._device)
        converged = torch.zeros_like(done)
        cycle = torch.zeros_like(done)
        for _ in range(limit + 1):
            if bool(done.all()):
                break
            nxt = sync_step(self._w_t, self._th_t, cur, tol)
            fixed = (nxt == cur).all(-1) & ~done
            two = (nxt == prev).all(-1) & ~done & ~fixed
            converged |= fixed
            cycle |= two
            done |= fixed | two
            live = ~done & (steps < limit)
            # cues in a 2-cycle end on the newer state of the pair
            upd = live | two
            steps += upd.long()
            prev = torch.where(upd[:, None], cur, prev)
            cur = torch.where(upd[:, None], nxt, cur)
            done |= steps >= limit
        info = RecallInfo(steps.cpu().numpy(), converged.cpu().numpy(), cycle.cpu().numpy())
        return cur.cpu().numpy(), info

    # -- energy
    def energy(self, X: Any) -> np.ndarray:
        """Energy ``−½ sᵀWs + θᵀs`` of each state in ``X`` (``(B,)``; a float for 1-D ``X``)."""
        self._check_fitted()
        one = np.ndim(X) == 1
        S = check_array(X, "states", self.n_features_in_, binarize=self.binarize)
        e = hopfield_energy(self._w_t, self._th_t, self._t(S)).cpu().numpy()
        return float(e[0]) if one else e

    def overlaps(self, X: Any) -> np.ndarray:
        """Overlaps ``m_μ = ξ^μ·s / N`` of states ``X`` with the stored patterns, ``(B, P)``."""
        self._check_fitted()
        S = check_array(X, "states", self.n_features_in_, binarize=self.binarize)
        return S @ self.patterns_.T.astype(np.float64) / self.n_features_in_
