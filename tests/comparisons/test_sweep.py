"""Sweeps: grids, resume from the store, kill -9 and restart, Dask LocalCluster == in-process."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from comparisons.learners import LEARNERS, register
from comparisons.learners.base import FitInfo, Learner
from comparisons.runner import run_cell
from comparisons.store import ResultStore
from comparisons.sweep import Cell, expand, run_cells, run_suite

REPO = Path(__file__).resolve().parents[2]
TINY = {"binary_addition": {"train_bits": 3, "test_bits": 4, "n_train": 32, "n_test": 16}}
CALLS: list[tuple[int, bool]] = []


class _Counting(Learner):
    """Predicts the majority bit and counts its fits; fails when asked to (``fail=True``)."""

    name: ClassVar[str] = "test_counting"
    family: ClassVar[str] = "classical"
    scorecard: ClassVar[dict] = {}

    def __init__(self, seed=0, device="auto", fail=False, width=1):
        super().__init__(seed, device)
        self.fail, self.width = fail, width

    @classmethod
    def supports(cls, task):
        return task.target == "binary", "binary targets only"

    def fit(self, task, data):
        CALLS.append((self.seed, self.fail))
        if self.fail:
            raise RuntimeError("deliberate failure")
        self.p = float(data.train.y[data.train.mask].mean() >= 0.5)
        return FitInfo(readout="count")

    def predict(self, x):
        self.last_inference_ops = {"ac": float(self.width)}
        return np.full((x.shape[0], x.shape[1], 1), self.p, np.float32)

    def param_count(self):
        return 1


@pytest.fixture(autouse=True)
def _registered():
    register(_Counting)
    CALLS.clear()
    yield
    LEARNERS.pop("test_counting", None)


def test_expand_grid_order_and_labels():
    cells = expand(["binary_addition"], ["test_counting"], [0, 1], TINY,
                   {"test_counting": {"fail": False}},
                   learner_grid={"test_counting": {"width": [1, 2, 3]}})
    assert len(cells) == 6
    assert [c.learner_label for c in cells[:2]] == ["test_counting[width=1]"] * 2
    assert [c.seed for c in cells[:2]] == [0, 1]
    assert {c.learner_params["width"] for c in cells} == {1, 2, 3}
    assert all(c.learner_params["fail"] is False for c in cells)
    assert len({c.config_hash for c in cells}) == 6  # every variant is its own cell


def test_task_grid_and_hash_matches_run_cell():
    cells = expand(["binary_addition"], ["test_counting"], [4], TINY,
                   task_grid={"binary_addition": {"train_bits": [2, 3]}})
    assert [c.task_label for c in cells] == ["binary_addition[train_bits=2]",
                                             "binary_addition[train_bits=3]"]
    row = run_cell("binary_addition", "test_counting", 4, cells[1].task_params)
    assert row["config_hash"] == cells[1].config_hash


@pytest.mark.parametrize("kw, exc, msg", [
    ({"tasks": ["nope"]}, ValueError, "unknown task 'nope'; choose from: .*adding"),
    ({"learners": ["nope"]}, ValueError, "unknown learner 'nope'; choose from:"),
    ({"learners": "lstm"}, TypeError, "lists of names, not a single string"),
    ({"learner_grid": {"lstm": {"hidden_size": [8]}}}, ValueError,
     "learner_grid names 'lstm', which is not in this sweep"),
    ({"learner_grid": {"test_counting": {"width": 3}}}, TypeError,
     r"learner_grid.test_counting.width must be a non-empty list of values, got 3"),
    ({"learner_params": {"test_counting": 5}}, TypeError, "must be a table of parameters"),
    ({"seeds": [0, -2]}, ValueError, "seed must be >= 0, got -2"),
])
def test_expand_rejects_bad_input(kw, exc, msg):
    args = {"tasks": ["binary_addition"], "learners": ["test_counting"], "seeds": [0]}
    args.update(kw)
    with pytest.raises(exc, match=msg):
        expand(**args)


def test_store_skips_finished_cells_and_reruns_failed_ones(tmp_path):
    store = tmp_path / "r.sqlite"
    lp = {"test_counting": {"fail": False}}
    rows = run_suite(["binary_addition"], ["test_counting"], [0, 1, 2], TINY, lp,
                     progress=False, store=store)
    assert [r["status"] for r in rows] == ["ok"] * 3 and len(CALLS) == 3
    again = run_suite(["binary_addition"], ["test_counting"], [0, 1, 2], TINY, lp,
                      progress=False, store=store)
    assert len(CALLS) == 3  # nothing ran again
    assert [r["metrics"] for r in again] == [r["metrics"] for r in rows]
    # a failing cell is stored as failed (with its traceback) and run again next time
    bad = {"test_counting": {"fail": True}}
    r1 = run_suite(["binary_addition"], ["test_counting"], [0], TINY, bad, progress=False,
                   store=store)
    assert r1[0]["status"] == "failed" and "deliberate failure" in r1[0]["error"]
    run_suite(["binary_addition"], ["test_counting"], [0], TINY, bad, progress=False,
              store=store)
    assert CALLS[-2:] == [(0, True), (0, True)]
    with ResultStore(store) as st:
        assert len(st) == 4
        assert st.get(r1[0]["config_hash"])["status"] == "failed"
    # resume=False recomputes
    run_suite(["binary_addition"], ["test_counting"], [0], TINY, lp, progress=False,
              store=store, resume=False)
    assert CALLS[-1] == (0, False)


def test_on_row_sees_new_rows_only(tmp_path):
    seen = []
    cells = expand(["binary_addition"], ["test_counting"], [0, 1], TINY)
    run_cells(cells[:1], store=tmp_path / "s.sqlite", progress=False)
    rows = run_cells(cells, store=tmp_path / "s.sqlite", progress=False, on_row=seen.append)
    assert len(rows) == 2 and [r["seed"] for r in seen] == [1]


KILL_CONFIG = """
title = "kill test"
tasks = ["binary_addition"]
learners = ["lif_reservoir"]
seeds = [{seeds}]
memory_lengths = []
[task_params.binary_addition]
train_bits = 3
test_bits = 4
n_train = 48
n_test = 16
[learner_params.lif_reservoir]
n_neurons = 40
"""


def _cli(args, **kw):
    # pinned: the code must not "change" between the killed run and the restart because
    # someone edits the tree meanwhile (that would, correctly, recompute the cells)
    env = {**os.environ, "NEUROSIM_CODE_FINGERPRINT": "kill-test"}
    return subprocess.Popen([sys.executable, "-m", "comparisons.cli", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, **kw)


def _finished(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with ResultStore(path, readonly=True, timeout=1) as st:
            return len(st.finished_hashes())
    except OSError:
        return 0


def test_sigkill_then_restart_loses_nothing_and_skips_finished(tmp_path):
    n = 16
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(KILL_CONFIG.format(seeds=", ".join(map(str, range(n)))))
    out, store = tmp_path / "out", tmp_path / "out" / "results.sqlite"
    proc = _cli(["run", "--config", str(cfg), "--out", str(out)])
    deadline = time.monotonic() + 240
    while _finished(store) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    k = _finished(store)
    assert 3 <= k < n, f"the sweep was not killed mid-way ({k} of {n} cells stored)"
    assert proc.returncode == -signal.SIGKILL
    with ResultStore(store) as st:
        assert st.integrity_check() == "ok"
        before = st.stored_at()
    proc = _cli(["run", "--config", str(cfg), "--out", str(out), "--no-progress"])
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert f"({len(before)} from the store, 0 failed" in stdout, stdout + stderr
    with ResultStore(store) as st:
        rows = st.rows()
        after = st.stored_at()
    assert len(rows) == n and all(r["status"] == "ok" for r in rows)
    assert sorted(r["seed"] for r in rows) == list(range(n))
    assert all(after[h] == t for h, t in before.items())  # finished cells were not rerun
    # and the resumed results are the ones an uninterrupted run gives
    fresh = run_suite(["binary_addition"], ["lif_reservoir"], [0, n - 1], {
        "binary_addition": {"train_bits": 3, "test_bits": 4, "n_train": 48, "n_test": 16}},
        {"lif_reservoir": {"n_neurons": 40}}, progress=False)
    by_seed = {r["seed"]: r for r in rows}
    for r in fresh:
        assert by_seed[r["seed"]]["metrics"] == pytest.approx(r["metrics"])
        assert by_seed[r["seed"]]["ops"] == pytest.approx(r["ops"])


SAME_KEYS = ("task", "learner", "seed", "config_hash", "status", "metrics", "chance", "ops",
             "train_ops", "energy_j", "energy_compute_j", "train_memory_bytes", "params",
             "history", "task_label", "learner_label")


def test_local_cluster_gives_the_same_rows_as_in_process(tmp_path):
    pytest.importorskip("distributed")
    kw = dict(tasks=["binary_addition"], learners=["lstm", "lif_reservoir"], seeds=[0],
              task_params=TINY, learner_params={"lstm": {"epochs": 2, "hidden_size": 4},
                                                "lif_reservoir": {"n_neurons": 30}},
              learner_grid={"lstm": {"lr": [0.01, -1.0]}}, progress=False, threads=1)
    local = run_suite(**kw)
    dist = run_suite(**kw, local_workers=2, store=tmp_path / "d.sqlite")
    assert len(local) == len(dist) == 3
    for a, b in zip(local, dist, strict=True):
        for key in SAME_KEYS:
            assert a.get(key) == b.get(key), (a["learner_label"], a["seed"], key)
    failed = [r for r in dist if r["status"] == "failed"]
    assert len(failed) == 1 and "lstm.lr must be > 0" in failed[0]["error"]
    with ResultStore(tmp_path / "d.sqlite") as st:
        assert len(st) == 3


def test_cell_is_plain_data():
    c = Cell("adding", "lstm", 0)
    assert c.describe() == "adding / lstm / seed 0"
    with pytest.raises(AttributeError):
        c.seed = 1


@pytest.mark.slow
def test_existing_scheduler_address_gives_the_same_rows():
    distributed = pytest.importorskip("distributed")
    kw = dict(tasks=["binary_addition"], learners=["lstm", "lif_reservoir"], seeds=[0, 1],
              task_params=TINY, learner_params={"lstm": {"epochs": 2, "hidden_size": 4},
                                                "lif_reservoir": {"n_neurons": 30}},
              progress=False, threads=1)
    local = run_suite(**kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dist = run_suite(**kw, scheduler=cluster.scheduler_address)
    for a, b in zip(local, dist, strict=True):
        for key in SAME_KEYS:
            assert a.get(key) == b.get(key), (a["learner_label"], a["seed"], key)


def test_rows_of_different_code_are_recomputed(tmp_path, monkeypatch):
    import comparisons.sweep as sweep

    store = tmp_path / "r.sqlite"
    args = (["binary_addition"], ["test_counting"], [0, 1], TINY)
    rows = run_suite(*args, progress=False, store=store)
    assert rows[0]["versions"]["code"] == sweep.code_fingerprint() and len(CALLS) == 2
    run_suite(*args, progress=False, store=store)
    assert len(CALLS) == 2
    monkeypatch.setattr(sweep, "_CODE", "edited-learner")
    run_suite(*args, progress=False, store=store)
    assert len(CALLS) == 4
