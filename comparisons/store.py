"""Results store: one SQLite file, one row per (task, learner, seed, config hash).

A sweep writes each finished cell at once, in its own transaction, so a sweep that is killed
(even with SIGKILL) loses at most the cell that was running; restarted with the same store it
skips the cells already finished. SQLite's write-ahead log (WAL) keeps readers and writers
apart, and several processes may write to one store at the same time: each write takes the
write lock up front (``BEGIN IMMEDIATE``), waits for it (``busy_timeout``) and retries with
back-off if the database stays locked.

Faults are reported, not hidden: a read-only location or a full disk raises
:class:`StoreError` (an ``OSError``) naming the file and what went wrong; the transaction
that failed is rolled back, so the store holds exactly the rows written before.

>>> with ResultStore("results.sqlite") as store:       # doctest: +SKIP
...     store.put(row)
...     store.finished_hashes()
"""

from __future__ import annotations

import json
import math
import os
import random
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

#: statuses that count as finished: a resumed sweep does not run these cells again
#: (failed cells are run again, since a failure may be transient).
FINISHED = ("ok", "skipped")

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    task TEXT NOT NULL,
    learner TEXT NOT NULL,
    seed INTEGER NOT NULL,
    config_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    device TEXT,
    versions TEXT NOT NULL,
    row TEXT NOT NULL,
    artifacts TEXT,
    stored_at REAL NOT NULL,
    PRIMARY KEY (task, learner, seed, config_hash)
);
CREATE INDEX IF NOT EXISTS runs_hash ON runs (config_hash);
CREATE TABLE IF NOT EXISTS memory_probe (
    learner TEXT NOT NULL,
    learner_hash TEXT NOT NULL,
    length INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (learner, learner_hash, length)
);
"""


class StoreError(OSError):
    """The results store cannot be read or written (read-only, full, corrupt, locked)."""


def to_jsonable(v: Any) -> Any:
    """JSON-safe copy of ``v``: numpy arrays -> lists, numpy scalars -> Python, NaN/inf ->
    ``None``, tuples -> lists, dict keys -> str."""
    if isinstance(v, dict):
        return {str(k): to_jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [to_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return to_jsonable(v.tolist())
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def _dumps(v: Any) -> str:
    return json.dumps(to_jsonable(v), sort_keys=True, allow_nan=False)


def _explain(exc: sqlite3.Error, path: Path, doing: str) -> StoreError:
    msg = str(exc)
    low = msg.lower()
    if "full" in low:
        why = "the disk (or the database size limit) is full"
    elif "readonly" in low or "read-only" in low or "unable to open" in low:
        why = (f"the file or its directory {path.parent} is not writable (read-only "
               "location or missing permission)")
    elif "locked" in low or "busy" in low:
        why = "the database stayed locked by another writer"
    elif "malformed" in low or "not a database" in low:
        why = "the file is not a valid results store"
    else:
        why = "sqlite reported an error"
    return StoreError(f"results store {path}: cannot {doing}: {why} (sqlite: {msg})")


class ResultStore:
    """SQLite results store (stdlib ``sqlite3``, WAL journal).

    Parameters
    ----------
    path : str or Path
        The database file; created (with its directory) if missing.
    timeout : float
        Seconds a write waits for the lock held by another process (``busy_timeout``).
    retries : int
        Further attempts, with exponential back-off, when the lock is still held.
    readonly : bool
        Open an existing store for reading only (e.g. to render a report).
    """

    def __init__(self, path: str | os.PathLike, timeout: float = 30.0, retries: int = 8,
                 readonly: bool = False) -> None:
        self.path = Path(path)
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.readonly = bool(readonly)
        if self.readonly:
            if not self.path.is_file():
                raise StoreError(f"results store {self.path} does not exist")
            # mode=ro still needs the WAL index (-shm) next to the file; in a read-only
            # directory fall back to immutable=1 (nobody can be writing there anyway)
            for query in ("mode=ro", "immutable=1"):
                uri = f"file:{self.path.resolve()}?{query}"
                try:
                    self._conn = sqlite3.connect(uri, uri=True, timeout=self.timeout,
                                                 isolation_level=None)
                    self._check_schema()
                    return
                except (sqlite3.Error, StoreError) as exc:
                    err = exc
            raise err if isinstance(err, StoreError) else _explain(
                err, self.path, "open it for reading")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"results store {self.path}: cannot create directory "
                             f"{self.path.parent}: {exc.strerror}") from exc
        try:
            self._conn = sqlite3.connect(str(self.path), timeout=self.timeout,
                                         isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        except sqlite3.Error as exc:
            raise _explain(exc, self.path, "open it for writing") from exc
        delay = 0.05
        for attempt in range(self.retries + 1):
            try:  # switching to WAL needs a moment of exclusive access
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise sqlite3.OperationalError(f"could not switch to WAL (got {mode})")
                self._conn.execute("PRAGMA synchronous = NORMAL")
                break
            except sqlite3.Error as exc:
                if "locked" in str(exc).lower() and attempt < self.retries:
                    time.sleep(delay * (1 + random.random()))
                    delay = min(delay * 2, 2.0)
                    continue
                self.close()
                raise _explain(exc, self.path, "open it for writing") from exc
        self._transact(self._create_schema, "create its tables")
        self._check_schema()

    # ------------------------------------------------------------------ internals
    def _create_schema(self) -> None:
        for stmt in _SCHEMA.split(";"):
            if stmt.strip():
                self._conn.execute(stmt)
        self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                           (str(SCHEMA_VERSION),))

    def _check_schema(self) -> None:
        try:
            got = self._conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.Error as exc:
            raise _explain(exc, self.path, "read its schema") from exc
        if got is None or int(got[0]) != SCHEMA_VERSION:
            raise StoreError(f"results store {self.path}: schema version "
                             f"{got[0] if got else 'missing'}, expected {SCHEMA_VERSION}")

    def _transact(self, fn, doing: str) -> Any:
        """Run ``fn`` in one write transaction (``BEGIN IMMEDIATE``), retried with back-off
        while the database is locked; rolled back on any error (``fn`` must be idempotent)."""
        if self.readonly:
            raise StoreError(f"results store {self.path} was opened read-only")
        delay = 0.05
        for attempt in range(self.retries + 1):
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc).lower() and attempt < self.retries:
                    time.sleep(delay * (1 + random.random()))
                    delay = min(delay * 2, 2.0)
                    continue
                raise _explain(exc, self.path, doing) from exc
            try:
                out = fn()
                self._conn.execute("COMMIT")
                return out
            except sqlite3.Error as exc:
                self._rollback()
                if "locked" in str(exc).lower() and attempt < self.retries:
                    time.sleep(delay * (1 + random.random()))
                    delay = min(delay * 2, 2.0)
                    continue
                raise _explain(exc, self.path, doing) from exc
            except BaseException:
                self._rollback()
                raise
        raise StoreError(f"results store {self.path}: cannot {doing}: still locked after "
                         f"{self.retries} retries")

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    # ------------------------------------------------------------------ rows
    def put(self, row: dict[str, Any]) -> None:
        """Insert or replace the row of one cell (keyed by task, learner, seed, hash)."""
        self.put_many([row])

    def put_many(self, rows: Iterable[dict[str, Any]]) -> None:
        """Insert or replace several rows in one transaction (all or none)."""
        recs = []
        for row in rows:
            for key in ("task", "learner", "seed", "config_hash", "status"):
                if key not in row:
                    raise ValueError(f"a result row needs {key!r}; got keys {sorted(row)}")
            public = {k: v for k, v in row.items() if k != "artifacts"}
            arts = row.get("artifacts")
            recs.append((row["task"], row["learner"], int(row["seed"]), row["config_hash"],
                         row["status"], str(row.get("device", "")),
                         _dumps(row.get("versions", {})), _dumps(public),
                         _dumps(arts) if arts else None, time.time()))
        if not recs:
            return

        def go() -> None:
            self._conn.executemany(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (task, learner, seed, config_hash) DO UPDATE SET "
                "status=excluded.status, device=excluded.device, versions=excluded.versions,"
                " row=excluded.row, artifacts=excluded.artifacts, "
                "stored_at=excluded.stored_at", recs)

        what = f"store the row of {recs[0][0]}/{recs[0][1]}/seed {recs[0][2]}"
        if len(recs) > 1:
            what = f"store {len(recs)} rows"
        self._transact(go, what)

    def _select(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise _explain(exc, self.path, "read it") from exc

    def finished_hashes(self, statuses: Iterable[str] = FINISHED) -> set[str]:
        """Config hashes of the cells whose status is one of ``statuses``."""
        st = tuple(statuses)
        q = ",".join("?" * len(st))
        return {h for (h,) in self._select(
            f"SELECT config_hash FROM runs WHERE status IN ({q})", st)}

    def get(self, config_hash: str, artifacts: bool = True) -> dict[str, Any] | None:
        """The stored row of one cell, or ``None``."""
        got = self._select("SELECT row, artifacts FROM runs WHERE config_hash = ?",
                           (config_hash,))
        return self._decode(got[0], artifacts) if got else None

    def rows(self, task: str | None = None, learner: str | None = None,
             status: str | None = None, artifacts: bool = True) -> list[dict[str, Any]]:
        """Stored rows (optionally filtered), ordered by task, learner, seed."""
        where, args = [], []
        for col, val in (("task", task), ("learner", learner), ("status", status)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = "SELECT row, artifacts FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY task, learner, seed, config_hash"
        return [self._decode(r, artifacts) for r in self._select(sql, tuple(args))]

    def stored_at(self) -> dict[str, float]:
        """config hash -> time the row was (last) written."""
        return dict(self._select("SELECT config_hash, stored_at FROM runs"))

    def _decode(self, rec: tuple, artifacts: bool) -> dict[str, Any]:
        try:
            row = json.loads(rec[0])
            if artifacts and rec[1]:
                row["artifacts"] = json.loads(rec[1])
        except json.JSONDecodeError as exc:
            raise StoreError(f"results store {self.path}: a stored row is not valid JSON "
                             f"({exc})") from exc
        return row

    def __len__(self) -> int:
        return int(self._select("SELECT COUNT(*) FROM runs")[0][0])

    # ------------------------------------------------------------------ memory probes
    def put_probe(self, records: Iterable[dict[str, Any]]) -> None:
        """Store training-memory-vs-length records (see :func:`runner.measure_train_memory`)."""
        recs = [(r["learner"], r["learner_hash"], int(r["length"]), _dumps(r))
                for r in records]
        if recs:
            self._transact(lambda: self._conn.executemany(
                "INSERT OR REPLACE INTO memory_probe VALUES (?,?,?,?)", recs),
                "store memory-probe records")

    def probes(self) -> list[dict[str, Any]]:
        return [json.loads(r) for (r,) in self._select(
            "SELECT record FROM memory_probe ORDER BY learner, learner_hash, length")]

    def probed(self) -> set[tuple[str, str]]:
        return {(a, b) for a, b in self._select(
            "SELECT DISTINCT learner, learner_hash FROM memory_probe")}

    # ------------------------------------------------------------------ housekeeping
    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result (``"ok"`` for a sound file)."""
        return str(self._select("PRAGMA integrity_check")[0][0])

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:
            pass

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r})"


def open_store(store: str | os.PathLike | ResultStore | None) -> ResultStore | None:
    """A :class:`ResultStore` from a path (or the store itself, or ``None``)."""
    if store is None or isinstance(store, ResultStore):
        return store
    return ResultStore(store)


def export_parquet(store: str | os.PathLike | ResultStore, path: str | os.PathLike,
                   task: str | None = None, learner: str | None = None,
                   status: str | None = None) -> Path:
    """Write the stored rows (optionally filtered) to a Parquet file, one row per run.

    Nested values are flattened to ``a.b`` columns (``pandas.json_normalize``); lists are
    stored as JSON strings; artifacts are left out. Written atomically (temporary file,
    then rename). Needs pandas and pyarrow: ``pip install 'neurosim[parquet]'``.
    Returns the path written.
    """
    try:
        import pandas as pd
        import pyarrow  # noqa: F401  (the Parquet engine)
    except ImportError as exc:
        raise ImportError("export_parquet needs pandas and pyarrow: pip install "
                          "'neurosim[parquet]' (or pip install pandas pyarrow)") from exc
    own = not isinstance(store, ResultStore)
    st = ResultStore(store, readonly=True) if own else store
    try:
        rows = st.rows(task=task, learner=learner, status=status, artifacts=False)
    finally:
        if own:
            st.close()
    df = pd.json_normalize(rows, sep=".")
    for col in df.columns:
        if df[col].map(lambda v: isinstance(v, list)).any():
            df[col] = df[col].map(lambda v: json.dumps(v) if isinstance(v, list) else v)
    from neurosim.atomic import atomic_path

    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
    return Path(path)


__all__ = ["ResultStore", "StoreError", "FINISHED", "open_store", "to_jsonable",
           "export_parquet"]
