"""Registry, determinism, shapes, scoring and bad input for every task (small settings)."""

from __future__ import annotations

import numpy as np
import pytest

from comparisons.tasks import (
    SPLITS,
    TASKS,
    Task,
    describe,
    format_table,
    get_task,
    list_tasks,
)

#: small settings per task so the whole file runs in seconds
SMALL = {
    "adding": dict(length=12, n_train=40, n_val=15, n_test=20),
    "associative_recall": dict(n_patterns=3, n_bits=16, n_train=30, n_val=9, n_test=12),
    "binary_addition": dict(train_bits=4, test_bits=6, n_train=30, n_val=7, n_test=10),
    "copy": dict(n_symbols=4, n_recall=3, delay=5, n_train=30, n_val=8, n_test=10),
    "mackey_glass": dict(length=30, n_train=4, n_val=2, n_test=3, washout=5, transient=20),
    "mnist1d": dict(num_samples=100),
    "neurobench_mackey_glass": dict(),  # NeuroBench's fixed sizes (one sequence per split)
    "seq_digits": dict(n_train=60, n_val=20, n_test=30),
    "spike_patterns": dict(n_classes=3, n_channels=6, length=15, n_train=30, n_val=9,
                           n_test=12),
    "temporal_xor": dict(n_triples=5, n_train=30, n_val=6, n_test=10),
}
#: settings that fix a dataset task's split for every seed
FIXED_SPLIT = {"mnist1d": dict(resplit=False), "seq_digits": dict(split_seed=0)}


def test_registry_has_all_tasks():
    assert list_tasks() == sorted(SMALL)
    for name, cls in TASKS.items():
        assert cls.name == name
        assert cls.target in ("binary", "class", "real")
        assert cls.output in ("per_step", "final")
        assert cls.description and cls.chance_note


def test_unknown_task_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown task 'addng'; choose from: adding, "
                                         r"associative_recall, binary_addition"):
        get_task("addng")


@pytest.fixture(scope="module", params=sorted(SMALL))
def made(request):
    name = request.param
    task = get_task(name, **SMALL[name])
    return name, task, task.make(0)


def _perfect(task: Task, split) -> np.ndarray:
    if task.target == "class":
        return np.eye(task.n_out, dtype=np.float32)[split.y]
    return split.y.astype(np.float32).copy()


def test_shapes_and_dtypes(made):
    name, task, data = made
    for split in (data.train, data.val, data.test):
        T, B, F = split.x.shape
        assert split.x.dtype == np.float32 and F == task.n_in
        if task.output == "final":
            want = (B,) if task.target == "class" else (B, task.n_out)
            assert split.y.shape == want and split.mask is None
        else:
            want = (T, B) if task.target == "class" else (T, B, task.n_out)
            assert split.y.shape == want
            assert split.mask is not None and split.mask.dtype == bool and split.mask.any()
        if task.target == "class":
            assert split.y.dtype == np.int64
            assert 0 <= split.y.min() and split.y.max() < task.n_out
        if task.target == "binary":
            assert set(np.unique(split.y)) <= {0.0, 1.0}
        assert np.all(np.isfinite(split.x))
    sizes = {s: data.split(s).n_samples for s in SPLITS}
    assert sizes == task.split_sizes() == data.meta["split_sizes"]
    for s in SPLITS:
        assert sizes[s] == SMALL[name].get(f"n_{s}", sizes[s])


def test_same_seed_same_data(made):
    name, task, data = made
    again = get_task(name, **SMALL[name]).make(0)
    for s in SPLITS:
        np.testing.assert_array_equal(data.split(s).x, again.split(s).x)
        np.testing.assert_array_equal(data.split(s).y, again.split(s).y)


@pytest.mark.parametrize("seed", [1, 2])
def test_different_seed_different_data(made, seed):
    """A run's seed resamples all three splits, datasets included (re-split)."""
    name, task, data = made
    other = task.make(seed)
    for s in SPLITS:
        assert not np.array_equal(data.split(s).x, other.split(s).x), s


@pytest.mark.parametrize("name", sorted(FIXED_SPLIT))
def test_dataset_split_can_be_fixed(name):
    task = get_task(name, **SMALL[name], **FIXED_SPLIT[name])
    a, b = task.make(0), task.make(3)
    np.testing.assert_array_equal(a.test.x, b.test.x)
    assert a.meta["resplit"] is False


def test_perfect_prediction_scores_best(made):
    _, task, data = made
    s = task.score(_perfect(task, data.test), data.test)
    assert task.metric in s
    best = 0.0 if not task.higher_is_better else 1.0
    assert s[task.metric] == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("split", SPLITS)
def test_chance_and_baselines_have_score_keys(made, split):
    _, task, data = made
    sp = data.split(split)
    keys = set(task.score(_perfect(task, sp), sp))
    base = task.baselines(data, split)
    assert "chance" in base
    assert set(base) == set(task.baseline_descriptions)  # every baseline is described
    for scores in base.values():
        assert set(scores) == keys
    c = base["chance"][task.metric]
    perfect = 0.0 if not task.higher_is_better else 1.0
    assert c != pytest.approx(perfect)
    assert base == task.baselines(data, split)  # deterministic


def test_score_rejects_wrong_shape(made):
    _, task, data = made
    bad = np.zeros((3, 2, 1), dtype=np.float32)
    with pytest.raises(ValueError, match="predictions for a .* task must have shape"):
        task.score(bad, data.test)


def test_config_is_plain_and_reproduces_task(made):
    name, task, _ = made
    cfg = task.config()
    params = {k: v for k, v in cfg.items() if k not in ("n_in", "n_out")}
    assert cfg == get_task(name, **params).config()
    assert all(isinstance(v, (int, float, str, bool, type(None))) for v in cfg.values())


def test_inputs_not_modified_by_scoring(made):
    _, task, data = made
    y0 = data.test.y.copy()
    pred = _perfect(task, data.test)
    p0 = pred.copy()
    task.score(pred, data.test)
    for split in SPLITS:
        task.baselines(data, split)
        task.trivial_best(data, split)
        task.ceiling(data, split)
    np.testing.assert_array_equal(data.test.y, y0)
    np.testing.assert_array_equal(pred, p0)


@pytest.mark.parametrize(("name", "param", "value", "exc", "msg"), [
    ("adding", "n_train", 0, ValueError, r"AddingProblem.n_train must be >= 1, got 0"),
    ("adding", "length", 1.5, TypeError,
     r"AddingProblem.length must be an int, got float \(1.5\)"),
    ("copy", "delay", 0, ValueError, r"CopyTask.delay must be >= 1, got 0"),
    ("copy", "n_symbols", 1, ValueError, r"CopyTask.n_symbols must be >= 2, got 1"),
    ("temporal_xor", "n_triples", -3, ValueError, r"TemporalXOR.n_triples must be >= 1"),
    ("temporal_xor", "random_phase", 1, TypeError, r"random_phase must be a bool"),
    ("mackey_glass", "tau", -1.0, ValueError, r"MackeyGlass.tau must be > 0"),
    ("mackey_glass", "sample_dt", 0.25, ValueError, r"sample_dt must be a multiple of 0.1"),
    ("mackey_glass", "washout", 500, ValueError,
     r"MackeyGlass.washout must be in \[0, 199\], got 500"),
    ("seq_digits", "test_fraction", 1.0, ValueError,
     r"SequentialDigits.test_fraction must be in \(0.0, 1.0\), got 1.0"),
    ("seq_digits", "val_fraction", 0.85, ValueError,
     r"test_fraction and val_fraction must leave every split .* non-empty"),
    ("mnist1d", "val_fraction", 0.0, ValueError,
     r"MNIST1D.val_fraction must be in \(0.0, 1.0\], got 0.0"),
    ("mnist1d", "resplit", 1, TypeError, r"MNIST1D.resplit must be a bool, got 1"),
    ("adding", "n_val", 0, ValueError, r"AddingProblem.n_val must be >= 1, got 0"),
    ("binary_addition", "n_val", 2.0, TypeError,
     r"BinaryAddition.n_val must be an int, got float \(2.0\)"),
    ("copy", "n_val", -1, ValueError, r"CopyTask.n_val must be >= 1, got -1"),
    ("temporal_xor", "n_val", 0, ValueError, r"TemporalXOR.n_val must be >= 1"),
    ("mackey_glass", "n_val", 0, ValueError, r"MackeyGlass.n_val must be >= 1"),
    ("spike_patterns", "n_val", 0, ValueError, r"SpikePatterns.n_val must be >= 1"),
    ("associative_recall", "n_val", 0, ValueError, r"AssociativeRecall.n_val must be >= 1"),
    ("seq_digits", "n_val", 0, ValueError, r"SequentialDigits.n_val must be >= 1"),
    ("mnist1d", "num_samples", 5, ValueError, r"MNIST1D.num_samples must be >= 20, got 5"),
    ("spike_patterns", "jitter", -1.0, ValueError, r"SpikePatterns.jitter must be >= 0"),
    ("spike_patterns", "spikes_per_channel", 99, ValueError,
     r"spikes_per_channel must be in \[1, 50\], got 99"),
    ("spike_patterns", "p_drop", 1.0, ValueError,
     r"SpikePatterns.p_drop must be in \[0.0, 1.0\), got 1.0"),
    ("associative_recall", "corruption", "smudge", ValueError,
     r"unknown corruption 'smudge'; choose from: erase, flip"),
    ("associative_recall", "presentation", "diag", ValueError,
     r"unknown presentation 'diag'; choose from: parallel, serial"),
    ("associative_recall", "noise", 1.0, ValueError,
     r"AssociativeRecall.noise must be in \[0.0, 1.0\), got 1.0"),
])
def test_bad_parameters(name, param, value, exc, msg):
    with pytest.raises(exc, match=msg):
        get_task(name, **{param: value})


@pytest.mark.parametrize("seed", [-1, 1.0, "0"])
def test_bad_seed(seed):
    task = get_task("adding", **SMALL["adding"])
    with pytest.raises((ValueError, TypeError), match="seed must be"):
        task.make(seed)


def test_describe_table():
    rows = describe()
    assert [r["name"] for r in rows] == list_tasks()
    assert {"name", "target", "output", "metric", "chance", "n_val", "baselines"} <= set(rows[0])
    text = format_table(rows)
    for name in list_tasks():
        assert name in text
    assert "mse (lower better)" in text
    by_name = {r["name"]: r for r in rows}
    for name, cls in TASKS.items():
        assert by_name[name]["n_val"] == cls().split_sizes()["val"] >= 1
        assert by_name[name]["baselines"] == tuple(cls.baseline_descriptions)
    assert "chance, persistence" in text
    small = {r["name"]: r for r in describe(task_params={"adding": dict(n_val=7)})}
    assert small["adding"]["n_val"] == 7
    # rows without the newer keys still format
    assert "adding" in format_table([{k: v for k, v in rows[0].items() if k != "n_val"}])


def test_full_settings_construct_every_task():
    from comparisons.tasks import FULL_SETTINGS

    assert sorted(FULL_SETTINGS) == list_tasks()
    for name, params in FULL_SETTINGS.items():
        task = get_task(name, **params)
        for k, v in params.items():
            assert task.config()[k] == v


def test_describe_measured_chance_agrees_with_theory():
    small = {"mnist1d": dict(num_samples=1000), "adding": dict(length=10, n_train=500)}
    rows = {r["name"]: r for r in describe(measure=True, seed=0, task_params=small)}
    assert abs(rows["adding"]["chance_measured"] - 1 / 6) < 0.03
    # the train mean scored on test: nrmse = sqrt(1 + (mean gap / sd)^2) >= 1
    assert 1.0 <= rows["mackey_glass"]["chance_measured"] < 1.1
    assert abs(rows["temporal_xor"]["chance_measured"] - 0.5) < 0.03
    for name in ("mnist1d", "seq_digits"):
        assert 0.1 <= rows[name]["chance_measured"] < 0.15  # majority of 10 ~balanced classes
    assert rows["spike_patterns"]["chance_measured"] == pytest.approx(1 / 5)
    assert "chance_measured" in format_table(list(rows.values()))
    with pytest.raises(ValueError, match="unknown task 'addng'"):
        describe(measure=True, task_params={"addng": {}})


def test_mackey_glass_smape_counts_a_diverged_prediction_as_the_worst_term():
    from comparisons.tasks.mackey_glass import smape

    y = np.array([1.0, 2.0, 0.5, 1.5])
    good = np.array([1.0, 1.0, 0.5, 1.5])
    assert smape(good, y) == pytest.approx(200 / 4 * (1 / 3))
    for bad in (np.nan, np.inf):
        pred = good.copy()
        pred[0] = bad
        # the NaN / inf term is 200 (|y - yhat| / (|y| + |yhat|) -> 1), not 0
        assert smape(pred, y) == pytest.approx(200 / 4 * (1 + 1 / 3))
    assert smape(np.zeros(2), np.zeros(2)) == 0.0
