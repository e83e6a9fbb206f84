"""Song, Miller & Abbott (2000) STDP benchmark: neurosim vs Brian2 standalone and runtime.

1000 Poisson inputs at 15 Hz -> one conductance LIF with additive pair STDP on all 1000
synapses (Brian2's ``examples/synapses/STDP.py``), dt 0.1 ms, 100 s simulated (``--quick``:
5 s). Times a whole ``run()``, median of several repeats; ours uses the numba backend with
the compiled plastic path (its first call, which loads/compiles the kernels, is reported
separately as ``ours_first_call_s``). Times are CPU seconds of the simulating process (ours:
``time.process_time`` around ``run()``; Brian2 runtime the same; Brian2 standalone its own
``std::clock`` timer of the main loop), far less noisy than wall time on a shared machine;
wall medians are printed alongside. Brian2 runs in subprocesses (its standalone device is
global state): ``brian2_standalone`` is the run of the compiled binary (build + compile
excluded, reported as ``brian2_standalone_compile_s``), ``brian2_runtime`` a whole
``run()`` in cython runtime mode after a warm-up run (its code cache filled, as in normal
use). Build directories live in a temporary folder.

Usage: ``python benchmarks/stdp_song.py [--quick] [--repeats R] [--no-standalone]``.
The last line printed is one JSON object (see DESIGN.md, "Contracts").
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

_B2 = r"""
import json, sys, tempfile, time
from neurosim.learning.song_abbott import run_song_abbott_brian2, weight_fractions
T, target, repeats, build = float(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
if target == "cython":  # warm-up: cython compilation (cached on disk) is not timed
    run_song_abbott_brian2(0.01, seed=0, target=target)
out = []
for r in range(repeats):
    res = run_song_abbott_brian2(T, seed=r, target=target, build_dir=build)
    out.append({"run_s": res.extra["cpu_s"], "wall_s": res.wall_s,
                "compile_s": res.extra.get("compile_s"),
                "fractions": weight_fractions(res.w), "rate": res.rate})
print("RESULT" + json.dumps(out))
"""


def brian2(T: float, target: str, repeats: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="neurosim_stdp_song_") as tmp:
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        p = subprocess.run([sys.executable, "-c", _B2, str(T), target, str(repeats),
                            os.path.join(tmp, "build")], capture_output=True, text=True,
                           env=env, cwd=tmp, timeout=7200)
        line = [x for x in p.stdout.splitlines() if x.startswith("RESULT")]
        if p.returncode != 0 or not line:
            raise RuntimeError(f"brian2 {target} failed:\n{p.stderr[-3000:]}")
        return json.loads(line[-1][6:])


def ours(T: float, repeats: int) -> tuple[float, list[dict]]:
    from neurosim.learning.song_abbott import run_song_abbott, weight_fractions

    t0 = time.perf_counter()
    run_song_abbott(0.05, seed=0, backend="numba")
    first = time.perf_counter() - t0
    out = []
    for r in range(repeats):
        c0 = time.process_time()
        res = run_song_abbott(T, seed=r, backend="numba")
        out.append({"run_s": time.process_time() - c0, "wall_s": res.wall_s,
                    "fractions": weight_fractions(res.w),
                    "rate": res.rate})
    return first, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--duration", type=float, default=None)
    ap.add_argument("--no-standalone", action="store_true")
    ap.add_argument("--no-runtime", action="store_true")
    args = ap.parse_args()
    T = args.duration or (5.0 if args.quick else 100.0)
    R = args.repeats or (2 if args.quick else 3)
    first, mine = ours(T, R)
    peers: dict[str, list[dict]] = {}
    if not args.no_standalone:
        peers["brian2_standalone"] = brian2(T, "cpp_standalone", R)
    if not args.no_runtime:
        peers["brian2_runtime"] = brian2(T, "cython", max(1, R - 1))
    med = {"ours": statistics.median(r["run_s"] for r in mine)}
    for k, v in peers.items():
        med[k] = statistics.median(r["run_s"] for r in v)
    print(f"Song-Abbott STDP, {T:g} s simulated, CPU-second medians of repeats (wall in "
          "brackets)")
    print(f"{'simulator':<20}{'run s':>9}{'s / sim s':>11}{'w<0.1':>8}{'w>0.9':>8}"
          f"{'rate Hz':>9}")
    rows = {"ours": mine, **peers}
    for k, v in rows.items():
        fl = statistics.mean(r["fractions"][0] for r in v)
        fh = statistics.mean(r["fractions"][1] for r in v)
        rate = statistics.mean(r["rate"] for r in v)
        wall = statistics.median(r["wall_s"] for r in v)
        print(f"{k:<20}{med[k]:>9.3f}{med[k] / T:>11.4f}{fl:>8.3f}{fh:>8.3f}{rate:>9.2f}"
              f"  [{wall:.3f} s wall]")
    print(f"ours first call (kernel load/compile + 0.05 s): {first:.2f} s")
    extra = {}
    if "brian2_standalone" in peers:
        c = [r["compile_s"] for r in peers["brian2_standalone"] if r["compile_s"]]
        extra["brian2_standalone_compile_s"] = statistics.median(c) if c else None
        print(f"brian2 standalone build+compile: {extra['brian2_standalone_compile_s']:.1f} s")
    ratios = {k: med["ours"] / med[k] for k in peers}
    for k, r in ratios.items():
        print(f"ours / {k}: {r:.3f}  ({1 / r:.1f}x {'faster' if r < 1 else 'slower'})")
    print(json.dumps({
        "benchmark": "stdp_song", "ours_s": med["ours"],
        "peers": {k: med[k] for k in peers}, "ratios": ratios, "simulated_s": T,
        "repeats": R, "ours_first_call_s": first, "timing": "cpu_seconds",
        "walls": {k: statistics.median(r["wall_s"] for r in v) for k, v in rows.items()},
        "weight_fractions": {k: [statistics.mean(r["fractions"][i] for r in v)
                                 for i in (0, 1)] for k, v in rows.items()},
        **extra}))


if __name__ == "__main__":
    main()
