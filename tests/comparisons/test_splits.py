"""The comparison protocol's data side: train / val / test splits, baselines fitted on train,
trivial_best, ceilings and literature entries (invariants and theory, several seeds)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from comparisons.tasks import (
    SPLITS,
    TASKS,
    AddingProblem,
    AssociativeRecall,
    BinaryAddition,
    CopyTask,
    MackeyGlass,
    Split,
    TaskData,
    TemporalXOR,
    get_task,
)
from comparisons.tasks.associative import cues, posterior_bits
from comparisons.tasks.base import LITERATURE_KEYS
from comparisons.tasks.splits import stratified_counts, stratified_split

SEEDS = [0, 1, 2]


# ------------------------------------------------------------------------ stratified splits
@pytest.mark.parametrize("seed", SEEDS)
def test_stratified_counts_exact_margins_within_one(seed):
    rng = np.random.default_rng(seed)
    for _ in range(300):
        n_c = rng.integers(0, 60, size=rng.integers(1, 12))
        total = int(n_c.sum())
        cuts = np.sort(rng.integers(0, total + 1, size=rng.integers(0, 4)))
        sizes = np.diff(np.concatenate([[0], cuts, [total]]))
        k = stratified_counts(n_c, sizes)
        np.testing.assert_array_equal(k.sum(axis=1), n_c)
        np.testing.assert_array_equal(k.sum(axis=0), sizes)
        if total:
            assert np.all(np.abs(k - n_c[:, None] * sizes[None, :] / total) <= 1 + 1e-12)


def test_stratified_counts_bad_sizes():
    with pytest.raises(ValueError, match=r"sizes must sum to the pool size 10, got \[3, 3\]"):
        stratified_counts([5, 5], [3, 3])


@pytest.mark.parametrize("seed", SEEDS)
def test_stratified_split_partitions_and_is_seeded(seed):
    labels = np.random.default_rng(100 + seed).integers(0, 7, size=503)
    sizes = [300, 53, 150]
    parts = stratified_split(labels, sizes, np.random.default_rng(seed))
    assert [len(p) for p in parts] == sizes
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(503))
    again = stratified_split(labels, sizes, np.random.default_rng(seed))
    for a, b in zip(parts, again, strict=True):
        np.testing.assert_array_equal(a, b)
    other = stratified_split(labels, sizes, np.random.default_rng(seed + 50))
    assert not np.array_equal(parts[2], other[2])
    full = np.bincount(labels, minlength=7)
    for p, n in zip(parts, sizes, strict=True):
        assert np.all(np.abs(np.bincount(labels[p], minlength=7) - full * n / 503) <= 1)


# --------------------------------------------------------------------------------- TaskData
def _split(y, T=3, mask=None):
    y = np.asarray(y)
    return Split(x=np.zeros((T, y.shape[0] if y.ndim < 3 else y.shape[1], 1), np.float32),
                 y=y, mask=mask)


def test_taskdata_needs_val_and_keywords():
    s = _split(np.zeros((4, 1), np.float32))
    with pytest.raises(TypeError, match="val"):
        TaskData(train=s, test=s)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        TaskData(s, s, s)  # type: ignore[misc]
    with pytest.raises(TypeError, match="TaskData.val must be a Split, got NoneType"):
        TaskData(train=s, val=None, test=s)  # type: ignore[arg-type]
    d = TaskData(train=s, val=s, test=s)
    assert all(d.split(name) is s for name in SPLITS)
    with pytest.raises(ValueError, match=r"unknown split 'valid'; choose from: test, train, val"):
        d.split("valid")


def test_every_registered_task_returns_val():
    small = {"mnist1d": dict(num_samples=60), "mackey_glass": dict(length=20, transient=10,
                                                                   washout=2)}
    for name in TASKS:
        task = get_task(name, **small.get(name, {}))
        d = task.make(0)
        assert isinstance(d.val, Split) and d.val.n_samples == task.split_sizes()["val"] >= 1
        assert d.val.x.shape[2] == d.train.x.shape[2] == task.n_in
        assert d.meta["split_sizes"]["val"] == d.val.n_samples


@pytest.mark.parametrize("cls", [AddingProblem, MackeyGlass])
@pytest.mark.parametrize("seed", SEEDS)
def test_generated_splits_are_disjoint(cls, seed):
    """Continuous inputs: no sequence appears in two splits (independent draws)."""
    kw = dict(length=20, transient=10, washout=2) if cls is MackeyGlass else dict(length=20)
    d = cls(n_train=30, n_val=10, n_test=10, **kw).make(seed)
    seen = [{d.split(s).x[:, b].tobytes() for b in range(d.split(s).n_samples)}
            for s in SPLITS]
    assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])


@pytest.mark.parametrize("seed", SEEDS)
def test_val_leaves_train_and_test_of_a_seed_unchanged(seed):
    """Validation is drawn after train and test, so its size does not move them."""
    a = AddingProblem(length=10, n_train=20, n_test=10, n_val=5).make(seed)
    b = AddingProblem(length=10, n_train=20, n_test=10, n_val=40).make(seed)
    np.testing.assert_array_equal(a.train.x, b.train.x)
    np.testing.assert_array_equal(a.test.x, b.test.x)


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_addition_val_uses_test_length(seed):
    task = BinaryAddition(train_bits=3, test_bits=9, n_train=20, n_val=15, n_test=10, delay=2)
    d = task.make(seed)
    assert d.train.n_steps == 3 + 1 + 2
    assert d.val.n_steps == d.test.n_steps == 9 + 1 + 2
    assert d.val.mask.sum(axis=0).tolist() == [10] * 15  # all n_bits + 1 sum bits scored


# ------------------------------------------------------------------------------- baselines
def test_chance_is_fitted_on_train_not_on_the_scored_split():
    """Train majority / mean differs from test's: baselines use train, chance(split) self."""
    T, B = 4, 6
    mask = np.ones((T, B), bool)
    # class (copy): train says symbol 1, test is all symbol 2
    copy = CopyTask(n_symbols=4)
    tr = Split(x=np.zeros((T, B, 6), np.float32), y=np.full((T, B), 1), mask=mask)
    te = Split(x=np.zeros((T, B, 6), np.float32), y=np.full((T, B), 2), mask=mask)
    d = TaskData(train=tr, val=te, test=te)
    assert copy.baselines(d)["chance"]["accuracy"] == 0.0
    assert copy.chance(te)["accuracy"] == 1.0
    assert copy.baselines(d, "train")["chance"]["accuracy"] == 1.0
    # binary (temporal XOR): train bits all 1, test bits all 0
    xor = TemporalXOR()
    tr = Split(x=np.zeros((T, B, 1), np.float32), y=np.ones((T, B, 1), np.float32), mask=mask)
    te = Split(x=np.zeros((T, B, 1), np.float32), y=np.zeros((T, B, 1), np.float32), mask=mask)
    d = TaskData(train=tr, val=te, test=te)
    assert xor.baselines(d, "val")["chance"]["accuracy"] == 0.0
    assert xor.chance(te)["accuracy"] == 1.0
    # real (adding): train targets 0, test targets 1 -> the train mean is off by 1
    add = AddingProblem()
    tr = Split(x=np.zeros((T, B, 2), np.float32), y=np.zeros((B, 1), np.float32))
    te = Split(x=np.zeros((T, B, 2), np.float32), y=np.ones((B, 1), np.float32))
    d = TaskData(train=tr, val=tr, test=te)
    assert add.baselines(d)["chance"]["mse"] == pytest.approx(1.0)
    assert add.chance(te)["mse"] == 0.0
    assert add.trivial_best(d) == ("chance", pytest.approx(1.0))


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("seed", SEEDS)
def test_baselines_are_scored_on_the_requested_split(seed, split):
    task = MackeyGlass(length=40, n_train=3, n_val=2, n_test=2, washout=5, transient=20)
    d = task.make(seed)
    sp = d.split(split)
    base = task.baselines(d, split)
    m = sp.mask
    pers = np.sqrt(np.mean((sp.x[m] - sp.y[m]) ** 2) / np.var(sp.y[m]))  # x_t for x_{t+1}
    assert base["persistence"]["nrmse"] == pytest.approx(pers, rel=1e-5)
    mean = d.train.y[d.train.mask].mean()
    assert base["chance"]["mse"] == pytest.approx(np.mean((sp.y[m] - mean) ** 2), rel=1e-4)


@pytest.mark.parametrize("horizon", [1, 4])
def test_mackey_glass_persistence_is_last_value(horizon):
    task = MackeyGlass(length=40, n_train=2, n_val=2, n_test=3, horizon=horizon, washout=6,
                       transient=20)
    d = task.make(5)
    # y_t = x_{t+h}: persistence predicts x_t, i.e. scores x against its own future
    assert task.baselines(d)["persistence"] == task.score(d.test.x, d.test)
    np.testing.assert_array_equal(d.test.y[:-horizon], d.test.x[horizon:])


class _Fixed(AddingProblem):
    """Adding task whose baselines are given numbers (to test trivial_best alone)."""

    values: dict[str, float] = {}

    def baselines(self, data, split="test"):
        return {k: {"mse": v, "nrmse": v} for k, v in self.values.items()}


class _FixedHigher(_Fixed):
    metric = "nrmse"
    higher_is_better = True


def test_trivial_best_respects_direction_and_skips_nan_and_references():
    d = AddingProblem(length=4, n_train=2, n_val=2, n_test=2).make(0)
    vals = {"chance": 0.5, "a": 0.2, "b": 0.9, "c": float("nan")}
    low, high = _Fixed(), _FixedHigher()
    low.values = high.values = vals
    assert low.trivial_best(d) == ("a", 0.2)
    assert high.trivial_best(d) == ("b", 0.9)
    high.reference_baselines = ("b",)
    assert high.trivial_best(d) == ("chance", 0.5)
    low.values = {"chance": 0.3, "z": 0.3}
    assert low.trivial_best(d) == ("chance", 0.3)  # ties: alphabetical


@pytest.mark.parametrize("seed", SEEDS)
def test_associative_trivial_best_is_the_cue_not_the_reference(seed):
    task = AssociativeRecall(n_patterns=4, n_bits=64, noise=0.2, n_train=40, n_val=50,
                             n_test=50)
    d = task.make(seed)
    base = task.baselines(d, "val")
    assert task.trivial_best(d, "val") == ("cue", base["cue"]["accuracy"])
    assert base["nearest_pattern"]["accuracy"] > base["cue"]["accuracy"]


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_addition_trivial_baselines_match_theory(seed):
    n_bits, n = 6, 4000
    task = BinaryAddition(train_bits=3, test_bits=n_bits, n_train=50, n_val=10, n_test=n)
    base = task.baselines(task.make(seed))
    # no_carry is right on a whole sum iff no column carries: (3/4)^n_bits
    p = 0.75 ** n_bits
    assert abs(base["no_carry"]["sequence_accuracy"] - p) < 5 * math.sqrt(p * (1 - p) / n)
    # zeros: n_bits fair sum bits and a final carry that is 1 w.p. 1/2 - 2^-(n_bits+1)
    p0 = (0.5 * n_bits + 0.5 + 2.0 ** -(n_bits + 1)) / (n_bits + 1)
    sd = math.sqrt(0.25 / (n * (n_bits + 1)))
    assert abs(base["zeros"]["accuracy"] - p0) < 6 * sd


# -------------------------------------------------------------------------------- ceilings
@pytest.mark.parametrize("random_phase", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_temporal_xor_ceiling_is_reached_by_xor_of_last_two(seed, random_phase):
    task = TemporalXOR(n_triples=8, n_train=5, n_val=20, n_test=20, random_phase=random_phase)
    d = task.make(seed)
    for split in SPLITS:
        sp = d.split(split)
        x = sp.x[:, :, 0] >= 0.5
        pred = np.zeros_like(sp.y)
        pred[1:, :, 0] = np.logical_xor(x[:-1], x[1:])
        assert task.score(pred, sp)["accuracy"] == task.ceiling(d, split) == 1.0


@pytest.mark.parametrize("name", sorted(TASKS))
def test_ceiling_is_no_worse_than_any_baseline(name):
    small = {"mnist1d": dict(num_samples=60), "mackey_glass": dict(length=20, transient=10,
                                                                   washout=2),
             "binary_addition": dict(n_train=40, n_val=40, n_test=40)}
    task = get_task(name, **small.get(name, {}))
    for seed in SEEDS[:2]:
        d = task.make(seed)
        for split in SPLITS:
            top = task.ceiling(d, split)
            if top is None:
                continue
            for scores in task.baselines(d, split).values():
                v = scores[task.metric]
                assert v <= top + 1e-9 if task.higher_is_better else v >= top - 1e-9


@pytest.mark.parametrize("corruption", ["flip", "erase"])
@pytest.mark.parametrize("seed", SEEDS)
def test_associative_bayes_ceiling(seed, corruption):
    task = AssociativeRecall(n_patterns=6, n_bits=12, noise=0.35, corruption=corruption,
                             n_train=30, n_val=400, n_test=10)
    d = task.make(seed)
    prob = posterior_bits(cues(d.val), d.meta["patterns"], 0.35, corruption)
    assert np.all((prob >= 0) & (prob <= 1 + 1e-12))
    top = task.ceiling(d, "val")
    base = task.baselines(d, "val")
    # Bayes-optimal bitwise recall: not below the cue and the nearest pattern (up to noise
    # of a finite sample: 400 x 12 bits)
    slack = 3 * math.sqrt(0.25 / (400 * 12))
    assert top >= base["cue"]["accuracy"] - slack
    assert top >= base["nearest_pattern"]["accuracy"] - slack
    clean = AssociativeRecall(n_patterns=3, n_bits=20, noise=0.0, n_train=3, n_val=5,
                              n_test=5).make(seed)
    assert AssociativeRecall(n_patterns=3, n_bits=20, noise=0.0).ceiling(clean, "val") == 1.0


# ------------------------------------------------------------------------------ literature
@pytest.mark.parametrize("name", sorted(TASKS))
def test_literature_entries_are_well_formed(name):
    task = get_task(name, **({"num_samples": 60} if name == "mnist1d" else {}))
    d = task.make(0) if task.literature else None
    for entry in task.literature:
        assert tuple(entry) == LITERATURE_KEYS
        assert entry["metric"] in task.score(_zeros_for(task, d.test), d.test)
        assert math.isfinite(entry["value"])
        assert re.search(r"(19|20)\d\d", entry["source"]) and entry["setting"]
    for name_, text in task.baseline_descriptions.items():
        assert name_ and text


def _zeros_for(task, split):
    if task.target == "class":
        return np.zeros((*split.y.shape, task.n_out), np.float32)
    return np.zeros_like(split.y, dtype=np.float32)


def test_known_literature_values():
    lit = {e["model"]: e for e in TASKS["mnist1d"].literature}
    assert {m: e["value"] for m, e in lit.items()} == {
        "logistic regression": 0.32, "MLP": 0.68, "CNN": 0.94, "GRU": 0.91}
    assert all("arXiv:2011.14439" in e["source"] for e in lit.values())
    (solved,) = TASKS["adding"].literature
    assert solved["model"] == "solved threshold" and solved["value"] == 0.01
    assert solved["metric"] == "mse"
    assert TASKS["copy"].literature == ()  # published copy baselines are cross-entropies
