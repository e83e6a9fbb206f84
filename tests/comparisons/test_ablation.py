"""Ablation grids: a learner run as a factorial grid of settings, the report's table and
main effects (issue "rule-swap families": stdp_reservoir's input coding x plasticity x
readout)."""

import numpy as np
import pytest

from comparisons.report import Report
from comparisons.report.tables import ablation_tables
from comparisons.sweep import run_suite


def _row(variant, seed, acc, status="ok", error=None):
    label = "m[" + ",".join(f"{k}={v}" for k, v in sorted(variant.items())) + "]"
    return {"task": "t", "learner": "m", "learner_label": label, "learner_variant": variant,
            "seed": seed, "metric": "accuracy", "higher_is_better": True, "status": status,
            "error": error, "metrics": {"accuracy": acc} if status == "ok" else {}}


def test_main_effects_of_a_full_2x2_design_are_the_mean_paired_differences():
    # accuracy = 0.5 + 0.2 [a=1] + 0.1 [b=y] + 0.05 [a=1 and b=y] (an interaction)
    rows = []
    for a in (0, 1):
        for b in ("x", "y"):
            for seed, noise in ((0, -0.01), (1, 0.01)):
                rows.append(_row({"a": a, "b": b}, seed,
                                 0.5 + 0.2 * a + 0.1 * (b == "y") + 0.05 * (a and b == "y")
                                 + noise))
    (ab,) = ablation_tables(rows)["t"]
    assert ab["factors"] == ["a", "b"] and len(ab["body"]) == 4
    eff = {(r[0], r[1]): r for r in ab["effects_body"]}
    # a: 0 -> 1 is +0.2 at b=x and +0.25 at b=y: mean 0.225, min 0.2, max 0.25, 2 pairs
    fa = eff[("a", "0 → 1")]
    assert float(fa[2]) == pytest.approx(0.225) and float(fa[3]) == pytest.approx(0.2)
    assert float(fa[4]) == pytest.approx(0.25) and fa[5] == 2
    fb = eff[("b", "x → y")]
    assert float(fb[2]) == pytest.approx(0.125) and fb[5] == 2


def test_a_skipped_corner_is_listed_with_its_reason_and_left_out_of_the_effects():
    rows = [_row({"a": 0, "b": "x"}, 0, 0.5), _row({"a": 1, "b": "x"}, 0, 0.7),
            _row({"a": 0, "b": "y"}, 0, 0.6),
            _row({"a": 1, "b": "y"}, 0, None, status="skipped", error="no meaning")]
    (ab,) = ablation_tables(rows)["t"]
    notes = {tuple(r[:2]): r[-1] for r in ab["body"]}
    assert notes[("1", "y")] == "skipped: no meaning"
    eff = {(r[0], r[1]): r for r in ab["effects_body"]}
    assert eff[("a", "0 → 1")][5] == 1 and float(eff[("a", "0 → 1")][2]) == pytest.approx(0.2)
    assert eff[("b", "x → y")][5] == 1 and float(eff[("b", "x → y")][2]) == pytest.approx(0.1)


def test_stdp_reservoir_grid_runs_through_run_suite_and_the_report_shows_the_ablation():
    rows = run_suite(
        ["temporal_xor"], ["stdp_reservoir"], seeds=[0], progress=False,
        task_params={"temporal_xor": {"n_triples": 2, "n_train": 24, "n_val": 8,
                                      "n_test": 8}},
        learner_params={"stdp_reservoir": {"n_neurons": 20, "steps_per_input": 3,
                                           "readout": "ridge"}},
        learner_grid={"stdp_reservoir": {"input_coding": ["poisson", "analog"],
                                         "n_stdp": [0, 2]}})
    by = {(r["learner_variant"]["input_coding"], r["learner_variant"]["n_stdp"]): r
          for r in rows}
    assert len(by) == 4
    skipped = by[("analog", 2)]
    assert skipped["status"] == "skipped" and "n_stdp=0" in skipped["error"]
    assert all(by[k]["status"] == "ok" for k in by if k != ("analog", 2))
    (ab,) = ablation_tables(rows)["temporal_xor"]
    assert ab["factors"] == ["input_coding", "n_stdp"]
    eff = {(r[0], r[1]): r for r in ab["effects_body"]}
    acc = {k: r["metrics"].get("accuracy") for k, r in by.items()}
    want = acc[("poisson", 0)] - acc[("analog", 0)]  # the one complete pair
    assert eff[("input_coding", "analog → poisson")][5] == 1
    assert float(eff[("input_coding", "analog → poisson")][2]) == pytest.approx(
        want, abs=5e-4)  # the table prints 4 digits
    rep = Report(rows)
    for text in (rep.markdown(), rep.html()):
        assert "Ablation of stdp_reservoir" in text and "skipped: stdp_reservoir" in text
    assert np.isfinite(acc[("poisson", 2)])


def test_diehl_cook_ablation_factors_plasticity_and_readout():
    from comparisons.learners import get_learner
    from comparisons.tasks import get_task

    task = get_task("seq_digits", n_train=60, n_val=20, n_test=20)
    data = task.make(0)
    off = get_learner("diehl_cook", n_exc=12, plasticity=False, readout="linear", seed=1)
    info = off.fit(task, data)
    m = off._model
    w0 = np.random.default_rng(1).random((1, m.config.n_input, 12)) * m.config.w_init_max
    np.testing.assert_array_equal(m.W_, w0[0])  # never learned (normalised when presented)
    assert np.all(m.theta_ == 0) and m.counters_.as_dict()["plasticity_updates"] == 0
    assert info.readout == "logistic regression on spike counts"
    p = off.predict(data.test.x)
    np.testing.assert_allclose(p.sum(1), 1.0)  # class probabilities
    on = get_learner("diehl_cook", n_exc=12, seed=1)
    on.fit(task, data)
    assert on._model.counters_.as_dict()["plasticity_updates"] > 0
    assert not np.allclose(on._model.W_, m.W_)
    assert off.scorecard["no_target_outputs"] is False and not off.scorecard["local_learning"]
    with pytest.raises(ValueError, match=r"unknown diehl_cook.readout 'svm'"):
        get_learner("diehl_cook", readout="svm")
    with pytest.raises(TypeError, match=r"diehl_cook.plasticity must be True or False"):
        get_learner("diehl_cook", plasticity=1)
