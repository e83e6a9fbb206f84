"""Tests for neurosim.memory.sampling: exact partition functions against brute force, AIS
against exact values, and Gibbs samplers against exact distributions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import integrate

from neurosim.memory.dbm import dbm_log_partition_exact, dbm_log_unnormalized_visible
from neurosim.memory.sampling import (
    ais_beta_schedule,
    ais_rbm,
    binary_states,
    bm_energy,
    bm_gibbs,
    bm_log_partition_exact,
    bm_log_unnormalized_visible,
    rbm_free_energy,
    rbm_gibbs,
    rbm_log_partition_exact,
    simulated_annealing,
)

SEEDS = [0, 1, 2]


def random_rbm(n_v, n_h, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    W = scale * torch.randn(n_v, n_h, generator=g, dtype=torch.float64)
    b = torch.randn(n_v, generator=g, dtype=torch.float64)
    c = torch.randn(n_h, generator=g, dtype=torch.float64)
    return W, b, c


def random_bm(n, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    A = scale * torch.randn(n, n, generator=g, dtype=torch.float64)
    W = torch.triu(A, 1)
    W = W + W.T
    b = torch.randn(n, generator=g, dtype=torch.float64)
    return W, b


def all_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def brute_rbm_log_z(W, b, c):
    W, b, c = W.numpy(), b.numpy(), c.numpy()
    V, H = all_states(W.shape[0]), all_states(W.shape[1])
    neg_e = (V @ b)[:, None] + (H @ c)[None, :] + V @ W @ H.T
    m = neg_e.max()
    return m + math.log(np.exp(neg_e - m).sum())


def test_binary_states_enumerates_all_codes():
    s = binary_states(0, 8, 3)
    assert s.shape == (8, 3)
    assert {tuple(r) for r in s.tolist()} == {tuple(r) for r in all_states(3).tolist()}
    assert s[5].tolist() == [1.0, 0.0, 1.0]  # 5 = 0b101, least significant bit first


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(6, 3), (3, 6), (5, 5)])
def test_rbm_log_partition_exact_matches_brute_force(seed, shape):
    W, b, c = random_rbm(*shape, seed)
    expected = brute_rbm_log_z(W, b, c)
    assert rbm_log_partition_exact(W, b, c) == pytest.approx(expected, abs=1e-10)
    # tiny chunks: same value (chunked logsumexp)
    assert rbm_log_partition_exact(W, b, c, chunk_elements=7) == pytest.approx(expected,
                                                                               abs=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_rbm_log_partition_gaussian_matches_numerical_integration(seed):
    W, b, c = random_rbm(1, 3, seed, scale=0.7)
    Wn, bn, cn = W.numpy(), b.numpy(), c.numpy()
    total = 0.0
    for h in all_states(3):
        def integrand(v, h=h):
            return math.exp(-0.5 * (v - bn[0]) ** 2 + cn @ h + v * (Wn[0] @ h))
        total += integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-12)[0]
    assert rbm_log_partition_exact(W, b, c, "gaussian") == pytest.approx(math.log(total),
                                                                         rel=1e-8)


@pytest.mark.parametrize("seed", SEEDS)
def test_free_energy_matches_brute_force(seed):
    W, b, c = random_rbm(5, 4, seed)
    V = torch.as_tensor(all_states(5))
    H = all_states(4)
    Vn = V.numpy()
    neg_e = (Vn @ b.numpy())[:, None] + (H @ c.numpy())[None, :] + Vn @ W.numpy() @ H.T
    expected = -np.log(np.exp(neg_e).sum(1))
    np.testing.assert_allclose(rbm_free_energy(V, W, b, c).numpy(), expected, rtol=1e-10)
    # probabilities from free energy and exact log Z sum to one
    log_z = rbm_log_partition_exact(W, b, c)
    total = torch.exp(-rbm_free_energy(V, W, b, c) - log_z).sum().item()
    assert total == pytest.approx(1.0, abs=1e-10)


def test_exact_log_partition_refuses_large_models_and_suggests_ais():
    W, b, c = random_rbm(40, 30, 0)
    with pytest.raises(ValueError, match=r"2\*\*30.*AIS"):
        rbm_log_partition_exact(W, b, c)
    with pytest.raises(ValueError, match="max_units"):
        rbm_log_partition_exact(*random_rbm(10, 9, 0), max_units=8)
    with pytest.raises(ValueError, match="unknown visible unit type 'poisson'"):
        rbm_log_partition_exact(*random_rbm(3, 2, 0), visible="poisson")


def test_ais_beta_schedule_shape():
    beta = ais_beta_schedule(14500)
    assert beta[0] == 0.0 and beta[-1] == 1.0
    assert np.all(np.diff(beta) > 0)
    assert abs(beta.size - 14500) <= 2
    with pytest.raises(ValueError, match="n_betas must be >= 3"):
        ais_beta_schedule(2)


@pytest.mark.parametrize("seed", SEEDS)
def test_ais_agrees_with_exact_log_z_on_64x16(seed):
    """AIS (Salakhutdinov & Murray 2008) vs exact log Z on a 64x16 RBM whose weights are
    large enough (std 0.3) that log Z is far from the base model's."""
    W, b, c = random_rbm(64, 16, seed, scale=0.3)
    b = 0.5 * b
    exact = rbm_log_partition_exact(W, b, c)
    g = torch.Generator().manual_seed(100 + seed)
    est = ais_rbm(W, b, c, n_chains=100, betas=3000, base_visible_bias=b, generator=g)
    assert est.method == "ais"
    assert est.lower <= exact <= est.upper, (est, exact)
    # the error bar is informative, not vacuous
    assert est.upper - est.lower < 0.5
    assert abs(est.value - exact) <= 3 * est.std + 1e-9


def test_ais_gaussian_agrees_with_exact():
    W, b, c = random_rbm(10, 8, 3, scale=0.3)
    exact = rbm_log_partition_exact(W, b, c, "gaussian")
    est = ais_rbm(W, b, c, n_chains=100, betas=2000, visible="gaussian",
                  generator=torch.Generator().manual_seed(0))
    assert est.lower <= exact <= est.upper, (est, exact)


def test_ais_rejects_bad_schedules():
    W, b, c = random_rbm(4, 3, 0)
    with pytest.raises(ValueError, match="increasing 1-D schedule from 0 to 1"):
        ais_rbm(W, b, c, betas=[0.0, 0.5, 0.4, 1.0])
    with pytest.raises(ValueError, match="n_chains must be >= 2"):
        ais_rbm(W, b, c, n_chains=1)


def test_rbm_gibbs_samples_the_model_distribution():
    W, b, c = random_rbm(3, 2, 4, scale=1.0)
    V = torch.as_tensor(all_states(3))
    p = torch.exp(-rbm_free_energy(V, W, b, c) - rbm_log_partition_exact(W, b, c)).numpy()
    g = torch.Generator().manual_seed(0)
    v0 = torch.zeros(20000, 3, dtype=torch.float64)
    v, h = rbm_gibbs(v0, W, b, c, 30, g)
    assert h.shape == (20000, 2)
    codes = (v.numpy() @ np.array([4, 2, 1])).astype(int)
    emp = np.bincount(codes, minlength=8) / codes.size
    # total variation: sampling noise ~ sqrt(8 / 20000) / 2 = 0.01
    assert 0.5 * np.abs(emp - p).sum() < 0.03
    assert torch.equal(v0, torch.zeros(20000, 3, dtype=torch.float64))  # input untouched


@pytest.mark.parametrize("seed", SEEDS)
def test_bm_exact_log_partition_and_visible_marginal(seed):
    W, b = random_bm(7, seed)
    S = all_states(7)
    neg_e = -bm_energy(torch.as_tensor(S), W, b).numpy()
    # energy from its definition
    Wn, bn = W.numpy(), b.numpy()
    np.testing.assert_allclose(neg_e, 0.5 * np.einsum("si,ij,sj->s", S, Wn, S) + S @ bn,
                               rtol=1e-12)
    log_z = math.log(np.exp(neg_e).sum())
    assert bm_log_partition_exact(W, b) == pytest.approx(log_z, abs=1e-10)
    assert bm_log_partition_exact(W, b, chunk_elements=5) == pytest.approx(log_z, abs=1e-10)
    # visible marginal with 3 hidden units summed out
    V = all_states(4)
    unnorm = bm_log_unnormalized_visible(torch.as_tensor(V), W, b).numpy()
    expected = [math.log(sum(math.exp(neg_e[i]) for i in range(len(S))
                             if np.array_equal(S[i, :4], v))) for v in V]
    np.testing.assert_allclose(unnorm, expected, rtol=1e-10)


def test_bm_gibbs_samples_the_model_distribution_and_respects_clamps():
    W, b = random_bm(3, 5)
    S = all_states(3)
    p = np.exp(-bm_energy(torch.as_tensor(S), W, b).numpy())
    p /= p.sum()
    g = torch.Generator().manual_seed(1)
    s = bm_gibbs(torch.zeros(20000, 3, dtype=torch.float64), W, b, 20, generator=g)
    emp = np.bincount((s.numpy() @ np.array([4, 2, 1])).astype(int), minlength=8) / 20000
    assert 0.5 * np.abs(emp - p).sum() < 0.03
    clamp = torch.tensor([True, False, False])
    s0 = torch.ones(50, 3, dtype=torch.float64)
    s0[:, 0] = torch.arange(50) % 2
    s1 = bm_gibbs(s0, W, b, 5, clamped=clamp, generator=g)
    assert torch.equal(s1[:, 0], s0[:, 0])
    with pytest.raises(ValueError, match="temperature must be > 0"):
        bm_gibbs(s0, W, b, 1, temperature=0.0)


@pytest.mark.parametrize("seed", range(5))
def test_simulated_annealing_finds_ground_state(seed):
    W, b = random_bm(12, seed, scale=1.5)
    S = binary_states(0, 1 << 12, 12)
    ground = bm_energy(S, W, b).min().item()
    g = torch.Generator().manual_seed(seed)
    best, energies = simulated_annealing(W, b, np.geomspace(5.0, 0.05, 40), n_chains=16,
                                         generator=g)
    assert best.shape == (16, 12)
    np.testing.assert_allclose(bm_energy(best, W, b).numpy(), energies.numpy())
    assert energies.min().item() == pytest.approx(ground, abs=1e-9)
    # most runs reach it, not just one lucky chain
    assert (energies <= ground + 1e-9).float().mean().item() >= 0.5


@pytest.mark.parametrize("seed", SEEDS)
def test_dbm_exact_log_partition_and_marginal_match_brute_force(seed):
    g = torch.Generator().manual_seed(seed)
    n_v, n1, n2 = 4, 3, 2
    W1 = torch.randn(n_v, n1, generator=g, dtype=torch.float64)
    W2 = torch.randn(n1, n2, generator=g, dtype=torch.float64)
    b, c1, c2 = (torch.randn(n, generator=g, dtype=torch.float64) for n in (n_v, n1, n2))
    V, H1, H2 = all_states(n_v), all_states(n1), all_states(n2)
    neg_e = (np.einsum("vi,ij,hj->vh", V, W1.numpy(), H1)[:, :, None]
             + np.einsum("hj,jk,gk->hg", H1, W2.numpy(), H2)[None]
             + (V @ b.numpy())[:, None, None] + (H1 @ c1.numpy())[None, :, None]
             + (H2 @ c2.numpy())[None, None, :])
    log_z = math.log(np.exp(neg_e).sum())
    assert dbm_log_partition_exact(W1, W2, b, c1, c2) == pytest.approx(log_z, abs=1e-10)
    unnorm = dbm_log_unnormalized_visible(torch.as_tensor(V), W1, W2, b, c1, c2,
                                          chunk_elements=3).numpy()
    np.testing.assert_allclose(unnorm, np.log(np.exp(neg_e).sum((1, 2))), rtol=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_rbm_log_partition_is_symmetric_in_the_layers(seed):
    """Binary RBMs: swapping visible and hidden (W -> W^T, b <-> c) leaves Z unchanged, and
    the two enumeration directions (over h, over v) agree."""
    W, b, c = random_rbm(7, 9, seed)
    z = rbm_log_partition_exact(W, b, c)  # enumerates the 7 visible units
    assert rbm_log_partition_exact(W.T.contiguous(), c, b) == pytest.approx(z, abs=1e-10)
    assert rbm_log_partition_exact(W.float(), b.float(), c.float()) == pytest.approx(z, abs=1e-4)
