"""Tests for neurosim.memory.hopfield: rules, dynamics, energy, estimator contract, bad input."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.memory.hopfield import (
    HopfieldNetwork,
    async_sweep,
    hebbian_weights,
    hopfield_energy,
    pseudo_inverse_weights,
    storkey_weights,
    sync_step,
)

SEEDS = [0, 1, 2]


def rand_patterns(rng, p, n):
    return rng.choice([-1.0, 1.0], size=(p, n))


def flip(rng, X, frac):
    X = X.copy()
    m = rng.random(X.shape) < frac
    X[m] *= -1
    return X


# ----------------------------------------------------------------------------- rules
def test_hebbian_matches_outer_product_sum():
    rng = np.random.default_rng(0)
    X = rand_patterns(rng, 7, 30)
    w = hebbian_weights(torch.tensor(X)).numpy()
    ref = sum(np.outer(x, x) for x in X) / 30
    np.fill_diagonal(ref, 0)
    np.testing.assert_allclose(w, ref, atol=1e-12)


def test_storkey_matches_elementwise_definition():
    rng = np.random.default_rng(1)
    n, p = 9, 4
    X = rand_patterns(rng, p, n)
    ref = np.zeros((n, n))
    for xi in X:  # Storkey (1997), literally, with h_ij = sum_{k != i, j} w_ik xi_k
        new = ref.copy()
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                h_ij = sum(ref[i, k] * xi[k] for k in range(n) if k not in (i, j))
                h_ji = sum(ref[j, k] * xi[k] for k in range(n) if k not in (i, j))
                new[i, j] += (xi[i] * xi[j] - xi[i] * h_ji - h_ij * xi[j]) / n
        ref = new
    w = storkey_weights(torch.tensor(X)).numpy()
    np.testing.assert_allclose(w, ref, atol=1e-12)
    np.testing.assert_allclose(w, w.T, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("update", ["async", "sync"])
def test_pseudo_inverse_stores_half_n_exactly(seed, update):
    rng = np.random.default_rng(seed)
    n = 100
    X = rand_patterns(rng, n // 2, n)
    net = HopfieldNetwork(rule="pseudo_inverse", update=update, random_state=seed).fit(X)
    S, info = net.recall(X, return_info=True)
    np.testing.assert_array_equal(S, X)
    assert info.converged.all() and (info.steps == 0).all()
    # the Hebbian rule cannot do this at load 0.5
    heb = HopfieldNetwork(rule="hebbian", update=update, random_state=seed).fit(X)
    assert not (heb.recall(X) == X).all()


def test_pseudo_inverse_projects_onto_span():
    rng = np.random.default_rng(3)
    X = rand_patterns(rng, 5, 20)
    w = pseudo_inverse_weights(torch.tensor(X), zero_diagonal=False).numpy()
    np.testing.assert_allclose(w @ X.T, X.T, atol=1e-9)
    np.testing.assert_allclose(w @ w, w, atol=1e-9)


def test_pseudo_inverse_warns_with_number_when_overloaded():
    rng = np.random.default_rng(0)
    X = rand_patterns(rng, 30, 20)
    with pytest.warns(RuntimeWarning, match=r"at most 20 linearly independent.*got 30 patterns "
                                             r"of rank 20, so 10"):
        HopfieldNetwork(rule="pseudo_inverse").fit(X)
    dup = np.vstack([X[:5], X[:2]])
    with pytest.warns(RuntimeWarning, match=r"got 7 patterns of rank 5"):
        HopfieldNetwork(rule="pseudo_inverse").fit(dup)


@pytest.mark.parametrize("seed", SEEDS)
def test_storkey_beats_hebbian_at_high_load(seed):
    rng = np.random.default_rng(seed)
    n, p = 200, 30  # 0.15 N: above N/(2 ln N) for Hebb, below N/sqrt(2 ln N) for Storkey
    X = rand_patterns(rng, p, n)
    fr = {r: (HopfieldNetwork(rule=r, random_state=seed).fit(X).recall(X) == X).all(1).mean()
          for r in ("hebbian", "storkey")}
    assert fr["storkey"] > fr["hebbian"]
    assert fr["storkey"] >= 0.9


# ----------------------------------------------------------------------------- dynamics
def test_sync_two_cycle_detected():
    net = HopfieldNetwork.from_weights([[0, 1], [1, 0]], update="sync", max_steps=50)
    S, info = net.recall([[1, -1], [1, 1]], return_info=True)
    assert info.cycle.tolist() == [True, False]
    assert info.converged.tolist() == [False, True]
    assert info.steps[0] == 2 and info.steps[1] == 0
    np.testing.assert_array_equal(S[1], [1, 1])
    # async on the same network cannot cycle: it reaches a fixed point
    anet = HopfieldNetwork.from_weights([[0, 1], [1, 0]], update="async", random_state=0)
    S2, info2 = anet.recall([1, -1], return_info=True)
    assert info2.converged.all() and abs(S2.sum()) == 2


def test_step_limit_respected():
    net = HopfieldNetwork.from_weights([[0, 1], [1, 0]], update="sync", max_steps=1)
    _, info = net.recall([1, -1], return_info=True)
    assert info.steps[0] == 1 and not info.converged[0] and not info.cycle[0]


def reference_async(w, th, s, order, tol):
    """Plain per-unit updates with the energy recorded after each one."""
    s = s.copy()
    energies = [-0.5 * s @ w @ s + th @ s]
    for i in order:
        a = w[i] @ s - th[i]
        if a > tol:
            s[i] = 1.0
        elif a < -tol:
            s[i] = -1.0
        energies.append(-0.5 * s @ w @ s + th @ s)
    return s, np.array(energies)


@st.composite
def symmetric_networks(draw):
    n = draw(st.integers(2, 12))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n)) * draw(st.sampled_from([0.1, 1.0, 10.0]))
    w = a + a.T
    np.fill_diagonal(w, draw(st.sampled_from([0.0, 0.5])))  # W_ii >= 0
    th = rng.normal(size=n) * draw(st.sampled_from([0.0, 1.0]))
    s = rng.choice([-1.0, 1.0], size=(3, n))
    orders = np.stack([rng.permutation(n) for _ in range(3)])
    return w, th, s, orders


@settings(max_examples=60, deadline=None)
@given(symmetric_networks())
def test_async_energy_never_increases(net):
    w, th, s, orders = net
    new, flips = async_sweep(w, th, s, orders, tol=1e-10)
    for b in range(s.shape[0]):
        ref, energies = reference_async(w, th, s[b], orders[b], 1e-10)
        np.testing.assert_array_equal(new[b], ref)  # the compiled kernel = the definition
        assert np.all(np.diff(energies) <= 1e-9 * (1 + np.abs(energies[:-1])))
        assert flips[b] == np.sum(ref != s[b])
    # and along a whole recall through the estimator
    est = HopfieldNetwork.from_weights(w, threshold=th, random_state=0, max_steps=1)
    e = [est.energy(s)]
    cur = s
    for _ in range(5):
        cur = est.recall(cur)
        e.append(est.energy(cur))
    assert np.all(np.diff(np.array(e), axis=0) <= 1e-9 * (1 + np.abs(np.array(e[:-1]))))


def test_async_result_is_fixed_point_and_energy_lower():
    rng = np.random.default_rng(5)
    X = rand_patterns(rng, 20, 150)
    net = HopfieldNetwork(random_state=0).fit(X)
    cues = flip(rng, X, 0.2)
    S, info = net.recall(cues, return_info=True)
    assert info.converged.all()
    w, th = torch.tensor(net.weights_), torch.tensor(net.threshold_)
    again = sync_step(w, th, torch.tensor(S, dtype=torch.float64), tol=1e-10).numpy()
    np.testing.assert_array_equal(again, S)
    assert np.all(net.energy(S) <= net.energy(cues) + 1e-9)
    e = hopfield_energy(w, th, torch.tensor(S, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(e, np.einsum("bi,ij,bj->b", S, net.weights_, S) * -0.5)


def test_single_pattern_recalled_from_minority_flips():
    rng = np.random.default_rng(0)
    x = rand_patterns(rng, 1, 64)
    net = HopfieldNetwork(update="sync").fit(x)
    cue = x[0].copy()
    cue[:25] *= -1
    np.testing.assert_array_equal(net.recall(cue), x[0])
    np.testing.assert_array_equal(net.recall(-cue), -x[0])  # -xi is an attractor too


def test_thresholds_shift_fixed_points():
    # one unit, no coupling: state = sign(-theta)
    net = HopfieldNetwork.from_weights([[0.0]], threshold=0.5, update="sync")
    assert net.recall([1]).tolist() == [-1]
    net = HopfieldNetwork.from_weights([[0.0]], threshold=-0.5)
    assert net.recall([-1]).tolist() == [1]
    assert net.energy([1]) == pytest.approx(-0.5)


# ----------------------------------------------------------------------------- contract
def test_reproducible_and_input_not_modified():
    rng = np.random.default_rng(2)
    X = rand_patterns(rng, 25, 120)
    cues = flip(rng, X, 0.25)
    keep = cues.copy()
    a = HopfieldNetwork(random_state=7).fit(X).recall(cues)
    b = HopfieldNetwork(random_state=7).fit(X).recall(cues)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(cues, keep)
    fixed = HopfieldNetwork(order="fixed").fit(X)
    np.testing.assert_array_equal(fixed.recall(cues), fixed.recall(cues))


def test_float32_and_float64_agree():
    rng = np.random.default_rng(4)
    X = rand_patterns(rng, 8, 101)  # odd N and P: no exact ties in the Hebbian fields
    cues = flip(rng, X, 0.1)
    for update in ("async", "sync"):
        r = [HopfieldNetwork(update=update, order="fixed", dtype=d).fit(X).recall(cues)
             for d in ("float32", "float64")]
        np.testing.assert_array_equal(r[0], r[1])


def test_fitted_attributes_and_init_stores_only():
    net = HopfieldNetwork(rule="nonsense", max_steps=-3)  # no validation in __init__
    assert net.rule == "nonsense"
    X = np.array([[1, -1, 1, -1], [1, 1, -1, -1]])
    net = HopfieldNetwork().fit(X)
    assert net.weights_.shape == (4, 4) and net.n_features_in_ == 4 and net.n_patterns_ == 2
    np.testing.assert_allclose(net.overlaps(X), np.eye(2))


# ----------------------------------------------------------------------------- bad input
def test_bad_settings():
    X = np.ones((2, 4))
    with pytest.raises(ValueError, match=r"unknown HopfieldNetwork.rule 'hebb'; "
                                         r"choose from: hebbian, pseudo_inverse, storkey"):
        HopfieldNetwork(rule="hebb").fit(X)
    with pytest.raises(ValueError, match=r"unknown HopfieldNetwork.update 'parallel'"):
        HopfieldNetwork(update="parallel").fit(X)
    with pytest.raises(ValueError, match=r"max_steps must be >= 1, got 0"):
        HopfieldNetwork(max_steps=0).fit(X)
    with pytest.raises(TypeError, match=r"max_steps must be an int, got float \(2\.5\)"):
        HopfieldNetwork(max_steps=2.5).fit(X)
    with pytest.raises(ValueError, match=r"threshold must be a number or shape \(4,\)"):
        HopfieldNetwork(threshold=[0.0, 1.0]).fit(X)


def test_bad_patterns_and_cues():
    with pytest.raises(ValueError, match=r"patterns must contain only -1 and \+1, got 0.5 "
                                         r"at index \(0, 1\); pass binarize=True"):
        HopfieldNetwork().fit([[1, 0.5, -1]])
    with pytest.raises(ValueError, match=r"patterns contains NaN or inf \(first at index "
                                         r"\(1, 0\)\)"):
        HopfieldNetwork().fit([[1, 1], [np.nan, 1]])
    net = HopfieldNetwork().fit([[1, -1, 1]])
    with pytest.raises(ValueError, match=r"cues has wrong length: expected 3 units per row, "
                                         r"got 4"):
        net.recall([1, 1, 1, 1])
    with pytest.raises(ValueError, match=r"cues contains NaN"):
        net.recall([1, np.nan, 1])
    with pytest.raises(RuntimeError, match=r"not fitted yet"):
        HopfieldNetwork().recall([1, 1])


def test_binarize_maps_zero_one_and_reals():
    X01 = np.array([[1, 0, 1, 0, 0], [0, 0, 1, 1, 1]])
    net = HopfieldNetwork(binarize=True).fit(X01)
    np.testing.assert_array_equal(net.patterns_, 2 * X01 - 1)
    out = net.recall(np.array([0.9, -0.2, 0.7, 0.0, -3.0]))
    assert set(np.unique(out)) <= {-1, 1}


@pytest.mark.parametrize("order", ["fixed", "random"])
def test_recall_equals_repeated_reference_sweeps(order):
    """recall() (compiled multi-sweep kernel, in-kernel shuffles) = iterated async_sweep."""
    rng = np.random.default_rng(11)
    X = rand_patterns(rng, 30, 150)  # load 0.2: many sweeps, many flips
    cues = flip(rng, X, 0.3)
    net = HopfieldNetwork(order=order, random_state=3, max_steps=40).fit(X)
    S, info = net.recall(cues, return_info=True)
    assert info.converged.all()
    if order == "fixed":
        ref = cues.copy()
        orders = np.tile(np.arange(150), (30, 1))
        for _ in range(41):
            ref, flips = async_sweep(net.weights_, net.threshold_, ref, orders, 1e-10)
        np.testing.assert_array_equal(S, ref)
    # every recalled state is a fixed point of the reference sweep in any order
    again, flips = async_sweep(net.weights_, net.threshold_, S,
                               np.stack([rng.permutation(150) for _ in range(30)]), 1e-10)
    assert (flips == 0).all()


def test_sklearn_contract_clone_and_params():
    from sklearn.base import clone

    net = HopfieldNetwork(rule="storkey", max_steps=7, random_state=3)
    assert net.get_params()["rule"] == "storkey"
    twin = clone(net.set_params(max_steps=9))
    assert twin.max_steps == 9 and not hasattr(twin, "weights_")
    X = np.array([[1, -1, 1, -1, 1], [1, 1, -1, -1, 1]])
    np.testing.assert_array_equal(twin.fit(X).recall(X), net.fit(X).recall(X))
