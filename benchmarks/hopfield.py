"""Hopfield recall throughput (patterns/s): neurosim vs plain numpy, same run, same weights.

Setup per size N: Hebbian weights of P = 0.05 N random ±1 patterns; B cues = stored patterns
with 10% of bits flipped; asynchronous recall in a fixed unit order (so every implementation
must return identical states, which is checked) until a sweep changes nothing.

Peers (all numpy, float64, same weights):
* ``numpy_naive`` — the textbook loop: for each unit, its field ``S @ W[i]`` over all cues.
* ``numpy_incremental`` — the same, but local fields kept up to date with a rank-1 update
  when a unit flips (the algorithm neurosim compiles).
Also timed: synchronous recall, neurosim (torch) vs numpy (``sign(S @ W)`` until stable).
The peers run under the same thread policy as neurosim (BLAS limited to one thread when the
work is small; on a busy 2-core machine default multithreaded BLAS is many times slower).

The JSON line's ``ours_s``/``peers`` are seconds per recall of the B cues at the largest N;
``ratios`` are ours/peer (lower is better); ``by_n`` has every size, in patterns/s too.

    python benchmarks/hopfield.py [--quick] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial

import numpy as np

from neurosim.memory import HopfieldNetwork
from neurosim.memory.hopfield import _threads_for


def numpy_naive(w: np.ndarray, cues: np.ndarray, max_sweeps: int = 100) -> np.ndarray:
    s = cues.astype(np.float64).copy()
    for _ in range(max_sweeps):
        changed = False
        for i in range(w.shape[0]):
            h = s @ w[i]
            new = np.where(h > 1e-10, 1.0, np.where(h < -1e-10, -1.0, s[:, i]))
            if (new != s[:, i]).any():
                changed = True
                s[:, i] = new
        if not changed:
            break
    return s


def numpy_incremental(w: np.ndarray, cues: np.ndarray, max_sweeps: int = 100) -> np.ndarray:
    s = cues.astype(np.float64).copy()
    h = s @ w.T
    for _ in range(max_sweeps):
        changed = False
        for i in range(w.shape[0]):
            hi = h[:, i]
            new = np.where(hi > 1e-10, 1.0, np.where(hi < -1e-10, -1.0, s[:, i]))
            d = new - s[:, i]
            rows = np.flatnonzero(d)
            if rows.size:
                changed = True
                s[rows, i] = new[rows]
                h[rows] += d[rows, None] * w[:, i][None, :]
        if not changed:
            break
    return s


def numpy_sync(w: np.ndarray, cues: np.ndarray, max_steps: int = 100) -> np.ndarray:
    s = cues.astype(np.float64).copy()
    prev = None
    for _ in range(max_steps):
        a = s @ w.T
        new = np.where(a > 1e-10, 1.0, np.where(a < -1e-10, -1.0, s))
        if np.array_equal(new, s) or (prev is not None and np.array_equal(new, prev)):
            s = new
            break
        prev, s = s, new
    return s


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N = 300, 1000 with few cues")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    sizes = ((300, 20), (1000, 20)) if args.quick else ((1000, 100), (10000, 20))
    rng = np.random.default_rng(args.seed)
    by_n = {}
    print(f"{'N':>6} {'B':>4} {'impl':>22} {'s/recall':>10} {'patterns/s':>11} {'ours/peer':>10}")
    for n, b in sizes:
        X = rng.choice([-1.0, 1.0], size=(max(1, n // 20), n))
        cues = X[rng.integers(0, X.shape[0], b)].copy()
        cues[rng.random(cues.shape) < 0.1] *= -1
        net = HopfieldNetwork(order="fixed", max_steps=100).fit(X)
        snet = HopfieldNetwork(update="sync", max_steps=100).fit(X)
        w = net.weights_
        net.recall(cues[:2])  # compile / warm up
        snet.recall(cues[:2])
        res = {}
        res["ours_async"], ours = timed(partial(net.recall, cues), args.repeats)
        # peers run under the same thread policy as neurosim (one BLAS thread for small work)
        with _threads_for(b * n * n):
            res["numpy_incremental"], inc = timed(partial(numpy_incremental, w, cues),
                                                  args.repeats)
            res["numpy_naive"], naive = timed(partial(numpy_naive, w, cues),
                                              1 if n >= 10000 else args.repeats)
        res["ours_sync"], osync = timed(partial(snet.recall, cues), args.repeats)
        with _threads_for(b * n * n):
            res["numpy_sync"], nsync = timed(partial(numpy_sync, w, cues), args.repeats)
        agree = bool(np.array_equal(ours, inc) and np.array_equal(ours, naive)
                     and np.array_equal(osync, nsync))
        recalled = float((ours == X[np.argmax(cues @ X.T, axis=1)]).all(1).mean())
        for k, v in res.items():
            peer_of = {"numpy_incremental": "ours_async", "numpy_naive": "ours_async",
                       "numpy_sync": "ours_sync"}.get(k)
            ratio = f"{res[peer_of] / v:10.3f}" if peer_of else f"{'':>10}"
            print(f"{n:>6} {b:>4} {k:>22} {v:>10.4f} {b / v:>11.1f} {ratio}")
        print(f"{'':>6} identical states across implementations: {agree}; "
              f"fraction recalled exactly: {recalled:.2f}")
        by_n[str(n)] = {"n_cues": b, "seconds": res,
                        "patterns_per_s": {k: b / v for k, v in res.items()},
                        "identical": agree, "recalled": recalled}
    last = by_n[str(sizes[-1][0])]["seconds"]
    out = {
        "benchmark": "hopfield",
        "ours_s": last["ours_async"],
        "peers": {"numpy_incremental": last["numpy_incremental"],
                  "numpy_naive": last["numpy_naive"]},
        "ratios": {"numpy_incremental": last["ours_async"] / last["numpy_incremental"],
                   "numpy_naive": last["ours_async"] / last["numpy_naive"]},
        "sync": {"ours_s": last["ours_sync"], "numpy_s": last["numpy_sync"],
                 "ratio": last["ours_sync"] / last["numpy_sync"]},
        "by_n": by_n,
        "identical": all(v["identical"] for v in by_n.values()),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
