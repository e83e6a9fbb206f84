"""``neurosim-compare``: run comparisons, write reports, list what is available.

Examples
--------
    neurosim-compare list
    neurosim-compare run --preset quick --out reports/latest
    neurosim-compare run --config sweep.toml --out out/ --local-workers 2
    neurosim-compare run --tasks binary_addition --learners lstm --seeds 0 1 --out out/
    neurosim-compare report --store out/results.sqlite --out out/
    neurosim-compare report --results out/results.json --out out/
    neurosim-compare report --results out/results.json --out out/ --match 0.9
    neurosim-compare report --store out/results.sqlite --out out/ --match seq_digits=0.9

``run`` writes every finished cell to a SQLite results store (default ``OUT/results.sqlite``)
at once; run the same command again after an interruption and the finished cells are read
back instead of recomputed (``--fresh`` recomputes them).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from comparisons.validation import check_choice, check_int, check_real


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="neurosim-compare", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.split("\n")[2:]))
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a comparison and write a report")
    src = run.add_mutually_exclusive_group()
    src.add_argument("--preset", default=None, help="named configuration (see `list`)")
    src.add_argument("--config", default=None, help="TOML sweep configuration file")
    run.add_argument("--tasks", nargs="+", default=None, help="task names (or: all)")
    run.add_argument("--learners", nargs="+", default=None, help="learner names (or: all)")
    run.add_argument("--seeds", nargs="+", type=int, default=None, help="seeds (ints >= 0)")
    run.add_argument("--device", default=None, help="auto, cpu or cuda")
    run.add_argument("--out", default="reports/latest", help="output directory")
    run.add_argument("--store", default=None,
                     help="SQLite results store (default: OUT/results.sqlite)")
    run.add_argument("--fresh", action="store_true",
                     help="recompute cells the store already holds, and tune again")
    run.add_argument("--trials", type=int, default=None,
                     help="tuning trials per task x learner (overrides the budget)")
    run.add_argument("--passes", type=int, default=None,
                     help="training passes per fit (overrides the budget)")
    run.add_argument("--no-tune", action="store_true",
                     help="no budget: run every learner untuned with its own defaults")
    dist = run.add_mutually_exclusive_group()
    dist.add_argument("--scheduler", default=None, help="Dask scheduler address to run on")
    dist.add_argument("--local-workers", type=int, default=None,
                      help="run on a Dask LocalCluster with this many worker processes")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument("--no-memory-probe", action="store_true",
                     help="skip measuring training memory vs sequence length")
    run.add_argument("--threads", type=int, default=None,
                     help="torch intra-op threads per cell (default 1: the suite's small "
                          "models run fastest single-threaded and do not oversubscribe a "
                          "shared CPU)")
    rep = sub.add_parser("report", help="render a report from a store or a results.json")
    rsrc = rep.add_mutually_exclusive_group(required=True)
    rsrc.add_argument("--store", help="a results store written by `run`")
    rsrc.add_argument("--results", help="a results.json written by `run`")
    rep.add_argument("--out", required=True, help="output directory")
    rep.add_argument("--title", default="neurosim comparison", help="report title")
    rep.add_argument("--match", nargs="+", default=None, metavar="LEVEL",
                     help="target validation score of the 'energy at a matched score' "
                          "tables: one number for every task, or TASK=LEVEL pairs (tasks "
                          "not named keep the default rule: the weakest and the median "
                          "learner that beat the trivial baseline)")
    lst = sub.add_parser("list", help="list tasks, learners, profiles and presets")
    lst.add_argument("what", nargs="?", default="all",
                     choices=["all", "tasks", "learners", "profiles", "presets"])
    return p


def _cmd_list(what: str) -> int:
    from comparisons.learners import get_learner_class, list_learners
    from comparisons.metrics.energy import get_profile, list_profiles
    from comparisons.presets import PRESETS
    from comparisons.protocol import learner_supports
    from comparisons.space import describe
    from comparisons.tasks import format_table, get_task, list_tasks

    if what in ("all", "tasks"):
        print("tasks:    " + ", ".join(list_tasks()))
        if what == "tasks":
            print(format_table())
    if what in ("all", "learners"):
        print("learners: " + ", ".join(list_learners(families=False)))
        from comparisons.learners import list_families

        for fam, rules in list_families().items():
            print(f"family {fam}: " + ", ".join(f"{fam}:{r}" for r in rules))
        if what == "learners":
            tasks = {t: get_task(t) for t in list_tasks()}
            for name in list_learners():
                cls = get_learner_class(name)
                ok = [t for t, task in tasks.items() if learner_supports(cls, task)[0]]
                doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
                doc = doc if len(doc) <= 100 else doc[:99] + "…"
                print(f"  {name:<16} {cls.family:<10} {doc}\n  {'':<16} tasks: "
                      f"{', '.join(ok) or '(none)'}")
                budget = (f"budget: {cls.budget_param} = passes" if cls.budget_param
                          else "budget: one-shot fit (one pass)")
                print(f"  {'':<16} {budget}; tunes: {describe(cls.search_space) or '(nothing)'}")
    if what in ("all", "profiles"):
        print("profiles: " + ", ".join(list_profiles()))
        if what == "profiles":
            for p in list_profiles():
                print(f"  {p:<12} {get_profile(p).title}")
    if what in ("all", "presets"):
        print("presets:  " + ", ".join(sorted(PRESETS)))
        if what == "presets":
            for name, pr in sorted(PRESETS.items()):
                print(f"  {name:<10} tasks: {pr['tasks']}; learners: {pr['learners']}; "
                      f"seeds: {pr['seeds']}; budget: {pr.get('budget', 'none (untuned)')}")
    return 0


def _config(args: argparse.Namespace):
    from comparisons.config import config_from_dict
    from comparisons.presets import get_preset

    over: dict[str, Any] = {}
    for key in ("tasks", "learners"):
        val = getattr(args, key)
        if val:
            over[key] = "all" if val == ["all"] else val
    if args.seeds is not None:
        over["seeds"] = args.seeds
    if args.trials is not None or args.passes is not None:
        over["budget"] = {k: v for k, v in (("trials", args.trials), ("passes", args.passes))
                          if v is not None}
    if args.device is not None:
        over["device"] = args.device
    if args.threads is not None:
        over["threads"] = check_int("--threads", args.threads, low=1)
    if args.config:
        from comparisons.config import read_toml

        data, text = read_toml(args.config)
        source = args.config
    elif args.preset:
        data, text, source = get_preset(args.preset), None, f"preset {args.preset}"
    else:
        if not over.get("tasks") or not over.get("learners"):
            raise ValueError("give --preset, --config, or both --tasks and --learners (see "
                             "`neurosim-compare list`)")
        data, text, source = {}, None, "command line"
    if "budget" in over:  # --trials / --passes change the budget's named settings only,
        over["budget"] = {**(data.get("budget") or {}), **over["budget"]}  # for every task
        over["task_budgets"] = {t: {k: v for k, v in b.items() if k not in over["budget"]}
                                for t, b in (data.get("task_budgets") or {}).items()}
    data = {**data, **over}
    if args.no_tune:
        data.pop("budget", None)
        data.pop("task_budgets", None)
    return config_from_dict(data, source=source, text=text)


def _cmd_run(args: argparse.Namespace) -> int:
    from comparisons.report import Report
    from comparisons.runner import measure_train_memory
    from comparisons.store import ResultStore
    from comparisons.sweep import run_suite

    check_int("--local-workers", args.local_workers, low=1, allow_none=True)
    cfg = _config(args)
    out = Path(args.out)
    _check_writable(out)  # fail now, not after an hour of sweeping
    store_path = Path(args.store) if args.store else out / "results.sqlite"
    t0 = time.perf_counter()
    new: list[dict[str, Any]] = []
    with ResultStore(store_path) as store:
        import torch

        torch.set_num_threads(cfg.threads)
        studies = store_path.with_name(store_path.stem + ".optuna.sqlite")
        if args.fresh and studies.exists():
            studies.unlink()  # --fresh: tune again as well
        rows = run_suite(cfg.tasks, cfg.learners, cfg.seeds, cfg.task_params,
                         cfg.learner_params, device=cfg.device, progress=not args.no_progress,
                         on_row=new.append, budget=cfg.budget,
                         task_budgets=cfg.task_budgets or None, store=store,
                         resume=not args.fresh, task_grid=cfg.task_grid,
                         learner_grid=cfg.learner_grid, scheduler=args.scheduler,
                         local_workers=args.local_workers, threads=cfg.threads)
        probes: list[dict[str, Any]] = []
        if cfg.memory_lengths and not args.no_memory_probe:
            probes = _memory_probe(rows, cfg, store, measure_train_memory, args)
    wall = time.perf_counter() - t0
    n_fail = sum(r["status"] == "failed" for r in rows)
    n_skip = sum(r["status"] == "skipped" for r in rows)
    meta = {**cfg.meta(), "cells": len(rows), "run now / from store":
            f"{len(new)} / {len(rows) - len(new)}", "failed": n_fail, "skipped": n_skip,
            "wall time [s]": round(wall, 1), "results store": str(store_path)}
    if args.scheduler or args.local_workers:
        meta["dask"] = args.scheduler or f"LocalCluster, {args.local_workers} workers"
    paths = Report(rows, title=cfg.title, meta=meta, memory=probes).write(out)
    print(f"{len(rows)} cells in {wall:.1f} s ({len(rows) - len(new)} from the store, "
          f"{n_fail} failed, {n_skip} skipped); report: {paths['html']}")
    if rows and n_skip == len(rows):
        print("neurosim-compare: error: every cell was skipped (no learner supports these "
              "tasks; see the reasons above and `neurosim-compare list learners`)",
              file=sys.stderr)
        return 3
    return 1 if n_fail else 0


def _check_writable(out: Path) -> None:
    import tempfile

    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise OSError(f"cannot write to the report directory {out}: "
                      f"{exc.strerror or exc}") from exc


def _memory_probe(rows, cfg, store, measure, args) -> list[dict[str, Any]]:
    """Training memory vs sequence length, once per learner variant (stored, resumable)."""
    from comparisons.runner import config_hash

    variants: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        if r.get("status") == "ok":
            # memory vs T is the algorithm's: probe the settings the user fixed, not each
            # task's tuned ones
            lp = (r["tuning"].get("fixed") or {}) if r.get("tuning") else (
                r.get("learner_config") or {})
            variants.setdefault((r["learner"], config_hash("", {}, r["learner"], lp, 0)), lp)
    done = store.probed()
    for (name, h), lp in variants.items():
        if (name, h) in done and not args.fresh:
            continue
        if not args.no_progress:
            print(f"training memory vs sequence length: {name} at T = "
                  f"{', '.join(map(str, cfg.memory_lengths))}", file=sys.stderr, flush=True)
        store.put_probe(measure(name, cfg.memory_lengths, lp))
    return [p for p in store.probes() if (p["learner"], p["learner_hash"]) in variants]


def _level(name: str, text: str) -> float:
    """``text`` as a finite real number, or the error of
    :func:`comparisons.validation.check_real` naming ``name``."""
    try:
        value: Any = float(text)
    except ValueError:
        value = text  # not a number: check_real names the option and what was given
    return check_real(name, value)


def parse_match(values: Sequence[str] | None, tasks: Sequence[str]
                ) -> float | dict[str, float] | None:
    """``--match``: ``None`` (not given), one level for every task (``["0.9"]``), or
    ``{task: level}`` from ``TASK=LEVEL`` pairs (``["seq_digits=0.9", "adding=0.02"]``),
    each task one of ``tasks`` (the report's task labels) and named once. Errors name the
    option."""
    if values is None:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return _level("--match", values[0])
    out: dict[str, float] = {}
    for item in values:
        task, sep, text = item.partition("=")
        if not sep or not task:
            raise ValueError(f"--match takes one LEVEL for every task or TASK=LEVEL pairs, "
                             f"got {item!r} among {' '.join(values)!r}")
        check_choice("--match task", task, tasks)
        if task in out:
            raise ValueError(f"--match names task {task!r} twice")
        out[task] = _level(f"--match {task}", text)
    return out


def _cmd_report(args: argparse.Namespace) -> int:
    from comparisons.report import Report
    from comparisons.report.summary import task_key

    if args.store:
        rep = Report.from_store(args.store, title=args.title)
    else:
        rep = Report.from_json(args.results, title=args.title)
    match = parse_match(args.match, sorted({task_key(r) for r in rep.rows}))
    if match is not None:  # the same rows and settings, with the declared level(s)
        rep = Report(rep.rows, title=rep.title, meta=rep.meta, memory=rep.memory,
                     match=match)
    paths = rep.write(args.out)
    print(f"report: {paths['html']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list(args.what)
        if args.command == "run":
            return _cmd_run(args)
        return _cmd_report(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"neurosim-compare: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("neurosim-compare: interrupted; finished cells are in the results store — run "
              "the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
