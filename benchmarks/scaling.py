"""Scaling of the CUBA network: 1k, 4k, 16k, 64k neurons (fan-in 80), neurosim numba backend.

For each size, in a fresh subprocess: build time, run time for 1 s simulated (median of
repeats; CPU seconds, as Brian2 standalone's std::clock timer; wall printed too), peak
resident memory (``ru_maxrss``), memory per synapse (measured RSS growth while building the
synapses / number of synapses, and the stored bytes: float64 weight + int32
index + row pointers), with Brian2 C++ standalone run times as the peer (``--no-peer`` to
skip its compile). Usage: ``python benchmarks/scaling.py [--quick]``; last line JSON.
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


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(n: int, duration: float, repeats: int) -> dict:
    import statistics

    from cuba import build_ours

    warm = build_ours("cuba", 200)
    warm.run(1e-3)
    del warm
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    net = build_ours("cuba", n, seed=0)
    net._ensure()
    build_s = time.perf_counter() - t0
    rss1 = _rss_mb()
    c = net.counters
    times, walls = [], []
    for r in range(repeats):
        if r:
            net = build_ours("cuba", n, seed=r)
        t0, c0 = time.perf_counter(), time.process_time()
        net.run(duration, progress=False)
        times.append(time.process_time() - c0)
        walls.append(time.perf_counter() - t0)
    return {"n": n, "n_synapses": c["n_synapses"], "build_s": build_s,
            "run_s": statistics.median(times), "wall_s": statistics.median(walls),
            "rate_hz": net.counters["spikes"] / (n * duration),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_growth_bytes_per_synapse": (rss1 - rss0) * 2**20 / c["n_synapses"],
            "stored_bytes_per_synapse": c["synapse_bytes"] / c["n_synapses"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    sizes = (1000, 4000) if args.quick else (1000, 4000, 16000, 64000)
    duration = 0.1 if args.quick else 1.0
    rows = []
    for n in sizes:
        cmd = [sys.executable, os.path.abspath(__file__), "--one", str(n), str(duration),
               str(args.repeats)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        if not (args.quick or args.no_peer):
            from cuba import brian2_peer

            peer = brian2_peer("cuba", "standalone", n, duration, args.repeats)
            row["brian2_standalone_s"] = peer.get("run_s")
        rows.append(row)
    print(f"CUBA scaling, fan-in 80, {duration:g} s simulated, numba backend")
    print(f"{'neurons':>8}{'synapses':>11}{'build s':>9}{'cpu s':>9}{'wall s':>9}{'b2 sa s':>9}"
          f"{'rate Hz':>9}{'peak MB':>9}{'B/syn (RSS)':>12}{'B/syn (stored)':>15}")
    for r in rows:
        b2s = r.get("brian2_standalone_s")
        print(f"{r['n']:>8}{r['n_synapses']:>11}{r['build_s']:>9.2f}{r['run_s']:>9.3f}"
              f"{r['wall_s']:>9.3f}"
              f"{(f'{b2s:.3f}' if b2s else '-'):>9}{r['rate_hz']:>9.2f}"
              f"{r['peak_rss_mb']:>9.0f}{r['rss_growth_bytes_per_synapse']:>12.1f}"
              f"{r['stored_bytes_per_synapse']:>15.1f}")
    big = rows[-1]
    peers = {"brian2_standalone": big["brian2_standalone_s"]} if big.get(
        "brian2_standalone_s") else {}
    print(json.dumps({"benchmark": "scaling" + ("_quick" if args.quick else ""),
                      "ours_s": big["run_s"], "peers": peers,
                      "ratios": {k: big["run_s"] / v for k, v in peers.items()},
                      "rows": rows}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))))
    else:
        main()
