"""Sweeps: tasks x learners x seeds x parameter grids, in-process or on Dask distributed.

A sweep is a list of :class:`Cell` s (:func:`expand`) run by :func:`run_cells`:

- in-process by default, one cell after the other;
- on a Dask cluster when given ``scheduler="tcp://host:8786"`` (an existing scheduler) or
  ``local_workers=N`` (a ``LocalCluster`` of N worker processes, one thread each, started and
  stopped by the sweep). A cell computes the same row wherever it runs: every random thing in
  a cell is seeded by the cell's seed, and workers use the same number of torch threads
  (``threads``, default 1) as an in-process run.

With a results store (:class:`comparisons.store.ResultStore` or a path), every finished row is
written as soon as it arrives (by the driver process), and cells whose config hash is already
stored as finished (``ok`` or ``skipped``) by the same code (:func:`code_fingerprint`) are
not run again: their stored rows are returned.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from comparisons.store import FINISHED, ResultStore, open_store
from comparisons.validation import check_choice, check_int

RowCallback = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Cell:
    """One (task, learner, seed) run with its parameters."""

    task: str
    learner: str
    seed: int
    task_params: dict[str, Any] = field(default_factory=dict)
    learner_params: dict[str, Any] = field(default_factory=dict)
    task_label: str = ""
    learner_label: str = ""
    device: str = "auto"

    @property
    def config_hash(self) -> str:
        """The hash :func:`comparisons.runner.run_cell` gives this cell's row."""
        from comparisons.runner import config_hash
        from comparisons.tasks import get_task

        task_cfg = get_task(self.task, **self.task_params).config()
        return config_hash(self.task, task_cfg, self.learner, dict(self.learner_params),
                           self.seed)

    def describe(self) -> str:
        return f"{self.task_label or self.task} / {self.learner_label or self.learner} / " \
               f"seed {self.seed}"


def _label(name: str, variant: Mapping[str, Any]) -> str:
    if not variant:
        return name
    return name + "[" + ",".join(f"{k}={v}" for k, v in sorted(variant.items())) + "]"


def _grid_points(grid: Mapping[str, Sequence[Any]] | None, what: str) -> list[dict[str, Any]]:
    """Cartesian product of a ``{param: [values]}`` grid (``[{}]`` when empty)."""
    if not grid:
        return [{}]
    keys = sorted(grid)
    for k in keys:
        vals = grid[k]
        if isinstance(vals, str | bytes) or not isinstance(vals, Sequence) or not vals:
            raise TypeError(f"{what}.{k} must be a non-empty list of values, got {vals!r}")
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(grid[k] for k in keys))]


def expand(
    tasks: Sequence[str],
    learners: Sequence[str],
    seeds: Iterable[int] = (0,),
    task_params: Mapping[str, Mapping[str, Any]] | None = None,
    learner_params: Mapping[str, Mapping[str, Any]] | None = None,
    task_grid: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    learner_grid: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    device: str = "auto",
) -> list[Cell]:
    """All cells of a sweep, in the order tasks x task-grid x learners x learner-grid x seeds.

    Parameters
    ----------
    tasks, learners : sequence of str
        Registered names; unknown names raise ``ValueError`` listing the valid ones.
    seeds : iterable of int
    task_params, learner_params : mapping, optional
        Fixed keyword arguments per name, e.g. ``{"lstm": {"epochs": 5}}``.
    task_grid, learner_grid : mapping, optional
        Values to sweep per name, e.g. ``{"lstm": {"hidden_size": [8, 16]}}``; every
        combination becomes its own variant, labelled ``lstm[hidden_size=8]``.
    """
    from comparisons.learners import list_learners
    from comparisons.tasks import list_tasks

    if isinstance(tasks, str) or isinstance(learners, str):
        raise TypeError("tasks and learners must be lists of names, not a single string")
    for t in tasks:
        check_choice("task", t, list_tasks())
    for name in learners:
        check_choice("learner", name, list_learners())
    seeds = [check_int("seed", s, low=0) for s in seeds]
    for kind, mapping, valid in (("task_params", task_params, tasks),
                                 ("learner_params", learner_params, learners),
                                 ("task_grid", task_grid, tasks),
                                 ("learner_grid", learner_grid, learners)):
        for key, val in (mapping or {}).items():
            if key not in valid:
                raise ValueError(f"{kind} names {key!r}, which is not in this sweep; "
                                 f"choose from: {', '.join(valid)}")
            if not isinstance(val, Mapping):
                raise TypeError(f"{kind}.{key} must be a table of parameters, got {val!r}")
    cells = []
    for t in tasks:
        for tv in _grid_points((task_grid or {}).get(t), f"task_grid.{t}"):
            tp = {**(task_params or {}).get(t, {}), **tv}
            for lname in learners:
                for lv in _grid_points((learner_grid or {}).get(lname),
                                       f"learner_grid.{lname}"):
                    lp = {**(learner_params or {}).get(lname, {}), **lv}
                    for s in seeds:
                        cells.append(Cell(t, lname, s, tp, lp, _label(t, tv),
                                          _label(lname, lv), device))
    return cells


_CODE: str | None = None


def code_fingerprint() -> str:
    """Hash of the source of the packages that compute results (comparisons, backprop,
    neurosim: ``*.py`` and profile data). Stored with each row; a resumed sweep reuses only
    rows computed by the same code, so an edited learner never shows stale results.

    The environment variable ``NEUROSIM_CODE_FINGERPRINT`` replaces the hash (to reuse
    results across edits on purpose, or to pin it in tests while others edit the tree).
    """
    global _CODE
    if _CODE is None and os.environ.get("NEUROSIM_CODE_FINGERPRINT"):
        _CODE = os.environ["NEUROSIM_CODE_FINGERPRINT"]
    if _CODE is None:
        import hashlib
        import importlib.util
        from pathlib import Path

        h = hashlib.sha256()
        for pkg in ("comparisons", "backprop", "neurosim"):
            spec = importlib.util.find_spec(pkg)
            if spec is None or not spec.submodule_search_locations:
                continue
            root = Path(next(iter(spec.submodule_search_locations)))
            for f in sorted([*root.rglob("*.py"), *root.rglob("*.json")]):
                h.update(str(f.relative_to(root.parent)).encode())
                h.update(f.read_bytes())
        _CODE = h.hexdigest()[:16]
    return _CODE


def execute_cell(cell: Cell, threads: int | None = None) -> dict[str, Any]:
    """Run one cell (in this process or on a Dask worker) and label its row."""
    from comparisons.runner import run_cell

    if threads is not None:
        import torch

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    row = run_cell(cell.task, cell.learner, cell.seed, dict(cell.task_params),
                   dict(cell.learner_params), device=cell.device)
    row["task_label"] = cell.task_label or cell.task
    row["learner_label"] = cell.learner_label or cell.learner
    row.setdefault("versions", {})["code"] = code_fingerprint()
    return row


def _crashed_row(cell: Cell, err: str) -> dict[str, Any]:
    """Row for a cell whose worker died (e.g. killed for memory) before returning a row."""
    from comparisons.runner import versions

    return {"task": cell.task, "learner": cell.learner, "seed": cell.seed,
            "config_hash": cell.config_hash, "task_label": cell.task_label or cell.task,
            "learner_label": cell.learner_label or cell.learner, "metrics": {}, "ops": {},
            "energy_j": {}, "energy_compute_j": {}, "train_memory_bytes": None,
            "wall_s": 0.0, "status": "failed", "error": err, "device": cell.device,
            "versions": versions(), "task_config": dict(cell.task_params),
            "learner_config": dict(cell.learner_params)}


class Progress:
    """A tqdm bar on a terminal; one line per finished cell otherwise (e.g. CI logs)."""

    def __init__(self, total: int, enabled: bool, done: int = 0) -> None:
        self.total, self.n, self.enabled = total, done, enabled
        self.bar = None
        self.t0 = time.perf_counter()
        if enabled and sys.stderr.isatty():
            import shutil

            from tqdm.auto import tqdm

            # a pseudo-terminal may report 0 columns: tqdm would then draw nothing
            cols = shutil.get_terminal_size((100, 20)).columns
            self.bar = tqdm(total=total, initial=done, desc="cells", unit="cell",
                            file=sys.stderr, ncols=cols if cols >= 40 else 100)

    def update(self, row: dict[str, Any]) -> None:
        self.n += 1
        if not self.enabled:
            return
        what = f"{row.get('task_label', row['task'])} / " \
               f"{row.get('learner_label', row['learner'])} / seed {row['seed']}"
        if self.bar is not None:
            self.bar.set_postfix_str(f"{what}: {row['status']}")
            self.bar.update(1)
        else:
            print(f"[{self.n}/{self.total}] {what}: {row['status']} "
                  f"({row.get('wall_s', 0.0):.1f} s; {time.perf_counter() - self.t0:.0f} s "
                  "elapsed)", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _dask_client(scheduler: str | None, local_workers: int | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise RuntimeError("Dask sweeps need `dask[distributed]`; pip install "
                           "'dask[distributed]'") from exc
    if scheduler is not None:
        try:
            return Client(scheduler, timeout="20s"), None
        except OSError as exc:
            raise OSError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from exc
    cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    return Client(cluster), cluster


def run_cells(
    cells: Sequence[Cell],
    store: str | os.PathLike | ResultStore | None = None,
    scheduler: str | None = None,
    local_workers: int | None = None,
    threads: int | None = 1,
    progress: bool = True,
    on_row: RowCallback | None = None,
    resume: bool = True,
) -> list[dict[str, Any]]:
    """Run ``cells``; return their rows in cell order.

    Parameters
    ----------
    cells : sequence of Cell
    store : path or ResultStore, optional
        Rows are written here as they finish; with ``resume`` finished cells are read back
        instead of being run.
    scheduler : str, optional
        Address of a running Dask scheduler.
    local_workers : int, optional
        Start a Dask ``LocalCluster`` with this many worker processes (ignored with
        ``scheduler``).
    threads : int or None
        torch threads per cell (the same in-process and on workers; ``None`` leaves it).
    progress : bool
        Progress bar (a terminal) or one line per cell (otherwise) on stderr.
    on_row : callable, optional
        Called with each newly computed row.
    resume : bool
        Skip cells the store already holds as finished.
    """
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be an address string, got {scheduler!r}")
    if local_workers is not None:
        local_workers = check_int("local_workers", local_workers, low=1)
    if threads is not None:
        threads = check_int("threads", threads, low=1)
    st = open_store(store)
    owns = st is not None and st is not store
    try:
        hashes = [c.config_hash for c in cells]
        rows: list[dict[str, Any] | None] = [None] * len(cells)
        stale = 0
        if st is not None and resume:
            done = st.finished_hashes(FINISHED)
            code = code_fingerprint()
            for i, h in enumerate(hashes):
                if h in done:
                    row = st.get(h)
                    if (row.get("versions") or {}).get("code") == code:
                        rows[i] = row
                    else:
                        stale += 1
        todo = [i for i, r in enumerate(rows) if r is None]
        if progress and stale:
            print(f"{stale} stored cell(s) were computed by different code; running them "
                  "again", file=sys.stderr)
        bar = Progress(len(cells), progress, done=len(cells) - len(todo))
        if progress and len(todo) < len(cells):
            print(f"resuming: {len(cells) - len(todo)} of {len(cells)} cells already in "
                  f"{st.path}", file=sys.stderr)

        def finish(i: int, row: dict[str, Any]) -> None:
            if st is not None:
                st.put(row)
            rows[i] = row
            if on_row is not None:
                on_row(row)
            bar.update(row)

        try:
            if todo and (scheduler is not None or local_workers is not None):
                _run_dask(cells, todo, finish, scheduler, local_workers, threads)
            else:
                for i in todo:
                    finish(i, execute_cell(cells[i], threads))
        finally:
            bar.close()
        return [r for r in rows if r is not None]
    finally:
        if owns:
            st.close()


def _run_dask(cells: Sequence[Cell], todo: list[int], finish, scheduler: str | None,
              local_workers: int | None, threads: int | None) -> None:
    from distributed import as_completed

    client, cluster = _dask_client(scheduler, local_workers)
    try:
        futs = {}
        for i in todo:
            f = client.submit(execute_cell, cells[i], threads, pure=False,
                              key=f"cell-{i}-{cells[i].config_hash}")
            futs[f] = i
        for fut in as_completed(futs):
            i = futs[fut]
            try:
                row = fut.result()
            except Exception:  # noqa: BLE001 - a lost worker fails its cell, not the sweep
                row = _crashed_row(cells[i], "the Dask worker failed running this cell:\n"
                                   + traceback.format_exc())
            finish(i, row)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["Cell", "expand", "execute_cell", "run_cells", "Progress", "code_fingerprint"]
