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
    #: the run's budget (:class:`comparisons.protocol.Budget` as a dict; None: untuned)
    budget: dict[str, Any] | None = None
    #: the study that chose ``learner_params`` (stored in the row; not part of the hash)
    tuning: dict[str, Any] | None = field(default=None, compare=False)
    #: the learner-grid point of this cell (``{}`` without a grid): the ablation factors
    learner_variant: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def config_hash(self) -> str:
        """The hash :func:`comparisons.runner.run_cell` gives this cell's row."""
        from comparisons.learners import get_learner_class
        from comparisons.protocol import Budget, learner_settings
        from comparisons.runner import config_hash
        from comparisons.tasks import get_task

        task_cfg = get_task(self.task, **self.task_params).config()
        bud = None if self.budget is None else Budget.from_dict(dict(self.budget))
        settings = learner_settings(get_learner_class(self.learner),
                                    dict(self.learner_params), bud)
        from comparisons.store import to_jsonable

        return config_hash(self.task, task_cfg, self.learner, to_jsonable(settings),
                           self.seed, None if bud is None else bud.to_dict())

    def describe(self) -> str:
        return f"{self.task_label or self.task} / {self.learner_label or self.learner} / " \
               f"seed {self.seed}"


def task_budget(budget: Mapping[str, Any] | None,
                task_budgets: Mapping[str, Mapping[str, Any]] | None, task: str
                ) -> dict[str, Any] | None:
    """The budget of ``task``'s cells: the run's, updated by the task's own settings
    (validated: unknown settings are an error naming the allowed ones)."""
    if budget is None:
        return None
    from comparisons.protocol import Budget

    return Budget.from_dict({**dict(budget), **dict((task_budgets or {}).get(task, {}))}
                            ).to_dict()


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
    budget: Mapping[str, Any] | None = None,
    task_budgets: Mapping[str, Mapping[str, Any]] | None = None,
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
    budget : mapping, optional
        The run's budget (:class:`comparisons.protocol.Budget` as a dict) given to every
        cell.
    task_budgets : mapping, optional
        Per task, settings that replace the run's budget for every learner of that task
        (e.g. ``{"mackey_glass": {"passes": 100}}``: 64 long series need more passes).
    """
    from comparisons.learners import list_learners
    from comparisons.tasks import list_tasks

    if isinstance(tasks, str) or isinstance(learners, str):
        what, val = ("tasks", tasks) if isinstance(tasks, str) else ("learners", learners)
        raise TypeError(f"tasks and learners must be lists of names, not a single string; "
                        f"got {what}={val!r} (write [{val!r}])")
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
                                          _label(lname, lv), device, task_budget(
                                              budget, task_budgets, t),
                                          learner_variant=dict(lv)))
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
                   dict(cell.learner_params), device=cell.device, budget=cell.budget,
                   tuning=cell.tuning)
    row["task_label"] = cell.task_label or cell.task
    row["learner_label"] = cell.learner_label or cell.learner
    row["learner_variant"] = dict(cell.learner_variant)
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
        self.skipped: set[tuple[str, str]] = set()
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
        pair = (row.get("task_label", row["task"]), row.get("learner_label", row["learner"]))
        if row["status"] == "skipped" and pair not in self.skipped:
            self.skipped.add(pair)
            msg = f"skipped {pair[0]} / {pair[1]}: {row.get('error')}"
            if self.bar is not None:
                self.bar.write(msg, file=sys.stderr)
            else:
                print(msg, file=sys.stderr, flush=True)

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
    import os

    from neurosim.backends import default_threads

    # the compiled backend's threads per worker: the cores shared out (no oversubscription)
    env = {"NEUROSIM_NUM_THREADS": os.environ.get(
        "NEUROSIM_NUM_THREADS", str(max(1, default_threads() // max(1, local_workers or 1))))}
    cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40, env=env)
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
    client: Any = None,
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
    client : distributed.Client, optional
        An open Dask client to run on (instead of ``scheduler`` / ``local_workers``).
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
            if todo and (client is not None or scheduler is not None
                         or local_workers is not None):
                _run_dask(cells, todo, finish, scheduler, local_workers, threads, client)
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
              local_workers: int | None, threads: int | None, client: Any = None) -> None:
    from distributed import as_completed

    own = client is None
    cluster = None
    if own:
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
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


def check_settings(
    tasks: Sequence[str],
    learners: Sequence[str],
    task_params: Mapping[str, Mapping[str, Any]] | None = None,
    learner_params: Mapping[str, Mapping[str, Any]] | None = None,
    task_grid: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    learner_grid: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    budget: Any = None,
) -> None:
    """Check every setting name before anything runs: a typo is a ``ValueError`` naming
    the setting and the allowed names (what the CLI's config check does, for the API).
    Settings the budget owns (a learner's epochs) are refused when a budget is given."""
    import inspect

    from comparisons.learners import get_learner_class
    from comparisons.protocol import check_learner_params
    from comparisons.space import check_params
    from comparisons.tasks import TASKS

    for name in tasks:
        check_choice("task", name, TASKS)
        init = inspect.signature(TASKS[name].__init__).parameters
        allowed = {k: p.default for k, p in init.items() if k != "self"}
        for src in (task_params, task_grid):
            check_params(f"task {name!r}", dict((src or {}).get(name, {})), allowed)
    for name in learners:
        cls = get_learner_class(name)
        for src in (learner_params, learner_grid):
            check_learner_params(cls, dict((src or {}).get(name, {})), budget)


def run_suite(
    tasks: Sequence[str],
    learners: Sequence[str],
    seeds: Iterable[int] = (0,),
    task_params: Mapping[str, Mapping[str, Any]] | None = None,
    learner_params: Mapping[str, Mapping[str, Any]] | None = None,
    device: str = "auto",
    progress: bool = True,
    on_row: RowCallback | None = None,
    *,
    budget: Any = None,
    task_budgets: Mapping[str, Mapping[str, Any]] | None = None,
    store: str | os.PathLike | ResultStore | None = None,
    resume: bool = True,
    task_grid: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    learner_grid: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
    scheduler: str | None = None,
    local_workers: int | None = None,
    threads: int | None = None,
) -> list[dict[str, Any]]:
    """Tune every (task, learner) pair with an equal budget, then run every seed.

    With a ``budget`` (:class:`comparisons.protocol.Budget` or a dict of its settings) this
    is the comparison protocol: one Optuna study per (task, learner variant) on the tuning
    seed's train/validation splits (:func:`comparisons.tuning.tune`), then every seed trains
    from scratch with the chosen settings and the budget's passes, early-stopped on its
    validation split, and scores its test split once. Without a budget the learners run
    untuned with the settings given (each its own default epochs: unequal budgets, which
    the report says).

    Parameters
    ----------
    tasks, learners : sequence of str
        Registered names (unknown names raise ``ValueError`` listing the valid ones before
        anything runs).
    seeds : iterable of int
        Evaluation seeds (each resamples the data where the task generates it, the split of
        fixed datasets, and the initialisation).
    task_params, learner_params : mapping, optional
        Fixed settings per name, e.g. ``{"lstm": {"hidden_size": 16}}``; fixed learner
        settings are left out of the search. Unknown names raise ``ValueError``.
    budget : Budget or dict, optional
        Trials, passes, patience, tuning seed (see :class:`comparisons.protocol.Budget`).
    task_budgets : mapping, optional
        Per task, budget settings that replace the run's for every learner of that task
        (equal across learners, not across tasks), e.g. ``{"mackey_glass": {"passes":
        100}}``.
    progress : bool
        Progress on stderr: one line per tuning trial, a bar (terminal) or a line per cell,
        and the reason of every skipped (task, learner) pair.
    on_row : callable, optional
        Called with each newly computed row.
    store : str, Path or ResultStore, optional
        SQLite results store: each row is written when it finishes; with ``resume`` the
        cells already stored as finished are read back instead of run. The Optuna studies
        are kept beside it (``<store>.optuna.sqlite``), so a killed tuning run resumes.
    task_grid, learner_grid : mapping, optional
        Parameter grids (see :func:`expand`); each variant is tuned on its own.
    scheduler, local_workers : optional
        Run trials and cells on a Dask scheduler at this address, or on a ``LocalCluster``
        with this many worker processes.
    threads : int, optional
        torch threads per cell (``None``: leave as is in-process, 1 on Dask workers).

    Returns
    -------
    list of dict
        One row per (task, learner variant, seed); see ``docs/guide/results-schema.md``.
    """
    from comparisons.protocol import Budget
    from comparisons.tuning import TuneSpec, tune

    if isinstance(tasks, str) or isinstance(learners, str):
        what, val = ("tasks", tasks) if isinstance(tasks, str) else ("learners", learners)
        raise TypeError(f"tasks and learners must be lists of names, not a single string; "
                        f"got {what}={val!r} (write [{val!r}])")
    bud = None if budget is None else Budget.from_dict(budget)
    seeds = [check_int("seed", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed, got an empty list")
    for what, names in (("tasks", tasks), ("learners", learners)):
        if not list(names):
            raise ValueError(f"{what} must name at least one {what[:-1]}, got an empty "
                             f"list (see `neurosim-compare list {what}`)")
    check_settings(tasks, learners, task_params, learner_params, task_grid, learner_grid,
                   bud)
    for t in task_budgets or {}:
        if t not in tasks:
            raise ValueError(f"task_budgets names {t!r}, which is not in this sweep; "
                             f"choose from: {', '.join(tasks)}")
        if bud is None:
            raise ValueError("task_budgets need a budget (budget=...)")
    cells = expand(tasks, learners, seeds, task_params, learner_params, task_grid,
                   learner_grid, device=device, budget=None if bud is None else bud.to_dict(),
                   task_budgets=task_budgets)
    distributed = scheduler is not None or local_workers is not None
    if threads is None and distributed:
        threads = 1
    if local_workers is not None:
        local_workers = check_int("local_workers", local_workers, low=1)
    st = open_store(store)
    owns = st is not None and st is not store
    client = cluster = None
    try:
        if distributed:
            client, cluster = _dask_client(scheduler, local_workers)
        if bud is not None:
            cells = _tuned(cells, bud, seeds, st, client, progress, TuneSpec, tune)
        return run_cells(cells, store=st, threads=threads, progress=progress,
                         on_row=on_row, resume=resume, client=client)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        if owns:
            st.close()


def _tuned(cells: list[Cell], bud: Any, seeds: list[int], st: ResultStore | None,
           client: Any, progress: bool, TuneSpec: Any, tune: Any) -> list[Cell]:
    """Tune each supported (task, learner variant) once; give its cells the chosen settings
    and the study's record."""
    from dataclasses import replace

    from comparisons.learners import get_learner_class
    from comparisons.protocol import Budget, learner_supports
    from comparisons.tasks import get_task

    tune_seed = bud.tune_seed if bud.tune_seed is not None else seeds[0]
    specs: dict[tuple[str, str], Any] = {}
    for c in cells:
        key = (c.task_label or c.task, c.learner_label or c.learner)
        if key in specs:
            continue
        task = get_task(c.task, **c.task_params)
        cls = get_learner_class(c.learner)
        if not (learner_supports(cls, task)[0]
                and cls.applicable(dict(c.learner_params))[0]):
            continue  # run_cell records the skip and its reason
        specs[key] = TuneSpec(c.task, c.learner, dict(c.task_params), dict(c.learner_params),
                              Budget.from_dict(dict(c.budget)), tune_seed, c.device)
    storage = None
    if st is not None:
        from pathlib import Path

        p = Path(st.path)
        storage = str(p.with_name(p.stem + ".optuna.sqlite"))
    results = dict(zip(specs, tune(list(specs.values()), storage=storage, client=client,
                                   progress=progress), strict=True))
    out = []
    for c in cells:
        res = results.get((c.task_label or c.task, c.learner_label or c.learner))
        if res is None:
            out.append(c)
            continue
        out.append(replace(c, learner_params={**c.learner_params, **res["chosen"]},
                           tuning=res))
    return out


__all__ = ["Cell", "expand", "task_budget", "execute_cell", "run_cells", "run_suite",
           "check_settings",
           "Progress", "code_fingerprint"]
