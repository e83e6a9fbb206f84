"""Scaling of the CUBA network: 1k, 4k, 16k, 64k neurons (fan-in 80), neurosim numba backend.

For each size and storage precision (``Network(dtype=...)``: float64 and float32), in a
fresh subprocess: build time, run time for 1 s simulated (median of repeats; CPU seconds, as
Brian2 standalone's std::clock timer; wall printed too), peak resident memory
(``ru_maxrss``), memory per synapse (measured RSS growth while building the network and
preparing its runner / number of synapses, as is and "live" after ``malloc_trim`` hands
glibc's freed construction buffers back to the OS; and the stored bytes of the engine's
counters, a storage model: weight + int32 index + row pointers; the numba backend stores
2-byte indices where no target group exceeds 65536 neurons, which the RSS columns see),
with Brian2 C++ standalone run times as the peer (``--no-peer`` to skip its compile). The
network keeps one copy of the connectivity (the Synapses' arrays are views of the
backend's). One thread (CPU seconds compare with Brian2 standalone on one thread;
``benchmarks/threads.py`` measures 1 -> N threads).

``--stdp`` adds the plastic variant: pair STDP on the excitatory projections (E->E, E->I:
80% of the synapses, the inhibitory 20% static); its live bytes per *plastic* synapse are
``(live growth - live bytes/synapse of the static run of the same size and precision x
static synapses) / plastic synapses`` (each plastic synapse also holds its presynaptic
index and a column index entry, int32). Usage: ``python benchmarks/scaling.py [--quick] [--stdp]
[--dtype float64 float32]``; last line JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def _trim() -> None:
    """Hand the allocator's freed pages back to the OS (glibc ``malloc_trim``; no-op
    elsewhere), so that RSS counts live memory, not construction buffers glibc keeps."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(n: int, duration: float, repeats: int, dtype: str = "float64",
            stdp: bool = False) -> dict:
    import statistics

    from cuba import build_ours

    warm = build_ours("cuba", 200, dtype=dtype, stdp=stdp, threads=1)
    warm.run(1e-3)
    del warm
    _trim()
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    net = build_ours("cuba", n, seed=0, dtype=dtype, stdp=stdp, threads=1)
    net._ensure()
    build_s = time.perf_counter() - t0
    rss1 = _rss_mb()
    _trim()
    rss_live = _rss_mb()
    c = net.counters
    n_plastic = sum(s.n_syn for s in net.objects if getattr(s, "plasticity", None) is not None)
    times, walls = [], []
    for r in range(repeats):
        if r:
            del net
            net = build_ours("cuba", n, seed=r, dtype=dtype, stdp=stdp, threads=1)
        t0, c0 = time.perf_counter(), time.process_time()
        net.run(duration, progress=False)
        times.append(time.process_time() - c0)
        walls.append(time.perf_counter() - t0)
    return {"n": n, "dtype": dtype, "stdp": stdp, "n_plastic": n_plastic,
            "n_synapses": c["n_synapses"], "build_s": build_s,
            "run_s": statistics.median(times), "wall_s": statistics.median(walls),
            "rate_hz": net.counters["spikes"] / (n * duration),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_growth_bytes_per_synapse": (rss1 - rss0) * 2**20 / c["n_synapses"],
            "rss_live_bytes_per_synapse": (rss_live - rss0) * 2**20 / c["n_synapses"],
            "stored_bytes_per_synapse": c["synapse_bytes"] / c["n_synapses"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dtype", nargs="+", default=["float64", "float32"],
                    choices=["float64", "float32"])
    ap.add_argument("--stdp", action="store_true",
                    help="also the plastic variant (pair STDP on the excitatory synapses)")
    ap.add_argument("--sizes", nargs="+", type=int, default=None)
    args = ap.parse_args()
    sizes = args.sizes or ((1000, 4000) if args.quick else (1000, 4000, 16000, 64000))
    duration = 0.1 if args.quick else 1.0
    rows = []
    peers: dict[int, float | None] = {}
    for n in sizes:
        for dtype in args.dtype:
            for stdp in ((False, True) if args.stdp else (False,)):
                cmd = [sys.executable, os.path.abspath(__file__), "--one", str(n),
                       str(duration), str(args.repeats), dtype, str(int(stdp))]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True)
                row = json.loads(out.stdout.strip().splitlines()[-1])
                if not (args.quick or args.no_peer or stdp):
                    if n not in peers:
                        from cuba import brian2_peer

                        peers[n] = brian2_peer("cuba", "standalone", n, duration,
                                               args.repeats).get("run_s")
                    row["brian2_standalone_s"] = peers[n]
                rows.append(row)
    static = {(r["n"], r["dtype"]): r for r in rows if not r["stdp"]}
    for r in rows:
        s = static.get((r["n"], r["dtype"]))
        if r["stdp"] and s is not None and r["n_plastic"]:
            n_static = r["n_synapses"] - r["n_plastic"]
            grown = r["rss_live_bytes_per_synapse"] * r["n_synapses"]
            r["rss_live_bytes_per_plastic_synapse"] = (
                grown - s["rss_live_bytes_per_synapse"] * n_static) / r["n_plastic"]
    print(f"CUBA scaling, fan-in 80, {duration:g} s simulated, numba backend")
    print(f"{'neurons':>8}{'dtype':>8}{'stdp':>5}{'synapses':>11}{'build s':>9}{'cpu s':>9}"
          f"{'wall s':>9}{'b2 sa s':>9}{'rate Hz':>9}{'peak MB':>9}{'B/syn RSS':>10}"
          f"{'B/syn live':>11}{'B/syn stored':>13}{'B/plastic live':>15}")
    for r in rows:
        b2s = r.get("brian2_standalone_s")
        bp = r.get("rss_live_bytes_per_plastic_synapse")
        print(f"{r['n']:>8}{r['dtype']:>8}{('yes' if r['stdp'] else 'no'):>5}"
              f"{r['n_synapses']:>11}{r['build_s']:>9.2f}{r['run_s']:>9.3f}"
              f"{r['wall_s']:>9.3f}"
              f"{(f'{b2s:.3f}' if b2s else '-'):>9}{r['rate_hz']:>9.2f}"
              f"{r['peak_rss_mb']:>9.0f}{r['rss_growth_bytes_per_synapse']:>10.1f}"
              f"{r['rss_live_bytes_per_synapse']:>11.1f}"
              f"{r['stored_bytes_per_synapse']:>13.1f}"
              f"{(f'{bp:.1f}' if bp is not None else '-'):>15}")
    big = [r for r in rows if not r["stdp"] and r["dtype"] == args.dtype[0]][-1]
    peers = {"brian2_standalone": big["brian2_standalone_s"]} if big.get(
        "brian2_standalone_s") else {}
    print(json.dumps({"benchmark": "scaling" + ("_quick" if args.quick else ""),
                      "ours_s": big["run_s"], "peers": peers,
                      "ratios": {k: big["run_s"] / v for k, v in peers.items()},
                      "rows": rows}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]),
                                 sys.argv[5] if len(sys.argv) > 5 else "float64",
                                 len(sys.argv) > 6 and sys.argv[6] == "1")))
    else:
        main()
