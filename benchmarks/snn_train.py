"""Benchmark: one surrogate-gradient training step of a 784-256-10 LIF network, ours vs snnTorch.

One step = forward over T = 25 steps for a batch of 128 Poisson spike inputs, the loss of
snnTorch's tutorial 5 (cross-entropy of the output membrane summed over time), backward, Adam.
Both networks start from the same weights (``backprop.snn.snntorch_equivalent``); before
timing, the script checks that they give the same spikes, membranes and gradients.

Variants timed in the same process, interleaved (medians over repeats):

- ``snntorch``: ``nn.Linear`` + ``snntorch.Leaky`` per step (snnTorch's tutorials).
- ``ours``: ``backprop.snn.SpikingMLP`` (fused LIF loop; input product as gather-and-add when
  the input is sparse, ``sparse="auto"``).
- ``ours_dense``: fused LIF loop with a dense input product (``sparse="never"``).
- ``matmul_loop``: one dense input product over all steps + the per-step autograd LIF loop
  (``fused=False, sparse="never"``), the "plain" baseline of REFERENCES.md.

Run at 10% input spikes (the headline) and at 2%. ``--quick``: small network, few repeats.
Each variant's wall time and process CPU time are recorded. On a shared, overloaded machine
torch's 2-thread pool makes every parallel op wait for a descheduled thread, which hits
snnTorch's many small per-step ops hardest; ``--threads 1`` gives load-robust figures (the CPU
time column then measures the work itself).
``--sweep``: time the first layer's dense vs gather-and-add product across densities.
Last line: one JSON object (``ours_s``/``peers``/``ratios`` at 10%, extra keys for 2%).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch
import torch.nn.functional as F

from backprop.snn import LeakyParams, SpikingMLP, snntorch_equivalent
from backprop.snn_fused import spike_linear


def make_data(T: int, B: int, n_in: int, n_out: int, density: float, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(T, B, n_in, generator=g) < density).float()
    y = torch.randint(0, n_out, (B,), generator=g)
    return x, y


def loss_fn(mem: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """snnTorch tutorial 5: sum over time of the cross-entropy of the output membrane."""
    T, B, K = mem.shape
    return F.cross_entropy(mem.reshape(T * B, K), y.repeat(T)) * T


def check_equal(ours: SpikingMLP, ref: torch.nn.Module, x, y) -> dict[str, float]:
    """Same spikes, membranes and gradients (float32) for ours and snnTorch."""
    spk, mem = ours(x)
    spk_r, mem_r = ref(x)
    g = torch.autograd.grad(loss_fn(mem, y), list(ours.parameters()))
    g_r = torch.autograd.grad(loss_fn(mem_r, y), list(ref.parameters()))
    rel = max(float((a - b).abs().max() / b.abs().max().clamp_min(1e-30)) for a, b in zip(g, g_r))
    out = {
        "spike_mismatch_frac": float((spk != spk_r).float().mean()),
        "max_abs_mem_diff": float((mem - mem_r).detach().abs().max()),
        "max_rel_grad_diff": rel,
        "output_spikes": float(spk.detach().sum()),
    }
    ok = out["spike_mismatch_frac"] <= 1e-4 and out["max_abs_mem_diff"] < 1e-3 and rel < 1e-3
    if not ok:
        raise AssertionError(f"ours and snnTorch disagree: {out}")
    return out


def time_steps(variants: dict, x, y, repeats: int) -> tuple[dict, dict]:
    """Wall time and process CPU time of each variant's training step, interleaved."""
    steps = {}
    for name, model in variants.items():
        opt = torch.optim.Adam(model.parameters(), lr=5e-4)

        def step(model=model, opt=opt):
            opt.zero_grad(set_to_none=True)
            _, mem = model(x)
            loss_fn(mem, y).backward()
            opt.step()

        steps[name] = step
        step()  # warm-up (numba kernels load from cache / compile once)
        step()
    times = {k: [] for k in steps}
    cpu = {k: [] for k in steps}
    for _ in range(repeats):  # interleaved, so that load changes hit every variant alike
        for name, step in steps.items():
            c0, t0 = time.process_time(), time.perf_counter()
            step()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    return times, cpu


def run_density(sizes, T, B, density, repeats, seed=0) -> dict:
    x, y = make_data(T, B, sizes[0], sizes[-1], density, seed)
    params = LeakyParams(beta=0.95, threshold=1.0)

    def ours(**kw):
        return SpikingMLP(sizes, params, seed=seed, device="cpu", **kw)

    check = check_equal(ours(), snntorch_equivalent(ours()), x, y)
    check_sparse = check_equal(ours(sparse="always"), snntorch_equivalent(ours()), x, y)
    variants = {
        "ours": ours(),
        "snntorch": snntorch_equivalent(ours()),
        "ours_dense": ours(sparse="never"),
        "matmul_loop": ours(fused=False, sparse="never"),
    }
    times, cpu = time_steps(variants, x, y, repeats)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "density": density,
        "measured_density": float(x.mean()),
        "median_s": med,
        "min_s": {k: min(v) for k, v in times.items()},
        "cpu_s": {k: statistics.median(v) for k, v in cpu.items()},
        "check": check,
        "check_sparse_path": check_sparse,
    }


def sweep(sizes, T, B, repeats) -> list[tuple[float, float, float]]:
    """First-layer product, forward + weight gradient: dense vs gather-and-add."""
    rows = []
    w = torch.randn(sizes[1], sizes[0], requires_grad=True)
    for density in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5):
        x, _ = make_data(T, B, sizes[0], 2, density, 1)
        g = torch.randn(T, B, sizes[1])
        res = {}
        for name, fn in (("dense", F.linear), ("sparse", spike_linear)):
            fn(x, w).backward(g)
            ts = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn(x, w).backward(g)
                ts.append(time.perf_counter() - t0)
            res[name] = statistics.median(ts)
        rows.append((density, res["dense"], res["sparse"]))
    return rows


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small network, few repeats")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--sweep", action="store_true", help="dense vs sparse crossover table")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        sizes, T, B, repeats = (196, 64, 10), 10, 32, args.repeats or 5
    else:
        sizes, T, B, repeats = (784, 256, 10), 25, 128, args.repeats or 21
    print(f"SNN training step: sizes {sizes}, T={T}, B={B}, Adam; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    results = {d: run_density(sizes, T, B, d, repeats) for d in (0.10, 0.02)}
    names = ("ours", "snntorch", "ours_dense", "matmul_loop")
    print(f"{'density':>8} " + " ".join(f"{n:>12}" for n in names) + "   ours/snntorch")
    for d, r in results.items():
        ms = [r["median_s"][n] * 1e3 for n in names]
        ratio = r["median_s"]["ours"] / r["median_s"]["snntorch"]
        print(f"{d:>8.2f} " + " ".join(f"{m:>10.1f}ms" for m in ms) + f"   {ratio:.3f}  (wall)")
        cs = [r["cpu_s"][n] * 1e3 for n in names]
        cr = r["cpu_s"]["ours"] / r["cpu_s"]["snntorch"]
        print(f"{'':>8} " + " ".join(f"{m:>10.1f}ms" for m in cs) + f"   {cr:.3f}  (CPU time)")
    for d, r in results.items():
        c = r["check"]
        print(f"  {d:.2f}: spikes differ {c['spike_mismatch_frac']:.1e}, max |dmem| "
              f"{c['max_abs_mem_diff']:.1e}, max rel grad diff {c['max_rel_grad_diff']:.1e} "
              f"(sparse path: {r['check_sparse_path']['max_rel_grad_diff']:.1e})")
    if args.sweep:
        print("first layer fwd + weight grad, median ms:   density   dense   gather-add")
        for density, dense, sparse in sweep(sizes, T, B, max(5, repeats // 2)):
            print(f"{'':42}{density:>7.2f} {dense * 1e3:>7.2f} {sparse * 1e3:>9.2f}")
    r10, r2 = results[0.10]["median_s"], results[0.02]["median_s"]
    out = {
        "benchmark": "snn_train",
        "ours_s": r10["ours"],
        "peers": {"snntorch": r10["snntorch"]},
        "ratios": {"snntorch": r10["ours"] / r10["snntorch"]},
        "density": 0.10,
        "ours_dense_s": r10["ours_dense"],
        "matmul_loop_s": r10["matmul_loop"],
        "ours_s_2pct": r2["ours"],
        "snntorch_s_2pct": r2["snntorch"],
        "ratio_2pct": r2["ours"] / r2["snntorch"],
        "ours_dense_s_2pct": r2["ours_dense"],
        "cpu_ratio": results[0.10]["cpu_s"]["ours"] / results[0.10]["cpu_s"]["snntorch"],
        "cpu_ratio_2pct": results[0.02]["cpu_s"]["ours"] / results[0.02]["cpu_s"]["snntorch"],
        "min_ratio": results[0.10]["min_s"]["ours"] / results[0.10]["min_s"]["snntorch"],
        "max_rel_grad_diff": max(r["check"]["max_rel_grad_diff"] for r in results.values()),
        "spike_mismatch_frac": max(r["check"]["spike_mismatch_frac"] for r in results.values()),
        "sizes": list(sizes),
        "T": T,
        "batch": B,
        "repeats": repeats,
        "threads": torch.get_num_threads(),
        "quick": bool(args.quick),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
