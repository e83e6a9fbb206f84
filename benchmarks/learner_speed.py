"""Fit + predict time of the spiking learners per task, with a fingerprint of their results.

For each (task, learner) pair the learner is built with its constructor defaults (seed 0,
its budget parameter set to ``--passes`` passes, as the protocol's trial 0 does), fitted on
the task's training split (default task sizes, data seed 0) and asked to predict the
validation and test splits. Each pair runs ``--repeat`` times; the median wall time of
fit and of predict is printed. There is no peer: the figures are for before/after
comparisons of the learners' speed (run both versions in the same session on an idle
machine, e.g. the old version from a ``git worktree``:

    python benchmarks/learner_speed.py --out new.json
    (cd /tmp/old && PYTHONPATH=. python /path/to/benchmarks/learner_speed.py --out old.json)
    python benchmarks/learner_speed.py --compare old.json new.json

The fingerprint of a run is a SHA-256 of the test predictions' bytes plus the test score,
the learner's op counts (inference and training) and the spike count, so "results
unchanged" is checked, not assumed: ``--compare`` prints the speed-up per pair and whether
the predictions are identical.

    python benchmarks/learner_speed.py [--tasks ...] [--learners ...] [--repeat N]
                                       [--passes N] [--out FILE] [--compare OLD NEW]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

SPIKING = ["lif_reservoir", "stdp_reservoir", "eprop", "diehl_cook"]
TASKS = ["adding", "binary_addition", "copy", "mackey_glass", "seq_digits", "mnist1d",
         "temporal_xor", "spike_patterns", "associative_recall"]


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", nargs="+", default=TASKS)
    p.add_argument("--learners", nargs="+", default=SPIKING)
    p.add_argument("--repeat", type=int, default=3, help="runs per pair (median quoted)")
    p.add_argument("--passes", type=int, default=2,
                   help="the learner's budget parameter (passes), as the protocol sets it")
    p.add_argument("--out", default=None, help="write the results as JSON here")
    p.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), default=None,
                   help="compare two result files written by --out and exit")
    p.add_argument("--quick", action="store_true",
                   help="smoke test (make bench): seq_digits, lif_reservoir and eprop, once")
    a = p.parse_args(argv)
    if a.quick:
        a.tasks, a.learners, a.repeat = ["seq_digits"], ["lif_reservoir", "eprop"], 1
    if a.repeat < 1:
        p.error(f"--repeat must be >= 1, got {a.repeat}")
    if a.passes < 1:
        p.error(f"--passes must be >= 1, got {a.passes}")
    return a


def fingerprint(pred, score: dict, info, ops: dict | None) -> dict:
    import numpy as np

    arr = np.ascontiguousarray(np.asarray(pred, dtype=np.float64))
    return {"pred_sha256": hashlib.sha256(arr.tobytes()).hexdigest()[:16],
            "score": {k: float(v) for k, v in score.items()},
            "inference_ops": {k: float(v) for k, v in (ops or {}).items()},
            "train_ops": {k: float(v) for k, v in (info.train_ops or {}).items()}}


def run_pair(task_name: str, learner_name: str, passes: int) -> dict | None:
    from comparisons.learners import get_learner_class
    from comparisons.tasks import get_task

    task = get_task(task_name)
    cls = get_learner_class(learner_name)
    ok, _ = cls.supports(task)
    if not ok:
        return None
    data = task.make(0)
    kw = {cls.budget_param: passes} if cls.budget_param else {}
    learner = cls(seed=0, device="cpu", **kw)
    t0 = time.perf_counter()
    info = learner.fit(task, data)
    t1 = time.perf_counter()
    learner.predict(data.val.x)
    pred = learner.predict(data.test.x)
    t2 = time.perf_counter()
    score = task.score(pred, data.test)
    return {"fit_s": t1 - t0, "predict_s": t2 - t1,
            **fingerprint(pred, score, info, learner.last_inference_ops)}


def compare(old_path: str, new_path: str) -> int:
    old = json.loads(Path(old_path).read_text())["pairs"]
    new = json.loads(Path(new_path).read_text())["pairs"]
    print(f"{'task':<20}{'learner':<16}{'old s':>9}{'new s':>9}{'speed-up':>10}  same")
    tot_old = tot_new = 0.0
    for key, n in new.items():
        o = old.get(key)
        if o is None:
            continue
        t_o, t_n = o["fit_s"] + o["predict_s"], n["fit_s"] + n["predict_s"]
        tot_old, tot_new = tot_old + t_o, tot_new + t_n
        same = "yes" if o["pred_sha256"] == n["pred_sha256"] else (
            f"no ({list(o['score'].values())[0]:.4g} -> {list(n['score'].values())[0]:.4g})")
        task, learner = key.split("/")
        print(f"{task:<20}{learner:<16}{t_o:9.2f}{t_n:9.2f}{t_o / t_n:9.1f}x  {same}")
    if tot_new:
        print(f"{'all':<36}{tot_old:9.1f}{tot_new:9.1f}{tot_old / tot_new:9.1f}x")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if args.compare:
        return compare(*args.compare)
    import torch

    torch.set_num_threads(1)
    pairs: dict[str, dict] = {}
    for task_name in args.tasks:
        for learner_name in args.learners:
            runs = []
            for _ in range(args.repeat):
                r = run_pair(task_name, learner_name, args.passes)
                if r is None:
                    break
                runs.append(r)
            if not runs:
                continue
            res = dict(runs[-1])
            res["fit_s"] = statistics.median(r["fit_s"] for r in runs)
            res["predict_s"] = statistics.median(r["predict_s"] for r in runs)
            res["same_across_repeats"] = len({r["pred_sha256"] for r in runs}) == 1
            pairs[f"{task_name}/{learner_name}"] = res
            print(f"{task_name:<20}{learner_name:<16}fit {res['fit_s']:8.2f} s  predict "
                  f"{res['predict_s']:7.2f} s  {res['pred_sha256']}", flush=True)
    out = {"repeat": args.repeat, "passes": args.passes, "pairs": pairs}
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1))
    print(json.dumps({k: round(v["fit_s"] + v["predict_s"], 3) for k, v in pairs.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
