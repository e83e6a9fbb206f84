"""Tests for neurosim.memory.experiments: Hopfield results checked against theory."""

import numpy as np
import pytest
from scipy.special import ndtr

from neurosim.memory.experiments import (
    async_energy_trace,
    basins_of_attraction,
    capacity_curve,
    capacity_knee,
    energy_descent,
    one_step_bit_error,
    one_step_error_theory,
    spurious_mixtures,
)
from neurosim.memory.hopfield import HopfieldNetwork


def test_one_step_theory_values():
    # REFERENCES: Phi(-sqrt(1/alpha)) = 0.0010 at 0.105, 0.0036 at 0.138, 0.010 at 0.185
    for alpha, ref in ((0.105, 0.0010), (0.138, 0.0036), (0.185, 0.010)):
        n = 100_000
        assert one_step_error_theory(n, round(alpha * n), exact=False) == pytest.approx(
            ref, abs=0.00006)
        # the exact finite-N binomial form tends to the asymptotic one
        assert one_step_error_theory(n, round(alpha * n)) == pytest.approx(ref, rel=0.05)
    assert one_step_error_theory(100, 1) == 0.0


def test_one_step_theory_exact_matches_monte_carlo_of_its_own_model():
    # the binomial formula, checked by sampling the crosstalk sum directly
    rng = np.random.default_rng(0)
    n, p = 30, 8
    k = (p - 1) * (n - 1)
    c = 2 * rng.binomial(k, 0.5, size=400_000) - k
    mc = np.mean(c <= -n)
    th = one_step_error_theory(n, p)
    assert abs(mc - th) < 5 * np.sqrt(th * (1 - th) / c.size)


def _bound(r, j):
    se_trials = r.error_trials[j].std(ddof=1) / np.sqrt(r.error_trials.shape[1])
    se_binom = np.sqrt(r.theory_exact[j] / r.n_bits[j])
    return 5 * max(se_trials, se_binom)


def test_one_step_bit_error_matches_theory():
    r = one_step_bit_error(n_units=500, loads=(0.105, 0.138, 0.185), n_trials=8,
                           random_state=20261121)
    for j in range(3):
        b = _bound(r, j)
        assert abs(r.error[j] - r.theory_exact[j]) < b, (r.loads[j], r.error[j], b)
        gap = abs(r.theory_exact[j] - r.theory[j])  # finite-N correction, ~10% at N = 500
        assert abs(r.error[j] - r.theory[j]) < b + gap
        assert r.theory[j] == pytest.approx(ndtr(-np.sqrt(500 / r.n_patterns[j])))
    assert np.all(np.diff(r.error) > 0)


@pytest.mark.slow
def test_one_step_bit_error_large_n_matches_asymptotic_theory():
    r = one_step_bit_error(n_units=3000, loads=(0.105, 0.138, 0.185), n_trials=6,
                           random_state=7)
    for j in range(3):
        b = _bound(r, j)
        assert abs(r.error[j] - r.theory_exact[j]) < b
        assert abs(r.error[j] - r.theory[j]) < b + abs(r.theory_exact[j] - r.theory[j])


def test_capacity_knee_interpolation():
    assert capacity_knee([0.1, 0.2, 0.3], [1.0, 0.6, 0.2]) == pytest.approx(0.225)
    assert np.isnan(capacity_knee([0.1, 0.2], [1.0, 0.9]))
    assert capacity_knee([0.1, 0.2], [0.1, 0.0]) == 0.1


def test_hebbian_capacity_knee_near_0138():
    # Amit, Gutfreund & Sompolinsky (1985): retrieval (overlap ~0.97) up to alpha_c = 0.138.
    # Finite N moves the knee up a little (measured ~0.155-0.16 at N = 1000, ~0.17 at 500).
    c = capacity_curve(n_units=1000, loads=np.arange(0.10, 0.205, 0.02), n_trials=1,
                       random_state=1985)
    knee = capacity_knee(c.loads, c.recalled)
    assert 0.12 < knee < 0.175, (knee, c.recalled)
    assert c.recalled[0] > 0.95 and c.recalled[-1] < 0.2
    assert c.overlap[0] > 0.99  # deep in the retrieval phase


@pytest.mark.slow
def test_hebbian_capacity_knee_moves_toward_0138_with_n():
    knees = []
    for n in (500, 2000):
        c = capacity_curve(n_units=n, loads=np.arange(0.10, 0.22, 0.01), n_trials=2,
                           random_state=n)
        knees.append(capacity_knee(c.loads, c.recalled))
    assert knees[1] < knees[0]
    assert abs(knees[1] - 0.138) < 0.025


def test_capacity_rules_ordered():
    # N = 200, load 0.45: beyond Storkey's ~N/sqrt(2 ln N) = 0.31 N, far beyond Hebb's 0.138 N,
    # within the pseudo-inverse's N: pseudo-inverse > Storkey > Hebbian in exact recall
    res = {r: capacity_curve(n_units=200, loads=[0.45], rule=r, n_trials=1, random_state=5)
           for r in ("hebbian", "storkey", "pseudo_inverse")}
    ex = {r: v.exact[0] for r, v in res.items()}
    assert ex["pseudo_inverse"] == 1.0
    assert ex["pseudo_inverse"] > ex["storkey"] > ex["hebbian"]


def test_basins_shrink_with_noise():
    b = basins_of_attraction(n_units=200, n_patterns=10, flip_fractions=[0.0, 0.1, 0.3, 0.5],
                             n_trials=2, random_state=0)
    assert b.exact[0] == 1.0 and b.exact[1] > 0.9
    assert np.all(np.diff(b.overlap) < 0.05)  # non-increasing up to sampling noise
    assert abs(b.overlap[-1]) < 0.3  # a half-flipped cue carries no information


def test_spurious_mixtures_match_theory():
    r = spurious_mixtures(n_units=1000, n_patterns=8, n_mixtures=40, random_state=3)
    # each component agrees with the majority of three with probability 3/4 -> overlap 1/2
    assert r.mixture_component_overlap == pytest.approx(0.5, abs=0.03)
    assert r.mixture_final_overlap > 0.9  # stable, or very nearly so, at load 0.008
    assert r.mixture_stable > 0.5
    assert r.reversed_stable == r.pattern_stable == 1.0
    assert r.pattern_energy == pytest.approx(-0.5, abs=0.01)   # -1/2 + O(alpha)
    assert r.mixture_energy == pytest.approx(-0.375, abs=0.02)  # -3/8 at alpha -> 0
    assert r.mixture_energy > r.pattern_energy


def test_energy_trace_monotone_and_exact():
    t = energy_descent(n_units=120, n_patterns=6, flip_fraction=0.3, n_cues=4, random_state=2)
    assert t.energies.shape == (4, 3 * 120 + 1)
    assert np.all(np.diff(t.energies, axis=1) <= 1e-12)
    # final energy equals a directly computed energy of the final state
    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0], size=(5, 40))
    net = HopfieldNetwork().fit(X)
    cue = -X[0]
    cue[:15] *= -1
    e, s = async_energy_trace(net.weights_, net.threshold_, cue, np.arange(40))
    assert e[0] == pytest.approx(net.energy(cue))
    assert e[-1] == pytest.approx(net.energy(s))
    assert np.all(t.energies[:, -1] <= t.energies[:, 0])
