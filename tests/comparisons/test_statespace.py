"""LDS/Kalman and HMM references checked against brute force and theory."""

import itertools

import numpy as np
import pytest

from comparisons.learners.statespace import (
    _log_emission,
    baum_welch_step,
    fit_gaussian_hmm,
    hmm_forward,
    kalman_predict,
    viterbi,
)


def _tiny_hmm(rng, K=3, F=2, T=5, B=4):
    A = rng.dirichlet(np.ones(K), size=K)
    pi = rng.dirichlet(np.ones(K))
    mu = rng.normal(size=(K, F))
    var = rng.uniform(0.5, 2.0, size=(K, F))
    x = rng.normal(size=(T, B, F))
    return np.log(pi), np.log(A), mu, var, x


def _brute_force(log_e, log_pi, log_A):
    T, B, K = log_e.shape
    scores = {}
    for path in itertools.product(range(K), repeat=T):
        s = log_pi[path[0]] + log_e[0, :, path[0]]
        for t in range(1, T):
            s = s + log_A[path[t - 1], path[t]] + log_e[t, :, path[t]]
        scores[path] = s
    allp = np.stack(list(scores.values()))  # (K^T, B)
    paths = np.array(list(scores))
    return np.log(np.exp(allp).sum(0)), paths[allp.argmax(0)].T


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_and_viterbi_match_enumeration_of_all_paths(seed):
    rng = np.random.default_rng(seed)
    log_pi, log_A, mu, var, x = _tiny_hmm(rng)
    log_e = _log_emission(x, mu, var)
    ll_bf, path_bf = _brute_force(log_e, log_pi, log_A)
    _, ll = hmm_forward(log_e, log_pi, log_A)
    np.testing.assert_allclose(ll, ll_bf, rtol=1e-10)
    np.testing.assert_array_equal(viterbi(log_e, log_pi, log_A), path_bf)


def test_baum_welch_likelihood_does_not_decrease():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 0.5, (10, 30, 1)), rng.normal(2, 0.5, (10, 30, 1))])
    *_, hist = fit_gaussian_hmm(x, 2, 12, rng)
    assert np.all(np.diff(hist) >= -1e-6 * np.abs(hist[:-1]))
    assert hist[-1] > hist[0]


def test_baum_welch_keeps_the_row_of_a_state_the_data_never_visits():
    # state 2's emission sits far from every observation: its expected transitions are 0,
    # and its row of A must stay as it was (0/0 gave NaN and poisoned the likelihood)
    rng = np.random.default_rng(1)
    log_pi, log_A, mu, var, x = _tiny_hmm(rng, K=3, F=1, T=6, B=5)
    mu[2] = 1e3
    new_pi, new_A, new_mu, new_var = baum_welch_step(x, (log_pi, log_A, mu, var))[0]
    np.testing.assert_array_equal(new_A[2], log_A[2])
    assert np.all(np.isfinite(new_A)) and np.all(np.isfinite(new_mu))
    np.testing.assert_allclose(np.exp(new_A).sum(1), 1.0, rtol=1e-9)
    _, ll = hmm_forward(_log_emission(x, new_mu, new_var), new_pi, new_A)
    assert np.all(np.isfinite(ll))


def test_kalman_without_observation_noise_reproduces_the_ar_prediction():
    rng = np.random.default_rng(0)
    d, T, B = 3, 40, 5
    a = np.array([0.5, -0.2, 0.1])
    y = rng.normal(size=(T, B))
    A = np.zeros((d, d))
    A[0], A[1:, :-1] = a, np.eye(d - 1)
    C = np.eye(d)[0]
    out = kalman_predict(y, A, C, np.diag([1.0, 0, 0]), 0.0, np.zeros(d), np.eye(d) * 10)
    # with R = 0 the filtered state equals the last d observations once they are known
    for t in range(d - 1, T):
        ar = a @ y[t::-1][:d]
        np.testing.assert_allclose(out[t], ar, rtol=1e-6, atol=1e-9)
