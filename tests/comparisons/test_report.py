"""Report writers: files, JSON/CSV contract, escaping, embedded figures, atomic writes."""

import csv
import io
import json

import pytest

from comparisons.report import load_rows, render_html, results_csv, write_report
from comparisons.report.io import atomic_write_text


def _row(learner="lstm", seed=0, acc=0.9, status="ok", family="backprop"):
    return {
        "task": "binary_addition", "learner": learner, "seed": seed, "family": family,
        "config_hash": f"h{seed}", "metric": "sequence_accuracy", "higher_is_better": True,
        "metrics": {"accuracy": acc, "sequence_accuracy": acc}, "chance": {
            "accuracy": 0.5, "sequence_accuracy": 0.0},
        "ops": {"mac": 1e4, "mem_read_bytes": 4e4}, "train_ops": {},
        "energy_j": {"cmos45": 1e-7, "loihi": None}, "energy_compute_j": {"cmos45": 5e-8},
        "train_memory_bytes": 1000, "params": 100, "wall_s": 1.0, "fit_s": 0.9,
        "status": status, "error": None if status == "ok" else "Traceback...\nValueError: x",
        "scorecard": {"local_learning": False}, "history": [1.0, 0.5, 0.2],
        "versions": {}, "device": "cpu",
    }


def test_write_report_writes_all_files(tmp_path):
    rows = [_row(seed=0, acc=0.9), _row(seed=1, acc=1.0),
            _row("lif_reservoir", 0, 0.1, family="spiking"), _row("x", 0, status="failed")]
    paths = write_report(rows, tmp_path / "out")
    for p in paths.values():
        assert p.exists() and p.stat().st_size > 0
    data = json.loads(paths["json"].read_text())
    assert len(data["rows"]) == 4 and data["schema_version"] == 2
    summary = data["summary"]["binary_addition"]
    assert summary["learners"]["lstm"]["mean"] == pytest.approx(0.95)
    assert summary["skipped"] == {} and summary["crashed"] == {"x": 1}
    assert {"task", "learner", "seed", "config_hash", "metrics", "ops", "energy_j",
            "train_memory_bytes", "wall_s", "status"} <= set(data["rows"][0])
    recs = list(csv.DictReader(io.StringIO(paths["csv"].read_text())))
    assert len(recs) == 4 and float(recs[1]["metrics.sequence_accuracy"]) == 1.0
    assert recs[3]["error"] == "ValueError: x"
    html = paths["html"].read_text()
    assert html.count("data:image/png;base64,") >= 2
    assert "Failed runs" in html and "memory access" in html.lower()
    assert "Protocol" in html and "untuned" in html  # these rows carry no budget
    # lif_reservoir (0.1) does not beat chance (sequence accuracy 0): it does; its row is
    # plain, and the crashed learner is listed with its seed count
    assert '<tr class="failed">' not in html and "0/1, 1 crashed" in html
    assert load_rows(paths["json"])[0]["learner"] == "lstm"


def test_user_strings_are_escaped_in_html():
    evil = "<script>alert(1)</script>"
    html = render_html([_row(learner=evil)])
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_csv_header_is_union_of_row_keys():
    a, b = _row(), _row(seed=1)
    b["ops"] = {"spikes": 3.0}
    header = results_csv([a, b]).splitlines()[0].split(",")
    assert "ops.mac" in header and "ops.spikes" in header


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    target.write_text("old")


    import os

    real_replace = os.replace

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    monkeypatch.setattr(os, "replace", real_replace)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left behind


def test_load_rows_rejects_truncated_json(tmp_path):
    p = tmp_path / "results.json"
    p.write_text('{"rows": [{"task": ')
    with pytest.raises(ValueError, match="not valid JSON"):
        load_rows(p)
