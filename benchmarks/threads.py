"""Speed-up of the compiled CPU backend from 1 to N threads: a batch of independent copies,
and one network split by neuron.

``Network(threads=N)`` splits the copies of a batch into N contiguous ranges run in parallel;
one copy with at least ``MIN_SPLIT`` (4000) neurons per thread is split by neuron, the threads
meeting once per step (identical results for any N, tested in
``tests/neurosim/test_threads.py``). Workloads, each timed as the median wall time of
``--repeat`` runs of ``run()`` after a one-step call that loads the kernel, 1 and N threads
alternating:

- CUBA (``benchmarks/cuba.py``'s network, 4000 neurons), ``--batch`` copies, 0.5 s simulated;
- the ``lif_reservoir`` learner's network on the adding task's first 500 training sequences
  (400 LIF neurons, held input currents, 500 copies), one pass;
- one CUBA network of 4000, 16000 and 64000 neurons (fan-in 80), 0.5 s simulated;
- Brunel + STDP at full scale (:mod:`neurosim.learning.brunel`: 10^4 neurons, 10^7
  recurrent synapses with pair STDP on 8 x 10^6, 1.5 ms delays), 0.3 s simulated; spike
  counts and weights of 1 and N threads compared (``same``).

There is no peer: the ratio is the same code on 1 and on N threads in the same run. Measured
on this 2-core machine, idle: CUBA x 8 copies 1.44-1.79x, lif_reservoir x 500 copies
1.41-1.78x (the serial part: merging the threads' spike records, per-chunk checks); one
network: CUBA 4000 1.00x (not split: fewer than ``MIN_SPLIT`` neurons a thread), 16000
1.41x, 64000 1.86x, Brunel + STDP 1.58x with the same spikes and weights.

Usage: ``python benchmarks/threads.py [--threads 2] [--batch 8] [--repeat 3] [--quick]
[--no-one]``; the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def _time(build, repeat: int, duration: float) -> float:
    walls = []
    for _ in range(repeat):
        net, dt = build()
        net.run(dt)                        # kernel load (compiled and cached on first use)
        t0 = time.perf_counter()
        net.run(duration - dt, progress=False)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def cuba(threads: int, batch: int, n: int, duration: float, repeat: int) -> float:
    from cuba import build_ours

    def build():
        net = build_ours("cuba", n, seed=0, batch=batch)
        net.threads = threads
        return net, net.dt
    return _time(build, repeat, duration)


def reservoir(threads: int, n_seq: int, repeat: int) -> float:
    from comparisons.learners import get_learner_class
    from comparisons.tasks import get_task
    from neurosim import CurrentInjection, Network

    data = get_task("adding").make(0)
    lr = get_learner_class("lif_reservoir")(seed=0)
    x = data.train.x[:, :n_seq]
    lr._build(x.shape[-1])
    T, B, _ = x.shape
    k = lr.steps_per_input
    current = x @ lr._w_in + lr._bias

    def build():
        res, se, si, mon = lr._reservoir()
        net = Network(res, se, si, CurrentInjection(res, current, steps_per_value=k), mon,
                      dt=lr.dt, batch_size=B, seed=0, threads=threads)
        return net, lr.dt
    return _time(build, repeat, T * k * lr.dt)


def brunel(threads: int, repeat: int, n_exc: int, duration: float, conn: dict) -> tuple:
    """Median wall time of ``run(duration)`` of Brunel + STDP and ``(spike count, final
    weights)`` of the last repeat."""
    from neurosim.learning.brunel import BrunelConfig, build_brunel

    cfg = BrunelConfig(n_exc=n_exc)
    walls = []
    for _ in range(repeat):
        net, s_exc, mon = build_brunel(cfg, seed=0, backend="numba", threads=threads,
                                       conn=conn)
        net.run(cfg.dt, progress=False)
        t0 = time.perf_counter()
        net.run(duration, progress=False)
        walls.append(time.perf_counter() - t0)
        out = (int(mon.i.size), s_exc.weights.copy())
        del net, s_exc, mon
    return statistics.median(walls), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2, help="threads to compare with 1")
    ap.add_argument("--batch", type=int, default=8, help="CUBA copies")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smoke test: small and once")
    ap.add_argument("--no-one", action="store_true",
                    help="skip the one-network workloads (CUBA sizes, Brunel + STDP)")
    a = ap.parse_args()
    if a.threads < 1 or a.batch < 1 or a.repeat < 1:
        ap.error(f"--threads, --batch and --repeat must be >= 1, got {a.threads}, {a.batch}, "
                 f"{a.repeat}")
    n, dur, n_seq = (4000, 0.5, 500) if not a.quick else (1000, 0.05, 50)
    if a.quick:
        a.repeat = 1
    rows = {}
    for name, fn in (("cuba", lambda t: cuba(t, a.batch, n, dur, a.repeat)),
                     ("lif_reservoir", lambda t: reservoir(t, n_seq, a.repeat))):
        one, many = fn(1), fn(a.threads)
        rows[name] = {"one_thread_s": one, f"threads_{a.threads}_s": many,
                      "speedup": one / many}
        print(f"{name:<14} 1 thread {one:7.3f} s   {a.threads} threads {many:7.3f} s   "
              f"speed-up {one / many:.2f}x", flush=True)
    if not a.no_one:
        sizes = (1000, 8000) if a.quick else (4000, 16000, 64000)
        for size in sizes:
            one = cuba(1, 1, size, dur, a.repeat)
            many = cuba(a.threads, 1, size, dur, a.repeat)
            rows[f"cuba_one_{size}"] = {"one_thread_s": one, f"threads_{a.threads}_s": many,
                                        "speedup": one / many}
            print(f"CUBA {size:>6} neurons, one network: 1 thread {one:7.3f} s   {a.threads} "
                  f"threads {many:7.3f} s   speed-up {one / many:.2f}x", flush=True)
        from neurosim.learning.brunel import BrunelConfig, brunel_connectivity

        n_exc, bdur = (800, 0.1) if a.quick else (8000, 0.3)
        conn = brunel_connectivity(BrunelConfig(n_exc=n_exc), 0)
        one, (s1, w1) = brunel(1, a.repeat, n_exc, bdur, conn)
        many, (sn, wn) = brunel(a.threads, a.repeat, n_exc, bdur, conn)
        same = bool(s1 == sn and np.array_equal(w1, wn))
        rows["brunel_stdp"] = {"one_thread_s": one, f"threads_{a.threads}_s": many,
                               "speedup": one / many, "same": same, "spikes": s1}
        print(f"Brunel + STDP {n_exc * 5 // 4} neurons: 1 thread {one:7.3f} s   {a.threads} "
              f"threads {many:7.3f} s   speed-up {one / many:.2f}x   same spikes and "
              f"weights: {same}", flush=True)
    print(json.dumps({"benchmark": "threads" + ("_quick" if a.quick else ""),
                      "threads": a.threads, "cuba_batch": a.batch, "rows": rows}))


if __name__ == "__main__":
    main()
