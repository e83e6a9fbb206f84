"""Hardware profiles as validated data: the schema's errors, the shipped files, memory
tiers, number formats, energy ranges, and old single-float results still rendering."""

import copy
import json
from importlib import resources

import pytest

from comparisons.metrics.energy import (
    as_range,
    energy_breakdown,
    energy_joules,
    energy_range,
    get_profile,
    list_profiles,
    mean_range,
    typical,
)
from comparisons.metrics.profiles import (
    LEVELS,
    OP_KINDS,
    ProfileError,
    load_profile,
    validate_profile,
)
from comparisons.report.io import flatten_row
from comparisons.report.markup import fmt_range

#: Horowitz, ISSCC 2014 (45 nm, 0.9 V), pJ: add and multiply per number format
ADD = {"fp32": 0.9, "fp16": 0.4, "int8": 0.03}
MULT = {"fp32": 3.7, "fp16": 1.1, "int8": 0.2}
#: 64-bit reads, pJ: SRAM 8 KB / 32 KB / 1 MB, DRAM 1300-2600
SRAM_64BIT = {"SRAM 8 KB": 10.0, "SRAM 32 KB": 20.0, "SRAM 1 MB": 100.0}
DRAM_64BIT = (1300.0, 2600.0)
KB, MB = 1024, 1024 * 1024


def _shipped_data(name):
    path = resources.files("comparisons") / "profiles" / f"{name}.json"
    return json.loads(path.read_text())


@pytest.fixture
def data():
    return copy.deepcopy(_shipped_data("loihi"))


def _check(d, match):
    with pytest.raises(ProfileError, match=match):
        validate_profile(d, "loihi.json", "loihi")


# ----------------------------------------------------------------------------- schema


def test_unknown_top_level_key_names_file_key_and_allowed(data):
    data["energy"] = {}
    _check(data, r"profile loihi\.json: top level has unknown key 'energy'; allowed: name, "
                 r"title, energy_pj, included, unsupported, memory, not_modelled")


def test_misspelled_figure_key_is_an_error_not_a_silent_none(data):
    data["energy_pj"]["synaptic_event"]["typ"] = data["energy_pj"]["synaptic_event"].pop(
        "typical")
    _check(data, r"loihi\.json: energy_pj\.synaptic_event has unknown key 'typ'; allowed: "
                 r"min, typical, max, source, includes, note")


def test_missing_keys_are_errors(data):
    del data["memory"]
    _check(data, r"loihi\.json: top level lacks key 'memory'; required: name, title")
    data = copy.deepcopy(_shipped_data("loihi"))
    del data["energy_pj"]["spike"]["max"]
    _check(data, r"energy_pj\.spike lacks key 'max'; required: min, typical, max, source, "
                 r"includes")


def test_missing_source_is_an_error(data):
    del data["energy_pj"]["neuron_update"]["source"]
    _check(data, r"energy_pj\.neuron_update lacks key 'source'")
    data = copy.deepcopy(_shipped_data("loihi"))
    data["energy_pj"]["neuron_update"]["source"] = "  "
    _check(data, r"energy_pj\.neuron_update\.source must be a non-empty str")


def test_range_must_be_ordered(data):
    data["energy_pj"]["neuron_update"].update(min=90.0)
    _check(data, r"energy_pj\.neuron_update must have min <= typical <= max, got min=90, "
                 r"typical=81, max=81")
    data["energy_pj"]["neuron_update"].update(min=-1.0)
    _check(data, r"energy_pj\.neuron_update\.min \(pJ\) must be >= 0.0, got -1.0")


def test_includes_must_be_one_of_the_scopes(data):
    data["energy_pj"]["spike"]["includes"] = "everything"
    _check(data, r"energy_pj\.spike\.includes must be one of: datapath, memory access, core, "
                 r"chip incl\. static power; got 'everything'")


def test_every_op_kind_in_exactly_one_place(data):
    del data["energy_pj"]["spike"]
    _check(data, r"op kind 'spike' is missing; name each op kind in exactly one of "
                 r"energy_pj, included, unsupported")
    data = copy.deepcopy(_shipped_data("loihi"))
    data["included"]["mac"] = "somewhere"
    _check(data, r"op kind 'mac' is in included and unsupported")
    data = copy.deepcopy(_shipped_data("loihi"))
    data["unsupported"].append("macs")
    _check(data, r"unsupported names unknown op kind 'macs'; allowed: mac, ac")


def test_memory_tiers_are_checked():
    d = _shipped_data("cmos45")
    d["memory"]["tiers"][-1]["capacity_bytes"] = 10 * MB
    with pytest.raises(ProfileError, match=r"memory\.tiers\[3\]\.capacity_bytes must be null"):
        validate_profile(d, "cmos45.json")
    d = _shipped_data("cmos45")
    d["memory"]["tiers"][1]["capacity_bytes"] = 4 * KB
    with pytest.raises(ProfileError, match=r"tiers\[1\]\.capacity_bytes must exceed the "
                                           r"previous tier's, got 4096"):
        validate_profile(d, "cmos45.json")
    d = _shipped_data("cmos45")
    d["memory"]["mem_byte"] = 2.5
    with pytest.raises(ProfileError, match=r"memory has unknown key 'mem_byte'; allowed: "
                                           r"value_bytes, tiers"):
        validate_profile(d, "cmos45.json")


def test_a_file_must_declare_its_own_name(tmp_path):
    d = _shipped_data("truenorth")
    path = tmp_path / "tn2.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ProfileError, match=r"profile tn2\.json: name must equal the file "
                                           r"name 'tn2', got 'truenorth'"):
        load_profile(path)
    path.write_text("{not json")
    with pytest.raises(ProfileError, match=r"profile tn2\.json: not valid JSON"):
        load_profile(path)


@pytest.mark.parametrize("name", list_profiles())
def test_each_shipped_profile_validates(name):
    path = resources.files("comparisons") / "profiles" / f"{name}.json"
    prof = load_profile(str(path))
    assert prof == get_profile(name)
    for op in OP_KINDS:  # every op kind is priced, included elsewhere, or unsupported
        assert (op in prof.figures) + (op in prof.included) + (op in prof.unsupported) == 1
    for f in [*prof.figures.values(), *(t.access_pj for t in prof.memory_tiers)]:
        assert f.min <= f.typical <= f.max and f.source
    assert prof.not_modelled is not None


def test_spinnaker2_is_removed_for_want_of_a_primary_source():
    assert "spinnaker2" not in list_profiles()


def test_disputed_figures_are_labelled():
    loihi, tn = get_profile("loihi"), get_profile("truenorth")
    syn = loihi.figures["synaptic_event"]
    assert syn.min == syn.typical == syn.max == 23.6 and "minimum" in syn.note
    nu = loihi.figures["neuron_update"]
    assert (nu.min, nu.typical, nu.max) == (52.0, 81.0, 81.0)  # inactive .. active
    assert "static power" in loihi.not_modelled
    assert tn.figures["synaptic_event"].includes == "chip incl. static power"


# ----------------------------------------------------------------------- memory tiers


@pytest.mark.parametrize(("footprint", "tier"), [
    (1, "SRAM 8 KB"), (8 * KB, "SRAM 8 KB"), (8 * KB + 1, "SRAM 32 KB"),
    (32 * KB, "SRAM 32 KB"), (32 * KB + 1, "SRAM 1 MB"), (MB, "SRAM 1 MB"),
    (MB + 1, "DRAM"), (10**12, "DRAM")])
def test_memory_tier_at_the_tier_edges(footprint, tier):
    prof = get_profile("cmos45")
    assert prof.memory_tier(footprint).name == tier
    ops = {"mem_read_bytes": 800.0, "mem_write_bytes": 0.0}
    rng = energy_range(ops, prof, footprint_bytes=footprint)
    lo, hi = (DRAM_64BIT if tier == "DRAM" else (SRAM_64BIT[tier],) * 2)
    assert rng["min"] == pytest.approx(800 * lo / 8 * 1e-12)
    assert rng["max"] == pytest.approx(800 * hi / 8 * 1e-12)
    assert energy_breakdown(ops, prof, footprint_bytes=footprint).keys() == {
        f"memory ({tier})"}


def test_narrow_formats_scale_footprint_and_traffic():
    # 32 KB of fp32 values are 8 KB of int8 values: the int8 profile reads the 8 KB SRAM
    assert get_profile("cmos45").memory_tier(32 * KB).name == "SRAM 32 KB"
    assert get_profile("cmos45_fp16").memory_tier(32 * KB).name == "SRAM 32 KB"
    assert get_profile("cmos45_fp16").memory_tier(32 * KB + 4).name == "SRAM 32 KB"
    assert get_profile("cmos45_int8").memory_tier(32 * KB).name == "SRAM 8 KB"
    ops = {"mem_read_bytes": 4000.0}
    e32 = energy_joules(ops, "cmos45", footprint_bytes=100)
    e8 = energy_joules(ops, "cmos45_int8", footprint_bytes=100)
    assert e8 == pytest.approx(e32 / 4)  # a quarter of the bytes, same 8 KB tier


# --------------------------------------------------------------------- number formats


def test_fp16_and_int8_are_cheaper_than_fp32_by_horowitz_ratios():
    ops = {"mac": 1e5, "ac": 3e4, "synaptic_events": 2e4, "neuron_updates": 1e3}
    e = {fmt: energy_joules(ops, name, memory=False) for fmt, name in (
        ("fp32", "cmos45"), ("fp16", "cmos45_fp16"), ("int8", "cmos45_int8"))}
    for fmt, val in e.items():
        mac = MULT[fmt] + ADD[fmt]
        # a neuron update: neurosim's LIF step (4 multiply-adds, 2 multiplies, 2 adds)
        lif = 4 * mac + 2 * MULT[fmt] + 2 * ADD[fmt]
        want = (ops["mac"] * mac + (ops["ac"] + ops["synaptic_events"]) * ADD[fmt]
                + ops["neuron_updates"] * lif) * 1e-12
        assert val == pytest.approx(want), fmt
        nu = get_profile({"fp32": "cmos45", "fp16": "cmos45_fp16",
                          "int8": "cmos45_int8"}[fmt]).figures["neuron_update"]
        # the range: a leak alone (one MAC) .. the conductance LIF with threshold (25 MACs)
        assert (nu.min, nu.max) == (pytest.approx(mac), pytest.approx(25 * mac))
    assert e["int8"] < e["fp16"] < e["fp32"]
    ratio = (MULT["fp16"] + ADD["fp16"]) / (MULT["fp32"] + ADD["fp32"])
    assert energy_joules({"mac": 1.0}, "cmos45_fp16", memory=False) / energy_joules(
        {"mac": 1.0}, "cmos45", memory=False) == pytest.approx(ratio)
    assert get_profile("cmos45").figures["mac"].typical == pytest.approx(MULT["fp32"]
                                                                         + ADD["fp32"])


# ----------------------------------------------------------------------------- ranges


def test_ranges_are_ordered_for_a_learners_real_counts():
    from comparisons.runner import run_cell

    row = run_cell("binary_addition", "lif_reservoir", 0,
                   {"train_bits": 4, "test_bits": 6, "n_train": 32, "n_test": 16},
                   {"n_neurons": 40, "steps_per_input": 2}, device="cpu")
    assert row["status"] == "ok", row["error"]
    assert row["ops"]["synaptic_events"] > 0 and row["hardware"]["footprint_bytes"] > 0
    for key in ("energy_j", "energy_compute_j", "train_energy_j"):
        assert set(row[key]) == set(list_profiles())
        for p, rng in row[key].items():
            if rng is None:
                continue
            assert set(rng) == set(LEVELS)
            assert 0 < rng["min"] <= rng["typical"] <= rng["max"], (key, p, rng)
    # Loihi's neuron update spans 52..81 pJ: a real spread, not a point
    assert row["energy_j"]["loihi"]["min"] < row["energy_j"]["loihi"]["typical"]
    assert row["energy_j"]["cmos45"]["typical"] > row["energy_compute_j"]["cmos45"]["typical"]


def test_stored_energies_read_as_ranges():
    assert as_range(2e-9) == {"min": 2e-9, "typical": 2e-9, "max": 2e-9}  # old float
    assert as_range({"min": 1.0, "typical": 2.0, "max": 3.0})["typical"] == 2.0
    assert as_range(None) is None and as_range({"min": 1.0}) is None
    assert as_range(float("nan")) is None and typical(None) is None
    assert typical({"min": 1.0, "typical": 2.0, "max": 3.0}) == 2.0
    assert mean_range([1.0, {"min": 1.0, "typical": 3.0, "max": 5.0}]) == {
        "min": 1.0, "typical": 2.0, "max": 3.0}
    assert mean_range([1.0, None]) is None and mean_range([]) is None


def test_tables_print_the_range_and_csv_flattens_it():
    assert fmt_range({"min": 8e-10, "typical": 1.2e-9, "max": 2.1e-9}) == \
        "1.2e-09 [8e-10, 2.1e-09]"
    assert fmt_range(1.2e-9) == "1.2e-09" and fmt_range(None) == "–"
    flat = flatten_row({"energy_j": {"cmos45": {"min": 1.0, "typical": 2.0, "max": 3.0},
                                     "loihi": None, "old": 4.0}})
    assert flat["energy_j.cmos45.typical"] == 2.0 and flat["energy_j.cmos45.max"] == 3.0
    assert flat["energy_j.loihi"] is None and flat["energy_j.old"] == 4.0


def test_old_and_new_format_rows_render_together():
    from comparisons.report import Report

    def row(seed, energy):
        return {"task": "adding", "learner": "lstm", "seed": seed, "status": "ok",
                "metric": "mse", "higher_is_better": False, "family": "backprop",
                "metrics": {"mse": 0.01 * (seed + 1)}, "chance": {"mse": 0.17},
                "ops": {"mac": 100.0}, "energy_j": {"cmos45": energy},
                "energy_compute_j": {"cmos45": energy}, "config_hash": f"h{seed}"}

    rows = [row(0, 1e-9), row(1, {"min": 1e-9, "typical": 3e-9, "max": 5e-9})]
    rep = Report(rows)
    s = rep.task_summaries()["adding"]["learners"]["lstm"]
    assert s["energy_j"]["cmos45"] == pytest.approx({"min": 1e-9, "typical": 2e-9,
                                                     "max": 3e-9})
    html, md = rep.html(), rep.markdown()
    for text in (html, md):
        assert "2e-09 [1e-09, 3e-09]" in text
        assert "Hardware profiles" in text and "chip incl. static power" in text
    only_old = Report([row(0, 1e-9), row(1, 3e-9)]).task_summaries()["adding"]
    assert only_old["learners"]["lstm"]["energy_j"]["cmos45"]["typical"] == pytest.approx(
        2e-9)
