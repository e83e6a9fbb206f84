"""Vogels–Abbott CUBA benchmark: neurosim (numba) vs Brian2 C++ standalone and runtime.

4000 current-based LIF neurons (80% excitatory), 2% connectivity, dt 0.1 ms, exact
integration (Vogels & Abbott 2005, as in Brian2's ``examples/CUBA.py``). Times a whole
``run()`` of 1 s and of 3 s (Brian2's runtime mode pays a fixed set-up per run), median of
several repeats, ours and the peers in the same benchmark run. Brian2 runs in subprocesses
(its standalone device is global state); its build directories live in a temp dir.

Times are CPU seconds of the simulating process: Brian2's C++ standalone times its run
with ``std::clock()`` (CPU time), so ours (``time.process_time``) and Brian2 runtime mode are
measured the same way; on a shared machine CPU time is also far less noisy than wall time.
Wall-clock medians are printed alongside. The one-off cost of compiling our kernel is
reported separately: ``ours_first_call_s`` is the CPU time of the first ``run()`` in a fresh
process with an empty numba cache (fresh ``NUMBA_CACHE_DIR``), ``ours_first_call_cached_s``
the same with the on-disk cache filled (medians of ``--repeats``; details in ``ours_jit``).
``fresh_process`` compares what a script meets: the first ``run(1 s)`` of a new process for
both simulators (disk caches warm, construction excluded), where Brian2's runtime mode pays its
per-process code generation / cache loading and ours pays loading the numba cache.

Usage: ``python benchmarks/cuba.py [--quick] [--repeats R] [--no-standalone]``.
The last line printed is one JSON object (see DESIGN.md, "Contracts").
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


# ----------------------------------------------------------------------------- ours
def build_ours(model: str = "cuba", n: int = 4000, seed: int = 0, backend: str = "numba",
               batch: int = 1, monitor: bool = True, dtype: str = "float64",
               stdp: bool = False, threads: int | None = None):
    """The CUBA / COBA network in neurosim; fan-in 80 at every size (2% of 4000).
    ``dtype``: the network's storage precision; ``stdp``: pair STDP (Song et al. 2000
    parameters scaled to the weight, additive) on the excitatory projections E->E and
    E->I (80% of the synapses; the inhibitory ones stay static)."""
    from neurosim import LIFCondParams, LIFParams, Network, NeuronGroup, SpikeMonitor, Synapses
    from neurosim.units import ms, mV, nS

    rng = np.random.default_rng(seed)
    n_exc = int(n * 0.8)
    p = min(1.0, 80.0 / n)
    if model == "cuba":
        par = LIFParams(tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV, v_thresh=-50 * mV,
                        t_ref=5 * ms, r_m=1.0, tau_e=5 * ms, tau_i=10 * ms)
        init_e = {"v": -60 * mV + rng.random(n_exc) * 10 * mV}
        init_i = {"v": -60 * mV + rng.random(n - n_exc) * 10 * mV}
        we, wi = 1.62 * mV, -9 * mV   # weights in volts with r_m = 1 ohm
    else:
        par = LIFCondParams()         # Vogels–Abbott COBA defaults
        def init(k):
            return {"v": -60 * mV + (rng.standard_normal(k) * 5 - 5) * mV,
                    "g_e": (rng.standard_normal(k) * 1.5 + 4) * 10 * nS,
                    "g_i": (rng.standard_normal(k) * 12 + 20) * 10 * nS}
        init_e, init_i = init(n_exc), init(n - n_exc)
        we, wi = 6 * nS, 67 * nS
    E = NeuronGroup(n_exc, par, name="E", init=init_e)
    I = NeuronGroup(n - n_exc, par, name="I", init=init_i)  # noqa: E741
    syn = [Synapses.fixed_probability(E, E, p, we, seed=seed + 1, name="EE"),
           Synapses.fixed_probability(E, I, p, we, seed=seed + 2, name="EI"),
           Synapses.fixed_probability(I, E, p, wi, target="i", seed=seed + 3, name="IE"),
           Synapses.fixed_probability(I, I, p, wi, target="i", seed=seed + 4, name="II")]
    if stdp:
        from neurosim.plasticity.rules import STDP
        from neurosim.plasticity.stdp import PairSTDPParams

        rule = PairSTDPParams(tau_pre=20 * ms, tau_post=20 * ms, a_plus=0.01 * we,
                          a_minus=0.0105 * we, w_min=0.0, w_max=2 * we)
        syn[0].attach(STDP(rule))
        syn[1].attach(STDP(rule))
    mons = [SpikeMonitor(E, name="mE"), SpikeMonitor(I, name="mI")] if monitor else []
    return Network(E, I, *syn, *mons, dt=0.1 * ms, seed=seed, backend=backend,
                   batch_size=batch, dtype=dtype, threads=threads)


def time_ours(model: str, n: int, duration: float, repeats: int, backend: str = "numba",
              batch: int = 1, threads: int = 1) -> dict:
    """Median CPU time (and wall time) of a whole ``run(duration)`` on a fresh network;
    ``run_s`` is the CPU time on one thread, the wall time on several."""
    warm = build_ours(model, n, backend=backend, batch=batch, threads=threads)
    warm.run(1e-3)                                      # JIT (cached) outside the timing
    times, cpu, spikes = [], [], 0
    for r in range(repeats):
        net = build_ours(model, n, seed=r, backend=backend, batch=batch, threads=threads)
        t0, c0 = time.perf_counter(), time.process_time()
        net.run(duration, progress=False)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        spikes = net.counters["spikes"]
    run = cpu if threads == 1 else times
    return {"run_s": statistics.median(run), "wall_s": statistics.median(times),
            "cpu_s": statistics.median(cpu), "all_wall_s": times, "all_cpu_s": cpu,
            "rate_hz": spikes / (n * duration * batch)}


def jit_first_call(model: str = "cuba", n: int = 4000, repeats: int = 3) -> dict:
    """First ``run()`` (1 ms) of the benchmark network in a fresh process, ``repeats`` times:
    with an empty numba cache (a fresh ``NUMBA_CACHE_DIR``: compile) and again with the
    cache that run filled (load). CPU and wall seconds from just before ``run()`` to just
    after (imports done by ``run()`` itself, e.g. numba's, included); medians and all."""
    code = (f"import time, sys; sys.path.insert(0, {HERE!r}); from cuba import build_ours; "
            f"net = build_ours({model!r}, {n}); t0 = time.perf_counter(); "
            "c0 = time.process_time(); net.run(1e-3, progress=False); "
            "print(time.perf_counter() - t0, time.process_time() - c0)")
    runs: dict = {}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, NUMBA_CACHE_DIR=tmp)
            for key in ("cold", "cached"):
                res = subprocess.run([sys.executable, "-c", code], env=env,
                                     capture_output=True, text=True, check=True)
                wall, cpu = map(float, res.stdout.strip().splitlines()[-1].split())
                runs.setdefault(f"{key}_wall_s", []).append(wall)
                runs.setdefault(f"{key}_cpu_s", []).append(cpu)
    out = {k: statistics.median(v) for k, v in runs.items()}
    out.update({f"all_{k}": v for k, v in runs.items()})
    return out


def fresh_first_run(model: str, n: int, duration: float, repeats: int) -> dict:
    """Both simulators as a script meets them: the first whole ``run(duration)`` of a new
    process, the on-disk caches (numba's, Brian2's cython) already filled by a warm-up
    process; network construction and imports before ``run()`` excluded. CPU seconds,
    medians of ``repeats`` processes each (seed = repeat index)."""
    code = (f"import time, sys; sys.path.insert(0, {HERE!r}); from cuba import build_ours; "
            f"net = build_ours({model!r}, {n}, seed=int(sys.argv[1])); "
            "t0 = time.perf_counter(); c0 = time.process_time(); "
            f"net.run({duration}, progress=False); "
            "print(time.process_time() - c0, time.perf_counter() - t0)")
    ours, b2 = [], []
    for r in range(-1, repeats):                     # r = -1: warm-up of both caches
        res = subprocess.run([sys.executable, "-c", code, str(max(r, 0))],
                             capture_output=True, text=True, check=True)
        cpu = float(res.stdout.strip().splitlines()[-1].split()[0])
        peer = brian2_peer(model, "runtime_fresh", n, duration, max(r, 0))
        if r >= 0:
            ours.append(cpu)
            b2.append(peer.get("run_s", float("nan")))
    return {"ours_s": statistics.median(ours), "brian2_runtime_s": statistics.median(b2),
            "ours_all_s": ours, "brian2_runtime_all_s": b2}


# ----------------------------------------------------------------------------- Brian2
def _b2_build(model: str, n: int, seed: int):
    import brian2 as b2
    from brian2 import NeuronGroup, SpikeMonitor, Synapses, ms, mV, nS

    b2.seed(seed)
    n_exc, p = int(n * 0.8), min(1.0, 80.0 / n)
    if model == "cuba":
        eqs = """
        dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
        dge/dt = -ge/taue : volt
        dgi/dt = -gi/taui : volt
        """
        ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV,
                  El=-49 * mV, we=(60 * 0.27 / 10) * mV, wi=(-20 * 4.5 / 10) * mV)
        P = NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="exact", namespace=ns, name="P")
        P.v = "Vr + rand() * (Vt - Vr)"
    else:
        eqs = """
        dv/dt = (gl*(El-v) + ge*(Ee-v) + gi*(Ei-v))/Cm : volt (unless refractory)
        dge/dt = -ge/taue : siemens
        dgi/dt = -gi/taui : siemens
        """
        ns = dict(gl=10 * nS, El=-60 * mV, Ee=0 * mV, Ei=-80 * mV, Cm=200 * b2.pF,
                  taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, we=6 * nS, wi=67 * nS)
        P = NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="exponential_euler", namespace=ns, name="P")
        P.v = "El + (randn() * 5 - 5)*mV"
        P.ge = "(randn() * 1.5 + 4) * 10.*nS"
        P.gi = "(randn() * 12 + 20) * 10.*nS"
    # fixed names: Brian2's code (and its cython cache key) contains object names
    Ce = Synapses(P, P, on_pre="ge += we", namespace=ns, name="Ce")
    Ci = Synapses(P, P, on_pre="gi += wi", namespace=ns, name="Ci")
    Ce.connect(f"i<{n_exc}", p=p)
    Ci.connect(f"i>={n_exc}", p=p)
    mon = SpikeMonitor(P, name="mon")
    return b2.Network(P, Ce, Ci, mon), mon


def _b2_peer_main(model: str, mode: str, n: int, duration: float, repeats: int,
                  threads: int = 1) -> None:
    import brian2 as b2

    if threads > 1:     # OpenMP; the generated main loop then times with omp_get_wtime (wall)
        b2.prefs.devices.cpp_standalone.openmp_threads = threads
    tmp = tempfile.mkdtemp(prefix="neurosim_b2_")
    b2.defaultclock.dt = 0.1 * b2.ms
    out: dict = {"mode": mode}
    if mode == "standalone":
        build = os.path.join(tmp, "build")
        b2.set_device("cpp_standalone", directory=build, build_on_run=False)
        net, mon = _b2_build(model, n, 0)
        net.run(duration * b2.second)
        t0 = time.perf_counter()
        b2.device.build(directory=build, compile=True, run=True)
        total = time.perf_counter() - t0
        runs = [float(b2.device._last_run_time)]
        for _ in range(repeats - 1):
            b2.device.run(directory=build, with_output=False)
            runs.append(float(b2.device._last_run_time))
        out.update(run_s=statistics.median(runs), all_s=runs,
                   compile_s=total - runs[0], spikes=int(mon.num_spikes))
        shutil.rmtree(tmp, ignore_errors=True)
    elif mode == "runtime_fresh":
        # what a script pays: the first run() of a new process, the disk cache already warm
        b2.prefs.codegen.target = "cython"
        b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(
            tempfile.gettempdir(), "neurosim_b2_cython_cache")
        net, mon = _b2_build(model, n, repeats)
        t0, c0 = time.perf_counter(), time.process_time()
        net.run(duration * b2.second)
        out.update(run_s=time.process_time() - c0, wall_s=time.perf_counter() - t0,
                   spikes=int(mon.num_spikes))
    else:
        b2.prefs.codegen.target = "cython"
        # a cache shared between runs (outside the repo) so compilation happens once
        b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(
            tempfile.gettempdir(), "neurosim_b2_cython_cache")
        net, mon = _b2_build(model, n, 0)   # same code: compiles the cython cache once
        net.run(0.1 * b2.ms)
        runs, walls = [], []
        for r in range(repeats):
            del net, mon
            gc.collect()
            net, mon = _b2_build(model, n, r)
            t0, c0 = time.perf_counter(), time.process_time()
            net.run(duration * b2.second)
            runs.append(time.process_time() - c0)
            walls.append(time.perf_counter() - t0)
        out.update(run_s=statistics.median(runs), all_s=runs, wall_s=statistics.median(walls),
                   spikes=int(mon.num_spikes))
    out["rate_hz"] = out["spikes"] / (n * duration)
    print(json.dumps(out))


def brian2_peer(model: str, mode: str, n: int, duration: float, repeats: int,
                threads: int = 1) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--peer", model, mode, str(n),
           str(duration), str(repeats), str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- main
def main(model: str = "cuba", argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1000 neurons, 0.1/0.3 s, no "
                    "standalone compile")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-standalone", action="store_true")
    ap.add_argument("--no-runtime", action="store_true")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads of both: ours Network(threads=N), Brian2 standalone "
                    "openmp_threads=N; with N > 1 times are wall seconds (Brian2's timer is "
                    "then omp_get_wtime) and Brian2's single-threaded runtime mode is "
                    "skipped")
    ap.add_argument("--n", type=int, default=None, help="neurons (default 4000; fan-in 80)")
    args = ap.parse_args(argv)
    if args.threads < 1:
        ap.error(f"--threads must be >= 1, got {args.threads}")
    n, durs = (1000, (0.1, 0.3)) if args.quick else (4000, (1.0, 3.0))
    n = args.n or n
    standalone = not (args.quick or args.no_standalone)
    if args.threads > 1:
        args.no_runtime = True
    res: dict = {"ours": {}, "brian2_standalone": {}, "brian2_runtime": {}}
    for d in durs:
        res["ours"][d] = time_ours(model, n, d, args.repeats, threads=args.threads)
        if standalone:
            res["brian2_standalone"][d] = brian2_peer(model, "standalone", n, d, args.repeats,
                                                      args.threads)
        if not args.no_runtime:
            res["brian2_runtime"][d] = brian2_peer(model, "runtime", n, d,
                                                   max(1, args.repeats - 1))
    jit = jit_first_call(model, n, args.repeats)
    unit = "CPU" if args.threads == 1 else f"wall ({args.threads} threads each)"
    fresh = None if args.no_runtime else fresh_first_run(model, n, durs[0], args.repeats)
    d1, d3 = durs
    print(f"{model.upper()}: {n} neurons, fan-in 80, dt 0.1 ms; {unit}-second medians of "
          f"{args.repeats} runs (Brian2 standalone's own timer: std::clock, CPU time, on one "
          "thread; omp_get_wtime, wall time, with OpenMP)")
    print(f"{'simulator':<22}" + "".join(f"{f'run({d:g} s)':>14}" for d in durs)
          + f"{'per sim. s':>12}{'rate Hz':>9}")
    summary = {}
    for name, per in res.items():
        if not per or any("error" in v for v in per.values()):
            if per:
                print(f"{name:<22} failed: {next(iter(per.values())).get('error')}")
            continue
        slope = (per[d3]["run_s"] - per[d1]["run_s"]) / (d3 - d1)
        summary[name] = {"run_1": per[d1]["run_s"], "run_3": per[d3]["run_s"],
                         "per_sim_s": slope, "rate_hz": per[d1]["rate_hz"]}
        print(f"{name:<22}" + "".join(f"{per[d]['run_s']:>14.3f}" for d in durs)
              + f"{slope:>12.3f}{per[d1]['rate_hz']:>9.2f}")
    print(f"wall-clock medians of run({d1:g} s): ours {res['ours'][d1]['wall_s']:.3f} s"
          + "".join(f", {k} {v[d1]['wall_s']:.3f} s" for k, v in res.items()
                    if k == "brian2_runtime" and d1 in v and "wall_s" in v[d1]))
    print(f"ours: first run() in a fresh process, empty numba cache (compile): "
          f"{jit['cold_cpu_s']:.2f} s CPU / {jit['cold_wall_s']:.2f} s wall; with the cache "
          f"(load): {jit['cached_cpu_s']:.2f} s / {jit['cached_wall_s']:.2f} s (medians of "
          f"{args.repeats}); CPU time of run({d1:g} s) {res['ours'][d1]['cpu_s']:.3f} s")
    if fresh is not None:
        print(f"first run({d1:g} s) of a fresh process (disk caches warm), CPU s: ours "
              f"{fresh['ours_s']:.3f}, brian2 runtime {fresh['brian2_runtime_s']:.3f} -> "
              f"ratio {fresh['ours_s'] / fresh['brian2_runtime_s']:.3f} "
              f"({fresh['brian2_runtime_s'] / fresh['ours_s']:.1f}x)")
    if standalone and "error" not in res["brian2_standalone"].get(d1, {"error": 1}):
        print(f"brian2 standalone compile: {res['brian2_standalone'][d1]['compile_s']:.1f} s "
              "(excluded from its run time)")
    ours = summary["ours"]["run_1"]
    peers = {k: v["run_1"] for k, v in summary.items() if k != "ours"}
    out = {"benchmark": model + ("_quick" if args.quick else ""), "ours_s": ours,
           "peers": peers, "ratios": {k: ours / v for k, v in peers.items()},
           "n_neurons": n, "durations_s": list(durs),
           "ours_per_sim_s": summary["ours"]["per_sim_s"],
           "peers_per_sim_s": {k: v["per_sim_s"] for k, v in summary.items() if k != "ours"},
           "ours_wall_s": res["ours"][d1]["wall_s"],
           "timing": "cpu_seconds" if args.threads == 1 else "wall_seconds",
           "threads": args.threads,
           "ours_first_call_s": jit["cold_cpu_s"],
           "ours_first_call_cached_s": jit["cached_cpu_s"],
           "ours_jit_first_call_s": jit["cold_wall_s"],
           "ours_jit": jit,
           "rates_hz": {k: v["rate_hz"] for k, v in summary.items()}}
    if fresh is not None:
        out["fresh_process"] = {**fresh,
                                "ratio_brian2_runtime": fresh["ours_s"] / fresh["brian2_runtime_s"]}
    if standalone and "compile_s" in res["brian2_standalone"].get(d1, {}):
        out["brian2_standalone_compile_s"] = res["brian2_standalone"][d1]["compile_s"]
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--peer":
        _b2_peer_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]),
                      int(sys.argv[6]), int(sys.argv[7]) if len(sys.argv) > 7 else 1)
    else:
        sys.path.insert(0, HERE)
        main("cuba")
