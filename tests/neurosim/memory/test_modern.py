"""Tests for neurosim.memory.modern: modern Hopfield (Ramsauer 2020) and dense AM (Krotov 2016)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.memory.hopfield import HopfieldNetwork
from neurosim.memory.modern import (
    DenseAssociativeMemory,
    ModernHopfield,
    dense_energy,
    modern_hopfield_energy,
    modern_hopfield_update,
)


def flip_exact(rng, X, k):
    """Flip exactly k random bits of every row."""
    X = X.copy()
    for r in range(X.shape[0]):
        X[r, rng.choice(X.shape[1], k, replace=False)] *= -1
    return X


# ----------------------------------------------------------------------------- modern
def test_update_matches_formula():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 5))
    xi = rng.normal(size=5)
    a = np.exp(0.7 * X @ xi)
    ref = X.T @ (a / a.sum())
    out = modern_hopfield_update(torch.tensor(X), torch.tensor(xi[None]), 0.7).numpy()[0]
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    e = modern_hopfield_energy(torch.tensor(X), torch.tensor(xi[None]), 0.7).item()
    m2 = (X ** 2).sum(1).max()
    ref_e = -np.log(a.sum()) / 0.7 + 0.5 * xi @ xi + np.log(7) / 0.7 + 0.5 * m2
    assert e == pytest.approx(ref_e, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_recall_reference_setting(seed):
    # REFERENCES: 10,000 random ±1 patterns in d = 100, one update from 20% flipped bits:
    # 100% exact recall for beta >= 0.5. Full memory, 300 cues per seed.
    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=(10_000, 100))
    idx = rng.choice(10_000, 300, replace=False)
    cues = flip_exact(rng, X[idx], 20)
    for beta in (0.5, 1.0):
        net = ModernHopfield(beta=beta, max_steps=1).fit(X)
        R = net.recall(cues)
        np.testing.assert_array_equal(np.sign(R), X[idx])
        np.testing.assert_allclose(R, X[idx], atol=0.05)  # essentially the pattern itself
        np.testing.assert_array_equal(net.predict(cues), idx)
    # at low beta the update averages many patterns: not exact any more
    low = ModernHopfield(beta=0.05).fit(X).recall(cues)
    assert np.abs(low - X[idx]).max() > 0.5


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([0.1, 1.0, 8.0]), st.integers(1, 30))
def test_modern_energy_never_increases(seed, beta, p):
    # Ramsauer et al. (2020) Theorem 1: the update is a CCCP step, E never rises
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(p, 6))
    net = ModernHopfield(beta=beta).fit(X)
    s = rng.normal(size=(4, 6)) * 3
    e = [net.energy(s)]
    for _ in range(5):
        s = net.recall(s)
        e.append(net.energy(s))
    e = np.array(e)
    assert np.all(np.diff(e, axis=0) <= 1e-9 * (1 + np.abs(e[:-1])))
    assert np.all(e >= -1e-9)  # the energy is bounded below by 0 with the constants included


def test_modern_recall_info_and_batches():
    rng = np.random.default_rng(3)
    X = rng.choice([-1.0, 1.0], size=(50, 32))
    cues = flip_exact(rng, X, 4)
    keep = cues.copy()
    a, info = ModernHopfield(beta=2.0, max_steps=10, batch_size=7).fit(X).recall(
        cues, return_info=True)
    b = ModernHopfield(beta=2.0, max_steps=10).fit(X).recall(cues)
    np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_array_equal(cues, keep)
    assert info.converged.all() and (info.steps >= 1).all()


def test_modern_bad_input():
    with pytest.raises(ValueError, match=r"ModernHopfield.beta must be > 0.0, got 0.0"):
        ModernHopfield(beta=0).fit(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"patterns contains NaN"):
        ModernHopfield().fit([[1.0, np.nan]])
    net = ModernHopfield().fit(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"cues has wrong length: expected 3 units per row, "
                                         r"got 2"):
        net.recall([1.0, 1.0])
    with pytest.raises(RuntimeError, match="not fitted"):
        ModernHopfield().recall([1.0])


# ----------------------------------------------------------------------------- dense AM
def test_degree_two_is_the_classical_network():
    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0], size=(10, 61))
    cues = X.copy()
    cues[rng.random(cues.shape) < 0.2] *= -1
    for update in ("async", "sync"):
        a = DenseAssociativeMemory(degree=2, update=update, order="fixed").fit(X).recall(cues)
        b = HopfieldNetwork(update=update, order="fixed").fit(X).recall(cues)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [0, 1])
def test_dense_memory_stores_beyond_classical_capacity(seed):
    # N = 50, P = 50 (load 1.0, ~7x the Hebbian capacity); Krotov & Hopfield: capacity
    # ~ N^(n-1) / (2 (2n-3)!! ln N) = 128 for n = 3 and ~1100 for n = 4.
    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=(50, 50))
    cues = flip_exact(rng, X, 5)
    for degree, kind in ((3, "polynomial"), (4, "rectified"), (4, "polynomial"),
                         (1, "exponential")):
        S = DenseAssociativeMemory(degree=degree, kind=kind, random_state=seed).fit(X).recall(
            cues)
        assert (S == X).all(1).mean() >= 0.96, (degree, kind)
    classical = HopfieldNetwork(random_state=seed).fit(X).recall(cues)
    assert (classical == X).all(1).mean() < 0.2


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([(2, "polynomial"), (3, "polynomial"),
                                                   (3, "rectified"), (1, "exponential")]))
def test_dense_async_energy_never_increases(seed, dk):
    degree, kind = dk
    rng = np.random.default_rng(seed)
    n, p = int(rng.integers(3, 16)), int(rng.integers(1, 12))
    X = rng.choice([-1.0, 1.0], size=(p, n))
    net = DenseAssociativeMemory(degree=degree, kind=kind, random_state=seed, max_steps=1).fit(X)
    s = rng.choice([-1.0, 1.0], size=(3, n))
    e = [net.energy(s)]
    for _ in range(4):
        s = net.recall(s)
        e.append(net.energy(s))
    e = np.array(e)
    assert np.all(np.diff(e, axis=0) <= 1e-9 * (1 + np.abs(e[:-1])))


def test_dense_energy_formula_and_input_untouched():
    rng = np.random.default_rng(1)
    X = rng.choice([-1.0, 1.0], size=(4, 9))
    s = rng.choice([-1.0, 1.0], size=(2, 9))
    keep = s.copy()
    e = dense_energy(torch.tensor(X), torch.tensor(s), "rectified", 3).numpy()
    ref = -(np.clip(s @ X.T, 0, None) ** 3).sum(1)
    np.testing.assert_allclose(e, ref)
    net = DenseAssociativeMemory(degree=3).fit(X)
    net.recall(s)
    np.testing.assert_array_equal(s, keep)


def test_dense_bad_input():
    with pytest.raises(ValueError, match=r"unknown DenseAssociativeMemory.kind 'poly'; "
                                         r"choose from: exponential, polynomial, rectified"):
        DenseAssociativeMemory(kind="poly").fit([[1, -1]])
    with pytest.raises(ValueError, match=r"patterns must contain only -1 and \+1"):
        DenseAssociativeMemory().fit([[1, 2]])
    net = DenseAssociativeMemory().fit([[1, -1, 1]])
    with pytest.raises(ValueError, match=r"cues has wrong length"):
        net.recall([1, 1])
