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
    assert fams["rnn"] == sorted(["bptt", "tbptt", "feedback_alignment", "rflo",
                                  "hessian_free", "readout"])
    for fam in ("rsnn", "rnn"):
        for rule, name in FAMILIES[fam].items():
            assert name == f"{fam}:{rule}" and name in comparisons.list_learners()


def test_rate_family_shares_the_network_and_differs_only_in_the_rule():
    task = get_task("temporal_xor", n_triples=2, n_train=16, n_val=8, n_test=8)
    members = family_members("rnn")
    states, counts = {}, {}
    for rule in members:
        lr = get_learner(f"rnn:{rule}", seed=2, device="cpu", epochs=1)
        lr._setup(task)
        states[rule] = {k: v.clone() for k, v in lr._model.state_dict().items()}
        counts[rule] = lr.param_count()
    assert len(set(counts.values())) == 1
    for rule in members:
        for k, v in states["bptt"].items():
            assert (states[rule][k] == v).all(), (rule, k)
    # the same budget: every rule's space has the same number of settings; Hessian-free
    # tunes its damping where the others tune Adam's learning rate
    assert {len(c.search_space) for c in members.values()} == {2}
    assert "damping" in members["hessian_free"].search_space


@pytest.mark.parametrize("rule", ["feedback_alignment", "readout", "hessian_free"])
def test_rate_family_rules_train_through_run_suite(rule):
    rows = comparisons.run_suite(
        ["temporal_xor"], [f"rnn:{rule}"], seeds=[0], progress=False,
        task_params={"temporal_xor": {"n_triples": 2, "n_train": 16, "n_val": 8,
                                      "n_test": 8}},
        learner_params={f"rnn:{rule}": {"epochs": 1, "hidden_size": 8}})
    (row,) = rows
    assert row["status"] == "ok", row.get("error")
    assert row["readout"].startswith(rule) and row["train_ops"]["mac"] > 0
    assert ("frozen" in row["readout"]) == (rule == "readout")


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
    assert row["learner"] == f"rsnn:{rule}" and row["readout"].startswith(rule)
    assert ("frozen" in row["readout"]) == (rule == "readout")  # said in the row
    assert np.isfinite(row["metrics"]["accuracy"])
    if rule == "bptt":
        assert row["train_ops"]["mac"] > 0 and row["train_memory_bytes"] > 0
    else:
        assert row["train_ops"]["plasticity_updates"] > 0


def test_all_leaves_family_members_out_and_the_families_preset_names_them():
    from comparisons.config import config_from_dict
    from comparisons.presets import get_preset

    cfg = config_from_dict({"tasks": ["adding"], "learners": "all"})
    assert not any(":" in n for n in cfg.learners) and "lstm" in cfg.learners
    fam = config_from_dict(get_preset("families"))
    want = {n for f in FAMILIES.values() for n in f.values()}
    assert set(fam.learners) == want


@pytest.mark.parametrize("task, params", [
    ("adding", {"length": 10, "n_train": 24, "n_val": 8, "n_test": 8}),        # real, final
    ("temporal_xor", {"n_triples": 2, "n_train": 24, "n_val": 8, "n_test": 8}),  # binary, per step
])
def test_the_spiking_family_takes_per_step_and_real_valued_tasks(task, params):
    rows = comparisons.run_suite([task], ["rsnn:eprop_random", "rsnn:tbptt"], seeds=[0],
                                 task_params={task: params}, progress=False,
                                 learner_params={"rsnn:eprop_random": {"epochs": 2},
                                                 "rsnn:tbptt": {"epochs": 2}})
    assert [r["status"] for r in rows] == ["ok", "ok"], [r.get("error") for r in rows]
    for r in rows:
        assert all(np.isfinite(v) for v in r["metrics"].values())


def test_report_shows_each_family_as_a_task_by_rule_matrix():
    from comparisons.report import Report
    from comparisons.report.tables import family_tables

    task = {"spike_patterns": TINY}
    rows = comparisons.run_suite(["spike_patterns"], ["rsnn:readout", "rsnn:eprop_random",
                                                      "lstm"], seeds=[0, 1],
                                 task_params=task, progress=False,
                                 learner_params={"rsnn:readout": {"epochs": 2},
                                                 "rsnn:eprop_random": {"epochs": 2},
                                                 "lstm": {"epochs": 1}})
    rep = Report(rows)
    (fam,) = family_tables(rows, rep.task_summaries())
    assert fam["family"] == "rsnn" and fam["head"] == ["task", "metric", "eprop_random",
                                                       "readout"]
    (row,) = fam["body"]
    ts = rep.task_summaries()["spike_patterns"]["learners"]
    means = {r: ts[f"rsnn:{r}"]["mean"] for r in ("eprop_random", "readout")}
    best = max(means, key=means.get)
    assert row[0] == "spike_patterns" and row[2 + ["eprop_random", "readout"].index(best)
                                              ].endswith("*")
    for text in (rep.markdown(), rep.html()):
        assert "Rule-swap families" in text and "Family rsnn" in text


@pytest.mark.parametrize("name", ["rsnn:eprop_random", "rnn:rflo"])
def test_family_learners_pickle_with_their_weights(name):
    # the classes are made by a factory: they must still be importable by name, or a
    # fitted learner cannot cross to a Dask worker or a pickle file
    import pickle

    task = get_task("temporal_xor", n_triples=2, n_train=16, n_val=8, n_test=8)
    data = task.make(0)
    lr = get_learner(name, epochs=1, device="cpu")
    lr.fit(task, data)
    back = pickle.loads(pickle.dumps(lr))
    assert type(back) is type(lr)
    np.testing.assert_array_equal(back.predict(data.test.x), lr.predict(data.test.x))
