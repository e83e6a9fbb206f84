"""Batched simulation throughput: torch backend with B = 1, 8, 64 copies of a 1000-neuron
CUBA network (fan-in 80, dt 0.1 ms), in neuron-steps per second; peer: the numba backend
running the same B copies (it loops over copies), in the same run.

Each copy gets its own random initial membrane potentials, so the copies evolve
differently. Usage: ``python benchmarks/batch.py [--quick] [--device auto]``; last line JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cuba import build_ours  # noqa: E402


def run_once(backend: str, batch: int, n: int, duration: float, device: str, seed: int
             ) -> float:
    net = build_ours("cuba", n, seed=seed, backend=backend, batch=batch, monitor=True)
    if backend == "torch":
        net.device = device
        net._plan = None
    st = net.get_state()
    rng = np.random.default_rng(seed)
    for g in ("E", "I"):
        shape = st[g]["v"].shape
        st[g]["v"] = -60e-3 + rng.random(shape) * 10e-3
    net.set_state(st)
    net.run(1e-3)                                     # warm-up (JIT / first kernels)
    t0 = time.perf_counter()
    net.run(duration, progress=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (1: OpenMP spinning hurts on a shared 2-core box)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    n, duration = 1000, (0.02 if args.quick else 0.2)
    batches = (1, 8) if args.quick else (1, 8, 64)
    steps = int(round(duration / 1e-4))
    rows = {}
    for B in batches:
        rows[B] = {}
        for backend in ("torch", "numba"):
            t = statistics.median(run_once(backend, B, n, duration, args.device, r)
                                  for r in range(args.repeats))
            rows[B][backend] = {"s": t, "neuron_steps_per_s": B * n * steps / t}
    print(f"1000-neuron CUBA, {steps} steps, median of {args.repeats}; neuron-steps/s")
    print(f"{'B':>4}{'torch':>14}{'numba':>14}{'torch/numba time':>18}")
    for B, r in rows.items():
        print(f"{B:>4}{r['torch']['neuron_steps_per_s']:>14.3g}"
              f"{r['numba']['neuron_steps_per_s']:>14.3g}"
              f"{r['torch']['s'] / r['numba']['s']:>18.2f}")
    top = batches[-1]
    out = {"benchmark": "batch" + ("_quick" if args.quick else ""),
           "ours_s": rows[top]["torch"]["s"],
           "peers": {f"numba_B{top}": rows[top]["numba"]["s"]},
           "ratios": {f"numba_B{top}": rows[top]["torch"]["s"] / rows[top]["numba"]["s"]},
           "neuron_steps_per_s": {f"torch_B{B}": r["torch"]["neuron_steps_per_s"]
                                  for B, r in rows.items()}
           | {f"numba_B{B}": r["numba"]["neuron_steps_per_s"] for B, r in rows.items()},
           "n_neurons": n, "steps": steps}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
