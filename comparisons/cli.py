"""``neurosim-compare``: run comparisons, write reports, list what is available.

Examples
--------
    neurosim-compare list
    neurosim-compare run --preset quick --out reports/latest
    neurosim-compare run --tasks binary_addition --learners lstm --seeds 0 1 --out out/
    neurosim-compare report --results out/results.json --out out/
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from comparisons.validation import check_choice


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="neurosim-compare", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a comparison and write a report")
    run.add_argument("--preset", default=None, help="named configuration (see `list`)")
    run.add_argument("--tasks", nargs="+", default=None, help="task names")
    run.add_argument("--learners", nargs="+", default=None, help="learner names")
    run.add_argument("--seeds", nargs="+", type=int, default=None, help="seeds (ints >= 0)")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda")
    run.add_argument("--out", default="reports/latest", help="output directory")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument("--threads", type=int, default=1,
                     help="torch intra-op threads (default 1: the suite's small models run "
                          "fastest single-threaded and do not oversubscribe a shared CPU)")
    rep = sub.add_parser("report", help="re-render a report from results.json")
    rep.add_argument("--results", required=True, help="path to a results.json")
    rep.add_argument("--out", required=True, help="output directory")
    sub.add_parser("list", help="list tasks, learners, profiles and presets")
    return p


def _cmd_list() -> int:
    from comparisons import list_learners, list_profiles, list_tasks
    from comparisons.presets import PRESETS

    print("tasks:    " + ", ".join(list_tasks()))
    print("learners: " + ", ".join(list_learners()))
    print("profiles: " + ", ".join(list_profiles()))
    print("presets:  " + ", ".join(sorted(PRESETS)))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from comparisons.presets import get_preset
    from comparisons.report import write_report
    from comparisons.runner import run_suite

    cfg = dict(get_preset(args.preset)) if args.preset else {
        "tasks": [], "learners": [], "seeds": [0], "task_params": {}, "learner_params": {}}
    if args.tasks:
        cfg["tasks"] = args.tasks
    if args.learners:
        cfg["learners"] = args.learners
    if args.seeds is not None:
        cfg["seeds"] = args.seeds
    if not cfg["tasks"] or not cfg["learners"]:
        raise ValueError("give --preset or both --tasks and --learners (see `neurosim-compare "
                         "list`)")
    check_choice("device", args.device, ["auto", "cpu", "cuda"])
    if args.threads < 1:
        raise ValueError(f"--threads must be >= 1, got {args.threads}")
    import torch

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    rows = run_suite(cfg["tasks"], cfg["learners"], cfg["seeds"], cfg.get("task_params"),
                     cfg.get("learner_params"), device=args.device,
                     progress=not args.no_progress)
    wall = time.perf_counter() - t0
    meta = {"preset": args.preset or "(custom)", "tasks": ", ".join(cfg["tasks"]),
            "learners": ", ".join(cfg["learners"]), "seeds": ", ".join(map(str, cfg["seeds"])),
            "device": args.device, "wall time [s]": round(wall, 1)}
    paths = write_report(rows, args.out, meta=meta)
    n_fail = sum(r["status"] == "failed" for r in rows)
    print(f"{len(rows)} runs in {wall:.1f} s ({n_fail} failed); report: {paths['html']}")
    return 1 if n_fail else 0


def _cmd_report(args: argparse.Namespace) -> int:
    from comparisons.report import load_rows, write_report

    paths = write_report(load_rows(args.results), args.out)
    print(f"report: {paths['html']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list()
        if args.command == "run":
            return _cmd_run(args)
        return _cmd_report(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"neurosim-compare: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
