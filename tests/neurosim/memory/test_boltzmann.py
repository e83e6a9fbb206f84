"""Tests for the general Boltzmann machine (neurosim.memory.boltzmann): learning rule against
theory (moment matching, exact gradient vs finite differences), sampling, annealing, errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from neurosim.memory.boltzmann import BoltzmannMachine, bm_exact_statistics, check_data
from neurosim.memory.sampling import binary_states, bm_energy, bm_log_partition_exact


def parity_data(n: int = 3, reps: int = 10) -> np.ndarray:
    P = np.array([s for s in itertools.product([0, 1], repeat=n) if sum(s) % 2 == 0], float)
    return np.tile(P, (reps, 1))


def correlated_data(seed: int, n: int = 5, size: int = 400) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.random(size) < 0.5
    X = np.where(rng.random((size, n)) < 0.8, z[:, None], ~z[:, None]).astype(float)
    X[:, -1] = rng.random(size) < 0.2  # an independent unit
    return X


@pytest.mark.parametrize("seed", [0, 1])
def test_fully_visible_bm_matches_data_moments(seed):
    """Maximum likelihood of a fully visible BM = maximum entropy with the data's first and
    second moments: at convergence the model's moments equal the data's."""
    X = correlated_data(seed)
    bm = BoltzmannMachine(n_iter=400, learning_rate=1.0, random_state=seed).fit(X)
    W, b = (torch.as_tensor(a) for a in (bm.weights_, bm.biases_))
    ss_d, s_d, ss_m, s_m = bm_exact_statistics(torch.as_tensor(X), W, b)
    np.testing.assert_allclose(ss_m.numpy(), ss_d.numpy(), atol=5e-3)
    np.testing.assert_allclose(s_m.numpy(), s_d.numpy(), atol=5e-3)
    assert np.allclose(bm.weights_, bm.weights_.T) and np.all(np.diag(bm.weights_) == 0)


def test_pairwise_model_cannot_beat_uniform_on_parity():
    """3-bit even parity has zero pairwise correlations and uniform marginals, so the best
    fully visible (pairwise) BM is the uniform distribution: log-likelihood -ln 8, while the
    data entropy allows -ln 4."""
    X = parity_data()
    bm = BoltzmannMachine(n_iter=200, learning_rate=1.0, random_state=0).fit(X)
    assert bm.score(X) == pytest.approx(-math.log(8), abs=1e-3)


@pytest.mark.parametrize("seed", [0, 1])
def test_exact_gradient_matches_finite_differences_with_hidden_units(seed):
    """The learning signal <s_i s_j>_clamped - <s_i s_j>_free (Ackley et al. 1985) is the
    derivative of the mean log-likelihood with respect to the symmetric weight W_ij."""
    X = correlated_data(seed, n=4, size=50)
    bm = BoltzmannMachine(n_hidden=2, n_iter=3, random_state=seed).fit(X)
    W = torch.as_tensor(bm.weights_)
    b = torch.as_tensor(bm.biases_)
    ss_d, s_d, ss_m, s_m = bm_exact_statistics(torch.as_tensor(X), W, b)
    grad = (ss_d - ss_m).numpy()

    def mean_ll(Wt, bt):
        bm.weights_, bm.biases_ = Wt.numpy(), bt.numpy()
        return bm.score(X)

    eps = 1e-5
    for i, j in [(0, 1), (2, 4), (4, 5), (1, 5)]:
        Wp, Wm = W.clone(), W.clone()
        Wp[i, j] += eps
        Wp[j, i] += eps
        Wm[i, j] -= eps
        Wm[j, i] -= eps
        fd = (mean_ll(Wp, b) - mean_ll(Wm, b)) / (2 * eps)
        assert fd == pytest.approx(grad[i, j], abs=1e-6)
    for i in (0, 5):
        bp, bmn = b.clone(), b.clone()
        bp[i] += eps
        bmn[i] -= eps
        fd = (mean_ll(W, bp) - mean_ll(W, bmn)) / (2 * eps)
        assert fd == pytest.approx((s_d - s_m)[i].item(), abs=1e-6)


def test_likelihood_rises_during_exact_learning_with_hidden_units():
    X = correlated_data(3, n=4, size=100)
    lls = []
    bm = BoltzmannMachine(n_hidden=2, learning_rate=0.2, random_state=0)
    for n_iter in (1, 20, 80):
        bm.set_params(n_iter=n_iter)
        lls.append(bm.fit(X).score(X))
    assert lls[0] < lls[1] < lls[2]


def test_gibbs_learning_approaches_exact_learning():
    X = correlated_data(0, n=4, size=200)
    exact = BoltzmannMachine(n_hidden=1, n_iter=100, learning_rate=0.5, random_state=0).fit(X)
    gibbs = BoltzmannMachine(n_hidden=1, n_iter=100, learning_rate=0.5, method="gibbs",
                             n_sweeps=3, n_chains=200, random_state=0).fit(X)
    assert gibbs.score(X) == pytest.approx(exact.score(X), abs=0.1)


def test_sample_follows_the_model_distribution():
    X = correlated_data(1, n=3, size=200)
    bm = BoltzmannMachine(n_hidden=1, n_iter=50, random_state=0).fit(X)
    V = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    p = np.exp(bm.score_samples(V))
    assert p.sum() == pytest.approx(1.0, abs=1e-10)
    s = bm.sample(10000, n_sweeps=20)
    emp = np.bincount((s @ np.array([4, 2, 1])).astype(int), minlength=8) / len(s)
    assert 0.5 * np.abs(emp - p).sum() < 0.04  # sampling noise ~ 0.01


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_anneal_finds_the_minimum_energy_state(seed):
    X = correlated_data(seed, n=8, size=100)
    bm = BoltzmannMachine(n_hidden=4, n_iter=20, random_state=seed).fit(X)
    W, b = (torch.as_tensor(a) for a in (bm.weights_, bm.biases_))
    ground = bm_energy(binary_states(0, 1 << 12, 12), W, b).min().item()
    states, energies = bm.anneal(n_chains=10)
    assert states.shape == (10, 12)
    np.testing.assert_allclose(bm.energy(states), energies)
    assert energies.min() == pytest.approx(ground, abs=1e-9)
    # clamped completion keeps the visible units
    comp, _ = bm.anneal(X=X[:3])
    np.testing.assert_array_equal(comp[:, :8], X[:3])


def test_log_partition_is_exact():
    bm = BoltzmannMachine(n_hidden=2, n_iter=5, random_state=0).fit(correlated_data(0, 4))
    S = binary_states(0, 64, 6)
    E = bm.energy(S.numpy())
    assert bm.log_partition().value == pytest.approx(math.log(np.exp(-E).sum()), abs=1e-10)
    assert bm.log_partition().method == "exact"


def test_bad_input_and_parameters():
    X = correlated_data(0, n=4, size=20)
    with pytest.raises(ValueError, match=r"must be binary \(0/1\); found 0\.5"):
        BoltzmannMachine(n_iter=1).fit(X * 0.5)
    with pytest.raises(ValueError, match="contains NaN"):
        BoltzmannMachine(n_iter=1).fit(np.where(X == 1, np.nan, 0))
    with pytest.raises(ValueError, match=r"2\*\*25 states.*method='gibbs'"):
        BoltzmannMachine(n_hidden=21, n_iter=1).fit(X)
    bm = BoltzmannMachine(n_iter=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but the model was fitted with 4"):
        bm.score_samples(X[:, :3])
    with pytest.raises(ValueError, match="unknown BMParams.method 'mcmc'; choose from: exact"):
        BoltzmannMachine(method="mcmc").fit(X)
    with pytest.raises(ValueError, match=r"BMParams.learning_rate must be > 0\.0, got 0\.0"):
        BoltzmannMachine(learning_rate=0).fit(X)
    with pytest.raises(TypeError, match="BMParams.n_hidden must be an int"):
        BoltzmannMachine(n_hidden=1.5).fit(X)
    with pytest.raises(RuntimeError, match="not fitted yet"):
        BoltzmannMachine().sample(3)
    with pytest.raises(ValueError, match="max_units"):
        bm_log_partition_exact(torch.zeros(30, 30), torch.zeros(30))
    with pytest.raises(ValueError, match="expected a 2-D array"):
        check_data(np.zeros(3), owner="BoltzmannMachine")
