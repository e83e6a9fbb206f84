r"""Restricted Boltzmann machine trained by contrastive divergence (CD-k) or persistent CD.

Binary hidden units; binary or unit-variance Gaussian visible units. The energy is

.. math::

    E(v, h) = -b^\top v - c^\top h - v^\top W h \quad\text{(binary)},\qquad
    E(v, h) = \tfrac12\lVert v - b\rVert^2 - c^\top h - v^\top W h \quad\text{(Gaussian)}.

:meth:`RBM.score_samples` returns the *true* log-likelihood :math:`\log p(v) = -F(v) - \log Z`
with :math:`\log Z` exact (enumeration of the smaller layer) when that layer is small, and an
AIS estimate (Salakhutdinov & Murray 2008) otherwise.

References
----------
Hinton (2002), Neural Computation 14:1771-1800 (contrastive divergence).
Tieleman (2008), ICML (persistent contrastive divergence).
Hinton (2010), "A practical guide to training restricted Boltzmann machines", UTML TR 2010-003.
Salakhutdinov & Murray (2008), ICML (on the quantitative analysis of deep belief networks).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin

from .boltzmann import (
    check_data,
    check_float,
    check_int,
    few_threads_for_small_work,
    make_generator,
    resolve_device,
)
from .sampling import (
    LogPartition,
    ais_rbm,
    rbm_free_energy,
    rbm_gibbs,
    rbm_log_partition_exact,
)

__all__ = [
    "AUTO_EXACT_UNITS",
    "RBM",
    "RBMParams",
    "augment",
    "cd_gradient",
    "cd_gradient_augmented",
    "learning_rate_factor",
]

#: ``method="auto"`` computes log Z exactly when the smaller layer has at most this many units.
AUTO_EXACT_UNITS = 20

_SCHEDULES = ("constant", "linear", "exponential")


def learning_rate_factor(schedule: str | Callable[[int, int], float], epoch: int,
                         n_epochs: int) -> float:
    """Multiplier of the base learning rate in epoch ``epoch`` (0-based) of ``n_epochs``.

    ``"constant"``: 1. ``"linear"``: :math:`1 - e/n` (reaches :math:`1/n` in the last epoch).
    ``"exponential"``: :math:`0.01^{e/n}`. A callable is called as ``schedule(epoch, n_epochs)``.
    """
    if callable(schedule):
        return float(schedule(epoch, n_epochs))
    e = min(epoch, n_epochs - 1)
    if schedule == "constant":
        return 1.0
    if schedule == "linear":
        return 1.0 - e / n_epochs
    return 0.01 ** (e / n_epochs)


@dataclass(frozen=True)
class RBMParams:
    """Validated settings of :class:`RBM` (see its docstring)."""

    n_components: int = 16
    visible: str = "binary"
    learning_rate: float = 0.2
    n_iter: int = 50
    batch_size: int = 32
    k: int = 1
    persistent: bool = False
    momentum: float = 0.5
    weight_decay: float = 0.0
    lr_schedule: str | Callable[[int, int], float] = "linear"
    binarize: float | None = None

    def __post_init__(self) -> None:
        o = "RBMParams"
        check_int(o, "n_components", self.n_components, 1)
        if self.visible not in ("binary", "gaussian"):
            raise ValueError(f"unknown RBMParams.visible {self.visible!r}; choose from: "
                             "binary, gaussian")
        check_float(o, "learning_rate", self.learning_rate, 0.0, low_open=True)
        check_int(o, "n_iter", self.n_iter, 1)
        check_int(o, "batch_size", self.batch_size, 1)
        check_int(o, "k", self.k, 1)
        if not isinstance(self.persistent, bool | np.bool_):
            raise TypeError(f"RBMParams.persistent must be a bool, got "
                            f"{type(self.persistent).__name__}")
        check_float(o, "momentum", self.momentum, 0.0, 1.0, high_open=True)
        check_float(o, "weight_decay", self.weight_decay, 0.0)
        if not callable(self.lr_schedule) and self.lr_schedule not in _SCHEDULES:
            raise ValueError(f"unknown RBMParams.lr_schedule {self.lr_schedule!r}; choose "
                             "from: " + ", ".join(_SCHEDULES) + ", or a callable")
        if self.binarize is not None:
            check_float(o, "binarize", self.binarize, -np.inf)
            if self.visible == "gaussian":
                raise ValueError("RBMParams.binarize must be None for visible='gaussian', got "
                                 f"{self.binarize!r}")


def augment(W: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    r"""Pack an RBM into one matrix :math:`\tilde W = \begin{pmatrix} W & b \\ c^\top & 0
    \end{pmatrix}` of shape (n_visible + 1, n_hidden + 1).

    With a constant 1 appended to ``v`` and ``h``, :math:`\tilde v^\top \tilde W_{:, :n_h} =
    c + W^\top v` and :math:`\tilde W_{:n_v, :} \tilde h = b + W h`, and the CD statistics
    of weights and both biases come out of one outer product (fewer, larger operations).
    """
    Wa = torch.zeros((W.shape[0] + 1, W.shape[1] + 1), dtype=W.dtype, device=W.device)
    Wa[:-1, :-1] = W
    Wa[:-1, -1] = b
    Wa[-1, :-1] = c
    return Wa


def _with_ones(x: torch.Tensor) -> torch.Tensor:
    return torch.cat([x, torch.ones((x.shape[0], 1), dtype=x.dtype, device=x.device)], 1)


def _visible_given_hidden(ha, Wv, visible, generator, out):
    mean_v = ha @ Wv.T
    if visible == "binary":
        torch.bernoulli(mean_v.sigmoid_(), generator=generator, out=out)
    else:
        out.copy_(mean_v.add_(torch.randn(mean_v.shape, generator=generator,
                                          dtype=mean_v.dtype, device=mean_v.device)))


def cd_gradient_augmented(
    v0a: torch.Tensor,
    Wa: torch.Tensor,
    k: int,
    generator: torch.Generator | None = None,
    visible: str = "binary",
    chain: torch.Tensor | None = None,
    workspace: dict | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Contrastive-divergence gradient of a mini-batch in the packed form of :func:`augment`.

    .. math::

        \Delta\tilde W = \tfrac1m\,\tilde v_0^\top \tilde p(h\mid v_0)
        - \tfrac1{m_k}\,\tilde v_k^\top \tilde p(h\mid v_k)

    i.e. :math:`\Delta W = \langle v h^\top\rangle_0 - \langle v h^\top\rangle_k`,
    :math:`\Delta b = \langle v\rangle_0 - \langle v\rangle_k`,
    :math:`\Delta c = \langle h\rangle_0 - \langle h\rangle_k` (the corner entry is 0).
    :math:`v_k` comes from ``k`` block-Gibbs steps :math:`h \sim \sigma(c + W^\top v)`,
    :math:`v \sim \sigma(b + W h)` (or :math:`\mathcal N(b + Wh, I)`) started at the data
    (CD-k, Hinton 2002) or at the persistent chain (PCD, Tieleman 2008).

    Parameters
    ----------
    v0a : (m, n_visible + 1) tensor
        Data mini-batch with a column of ones appended.
    Wa : (n_visible + 1, n_hidden + 1) tensor
        Packed parameters (see :func:`augment`).
    k : int
        Gibbs steps.
    chain : (m_k, n_visible + 1) tensor, optional
        Persistent fantasy particles (ones column included); updated **in place** (PCD).
    workspace : dict, optional
        Scratch buffers reused between calls (pass the same dict for every mini-batch; the
        returned tensors then live in it and are overwritten by the next call).

    Returns
    -------
    dWa : (n_visible + 1, n_hidden + 1) tensor
        Gradient estimate in packed form.
    vka : (m_k, n_visible + 1) tensor
        Negative-phase visible states (``chain`` itself for PCD).
    """
    n_v, n_h = Wa.shape[0] - 1, Wa.shape[1] - 1
    Wh, Wv = Wa[:, :n_h], Wa[:n_v, :]
    m = v0a.shape[0]
    ws = {} if workspace is None else workspace

    def ones(name, rows, cols):  # a buffer whose last column is 1
        buf = ws.get(name)
        if buf is None or buf.shape != (rows, cols) or buf.device != Wa.device:
            buf = ws[name] = torch.ones((rows, cols), dtype=Wa.dtype, device=Wa.device)
        return buf

    ph0a = ones("ph0a", m, n_h + 1)
    torch.sigmoid(v0a @ Wh, out=ph0a[:, :n_h])
    vka = ones("vka", m, n_v + 1) if chain is None else chain
    ha = ones("ha", vka.shape[0], n_h + 1)
    if chain is None:
        torch.bernoulli(ph0a[:, :n_h], generator=generator, out=ha[:, :n_h])
    for step in range(k):
        if chain is not None or step > 0:
            torch.bernoulli((vka @ Wh).sigmoid_(), generator=generator, out=ha[:, :n_h])
        _visible_given_hidden(ha, Wv, visible, generator, vka[:, :n_v])
    phka = ones("phka", vka.shape[0], n_h + 1)
    torch.sigmoid(vka @ Wh, out=phka[:, :n_h])
    dWa = torch.addmm(v0a.T @ ph0a, vka.T, phka, beta=1.0 / m, alpha=-1.0 / vka.shape[0])
    return dWa, vka


def cd_gradient(
    v0: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    c: torch.Tensor,
    k: int,
    generator: torch.Generator | None = None,
    visible: str = "binary",
    chain: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Contrastive-divergence gradient in unpacked form (calls :func:`cd_gradient_augmented`).

    .. math::

        \Delta W = \tfrac1m\big(v_0^\top p(h\mid v_0) - v_k^\top p(h\mid v_k)\big),\quad
        \Delta b = \overline{v_0 - v_k},\quad
        \Delta c = \overline{p(h\mid v_0) - p(h\mid v_k)}

    Parameters
    ----------
    v0 : (m, n_visible) tensor
        Data mini-batch.
    W : (n_visible, n_hidden) tensor, b : (n_visible,) tensor, c : (n_hidden,) tensor
    k : int
        Number of Gibbs steps.
    chain : (n_chains, n_visible) tensor, optional
        Persistent negative-phase visible states (PCD); not modified.

    Returns
    -------
    dW, db, dc : gradient estimates, shaped like W, b, c
    vk : (m or n_chains, n_visible) tensor
        The negative-phase visible states (the new persistent chain for PCD).
    """
    dWa, vka = cd_gradient_augmented(_with_ones(v0), augment(W, b, c), k, generator, visible,
                                     None if chain is None else _with_ones(chain))
    return dWa[:-1, :-1], dWa[:-1, -1], dWa[-1, :-1], vka[:, :-1]


class RBM(TransformerMixin, BaseEstimator):
    r"""Restricted Boltzmann machine (scikit-learn estimator; torch inside, numpy in and out).

    Parameter names follow :class:`sklearn.neural_network.BernoulliRBM` where they overlap.

    Parameters
    ----------
    n_components : int, default 16
        Number of hidden units.
    visible : {"binary", "gaussian"}, default "binary"
        Visible unit type. Gaussian units have unit variance: standardise the data first and
        use a smaller learning rate (about 0.01).
    learning_rate : float, default 0.2
        Base step size (times the schedule factor).
    n_iter : int, default 50
        Number of epochs in :meth:`fit`.
    batch_size : int, default 32
    k : int, default 1
        Gibbs steps per update (CD-k / PCD-k).
    persistent : bool, default False
        Persistent contrastive divergence (one fantasy particle per mini-batch row).
    momentum : float, default 0.5
        Classical momentum in [0, 1).
    weight_decay : float, default 0
        L2 penalty coefficient on ``W``.
    lr_schedule : {"constant", "linear", "exponential"} or callable, default "linear"
        See :func:`learning_rate_factor`. :meth:`partial_fit` evaluates it at the number of
        epochs already done (clipped to ``n_iter - 1``).
    binarize : float or None, default None
        If set, data are mapped to ``X > binarize`` before use (binary visible units only).
        If None, binary visible units require data in {0, 1} (``ValueError`` otherwise).
    device : str, default "auto"
        "auto" (cuda if available, else cpu), "cpu", "cuda", ...
    random_state : int, numpy Generator/RandomState or None
    verbose : bool, default False
        Print the epoch time and reconstruction error after each epoch.

    Attributes
    ----------
    components_ : ndarray (n_components, n_features)
        Weights :math:`W^\top` (as in scikit-learn).
    intercept_hidden_ : ndarray (n_components,)
    intercept_visible_ : ndarray (n_features,)
    n_features_in_ : int
    n_epochs_ : int
        Epochs done so far (fit and partial_fit).
    base_rate_logits_ : ndarray (n_features,)
        Log-odds of the training data's base rates (the AIS base model).

    Examples
    --------
    >>> rbm = RBM(n_components=16, n_iter=50, random_state=0).fit(X)   # doctest: +SKIP
    >>> rbm.score(X_test)             # exact mean log-likelihood in nats  # doctest: +SKIP
    """

    def __init__(self, n_components: int = 16, *, visible: str = "binary",
                 learning_rate: float = 0.2, n_iter: int = 50, batch_size: int = 32,
                 k: int = 1, persistent: bool = False, momentum: float = 0.5,
                 weight_decay: float = 0.0,
                 lr_schedule: str | Callable[[int, int], float] = "linear",
                 binarize: float | None = None, device: str | torch.device = "auto",
                 random_state: int | np.random.Generator | np.random.RandomState | None = None,
                 verbose: bool = False):
        self.n_components = n_components
        self.visible = visible
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.k = k
        self.persistent = persistent
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

    # -- helpers ---------------------------------------------------------------------------
    def _params(self) -> RBMParams:
        return RBMParams(self.n_components, self.visible, self.learning_rate, self.n_iter,
                         self.batch_size, self.k, self.persistent, self.momentum,
                         self.weight_decay, self.lr_schedule, self.binarize)

    def _check_X(self, X, prm: RBMParams | None = None, fitted: bool = True) -> np.ndarray:
        prm = prm or self._params()
        return check_data(X, owner="RBM", n_features=self.n_features_in_ if fitted else None,
                          binary=prm.visible == "binary", binarize=prm.binarize)

    def _check_fitted(self) -> None:
        if not hasattr(self, "components_"):
            raise RuntimeError("RBM is not fitted yet; call fit(X) first")

    def _device(self) -> torch.device:
        return resolve_device(self.device)

    def _tensors(self, dtype=torch.float32):
        dev = self._device()
        return (torch.as_tensor(np.ascontiguousarray(self.components_.T), dtype=dtype, device=dev),
                torch.as_tensor(self.intercept_visible_, dtype=dtype, device=dev),
                torch.as_tensor(self.intercept_hidden_, dtype=dtype, device=dev))

    def _gen(self) -> torch.Generator:
        dev = self._device()
        if getattr(self, "_generator", None) is None or self._generator.device != dev:
            self._generator = make_generator(self.random_state, dev)
        return self._generator

    def _init_params(self, A: np.ndarray, prm: RBMParams) -> None:
        self._generator = make_generator(self.random_state, self._device())
        g = self._generator
        n_v = A.shape[1]
        W = 0.01 * torch.randn((prm.n_components, n_v), generator=g, dtype=torch.float32,
                               device=self._device())
        self.components_ = W.cpu().numpy()
        p = np.clip(A.mean(0), 1e-3, 1 - 1e-3)
        self.base_rate_logits_ = np.log(p / (1 - p))
        if prm.visible == "binary":
            self.intercept_visible_ = self.base_rate_logits_.astype(np.float32)
        else:
            self.intercept_visible_ = A.mean(0).astype(np.float32)
        self.intercept_hidden_ = np.zeros(prm.n_components, dtype=np.float32)
        self.n_features_in_ = n_v
        self.n_epochs_ = 0
        self._velocity = None
        self._chain = None

    # -- learning --------------------------------------------------------------------------
    def fit(self, X: ArrayLike, y: object = None) -> RBM:
        """Initialise and train for ``n_iter`` epochs on ``X`` (n_samples, n_features)."""
        prm = self._params()
        A = self._check_X(X, prm, fitted=False)
        self._init_params(A, prm)
        self._train(A, prm, prm.n_iter)
        return self

    def partial_fit(self, X: ArrayLike, y: object = None) -> RBM:
        """One epoch over ``X`` in mini-batches (initialises the model on the first call)."""
        prm = self._params()
        if not hasattr(self, "components_"):
            A = self._check_X(X, prm, fitted=False)
            self._init_params(A, prm)
        else:
            A = self._check_X(X, prm)
        self._train(A, prm, 1)
        return self

    def _train(self, A: np.ndarray, prm: RBMParams, n_epochs: int) -> None:
        dev = self._device()
        g = self._gen()
        X = _with_ones(torch.as_tensor(A, dtype=torch.float32, device=dev))
        Wa = augment(*self._tensors())
        n_v, n_h = A.shape[1], prm.n_components
        if self._velocity is None or self._velocity.shape != Wa.shape:
            self._velocity = torch.zeros_like(Wa)
        vel = self._velocity.to(dev)
        chain = None
        if prm.persistent:
            chain = self._chain
            if chain is None or chain.shape != (prm.batch_size, n_v + 1):
                idx = torch.randint(X.shape[0], (prm.batch_size,), generator=g, device=dev)
                chain = X[idx].clone()
            chain = chain.to(dev)
        n, bs, mom, wd = X.shape[0], prm.batch_size, prm.momentum, prm.weight_decay
        work = min(bs, n) * Wa.numel()
        workspace: dict = {}
        with torch.inference_mode(), few_threads_for_small_work(work, dev):
            for _ in range(n_epochs):
                t0 = time.perf_counter()
                lr = prm.learning_rate * learning_rate_factor(prm.lr_schedule, self.n_epochs_,
                                                              prm.n_iter)
                Xs = X[torch.randperm(n, generator=g, device=dev)]
                for s in range(0, n, bs):
                    dWa, _ = cd_gradient_augmented(Xs[s:s + bs], Wa, prm.k, g, prm.visible,
                                                   chain, workspace)
                    if wd:
                        dWa[:n_v, :n_h].add_(Wa[:n_v, :n_h], alpha=-wd)
                    vel.mul_(mom).add_(dWa, alpha=lr)
                    Wa.add_(vel)
                self.n_epochs_ += 1
                if not torch.isfinite(Wa).all():
                    raise FloatingPointError(
                        f"RBM training diverged in epoch {self.n_epochs_} (non-finite "
                        f"weights); lower learning_rate (now {prm.learning_rate})")
                if self.verbose:
                    W, b, c = Wa[:-1, :-1], Wa[:-1, -1], Wa[-1, :-1]
                    err = self._reconstruction_error(Xs[:, :-1], W, b, c, prm.visible)
                    print(f"[RBM] epoch {self.n_epochs_}: reconstruction error {err:.4f}, "
                          f"{time.perf_counter() - t0:.3f} s")
        self.components_ = Wa[:-1, :-1].T.cpu().numpy().copy()
        self.intercept_visible_ = Wa[:-1, -1].cpu().numpy().copy()
        self.intercept_hidden_ = Wa[-1, :-1].cpu().numpy().copy()
        self._velocity = vel
        self._chain = chain
        self._log_z_cache = {}

    @staticmethod
    def _reconstruction_error(X, W, b, c, visible) -> float:
        ph = torch.sigmoid(torch.addmm(c, X, W))
        mean_v = torch.addmm(b, ph, W.T)
        rec = torch.sigmoid(mean_v) if visible == "binary" else mean_v
        return float(((X - rec) ** 2).sum(1).mean())

    # -- inference -------------------------------------------------------------------------
    def transform(self, X: ArrayLike) -> np.ndarray:
        r"""Hidden-unit probabilities :math:`p(h_j = 1 \mid v)`, shape (n_samples, n_components)."""
        self._check_fitted()
        A = self._check_X(X)
        W, b, c = self._tensors()
        V = torch.as_tensor(A, dtype=W.dtype, device=W.device)
        return torch.sigmoid(torch.addmm(c, V, W)).cpu().numpy()

    def free_energy(self, X: ArrayLike) -> np.ndarray:
        """Free energy :math:`F(v)` of each row (see :func:`~.sampling.rbm_free_energy`)."""
        self._check_fitted()
        A = self._check_X(X)
        W, b, c = self._tensors(torch.float64)
        V = torch.as_tensor(A, device=W.device)
        return rbm_free_energy(V, W, b, c, self.visible).cpu().numpy()

    def log_partition(self, method: str = "auto", *, n_chains: int = 100,
                      n_betas: int = 14500, max_units: int = 24) -> LogPartition:
        r""":math:`\log Z`, exact or by AIS (cached until the parameters change).

        Parameters
        ----------
        method : {"auto", "exact", "ais"}
            "auto": exact if the enumerated layer has at most ``AUTO_EXACT_UNITS`` (20)
            units, else AIS. "exact" on a larger layer than ``max_units`` raises ValueError.
        n_chains, n_betas : int
            AIS settings (Salakhutdinov & Murray used 100 chains and 14500 temperatures).
        max_units : int
            Largest enumerated layer accepted by "exact".
        """
        self._check_fitted()
        if method not in ("auto", "exact", "ais"):
            raise ValueError(f"unknown log_partition method {method!r}; choose from: auto, "
                             "exact, ais")
        n_enum = (self.n_components if self.visible == "gaussian"
                  else min(self.n_components, self.n_features_in_))
        if method == "auto":
            method = "exact" if n_enum <= AUTO_EXACT_UNITS else "ais"
        key = (method, self._param_hash(), n_chains if method == "ais" else 0,
               n_betas if method == "ais" else 0)
        cache = getattr(self, "_log_z_cache", None)
        if cache is None:
            cache = self._log_z_cache = {}
        if key in cache:
            return cache[key]
        W, b, c = self._tensors(torch.float64)
        if method == "exact":
            z = rbm_log_partition_exact(W, b, c, self.visible, max_units=max_units)
            out = LogPartition(z, 0.0, z, z, "exact")
        else:
            base = torch.as_tensor(self.base_rate_logits_, dtype=torch.float64,
                                   device=W.device)
            with few_threads_for_small_work(n_chains * W.numel(), W.device):
                out = ais_rbm(W, b, c, n_chains=n_chains, betas=n_betas,
                              base_visible_bias=base, visible=self.visible,
                              generator=self._gen())
        cache[key] = out
        return out

    def _param_hash(self) -> str:
        h = hashlib.blake2b(digest_size=16)
        for a in (self.components_, self.intercept_visible_, self.intercept_hidden_):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def score_samples(self, X: ArrayLike, method: str = "auto", **ais_kwargs: Any) -> np.ndarray:
        r"""True log-likelihood :math:`\log p(v) = -F(v) - \log Z` of each row (nats).

        Unlike scikit-learn's BernoulliRBM (pseudo-likelihood), this is the log-probability
        under the model, with :math:`\log Z` from :meth:`log_partition` (``method`` and
        ``ais_kwargs`` are passed on; its error bar is in ``log_partition(...).std``). For
        Gaussian visible units it is a log-density.
        """
        self._check_fitted()
        log_z = self.log_partition(method, **ais_kwargs).value
        return -self.free_energy(X) - log_z

    def score(self, X: ArrayLike, y: object = None, method: str = "auto",
              **ais_kwargs: Any) -> float:
        """Mean log-likelihood of ``X`` in nats per sample."""
        return float(np.mean(self.score_samples(X, method, **ais_kwargs)))

    def gibbs(self, v: ArrayLike) -> np.ndarray:
        r"""One block-Gibbs step :math:`v \to h \to v'` from each row of ``v``."""
        self._check_fitted()
        A = self._check_X(v)
        W, b, c = self._tensors()
        out, _ = rbm_gibbs(torch.as_tensor(A, dtype=W.dtype, device=W.device), W, b, c, 1,
                           self._gen(), self.visible)
        return out.cpu().numpy()

    def sample(self, n_samples: int = 1, n_steps: int = 1000,
               init: ArrayLike | None = None) -> np.ndarray:
        """Visible samples after ``n_steps`` block-Gibbs steps of independent chains.

        Parameters
        ----------
        n_samples : int
            Number of chains (ignored when ``init`` is given).
        n_steps : int
            Gibbs steps per chain.
        init : array (n_chains, n_features), optional
            Starting states; default: draws from the base-rate model (binary) or the visible
            bias (Gaussian).
        """
        self._check_fitted()
        check_int("RBM.sample", "n_steps", n_steps, 0)
        W, b, c = self._tensors()
        g = self._gen()
        if init is not None:
            v = torch.as_tensor(self._check_X(init), dtype=W.dtype, device=W.device)
        else:
            check_int("RBM.sample", "n_samples", n_samples, 1)
            if self.visible == "binary":
                p = torch.sigmoid(torch.as_tensor(self.base_rate_logits_, dtype=W.dtype,
                                                  device=W.device))
                v = torch.bernoulli(p.expand(n_samples, -1).contiguous(), generator=g)
            else:
                v = b.expand(n_samples, -1).clone()
        with torch.inference_mode(), few_threads_for_small_work(v.shape[0] * W.numel(),
                                                                W.device):
            v, _ = rbm_gibbs(v, W, b, c, n_steps, g, self.visible)
        return v.cpu().numpy()
