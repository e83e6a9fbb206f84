"""Dataset-backed and pattern tasks: sequential digits, MNIST-1D, spike patterns,
associative recall. Targets are recomputed independently or compared with the source
library run inside the test."""

from __future__ import annotations

import math
import os
import random

import numpy as np
import pytest

from comparisons.tasks import MNIST1D, AssociativeRecall, SequentialDigits, SpikePatterns
from comparisons.tasks.associative import cues, nearest_pattern, patterns_from_split

SEEDS = [0, 1, 2]


# ---------------------------------------------------------------------- sequential digits
def test_digits_rows_match_load_digits():
    from sklearn.datasets import load_digits

    ref = load_digits()
    task = SequentialDigits()
    d = task.make(0)
    tr, va, te = d.meta["train_index"], d.meta["val_index"], d.meta["test_index"]
    assert sorted(np.concatenate([tr, va, te])) == list(range(1797))  # a partition
    for split, idx in ((d.train, tr), (d.val, va), (d.test, te)):
        np.testing.assert_array_equal(split.y, ref.target[idx])
        # step t, sample b is row t of image b, pixels scaled to [0, 1]
        np.testing.assert_allclose(split.x.transpose(1, 0, 2), ref.images[idx] / 16.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_digits_split_is_stratified_and_follows_the_seed(seed):
    task = SequentialDigits(test_fraction=0.2)
    a = task.make(seed)
    sizes = {"train": 1797 - 359 - 180, "val": 180, "test": 359}  # round(0.2 N), round(0.1 N)
    assert {s: a.split(s).n_samples for s in sizes} == sizes
    full = np.bincount(np.concatenate([a.train.y, a.val.y, a.test.y]), minlength=10)
    for s, n in sizes.items():
        counts = np.bincount(a.split(s).y, minlength=10)
        assert np.all(np.abs(counts - full * n / 1797) <= 1)  # within one image per class
    info = {k: a.meta[k] for k in ("resplit", "split_seed", "stratified", "pool_size",
                                   "full_split_sizes", "split_sizes")}
    assert info == {"resplit": True, "split_seed": seed, "stratified": True,
                    "pool_size": 1797, "full_split_sizes": sizes, "split_sizes": sizes}
    b = task.make(seed + 10)
    assert not np.array_equal(a.meta["test_index"], b.meta["test_index"])
    fixed = SequentialDigits(split_seed=3)
    f0, f1 = fixed.make(seed), fixed.make(seed + 10)
    for key in ("train_index", "val_index", "test_index"):
        np.testing.assert_array_equal(f0.meta[key], f1.meta[key])
    assert f0.meta["resplit"] is False and f0.meta["split_seed"] == 3


def test_digits_subsets():
    d = SequentialDigits(n_train=100, n_test=40, n_val=25).make(0)
    assert d.train.x.shape == (8, 100, 8) and d.test.x.shape == (8, 40, 8)
    assert d.val.x.shape == (8, 25, 8)
    full = SequentialDigits().make(0)
    np.testing.assert_array_equal(d.meta["val_index"], full.meta["val_index"][:25])


# ------------------------------------------------------------------------------ MNIST-1D
def test_mnist1d_standard_offline_no_files_no_global_rng_change(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np_state = np.random.get_state()  # noqa: NPY002 - checking that it is left unchanged
    py_state = random.getstate()
    d = MNIST1D().make(0)
    assert d.train.x.shape == (40, 3500, 1) and d.test.x.shape == (40, 1000, 1)
    assert d.val.x.shape == (40, 500, 1)
    assert set(np.unique(d.train.y)) == set(range(10))
    assert os.listdir(tmp_path) == []  # nothing written to the working directory
    after = np.random.get_state()  # noqa: NPY002
    assert np_state[0] == after[0] and np.array_equal(np_state[1], after[1])
    assert random.getstate() == py_state


def test_mnist1d_matches_library_generator():
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples, args.seed = 300, 7
    ref = make_dataset(args)
    pool_x = np.concatenate([ref["x"], ref["x_test"]])
    pool_y = np.concatenate([ref["y"], ref["y_test"]])
    for resplit in (False, True):
        d = MNIST1D(num_samples=300, data_seed=7, resplit=resplit).make(1)
        for s in ("train", "val", "test"):
            idx = d.meta[f"{s}_index"]
            np.testing.assert_allclose(d.split(s).x[:, :, 0].T, pool_x[idx], rtol=1e-6,
                                       atol=1e-6)
            np.testing.assert_array_equal(d.split(s).y, pool_y[idx])
        if not resplit:  # the standard test set, in order; val carved from standard train
            np.testing.assert_allclose(d.test.x[:, :, 0].T, ref["x_test"], rtol=1e-6,
                                       atol=1e-6)
            np.testing.assert_array_equal(d.test.y, ref["y_test"])
            assert np.all(np.concatenate([d.meta["train_index"], d.meta["val_index"]]) < 240)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("resplit", [True, False])
def test_mnist1d_split_partitions_pool_stratified(seed, resplit):
    task = MNIST1D(num_samples=1000, resplit=resplit)
    d = task.make(seed)
    idx = {s: d.meta[f"{s}_index"] for s in ("train", "val", "test")}
    assert sorted(np.concatenate(list(idx.values()))) == list(range(1000))
    assert {s: len(i) for s, i in idx.items()} == {"train": 700, "val": 100, "test": 200}
    pool_y = np.concatenate([d.train.y, d.val.y, d.test.y])
    full = np.bincount(pool_y, minlength=10)
    # the stratified splits: within one sample per class of their share
    shares = ("train", "val", "test") if resplit else ("val",)
    base = full if resplit else np.bincount(np.concatenate([d.train.y, d.val.y]), minlength=10)
    total = 1000 if resplit else 800
    for s in shares:
        counts = np.bincount(d.split(s).y, minlength=10)
        assert np.all(np.abs(counts - base * len(idx[s]) / total) <= 1)
    m = d.meta
    assert m["resplit"] is resplit and m["split_seed"] == seed and m["pool_size"] == 1000
    assert m["standard_test"] is not resplit and m["generator_seed"] == 42
    assert m["full_split_sizes"] == m["split_sizes"] == {"train": 700, "val": 100, "test": 200}


def test_mnist1d_subsets_are_prefixes():
    full = MNIST1D(num_samples=200).make(0)
    sub = MNIST1D(num_samples=200, n_train=50, n_val=5, n_test=10).make(0)
    np.testing.assert_array_equal(sub.train.x, full.train.x[:, :50])
    np.testing.assert_array_equal(sub.val.x, full.val.x[:, :5])
    np.testing.assert_array_equal(sub.test.y, full.test.y[:10])


# -------------------------------------------------------------------------- spike patterns
@pytest.mark.parametrize("seed", SEEDS)
def test_spike_patterns_noise_free_samples_equal_templates(seed):
    task = SpikePatterns(n_classes=4, n_channels=10, length=30, spikes_per_channel=3,
                         jitter=0.0, n_train=40, n_test=8)
    d = task.make(seed)
    templates = task.patterns(seed)  # (classes, T, C)
    np.testing.assert_array_equal(d.train.x.transpose(1, 0, 2), templates[d.train.y])
    # equal spike counts in every channel of every class: counts carry no label information
    counts = d.train.x.sum(axis=0)  # (B, C)
    np.testing.assert_array_equal(counts, 3.0)
    assert np.bincount(d.train.y).tolist() == [10] * 4  # balanced


@pytest.mark.parametrize("seed", SEEDS)
def test_spike_patterns_jitter_statistics_and_timing_decodability(seed):
    jitter = 1.5
    task = SpikePatterns(n_classes=5, n_channels=20, length=60, spikes_per_channel=2,
                         jitter=jitter, n_train=10, n_test=200)
    d = task.make(seed)
    times = d.meta["spike_times"]  # (classes, C, S)
    x = d.test.x
    assert set(np.unique(x)) <= {0.0, 1.0}
    # nearest template after Gaussian smoothing (timing only) classifies well above chance
    from scipy.ndimage import gaussian_filter1d

    tmpl = gaussian_filter1d(task.patterns(seed), 2.0, axis=1).reshape(5, -1)
    feats = gaussian_filter1d(x.transpose(1, 0, 2), 2.0, axis=1).reshape(200, -1)
    acc = np.mean(np.argmax(feats @ tmpl.T, axis=1) == d.test.y)
    assert acc > 0.9
    # the spikes of a sample lie within a few jitter sd of its template's spike times
    b = 0
    c_idx = np.nonzero(x[:, b, :].T)  # (channel, time) of spikes
    tpl = times[d.test.y[b]]
    dist = [np.abs(tpl[c] - t).min() for c, t in zip(*c_idx, strict=True)]
    assert max(dist) <= 6 * jitter


def test_spike_patterns_drop_and_noise_rates():
    task = SpikePatterns(n_classes=2, n_channels=50, length=100, spikes_per_channel=5,
                         jitter=0.0, p_drop=0.3, noise_prob=0.0, n_train=200, n_test=1)
    x = task.make(0).train.x
    n = 200 * 50 * 5
    kept = x.sum() / n
    assert abs(kept - 0.7) < 5 * math.sqrt(0.21 / n)
    noisy = SpikePatterns(n_classes=2, n_channels=50, length=100, spikes_per_channel=1,
                          jitter=0.0, noise_prob=0.02, n_train=100, n_test=1).make(0).train
    extra = (noisy.x.sum() - 100 * 50) / noisy.x.size  # background spikes per slot (approx.)
    assert abs(extra - 0.02) < 0.003


# ------------------------------------------------------------------------- associative
@pytest.mark.parametrize("seed", SEEDS)
def test_associative_flip_noise_binomial(seed):
    task = AssociativeRecall(n_patterns=4, n_bits=100, noise=0.2, n_train=400, n_test=50)
    d = task.make(seed)
    pats = d.meta["patterns"]
    np.testing.assert_array_equal(patterns_from_split(d.train), pats)
    clean = np.where(d.train.y >= 0.5, 1.0, -1.0)
    c = cues(d.train)
    assert set(np.unique(c)) <= {-1.0, 1.0}
    flipped = np.mean(c != clean)
    n = c.size
    assert abs(flipped - 0.2) < 5 * math.sqrt(0.16 / n)
    # the first n_patterns training samples are the patterns in order
    np.testing.assert_array_equal(clean[:4], pats)


def test_associative_erase_mode_partial_cue():
    task = AssociativeRecall(n_patterns=3, n_bits=80, noise=0.3, corruption="erase",
                             n_train=300, n_test=10)
    d = task.make(0)
    c = cues(d.train)
    clean = np.where(d.train.y >= 0.5, 1.0, -1.0)
    erased = c == 0
    assert abs(erased.mean() - 0.3) < 5 * math.sqrt(0.21 / c.size)
    np.testing.assert_array_equal(c[~erased], clean[~erased])  # the rest is untouched


def test_associative_presentations_carry_the_same_cues():
    kw = dict(n_patterns=3, n_bits=20, n_train=30, n_test=10)
    par = AssociativeRecall(presentation="parallel", cue_steps=3, **kw)
    ser = AssociativeRecall(presentation="serial", **kw)
    dp, ds = par.make(2), ser.make(2)
    assert dp.train.x.shape == (3, 30, 20) and ds.train.x.shape == (20, 30, 1)
    assert par.n_in == 20 and ser.n_in == 1 and ser.n_out == 20
    np.testing.assert_array_equal(cues(dp.test), cues(ds.test))
    np.testing.assert_array_equal(dp.test.y, ds.test.y)


@pytest.mark.parametrize("seed", SEEDS)
def test_associative_scores_and_baselines(seed):
    task = AssociativeRecall(n_patterns=5, n_bits=64, noise=0.1, n_train=50, n_test=100)
    d = task.make(seed)
    base = task.baselines(d)
    # returning the cue gets 1 - noise of the bits right (binomial bound)
    n = 100 * 64
    assert abs(base["cue"]["accuracy"] - 0.9) < 5 * math.sqrt(0.09 / n)
    # nearest stored pattern: 10 % flips of 64 bits never reach the ~32-bit distance between
    # random patterns (P(misrecall) < 1e-6), so recall is perfect
    assert base["nearest_pattern"]["sequence_accuracy"] == 1.0
    for s in base.values():
        assert s["overlap"] == pytest.approx(2 * s["accuracy"] - 1)
    # +-1 states score the same as 0/1 bits
    states = nearest_pattern(cues(d.test), d.meta["patterns"])
    assert task.score(states, d.test) == task.score((states + 1) / 2, d.test)


@pytest.mark.slow
def test_mnist1d_logistic_regression_reaches_published_accuracy():
    """Greydanus (2020) reports 32 % for logistic regression on the standard MNIST-1D split
    (the first entry of ``MNIST1D.literature``): train on the standard 4000 = train + val."""
    from sklearn.linear_model import LogisticRegression

    lit = {e["model"]: e["value"] for e in MNIST1D.literature}
    assert lit["logistic regression"] == 0.32
    d = MNIST1D(resplit=False).make(0)
    x = np.concatenate([d.train.x, d.val.x], axis=1)[:, :, 0].T
    clf = LogisticRegression(max_iter=2000).fit(x, np.concatenate([d.train.y, d.val.y]))
    acc = clf.score(d.test.x[:, :, 0].T, d.test.y)
    # binomial sd of an accuracy on 1000 test samples is ~0.015
    assert abs(acc - 0.32) < 0.04


def test_associative_recall_through_a_hopfield_network():
    """A memory model reads the patterns from the training split and recalls test cues."""
    hop = pytest.importorskip("neurosim.memory.hopfield")
    for seed in SEEDS:
        task = AssociativeRecall(n_patterns=3, n_bits=100, noise=0.1, n_train=3, n_test=50)
        d = task.make(seed)
        net = hop.HopfieldNetwork(rule="hebbian", random_state=seed)
        net.fit(patterns_from_split(d.train))
        s = task.score(net.recall(cues(d.test)), d.test)
        # load 0.03 << 0.138 and 10 % noise: retrieval is essentially perfect
        assert s["accuracy"] > 0.99
