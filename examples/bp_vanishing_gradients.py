"""Vanishing and exploding gradients in a recurrent net (Hinton, lecture 7d), measured.

An error is injected at the last step of a 60-step sequence and backpropagated; the norm of
dE/dh_k is plotted against the lag. A tanh RNN (100 units, random recurrent matrix scaled to
spectral radius rho) decays or grows geometrically at about rho times the slope of tanh along
the trajectory (mean-field: gain x rms slope; unsaturated: rho x mean slope); an LSTM whose
forget gates are open (bias 5, close to the original constant error carousel) stays flat,
while torch's default LSTM init (forget gate ~ 0.5) still decays.

    python examples/bp_vanishing_gradients.py [--out output] [--quick]

Output: ``<out>/bp_vanishing_gradients.png``, two panels: the gradient norm ||dE/dh_k|| against
the lag (log scale) for tanh RNNs with spectral radius 0.5, 0.9, 1.5 and 3 (each with its
mean-field prediction, dotted) and for LSTMs with forget bias 5, 1 and torch's default
(dashed); and the measured per-step gradient factor against the spectral radius next to the
predictions, with 1 (vanishing below, exploding above) marked.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from backprop import LSTM, ElmanRNN  # noqa: E402
from backprop.diagnostics import gradient_rate, hidden_gradient_norms, predicted_rate  # noqa: E402
from backprop.esn import reservoir_matrix  # noqa: E402


def elman_with_radius(n: int, rho: float, seed: int) -> ElmanRNN:
    model = ElmanRNN(4, n, 1, seed=seed)
    w = reservoir_matrix(n, rho, 1.0, np.random.default_rng(seed))
    with torch.no_grad():
        model.core.weight_hh_l0.copy_(torch.as_tensor(w, dtype=torch.float32))
    return model


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    n, T = (50, 30) if args.quick else (100, 60)
    x = torch.randn(T, 32, 4, generator=torch.Generator().manual_seed(args.seed))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    print(f"{'model':>26} {'measured rate':>14} {'rho*mean slope':>15} {'gain*rms slope':>15}")
    rows = []
    for rho in (0.5, 0.9, 1.5, 3.0):
        m = elman_with_radius(n, rho, args.seed)
        r = hidden_gradient_norms(m, x)
        rate = gradient_rate(r["h"], r["lag"], min_lag=5)
        p = predicted_rate(m, x)
        rows.append((rho, rate, p))
        name = f"tanh RNN, rho={rho}"
        print(f"{name:>26} {rate:>14.3f} {p['rate_mean']:>15.3f} {p['rate_rms']:>15.3f}")
        mean = np.exp(np.log(r["h"]).mean(1))
        axes[0].semilogy(r["lag"], mean, label=f"{name} (rate {rate:.2f})")
        axes[0].semilogy(r["lag"], mean[-1] * p["rate_rms"] ** r["lag"], "k:", lw=0.8)
    for fb, label in ((5.0, "LSTM, forget bias 5"), (1.0, "LSTM, forget bias 1"),
                      (None, "LSTM, torch default init")):
        m = LSTM(4, n, 1, seed=args.seed, forget_bias=fb)
        r = hidden_gradient_norms(m, x)
        rate_h = gradient_rate(r["h"], r["lag"], min_lag=5)
        rate_c = gradient_rate(r["c"], r["lag"], min_lag=5)
        print(f"{label:>26} {rate_h:>14.3f} {'(cell: ' + format(rate_c, '.3f') + ')':>15}")
        axes[0].semilogy(r["lag"], np.exp(np.log(r["h"]).mean(1)), "--",
                         label=f"{label} (rate {rate_h:.2f})")
    axes[0].set_xlabel("lag t - k (steps)")
    axes[0].set_ylabel("||dE/dh_k|| (geometric mean over 32 sequences)")
    axes[0].set_title("gradient norm vs lag (dotted: mean-field prediction)")
    axes[0].legend(fontsize=7)
    rhos = [r[0] for r in rows]
    axes[1].plot(rhos, [r[1] for r in rows], "o-", label="measured")
    axes[1].plot(rhos, [r[2]["rate_mean"] for r in rows], "s--", label="rho x mean tanh'")
    axes[1].plot(rhos, [r[2]["rate_rms"] for r in rows], "^--", label="gain x rms tanh'")
    axes[1].plot(rhos, rhos, ":", color="gray", label="rho (linear units)")
    axes[1].axhline(1.0, color="k", lw=0.6)
    axes[1].set_xlabel("spectral radius rho")
    axes[1].set_ylabel("per-step gradient factor")
    axes[1].legend(fontsize=8)
    axes[1].set_title("vanishing (< 1) / exploding (> 1)")
    fig.tight_layout()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "bp_vanishing_gradients.png", dpi=120)
    print(f"saved {out / 'bp_vanishing_gradients.png'}")


if __name__ == "__main__":
    main()
