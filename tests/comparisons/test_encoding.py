"""Spike encodings: statistics, monotonicity, reconstruction, task integration, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from comparisons.tasks import get_task
from comparisons.tasks.encoding import (
    DEFAULT_STEPS,
    delta_decode,
    delta_encode,
    encode,
    latency_decode,
    latency_encode,
    n_channels,
    rate_decode,
    rate_encode,
)

SEEDS = [0, 1, 2]


def _grid(values, T=1, B=1):
    v = np.asarray(values, dtype=np.float64)
    return np.broadcast_to(v, (T, B, v.size)).copy()


# -------------------------------------------------------------------------------- rate
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("max_prob", [1.0, 0.5])
def test_rate_spike_probability_matches_value(seed, max_prob):
    values = np.linspace(0.0, 1.0, 11)
    x = _grid(values, T=5, B=400)
    k = 8
    s = rate_encode(x, k, seed, max_prob=max_prob)
    assert s.shape == (5 * k, 400, 11) and s.dtype == bool
    n = 5 * k * 400
    p = max_prob * values
    frac = s.mean(axis=(0, 1))
    bound = 5 * np.sqrt(p * (1 - p) / n) + 1e-12
    assert np.all(np.abs(frac - p) <= bound)
    assert not s[..., 0].any()  # value 0 never fires
    if max_prob == 1.0:
        assert s[..., -1].all()  # value 1 always fires


def test_rate_low_high_scaling_and_decode():
    x = _grid([-2.0, 0.0, 2.0, 5.0], T=3, B=2000)
    s = rate_encode(x, 10, 0, low=-2.0, high=2.0)
    est = rate_decode(s, 10, low=-2.0, high=2.0)
    assert est.shape == (3, 2000, 4)
    # -2 -> p 0, 0 -> p 0.5, 2 -> p 1, 5 clipped to p 1
    np.testing.assert_allclose(est.mean(axis=(0, 1)), [-2.0, 0.0, 2.0, 2.0], atol=0.05)


def test_rate_seeds():
    x = _grid([0.3, 0.7], T=4, B=50)
    np.testing.assert_array_equal(rate_encode(x, 5, 3), rate_encode(x, 5, 3))
    assert not np.array_equal(rate_encode(x, 5, 3), rate_encode(x, 5, 4))
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(rate_encode(x, 5, g1), rate_encode(x, 5, g2))


def test_rate_blocks_follow_time():
    x = np.zeros((3, 1, 1))
    x[1] = 1.0
    s = rate_encode(x, 4, 0)
    np.testing.assert_array_equal(s[:, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0])


# ----------------------------------------------------------------------------- latency
@pytest.mark.parametrize("k", [2, 5, 16])
def test_latency_monotone_one_spike_and_decode(k):
    values = np.sort(np.random.default_rng(k).random(50))
    x = _grid(values, T=2, B=1)
    s = latency_encode(x, k)
    assert s.shape == (2 * k, 1, 50) and s.dtype == bool
    blocks = s.reshape(2, k, 1, 50)
    assert np.all(blocks.sum(axis=1) == 1)  # one spike per block (all values > 0)
    first = blocks.argmax(axis=1)[0, 0]
    assert np.all(np.diff(first) <= 0)  # larger value -> earlier (or same) spike
    est = latency_decode(s, k)
    assert np.all(np.abs(est - x) <= 0.5 / (k - 1) + 1e-12)


def test_latency_extremes_and_threshold():
    x = _grid([0.0, 0.1, 0.5, 1.0])
    s = latency_encode(x, 5, threshold=0.2)[:, 0, :]
    assert not s[:, 0].any() and not s[:, 1].any()  # at/below threshold: silent
    assert s[2, 2] and s[0, 3]  # 0.5 -> middle step, 1.0 -> first step
    np.testing.assert_array_equal(latency_encode(x, 5, 0), latency_encode(x, 5, 123))


# ------------------------------------------------------------------------------- delta
@pytest.mark.parametrize("seed", SEEDS)
def test_delta_reconstructs_within_threshold_when_k_suffices(seed):
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(0, 0.3, size=(60, 4, 3)), axis=0)
    thr = 0.1
    # worst jump / thr bounds the crossings needed per step
    jumps = np.abs(np.diff(np.concatenate([np.zeros((1, 4, 3)), x]), axis=0)).max()
    k = int(np.ceil(jumps / thr)) + 1
    s = delta_encode(x, k, threshold=thr)
    assert s.shape == (60 * k, 4, 6) and s.dtype == bool
    rec = delta_decode(s, k, threshold=thr)
    assert np.all(np.abs(rec - x) < thr + 1e-9)


def test_delta_one_step_tracks_slow_signal():
    t = np.arange(400)
    x = np.sin(2 * np.pi * t / 200)[:, None, None] * np.array([1.0, 0.5])  # (T, 1, 2)
    thr = 0.05  # max |dx| per step = 2 pi / 200 ~ 0.031 < thr
    s = delta_encode(x, 1, threshold=thr)
    rec = delta_decode(s, 1, threshold=thr)
    assert np.all(np.abs(rec - x) < thr)
    up, down = s[..., :2], s[..., 2:]
    assert not np.any(up & down)  # never both on one channel
    # UP spikes while rising, DOWN while falling (layout: UP first)
    rising = np.diff(x[:, 0, 0], prepend=0.0) > 0
    assert up[:, 0, 0][~rising].sum() == 0 and down[:, 0, 0][rising].sum() == 0
    # spike count ~ total variation / threshold
    tv = np.abs(np.diff(x[:, 0, 0], prepend=0.0)).sum()
    assert abs((up[:, 0, 0].sum() + down[:, 0, 0].sum()) - tv / thr) <= 2


def test_delta_per_feature_threshold_and_initial():
    x = np.full((2, 1, 2), 1.0)
    s = delta_encode(x, 10, threshold=[0.25, 0.5], initial=0.5)
    rec = delta_decode(s, 10, threshold=[0.25, 0.5], initial=0.5)
    np.testing.assert_allclose(rec[-1, 0], [1.0, 1.0])
    assert s[:, 0, 0].sum() == 2 and s[:, 0, 1].sum() == 1


# ------------------------------------------------------------------------------ generic
def test_dispatch_defaults_and_channels():
    x = _grid([0.2, 0.8], T=3, B=2)
    for m, k in DEFAULT_STEPS.items():
        s = encode(x, m, seed=0)
        assert s.shape == (3 * k, 2, n_channels(m, 2))
    np.testing.assert_array_equal(encode(x, "rate", 4, seed=1), rate_encode(x, 4, 1))


def test_encoders_do_not_modify_input():
    x = _grid([0.2, 0.8], T=3, B=2)
    x0 = x.copy()
    for m in DEFAULT_STEPS:
        encode(x, m, seed=0)
    np.testing.assert_array_equal(x, x0)


@pytest.mark.parametrize(("call", "exc", "msg"), [
    (lambda: encode(np.zeros((2, 2, 2)), "morse"), ValueError,
     r"unknown encoding 'morse'; choose from: delta, latency, rate"),
    (lambda: rate_encode(np.zeros((2, 2))), ValueError, r"x must have shape \(T, B, F\)"),
    (lambda: rate_encode(np.full((1, 1, 1), np.nan)), ValueError, r"x must be finite"),
    (lambda: rate_encode(np.zeros((1, 1, 1)), 0), ValueError,
     r"steps_per_value must be >= 1, got 0"),
    (lambda: rate_encode(np.zeros((1, 1, 1)), 2.0), TypeError,
     r"steps_per_value must be an int, got float \(2.0\)"),
    (lambda: rate_encode(np.zeros((1, 1, 1)), max_prob=0.0), ValueError,
     r"max_prob must be in \(0.0, 1.0\], got 0.0"),
    (lambda: rate_encode(np.zeros((1, 1, 1)), low=1.0, high=1.0), ValueError,
     r"high must be > low"),
    (lambda: latency_encode(np.zeros((1, 1, 1)), threshold=1.0), ValueError,
     r"threshold must be in \[0.0, 1.0\), got 1.0"),
    (lambda: delta_encode(np.zeros((1, 1, 1)), threshold=0.0), ValueError,
     r"threshold must be > 0"),
    (lambda: rate_encode(np.array([[["a"]]])), TypeError, r"x must be a numeric array"),
    (lambda: rate_encode(np.zeros((1, 1, 1)), 2, -1), ValueError, r"seed must be >= 0"),
])
def test_bad_input(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


# ------------------------------------------------------------------ task integration
@pytest.mark.parametrize("method", ["rate", "latency", "delta"])
def test_task_encode_per_step_targets_follow_blocks(method):
    task = get_task("temporal_xor", n_triples=4, n_train=20, n_test=5)
    d = task.make(0)
    k = 3
    e = task.encode(d, method, steps_per_value=k, seed=0)
    F = n_channels(method, 1)
    assert e.train.x.shape == (12 * k, 20, F) and e.train.x.dtype == np.float32
    assert set(np.unique(e.train.x)) <= {0.0, 1.0}
    np.testing.assert_array_equal(e.train.y[k - 1::k], d.train.y)
    np.testing.assert_array_equal(e.train.mask[k - 1::k], d.train.mask)
    assert e.train.mask.sum() == d.train.mask.sum()  # only block ends are scored
    assert e.meta["encoding"] == method and e.meta["n_in"] == F
    # scoring works unchanged on the encoded split
    assert task.score(e.test.y, e.test)["accuracy"] == 1.0
    assert task.chance(e.test) == task.chance(d.test)


def test_task_encode_final_targets_unchanged_and_shared_range():
    task = get_task("mackey_glass", length=20, n_train=3, n_test=2, washout=2, transient=10)
    d = task.make(0)
    e = task.encode(d, "rate", steps_per_value=50, seed=1)
    lo, hi = task.input_range(d)
    assert e.meta["low"] == lo.tolist() and e.meta["high"] == hi.tolist()
    # train range applied to every split: decoded rates estimate the normalised values
    for enc, raw in ((e.train, d.train), (e.val, d.val), (e.test, d.test)):
        est = rate_decode(enc.x, 50, low=lo, high=hi)
        z = np.clip(raw.x, lo, hi)
        assert np.abs(est - z).mean() < 0.1 * (hi - lo).max()
    cls = get_task("seq_digits", n_train=30, n_test=10)
    dd = cls.make(0)
    ee = cls.encode(dd, "latency", steps_per_value=4)
    np.testing.assert_array_equal(ee.train.y, dd.train.y)
    assert ee.train.mask is None and ee.train.x.shape == (32, 30, 8)


def test_task_encode_delta_threshold_is_fraction_of_range():
    task = get_task("adding", length=10, n_train=5, n_test=2)  # range (0, 1) per channel
    d = task.make(0)
    e = task.encode(d, "delta", steps_per_value=20, threshold=0.05)
    rec = delta_decode(e.train.x, 20, threshold=0.05)
    assert np.all(np.abs(rec - d.train.x) < 0.05 + 1e-6)
    assert e.meta["threshold"] == 0.05


def test_task_encode_deterministic_from_seed():
    task = get_task("adding", length=10, n_train=5, n_test=2)
    d = task.make(0)
    a = task.encode(d, "rate", seed=3)
    b = task.encode(d, "rate", seed=3)
    c = task.encode(d, "rate", seed=4)
    np.testing.assert_array_equal(a.train.x, b.train.x)
    assert not np.array_equal(a.train.x, c.train.x)
    assert not np.array_equal(a.train.x[:, :2], a.test.x)  # train and test draw differently



@pytest.mark.parametrize("method", ["rate", "latency", "delta"])
def test_task_encode_keeps_three_splits(method):
    """All three splits are encoded with the train range; targets and masks follow."""
    task = get_task("mackey_glass", length=15, n_train=3, n_val=2, n_test=2, washout=2,
                    transient=10)
    d = task.make(2)
    k = 2
    e = task.encode(d, method, steps_per_value=k, seed=0)
    for s in ("train", "val", "test"):
        raw, enc = d.split(s), e.split(s)
        assert enc.x.shape[:2] == (15 * k, raw.n_samples)
        np.testing.assert_array_equal(enc.y[k - 1::k], raw.y)
        np.testing.assert_array_equal(enc.mask[k - 1::k], raw.mask)
    # the validation split alone, encoded with the train range, gives the same spikes for a
    # deterministic encoder
    if method == "latency":
        lo, hi = task.input_range(d)
        want = latency_encode(np.clip((d.val.x - lo) / (hi - lo), 0, 1), k)
        np.testing.assert_array_equal(e.val.x.astype(bool), want)
    only_val = task.encode(d, method, steps_per_value=k, seed=0, splits=("val",))
    assert only_val.train is d.train and only_val.test is d.test
    assert only_val.val.x.shape == e.val.x.shape


def test_task_encode_single_split():
    task = get_task("adding", length=10, n_train=5, n_test=2)
    d = task.make(0)
    one = task.encode(d.test, "latency", steps_per_value=4)
    both = task.encode(d, "latency", steps_per_value=4)
    # the adding task has a fixed input range, so a lone split encodes the same way
    np.testing.assert_array_equal(one.x, both.test.x)
    np.testing.assert_array_equal(one.y, d.test.y)


def test_task_encode_bool_dtype_and_bad_dtype():
    task = get_task("adding", length=10, n_train=5, n_test=2)
    d = task.make(0)
    e = task.encode(d, "rate", steps_per_value=3, dtype=bool)
    f = task.encode(d, "rate", steps_per_value=3)
    assert e.train.x.dtype == bool
    np.testing.assert_array_equal(e.train.x, f.train.x.astype(bool))
    with pytest.raises(ValueError, match="dtype must be bool, float32 or float64, got int8"):
        task.encode(d, "rate", dtype=np.int8)
    with pytest.raises(ValueError, match="unknown split 'valid'; choose from: test, train, val"):
        task.encode(d, "rate", splits=("valid",))


# ------------------------------------------------------------------ property-based checks
_signals = hnp.arrays(np.float64, hnp.array_shapes(min_dims=3, max_dims=3, max_side=6),
                      elements=st.floats(-3, 3, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(x=_signals, k=st.integers(1, 5), thr=st.floats(0.05, 1.0))
def test_delta_invariant_any_signal(x, k, thr):
    """After each block the reference is within one threshold of the signal, unless the
    block used all k slots of the channel (the encoder saturated and carries the rest)."""
    s = delta_encode(x, k, threshold=thr)
    F = x.shape[-1]
    rec = delta_decode(s, k, threshold=thr)
    blocks = s.reshape(x.shape[0], k, x.shape[1], 2 * F).sum(axis=1)
    saturated = (blocks[..., :F] == k) | (blocks[..., F:] == k)
    assert np.all((np.abs(rec - x) < thr + 1e-9) | saturated)
    assert not np.any(s[..., :F] & s[..., F:])


@settings(max_examples=60, deadline=None)
@given(x=_signals, k=st.integers(1, 9))
def test_latency_invariants_any_signal(x, k):
    s = latency_encode(x, k, low=-3.0, high=3.0)
    blocks = s.reshape(x.shape[0], k, *x.shape[1:])
    assert np.all(blocks.sum(axis=1) == (x > -3.0))  # one spike iff above the bottom
    first = np.where(blocks.any(axis=1), blocks.argmax(axis=1), k)
    order = np.argsort(x.ravel(), kind="stable")
    assert np.all(np.diff(first.ravel()[order]) <= 0)  # monotone: larger -> not later


@settings(max_examples=40, deadline=None)
@given(x=_signals, k=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_rate_extremes_any_signal(x, k, seed):
    s = rate_encode(x, k, seed, low=-3.0, high=3.0)
    blocks = s.reshape(x.shape[0], k, *x.shape[1:])
    lo = np.broadcast_to((x <= -3.0)[:, None], blocks.shape)
    hi = np.broadcast_to((x >= 3.0)[:, None], blocks.shape)
    assert not blocks[lo].any() and blocks[hi].all()


# ---------------------------------------------------------------------- snnTorch as peer
@pytest.mark.parametrize("k", [4, 9, 25])
def test_latency_matches_snntorch_linear_latency(k):
    torch = pytest.importorskip("torch")
    spikegen = pytest.importorskip("snntorch.spikegen")
    v = np.random.default_rng(k).uniform(0.02, 1.0, size=(6, 40))  # (B, F), no exact ties
    ref = spikegen.latency(torch.as_tensor(v, dtype=torch.float64), num_steps=k,
                           normalize=True, linear=True, threshold=0.01, clip=True)
    ours = latency_encode(v[None], k, threshold=0.01)  # one real step -> k sim steps
    np.testing.assert_array_equal(ours, ref.numpy().astype(bool))


def test_rate_statistics_match_snntorch_rate():
    torch = pytest.importorskip("torch")
    spikegen = pytest.importorskip("snntorch.spikegen")
    torch.manual_seed(0)
    p = np.linspace(0.05, 0.95, 7)
    data = torch.as_tensor(np.broadcast_to(p, (3000, 7)).copy(), dtype=torch.float32)
    k = 6
    ref = spikegen.rate(data, num_steps=k).numpy().mean(axis=(0, 1))
    ours = rate_encode(np.broadcast_to(p, (1, 3000, 7)), k, 0).mean(axis=(0, 1))
    n = 3000 * k
    sd = np.sqrt(2 * p * (1 - p) / n)  # difference of two independent binomial fractions
    assert np.all(np.abs(ours - ref) < 5 * sd)


# ---------------------------------------------------------------------- encoded tasks
@pytest.mark.parametrize("method", ["rate", "latency", "delta"])
def test_get_task_with_encoding_is_a_spiking_task(method):
    from comparisons.tasks import EncodedTask

    task = get_task("copy", encoding=method, steps_per_value=2, n_symbols=4, n_recall=2,
                    delay=3, n_train=10, n_test=5)
    assert isinstance(task, EncodedTask) and task.spiking_input
    assert task.name == "copy" and task.metric == "accuracy" and task.n_out == 4
    d = task.make(0)
    assert d.train.x.shape == (2 * 7, 10, task.n_in)
    assert task.n_in == n_channels(method, 6)
    assert set(np.unique(d.train.x)) <= {0.0, 1.0}
    np.testing.assert_array_equal(task.make(0).train.x, d.train.x)  # deterministic
    perfect = np.eye(4, dtype=np.float32)[d.test.y]
    assert task.score(perfect, d.test)["accuracy"] == 1.0
    raw = get_task("copy", n_symbols=4, n_recall=2, delay=3, n_train=10, n_test=5)
    rd = raw.make(0)
    for split in ("train", "val", "test"):
        assert task.baselines(d, split) == raw.baselines(rd, split)
        assert task.ceiling(d, split) == raw.ceiling(rd, split) == 1.0
        assert task.trivial_best(d, split) == raw.trivial_best(rd, split)
    assert task.baselines(d) == raw.baselines(rd)
    assert task.literature == () and task.base.literature == raw.literature
    assert task.split_sizes() == raw.split_sizes() == {"train": 10, "val": 500, "test": 5}
    assert d.val.x.shape == (2 * 7, 500, task.n_in)
    cfg = task.config()
    assert cfg["encoding"] == method and cfg["steps_per_value"] == 2
    assert cfg != raw.config()  # a different config hash in the results store


def test_encoded_task_keeps_extra_scores_and_options():
    task = get_task("mackey_glass", encoding="delta", steps_per_value=3,
                    encoding_options={"threshold": 0.05}, length=30, n_train=3, n_test=2,
                    washout=3, transient=20)
    d = task.make(1)
    assert d.meta["threshold"] == 0.05 and task.n_in == 2
    s = task.score(d.test.y.copy(), d.test)
    assert s["smape"] == 0.0 and s["nrmse"] == 0.0
    assert "persistence" in task.baselines(d)


def test_encoded_task_bad_input():
    with pytest.raises(ValueError, match=r"unknown encoding 'morse'; choose from: delta"):
        get_task("adding", encoding="morse")
    with pytest.raises(ValueError, match="steps_per_value and encoding_options need an "
                                         "encoding"):
        get_task("adding", steps_per_value=3)
    with pytest.raises(ValueError, match=r"EncodedTask.steps_per_value must be >= 1, got 0"):
        get_task("adding", encoding="rate", steps_per_value=0)
    from comparisons.tasks import EncodedTask

    with pytest.raises(TypeError, match="EncodedTask.base must be a Task, got str"):
        EncodedTask("adding", "rate")
    with pytest.raises(TypeError, match="already encoded"):
        EncodedTask(get_task("adding", encoding="rate"), "rate")
