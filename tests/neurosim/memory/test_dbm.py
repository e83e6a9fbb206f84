"""Tests for the two-hidden-layer deep Boltzmann machine (neurosim.memory.dbm)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits

from neurosim.memory.dbm import (
    DBM,
    dbm_as_rbm,
    dbm_gibbs_step,
    dbm_log_partition_exact,
    dbm_log_unnormalized_visible,
    dbm_mean_field,
    dbm_variational_lower_bound,
)
from neurosim.memory.sampling import ais_rbm, rbm_log_partition_exact


@pytest.fixture(scope="module")
def digits():
    X = (load_digits().data > 7).astype(np.float64)
    return X[:1500], X[1500:]


def base_rate_ll(Xtr, Xte) -> float:
    p = np.clip(Xtr.mean(0), 1e-3, 1 - 1e-3)
    return float(np.mean(Xte @ np.log(p) + (1 - Xte) @ np.log(1 - p)))


def random_dbm(seed, n_v=5, n1=4, n2=3, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    W1 = scale * torch.randn(n_v, n1, generator=g, dtype=torch.float64)
    W2 = scale * torch.randn(n1, n2, generator=g, dtype=torch.float64)
    b, c1, c2 = (torch.randn(n, generator=g, dtype=torch.float64) for n in (n_v, n1, n2))
    return W1, W2, b, c1, c2


def test_dbm_trains_fine_tuning_helps_and_samples(digits):
    Xtr, Xte = digits
    pre = DBM((16, 8), n_iter=0, pretrain_iter=10, random_state=0).fit(Xtr)
    dbm = DBM((16, 8), n_iter=10, pretrain_iter=10, random_state=0).fit(Xtr)
    ll_pre, ll = pre.score(Xte), dbm.score(Xte)
    assert ll > base_rate_ll(Xtr, Xte) + 3.0
    assert ll > ll_pre, (ll, ll_pre)
    assert dbm.n_epochs_ == 10
    s = dbm.sample(200, n_steps=100)
    assert s.shape == (200, 64) and set(np.unique(s)) <= {0.0, 1.0}
    # samples reproduce the data's pixel statistics
    assert abs(s.mean() - Xtr.mean()) < 0.05
    assert np.corrcoef(s.mean(0), Xtr.mean(0))[0, 1] > 0.8
    H2 = dbm.transform(Xte)
    assert H2.shape == (297, 8) and 0 <= H2.min() and H2.max() <= 1
    assert dbm.transform(Xte, layer=1).shape == (297, 16)


def test_exact_likelihood_is_normalised():
    rng = np.random.default_rng(0)
    X = (rng.random((100, 6)) < 0.4).astype(float)
    dbm = DBM((4, 3), n_iter=3, pretrain_iter=3, batch_size=10, random_state=0).fit(X)
    V = np.array(list(itertools.product([0.0, 1.0], repeat=6)))
    assert np.exp(dbm.score_samples(V)).sum() == pytest.approx(1.0, abs=1e-9)


def test_mean_field_reaches_its_fixed_point():
    W1, W2, b, c1, c2 = random_dbm(1, scale=0.5)
    v = torch.bernoulli(torch.full((20, 5), 0.5, dtype=torch.float64),
                        generator=torch.Generator().manual_seed(0))
    mu1, mu2 = dbm_mean_field(v, W1, W2, c1, c2, 100)
    torch.testing.assert_close(mu1, torch.sigmoid(c1 + v @ W1 + mu2 @ W2.T))
    torch.testing.assert_close(mu2, torch.sigmoid(c2 + mu1 @ W2))


def test_gibbs_step_samples_the_exact_visible_marginal():
    dbm = DBM((4, 3))
    W1, W2, b, c1, c2 = random_dbm(2, n_v=3)
    dbm.weights_ = (W1.numpy(), W2.numpy())
    dbm.intercepts_ = (b.numpy(), c1.numpy(), c2.numpy())
    dbm.n_features_in_ = 3
    V = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    p = np.exp(dbm.score_samples(V))
    g = torch.Generator().manual_seed(0)
    v = torch.zeros(20000, 3, dtype=torch.float64)
    h2 = torch.zeros(20000, 3, dtype=torch.float64)
    for _ in range(30):
        v, _, h2, _ = dbm_gibbs_step(v, h2, W1, W2, b, c1, c2, g)
    emp = np.bincount((v.numpy() @ np.array([1, 2, 4])).astype(int), minlength=8) / 20000
    codes = (V @ np.array([1, 2, 4])).astype(int)
    assert 0.5 * np.abs(emp[codes] - p).sum() < 0.03  # sampling noise ~ 0.01


def test_conventions_and_reproducibility(digits):
    Xtr, _ = digits
    X = Xtr[:200]
    dbm = DBM((8, 4), n_iter=2, pretrain_iter=2, random_state=5)
    assert clone(dbm).get_params() == dbm.get_params()
    dbm.fit(X)
    again = DBM((8, 4), n_iter=2, pretrain_iter=2, random_state=5).fit(X)
    for a, b in zip(dbm.weights_, again.weights_):
        np.testing.assert_array_equal(a, b)
    dbm.partial_fit(X)
    assert dbm.n_epochs_ == 3
    assert dbm.weights_[0].shape == (64, 8) and dbm.weights_[1].shape == (8, 4)


def test_bad_input_and_parameters(digits):
    Xtr, _ = digits
    raw = load_digits().data[:50]
    with pytest.raises(ValueError, match=r"DBM: X must be binary \(0/1\)"):
        DBM(n_iter=1, pretrain_iter=1).fit(raw)
    dbm = DBM((4, 2), n_iter=1, pretrain_iter=1, binarize=7, random_state=0).fit(raw)
    with pytest.raises(ValueError, match="X has 3 features, but the model was fitted with 64"):
        dbm.transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="contains NaN"):
        dbm.score_samples(np.full((2, 64), np.nan))
    with pytest.raises(ValueError, match="layer must be 1 or 2, got 3"):
        dbm.transform(raw, layer=3)
    with pytest.raises(ValueError, match=r"n_components must be a pair \(n_hidden1, n_hidden2\)"):
        DBM(n_components=16).fit(Xtr[:20])
    with pytest.raises(ValueError, match=r"DBMParams.n_components\[1\] must be >= 1, got 0"):
        DBM(n_components=(3, 0)).fit(Xtr[:20])
    with pytest.raises(ValueError, match=r"DBMParams.learning_rate must be > 0\.0, got -1\.0"):
        DBM(learning_rate=-1.0).fit(Xtr[:20])
    big = DBM((30, 2), n_iter=0, pretrain_iter=1, random_state=0).fit(Xtr[:50])
    with pytest.raises(ValueError, match=r"2\*\*30 terms \(n_hidden1 = 30"):
        big.score(Xtr[:5], method="exact")
    with pytest.raises(ValueError, match="unknown log_partition method 'mcmc'"):
        big.log_partition("mcmc")
    with pytest.raises(RuntimeError, match="not fitted yet"):
        DBM().sample(2)


@pytest.mark.parametrize("seed", [0, 1])
def test_bipartite_form_gives_the_same_partition_function_and_ais_agrees(seed):
    W1, W2, b, c1, c2 = random_dbm(seed, n_v=12, n1=8, n2=6, scale=0.4)
    exact = dbm_log_partition_exact(W1, W2, b, c1, c2)
    W, bo, ci = dbm_as_rbm(W1, W2, b, c1, c2)
    assert rbm_log_partition_exact(W, bo, ci) == pytest.approx(exact, abs=1e-10)
    est = ais_rbm(W, bo, ci, n_chains=100, betas=2000,
                  generator=torch.Generator().manual_seed(seed))
    assert est.lower <= exact <= est.upper, (est, exact)


@pytest.mark.parametrize("seed", [0, 1])
def test_mean_field_bound_is_below_the_exact_unnormalised_log_probability(seed):
    W1, W2, b, c1, c2 = random_dbm(seed, n_v=6, n1=5, n2=4, scale=0.5)
    V = torch.as_tensor(list(itertools.product([0.0, 1.0], repeat=6)), dtype=torch.float64)
    exact = dbm_log_unnormalized_visible(V, W1, W2, b, c1, c2)
    bound = dbm_variational_lower_bound(V, W1, W2, b, c1, c2)
    assert torch.all(bound <= exact + 1e-10)
    assert torch.mean(exact - bound).item() < 1.0  # a useful bound, not a vacuous one


def test_ais_scoring_for_a_large_first_hidden_layer(digits):
    Xtr, Xte = digits
    small = DBM((16, 8), n_iter=3, pretrain_iter=3, random_state=0).fit(Xtr[:500])
    exact = small.log_partition("exact")
    ais = small.log_partition("ais", n_betas=2000)
    assert ais.lower <= exact.value <= ais.upper
    # the AIS score is a lower-bound estimate: below the exact log-likelihood, and close
    lb = small.score(Xte, method="ais", n_betas=2000)
    assert lb <= small.score(Xte) + 3 * ais.std
    assert lb > small.score(Xte) - 2.0
    big = DBM((32, 8), n_iter=1, pretrain_iter=1, random_state=0).fit(Xtr[:200])
    assert big.log_partition(n_betas=300, n_chains=20).method == "ais"
    assert np.isfinite(big.score(Xte[:20], n_betas=300, n_chains=20))
