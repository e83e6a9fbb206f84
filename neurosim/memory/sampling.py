r"""Sampling and partition functions for Boltzmann machines (pure functions, torch inside).

Everything here is a pure function of the parameters, the states and an explicit
``torch.Generator``; the estimator classes in :mod:`neurosim.memory.boltzmann`,
:mod:`neurosim.memory.rbm` and :mod:`neurosim.memory.dbm` only hold parameters and call these.

Conventions
-----------
Binary units take values in {0, 1}. A general Boltzmann machine has energy
:math:`E(s) = -\tfrac12 s^\top W s - b^\top s` (``W`` symmetric, zero diagonal). An RBM with
weights ``W`` of shape ``(n_visible, n_hidden)``, visible bias ``b`` and hidden bias ``c`` has
:math:`E(v, h) = -b^\top v - c^\top h - v^\top W h` (binary visible) or
:math:`E(v, h) = \tfrac12\lVert v - b\rVert^2 - c^\top h - v^\top W h` (Gaussian visible with
unit variance). Probabilities are :math:`p = e^{-E} / Z`.

References
----------
Ackley, Hinton & Sejnowski (1985), Cognitive Science 9:147-169 (Boltzmann machines, annealing).
Kirkpatrick, Gelatt & Vecchi (1983), Science 220:671-680 (simulated annealing).
Neal (2001), Statistics and Computing 11:125-139 (annealed importance sampling).
Salakhutdinov & Murray (2008), ICML (AIS for RBMs; base-rate model, beta schedule).
Salakhutdinov & Hinton (2009), AISTATS (deep Boltzmann machines).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "MAX_EXACT_UNITS",
    "LogPartition",
    "ais_rbm",
    "ais_beta_schedule",
    "binary_states",
    "bm_energy",
    "bm_gibbs",
    "bm_log_partition_exact",
    "bm_log_unnormalized_visible",
    "few_threads_for_small_work",
    "rbm_free_energy",
    "rbm_gibbs",
    "rbm_log_partition_exact",
    "simulated_annealing",
]

#: Largest number of enumerated binary units accepted by the exact partition functions by
#: default (2**24 states; minutes for a 784-unit other layer on two CPU cores).
MAX_EXACT_UNITS = 24

_LOG_2PI = math.log(2.0 * math.pi)
_VISIBLE_KINDS = ("binary", "gaussian")


@dataclass(frozen=True)
class LogPartition:
    r"""A log partition function, exact or estimated.

    Attributes
    ----------
    value : float
        :math:`\log Z` (for AIS, the log of the mean importance weight).
    std : float
        Standard error of ``value`` (delta method for AIS; 0 when exact).
    lower, upper : float
        Error bar: for AIS :math:`\log(\hat m \mp 3\hat\sigma_m)` as in Salakhutdinov &
        Murray (2008), ``-inf`` when :math:`\hat m - 3\hat\sigma_m \le 0`; both equal
        ``value`` when exact.
    method : str
        ``"exact"`` or ``"ais"``.
    """

    value: float
    std: float
    lower: float
    upper: float
    method: str


@contextmanager
def few_threads_for_small_work(work: int, device: torch.device,
                               threshold: int = 1 << 20) -> Iterator[None]:
    """Run torch on one CPU thread while the per-operation work (multiply-adds) is small.

    Tiny matrix products gain nothing from intra-op threads, and on a loaded machine the
    threads' synchronisation can make them 10-30x slower; the previous thread count is
    restored on exit. No effect on GPUs or for ``work >= threshold``.
    """
    old = torch.get_num_threads()
    if device.type != "cpu" or work >= threshold or old == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _check_visible(visible: str) -> None:
    if visible not in _VISIBLE_KINDS:
        raise ValueError(f"unknown visible unit type {visible!r}; choose from: binary, gaussian")


def _check_size(n: int, max_units: int, what: str, hint: str) -> None:
    if n > max_units:
        raise ValueError(
            f"exact log Z needs 2**{n} terms ({what} = {n} > max_units = {max_units}); "
            f"{hint}"
        )


def binary_states(
    start: int, stop: int, n: int, *, device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """All binary vectors whose integer codes lie in ``[start, stop)``.

    Returns
    -------
    torch.Tensor, shape (stop - start, n)
        Row ``r`` holds the bits (least significant first) of ``start + r``.
    """
    codes = torch.arange(start, stop, device=device, dtype=torch.int64)
    shifts = torch.arange(n, device=device, dtype=torch.int64)
    return ((codes[:, None] >> shifts) & 1).to(dtype)


def _chunks(n_units: int, width: int, chunk_elements: int):
    total = 1 << n_units
    size = max(1, min(total, chunk_elements // max(width, 1)))
    for start in range(0, total, size):
        yield start, min(total, start + size)


# ---------------------------------------------------------------------------------------------
# RBM
# ---------------------------------------------------------------------------------------------


def rbm_free_energy(
    v: torch.Tensor, W: torch.Tensor, b: torch.Tensor, c: torch.Tensor, visible: str = "binary"
) -> torch.Tensor:
    r"""Free energy of visible vectors, :math:`F(v) = -\log \sum_h e^{-E(v,h)}`.

    .. math::

        F(v) = -b^\top v - \sum_j \operatorname{softplus}(c_j + v^\top W_{:j})
        \quad\text{(binary)},\qquad
        F(v) = \tfrac12\lVert v-b\rVert^2 - \sum_j \operatorname{softplus}(c_j + v^\top W_{:j})
        \quad\text{(Gaussian)}

    Parameters
    ----------
    v : (n_samples, n_visible) tensor
    W : (n_visible, n_hidden) tensor
    b : (n_visible,) tensor
    c : (n_hidden,) tensor
    visible : {"binary", "gaussian"}

    Returns
    -------
    (n_samples,) tensor
        ``log p(v) = -F(v) - log Z`` (a density for Gaussian units).
    """
    _check_visible(visible)
    hidden_term = F.softplus(torch.addmm(c, v, W)).sum(dim=1)
    if visible == "binary":
        return -(v @ b) - hidden_term
    return 0.5 * ((v - b) ** 2).sum(dim=1) - hidden_term


def rbm_log_partition_exact(
    W: torch.Tensor,
    b: torch.Tensor,
    c: torch.Tensor,
    visible: str = "binary",
    *,
    max_units: int = MAX_EXACT_UNITS,
    chunk_elements: int = 1 << 22,
) -> float:
    r"""Exact :math:`\log Z` of an RBM by enumerating its smaller layer.

    Enumerating the hidden layer (always, for Gaussian visible units):

    .. math::

        \log Z = \operatorname{logsumexp}_h \Big[c^\top h + \sum_i
        \operatorname{softplus}(b_i + W_{i:} h)\Big]
        \quad\text{(binary)},\qquad
        \log Z = \tfrac{n_v}{2}\log 2\pi + \operatorname{logsumexp}_h \Big[c^\top h
        + b^\top W h + \tfrac12\lVert W h\rVert^2\Big] \quad\text{(Gaussian)}

    and symmetrically over ``v`` when the visible layer is the smaller binary one. The
    :math:`2^n` states are visited in chunks of about ``chunk_elements`` numbers, so memory
    stays bounded; the sum is done in float64.

    Parameters
    ----------
    W : (n_visible, n_hidden) tensor
    b : (n_visible,) tensor
    c : (n_hidden,) tensor
    visible : {"binary", "gaussian"}
    max_units : int
        Refuse (``ValueError`` suggesting AIS) when the enumerated layer is larger.
    chunk_elements : int
        Approximate number of float64 numbers per chunk.

    Returns
    -------
    float
    """
    _check_visible(visible)
    W, b, c = W.double(), b.double(), c.double()
    n_v, n_h = W.shape
    enumerate_hidden = visible == "gaussian" or n_h <= n_v
    n_enum = n_h if enumerate_hidden else n_v
    _check_size(
        n_enum, max_units, "smaller layer" if visible == "binary" else "n_hidden",
        "use the AIS estimate instead (method='ais', e.g. RBM.log_partition(method='ais'))",
    )
    parts = []
    for start, stop in _chunks(n_enum, max(n_v, n_h), chunk_elements):
        s = binary_states(start, stop, n_enum, device=W.device)
        if not enumerate_hidden:
            terms = s @ b + F.softplus(torch.addmm(c, s, W)).sum(dim=1)
        elif visible == "binary":
            terms = s @ c + F.softplus(torch.addmm(b, s, W.T)).sum(dim=1)
        else:
            wh = s @ W.T
            terms = s @ c + wh @ b + 0.5 * (wh * wh).sum(dim=1)
        parts.append(torch.logsumexp(terms, dim=0))
    log_z = torch.logsumexp(torch.stack(parts), dim=0).item()
    if visible == "gaussian":
        log_z += 0.5 * n_v * _LOG_2PI
    return float(log_z)


def rbm_gibbs(
    v: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    c: torch.Tensor,
    n_steps: int,
    generator: torch.Generator | None = None,
    visible: str = "binary",
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Block Gibbs sampling :math:`v \to h \to v` for ``n_steps`` steps.

    .. math::

        h \sim \mathrm{Bernoulli}(\sigma(c + W^\top v)),\qquad
        v \sim \mathrm{Bernoulli}(\sigma(b + W h))\ \text{or}\ \mathcal N(b + W h, I)

    Parameters
    ----------
    v : (n_chains, n_visible) tensor
        Initial visible states (not modified).

    Returns
    -------
    v : (n_chains, n_visible) tensor
        Visible states after ``n_steps`` steps.
    h : (n_chains, n_hidden) tensor
        The hidden states sampled in the last step (from the previous ``v``).
    """
    _check_visible(visible)
    h = torch.zeros(v.shape[0], W.shape[1], dtype=v.dtype, device=v.device)
    with few_threads_for_small_work(v.shape[0] * W.numel(), v.device):
        for _ in range(n_steps):
            h = torch.bernoulli(torch.sigmoid(torch.addmm(c, v, W)), generator=generator)
            mean_v = torch.addmm(b, h, W.T)
            if visible == "binary":
                v = torch.bernoulli(torch.sigmoid(mean_v), generator=generator)
            else:
                v = mean_v + torch.randn(mean_v.shape, generator=generator, dtype=v.dtype,
                                         device=v.device)
    return v, h


def ais_beta_schedule(n_betas: int) -> np.ndarray:
    """Inverse temperatures 0 = beta_0 < ... < beta_K = 1 for AIS.

    The shape follows Salakhutdinov & Murray (2008): 500 steps on [0, 0.5], 4000 on
    [0.5, 0.9], 10000 on [0.9, 1] (14500 in all), scaled to ``n_betas`` points in total.
    """
    if n_betas < 3:
        raise ValueError(f"ais n_betas must be >= 3, got {n_betas}")
    k1 = max(1, round(n_betas * 500 / 14500))
    k2 = max(1, round(n_betas * 4000 / 14500))
    k3 = max(1, n_betas - 1 - k1 - k2)
    return np.concatenate([
        np.linspace(0.0, 0.5, k1, endpoint=False),
        np.linspace(0.5, 0.9, k2, endpoint=False),
        np.linspace(0.9, 1.0, k3 + 1),
    ])


def ais_rbm(
    W: torch.Tensor,
    b: torch.Tensor,
    c: torch.Tensor,
    *,
    n_chains: int = 100,
    betas: int | Sequence[float] | np.ndarray = 14500,
    base_visible_bias: torch.Tensor | None = None,
    visible: str = "binary",
    generator: torch.Generator | None = None,
) -> LogPartition:
    r"""Annealed importance sampling estimate of an RBM's :math:`\log Z`.

    Intermediate distributions (Salakhutdinov & Murray 2008), for binary visible units,

    .. math::

        p_\beta^*(v) = e^{((1-\beta) b_A + \beta b)^\top v}
        \prod_j \big(1 + e^{\beta (c_j + v^\top W_{:j})}\big),

    from the base-rate model :math:`p_0` (independent visibles with bias :math:`b_A`,
    :math:`Z_0 = 2^{n_h} \prod_i (1 + e^{b_{A,i}})`) to the RBM at :math:`\beta = 1`. For
    Gaussian visible units the Gaussian factor :math:`e^{-\lVert v-b\rVert^2/2}` is kept and
    only the coupling is annealed (:math:`Z_0 = (2\pi)^{n_v/2} 2^{n_h}`). Each chain carries
    :math:`\log w = \sum_k \log p^*_{\beta_k}(v_k) - \log p^*_{\beta_{k-1}}(v_k)` and moves
    by one Gibbs step that leaves :math:`p_{\beta_k}` invariant;
    :math:`\hat Z = Z_0 \cdot \operatorname{mean}(w)`.

    Parameters
    ----------
    W : (n_visible, n_hidden) tensor
    b : (n_visible,) tensor
    c : (n_hidden,) tensor
    n_chains : int
        Number of independent AIS runs.
    betas : int or 1-D array
        Number of inverse temperatures (schedule of :func:`ais_beta_schedule`) or the
        increasing schedule itself, from 0 to 1.
    base_visible_bias : (n_visible,) tensor, optional
        :math:`b_A`, usually the log-odds of the data's base rates; zeros if omitted. Unused
        for Gaussian visible units.
    visible : {"binary", "gaussian"}
    generator : torch.Generator, optional

    Returns
    -------
    LogPartition
        ``method="ais"``; the estimate is unbiased for :math:`Z`, hence a stochastic lower
        bound on :math:`\log Z` on average.
    """
    _check_visible(visible)
    if n_chains < 2:
        raise ValueError(f"ais n_chains must be >= 2, got {n_chains}")
    beta = ais_beta_schedule(betas) if isinstance(betas, int) else np.asarray(betas, float)
    if beta.ndim != 1 or beta.size < 2 or beta[0] != 0.0 or beta[-1] != 1.0 or np.any(
        np.diff(beta) < 0
    ):
        raise ValueError("ais betas must be an increasing 1-D schedule from 0 to 1")
    W, b, c = W.double(), b.double(), c.double()
    n_v, n_h = W.shape
    dev = W.device
    if visible == "binary":
        b_a = torch.zeros_like(b) if base_visible_bias is None else base_visible_bias.double()
        log_z0 = F.softplus(b_a).sum().item() + n_h * math.log(2.0)
        v = torch.bernoulli(torch.sigmoid(b_a).expand(n_chains, n_v).contiguous(),
                            generator=generator)
        db = b - b_a
    else:
        log_z0 = 0.5 * n_v * _LOG_2PI + n_h * math.log(2.0)
        v = b + torch.randn((n_chains, n_v), generator=generator, dtype=W.dtype, device=dev)
    log_w = torch.zeros(n_chains, dtype=W.dtype, device=dev)
    with few_threads_for_small_work(n_chains * W.numel(), dev):
        log_w = _ais_loop(v, log_w, W, b_a if visible == "binary" else b, c,
                          db if visible == "binary" else None, beta, visible, generator)
    return _log_mean_with_error(log_w.cpu().numpy(), log_z0)


def _ais_loop(v, log_w, W, base, c, db, beta, visible, generator):
    n_chains, n_v = v.shape
    for k in range(1, beta.size):
        b_prev, b_now = float(beta[k - 1]), float(beta[k])
        a = torch.addmm(c, v, W)
        log_w += F.softplus(b_now * a).sum(dim=1) - F.softplus(b_prev * a).sum(dim=1)
        if visible == "binary":
            log_w += (b_now - b_prev) * (v @ db)
        if k == beta.size - 1:
            break
        h = torch.bernoulli(torch.sigmoid(b_now * a), generator=generator)
        if visible == "binary":
            v = torch.bernoulli(torch.sigmoid(base + b_now * torch.addmm(db, h, W.T)),
                                generator=generator)
        else:
            v = base + b_now * (h @ W.T) + torch.randn(
                (n_chains, n_v), generator=generator, dtype=W.dtype, device=W.device)
    return log_w


def _log_mean_with_error(log_w: np.ndarray, offset: float) -> LogPartition:
    top = float(np.max(log_w))
    w = np.exp(log_w - top)
    mean = float(w.mean())
    sem = float(w.std(ddof=1) / math.sqrt(w.size))
    value = offset + top + math.log(mean)
    lower = offset + top + math.log(mean - 3 * sem) if mean - 3 * sem > 0 else -math.inf
    upper = offset + top + math.log(mean + 3 * sem)
    return LogPartition(value, sem / mean, lower, upper, "ais")


# ---------------------------------------------------------------------------------------------
# General (fully connected) Boltzmann machine
# ---------------------------------------------------------------------------------------------


def bm_energy(s: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    r"""Energy :math:`E(s) = -\tfrac12 s^\top W s - b^\top s` of each row of ``s``.

    Parameters
    ----------
    s : (n_samples, n_units) tensor of {0, 1}
    W : (n_units, n_units) symmetric tensor with zero diagonal
    b : (n_units,) tensor

    Returns
    -------
    (n_samples,) tensor
    """
    return -0.5 * ((s @ W) * s).sum(dim=1) - s @ b


def bm_gibbs(
    s: torch.Tensor,
    W: torch.Tensor,
    b: torch.Tensor,
    n_sweeps: int,
    *,
    temperature: float = 1.0,
    clamped: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Sequential Gibbs sweeps of a Boltzmann machine (Ackley, Hinton & Sejnowski 1985).

    Each unit ``i`` in turn (in a random order per sweep) is set to 1 with probability

    .. math::

        p(s_i = 1 \mid s_{\setminus i}) = \sigma\Big(\frac{b_i + \sum_j W_{ij} s_j}{T}\Big).

    Parameters
    ----------
    s : (n_chains, n_units) tensor
        Initial states (not modified).
    W : (n_units, n_units) tensor, b : (n_units,) tensor
    n_sweeps : int
    temperature : float
        :math:`T > 0`.
    clamped : (n_units,) bool tensor, optional
        Units that keep their initial values (e.g. visible units in the positive phase).
    generator : torch.Generator, optional

    Returns
    -------
    (n_chains, n_units) tensor
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    s = s.clone()
    n = s.shape[1]
    free = torch.arange(n, device=s.device)
    if clamped is not None:
        free = free[~clamped.to(device=s.device, dtype=torch.bool)]
    if free.numel() == 0:
        return s
    beta = 1.0 / temperature
    with few_threads_for_small_work(s.numel(), s.device):
        _gibbs_sweeps(s, W, b, free, beta, n_sweeps, generator)
    return s


def _gibbs_sweeps(s, W, b, free, beta, n_sweeps, generator):
    for _ in range(n_sweeps):
        dev = generator.device if generator is not None else free.device
        order = free[torch.randperm(free.numel(), generator=generator, device=dev)
                     .to(free.device)]
        u = torch.rand((free.numel(), s.shape[0]), generator=generator, dtype=s.dtype,
                       device=s.device)
        for r, i in enumerate(order.tolist()):
            p = torch.sigmoid(beta * (s @ W[:, i] + b[i]))
            s[:, i] = (u[r] < p).to(s.dtype)


def simulated_annealing(
    W: torch.Tensor,
    b: torch.Tensor,
    temperatures: Sequence[float] | np.ndarray,
    *,
    n_chains: int = 1,
    sweeps_per_temperature: int = 1,
    s0: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Simulated annealing (Kirkpatrick et al. 1983) with Gibbs sweeps at falling temperature.

    Runs :func:`bm_gibbs` for ``sweeps_per_temperature`` sweeps at each temperature of the
    schedule, then returns each chain's final state and the lowest-energy state it visited.

    Parameters
    ----------
    W : (n_units, n_units) tensor, b : (n_units,) tensor
    temperatures : 1-D sequence of positive floats (usually decreasing)
    n_chains : int
    sweeps_per_temperature : int
    s0 : (n_chains, n_units) tensor, optional
        Initial states; uniform random if omitted.

    Returns
    -------
    best_states : (n_chains, n_units) tensor
        Lowest-energy state seen by each chain (at the end of a sweep).
    best_energies : (n_chains,) tensor
    """
    temps = np.asarray(temperatures, dtype=float)
    if temps.ndim != 1 or temps.size == 0 or np.any(temps <= 0):
        raise ValueError("simulated_annealing temperatures must be a non-empty 1-D sequence "
                         "of positive numbers")
    n = W.shape[0]
    if s0 is None:
        s = torch.bernoulli(torch.full((n_chains, n), 0.5, dtype=W.dtype, device=W.device),
                            generator=generator)
    else:
        s = s0.to(dtype=W.dtype, device=W.device)
    best = s.clone()
    best_e = bm_energy(s, W, b)
    for t in temps:
        s = bm_gibbs(s, W, b, sweeps_per_temperature, temperature=float(t), generator=generator)
        e = bm_energy(s, W, b)
        better = e < best_e
        best[better] = s[better]
        best_e = torch.where(better, e, best_e)
    return best, best_e


def bm_log_partition_exact(
    W: torch.Tensor, b: torch.Tensor, *, max_units: int = MAX_EXACT_UNITS,
    chunk_elements: int = 1 << 22,
) -> float:
    r"""Exact :math:`\log Z = \operatorname{logsumexp}_s [-E(s)]` over all :math:`2^n` states.

    Raises ``ValueError`` when ``n_units > max_units``.
    """
    n = W.shape[0]
    _check_size(n, max_units, "n_units", "estimate it by sampling instead")
    W, b = W.double(), b.double()
    parts = [torch.logsumexp(-bm_energy(binary_states(lo, hi, n, device=W.device), W, b), 0)
             for lo, hi in _chunks(n, n, chunk_elements)]
    return float(torch.logsumexp(torch.stack(parts), 0).item())


def bm_log_unnormalized_visible(
    v: torch.Tensor, W: torch.Tensor, b: torch.Tensor, *, max_units: int = MAX_EXACT_UNITS
) -> torch.Tensor:
    r""":math:`\log \sum_h e^{-E(v, h)}` for visible rows ``v`` (the first ``n_visible`` units).

    Parameters
    ----------
    v : (n_samples, n_visible) tensor
    W : (n_units, n_units) tensor, b : (n_units,) tensor

    Returns
    -------
    (n_samples,) float64 tensor
    """
    W, b, v = W.double(), b.double(), v.double()
    n_v = v.shape[1]
    n_h = W.shape[0] - n_v
    _check_size(n_h, max_units, "n_hidden", "estimate it by sampling instead")
    if n_h == 0:
        return -bm_energy(v, W, b)
    H = binary_states(0, 1 << n_h, n_h, device=W.device)  # (2^nh, nh)
    Wvv, Wvh, Whh = W[:n_v, :n_v], W[:n_v, n_v:], W[n_v:, n_v:]
    e_h = 0.5 * ((H @ Whh) * H).sum(1) + H @ b[n_v:]  # (2^nh,)
    e_v = 0.5 * ((v @ Wvv) * v).sum(1) + v @ b[:n_v]  # (n,)
    out = [e_v[lo:lo + 256] + torch.logsumexp(v[lo:lo + 256] @ Wvh @ H.T + e_h, dim=1)
           for lo in range(0, v.shape[0], 256)]
    return torch.cat(out)
