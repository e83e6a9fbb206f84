"""Report class, summary statistics, Pareto front, CSV/JSON round trips."""

import csv
import io
import json

import numpy as np
import pytest

from comparisons import Report
from comparisons.report.summary import pareto_front, summarize


def _row(learner, seed, acc, family="backprop", **kw):
    row = {"task": "binary_addition", "learner": learner, "seed": seed, "family": family,
           "config_hash": f"{learner}-{seed}", "metric": "accuracy", "higher_is_better": True,
           "metrics": {"accuracy": acc, "bit": acc / 2}, "chance": {"accuracy": 0.5},
           "ops": {"mac": 100.0}, "energy_j": {"cmos45": 1e-9}, "energy_compute_j": {},
           "train_memory_bytes": 10, "wall_s": 1.0, "status": "ok",
           "learner_config": {"hidden_size": 4}}
    row.update(kw)
    return row


def test_summary_spreads_match_numpy():
    accs = [0.6, 0.7, 0.95]
    rows = [_row("lstm", s, a) for s, a in enumerate(accs)]
    rows.append(_row("lstm", 9, 0.1, status="failed"))
    (s,) = summarize(rows)
    assert s["mean"] == pytest.approx(np.mean(accs))
    assert s["std"] == pytest.approx(np.std(accs, ddof=1))
    assert (s["min"], s["max"], s["n_ok"], s["n_failed"]) == (0.6, 0.95, 3, 1)
    assert s["other_metrics"]["bit"][0] == pytest.approx(np.mean(accs) / 2)


def test_grid_variants_are_summarised_apart():
    rows = [_row("lstm", 0, 0.6, learner_label="lstm[hidden_size=4]"),
            _row("lstm", 0, 0.9, learner_label="lstm[hidden_size=8]")]
    assert [s["learner"] for s in summarize(rows)] == ["lstm[hidden_size=4]",
                                                       "lstm[hidden_size=8]"]


@pytest.mark.parametrize("higher", [True, False])
def test_pareto_front_is_the_non_dominated_set(higher):
    rng = np.random.default_rng(1)
    pts = [tuple(p) for p in rng.random((40, 2))]
    front = set(pareto_front(pts, higher))
    sign = 1 if higher else -1
    for i, (e, m) in enumerate(pts):
        dominated = any(e2 <= e and sign * m2 >= sign * m and (e2, m2) != (e, m)
                        for e2, m2 in pts)
        assert (i in front) == (not dominated)
    assert pareto_front([(1.0, float("nan")), (2.0, 0.5)]) == [1]


def test_report_write_and_reload_round_trip(tmp_path):
    rows = [_row("lstm", 0, 0.9), _row("lif", 0, 0.7, family="spiking", artifacts={
        "raster_t": np.arange(5), "raster_i": np.arange(5), "weights": np.ones(10)})]
    mem = [{"learner": "lstm", "learner_hash": "h", "probe_task": "adding", "length": T,
            "train_memory_bytes": 100 * T, "status": "ok", "error": None} for T in (10, 20)]
    paths = Report(rows, title="t", memory=mem).write(tmp_path / "o")
    assert set(paths) == {"json", "csv", "markdown", "html", "artifacts"}
    back = Report.from_json(paths["json"])
    assert back.memory == mem
    assert back.rows[1]["artifacts"]["raster_t"] == list(range(5))
    html = paths["html"].read_text()
    assert "lif spike raster" in html and "lif weight histogram" in html
    recs = list(csv.DictReader(io.StringIO(paths["csv"].read_text())))
    assert json.loads(recs[0]["learner_config"]) == {"hidden_size": 4}
    md = back.markdown()
    assert "| lstm |" in md and "Training memory vs sequence length" in md
    assert "## Protocol" in md and "Best mean test accuracy" in md
    # every metric of Task.score is shown beside the headline, test (val / train)
    assert "| bit test (val / train) |" in md


def test_task_summaries_follow_the_report_settings():
    rows = [_row(name, s, a + 0.01 * s) for name, a in (("lstm", 0.9), ("gru", 0.5))
            for s in range(4)]
    rep = Report(rows, test="wilcoxon", alpha=0.1)
    cmp = rep.task_summaries()["binary_addition"]["comparison"]
    assert cmp["test"] == "wilcoxon" and cmp["alpha"] == 0.1
    assert cmp["tied_for_best"] == ["lstm", "gru"]  # 4 seeds: Wilcoxon's p >= 0.125
    assert "no difference can be significant at alpha = 0.1" in rep.markdown()


def test_report_rejects_non_rows():
    with pytest.raises(TypeError, match="list of result rows"):
        Report({"rows": []})
    with pytest.raises(TypeError, match="Report.title must be a string"):
        Report([], title=3)


def test_markdown_escapes_html_in_user_strings():
    evil = "<img src=x onerror=alert(1)>"
    md = Report([_row(evil, 0, 0.9)], title=f"t {evil}").markdown()
    assert evil not in md and "&lt;img src=x onerror=alert(1)&gt;" in md


# ------------------------------------------ fair-comparison sections in results.json
def _fair_rows():
    """Task "t": learner a reaches 0.8 on validation, b 0.6, a spiking learner s 0.7 with
    synaptic events and a synapse count (a break-even point); trivial baseline 0.3."""
    from comparisons.metrics.energy import list_profiles
    from comparisons.metrics.ops import add_memory_traffic

    profiles = list_profiles()
    rows = []
    for name, val, energy, fam in (("a", 0.8, 1e-9, "backprop"), ("b", 0.6, 2e-9, "backprop"),
                                   ("s", 0.7, 3e-9, "spiking")):
        for seed in (0, 1):
            e = {"min": 0.8 * energy, "typical": energy, "max": 1.2 * energy}
            ops = (add_memory_traffic({"synaptic_events": 2000.0, "spikes": 100.0,
                                       "neuron_updates": 400.0}) if fam == "spiking"
                   else {"mac": 100.0})
            rows.append({"task": "t", "learner": name, "seed": seed, "status": "ok",
                         "family": fam, "metric": "accuracy", "higher_is_better": True,
                         "metrics": {"accuracy": val - 0.05}, "val_metrics": {"accuracy": val},
                         "trivial_best": ["chance", 0.3], "val_trivial_best": ["chance", 0.3],
                         "chance": {"accuracy": 0.3}, "energy_j": {p: e for p in profiles},
                         "ops": ops, "config_hash": f"{name}{seed}", "device": "cpu",
                         "hardware": {"footprint_bytes": 2e4, "synapses": 3000,
                                      "neurons": 50},
                         "chosen_params": {}, "scorecard": {}, "versions": {}})
    return rows


def test_results_json_holds_the_fair_comparison_sections(tmp_path):
    from comparisons.metrics.energy import list_profiles
    from comparisons.report import load_fair
    from comparisons.report.fair import task_fair
    from comparisons.report.io import FAIR_KEYS, results_json

    rows = _fair_rows()
    paths = Report(rows, match={"t": 0.65}).write(tmp_path / "o")
    fair = json.loads(paths["json"].read_text())["fair"]
    assert load_fair(paths["json"]) == fair
    assert set(fair) == {"t"} and set(fair["t"]) == set(FAIR_KEYS)
    t = fair["t"]
    assert t["metric"] == "accuracy" and t["higher_is_better"] is True
    assert t["trivial"] == {"name": "chance", "value": 0.3, "split": "val"}
    # the declared level: its target, and per learner whether it reaches it and its pick
    (level,) = t["levels"]
    assert level["target"]["value"] == 0.65
    picks = {m["learner"]: m for m in level["matched"]}
    assert picks["a"]["reaches"] and picks["s"]["reaches"] and not picks["b"]["reaches"]
    pick = picks["a"]["per_profile"]["cmos45"]
    assert pick["config"] == "a" and pick["val"] == pytest.approx(0.8)
    assert pick["energy"]["typical"] == pytest.approx(1e-9)
    # break-even of the spiking configuration, as the report computes it
    (be,) = t["break_even"]
    # events per synapse per input step (400 neuron updates of 50 neurons: 8 steps)
    assert be["config"] == "s" and be["activity"] == pytest.approx(2000 / (3000 * 8))
    want = task_fair(rows, "t", list_profiles(), {"t": 0.65})
    assert [be] == json.loads(json.dumps(want["break_even"]))
    assert be["profiles"]["cmos45"]["break_even"]["typical"] > 0
    # without a declared level: the default rule's levels (the best validation score of
    # the weakest and of the median learner above the baseline: b, then s)
    default = json.loads(results_json(rows))["fair"]["t"]
    assert [lv["target"]["value"] for lv in default["levels"]] == [
        pytest.approx(0.6), pytest.approx(0.7)]
    # no finished run: no section
    failed = [{**r, "status": "failed"} for r in rows]
    assert json.loads(results_json(failed))["fair"] == {}
