"""The adding problem (Hochreiter & Schmidhuber 1997): LSTM and GRU vs a vanilla RNN.

Two input channels: values U(0, 1) and two markers (one per half); target: the sum of the two
marked values, read out after the last step. Predicting the mean gives MSE = 1/6 ~ 0.167;
solved = MSE < 0.01. At T = 500 the LSTM and GRU get there, while a tanh RNN stays at the
baseline (its gradient vanishes over the hundreds of steps between marker and output).
Adam lr 1e-2, batch 64, gradient-norm clipping 1.0, hidden size 32, fresh validation set of 1000.

The LSTM's gate biases get the chrono initialisation (Tallec & Ollivier 2018, "Can recurrent
neural networks warp time?"): forget-gate bias b_f ~ log U(1, T - 1), input-gate bias -b_f, so
the cells start with memory time scales spread up to the sequence length. "LSTM-fb1" is the
same LSTM with the common constant forget-gate bias 1 (Jozefowicz et al. 2015) instead; at
T = 500 it stays at the baseline within 1500 updates, while the chrono LSTM solves it in about
450.

    python examples/bp_adding_problem.py [--T 500] [--epochs 60] [--out output] [--quick]
        [--models LSTM,LSTM-fb1,GRU,RNN]

A few CPU minutes at T = 500 (one thread); fine on a GPU (device="auto").

Output: ``<out>/bp_adding_problem.png``, validation MSE against updates (one point per 50
updates) for each model, with the predict-the-mean baseline (0.167, dotted) and the solved
threshold (0.01, dashed): the chrono LSTM and the GRU drop below 0.01, the tanh RNN stays on
the baseline.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from backprop import GRU, LSTM, ElmanRNN, Trainer  # noqa: E402
from backprop.data import adding_problem  # noqa: E402


def make_model(name: str, T: int, seed: int, hidden: int = 32) -> torch.nn.Module:
    """The four contenders; ``T`` sets the chrono LSTM's longest time scale."""
    kw = dict(output="many_to_one", seed=seed)
    if name == "LSTM":
        return LSTM(2, hidden, 1, chrono_tmax=max(T, 3), **kw)
    if name == "LSTM-fb1":
        return LSTM(2, hidden, 1, forget_bias=1.0, **kw)
    if name == "GRU":
        return GRU(2, hidden, 1, **kw)
    if name in ("RNN", "RNN (tanh)"):
        return ElmanRNN(2, hidden, 1, **kw)
    raise ValueError(f"--models: unknown model {name!r}; choose from {', '.join(MODELS)}")


MODELS = ("LSTM", "LSTM-fb1", "GRU", "RNN")


def run(name: str, T: int, epochs: int, seed: int, hidden: int = 32) -> dict:
    x, y = adding_problem(64 * 50, T, seed=seed)
    xv, yv = adding_problem(1000, T, seed=seed + 100)
    model = make_model(name, T, seed, hidden)
    tr = Trainer(model, loss="mse", lr=1e-2, clip_norm=1.0, seed=seed, progress=None,
                 device="auto")
    t0, c0 = time.perf_counter(), time.process_time()

    def callback(epoch: int, h) -> bool:
        print(f"  {name} T={T} epoch {epoch:3d} ({h.steps} updates): train {h.loss[-1]:.4f}, "
              f"validation {h.val_loss[-1]:.4f}, CPU {time.process_time() - c0:.0f} s",
              flush=True)
        return h.val_loss[-1] < 0.001  # well solved: stop

    h = tr.fit(x, y, epochs=epochs, batch_size=64, validation=(xv, yv), callback=callback)
    solved = next((s for s, v in zip(range(50, 10**9, 50), h.val_loss) if v < 0.01), None)
    return {"name": name, "val": h.val_loss, "final": h.val_loss[-1], "solved_at": solved,
            "cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - t0,
            "device": str(tr.device)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    ap.add_argument("--T", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=60, help="at most (50 updates each)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--models", default="LSTM,GRU,RNN",
                    help=f"comma-separated, from {', '.join(MODELS)}")
    ap.add_argument("--quick", action="store_true", help="T = 50, 15 epochs")
    args = ap.parse_args(argv)
    T, epochs = (50, 15) if args.quick else (args.T, args.epochs)
    results = [run(n.strip(), T, epochs, args.seed) for n in args.models.split(",")]
    print(f"\nadding problem, T = {T} (baseline MSE 0.167, solved < 0.01)")
    print(f"{'model':>12} {'final val MSE':>14} {'solved after':>13} {'CPU':>8} {'wall':>8}")
    for r in results:
        solved = f"{r['solved_at']} upd." if r["solved_at"] else "not solved"
        print(f"{r['name']:>12} {r['final']:>14.4f} {solved:>13} {r['cpu_s']:>7.0f}s "
              f"{r['wall_s']:>7.0f}s  ({r['device']})")
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in results:
        ax.plot([50 * (i + 1) for i in range(len(r["val"]))], r["val"], label=r["name"])
    ax.axhline(1 / 6, color="gray", ls=":", label="predict the mean (0.167)")
    ax.axhline(0.01, color="k", ls="--", lw=0.8, label="solved (0.01)")
    ax.set_yscale("log")
    ax.set_xlabel("updates (batch 64)")
    ax.set_ylabel("validation MSE")
    ax.set_title(f"adding problem, T = {T}")
    ax.legend()
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "bp_adding_problem.png", dpi=120)
    print(f"saved {out / 'bp_adding_problem.png'}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
