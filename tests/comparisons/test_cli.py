"""The neurosim-compare CLI: listing, clear errors, end-to-end runs, reports, faults."""

import json
import os
import sys

import pytest

from comparisons import cli, presets

TINY = {
    "title": "tiny",
    "tasks": ["binary_addition"], "learners": ["lstm", "lif_reservoir"], "seeds": [0],
    "task_params": {"binary_addition": {"train_bits": 3, "test_bits": 4, "n_train": 32,
                                        "n_test": 16}},
    "learner_params": {"lstm": {"epochs": 2, "hidden_size": 4},
                       "lif_reservoir": {"n_neurons": 30}},
    "memory_lengths": [6, 12],
}


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(presets.PRESETS, "tiny", TINY)


def test_list_prints_tasks_learners_profiles(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "binary_addition" in out and "lstm" in out and "cmos45" in out and "quick" in out
    assert cli.main(["list", "learners"]) == 0
    out = capsys.readouterr().out
    assert "lif_reservoir" in out and "tasks: " in out and "adding" in out
    assert cli.main(["list", "presets"]) == 0
    assert "standard" in capsys.readouterr().out
    assert cli.main(["list", "tasks"]) == 0
    assert "chance" in capsys.readouterr().out


@pytest.mark.parametrize("argv, msg", [
    (["run", "--tasks", "addng", "--learners", "lstm"], "unknown task 'addng'; choose from:"),
    (["run", "--preset", "quik"],
     "unknown preset 'quik'; choose from: ablation, families, full, quick, standard"),
    (["run", "--tasks", "adding", "--learners", "lstm", "--device", "tpu"],
     "unknown device 'tpu'"),
    (["run", "--tasks", "adding"], "give --preset, --config, or both --tasks and --learners"),
    (["run", "--preset", "quick", "--threads", "0"], "--threads must be >= 1, got 0"),
    (["run", "--preset", "quick", "--local-workers", "0"], "--local-workers must be >= 1"),
    (["run", "--config", "/nonexistent/x.toml"], "cannot read config /nonexistent/x.toml"),
    (["report", "--store", "/nonexistent/r.sqlite", "--out", "x"], "does not exist"),
    (["report", "--results", "/nonexistent/results.json", "--out", "x"],
     "cannot read /nonexistent/results.json"),
])
def test_bad_input_gives_clear_error_and_exit_2(argv, msg, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    assert msg in capsys.readouterr().err


def test_run_report_and_resume(tmp_path, tiny, capsys):
    out = tmp_path / "rep"
    assert cli.main(["run", "--preset", "tiny", "--out", str(out), "--no-progress"]) == 0
    assert "2 cells in" in capsys.readouterr().out
    data = json.loads((out / "results.json").read_text())
    rows = data["rows"]
    assert len(rows) == 2 and {r["status"] for r in rows} == {"ok"}
    for key in ("task", "learner", "seed", "config_hash", "metrics", "ops", "energy_j",
                "train_memory_bytes", "wall_s", "status"):
        assert key in rows[0]
    mem = {(m["learner"], m["length"]): m["train_memory_bytes"]
           for m in data["memory_vs_length"]}
    assert mem[("lstm", 12)] > mem[("lstm", 6)]  # BPTT stores every step
    assert mem[("lif_reservoir", 12)] == mem[("lif_reservoir", 6)]  # a fixed state
    for name in ("index.html", "report.md", "results.csv", "artifacts.json",
                 "results.sqlite"):
        assert (out / name).exists(), name
    html = (out / "index.html").read_text()
    assert "Training memory vs sequence length" in html and "spike raster" in html
    # the same command again reads everything back from the store
    assert cli.main(["run", "--preset", "tiny", "--out", str(out), "--no-progress"]) == 0
    assert "(2 from the store, 0 failed" in capsys.readouterr().out
    # reports from the store and from results.json (with the raster from artifacts.json)
    assert cli.main(["report", "--store", str(out / "results.sqlite"), "--out",
                     str(tmp_path / "a")]) == 0
    assert cli.main(["report", "--results", str(out / "results.json"), "--out",
                     str(tmp_path / "b"), "--title", "<i>again</i>"]) == 0
    for d in ("a", "b"):
        h = (tmp_path / d / "index.html").read_text()
        assert "spike raster" in h and "training memory vs sequence length" in h
    assert "&lt;i&gt;again&lt;/i&gt;" in (tmp_path / "b" / "index.html").read_text()


def test_config_file_run_with_a_failing_cell(tmp_path, capsys):
    cfg = tmp_path / "s.toml"
    cfg.write_text('tasks = ["binary_addition"]\nlearners = ["lif_reservoir"]\n'
                   'seeds = [0]\nmemory_lengths = []\n'
                   '[task_params.binary_addition]\ntrain_bits = 3\ntest_bits = 4\n'
                   'n_train = 16\nn_test = 8\n'
                   '[learner_grid.lif_reservoir]\nn_neurons = [20, 30]\n')
    out = tmp_path / "o"
    assert cli.main(["run", "--config", str(cfg), "--out", str(out), "--no-progress"]) == 0
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["learner_label"] for r in rows] == ["lif_reservoir[n_neurons=20]",
                                                  "lif_reservoir[n_neurons=30]"]


def test_truncated_results_json_is_a_clear_error(tmp_path, capsys):
    p = tmp_path / "results.json"
    p.write_text('{"rows": [{"task": ')
    assert cli.main(["report", "--results", str(p), "--out", str(tmp_path / "o")]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_full_disk_while_writing_the_report(tmp_path, monkeypatch, capsys):
    """Writes go to /dev/full (a real ENOSPC); the error names the file and the old report
    stays as it was."""
    import neurosim.atomic as atomic
    from comparisons.report import Report

    if not os.path.exists("/dev/full"):
        pytest.skip("/dev/full is not available")
    rows = [{"task": "binary_addition", "learner": "x", "seed": 0, "config_hash": "h",
             "status": "failed", "error": "boom"}]
    out = tmp_path / "o"
    Report(rows, title="old").write(out)
    old = (out / "results.json").read_text()

    def full_mkstemp(dir=None, prefix="", suffix=""):
        path = os.path.join(dir, f"{prefix}full{suffix}")
        open(path, "w").close()
        return os.open("/dev/full", os.O_WRONLY), path

    monkeypatch.setattr(atomic.tempfile, "mkstemp", full_mkstemp)
    with pytest.raises(OSError, match=r"cannot write report file .*results.json: No space "
                                      r"left on device"):
        Report(rows, title="new").write(out)
    assert (out / "results.json").read_text() == old
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_read_only_output_directory(tmp_path):
    """As a user without write permission (root: capabilities dropped with setpriv)."""
    from test_store import read_only_dir, run_unprivileged

    d = read_only_dir()
    try:
        d.chmod(0o555)
        res = run_unprivileged([sys.executable, "-m", "comparisons.cli", "run", "--tasks",
                                "binary_addition", "--learners", "lstm", "--out",
                                str(d / "rep")])
        assert res.returncode == 2, res.stderr
        assert "neurosim-compare: error: cannot write to the report directory" in res.stderr
        assert "Permission denied" in res.stderr and "Traceback" not in res.stderr
        assert "[1/1]" not in res.stderr  # checked before any cell ran
        # a store in a read-only place (report directory writable)
        res = run_unprivileged([sys.executable, "-m", "comparisons.cli", "run", "--tasks",
                                "binary_addition", "--learners", "lstm", "--out",
                                str(tmp_path / "rep"), "--store", str(d / "s.sqlite")])
        assert res.returncode == 2
        assert "error: results store" in res.stderr and "not writable" in res.stderr
        assert "Traceback" not in res.stderr
    finally:
        d.chmod(0o755)
        d.rmdir()


def test_a_run_where_every_cell_is_skipped_fails(tmp_path, capsys):
    out = tmp_path / "o"
    assert cli.main(["run", "--tasks", "adding", "--learners", "hopfield", "--out", str(out),
                     "--no-progress", "--no-tune"]) == 3
    err = capsys.readouterr().err
    assert "every cell was skipped" in err


def test_trials_and_passes_override_the_budget(tmp_path, tiny, monkeypatch):
    seen = {}

    def fake_run_suite(*args, **kw):
        seen.update(kw)
        return []

    import comparisons.sweep as sweep

    monkeypatch.setattr(sweep, "run_suite", fake_run_suite)
    monkeypatch.setitem(presets.PRESETS, "tiny", {**presets.PRESETS["tiny"],
                                                  "budget": {"trials": 5, "patience": 2},
                                                  "learner_params": {}})
    cli.main(["run", "--preset", "tiny", "--trials", "2", "--passes", "3", "--out",
              str(tmp_path / "o"), "--no-progress", "--no-memory-probe"])
    assert seen["budget"]["trials"] == 2 and seen["budget"]["passes"] == 3
    assert seen["budget"]["patience"] == 2  # the preset's other settings are kept


def _results(tmp_path):
    """A results.json of task "t" (learners a, b and a spiking s; no figures drawn)."""
    from test_report_api import _fair_rows

    from comparisons.report import results_json

    path = tmp_path / "results.json"
    path.write_text(results_json(_fair_rows()))
    return path


def _levels(out):
    fair = json.loads((out / "results.json").read_text())["fair"]["t"]
    return [lv["target"] for lv in fair["levels"]]


@pytest.mark.parametrize("match", [["0.65"], ["t=0.65"]])
def test_report_match_sets_the_matched_level(tmp_path, match, capsys):
    src = _results(tmp_path)
    out = tmp_path / "o"
    assert cli.main(["report", "--results", str(src), "--out", str(out),
                     "--match", *match]) == 0
    (target,) = _levels(out)  # one declared level instead of the default rule's two
    assert target["value"] == 0.65
    assert "validation accuracy 0.65" in (out / "report.md").read_text()
    # without --match: the default rule (the weakest and the median qualifying learner)
    assert cli.main(["report", "--results", str(src), "--out", str(tmp_path / "d")]) == 0
    assert [t["value"] for t in _levels(tmp_path / "d")] == [0.6, 0.7]


@pytest.mark.parametrize("match, msg", [
    (["high"], "--match must be a real number, got str ('high')"),
    (["nan"], "--match must be finite, got nan"),
    (["t=inf"], "--match t must be finite, got inf"),
    (["t=x"], "--match t must be a real number, got str ('x')"),
    (["u=0.5"], "unknown --match task 'u'; choose from: t"),
    (["0.5", "t=0.6"], "--match takes one LEVEL for every task or TASK=LEVEL pairs, got "
                       "'0.5'"),
    (["=0.6"], "--match takes one LEVEL for every task or TASK=LEVEL pairs"),
    (["t=0.5", "t=0.6"], "--match names task 't' twice"),
])
def test_report_match_bad_values_are_clear_errors(tmp_path, match, msg, capsys):
    src = _results(tmp_path)
    assert cli.main(["report", "--results", str(src), "--out", str(tmp_path / "o"),
                     "--match", *match]) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err
    assert not (tmp_path / "o" / "results.json").exists()
