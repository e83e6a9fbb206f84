"""MNIST-1D (Greydanus 2020) with a GRU trained by backprop.Trainer.

The data set is built offline (``make_dataset(get_dataset_args())``: 4000 train / 1000 test
sequences of length 40, 10 classes). The model is the published GRU baseline: bidirectional,
6 hidden units per direction, a linear readout of all 40 hidden states; Adam, lr 1e-2,
batch 100, 8000 updates (200 epochs). Published test accuracy: 91% (logistic regression 32%,
MLP 68%, CNN 94%).

    python examples/bp_mnist1d.py [--out output] [--quick] [--seeds 1]

Output: ``<out>/bp_mnist1d.png``, test accuracy against updates for each seed, with the
published GRU accuracy (91 %) as a dotted line.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from backprop import GRU, Trainer  # noqa: E402
from backprop.data import load_mnist1d  # noqa: E402


class GRUAllSteps(nn.Module):
    """Bidirectional GRU whose readout sees every step's hidden state (the MNIST-1D baseline)."""

    def __init__(self, hidden: int = 6, steps: int = 40, classes: int = 10, seed: int = 0):
        super().__init__()
        self.gru = GRU(1, hidden, None, bidirectional=True, seed=seed)
        torch.manual_seed(seed)
        self.head = nn.Linear(2 * hidden * steps, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru.features(x)  # (T, B, 2H)
        return self.head(h.transpose(0, 1).reshape(x.shape[1], -1))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    ap.add_argument("--quick", action="store_true", help="20 epochs")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=200)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    xtr, ytr, xte, yte = load_mnist1d()
    print(f"MNIST-1D built offline in {time.perf_counter() - t0:.1f} s: train {tuple(xtr.shape)}, "
          f"test {tuple(xte.shape)}")
    epochs = 20 if args.quick else args.epochs
    fig, ax = plt.subplots(figsize=(6, 4))
    finals = []
    for seed in range(args.seeds):
        model = GRUAllSteps(seed=seed)
        tr = Trainer(model, loss="ce", lr=1e-2, clip_norm=None, seed=seed, progress=None,
                     device="auto")
        accs, steps = [], []

        def callback(epoch: int, h, tr=tr, accs=accs, steps=steps, seed=seed) -> None:
            if epoch % 5 == 0 or epoch == epochs:
                acc = float((tr.predict(xte).argmax(1) == yte).float().mean())
                accs.append(acc)
                steps.append(h.steps)
                print(f"  seed {seed} epoch {epoch:3d} ({h.steps} updates): train loss "
                      f"{h.loss[-1]:.3f}, test accuracy {acc:.3f}", flush=True)

        t0 = time.perf_counter()
        tr.fit(xtr, ytr, epochs=epochs, batch_size=100, callback=callback)
        finals.append(accs[-1])
        ax.plot(steps, accs, label=f"seed {seed}")
        print(f"seed {seed}: final test accuracy {accs[-1]:.3f} "
              f"({time.perf_counter() - t0:.0f} s, device {tr.device})")
    print(f"GRU (bidirectional, 6 units) test accuracy: mean {np.mean(finals):.3f} over "
          f"{len(finals)} seed(s) (published: 0.91)")
    ax.axhline(0.91, color="k", ls=":", label="published GRU 91%")
    ax.set_xlabel("updates (batch 100)")
    ax.set_ylabel("test accuracy")
    ax.set_title("MNIST-1D, GRU trained by backprop.Trainer")
    ax.legend()
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "bp_mnist1d.png", dpi=120)
    print(f"saved {out / 'bp_mnist1d.png'}")


if __name__ == "__main__":
    main()
