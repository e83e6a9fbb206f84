"""LSTM training: backprop.Trainer vs a plain hand-written PyTorch loop with nn.LSTM.

Same data, same architecture (nn.LSTM with a zero initial state + linear readout of the
last step, MSE, Adam, gradient-norm clipping 1.0, shuffled mini-batches), same device, same
process. Epochs of the two are interleaved; the medians of the per-epoch wall times are
compared. The Trainer's overhead is everything it adds around the same kernels: validation
of the batch layout, index_select batching, the per-step finite-loss check, history. Also
printed: the package default with a learned initial state, and our explicit cell path
(``impl="cell"``, a Python loop over the pure ``lstm_cell``) over the fused path
(``impl="fused"``: nn.LSTM, cuDNN on a GPU).

    python benchmarks/lstm.py [--quick] [--repeats 7] [--device auto] [--threads 1]

Last line: one JSON object, ratios = ours / peer (lower is better).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn

from backprop import LSTM, Trainer, resolve_device


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize()


class PlainLSTM(nn.Module):
    """What one writes by hand: nn.LSTM (zero initial state) + nn.Linear on the last step."""

    def __init__(self, f: int, h: int, o: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(f, h)
        self.head = nn.Linear(h, o)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[-1])


def plain_epoch(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                batch: int, gen: torch.Generator) -> float:
    """The peer: a hand-written epoch."""
    n = x.shape[1]
    perm = torch.randperm(n, generator=gen).to(x.device)
    total = 0.0
    for i in range(0, n, batch):
        idx = perm[i : i + batch]
        xb, yb = x[:, idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        total += loss.item() * len(idx)
    return total / n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    ap.add_argument("--repeats", type=int, default=7, help="epochs timed per contender")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch intra-op threads (default: torch's choice)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = resolve_device(args.device)
    T, B, F, H, nb = (20, 32, 8, 32, 5) if args.quick else (100, 64, 32, 128, 16)
    repeats = max(3, args.repeats if not args.quick else min(args.repeats, 3))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(T, B * nb, F, generator=g).to(dev)
    y = torch.randn(B * nb, 1, generator=g).to(dev)

    # same architecture as the peer (zero initial state) -> the Trainer's own overhead
    ours = LSTM(F, H, 1, output="many_to_one", impl="fused", learn_initial_state=False, seed=0)
    trainer = Trainer(ours, loss="mse", optimizer="adam", lr=1e-3, clip_norm=1.0, device=dev,
                      seed=0, progress=False)
    # the package default: learned initial state (two more parameters, trained by BPTT)
    learned = LSTM(F, H, 1, output="many_to_one", impl="fused", seed=0)
    learned_trainer = Trainer(learned, loss="mse", optimizer="adam", lr=1e-3, clip_norm=1.0,
                              device=dev, seed=0, progress=False)
    torch.manual_seed(0)
    peer = PlainLSTM(F, H, 1).to(dev)
    peer_opt = torch.optim.Adam(peer.parameters(), lr=1e-3)
    peer_gen = torch.Generator().manual_seed(0)
    cell = LSTM(F, H, 1, output="many_to_one", impl="cell", seed=0)
    cell_trainer = Trainer(cell, loss="mse", optimizer="adam", lr=1e-3, clip_norm=1.0,
                           device=dev, seed=0, progress=False)

    def time_ours() -> float:
        _sync(dev)
        t0 = time.perf_counter()
        trainer.fit(x, y, epochs=trainer.history.epochs + 1, batch_size=B)
        _sync(dev)
        return time.perf_counter() - t0

    def time_peer() -> float:
        _sync(dev)
        t0 = time.perf_counter()
        plain_epoch(peer, peer_opt, x, y, B, peer_gen)
        _sync(dev)
        return time.perf_counter() - t0

    def timer(tr: Trainer):
        def run() -> float:
            _sync(dev)
            t0 = time.perf_counter()
            tr.fit(x, y, epochs=tr.history.epochs + 1, batch_size=B)
            _sync(dev)
            return time.perf_counter() - t0

        return run

    time_cell, time_learned = timer(cell_trainer), timer(learned_trainer)
    # warm-up (allocator, kernels, lazy imports), then interleaved timed epochs
    time_ours(), time_peer(), time_cell(), time_learned()
    t_ours, t_peer, t_cell, t_learned = [], [], [], []
    slots = [(time_ours, t_ours), (time_peer, t_peer), (time_learned, t_learned),
             (time_cell, t_cell)]
    for r in range(repeats):  # rotate the order so that no contender always runs first
        for fn, store in slots[r % 4 :] + slots[: r % 4]:
            store.append(fn())
    m_ours, m_peer, m_cell, m_learned = (
        statistics.median(v) for v in (t_ours, t_peer, t_cell, t_learned))
    ratio = m_ours / m_peer
    print(f"LSTM training, T={T}, batch {B}, {nb} batches/epoch, input {F}, hidden {H}, "
          f"device {dev}, threads {torch.get_num_threads()}")
    print(f"{'contender':>36} {'median s/epoch':>15} {'min':>8} {'max':>8}")
    for name, v in (("backprop.Trainer (fused nn.LSTM)", t_ours),
                    ("hand-written loop, nn.LSTM", t_peer),
                    ("Trainer, learned initial state", t_learned),
                    ("Trainer, explicit cells", t_cell)):
        print(f"{name:>36} {statistics.median(v):>15.4f} {min(v):>8.4f} {max(v):>8.4f}")
    print(f"Trainer overhead vs hand-written loop (same architecture): "
          f"{100 * (ratio - 1):+.1f}% (ratio {ratio:.3f}); with a learned initial state: "
          f"{m_learned / m_peer:.3f}; explicit cell / fused path: {m_cell / m_ours:.2f}x")
    print(json.dumps({
        "benchmark": "lstm",
        "ours_s": m_ours,
        "peers": {"torch_nn_lstm": m_peer},
        "ratios": {"torch_nn_lstm": ratio},
        "overhead_pct": 100 * (ratio - 1),
        "learned_h0_s": m_learned,
        "learned_h0_over_peer": m_learned / m_peer,
        "cell_s": m_cell,
        "cell_over_fused": m_cell / m_ours,
        "device": str(dev),
        "config": {"T": T, "batch": B, "batches_per_epoch": nb, "input": F, "hidden": H,
                   "repeats": repeats},
    }))


if __name__ == "__main__":
    main()
