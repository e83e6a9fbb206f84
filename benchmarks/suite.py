"""Where a comparison's time goes: the protocol's cost per (task, learner) cell.

Runs a preset (or the tasks / learners given) through the whole protocol — tuning trials on
the tuning seed, then every evaluation seed — and prints, per (task, learner) cell, the
wall time of its tuning trials and of its evaluation seeds, each learner's share of the
total, and the throughput in cells per hour, so the slowest learners are known. There is
no peer to compare with: the figures are for sizing presets and for before/after
comparisons of learner speed-ups (run both in the same session, machine otherwise idle).

    python benchmarks/suite.py [--quick] [--preset quick|standard] [--tasks ...]
                               [--learners ...] [--seeds 0 1 ...] [--trials N] [--passes N]
                               [--local-workers N] [--out DIR]

``--quick``: the quick preset with one seed and two trials (a smoke test).
Last line: one JSON object (``cells``: seconds per cell, ``learner_share``, ``cells_per_hour``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="quick preset, 1 seed, 2 trials")
    p.add_argument("--preset", default="quick", help="preset to time (default: quick)")
    p.add_argument("--tasks", nargs="+", default=None)
    p.add_argument("--learners", nargs="+", default=None)
    p.add_argument("--seeds", nargs="+", type=int, default=None)
    p.add_argument("--trials", type=int, default=None)
    p.add_argument("--passes", type=int, default=None)
    p.add_argument("--local-workers", type=int, default=None)
    p.add_argument("--out", default=None, help="keep the store and report here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    import torch

    from comparisons.config import config_from_dict
    from comparisons.presets import get_preset
    from comparisons.sweep import run_suite

    data = get_preset(args.preset)
    if args.quick:
        data["seeds"] = data["seeds"][:1]
        data["budget"] = {**(data.get("budget") or {}), "trials": 2}
    for key in ("tasks", "learners", "seeds"):
        if getattr(args, key) is not None:
            data[key] = getattr(args, key)
    bud = dict(data.get("budget") or {})
    if args.trials is not None:
        bud["trials"] = args.trials
    if args.passes is not None:
        bud["passes"] = args.passes
    if bud:
        data["budget"] = bud
        data["task_budgets"] = {t: {k: v for k, v in b.items() if k not in (
            ("trials",) if args.trials is not None or args.quick else ()) + (
            ("passes",) if args.passes is not None else ())}
            for t, b in (data.get("task_budgets") or {}).items()}
    cfg = config_from_dict(data, source=f"preset {args.preset}")
    torch.set_num_threads(cfg.threads)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="suite-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    c0 = time.process_time()
    rows = run_suite(cfg.tasks, cfg.learners, cfg.seeds, cfg.task_params, cfg.learner_params,
                     device=cfg.device, progress=True, budget=cfg.budget,
                     task_budgets=cfg.task_budgets or None,
                     store=out / "results.sqlite", resume=False, task_grid=cfg.task_grid,
                     learner_grid=cfg.learner_grid, local_workers=args.local_workers,
                     threads=cfg.threads)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    tune_s: dict[tuple[str, str], float] = {}
    eval_s: dict[tuple[str, str], float] = defaultdict(float)
    status: dict[tuple[str, str], str] = {}
    for r in rows:
        key = (r.get("task_label", r["task"]), r.get("learner_label", r["learner"]))
        eval_s[key] += float(r.get("wall_s") or 0.0)
        status.setdefault(key, r["status"])
        if r.get("tuning") and key not in tune_s:
            tune_s[key] = sum(float(t.get("wall_s") or 0.0) for t in r["tuning"]["trials"])
    cells = {k: tune_s.get(k, 0.0) + eval_s[k] for k in eval_s if status[k] != "skipped"}
    total = sum(cells.values()) or 1.0
    per_learner: dict[str, float] = defaultdict(float)
    for (_task, lname), s in cells.items():
        per_learner[lname] += s
    print(f"\n{'task':<20} {'learner':<18} {'tune s':>9} {'eval s':>9} {'cell s':>9}")
    for (t, lname), s in sorted(cells.items(), key=lambda kv: -kv[1]):
        print(f"{t:<20} {lname:<18} {tune_s.get((t, lname), 0.0):9.1f} "
              f"{eval_s[(t, lname)]:9.1f} {s:9.1f}")
    print(f"\n{'learner':<18} {'seconds':>9} {'share':>7}")
    for lname, s in sorted(per_learner.items(), key=lambda kv: -kv[1]):
        print(f"{lname:<18} {s:9.1f} {100 * s / total:6.1f}%")
    n_cells = len(cells)
    per_hour = 3600.0 * n_cells / wall if wall > 0 else None
    print(f"\n{n_cells} cells (task x learner, {len(cfg.seeds)} seeds each, "
          f"{(cfg.budget or {}).get('trials', 1)} trials) in {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU of this process; {per_hour:.1f} cells per hour; store: {out}",
          file=sys.stdout)
    print(json.dumps({
        "benchmark": "suite", "preset": args.preset, "ours_s": round(wall, 2),
        "peers": {}, "ratios": {}, "cpu_s": round(cpu, 2), "n_cells": n_cells,
        "seeds": list(cfg.seeds), "budget": cfg.budget,
        "cells": {f"{t}/{lname}": round(s, 2) for (t, lname), s in sorted(cells.items())},
        "learner_share": {k: round(v / total, 4) for k, v in sorted(per_learner.items())},
        "cells_per_hour": None if per_hour is None else round(per_hour, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
