"""run_cell / run_suite: rows, failures recorded, skips explained, names validated."""

from typing import ClassVar

import numpy as np
import pytest

from comparisons.learners import LEARNERS, register
from comparisons.learners.base import FitInfo, Learner
from comparisons.runner import config_hash, run_cell
from comparisons.sweep import run_suite

SMALL = {"binary_addition": {"train_bits": 4, "test_bits": 6, "n_train": 64, "n_test": 32}}


class _Boom(Learner):
    name: ClassVar[str] = "test_boom"
    family: ClassVar[str] = "classical"
    scorecard: ClassVar[dict] = {}

    @classmethod
    def supports(cls, task):
        return True, ""

    def fit(self, task, data):
        raise RuntimeError("deliberate failure in fit")

    def predict(self, x):
        raise AssertionError

    def param_count(self):
        return 0


class _Majority(Learner):
    """Predicts the majority bit; only binary tasks."""

    name: ClassVar[str] = "test_majority"
    family: ClassVar[str] = "classical"
    scorecard: ClassVar[dict] = {}

    @classmethod
    def supports(cls, task):
        return (task.target == "binary", "binary targets only")

    def fit(self, task, data):
        self.p = float(data.train.y[data.train.mask].mean() >= 0.5)
        return FitInfo(readout="count")

    def predict(self, x):
        self.last_inference_ops = {"ac": 0.0}
        return np.full((x.shape[0], x.shape[1], 1), self.p, np.float32)

    def param_count(self):
        return 1


@pytest.fixture(autouse=True)
def _registered():
    register(_Boom)
    register(_Majority)
    yield
    LEARNERS.pop("test_boom", None)
    LEARNERS.pop("test_majority", None)


def test_failing_learner_is_recorded_and_suite_goes_on():
    rows = run_suite(["binary_addition"], ["test_boom", "test_majority"], seeds=[0, 1],
                     task_params=SMALL, progress=False)
    assert [r["status"] for r in rows] == ["failed", "failed", "ok", "ok"]
    assert "deliberate failure in fit" in rows[0]["error"]
    assert "Traceback" in rows[0]["error"]
    ok = rows[2]
    # the majority predictor scores exactly the chance baseline
    assert ok["metrics"]["accuracy"] == pytest.approx(ok["chance"]["accuracy"])


def test_row_has_the_contract_fields():
    row = run_cell("binary_addition", "test_majority", 3, SMALL["binary_addition"])
    for key in ("task", "learner", "seed", "config_hash", "metrics", "ops", "energy_j",
                "train_memory_bytes", "wall_s", "status", "versions", "device", "scorecard"):
        assert key in row, key
    assert row["seed"] == 3 and row["status"] == "ok"


def test_unsupported_task_is_skipped_with_reason():
    row = run_cell("adding", "test_majority", 0)
    assert row["status"] == "skipped"
    assert "binary targets only" in row["error"]


def test_config_hash_is_stable_and_sensitive():
    a = config_hash("t", {"x": 1}, "l", {"h": 2}, 0)
    assert a == config_hash("t", {"x": 1}, "l", {"h": 2}, 0)
    assert a != config_hash("t", {"x": 1}, "l", {"h": 2}, 1)
    assert a != config_hash("t", {"x": 2}, "l", {"h": 2}, 0)


def test_unknown_names_are_rejected_before_running():
    with pytest.raises(ValueError, match=r"unknown task 'addng'; choose from: .*adding"):
        run_suite(["addng"], ["lstm"], progress=False)
    with pytest.raises(ValueError, match=r"unknown learner 'lstn'; choose from: .*lstm"):
        run_suite(["adding"], ["lstn"], progress=False)
    with pytest.raises(ValueError, match=r"seed must be >= 0, got -1"):
        run_suite(["adding"], ["lstm"], seeds=[-1], progress=False)


TINY_ADD = {"adding": {"length": 6, "n_train": 24, "n_val": 12, "n_test": 10}}


def test_row_records_train_val_test_and_flags_a_trivial_learner():
    row = run_cell("binary_addition", "test_majority", 1, SMALL["binary_addition"])
    assert row["status"] == "ok"
    assert set(row["train_metrics"]) == set(row["val_metrics"]) == set(row["metrics"])
    # the majority bit of the training split *is* the chance baseline: it did not train
    assert row["metrics"]["accuracy"] == row["baselines"]["chance"]["accuracy"]
    name, value = row["trivial_best"]
    assert row["baselines"][name][row["metric"]] == value
    assert row["metrics"][row["metric"]] <= value
    assert row["flags"] == ["failed_to_train"]


def test_run_suite_checks_settings_before_running():
    from comparisons.protocol import Budget

    with pytest.raises(ValueError, match=r"learner 'lstm' has no setting 'hiden_size'; "
                                         r"choose from: .*hidden_size"):
        run_suite(["adding"], ["lstm"], learner_params={"lstm": {"hiden_size": 8}},
                  progress=False)
    with pytest.raises(ValueError, match=r"task 'adding' has no setting 'lenght'; "
                                         r"choose from: .*length"):
        run_suite(["adding"], ["lstm"], task_params={"adding": {"lenght": 8}},
                  progress=False)
    with pytest.raises(ValueError, match=r"epochs is set by the run's budget \(passes=20"):
        run_suite(["adding"], ["lstm"], learner_params={"lstm": {"epochs": 3}},
                  budget=Budget(), progress=False)
    with pytest.raises(ValueError, match=r"budget has no setting 'trails'"):
        run_suite(["adding"], ["lstm"], budget={"trails": 3}, progress=False)
    # an empty list is an error, as in the CLI, not an empty result
    with pytest.raises(ValueError, match=r"tasks must name at least one task, got an empty "
                                         r"list \(see `neurosim-compare list tasks`\)"):
        run_suite([], ["lstm"], progress=False)
    with pytest.raises(ValueError, match=r"learners must name at least one learner"):
        run_suite(["adding"], [], progress=False)


def test_run_suite_with_a_budget_tunes_once_then_runs_every_seed():
    from comparisons.protocol import Budget

    rows = run_suite(["adding"], ["lstm", "esn"], seeds=[0, 1], task_params=TINY_ADD,
                     learner_params={"lstm": {"hidden_size": 4}, "esn": {
                         "reservoir_size": 20}}, budget=Budget(trials=3, passes=2),
                     progress=False, device="cpu")
    assert [(r["learner"], r["seed"], r["status"]) for r in rows] == [
        ("lstm", 0, "ok"), ("lstm", 1, "ok"), ("esn", 0, "ok"), ("esn", 1, "ok")]
    for r in rows:
        t = r["tuning"]
        assert t["n_trials"] == 3 and len(t["trials"]) == 3 and t["tune_seed"] == 0
        assert r["budget"]["passes"] == 2
        # the chosen settings are the best trial's, over the defaults and the fixed ones
        for k, v in t["chosen"].items():
            assert r["chosen_params"][k] == v
        assert r["chosen_params"]["hidden_size" if r["learner"] == "lstm"
                                  else "reservoir_size"] in (4, 20)
    lstm = [r for r in rows if r["learner"] == "lstm"]
    assert lstm[0]["tuning"] == lstm[1]["tuning"]  # one study, every seed
    assert all(r["chosen_params"]["epochs"] == 2 for r in lstm)
    assert all(r["training"]["epochs_run"] <= 2 for r in lstm)
