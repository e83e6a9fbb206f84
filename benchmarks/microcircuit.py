"""Potjans & Diesmann (2014) cortical microcircuit: neurosim vs NEST, same run.

The model of :mod:`neurosim.learning.microcircuit` (NEST's ``Potjans_2014`` example:
77 169 LIF neurons and ~3 x 10^8 synapses at full scale, dt 0.1 ms), built by each simulator
from the same rules with its own random numbers (connectivity, weights, delays, initial
potentials), each in a fresh subprocess (NEST's kernel is global state; peak RSS is then
the simulator's own). Background: ``dc`` (default; the example's ``poisson_input=False``,
the mean of the 8 Hz x K_ext input as a constant current, identical in both) or
``poisson`` (NEST: poisson_generator; ours: pooled Bernoulli sources, slow at full scale).

Reported per simulator: build seconds (ours: drawing + constructing + the first one-step
run that prepares the backend and loads the kernel; NEST: Create + Connect + Prepare), the
simulation's wall and CPU seconds per simulated second, peak RSS, and the population rates
over ``[t_start, duration)`` with their ratios to NEST's and to the published full-scale
rates (``full_mean_rates``, Poisson background: DC background removes the input's
fluctuations, so its rates are expected to differ from them, lower in the populations
driven by fluctuations).

Both run ``--threads`` threads (default 1; ours: ``NEUROSIM_NUM_THREADS``, the network split
by neuron; NEST: ``local_num_threads``).

Usage: ``python benchmarks/microcircuit.py [--scale S] [--k-scale K] [--duration S]
[--background dc|poisson] [--no-nest] [--quick]``. The last line printed is one JSON object
(see DESIGN.md, "Contracts").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

_CHILD = r"""
import json, sys
import numpy as np
from neurosim.learning import microcircuit as mc
which, T, scale, k_scale, seed, t_start, bg, threads = sys.argv[1:9]
cfg = mc.MicrocircuitConfig(background=bg)
kw = dict(cfg=cfg, scale=float(scale), k_scale=float(k_scale), seed=int(seed),
          t_start=float(t_start))
if which == "ours":
    r = mc.run_microcircuit(float(T), **kw)
else:
    r = mc.run_microcircuit_nest(float(T), threads=int(threads), **kw)
r.pop("spikes")
print("RESULT" + json.dumps(r))
"""


def child(which: str, args: argparse.Namespace) -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               NEUROSIM_NUM_THREADS=str(args.threads))
    cmd = [sys.executable, "-c", _CHILD, which, str(args.duration), str(args.scale),
           str(args.k_scale), str(args.seed), str(args.t_start), args.background,
           str(args.threads)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=14400)
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT")]
    if p.returncode != 0 or not line:
        raise RuntimeError(f"{which} failed (rc {p.returncode}):\n{p.stderr[-3000:]}")
    r = json.loads(line[-1][6:])
    r["process_wall_s"] = time.perf_counter() - t0
    # build as NEST's (create + connect + Prepare): ours adds the first one-step run, which
    # prepares the backend's arrays and loads the kernel
    r["build_total_s"] = r["build_s"] + r.get("first_call_s", 0.0)
    print(f"{which}: " + json.dumps(r), flush=True)   # kept if a later run fails
    return r


def nest_available() -> bool:
    try:
        import importlib.util
        return importlib.util.find_spec("nest") is not None
    except (ImportError, ValueError):
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="factor on the neuron numbers")
    ap.add_argument("--k-scale", type=float, default=1.0, help="factor on the in-degrees")
    ap.add_argument("--duration", type=float, default=1.0, help="simulated seconds")
    ap.add_argument("--t-start", type=float, default=0.1,
                    help="rates from this time on (s; the onset transient left out)")
    ap.add_argument("--background", choices=("dc", "poisson"), default="dc")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", "--nest-threads", dest="threads", type=int, default=1,
                    help="threads of both simulators")
    ap.add_argument("--no-nest", action="store_true")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 2%% of the neurons, full in-degrees, 0.3 s simulated")
    args = ap.parse_args()
    if args.quick:
        args.scale, args.k_scale, args.duration = 0.02, 1.0, 0.3
    if args.duration <= args.t_start:
        ap.error(f"--duration must exceed --t-start ({args.t_start}), got {args.duration}")
    if args.threads < 1:
        ap.error(f"--threads must be >= 1, got {args.threads}")
    from neurosim.learning.microcircuit import POPULATIONS, MicrocircuitConfig

    published = list(MicrocircuitConfig().full_mean_rates)
    t0 = time.perf_counter()
    rows = {"ours": child("ours", args)}
    if not args.no_nest:
        if nest_available():
            rows["nest"] = child("nest", args)
        else:
            print("NEST not importable: skipped (pip install nest-simulator)")
    T = args.duration
    o = rows["ours"]
    print(f"Potjans & Diesmann microcircuit, scale {args.scale:g} (in-degree {args.k_scale:g})"
          f", {o['n_neurons']:,} neurons, {o['n_synapses']:,} synapses (ours), "
          f"{T:g} s simulated, {args.background} background, dt 0.1 ms, "
          f"{args.threads} thread{'s' if args.threads > 1 else ''} each")
    print(f"{'simulator':<10}{'build s':>9}{'sim s/s':>9}{'CPU s/s':>9}{'peak RSS MB':>13}")
    for k, r in rows.items():
        print(f"{k:<10}{r['build_total_s']:>9.1f}{r['sim_s'] / T:>9.2f}{r['cpu_s'] / T:>9.2f}"
              f"{r['peak_rss_mb']:>13.0f}")
    print(f"rates (Hz) over [{args.t_start:g}, {T:g}) s:")
    hdr = f"{'pop':<6}{'ours':>8}" + (f"{'NEST':>8}{'ours/NEST':>11}" if "nest" in rows
                                        else "") + f"{'published':>11}{'ours/pub':>10}"
    print(hdr)
    ratios_nest, ratios_pub = [], []
    for a, name in enumerate(POPULATIONS):
        ro = o["rates"][a]
        line = f"{name:<6}{ro:>8.3f}"
        if "nest" in rows:
            rn = rows["nest"]["rates"][a]
            ratios_nest.append(ro / rn if rn > 0 else None)
            line += f"{rn:>8.3f}" + (f"{ro / rn:>11.3f}" if rn > 0 else f"{'-':>11}")
        ratios_pub.append(ro / published[a])
        line += f"{published[a]:>11.3f}{ro / published[a]:>10.3f}"
        print(line)
    ratio = None
    if "nest" in rows:
        ratio = o["sim_s"] / rows["nest"]["sim_s"]
        print(f"ours / NEST simulation wall time: {ratio:.3f}; build: "
              f"{o['build_total_s'] / rows['nest']['build_total_s']:.3f}")
    print(json.dumps({"benchmark": "microcircuit", "simulated_s": T, "scale": args.scale,
                      "threads": args.threads,
                      "k_scale": args.k_scale, "background": args.background,
                      "ours_s": o["sim_s"], "peers": {k: r["sim_s"] for k, r in rows.items()
                                                      if k != "ours"},
                      "ratios": {"nest": ratio} if ratio is not None else {},
                      "timing": "wall seconds of the simulation (build apart)",
                      "published_rates": published, "rate_ratio_vs_nest": ratios_nest,
                      "rate_ratio_vs_published": ratios_pub,
                      "total_wall_s": time.perf_counter() - t0, **rows}))


if __name__ == "__main__":
    main()
