"""e-prop (Bellec et al. 2020) on a temporal spike-pattern task, against BPTT on the same net.

A recurrent network of LIF (and ALIF) neurons with a leaky readout classifies 3 frozen Poisson
spike patterns (20 channels x 40 steps, spikes dropped and noise added). It is trained

- online by e-prop with **random** broadcast feedback (no weight transport),
- online by e-prop with **symmetric** feedback (``B = W_out.T``),
- by BPTT through the same equations (autograd, ``backprop.eprop.rsnn_forward``),

over several seeds; the script prints test accuracies (chance = 1/3) and the cosine between
the e-prop and BPTT gradients at initialisation, and saves a figure (learning curves + a spike
raster) to ``<out>/snn_eprop_patterns.png``.

    python examples/snn_eprop_patterns.py [--out output] [--quick] [--seeds 3]

Output: ``<out>/snn_eprop_patterns.png``, two panels: the training cross-entropy against epochs
(mean over seeds) for e-prop with random feedback, e-prop with symmetric feedback and BPTT; and
a spike raster of a fresh sample, the input channels (black) below the recurrent neurons of
the last trained net (red).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F

from backprop.eprop import EProp, EPropParams, eprop_gradients, make_temporal_patterns, rsnn_forward


def train_bptt(net: EProp, x, y, epochs: int, batch_size: int, seed: int) -> list[float]:
    """Same network and Adam settings, gradients by BPTT instead of e-prop."""
    w = net.weights
    opt = torch.optim.Adam(w.values(), lr=net.params.lr)
    rng = np.random.default_rng(seed)
    hist = []
    for _ in range(epochs):
        losses = []
        for idx in np.array_split(rng.permutation(x.shape[1]), max(1, x.shape[1] // batch_size)):
            win = rsnn_forward(x[:, idx], w, net.params)["y"][-net.params.readout_steps :]
            loss = F.cross_entropy(win.reshape(-1, win.shape[-1]), y[idx].repeat(win.shape[0]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        hist.append(float(np.mean(losses)))
    return hist


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the figure (default: output)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args(argv)
    n_train, epochs = (96, 3) if args.quick else (256, 8)
    methods = ("e-prop random", "e-prop symmetric", "BPTT")
    curves = {m: [] for m in methods}
    accs = {m: [] for m in methods}
    cosines = []
    for seed in range(args.seeds):
        x, y = make_temporal_patterns(n_train, seed=seed, sample_seed=100 + seed)
        x_te, y_te = make_temporal_patterns(300, seed=seed, sample_seed=200 + seed)
        for m in methods:
            fb = "symmetric" if m != "e-prop random" else "random"
            net = EProp(20, 32, 3, EPropParams(feedback=fb, lr=1e-2), seed=seed, device="cpu")
            if m == "e-prop symmetric":  # gradient direction vs BPTT at initialisation
                with torch.no_grad():
                    ge = eprop_gradients(x[:, :64], y[:64], net.weights, net.params, net.feedback)
                w = {k: v.detach().clone().requires_grad_(True) for k, v in net.weights.items()}
                win = rsnn_forward(x[:, :64], w, net.params)["y"][-net.params.readout_steps :]
                loss = F.cross_entropy(win.reshape(-1, 3), y[:64].repeat(win.shape[0]))
                gb = torch.autograd.grad(loss, w["w_in"])[0]
                a = ge["grads"]["w_in"].flatten()
                cosines.append(float(a @ gb.flatten() / (a.norm() * gb.norm())))
            if m == "BPTT":
                hist = train_bptt(net, x, y, epochs, 32, seed)
            else:
                hist = net.fit(x, y, epochs=epochs, batch_size=32, seed=seed)
            curves[m].append(hist)
            accs[m].append(net.score(x_te, y_te))
    print(f"temporal patterns, 3 classes (chance 0.33), {args.seeds} seeds, {epochs} epochs")
    for m in methods:
        a = np.array(accs[m])
        print(f"  {m:<17} test accuracy {a.mean():.3f} (min {a.min():.3f}, max {a.max():.3f})")
    print(f"  cosine(e-prop, BPTT) of the input-weight gradient at init: "
          f"{np.mean(cosines):.3f} (min {np.min(cosines):.3f})")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for m in methods:
        c = np.array(curves[m])
        ax1.plot(np.arange(1, c.shape[1] + 1), c.mean(0), marker="o", label=m)
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("training cross-entropy")
    ax1.set_title("e-prop vs BPTT (mean over seeds)")
    ax1.legend()
    x, y = make_temporal_patterns(1, seed=0, sample_seed=999)
    z = rsnn_forward(x, net.weights, net.params)["z"][:, 0].detach()
    t_in, c_in = np.nonzero(x[:, 0].numpy())
    t_r, c_r = np.nonzero(z.numpy())
    ax2.scatter(t_in, c_in, s=6, c="k", label="input")
    ax2.scatter(t_r, c_r + 22, s=6, c="tab:red", label="recurrent")
    ax2.set_xlabel("time step")
    ax2.set_ylabel("neuron")
    ax2.set_title("spike raster (last trained net)")
    ax2.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "snn_eprop_patterns.png")
    fig.savefig(path, dpi=120)
    print(f"figure: {path}")
    return {"accuracy": {m: float(np.mean(a)) for m, a in accs.items()},
            "cosine": float(np.mean(cosines))}


if __name__ == "__main__":
    main()
