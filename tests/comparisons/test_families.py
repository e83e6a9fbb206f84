"""Rule-swap families in comparisons: names, identical networks within a family, and a run
through run_suite."""

import numpy as np
import pytest

import comparisons
from comparisons.learners import get_learner
from comparisons.learners.families import FAMILIES, family_members
from comparisons.tasks import get_task

TINY = {"length": 20, "n_train": 24, "n_val": 8, "n_test": 8}


def test_list_families_names_every_rule_as_family_colon_rule():
    fams = comparisons.list_families()
    assert fams["rsnn"] == sorted(["bptt", "tbptt", "eprop_symmetric", "eprop_random",
                                   "readout"])
    for rule, name in FAMILIES["rsnn"].items():
        assert name == f"rsnn:{rule}" and name in comparisons.list_learners()


def test_within_a_family_only_the_rule_differs():
    task = get_task("spike_patterns", **TINY)
    data = task.make(0)
    members = family_members("rsnn")
    spaces = {r: cls.search_space for r, cls in members.items()}
    assert all(s == spaces["bptt"] for s in spaces.values())  # same tuning space
    weights, counts = {}, {}
    for rule in members:
        lr = get_learner(f"rsnn:{rule}", seed=3, device="cpu", epochs=1)
        lr._build(task, data.train.x.shape[-1])
        weights[rule] = {k: v.detach().numpy().copy() for k, v in lr._net.weights.items()}
        counts[rule] = lr.param_count()
    assert len(set(counts.values())) == 1 and counts["bptt"] > 0
    for rule in members:
        for k, v in weights["bptt"].items():
            np.testing.assert_array_equal(weights[rule][k], v)


def test_family_scorecards_follow_what_each_rule_computes():
    m = family_members("rsnn")
    assert not m["bptt"].scorecard["online_in_time"]
    assert not m["eprop_symmetric"].scorecard["no_weight_transport"]
    assert m["eprop_random"].scorecard["no_weight_transport"]
    assert m["eprop_random"].scorecard["local_learning"]
    assert not m["bptt"].scorecard["local_learning"]


@pytest.mark.parametrize("rule", ["bptt", "readout"])
def test_family_rules_run_through_run_suite(rule):
    rows = comparisons.run_suite(["spike_patterns"], [f"rsnn:{rule}"], seeds=[0],
                                 task_params={"spike_patterns": TINY},
                                 learner_params={f"rsnn:{rule}": {"epochs": 2}},
                                 progress=False)
    (row,) = rows
    assert row["status"] == "ok", row.get("error")
    assert row["learner"] == f"rsnn:{rule}" and row["readout"] == rule
    assert np.isfinite(row["metrics"]["accuracy"])
    if rule == "bptt":
        assert row["train_ops"]["mac"] > 0 and row["train_memory_bytes"] > 0
    else:
        assert row["train_ops"]["plasticity_updates"] > 0
