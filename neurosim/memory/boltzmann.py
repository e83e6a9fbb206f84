r"""General (fully connected) Boltzmann machine, plus helpers shared by the RBM and DBM.

The Boltzmann machine of Ackley, Hinton & Sejnowski (1985): binary units ``s`` in {0, 1},
symmetric weights without self-connections, energy
:math:`E(s) = -\tfrac12 s^\top W s - b^\top s` and :math:`p(s) \propto e^{-E(s)/T}`. The first
``n_features`` units are visible, the remaining ``n_hidden`` are hidden. Learning follows the
gradient of the log-likelihood,

.. math::

    \Delta W_{ij} = \varepsilon\,(\langle s_i s_j\rangle_{\text{clamped}}
    - \langle s_i s_j\rangle_{\text{free}}),

with both expectations computed exactly by enumeration (``method="exact"``, small models) or
estimated by Gibbs sampling (``method="gibbs"``, clamped chains per data vector and persistent
free chains). Sampling and simulated annealing live in :mod:`neurosim.memory.sampling`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator

from neurosim.devices import resolve_device
from neurosim.validation import check_int as _check_int
from neurosim.validation import check_real as _check_real

from .sampling import (
    LogPartition,
    binary_states,
    bm_energy,
    bm_gibbs,
    bm_log_partition_exact,
    bm_log_unnormalized_visible,
    few_threads_for_small_work,
    simulated_annealing,
)

__all__ = [
    "BMParams",
    "BoltzmannMachine",
    "check_data",
    "few_threads_for_small_work",
    "make_generator",
    "resolve_device",
]


# ---------------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------------


def make_generator(random_state: int | np.random.Generator | np.random.RandomState | None,
                   device: torch.device) -> torch.Generator:
    """A seeded ``torch.Generator`` on ``device`` from an int, numpy Generator/RandomState or
    None (fresh entropy)."""
    if random_state is None:
        seed = int(np.random.default_rng().integers(2**62))
    elif isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0, got {random_state}")
        seed = int(random_state)
    elif isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(2**62))
    elif isinstance(random_state, np.random.RandomState):
        seed = int(random_state.randint(2**31 - 1))
    else:
        raise TypeError("random_state must be None, an int, a numpy Generator or RandomState, "
                        f"got {type(random_state).__name__}")
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen


def check_data(
    X: ArrayLike,
    *,
    owner: str,
    n_features: int | None = None,
    binary: bool = True,
    binarize: float | None = None,
    name: str = "X",
) -> np.ndarray:
    """Validate a data matrix and return it as a C-contiguous float array (a copy).

    Raises ``ValueError`` for a wrong number of dimensions, an empty array, NaN or infinite
    values, a feature count different from ``n_features``, or (``binary=True``) values other
    than 0 and 1; ``binarize=t`` first maps ``X > t`` to 1 and the rest to 0.
    """
    if hasattr(X, "detach"):
        X = X.detach().cpu().numpy()
    try:
        A = np.array(X, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{owner}: {name} must be a numeric array-like, got "
                        f"{type(X).__name__}") from err
    if A.ndim != 2:
        raise ValueError(f"{owner}: expected a 2-D array {name} of shape (n_samples, "
                         f"n_features), got shape {A.shape}")
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError(f"{owner}: {name} is empty (shape {A.shape})")
    if not np.all(np.isfinite(A)):
        bad = "NaN" if np.isnan(A).any() else "infinity"
        raise ValueError(f"{owner}: {name} contains {bad}; remove or impute those values")
    if n_features is not None and A.shape[1] != n_features:
        raise ValueError(f"{owner}: {name} has {A.shape[1]} features, but the model was "
                         f"fitted with {n_features}")
    if binarize is not None:
        A = (A > binarize).astype(np.float64)
    elif binary:
        bad = (A != 0) & (A != 1)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise ValueError(
                f"{owner}: {name} must be binary (0/1); found {float(A[r, c])!r} at [{r}, {c}] "
                f"({int(bad.sum())} non-binary values). Threshold it first, pass "
                "binarize=<threshold>, or use visible='gaussian' for real-valued data")
    return np.ascontiguousarray(A)


def check_int(owner: str, name: str, value, minimum: int) -> int:
    """:func:`neurosim.validation.check_int` for ``owner.name`` (``>= minimum``)."""
    return _check_int(f"{owner}.{name}", value, low=minimum)


def check_float(owner: str, name: str, value, low: float, high: float = math.inf, *,
                low_open: bool = False, high_open: bool = False) -> float:
    """:func:`neurosim.validation.check_real` for ``owner.name``: finite, in the range."""
    return _check_real(f"{owner}.{name}", value, low, high, low_open=low_open,
                       high_open=high_open)


# ---------------------------------------------------------------------------------------------
# general Boltzmann machine
# ---------------------------------------------------------------------------------------------

_BM_METHODS = ("exact", "gibbs")


@dataclass(frozen=True)
class BMParams:
    """Validated settings of :class:`BoltzmannMachine` (see its docstring)."""

    n_hidden: int = 0
    learning_rate: float = 0.5
    n_iter: int = 200
    method: str = "exact"
    n_sweeps: int = 10
    n_chains: int = 100
    weight_decay: float = 0.0
    temperature: float = 1.0
    init_scale: float = 0.5

    def __post_init__(self) -> None:
        o = "BMParams"
        check_int(o, "n_hidden", self.n_hidden, 0)
        check_float(o, "learning_rate", self.learning_rate, 0.0, low_open=True)
        check_int(o, "n_iter", self.n_iter, 1)
        if self.method not in _BM_METHODS:
            raise ValueError(f"unknown BMParams.method {self.method!r}; choose from: "
                             + ", ".join(_BM_METHODS))
        check_int(o, "n_sweeps", self.n_sweeps, 1)
        check_int(o, "n_chains", self.n_chains, 1)
        check_float(o, "weight_decay", self.weight_decay, 0.0)
        check_float(o, "temperature", self.temperature, 0.0, low_open=True)
        check_float(o, "init_scale", self.init_scale, 0.0)


def bm_exact_statistics(V: torch.Tensor, W: torch.Tensor, b: torch.Tensor
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Exact clamped and free moments of a small Boltzmann machine.

    .. math::

        \langle s s^\top\rangle_{\text{clamped}} = \frac1N\sum_n \sum_h p(h\mid v_n)\,
        s s^\top,\qquad \langle s s^\top\rangle_{\text{free}} = \sum_s p(s)\, s s^\top

    Parameters
    ----------
    V : (n_samples, n_visible) float64 tensor
    W : (n_units, n_units) float64 tensor, b : (n_units,) float64 tensor

    Returns
    -------
    ss_data, s_data, ss_model, s_model : (n, n), (n,), (n, n), (n,) tensors
    """
    n = W.shape[0]
    n_v = V.shape[1]
    n_h = n - n_v
    S = binary_states(0, 1 << n, n, device=W.device)
    p = torch.softmax(-bm_energy(S, W, b), dim=0)
    ss_model = S.T @ (S * p[:, None])
    s_model = p @ S
    if n_h == 0:
        return V.T @ V / V.shape[0], V.mean(0), ss_model, s_model
    H = binary_states(0, 1 << n_h, n_h, device=W.device)
    Wvh, Whh = W[:n_v, n_v:], W[n_v:, n_v:]
    logits = V @ Wvh @ H.T + (0.5 * ((H @ Whh) * H).sum(1) + H @ b[n_v:])
    P = torch.softmax(logits, dim=1)  # (N, 2^nh): p(h | v_n)
    Eh = P @ H  # (N, n_h)
    N = V.shape[0]
    vv = V.T @ V / N
    vh = V.T @ Eh / N
    hh = H.T @ (H * P.sum(0)[:, None]) / N
    ss = torch.cat([torch.cat([vv, vh], 1), torch.cat([vh.T, hh], 1)], 0)
    return ss, torch.cat([V.mean(0), Eh.mean(0)]), ss_model, s_model


class BoltzmannMachine(BaseEstimator):
    """Fully connected Boltzmann machine with optional hidden units (Ackley et al. 1985).

    Parameters
    ----------
    n_hidden : int, default 0
        Number of hidden units (the visible units are the data's features).
    learning_rate : float, default 0.5
        Step size of the full-batch gradient ascent on the mean log-likelihood.
    n_iter : int, default 200
        Number of gradient steps in :meth:`fit`.
    method : {"exact", "gibbs"}, default "exact"
        How the clamped/free moments are obtained: exact enumeration (all units <= 20 or so)
        or Gibbs sampling (``n_sweeps`` sweeps per step; persistent free chains).
    n_sweeps : int, default 10
        Gibbs sweeps per gradient step (``method="gibbs"``) and the default for :meth:`sample`.
    n_chains : int, default 100
        Number of persistent free-phase chains (``method="gibbs"``).
    weight_decay : float, default 0
        L2 penalty on the weights.
    temperature : float, default 1
        Temperature used by :meth:`sample`.
    init_scale : float, default 0.5
        Standard deviation of the initial weights. Hidden units need it well above zero to
        break the symmetry (with tiny weights, e.g. on parity data, they get no gradient).
    device : str, default "auto"
    random_state : int, numpy Generator/RandomState or None

    Attributes
    ----------
    weights_ : ndarray (n_units, n_units)
        Symmetric, zero diagonal; visible units first.
    biases_ : ndarray (n_units,)
    n_features_in_ : int
    """

    def __init__(self, n_hidden: int = 0, learning_rate: float = 0.5, n_iter: int = 200,
                 method: str = "exact", n_sweeps: int = 10, n_chains: int = 100,
                 weight_decay: float = 0.0, temperature: float = 1.0,
                 init_scale: float = 0.5, device: str | torch.device = "auto",
                 random_state: int | np.random.Generator | np.random.RandomState | None = None):
        self.n_hidden = n_hidden
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.method = method
        self.n_sweeps = n_sweeps
        self.n_chains = n_chains
        self.weight_decay = weight_decay
        self.temperature = temperature
        self.init_scale = init_scale
        self.device = device
        self.random_state = random_state

    def __getstate__(self):
        # torch.Generator cannot be pickled; a fresh one is made from random_state on demand
        state = super().__getstate__()
        state.pop("_generator", None)
        return state

    # -- helpers ---------------------------------------------------------------------------
    def _params(self) -> BMParams:
        return BMParams(self.n_hidden, self.learning_rate, self.n_iter, self.method,
                        self.n_sweeps, self.n_chains, self.weight_decay, self.temperature,
                        self.init_scale)

    def _torch(self):
        dev = resolve_device(self.device)
        return (torch.as_tensor(self.weights_, dtype=torch.float64, device=dev),
                torch.as_tensor(self.biases_, dtype=torch.float64, device=dev))

    def _gen(self, dev):
        if not hasattr(self, "_generator") or self._generator.device != dev:
            self._generator = make_generator(self.random_state, dev)
        return self._generator

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError("BoltzmannMachine is not fitted yet; call fit(X) first")

    # -- learning --------------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: object = None) -> BoltzmannMachine:
        """Learn weights and biases from binary data ``X`` of shape (n_samples, n_features)."""
        prm = self._params()
        A = check_data(X, owner="BoltzmannMachine")
        dev = resolve_device(self.device)
        self._generator = make_generator(self.random_state, dev)
        n_v = A.shape[1]
        n = n_v + prm.n_hidden
        if prm.method == "exact" and n > 20:
            raise ValueError(f"BoltzmannMachine method='exact' enumerates 2**{n} states "
                             f"(n_features + n_hidden = {n} > 20); use method='gibbs'")
        g = self._generator
        W = prm.init_scale * torch.randn((n, n), generator=g, dtype=torch.float64, device=dev)
        W = torch.triu(W, 1)
        W = W + W.T
        p = torch.as_tensor(A.mean(0), device=dev).clamp(1e-3, 1 - 1e-3)
        b = torch.cat([torch.log(p / (1 - p)), torch.zeros(prm.n_hidden, dtype=torch.float64,
                                                              device=dev)])
        V = torch.as_tensor(A, device=dev)
        chains = torch.bernoulli(torch.full((prm.n_chains, n), 0.5, dtype=torch.float64,
                                            device=dev), generator=g)
        clamp = torch.zeros(n, dtype=torch.bool, device=dev)
        clamp[:n_v] = True
        for _ in range(prm.n_iter):
            if prm.method == "exact":
                ss_d, s_d, ss_m, s_m = bm_exact_statistics(V, W, b)
            else:
                start = torch.cat([V, torch.bernoulli(torch.full(
                    (V.shape[0], prm.n_hidden), 0.5, dtype=torch.float64, device=dev),
                    generator=g)], 1)
                pos = bm_gibbs(start, W, b, prm.n_sweeps, clamped=clamp, generator=g)
                chains = bm_gibbs(chains, W, b, prm.n_sweeps, generator=g)
                ss_d, s_d = pos.T @ pos / pos.shape[0], pos.mean(0)
                ss_m, s_m = chains.T @ chains / chains.shape[0], chains.mean(0)
            dW = ss_d - ss_m - prm.weight_decay * W
            dW.fill_diagonal_(0.0)
            W = W + prm.learning_rate * dW
            b = b + prm.learning_rate * (s_d - s_m)
        self.weights_ = W.cpu().numpy()
        self.biases_ = b.cpu().numpy()
        self.n_features_in_ = n_v
        return self

    # -- inference -------------------------------------------------------------------------
    def energy(self, S: ArrayLike) -> np.ndarray:
        """Energy of full states ``S`` (n_samples, n_units), visible units first."""
        self._check_fitted()
        S = check_data(S, owner="BoltzmannMachine", n_features=self.weights_.shape[0],
                       name="S")
        W, b = self._torch()
        return bm_energy(torch.as_tensor(S, device=W.device), W, b).cpu().numpy()

    def log_partition(self) -> LogPartition:
        r"""Exact :math:`\log Z` (enumerates all states; ValueError above 24 units)."""
        self._check_fitted()
        W, b = self._torch()
        z = bm_log_partition_exact(W, b)
        return LogPartition(z, 0.0, z, z, "exact")

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        r"""Exact :math:`\log p(v)` of each row of ``X`` (hidden units summed out)."""
        self._check_fitted()
        A = check_data(X, owner="BoltzmannMachine", n_features=self.n_features_in_)
        W, b = self._torch()
        lp = bm_log_unnormalized_visible(torch.as_tensor(A, device=W.device), W, b)
        return lp.cpu().numpy() - self.log_partition().value

    def score(self, X: ArrayLike, y: object = None) -> float:
        """Mean exact log-likelihood of ``X`` (nats per sample)."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples: int = 1, n_sweeps: int | None = None,
               visible_only: bool = True) -> np.ndarray:
        """Draw states by Gibbs sampling at ``temperature`` from uniform random starts."""
        self._check_fitted()
        check_int("BoltzmannMachine.sample", "n_samples", n_samples, 1)
        sweeps = self.n_sweeps if n_sweeps is None else n_sweeps
        check_int("BoltzmannMachine.sample", "n_sweeps", sweeps, 1)
        W, b = self._torch()
        g = self._gen(W.device)
        s0 = torch.bernoulli(torch.full((n_samples, W.shape[0]), 0.5, dtype=W.dtype,
                                        device=W.device), generator=g)
        s = bm_gibbs(s0, W, b, sweeps, temperature=self.temperature, generator=g)
        s = s.cpu().numpy()
        return s[:, : self.n_features_in_] if visible_only else s

    def anneal(self, temperatures: ArrayLike | None = None, n_chains: int = 10,
               sweeps_per_temperature: int = 1,
               X: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Search low-energy states by simulated annealing.

        Parameters
        ----------
        temperatures : 1-D sequence, optional
            Defaults to a geometric schedule from 10 down to 0.05 (60 steps).
        n_chains : int
            Independent annealing runs (ignored when ``X`` is given).
        X : array (n_samples, n_features), optional
            If given, the visible units are clamped to these rows and only the hidden units
            are annealed (completion of the hidden state).

        Returns
        -------
        states : ndarray (n_chains or n_samples, n_units)
            The lowest-energy state each run visited (with ``X``: the final state of each
            clamped run, a low-energy completion of the hidden units).
        energies : ndarray (n_chains or n_samples,)
        """
        self._check_fitted()
        temps = np.geomspace(10.0, 0.05, 60) if temperatures is None else temperatures
        W, b = self._torch()
        g = self._gen(W.device)
        if X is None:
            s, e = simulated_annealing(W, b, temps, n_chains=n_chains,
                                       sweeps_per_temperature=sweeps_per_temperature,
                                       generator=g)
            return s.cpu().numpy(), e.cpu().numpy()
        A = check_data(X, owner="BoltzmannMachine", n_features=self.n_features_in_)
        n_v = self.n_features_in_
        clamp = torch.zeros(W.shape[0], dtype=torch.bool, device=W.device)
        clamp[:n_v] = True
        s = torch.cat([torch.as_tensor(A, device=W.device),
                       torch.zeros((A.shape[0], W.shape[0] - n_v), dtype=W.dtype,
                                   device=W.device)], 1)
        for t in np.asarray(temps, dtype=float):
            s = bm_gibbs(s, W, b, sweeps_per_temperature, temperature=float(t), clamped=clamp,
                         generator=g)
        return s.cpu().numpy(), bm_energy(s, W, b).cpu().numpy()
