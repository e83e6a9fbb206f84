"""Task-specific checks against theory and independent recomputation: adding, copy,
temporal XOR, Mackey-Glass."""

from __future__ import annotations

import math

import numpy as np
import pytest

from comparisons.tasks import AddingProblem, CopyTask, MackeyGlass, TemporalXOR
from comparisons.tasks.mackey_glass import mackey_glass, smape

SEEDS = [0, 1, 2]


# ------------------------------------------------------------------------------ adding
@pytest.mark.parametrize("seed", SEEDS)
def test_adding_targets_recomputed(seed):
    task = AddingProblem(length=30, n_train=200, n_test=50)
    d = task.make(seed)
    x, y = d.train.x, d.train.y
    markers = x[:, :, 1]
    assert np.all(markers.sum(axis=0) == 2)
    half = 30 // 2
    assert np.all(markers[:half].sum(axis=0) == 1)  # one marker per half
    assert np.all(markers[half:].sum(axis=0) == 1)
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * markers).sum(axis=0), rtol=1e-6)
    assert np.all((x[:, :, 0] >= 0) & (x[:, :, 0] < 1))


@pytest.mark.parametrize("seed", SEEDS)
def test_adding_chance_is_one_sixth(seed):
    """Predicting the (sample) mean scores the sample variance of U1 + U2.

    E[s^2] = (n-1)/n * 1/6 and Var(s^2) ~ (mu4 - sigma^4)/n with mu4 = 1/15 for the
    triangular sum of two U(0, 1), so sd = sqrt((1/15 - 1/36)/n) = sqrt(7/(180 n)).
    """
    n = 4000
    task = AddingProblem(length=10, n_train=1, n_test=n)
    mse = task.chance(task.make(seed).test)["mse"]
    mean = (n - 1) / n / 6
    sd = math.sqrt(7 / 180 / n)
    assert abs(mse - mean) < 5 * sd


# -------------------------------------------------------------------------------- copy
@pytest.mark.parametrize("seed", SEEDS)
def test_copy_targets_recomputed(seed):
    task = CopyTask(n_symbols=6, n_recall=4, delay=7, n_train=50, n_test=10)
    d = task.make(seed)
    x, y, m = d.train.x, d.train.y, d.train.mask
    k, delay = 4, 7
    assert x.shape == (2 * k + delay, 50, 8)
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)  # one-hot
    sym = x[:k].argmax(-1)
    assert sym.max() < 6
    np.testing.assert_array_equal(y[k + delay:], sym)  # recall the symbols in order
    want = np.arange(2 * k + delay)[:, None] >= k + delay
    np.testing.assert_array_equal(m, np.broadcast_to(want, m.shape))
    labels = x.argmax(-1)
    cue = k + delay - 1
    assert np.all(labels[cue] == 7)  # the cue channel, once
    assert np.all(np.delete(labels[k:], cue - k, axis=0) == 6)  # blanks elsewhere


def test_copy_chance_accuracy_binomial_bound():
    n_sym = 8
    for seed in SEEDS:
        task = CopyTask(n_symbols=n_sym, n_recall=10, delay=5, n_train=1, n_test=2000)
        acc = task.chance(task.make(seed).test)["accuracy"]
        n = 2000 * 10
        sd = math.sqrt((1 / n_sym) * (1 - 1 / n_sym) / n)
        assert 1 / n_sym <= acc + 1e-12 and acc < 1 / n_sym + 5 * sd


def test_copy_chance_cross_entropy_matches_classic_formula():
    for T in (100, 200, 1000):  # Arjovsky et al.: 10 log 8 / (T + 20)
        task = CopyTask(n_symbols=8, n_recall=10, delay=T)
        assert task.chance_cross_entropy() == pytest.approx(10 * math.log(8) / (T + 20))


# ------------------------------------------------------------------------- temporal XOR
@pytest.mark.parametrize("random_phase", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_xor_targets_recomputed(seed, random_phase):
    task = TemporalXOR(n_triples=10, n_train=100, n_test=10, random_phase=random_phase)
    d = task.make(seed)
    x, y, m = d.train.x[:, :, 0], d.train.y[:, :, 0], d.train.mask
    np.testing.assert_array_equal(y[:-1], x[1:])  # the target is the next bit
    assert m.sum(axis=0).min() >= 9  # about one predictable bit per triple
    t, b = np.nonzero(m)
    assert t.min() >= 1  # both XOR operands are inside the sequence
    np.testing.assert_array_equal(y[t, b], np.logical_xor(x[t - 1, b], x[t, b]))
    if not random_phase:
        np.testing.assert_array_equal(m[:, 0], np.arange(30) % 3 == 1)


def test_xor_unpredictable_bits_look_random():
    """Off the mask the next bit is a fresh coin flip: it equals the XOR rule ~half the time."""
    d = TemporalXOR(n_triples=50, n_train=200, n_test=1).make(0)
    x, y, m = d.train.x[:, :, 0], d.train.y[:, :, 0], d.train.mask
    off = ~m[1:]
    rule = np.logical_xor(x[:-1], x[1:])[off] == y[1:][off]
    n = rule.size
    assert abs(rule.mean() - 0.5) < 5 * math.sqrt(0.25 / n)


def test_xor_chance_half():
    for seed in SEEDS:
        task = TemporalXOR(n_triples=40, n_train=1, n_test=500)
        acc = task.chance(task.make(seed).test)["accuracy"]
        n = 40 * 500
        assert abs(acc - 0.5) < 5 * math.sqrt(0.25 / n) + 1e-12
        assert acc >= 0.5  # majority bit


# ------------------------------------------------------------------------- Mackey-Glass
def _euler_reference(x0: float, t_end: float, dt: float = 1e-3, tau: float = 17.0):
    """Independent forward-Euler integration with a fine step (history constant x0)."""
    lag = int(round(tau / dt))
    n = int(round(t_end / dt))
    h = np.empty(lag + n + 1)
    h[: lag + 1] = x0
    for i in range(lag, lag + n):
        xd = h[i - lag]
        h[i + 1] = h[i] + dt * (0.2 * xd / (1 + xd**10) - 0.1 * h[i])
    return h[lag::int(round(1 / dt))][1:]  # samples at t = 1, 2, ..., t_end


def test_mackey_glass_matches_fine_euler():
    x0 = np.array([0.6, 1.2])
    ours = mackey_glass(40, x0, dt=0.1, sample_every=10)
    for j, v in enumerate(x0):
        ref = _euler_reference(v, 40.0)
        np.testing.assert_allclose(ours[:, j], ref, atol=2e-3)


def test_mackey_glass_fixed_point_stays():
    """x = 1 solves beta/(1 + x^10) = gamma for beta = 0.2, gamma = 0.1."""
    s = mackey_glass(50, np.array([1.0]), dt=0.1, sample_every=10)
    np.testing.assert_allclose(s, 1.0, atol=1e-12)


def test_mackey_glass_attractor_range_and_chaos():
    task = MackeyGlass(length=300, n_train=8, n_test=2)
    d = task.make(0)
    x = d.train.x[:, :, 0]
    assert 0.2 < x.min() and x.max() < 1.5  # the tau = 17 attractor lives in ~[0.4, 1.35]
    assert x.std(axis=0).min() > 0.1  # not at the fixed point: it oscillates
    # trajectories from different histories differ (chaos, no synchronisation)
    assert np.abs(x[:, 0] - x[:, 1]).max() > 0.1


@pytest.mark.parametrize("horizon", [1, 3])
def test_mackey_glass_targets_are_shifted_inputs(horizon):
    task = MackeyGlass(length=50, n_train=3, n_test=2, horizon=horizon, washout=7,
                       transient=30)
    d = task.make(4)
    np.testing.assert_array_equal(d.train.y[:-horizon], d.train.x[horizon:])
    assert not d.train.mask[:7].any() and d.train.mask[7:].all()


@pytest.mark.parametrize("seed", SEEDS)
def test_mackey_glass_baselines(seed):
    task = MackeyGlass()
    d = task.make(seed)
    base = task.baselines(d)
    # the mean of the split itself scores nrmse = 1 exactly; the train mean (the protocol's
    # chance) scores sqrt(1 + gap^2 / var) >= 1
    assert task.chance(d.test)["nrmse"] == pytest.approx(1.0)
    train_mean = d.train.y[d.train.mask].mean()
    y = d.test.y[d.test.mask]
    want = np.sqrt(1 + (train_mean - y.mean()) ** 2 / y.var())
    assert base["chance"]["nrmse"] == pytest.approx(want, rel=1e-4)
    assert base["persistence"]["nrmse"] < 0.5  # smooth series: persistence beats the mean
    assert task.trivial_best(d) == ("persistence", base["persistence"]["nrmse"])


def test_smape_definition():
    y = np.array([1.0, 2.0, 0.5])
    assert smape(y, y) == 0.0
    assert smape(2 * y, y) == pytest.approx(200 / 3)  # |2y - y| / (2y + y) = 1/3
    assert smape(np.zeros(2), np.zeros(2)) == 0.0
    assert smape(-y, y) == pytest.approx(200.0)  # the maximum


def test_mackey_glass_scores_include_smape():
    task = MackeyGlass(length=30, n_train=2, n_test=2, washout=5, transient=20)
    d = task.make(0)
    s = task.score(d.test.y * 1.1, d.test)
    assert s["smape"] == pytest.approx(200 * 0.1 / 2.1, rel=1e-5)
