"""Textbook experiments on Hopfield networks, as plain functions returning frozen results.

* :func:`one_step_bit_error` — error rate of one parallel update from a stored pattern vs the
  theory ``Φ(−sqrt(1/α))`` (and its exact finite-``N`` binomial version
  :func:`one_step_error_theory`).
* :func:`capacity_curve` / :func:`capacity_knee` — fraction of patterns recalled vs load
  ``α = P/N`` for each rule; the Hebbian knee sits near ``0.138 N`` (Amit, Gutfreund &
  Sompolinsky 1985).
* :func:`basins_of_attraction` — recall vs fraction of flipped cue bits.
* :func:`spurious_mixtures` — stability and overlaps of ``sgn(±ξ1 ± ξ2 ± ξ3)`` and of ``−ξ``.
* :func:`energy_descent` / :func:`async_energy_trace` — energy after every single-unit update.

All take ``random_state`` and are reproducible. Figures: ``examples/hopfield_*.py``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr
from scipy.stats import binom

from neurosim.memory.hopfield import RULES, HopfieldNetwork, _check_choice, _check_int

__all__ = [
    "BasinResult",
    "CapacityResult",
    "EnergyTrace",
    "MixtureResult",
    "OneStepResult",
    "async_energy_trace",
    "basins_of_attraction",
    "capacity_curve",
    "capacity_knee",
    "energy_descent",
    "one_step_bit_error",
    "one_step_error_theory",
    "spurious_mixtures",
]


def _patterns(rng: np.random.Generator, p: int, n: int) -> np.ndarray:
    return rng.choice(np.array([-1.0, 1.0]), size=(p, n))


def _flip_exact(rng: np.random.Generator, X: np.ndarray, k: int) -> np.ndarray:
    """Flip exactly ``k`` randomly chosen bits in each row of ``X`` (a copy)."""
    X = X.copy()
    if k:
        idx = np.argsort(rng.random(X.shape), axis=1)[:, :k]
        np.put_along_axis(X, idx, -np.take_along_axis(X, idx, axis=1), axis=1)
    return X


def _n_patterns(load: float, n: int) -> int:
    return max(1, int(round(load * n)))


# --------------------------------------------------------------------------- one-step error
def one_step_error_theory(n_units: int, n_patterns: int, exact: bool = True) -> float:
    r"""Probability that one parallel update flips a bit of a stored pattern (Hebbian rule).

    Asymptotic (``N → ∞``, load ``α = P/N``):

    .. math:: P_\text{err} = \Phi\!\left(-\sqrt{1/\alpha}\right)

    Exact for zero-diagonal Hebbian weights and random ``±1`` patterns: the field is
    ``((N−1) + C)/N`` with the crosstalk ``C`` a sum of ``K = (P−1)(N−1)`` independent ``±1``;
    an error needs ``C ≤ −N`` (a zero field keeps the bit), so with ``B ~ Binomial(K, ½)``

    .. math:: P_\text{err} = \Pr\left[B \le \lfloor (K - N)/2 \rfloor\right]

    References
    ----------
    Hertz, Krogh & Palmer (1991), Introduction to the Theory of Neural Computation, §2.2.
    """
    if not exact:
        return float(ndtr(-np.sqrt(n_units / n_patterns)))
    k = (n_patterns - 1) * (n_units - 1)
    return float(binom.cdf(np.floor((k - n_units) / 2), k, 0.5)) if k else 0.0


@dataclass(frozen=True)
class OneStepResult:
    """Empirical and theoretical one-step bit-error rates, one entry per load."""

    n_units: int
    loads: np.ndarray
    n_patterns: np.ndarray
    error: np.ndarray          # empirical mean over bits and trials
    error_trials: np.ndarray   # (n_loads, n_trials): one independent network per trial
    n_bits: np.ndarray         # bits counted
    theory: np.ndarray         # Φ(−sqrt(1/α)), α = P/N with the rounded P
    theory_exact: np.ndarray   # finite-N binomial


def one_step_bit_error(n_units: int = 1000, loads: Any = (0.105, 0.138, 0.185),
                       n_trials: int = 4, random_state: Any = None,
                       device: str = "auto") -> OneStepResult:
    """Measure the one-step bit-error rate of the Hebbian network at each load.

    For every load ``α``: ``n_trials`` networks of ``P = round(αN)`` random patterns; one
    synchronous update from each stored pattern; the fraction of bits that change.
    """
    _check_int("one_step_bit_error", "n_units", n_units, low=2)
    _check_int("one_step_bit_error", "n_trials", n_trials)
    rng = np.random.default_rng(random_state)
    loads = np.atleast_1d(np.asarray(loads, dtype=float))
    ps = np.array([_n_patterns(a, n_units) for a in loads])
    trials = np.zeros((len(loads), n_trials))
    for j, p in enumerate(ps):
        for t in range(n_trials):
            X = _patterns(rng, p, n_units)
            net = HopfieldNetwork(rule="hebbian", update="sync", device=device).fit(X)
            S = net.recall(X, max_steps=1)
            trials[j, t] = (S != X).mean()
    bits = ps * n_units * n_trials
    err = trials.mean(1)
    theory = np.array([one_step_error_theory(n_units, p, exact=False) for p in ps])
    exact = np.array([one_step_error_theory(n_units, p) for p in ps])
    return OneStepResult(n_units, loads, ps, err, trials, bits, theory, exact)


# --------------------------------------------------------------------------- capacity
@dataclass(frozen=True)
class CapacityResult:
    """Recall quality vs load for one rule and size (means over patterns and trials)."""

    n_units: int
    rule: str
    loads: np.ndarray
    n_patterns: np.ndarray
    exact: np.ndarray      # fraction of patterns recalled with no wrong bit
    recalled: np.ndarray   # fraction with final overlap >= overlap_threshold
    overlap: np.ndarray    # mean final overlap with the pattern
    overlap_threshold: float


DEFAULT_LOADS = tuple(np.round(np.arange(0.02, 0.31, 0.02), 2))
DEFAULT_FLIPS = tuple(np.round(np.linspace(0.0, 0.5, 11), 2))


def capacity_curve(n_units: int = 500, loads: Any = DEFAULT_LOADS,
                   rule: str = "hebbian", n_trials: int = 2, cue_flip: float = 0.0,
                   update: str = "async", max_steps: int = 100,
                   overlap_threshold: float = 0.95, max_cues: int | None = 200,
                   random_state: Any = None, device: str = "auto") -> CapacityResult:
    """Fraction of stored patterns recalled vs load ``P/N``.

    Each pattern (with ``round(cue_flip·N)`` bits flipped) is the cue; the dynamics run to a
    fixed point. A pattern counts as ``recalled`` when the final overlap
    ``m = ξ·s/N ≥ overlap_threshold`` (the retrieval state of the Hebbian network keeps
    ``m ≈ 0.97`` up to ``α_c ≈ 0.138`` and collapses above), and as ``exact`` with no error.
    At most ``max_cues`` stored patterns (a random subset) are tested per trial.
    """
    _check_choice("capacity_curve", "rule", rule, RULES)
    _check_int("capacity_curve", "n_trials", n_trials)
    rng = np.random.default_rng(random_state)
    loads = np.atleast_1d(np.asarray(loads, dtype=float))
    ps = np.array([_n_patterns(a, n_units) for a in loads])
    exact, rec, ov = (np.zeros(len(loads)) for _ in range(3))
    k = int(round(cue_flip * n_units))
    for j, p in enumerate(ps):
        e = r = o = 0.0
        for _ in range(n_trials):
            X = _patterns(rng, p, n_units)
            net = HopfieldNetwork(rule=rule, update=update, max_steps=max_steps,
                                  random_state=rng, device=device)
            with warnings.catch_warnings():  # loads >= 1 for the pseudo-inverse: expected
                warnings.simplefilter("ignore", RuntimeWarning)
                net.fit(X)
            idx = np.arange(p)
            if max_cues is not None and p > max_cues:
                idx = rng.choice(p, max_cues, replace=False)
            S = net.recall(_flip_exact(rng, X[idx], k))
            m = (S * X[idx]).sum(1) / n_units
            e += (m == 1.0).mean()
            r += (m >= overlap_threshold).mean()
            o += m.mean()
        exact[j], rec[j], ov[j] = e / n_trials, r / n_trials, o / n_trials
    return CapacityResult(n_units, rule, loads, ps, exact, rec, ov, overlap_threshold)


def capacity_knee(loads: Any, fraction: Any, level: float = 0.5) -> float:
    """Load at which ``fraction`` first falls below ``level`` (linear interpolation).

    Returns ``nan`` when it never does and ``loads[0]`` when it starts below.
    """
    x = np.asarray(loads, dtype=float)
    y = np.asarray(fraction, dtype=float)
    below = np.flatnonzero(y < level)
    if below.size == 0:
        return float("nan")
    i = below[0]
    if i == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (y0 - level) * (x1 - x0) / (y0 - y1))


# --------------------------------------------------------------------------- basins
@dataclass(frozen=True)
class BasinResult:
    """Recall vs fraction of flipped cue bits (means over patterns and trials)."""

    n_units: int
    n_patterns: int
    rule: str
    flip_fractions: np.ndarray
    exact: np.ndarray
    overlap: np.ndarray


def basins_of_attraction(n_units: int = 200, n_patterns: int = 10,
                         flip_fractions: Any = DEFAULT_FLIPS,
                         rule: str = "hebbian", n_trials: int = 3, update: str = "async",
                         random_state: Any = None, device: str = "auto") -> BasinResult:
    """Fraction of exact recalls and mean final overlap when cues have a fraction of bits flipped.

    Each cue is a stored pattern with exactly ``round(f·N)`` bits flipped; at ``f = 0.5`` the
    cue carries no information and recall falls to chance.
    """
    _check_choice("basins_of_attraction", "rule", rule, RULES)
    rng = np.random.default_rng(random_state)
    fr = np.atleast_1d(np.asarray(flip_fractions, dtype=float))
    exact, ov = np.zeros(len(fr)), np.zeros(len(fr))
    for _ in range(n_trials):
        X = _patterns(rng, n_patterns, n_units)
        net = HopfieldNetwork(rule=rule, update=update, random_state=rng, device=device).fit(X)
        for j, f in enumerate(fr):
            S = net.recall(_flip_exact(rng, X, int(round(f * n_units))))
            m = (S * X).sum(1) / n_units
            exact[j] += (m == 1.0).mean() / n_trials
            ov[j] += m.mean() / n_trials
    return BasinResult(n_units, n_patterns, rule, fr, exact, ov)


# --------------------------------------------------------------------------- spurious states
@dataclass(frozen=True)
class MixtureResult:
    """Spurious states of a Hebbian network at low load.

    ``mixture_*`` refer to the 3-mixtures ``sgn(±ξ1 ± ξ2 ± ξ3)``, ``reversed_*`` to ``−ξ``,
    ``pattern_*`` to the stored patterns themselves.
    """

    n_units: int
    n_patterns: int
    mixture_stable: float          # fraction of mixtures that are exact fixed points
    mixture_final_overlap: float   # mean overlap of the recalled state with the mixture
    mixture_component_overlap: float  # mean |overlap| of the mixture with its 3 components
    reversed_stable: float
    pattern_stable: float
    mixture_energy: float          # mean E/N of mixtures (theory −3/8 at α -> 0)
    pattern_energy: float          # mean E/N of patterns (theory −1/2 at α -> 0)


def spurious_mixtures(n_units: int = 1000, n_patterns: int = 10, n_mixtures: int = 50,
                      random_state: Any = None, device: str = "auto") -> MixtureResult:
    """Test the stability of 3-mixture and reversed states (Amit, Gutfreund & Sompolinsky 1985).

    At low load the symmetric 3-mixture has overlap ``1/2`` with each component and is stable;
    ``−ξ`` is stable whenever ``ξ`` is (the energy is even in ``s``).
    """
    _check_int("spurious_mixtures", "n_patterns", n_patterns, low=3)
    rng = np.random.default_rng(random_state)
    X = _patterns(rng, n_patterns, n_units)
    net = HopfieldNetwork(rule="hebbian", random_state=rng, device=device).fit(X)
    comps = np.stack([rng.choice(n_patterns, 3, replace=False) for _ in range(n_mixtures)])
    signs = rng.choice([-1.0, 1.0], size=(n_mixtures, 3, 1))
    mix = np.sign((X[comps] * signs).sum(1))
    S = net.recall(mix)
    m_final = (S * mix).sum(1) / n_units
    m_comp = np.abs(np.einsum("bn,bkn->bk", mix, X[comps]) / n_units)
    return MixtureResult(
        n_units=n_units,
        n_patterns=n_patterns,
        mixture_stable=float((m_final == 1.0).mean()),
        mixture_final_overlap=float(m_final.mean()),
        mixture_component_overlap=float(m_comp.mean()),
        reversed_stable=float((net.recall(-X) == -X).all(1).mean()),
        pattern_stable=float((net.recall(X) == X).all(1).mean()),
        mixture_energy=float(net.energy(mix).mean() / n_units),
        pattern_energy=float(net.energy(X).mean() / n_units),
    )


# --------------------------------------------------------------------------- energy traces
def async_energy_trace(weights: np.ndarray, threshold: np.ndarray, state: np.ndarray,
                       orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Asynchronous updates in the given unit order, recording the energy after each one.

    .. math:: \Delta E = -(s_i' - s_i)\Big(\sum_{j\ne i} W_{ij}s_j - \theta_i\Big)

    Parameters
    ----------
    weights : ndarray, shape (N, N)
    threshold : ndarray, shape (N,)
    state : ndarray, shape (N,)
    orders : ndarray of int, shape (T,)
        Units to update, in turn (e.g. several concatenated permutations).

    Returns
    -------
    energies : ndarray, shape (T + 1,)
        ``E`` before any update, then after each.
    state : ndarray, shape (N,)
    """
    s = np.array(state, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    th = np.asarray(threshold, dtype=np.float64)
    h = w @ s
    e = np.empty(len(orders) + 1)
    e[0] = -0.5 * s @ h + th @ s
    for t, i in enumerate(orders):
        a = h[i] - th[i]
        new = 1.0 if a > 1e-10 else (-1.0 if a < -1e-10 else s[i])
        d = new - s[i]
        e[t + 1] = e[t] - d * (h[i] - w[i, i] * s[i] - th[i])
        if d:
            s[i] = new
            h += d * w[:, i]
    return e, s


@dataclass(frozen=True)
class EnergyTrace:
    """Energy per unit update (``E/N``) for several cues; one row per cue."""

    n_units: int
    n_patterns: int
    energies: np.ndarray        # (n_cues, n_sweeps*N + 1)
    final_overlap: np.ndarray   # (n_cues,) with the pattern the cue came from
    pattern_energy: np.ndarray  # (n_cues,) E/N of that stored pattern


def energy_descent(n_units: int = 200, n_patterns: int = 10, flip_fraction: float = 0.3,
                   n_cues: int = 5, n_sweeps: int = 3, rule: str = "hebbian",
                   random_state: Any = None) -> EnergyTrace:
    """Energy traces of asynchronous recall from noisy cues (random order per sweep)."""
    rng = np.random.default_rng(random_state)
    X = _patterns(rng, n_patterns, n_units)
    net = HopfieldNetwork(rule=rule, device="cpu").fit(X)
    idx = rng.integers(0, n_patterns, n_cues)
    cues = _flip_exact(rng, X[idx], int(round(flip_fraction * n_units)))
    rows, finals = [], []
    for c in cues:
        order = np.concatenate([rng.permutation(n_units) for _ in range(n_sweeps)])
        e, s = async_energy_trace(net.weights_, net.threshold_, c, order)
        rows.append(e / n_units)
        finals.append(s)
    S = np.array(finals)
    e_pat = net.energy(X[idx]) / n_units
    return EnergyTrace(n_units, n_patterns, np.array(rows), (S * X[idx]).sum(1) / n_units,
                       e_pat)

