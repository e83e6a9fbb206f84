"""Diehl & Cook (2015) training speed: seconds per training image.

784 inputs (load_digits upsampled to 28x28, the authors' parameters), 350 ms per image at
dt 0.5 ms with STDP, normalisation and adaptive thresholds. Ours: the Network on the numba
backend (one copy, CPU) for 100 and 400 excitatory neurons, and on the torch backend with B
images presented in parallel to B independent copies (CUDA when available). Peer
(``brian2_runtime``): the same network in Brian2 (cython runtime mode, one image per
``run()``, set-up excluded by a warm-up image), 100 neurons.

Usage: ``python benchmarks/diehl_cook.py [--quick] [--images N] [--no-brian2]``.
The last line printed is one JSON object (see DESIGN.md, "Contracts").
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def ours_numba(n_exc: int, X: np.ndarray, n_images: int) -> float:
    from neurosim.learning.diehl_cook import DiehlCook, DiehlCookConfig

    cfg = DiehlCookConfig(n_exc=n_exc)
    DiehlCook(cfg, max_pixel=16.0).fit(X[:2], np.arange(2) % 2)          # compile/warm-up
    m = DiehlCook(cfg, max_pixel=16.0, random_state=1)
    m.fit(X[:n_images], np.arange(n_images) % 10)
    return m.train_time_s_ / n_images


def ours_torch(n_exc: int, X: np.ndarray, B: int, rounds: int) -> float:
    """B images presented in parallel to B independent copies: the Network's torch
    backend with the copies in the batch dimension (:func:`present`)."""
    import torch

    from neurosim.learning.diehl_cook import DiehlCookConfig, normalize, present

    dev = "cuda" if torch.cuda.is_available() else "cpu"
    cfg = DiehlCookConfig(n_exc=n_exc)
    rng = np.random.default_rng(0)
    W = rng.random((B, 784, n_exc)) * 0.3
    th = np.zeros((B, n_exc))
    times = []
    for r in range(rounds + 1):
        xs = X[rng.integers(0, X.shape[0], B)]
        raster = rng.random((cfg.n_steps, B, 784)) < xs / 16 * cfg.max_rate * cfg.dt
        t0 = time.perf_counter()
        W = normalize(W, cfg)
        W, th, _ = present(raster, W, th, cfg, True, backend="torch", device=dev)
        if r:                                   # first round: warm-up
            times.append((time.perf_counter() - t0) / B)
    return statistics.median(times)


def brian2_runtime(X: np.ndarray, n_images: int, n_exc: int = 100) -> float:
    import brian2 as b2

    from neurosim.learning.diehl_cook import DiehlCookConfig

    c = DiehlCookConfig(n_exc=n_exc)
    b2.start_scope()
    b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = c.dt * b2.second
    ms, mV = b2.ms, b2.mV
    ns = dict(v_rest_e=c.v_rest_e * b2.volt, v_rest_i=c.v_rest_i * b2.volt,
              v_thresh_e=c.v_thresh_e * b2.volt, v_thresh_i=c.v_thresh_i * b2.volt,
              v_reset_e=c.v_reset_e * b2.volt, v_reset_i=c.v_reset_i * b2.volt,
              tau_theta=c.tau_theta * b2.second, theta_plus=c.theta_plus * b2.volt,
              nu_pre=c.nu_pre, nu_post=c.nu_post, wmax=c.w_max)
    exc = b2.NeuronGroup(n_exc, """
        dv/dt = ((v_rest_e - v) + ge * (0*mV - v) + gi * (-100*mV - v)) / (100*ms)
                : volt (unless refractory)
        dge/dt = -ge / (1*ms) : 1
        dgi/dt = -gi / (2*ms) : 1
        dtheta/dt = -theta / tau_theta : volt""", threshold="v > v_thresh_e + theta",
        reset="v = v_reset_e; theta += theta_plus", refractory=5 * ms,
        method="exponential_euler",
        namespace=ns)
    inh = b2.NeuronGroup(n_exc, """
        dv/dt = ((v_rest_i - v) + ge * (0*mV - v) + gi * (-85*mV - v)) / (10*ms)
                : volt (unless refractory)
        dge/dt = -ge / (1*ms) : 1
        dgi/dt = -gi / (2*ms) : 1""", threshold="v > v_thresh_i", reset="v = v_reset_i",
        refractory=2 * ms, method="exponential_euler", namespace=ns)
    inp = b2.PoissonGroup(784, rates=np.zeros(784) * b2.Hz)
    s_in = b2.Synapses(inp, exc, """w : 1
        dpre/dt = -pre / (20*ms) : 1 (event-driven)
        dpost1/dt = -post1 / (20*ms) : 1 (event-driven)
        dpost2/dt = -post2 / (40*ms) : 1 (event-driven)""",
        on_pre="ge_post += w; pre = 1.; w = clip(w - nu_pre * post1, 0, wmax)",
        on_post="post2before = post2; w = clip(w + nu_post * pre * post2before, 0, wmax); "
                "post1 = 1.; post2 = 1.", namespace=ns)
    s_in.connect()
    s_in.w = "rand() * 0.3"
    s_ei = b2.Synapses(exc, inh, on_pre="ge_post += 10.4")
    s_ei.connect(j="i")
    s_ie = b2.Synapses(inh, exc, on_pre="gi_post += 17.0")
    s_ie.connect(condition="i != j")
    net = b2.Network(exc, inh, inp, s_in, s_ei, s_ie)
    times = []
    for k in range(n_images + 1):
        inp.rates = X[k] / 16 * c.max_rate * b2.Hz
        t0 = time.perf_counter()
        net.run(c.t_image * b2.second, report=None)
        if k:
            times.append(time.perf_counter() - t0)
    del mV
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--images", type=int, default=None)
    ap.add_argument("--batches", type=int, nargs="+", default=None)
    ap.add_argument("--no-brian2", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1 if not torch.cuda.is_available() else torch.get_num_threads())
    from neurosim.datasets import load_digits_split

    X = load_digits_split(upsample=28).X_train
    n_img = args.images or (4 if args.quick else 30)
    batches = args.batches or ([1, 4] if args.quick else [1, 8, 32])
    res: dict[str, float] = {}
    for n in (100, 400):
        res[f"numba_{n}"] = ours_numba(n, X, n_img)
        for B in batches:
            res[f"torch_{n}_B{B}"] = ours_torch(n, X, B, rounds=1 if args.quick else 2)
    peers = {}
    if not args.no_brian2:
        peers["brian2_runtime"] = brian2_runtime(X, 2 if args.quick else 5)
    print("Diehl & Cook, seconds per training image (350 ms of network time, dt 0.5 ms)")
    print(f"{'configuration':<28}{'s / image':>12}")
    for k, v in {**res, **{f'{k} (100 neurons)': v for k, v in peers.items()}}.items():
        print(f"{k:<28}{v:>12.4f}")
    ratios = {k: res["numba_100"] / v for k, v in peers.items()}
    for k, r in ratios.items():
        print(f"ours (numba, 100) / {k}: {r:.3f}")
    print(json.dumps({"benchmark": "diehl_cook", "ours_s": res["numba_100"], "peers": peers,
                      "ratios": ratios, "s_per_image": res, "images": n_img,
                      "device": "cuda" if torch.cuda.is_available() else "cpu"}))


if __name__ == "__main__":
    main()
