"""The scorecard: "online in time" measured from the training-memory probe, n/a on static
tasks, a disagreement with the declaration said in the cell and in a note; the cards per
component (representation, readout) of every learner, the learner-level card their weaker
mark (the invariant, for every learner, family member and card-changing setting), and the
report's table of them (old stores without components still render)."""

import pytest

import comparisons
from comparisons.learners import SCORECARD_CRITERIA, get_learner, get_learner_class
from comparisons.learners.families import family_members
from comparisons.learners.scorecard import (
    COMPONENTS,
    LEARNING_CRITERIA,
    check_components,
    combine,
    not_learned,
)
from comparisons.report.tables import ONLINE_GROWTH, scorecard_table


def _s(learner, task, online):
    card = {"local_learning": False, "online_in_time": online}
    return {"learner_name": learner, "task_name": task, "n_ok": 1, "scorecard": card}


def _mem(learner, values):
    return [{"learner": learner, "length": T, "train_memory_bytes": v, "status": "ok"}
            for T, v in zip((25, 50, 100), values, strict=True)]


def test_online_in_time_is_measured_from_memory_growth_and_na_on_static_tasks():
    summary = [_s("bptt_like", "adding", False), _s("online", "adding", True),
               _s("claims_online", "adding", True), _s("memory", "associative_recall", True),
               _s("unprobed", "adding", True)]
    memory = (_mem("bptt_like", [1000, 2000, 4000]) + _mem("online", [800, 800, 800])
              + _mem("claims_online", [100, 300, 900]))
    head, body, notes = scorecard_table(summary, memory)
    col = head.index("online_in_time")
    cells = {r[0]: r[col] for r in body}
    assert cells["bptt_like"].startswith("no (measured: memory x4.00, T=25→100)")
    assert cells["online"].startswith("yes (measured: memory x1.00")
    assert cells["claims_online"].endswith("declared yes")
    assert cells["memory"] == "n/a (static tasks only)"
    assert cells["unprobed"] == "yes (declared)"
    assert len(notes) == 1 and "claims_online" in notes[0]
    # the threshold: a fixed-size state; just above it is growth
    growing = _mem("x", [1000, 1000, 1000 * ONLINE_GROWTH * 1.01])
    _, body, _ = scorecard_table([_s("x", "adding", True)], growing)
    assert body[0][col].startswith("no")


def test_three_way_pareto_front_keeps_every_trade_off_and_drops_the_dominated():
    from comparisons.report.figures import pareto_3d

    pts = [(1.0, 0.9, 2),   # cheap and accurate, not plausible
           (2.0, 0.8, 6),   # plausible
           (3.0, 0.7, 1),   # dominated by the first
           (0.5, 0.5, 0),   # cheapest
           (2.0, 0.8, 5),   # dominated by the second (less plausible)
           (float("nan"), 1.0, 7)]  # not priced: left out
    assert sorted(pareto_3d(pts, True)) == [0, 1, 3]
    assert 2 in pareto_3d([(1.0, 0.1, 0), (1.0, 0.2, 0), (3.0, 0.05, 0)], False)


def test_size_figure_renders_a_size_sweep():
    from comparisons.report.figures import size_plausibility_figure

    card = {"local_learning": True, "online_in_time": False}
    summary = [{"task": "t", "n_ok": 2, "higher_is_better": True, "metric": "accuracy",
                "learner_name": "m", "learner": f"m[n={n}]", "family": "backprop",
                "params": n * 10, "mean": 0.5 + n / 100, "energy_j": {"cmos45": n * 1e-9},
                "scorecard": card} for n in (8, 16, 32)]
    png = size_plausibility_figure(summary, "t", "cmos45")
    assert png[:4] == b"\x89PNG" and len(png) > 5000


# ------------------------------------------------------------------ per-component cards

def _check_card(name, learner):
    """The invariant: every component graded on every criterion, the learner-level card
    the weaker of the two, a readout's binary_spikes n/a, a representation always there."""
    comps = learner.scorecard_components
    assert comps is not None, f"{name} declares no scorecard_components"
    check_components(name, comps)
    assert learner.scorecard == combine(comps), (name, learner.scorecard, combine(comps))
    assert isinstance(comps["representation"]["binary_spikes"], bool), name
    if comps["readout"] is not None:
        assert comps["readout"]["binary_spikes"] is None, name
    return comps


def _all_names():
    names = set(comparisons.list_learners())
    for fam, rules in comparisons.list_families().items():
        members = family_members(fam)
        assert sorted(members) == rules
        names |= {cls.name for cls in members.values()}
    return sorted(names)


@pytest.mark.parametrize("name", _all_names())
def test_every_learner_and_family_member_is_graded_per_component(name):
    cls = get_learner_class(name)
    _check_card(name, cls)  # the class (what a skipped cell's row carries)
    _check_card(name, get_learner(name))  # an instance with the default settings


#: settings that change a learner's card (an instance overrides the class's)
SETTINGS = [
    ("stdp_reservoir", {"readout": "lms"}), ("stdp_reservoir", {"readout": "ridge"}),
    ("stdp_reservoir", {"n_stdp": 0}), ("stdp_reservoir", {"n_stdp": 0, "readout": "ridge"}),
    ("stdp_reservoir", {"n_stdp": 0, "input_coding": "analog"}),
    ("stdp_reservoir", {"input_coding": "latency", "readout": "ridge"}),
    ("lif_reservoir", {"readout": "ridge"}), ("lif_reservoir", {"readout": "lms"}),
    ("diehl_cook", {"plasticity": True, "readout": "labels"}),
    ("diehl_cook", {"plasticity": True, "readout": "linear"}),
    ("diehl_cook", {"plasticity": False, "readout": "labels"}),
    ("diehl_cook", {"plasticity": False, "readout": "linear"}),
    ("hopfield", {"rule": "hebbian"}), ("hopfield", {"rule": "storkey"}),
    ("hopfield", {"rule": "pseudo_inverse"}), ("modern_hopfield", {"beta": 5.0}),
    ("rbm", {"k": 2}),
]


@pytest.mark.parametrize(("name", "settings"), SETTINGS)
def test_settings_dependent_cards_keep_the_invariant(name, settings):
    comps = _check_card(f"{name}{settings}", get_learner(name, **settings))
    rep, out = comps["representation"], comps["readout"]
    if name == "stdp_reservoir" or name == "diehl_cook":
        learns = settings.get("n_stdp", 100) > 0 and settings.get("plasticity", True)
        # plasticity off: the representation is a fixed random network, not "local"
        assert rep == (not_learned(True) if not learns else {c: True for c in rep})
    if name in ("stdp_reservoir", "lif_reservoir"):
        lms = settings.get("readout", "lms" if name == "stdp_reservoir" else "ridge") == "lms"
        assert out["local_learning"] is lms and out["online_in_time"] is lms
    if name == "diehl_cook":
        assert out["local_learning"] is (settings["readout"] == "labels")
        assert out["no_target_outputs"] is False  # labels are targets
    if name in ("hopfield", "modern_hopfield", "rbm"):
        assert out is None  # the memory's state is its answer
        assert rep["local_learning"] is (settings.get("rule") != "pseudo_inverse")


def test_family_members_differ_in_the_representation_and_share_the_readout():
    for fam in ("rsnn", "rnn"):
        members = family_members(fam)
        reps = {r: c.scorecard_components["representation"] for r, c in members.items()}
        outs = {r: c.scorecard_components["readout"] for r, c in members.items()}
        # the reservoir control: nothing learned below the readout
        assert all(reps["readout"][c] is None for c in LEARNING_CRITERIA)
        # every rule trains the readout by the delta rule, except Hessian-free's
        # curvature step, which couples it to every weight
        for rule, out in outs.items():
            assert out["local_learning"] is (rule != "hessian_free"), (fam, rule)
    rnn = family_members("rnn")
    assert rnn["rflo"].scorecard_components["representation"]["local_learning"] is True
    fa = rnn["feedback_alignment"].scorecard_components["representation"]
    assert fa["no_weight_transport"] is True and fa["local_learning"] is False  # measured
    lstm = get_learner_class("lstm").scorecard_components
    assert not any(lstm["representation"].values()) and lstm["readout"]["local_learning"]


def test_component_cards_are_validated_and_combined_with_clear_errors():
    good = {"representation": not_learned(True), "readout": {
        c: (None if c == "binary_spikes" else True) for c in SCORECARD_CRITERIA}}
    assert combine(good) == {c: True for c in SCORECARD_CRITERIA}
    with pytest.raises(ValueError, match=r"x.scorecard_components needs exactly the "
                                         r"components \['representation', 'readout'\]"):
        check_components("x", {"representation": good["representation"]})
    with pytest.raises(ValueError, match=r"marks must be True, False or None"):
        check_components("x", {**good, "readout": {**good["readout"], "local_learning": 1}})
    with pytest.raises(ValueError, match=r"must mark every criterion"):
        check_components("x", {**good, "readout": {"local_learning": True}})
    with pytest.raises(ValueError, match=r"no component marks criterion 'local_learning'"):
        combine({"representation": not_learned(True), "readout": None})
    assert list(COMPONENTS) == ["representation", "readout"]
    # the weaker mark wins; n/a does not count as either
    mixed = {"representation": {**not_learned(False), "local_learning": False},
             "readout": good["readout"]}
    assert combine(mixed)["local_learning"] is False and combine(mixed)["online_in_time"]


# ------------------------------------------------------------------ rows and the report
def _sc(learner, task, comps, label=None, card=None):
    return {"learner_name": learner, "learner": label or learner, "task_name": task,
            "n_ok": 1, "scorecard": card or {}, "scorecard_components": comps}


def test_component_table_grades_each_part_and_names_what_it_cannot_grade():
    from comparisons.report.tables import scorecard_components_table

    lstm = get_learner_class("lstm").scorecard_components
    hop = get_learner_class("hopfield").scorecard_components
    lms = get_learner("stdp_reservoir").scorecard_components
    ridge = get_learner("stdp_reservoir", readout="ridge").scorecard_components
    summary = [_sc("lstm", "adding", lstm), _sc("lstm", "temporal_xor", lstm),
               _sc("hopfield", "associative_recall", hop),
               _sc("stdp_reservoir", "adding", lms, "stdp_reservoir[readout=lms]"),
               _sc("stdp_reservoir", "adding", ridge, "stdp_reservoir[readout=ridge]"),
               _sc("old_learner", "adding", None)]  # a row stored before components
    head, body, notes = scorecard_components_table(summary)
    assert head == ["learner", "component", *SCORECARD_CRITERIA]
    cells = {(r[0], r[1]): dict(zip(head[2:], r[2:], strict=True)) for r in body}
    assert cells[("lstm", "representation")]["local_learning"] == "no"
    assert cells[("lstm", "readout")]["local_learning"] == "yes"
    assert cells[("lstm", "readout")]["binary_spikes"] == "n/a"
    assert len([k for k in cells if k[0] == "lstm"]) == 2  # one block for two tasks
    # a memory has no readout; on a static task online in time is n/a, not a free point
    assert set(cells[("hopfield", "readout")].values()) == {"—"}
    assert cells[("hopfield", "representation")]["online_in_time"] == \
        "n/a (static tasks only)"
    # variants whose settings change the components get a block each
    assert cells[("stdp_reservoir[readout=lms]", "readout")]["local_learning"] == "yes"
    assert cells[("stdp_reservoir[readout=ridge]", "readout")]["local_learning"] == "no"
    assert cells[("stdp_reservoir[readout=ridge]", "representation")]["local_learning"] \
        == "yes"
    assert not any(k[0] == "old_learner" for k in cells)
    assert any("old_learner" in n and "not graded per component" in n for n in notes)


def _row(learner, comps="absent"):
    row = {"task": "adding", "learner": learner, "seed": 0, "family": "backprop",
           "config_hash": f"h-{learner}", "metric": "mse", "higher_is_better": False,
           "metrics": {"mse": 0.1}, "chance": {"mse": 0.2}, "ops": {}, "train_ops": {},
           "energy_j": {}, "energy_compute_j": {}, "train_memory_bytes": 10, "params": 5,
           "wall_s": 1.0, "fit_s": 1.0, "status": "ok", "error": None,
           "scorecard": dict(get_learner_class("lstm").scorecard), "history": [],
           "versions": {}, "device": "cpu"}
    if comps != "absent":
        row["scorecard_components"] = comps
    return row


def test_report_prints_the_component_table_and_renders_stores_without_components(tmp_path):
    from comparisons.report import Report
    from comparisons.report.io import flatten_row
    from comparisons.store import ResultStore

    comps = get_learner_class("lstm").scorecard_components
    rows = [_row("lstm", comps), _row("gru_old")]  # the second: stored before components
    path = tmp_path / "old.sqlite"
    with ResultStore(path) as st:
        st.put_many(rows)
    rep = Report.from_store(path)
    md, html = rep.markdown(), rep.html()
    assert "### Scorecard by component" in md and "Scorecard by component</h3>" in html
    assert "| lstm | representation | no |" in md and "| lstm | readout | yes |" in md
    for text in (md, html):
        assert "not graded per component" in text and "gru_old" in text
    # a store of old rows only still renders, with the learner-level table
    old = tmp_path / "only_old.sqlite"
    with ResultStore(old) as st:
        st.put(_row("gru_old"))
    md = Report.from_store(old).markdown()
    assert "Biological-plausibility scorecard" in md and "gru_old" in md
    flat = flatten_row(rows[0])
    assert flat["scorecard_components.readout.local_learning"] is True
    assert flat["scorecard_components.readout.binary_spikes"] is None
    assert not any(k.startswith("scorecard_components") for k in flatten_row(rows[1]))


def test_result_rows_carry_the_components_of_the_learner_as_configured():
    from comparisons.runner import run_cell

    skipped = run_cell("adding", "hopfield", 0, {"n_train": 4, "n_test": 2})
    assert skipped["status"] == "skipped"
    assert skipped["scorecard_components"] == get_learner_class(
        "hopfield").scorecard_components
    row = run_cell("associative_recall", "hopfield", 0,
                   {"n_patterns": 3, "n_bits": 16, "n_train": 12, "n_val": 4, "n_test": 4},
                   {"rule": "pseudo_inverse"}, device="cpu")
    assert row["status"] == "ok", row["error"]
    rep = row["scorecard_components"]["representation"]
    assert rep["local_learning"] is False and row["scorecard_components"]["readout"] is None
    assert row["scorecard"] == combine(row["scorecard_components"])
