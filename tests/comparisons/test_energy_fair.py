"""Energy where it is fair to compare: break-even activity (theory), energy at a matched
validation score (validation chooses, never test), Pareto fronts over size sweeps, and the
report sections (comparisons.metrics.breakeven, comparisons.metrics.matched,
comparisons.report.fair)."""

import random

import pytest

from comparisons.metrics.breakeven import (
    break_even,
    dense_energy,
    event_price,
    input_steps,
    mac_price,
    spiking_energy,
)
from comparisons.metrics.energy import list_profiles
from comparisons.metrics.matched import (
    config_points,
    match_target,
    matched_energy,
    sweep_points,
)
from comparisons.metrics.ops import add_memory_traffic
from comparisons.metrics.profiles import LEVELS
from comparisons.report import Report
from comparisons.report.fair import matched_table, sweep_tables, task_fair

PROFILES = list_profiles()


def _spiking_ops(events=2000.0, spikes=100.0, neurons=50, steps=8, macs=300.0):
    """A small recurrent spiking network's op counts per inference (memory traffic by the
    suite's model) and its hardware record."""
    ops = add_memory_traffic({"synaptic_events": events, "spikes": spikes,
                              "neuron_updates": float(neurons * steps), "mac": macs})
    return ops


@pytest.mark.parametrize("footprint", [4e3, 1e5, 5e6])
@pytest.mark.parametrize("profile", PROFILES)
def test_break_even_equates_spiking_and_dense_energy(profile, footprint):
    ops = _spiking_ops()
    hw = {"synapses": 3000, "neurons": 50, "footprint_bytes": footprint}
    b = break_even(ops, hw, profile)
    assert b["why"] is None and b["steps"] == 8
    assert b["activity"] == pytest.approx(2000 / (3000 * 8))
    for lev in LEVELS:
        a_star = b["break_even"][lev]
        assert a_star > 0
        e_dense = dense_energy(ops, hw, profile)[lev]
        e_at = spiking_energy(ops, hw, profile, a_star)[lev]   # priced by energy.py
        assert abs(e_at - e_dense) <= 1e-9 * e_dense
        assert spiking_energy(ops, hw, profile, 0.9 * a_star)[lev] < e_dense
        assert spiking_energy(ops, hw, profile, 1.1 * a_star)[lev] > e_dense
    # at the measured activity the model reproduces the row's own priced energy
    e_meas = spiking_energy(ops, hw, profile, b["activity"])
    assert e_meas["typical"] == pytest.approx(b["e_meas"]["typical"], rel=1e-12)


def test_break_even_by_hand_on_cmos45():
    """Horowitz 45 nm: MAC 4.6 pJ, add 0.9 pJ; 1 MB SRAM 100 pJ per 8 bytes (12.5 pJ/B).
    With no fixed costs a* = c_mac / c_ev = (4.6 + 4*12.5) / (0.9 + 4*12.5)."""
    ops = add_memory_traffic({"synaptic_events": 1000.0, "spikes": 10.0,
                              "neuron_updates": 1.0})
    hw = {"synapses": 1000, "neurons": 1, "footprint_bytes": 1e5}
    assert mac_price("cmos45", 1e5) == pytest.approx(54.6)
    assert event_price("cmos45", 1e5, 0.01) == pytest.approx(50.9)  # spikes: included
    b = break_even(ops, hw, "cmos45")
    # one neuron update (neurosim's LIF step, 27.6 pJ typical, + 8 bytes of state) is the
    # only fixed cost
    fixed = 27.6 + 8 * 12.5
    assert b["break_even"]["typical"] == pytest.approx(
        (1000 * 54.6 - fixed) / (1000 * 50.9), rel=1e-12)
    assert b["ratio"]["typical"] == pytest.approx(54.6 / 50.9)


def test_break_even_on_loihi_prices_the_dense_network_on_its_host():
    ops = _spiking_ops()
    hw = {"synapses": 3000, "neurons": 50, "footprint_bytes": 1e5}
    b = break_even(ops, hw, "loihi")
    assert b["dense_on"] == "cmos45"
    # Loihi: 23.6 pJ per event + 1.7 pJ per spike at 0.05 spikes per event, memory inside
    assert b["c_ev"]["typical"] == pytest.approx(23.6 + 0.05 * 1.7)
    assert b["c_mac"]["typical"] == pytest.approx(54.6)


def test_fixed_costs_above_the_dense_energy_give_a_non_positive_break_even():
    ops = _spiking_ops(neurons=2000, steps=8, events=100.0)
    hw = {"synapses": 100, "neurons": 2000, "footprint_bytes": 1e5}
    b = break_even(ops, hw, "cmos45")
    assert b["break_even"]["typical"] < 0


def test_input_steps_divide_out_sub_steps_and_static_learners():
    ops = {"neuron_updates": 400.0 * 80}
    hw = {"neurons": 400}
    assert input_steps(ops, hw, {"steps_per_input": 10})[0] == 8
    assert input_steps(ops, hw, {})[0] == 80
    assert input_steps(ops, hw, {}, learner="diehl_cook")[0] == 1
    assert input_steps({}, hw)[0] is None


def test_not_spiking_or_unknown_size_is_explained():
    assert break_even({"mac": 10.0}, {"synapses": 5}, "cmos45")["why"].startswith(
        "no synaptic events")
    b = break_even({"synaptic_events": 5.0, "neuron_updates": 4.0}, {"neurons": 2},
                   "cmos45")
    assert b["why"] == "no synapse count recorded"


# ------------------------------------------------------------------- matched score rows
def _row(learner, seed, val, test, energy, variant=None, family="backprop", task="t",
         trivial=0.3, ops=None, hardware=None):
    label = learner + ("[" + ",".join(f"{k}={v}" for k, v in variant.items()) + "]"
                       if variant else "")
    e = {"min": energy * 0.8, "typical": energy, "max": energy * 1.2}
    return {"task": task, "learner": learner, "learner_label": label,
            "learner_variant": dict(variant or {}), "seed": seed, "status": "ok",
            "family": family, "metric": "accuracy", "higher_is_better": True,
            "metrics": {"accuracy": test}, "val_metrics": {"accuracy": val},
            "trivial_best": ["chance", trivial], "chance": {"accuracy": trivial},
            "energy_j": {p: e for p in PROFILES}, "ops": ops or {"mac": 100.0},
            "hardware": hardware or {"footprint_bytes": 1000}, "params": 10 * energy * 1e9,
            "config_hash": f"{label}{seed}", "scorecard": {}, "versions": {},
            "device": "cpu"}


def test_validation_chooses_the_configuration_never_test():
    # cheap config: fails the target on validation but is best on test; the dearer one
    # reaches it on validation: it must be the pick, reported with its (worse) test score
    rows = [_row("a", s, 0.70, 0.95, 1e-9, {"hidden_size": 8}) for s in (0, 1)]
    rows += [_row("a", s, 0.80, 0.60, 2e-9, {"hidden_size": 16}) for s in (0, 1)]
    pts = config_points(rows, "t", PROFILES)
    rec = matched_energy(pts, 0.75, PROFILES)[0]
    pick = rec["per_profile"]["cmos45"]
    assert rec["reaches"] and pick["config"] == "a[hidden_size=16]"
    assert pick["test"] == pytest.approx(0.60) and pick["val"] == pytest.approx(0.80)
    assert pick["energy"]["typical"] == pytest.approx(2e-9)


def test_test_scores_change_neither_target_nor_picks():
    rng = random.Random(0)
    rows = []
    for learner, vals in (("a", (0.5, 0.7, 0.9)), ("b", (0.4, 0.6)), ("c", (0.2,))):
        for i, v in enumerate(vals):
            for s in (0, 1):
                rows.append(_row(learner, s, v, rng.random(), (i + 1) * 1e-9,
                                 {"n_rec": 10 * (i + 1)}))
    pts = config_points(rows, "t", PROFILES)
    target = match_target(pts, trivial=0.3)
    # a's best 0.9, b's best 0.6; c (0.2) does not beat the trivial baseline (0.3)
    assert target["value"] == pytest.approx(0.6) and target["set_by"] == "b"
    picks = matched_energy(pts, target["value"], PROFILES)
    for _ in range(5):  # shuffle the test scores: nothing chosen may change
        for r in rows:
            r["metrics"]["accuracy"] = rng.random()
        pts2 = config_points(rows, "t", PROFILES)
        assert match_target(pts2, trivial=0.3)["value"] == target["value"]
        again = matched_energy(pts2, target["value"], PROFILES)
        assert [{p: (v or {}).get("config") for p, v in r["per_profile"].items()}
                for r in again] == [{p: (v or {}).get("config")
                                     for p, v in r["per_profile"].items()} for r in picks]
    by = {r["learner"]: r for r in picks}
    assert by["a"]["per_profile"]["cmos45"]["config"] == "a[n_rec=20]"  # 0.7 >= 0.6
    assert by["b"]["per_profile"]["cmos45"]["config"] == "b[n_rec=20]"


def test_a_learner_that_never_reaches_the_target_is_listed():
    rows = [_row("good", s, 0.8, 0.8, 1e-9) for s in (0, 1)]
    rows += [_row("weak", s, 0.5, 0.5, 1e-10) for s in (0, 1)]
    fair = task_fair(rows, "t", PROFILES, match=0.7)
    by = {r["learner"]: r for r in fair["matched"]}
    assert by["weak"]["reaches"] is False and by["weak"]["best_val"] == pytest.approx(0.5)
    assert all(v is None for v in by["weak"]["per_profile"].values())
    head, body = matched_table(fair, PROFILES)
    weak = next(r for r in body if r[0] == "weak")
    assert "does not reach" in weak[1] and weak[-1] == "does not reach"
    assert fair["target"]["rule"].startswith("declared level")


def test_lower_is_better_targets_and_matches():
    rows = []
    for learner, vals in (("a", (0.1, 0.3)), ("b", (0.25,))):
        for i, v in enumerate(vals):
            r = _row(learner, 0, v, v, (2 - i) * 1e-9, {"n_rec": i + 1})
            r["higher_is_better"] = False
            r["metric"] = "mse"
            r["metrics"], r["val_metrics"] = {"mse": v}, {"mse": v}
            r["trivial_best"] = ["mean", 1.0]
            rows.append(r)
    pts = config_points(rows, "t", PROFILES)
    t = match_target(pts, higher_is_better=False, trivial=1.0)
    assert t["value"] == pytest.approx(0.25) and t["set_by"] == "b"
    rec = {r["learner"]: r for r in matched_energy(pts, t["value"], PROFILES, False)}
    assert rec["a"]["per_profile"]["cmos45"]["config"] == "a[n_rec=1]"  # 0.1 <= 0.25


def test_pareto_front_over_a_size_sweep():
    rows = []
    # rnn:bptt: (E, test) = (1, .5), (2, .7), (4, .9); rnn:rflo: (1, .4), (2, .8), (4, .6)
    for rule, tests in (("bptt", (0.5, 0.7, 0.9)), ("rflo", (0.4, 0.8, 0.6))):
        for i, (h, t) in enumerate(zip((16, 32, 64), tests, strict=True)):
            rows.append(_row(f"rnn:{rule}", 0, t, t, 2 ** i * 1e-9, {"hidden_size": h}))
    rows += [_row("lstm", 0, 0.9, 0.9, 1e-8)]   # no sweep: not a family here
    fair = task_fair(rows, "t", PROFILES)
    assert list(fair["sweeps"]) == ["rnn"]
    assert [p["size"]["hidden_size"] for p in fair["sweeps"]["rnn"]["rflo"]] == [16, 32, 64]
    table = sweep_tables(fair, PROFILES)[0]
    col = table["head"].index("cmos45 [J]")
    starred = {(r[0], r[1]) for r in table["body"] if r[col].endswith("*")}
    # front: bptt@16 (1, .5) ; rflo@32 (2, .8) ; bptt@64 (4, .9). rflo@16 and bptt@32,
    # rflo@64 are dominated
    assert starred == {("bptt", "hidden_size=16"), ("rflo", "hidden_size=32"),
                       ("bptt", "hidden_size=64")}


def test_no_size_sweep_means_no_sweep_family():
    rows = [_row("lstm", 0, 0.9, 0.9, 1e-8), _row("rnn:bptt", 0, 0.9, 0.9, 1e-8,
                                                   {"hidden_size": 16})]
    assert sweep_points(config_points(rows, "t", PROFILES)) == {}


def test_report_renders_the_sections_and_omits_what_the_rows_lack(tmp_path):
    spk_ops = _spiking_ops()
    hw = {"synapses": 3000, "neurons": 50, "footprint_bytes": 2e4}
    rows = []
    for i, n in enumerate((25, 50)):
        for s in (0, 1):
            rows.append(_row("rsnn:bptt", s, 0.6 + 0.1 * i, 0.6, (i + 1) * 1e-8,
                             {"n_rec": n}, family="spiking", ops=spk_ops, hardware=hw))
    rows += [_row("rnn:bptt", s, 0.65, 0.7, 2e-8, {"hidden_size": 16}) for s in (0, 1)]
    # an old row: a float energy, no variant, no validation metrics, no hardware
    old = _row("lstm", 0, 0.5, 0.5, 1e-8, task="old")
    old["energy_j"] = {"cmos45": 1e-8}
    del old["val_metrics"], old["learner_label"], old["learner_variant"], old["hardware"]
    rows.append(old)
    rep = Report(rows, match={"t": 0.62})
    md = rep.markdown()
    assert "Energy per inference at a matched score" in md
    assert "validation accuracy 0.62" in md and "declared level" in md
    assert "Family rsnn" in md and "Break-even activity" in md
    assert "Dampfhoffer" in md
    # the old task: no sweep and no spiking learner, said so; no validation value
    old_part = md.split("## old")[1].split("## t")[0]
    assert "Omitted: no learner of this task ran at two or more sizes" in old_part
    assert "Omitted: no spiking learner" in old_part
    paths = rep.write(tmp_path / "r")
    names = {p.name for p in (tmp_path / "r" / "figures").iterdir()}
    assert {"t-sweep-rsnn.png", "t-break-even.png"} <= names
    html = paths["html"].read_text()
    assert "Break-even activity of the spiking learners" in html
    with pytest.raises(TypeError):
        Report(rows, match="high")


def test_failed_learner_and_unrecorded_profile_are_said():
    rows = [_row("a", s, 0.8, 0.8, 1e-9) for s in (0, 1)]
    for r in rows:   # an older row: profiles added later are not in it
        r["energy_j"] = {"cmos45": r["energy_j"]["cmos45"]}
    crashed = _row("b", 0, 0.9, 0.9, 1e-9)
    crashed["status"] = "failed"
    fair = task_fair(rows + [crashed], "t", PROFILES)
    head, body = matched_table(fair, PROFILES)
    a = next(r for r in body if r[0] == "a")
    assert a[head.index("loihi [J]")] == "n/a (not recorded)"
    b = next(r for r in body if r[0] == "b")
    assert "no finished run" in b[1]


def test_median_level_is_harder_and_shown_beside_the_weakest():
    rows = []
    for learner, v in (("a", 0.9), ("b", 0.6), ("d", 0.75), ("c", 0.2)):
        rows += [_row(learner, s, v, 1 - v, 1e-9) for s in (0, 1)]
    pts = config_points(rows, "t", PROFILES)
    med = match_target(pts, trivial=0.3, rule="median")
    assert med["value"] == pytest.approx(0.75) and med["set_by"] == "d"
    assert match_target(pts, trivial=0.3)["set_by"] == "b"
    fair = task_fair(rows, "t", PROFILES)
    assert [lv["target"]["value"] for lv in fair["levels"]] == pytest.approx([0.6, 0.75])
    reach = {r["learner"]: r["reaches"] for r in fair["levels"][1]["matched"]}
    assert reach == {"a": True, "d": True, "b": False, "c": False}
    assert len(task_fair(rows, "t", PROFILES, match=0.5)["levels"]) == 1
    with pytest.raises(ValueError, match="matched-score rule"):
        match_target(pts, rule="best")


def test_rows_without_validation_scores_have_no_matched_level():
    rows = [_row("a", 0, 0.8, 0.8, 1e-9)]
    del rows[0]["val_metrics"]
    t = match_target(config_points(rows, "t", PROFILES), trivial=0.3)
    assert t["value"] is None and "no validation scores" in t["rule"]


def test_the_qualifying_baseline_is_scored_on_validation():
    # b (best val 0.6) beats the validation baseline (0.5) but not the test one (0.65):
    # the target must come from the validation baseline (b qualifies, sets the weakest level)
    from comparisons.report.fair import target_text, task_fair

    rows = []
    for learner, v in (("a", 0.9), ("b", 0.6)):
        for s in (0, 1):
            r = _row(learner, s, v, v, 1e-9, trivial=0.65)
            r["val_trivial_best"] = ["chance", 0.5]
            rows.append(r)
    fair = task_fair(rows, "t", PROFILES)
    assert fair["trivial"] == {"name": "chance", "value": 0.5, "split": "val"}
    assert fair["target"]["value"] == pytest.approx(0.6)
    assert "test split" not in target_text(fair)
    for r in rows:                   # older rows: the test baseline, and the report says so
        del r["val_trivial_best"]
    fair = task_fair(rows, "t", PROFILES)
    assert fair["trivial"]["split"] == "test" and fair["target"]["value"] == pytest.approx(0.9)
    assert "scored on the test split" in target_text(fair)
