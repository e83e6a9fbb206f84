"""Results store: round trips, resume bookkeeping, concurrent writers, read-only and full."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from comparisons.store import ResultStore, StoreError, to_jsonable

REPO = Path(__file__).resolve().parents[2]


def _row(i, status="ok", learner="lstm", task="adding"):
    return {"task": task, "learner": learner, "seed": i, "config_hash": f"h{learner}{i:04d}",
            "status": status, "metrics": {"mse": 0.1 * i, "bad": float("nan")},
            "ops": {"mac": np.float64(3.0)}, "versions": {"torch": "x"}, "device": "cpu",
            "artifacts": {"raster_t": np.arange(4), "raster_i": np.array([1, 0, 1, 2])}}


def test_round_trip_with_artifacts_and_nan(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st:
        st.put(_row(1))
        got = st.get("hlstm0001")
        assert got["metrics"] == {"mse": 0.1, "bad": None}  # NaN is stored as null
        assert got["ops"]["mac"] == 3.0
        assert got["artifacts"]["raster_i"] == [1, 0, 1, 2]
        assert "artifacts" not in st.get("hlstm0001", artifacts=False)
        assert st.get("nope") is None
        assert len(st) == 1 and st.integrity_check() == "ok"


def test_put_replaces_the_same_cell_and_failed_cells_are_not_finished(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st:
        st.put(_row(1, status="failed"))
        assert st.finished_hashes() == set()
        st.put(_row(1, status="ok"))
        st.put(_row(2, status="skipped"))
        assert len(st) == 2
        assert st.finished_hashes() == {"hlstm0001", "hlstm0002"}
        assert [r["seed"] for r in st.rows(status="ok")] == [1]


def test_rows_filter_and_order(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st:
        st.put_many([_row(3, learner="gru"), _row(1), _row(0, task="copy")])
        assert [(r["task"], r["learner"], r["seed"]) for r in st.rows()] == [
            ("adding", "gru", 3), ("adding", "lstm", 1), ("copy", "lstm", 0)]
        assert len(st.rows(learner="lstm")) == 2


def test_row_without_key_fields_is_rejected(tmp_path):
    with ResultStore(tmp_path / "r.sqlite") as st, \
            pytest.raises(ValueError, match="a result row needs 'config_hash'"):
        st.put({"task": "a", "learner": "b", "seed": 0, "status": "ok"})


def test_reopen_keeps_rows_and_readonly_open_reads_them(tmp_path):
    p = tmp_path / "r.sqlite"
    with ResultStore(p) as st:
        st.put_many([_row(i) for i in range(3)])
    with ResultStore(p, readonly=True) as ro:
        assert len(ro) == 3
        with pytest.raises(StoreError, match="opened read-only"):
            ro.put(_row(9))


def test_not_a_store_gives_clear_error(tmp_path):
    p = tmp_path / "junk.sqlite"
    p.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"junk.sqlite: cannot .*not a valid results store"):
        ResultStore(p)
    with pytest.raises(StoreError, match="does not exist"):
        ResultStore(tmp_path / "missing.sqlite", readonly=True)


def test_full_database_raises_clear_error_and_keeps_earlier_rows(tmp_path):
    """SQLITE_FULL (the same code path as a full disk) via a page-count limit."""
    p = tmp_path / "r.sqlite"
    st = ResultStore(p)
    pages = st._conn.execute("PRAGMA page_count").fetchone()[0]
    st._conn.execute(f"PRAGMA max_page_count = {pages + 3}")
    big = "x" * 3000
    stored = 0
    with pytest.raises(StoreError, match=r"r.sqlite: cannot store the row of .*is full"):
        for i in range(100):
            row = _row(i)
            row["blob"] = big
            st.put(row)
            stored += 1
    assert 0 < stored < 100
    st.close()
    with ResultStore(p) as again:  # the limit is per connection; the file is sound
        assert len(again) == stored
        assert again.integrity_check() == "ok"
        assert {r["seed"] for r in again.rows()} == set(range(stored))
        again.put(_row(500))  # and writable again
        assert len(again) == stored + 1


_WRITER = """
import sys
from comparisons.store import ResultStore
path, wid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with ResultStore(path, timeout=0.05, retries=200) as st:
    for i in range(n):
        st.put({"task": "t", "learner": f"w{wid}", "seed": i, "config_hash": f"{wid}-{i}",
                "status": "ok", "metrics": {"v": wid * 1000 + i}, "pad": "y" * 2000})
        # every writer also rewrites one shared cell: last write wins, never a torn row
        st.put({"task": "t", "learner": "shared", "seed": 0, "config_hash": "shared",
                "status": "ok", "metrics": {"v": wid}})
"""


def test_concurrent_writers_do_not_corrupt(tmp_path):
    p = tmp_path / "r.sqlite"
    ResultStore(p).close()
    n_proc, n_rows = 4, 40
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(p), str(w), str(n_rows)],
                              cwd=REPO, stderr=subprocess.PIPE, text=True)
             for w in range(n_proc)]
    errs = [pr.communicate(timeout=120)[1] for pr in procs]
    assert all(pr.returncode == 0 for pr in procs), errs
    with ResultStore(p) as st:
        assert st.integrity_check() == "ok"
        rows = st.rows()
        assert len(rows) == n_proc * n_rows + 1
        for r in rows:
            if r["learner"] != "shared":
                assert r["metrics"]["v"] == int(r["learner"][1:]) * 1000 + r["seed"]
        assert st.get("shared")["metrics"]["v"] in range(n_proc)


DROP_CAPS = ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
             "--inh-caps=-dac_override,-dac_read_search", "--"]


def _unprivileged_prefix() -> list[str] | None:
    """Command prefix under which file permissions apply (root ignores them: drop the
    capabilities that let it), or None when that is impossible here."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return None
    return DROP_CAPS


def run_unprivileged(argv: list[str]) -> subprocess.CompletedProcess:
    prefix = _unprivileged_prefix()
    if prefix is None:
        pytest.skip("running as root without util-linux `setpriv`: cannot make a directory "
                    "read-only for this process")
    return subprocess.run([*prefix, *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def read_only_dir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="neurosim-ro-"))
    return d


_OPEN = """
import sys
from comparisons.store import ResultStore, StoreError
try:
    with ResultStore(sys.argv[1]) as st:
        st.put({"task": "t", "learner": "l", "seed": 0, "config_hash": "new", "status": "ok"})
except StoreError as exc:
    print("STORE_ERROR", exc)
    sys.exit(3)
"""


def test_read_only_directory_gives_clear_error_and_store_unchanged():
    d = read_only_dir()
    try:
        existing = d / "existing.sqlite"
        with ResultStore(existing) as st:
            st.put(_row(1))
        existing.chmod(0o644)
        d.chmod(0o555)
        # a new store in a read-only directory
        res = run_unprivileged([sys.executable, "-c", _OPEN, str(d / "sub" / "new.sqlite")])
        assert res.returncode == 3, res.stderr
        assert "STORE_ERROR" in res.stdout and "cannot create directory" in res.stdout
        res = run_unprivileged([sys.executable, "-c", _OPEN, str(d / "new.sqlite")])
        assert res.returncode == 3, res.stderr
        assert "not writable" in res.stdout and "read-only" in res.stdout
        # an existing store whose file and directory are read-only
        res = run_unprivileged([sys.executable, "-c", _OPEN, str(existing)])
        assert res.returncode == 3, res.stderr
        assert "not writable" in res.stdout
        # ... which can still be read (e.g. to render a report)
        res = run_unprivileged([sys.executable, "-c", "import sys; from comparisons.store "
                                "import ResultStore as S; print(len(S(sys.argv[1], "
                                "readonly=True)))", str(existing)])
        assert res.returncode == 0 and res.stdout.strip() == "1", res.stderr
        d.chmod(0o755)
        with ResultStore(existing) as st:
            assert len(st) == 1 and st.integrity_check() == "ok"
    finally:
        d.chmod(0o755)
        for f in sorted(d.rglob("*"), reverse=True):
            f.unlink() if f.is_file() else f.rmdir()
        d.rmdir()


def test_to_jsonable_handles_numpy_and_specials():
    v = to_jsonable({1: (np.int64(2), np.float32(0.5), float("inf")), "a": np.eye(2)})
    assert v == {"1": [2, 0.5, None], "a": [[1.0, 0.0], [0.0, 1.0]]}
    assert json.loads(json.dumps(v)) == v


def test_sqlite_is_in_wal_mode(tmp_path):
    with ResultStore(tmp_path / "r.sqlite"):
        con = sqlite3.connect(tmp_path / "r.sqlite")
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        con.close()
