"""The neurosim-compare CLI: listing, clear errors, an end-to-end run."""

import json

import pytest

from comparisons import cli, presets


def test_list_prints_tasks_learners_profiles(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "binary_addition" in out and "lstm" in out and "cmos45" in out and "quick" in out


@pytest.mark.parametrize("argv, msg", [
    (["run", "--tasks", "addng", "--learners", "lstm"], "unknown task 'addng'; choose from:"),
    (["run", "--preset", "quik"], "unknown preset 'quik'; choose from: quick"),
    (["run", "--tasks", "adding", "--learners", "lstm", "--device", "tpu"],
     "unknown device 'tpu'"),
    (["run", "--tasks", "adding"], "give --preset or both --tasks and --learners"),
    (["run", "--preset", "quick", "--threads", "0"], "--threads must be >= 1, got 0"),
])
def test_bad_input_gives_clear_error_and_exit_2(argv, msg, capsys):
    assert cli.main(argv) == 2
    assert msg in capsys.readouterr().err


def test_run_writes_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(presets.PRESETS, "tiny", {
        "tasks": ["binary_addition"], "learners": ["lstm"], "seeds": [0],
        "task_params": {"binary_addition": {"train_bits": 3, "test_bits": 4, "n_train": 32,
                                            "n_test": 16}},
        "learner_params": {"lstm": {"epochs": 2, "hidden_size": 4}},
    })
    out = tmp_path / "rep"
    assert cli.main(["run", "--preset", "tiny", "--out", str(out), "--no-progress"]) == 0
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert len(rows) == 1 and rows[0]["status"] == "ok"
    assert (out / "index.html").exists() and (out / "results.csv").exists()
    assert cli.main(["report", "--results", str(out / "results.json"), "--out",
                     str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "index.html").exists()
