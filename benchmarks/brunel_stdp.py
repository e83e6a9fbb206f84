"""Brunel (2000) + STDP benchmark: neurosim vs Brian2 C++ standalone, same run.

The network of :mod:`neurosim.learning.brunel` (default 8000 + 2000 LIF neurons, 10^7
recurrent synapses, pair STDP on the 8 x 10^6 excitatory ones, 1.5 ms delays, 8 x 10^6
external Poisson synapses, dt 0.1 ms), the same connectivity given to both simulators.
Ours: numba backend; Brian2: C++ standalone in a subprocess (its device is global state),
build + compile reported apart from the run; both on ``--threads`` threads (default 1; ours:
the network split by neuron, Brian2: OpenMP). Times on one thread are CPU seconds of the
simulation (ours: ``time.process_time`` around ``run()`` after a 1-step first call that
loads the kernels; Brian2: its generated main loop's own ``std::clock`` timer), on several
wall seconds (ours: ``time.perf_counter``; Brian2's timer is then ``omp_get_wtime``); wall
seconds alongside. Spike statistics of both are printed (rates, CV of ISIs,
weight distribution after the run; the onset transient ``--t-start`` left out) with their
agreement against stated bounds (:data:`BOUNDS`). Measured at full scale, 10 s simulated
(this 2-core machine, other jobs running): ours 100.6 CPU s, Brian2 standalone 338.3 (0.297x);
rates 36.23 / 35.89 Hz, CV 0.479 / 0.449, weight mean 0.9033 / 0.9056, sd 0.1236 / 0.1218.

Published anchors (nasiryahm/SNNSimulatorComparison, one thread, their parameters): Brian2 C++
standalone 57.4 s per simulated second, NEST 62.4, GeNN on a GTX 1070 2.44.

Usage: ``python benchmarks/brunel_stdp.py [--duration S] [--n-exc N] [--no-brian2] [--quick]``.
The last line printed is one JSON object (see DESIGN.md, "Contracts").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

_B2 = r"""
import json, sys
from neurosim.learning.brunel import BrunelConfig, run_brunel_brian2, spike_statistics
T, n_exc, build, t_start = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
threads = int(sys.argv[5])
cfg = BrunelConfig(n_exc=n_exc)
res = run_brunel_brian2(T, cfg, seed=0, target="cpp_standalone", build_dir=build,
                        threads=threads)
print("RESULT" + json.dumps({"run_s": res.extra["cpu_s"], "wall_s": res.wall_s,
                             "compile_s": res.extra.get("compile_s"),
                             "stats": spike_statistics(res, t_start)}))
"""


def brian2(T: float, n_exc: int, t_start: float, threads: int = 1) -> dict:
    with tempfile.TemporaryDirectory(prefix="neurosim_brunel_") as tmp:
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        p = subprocess.run([sys.executable, "-c", _B2, str(T), str(n_exc),
                            os.path.join(tmp, "build"), str(t_start), str(threads)],
                           capture_output=True,
                           text=True, env=env, cwd=tmp, timeout=7200)
        line = [x for x in p.stdout.splitlines() if x.startswith("RESULT")]
        if p.returncode != 0 or not line:
            raise RuntimeError(f"brian2 cpp_standalone failed:\n{p.stderr[-3000:]}")
        return json.loads(line[-1][6:])


def ours(T: float, n_exc: int, t_start: float, threads: int = 1) -> dict:
    from neurosim.learning.brunel import BrunelConfig, run_brunel, spike_statistics

    res = run_brunel(T, BrunelConfig(n_exc=n_exc), seed=0, backend="numba", threads=threads)
    return {"run_s": res.extra["cpu_s"] if threads == 1 else res.wall_s, "wall_s": res.wall_s,
            "build_s": res.extra["build_s"], "first_call_s": res.extra["first_call_s"],
            "synapses": res.extra["synapses"], "stats": spike_statistics(res, t_start)}


#: stated agreement bounds with the peer, per statistic: (kind, bound); "rel": |ours/peer - 1|,
#: "abs": |ours - peer|. Rates and weights are population means over 8000-10^7 samples,
#: so the bounds allow model-level differences (the two simulators draw different Poisson
#: input and integrate spikes at step boundaries their own way), not sampling noise.
BOUNDS = {"rate_exc": ("rel", 0.05), "rate_inh": ("rel", 0.05), "cv_isi_exc": ("abs", 0.05),
          "w_mean": ("rel", 0.01), "w_std": ("rel", 0.05)}


def agreement(ours: dict, peer: dict) -> dict:
    """Per statistic of :data:`BOUNDS`: ``{"diff", "bound", "kind", "ok"}``."""
    out = {}
    for q, (kind, bound) in BOUNDS.items():
        a, b = ours[q], peer[q]
        d = abs(a / b - 1.0) if kind == "rel" else abs(a - b)
        out[q] = {"diff": d, "bound": bound, "kind": kind, "ok": bool(d <= bound)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=1.0, help="simulated seconds")
    ap.add_argument("--n-exc", type=int, default=8000, help="excitatory neurons (N_I = N_E/4)")
    ap.add_argument("--t-start", type=float, default=0.1,
                    help="statistics from this time on (s)")
    ap.add_argument("--no-brian2", action="store_true")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads of both (ours: the network split by neuron; Brian2: "
                    "OpenMP); with N > 1 run times are wall seconds")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 800 + 200 neurons, 0.3 s simulated")
    args = ap.parse_args()
    if args.quick:
        args.n_exc, args.duration = 800, 0.3
    if args.duration <= args.t_start:
        ap.error(f"--duration must exceed --t-start ({args.t_start}), got {args.duration}")
    if args.threads < 1:
        ap.error(f"--threads must be >= 1, got {args.threads}")
    t0 = time.perf_counter()
    rows = {"ours": ours(args.duration, args.n_exc, args.t_start, args.threads)}
    if not args.no_brian2:
        rows["brian2_standalone"] = brian2(args.duration, args.n_exc, args.t_start,
                                           args.threads)
    T = args.duration
    print(f"Brunel + STDP, {args.n_exc} + {args.n_exc // 4} neurons, "
          f"{rows['ours']['synapses']:,} synapses, {T:g} s simulated, "
          + ("CPU seconds, one thread each" if args.threads == 1 else
             f"wall seconds, {args.threads} threads each") + " (wall in brackets)")
    keys = list(rows["ours"]["stats"])
    print(f"{'simulator':<20}{'run s':>9}{'s / sim s':>11}  " + "  ".join(keys))
    for k, r in rows.items():
        print(f"{k:<20}{r['run_s']:>9.2f}{r['run_s'] / T:>11.2f}  "
              + "  ".join(f"{r['stats'][q]:.4g}" for q in keys) + f"  [{r['wall_s']:.2f} s]")
    ratio = None
    if "brian2_standalone" in rows:
        ratio = rows["ours"]["run_s"] / rows["brian2_standalone"]["run_s"]
        print(f"brian2 standalone build+compile: {rows['brian2_standalone']['compile_s']:.1f} s"
              f"; ours build {rows['ours']['build_s']:.1f} s, first call (kernel load/"
              f"compile) {rows['ours']['first_call_s']:.1f} s")
        print(f"ours / brian2_standalone: {ratio:.3f}")
    agree = None
    if "brian2_standalone" in rows:
        agree = agreement(rows["ours"]["stats"], rows["brian2_standalone"]["stats"])
        print("agreement with Brian2 (stated bounds): " + "; ".join(
            f"{q} {'|ratio-1|' if a['kind'] == 'rel' else '|diff|'} {a['diff']:.3g} <= "
            f"{a['bound']:g} {'ok' if a['ok'] else 'NOT MET'}" for q, a in agree.items()))
    print(json.dumps({"benchmark": "brunel_stdp", "simulated_s": T, "n_exc": args.n_exc,
                      "timing": "cpu_seconds" if args.threads == 1 else "wall_seconds",
                      "threads": args.threads, "ratio_vs_brian2_standalone": ratio,
                      "agreement": agree,
                      "total_wall_s": time.perf_counter() - t0, **rows}))


if __name__ == "__main__":
    main()
