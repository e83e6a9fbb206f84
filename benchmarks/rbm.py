"""RBM benchmark: neurosim.memory.RBM vs scikit-learn's BernoulliRBM, in the same process.

Data: ``sklearn.datasets.load_digits`` binarised at pixel > 7; fixed split, first 1500 rows
train, last 297 test. For 16 and 64 hidden units, each model is trained for the same number
of epochs with its own default settings (ours: CD-1, batch 32, lr 0.2 with a linear decay,
momentum 0.5; scikit-learn: PCD-1, batch 10, lr 0.1), several repeats (seeds), medians.
Reported: seconds per epoch and the test log-likelihood, exact for 16 hidden units
(enumeration of the 16 hidden units) and an AIS estimate (same AIS code for both) for 64.
A third row trains ours with scikit-learn's batch size and learning rate, for a like-for-like
epoch time.

Usage: ``python benchmarks/rbm.py [--quick] [--epochs N] [--repeats R]``. The last line of
the output is one JSON object (see DESIGN.md, "Contracts").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.neural_network import BernoulliRBM  # noqa: E402

from neurosim.memory.rbm import RBM  # noqa: E402
from neurosim.memory.sampling import (  # noqa: E402
    ais_rbm,
    rbm_free_energy,
    rbm_log_partition_exact,
)


def test_ll(W, b, c, Xte, base_logits, seed, n_betas):
    """Mean test log-likelihood and the standard error of its log Z (0 when exact)."""
    W, b, c = (torch.as_tensor(np.asarray(a), dtype=torch.float64) for a in (W, b, c))
    if min(W.shape) <= 20:
        log_z, err = rbm_log_partition_exact(W, b, c), 0.0
    else:
        est = ais_rbm(W, b, c, n_chains=100, betas=n_betas,
                      base_visible_bias=torch.as_tensor(base_logits),
                      generator=torch.Generator().manual_seed(seed))
        log_z, err = est.value, est.std
    fe = rbm_free_energy(torch.as_tensor(Xte, dtype=torch.float64), W, b, c)
    return float((-fe - log_z).mean()), err


def run(n_hidden, epochs, repeats, Xtr, Xte, n_betas):
    p = np.clip(Xtr.mean(0), 1e-3, 1 - 1e-3)
    logits = np.log(p / (1 - p))
    makers = {
        "ours": lambda s: RBM(n_components=n_hidden, n_iter=epochs, random_state=s),
        "ours_bs10": lambda s: RBM(n_components=n_hidden, n_iter=epochs, batch_size=10,
                                   learning_rate=0.1, random_state=s),
        "sklearn": lambda s: BernoulliRBM(n_components=n_hidden, n_iter=epochs,
                                          random_state=s),
    }
    out = {}
    for seed in range(repeats):
        for name, make in makers.items():  # interleaved, so load affects all alike
            model = make(seed)
            t0 = time.perf_counter()
            model.fit(Xtr)
            dt = (time.perf_counter() - t0) / epochs
            ll, err = test_ll(model.components_.T, model.intercept_visible_,
                              model.intercept_hidden_, Xte, logits, 1000 + seed, n_betas)
            rec = out.setdefault(name, {"epoch_s": [], "test_ll": [], "log_z_se": []})
            rec["epoch_s"].append(dt)
            rec["test_ll"].append(ll)
            rec["log_z_se"].append(err)
    return {name: {"epoch_s": statistics.median(r["epoch_s"]),
                   "test_ll": statistics.median(r["test_ll"]),
                   "test_ll_all": r["test_ll"],
                   "log_z_se": max(r["log_z_se"])} for name, r in out.items()}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 epochs, 1 repeat, short AIS")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args(argv)
    epochs = args.epochs or (5 if args.quick else 50)
    repeats = args.repeats or (1 if args.quick else 5)
    n_betas = 1000 if args.quick else 10000
    X = (load_digits().data > 7).astype(np.float64)
    Xtr, Xte = X[:1500], X[1500:]
    results = {nh: run(nh, epochs, repeats, Xtr, Xte, n_betas) for nh in (16, 64)}

    print(f"RBM on binarised digits (1500 train / 297 test), {epochs} epochs, "
          f"median of {repeats} seeds; torch {torch.__version__}")
    print(f"{'hidden':>6} {'model':>10} {'s/epoch':>9} {'test LL (nats)':>15} {'LL kind':>10}")
    for nh, res in results.items():
        for name, r in res.items():
            kind = "exact" if nh <= 20 else f"AIS±{r['log_z_se']:.2f}"
            print(f"{nh:>6} {name:>10} {r['epoch_s']:>9.4f} {r['test_ll']:>15.3f} {kind:>10}")
    r16 = results[16]
    ours_s, peer_s = r16["ours"]["epoch_s"], r16["sklearn"]["epoch_s"]
    summary = {
        "benchmark": "rbm",
        "ours_s": ours_s,
        "peers": {"sklearn": peer_s},
        "ratios": {"sklearn": ours_s / peer_s},
        "ours_test_ll": r16["ours"]["test_ll"],
        "sklearn_test_ll": r16["sklearn"]["test_ll"],
        "ours_test_ll_seeds": r16["ours"]["test_ll_all"],
        "sklearn_test_ll_seeds": r16["sklearn"]["test_ll_all"],
        "epochs": epochs,
        "repeats": repeats,
        "ours_bs10_s": r16["ours_bs10"]["epoch_s"],
        "ours_bs10_test_ll": r16["ours_bs10"]["test_ll"],
        "ratio_bs10_vs_sklearn": r16["ours_bs10"]["epoch_s"] / peer_s,
        "h64": {name: {"epoch_s": r["epoch_s"], "test_ll_ais": r["test_ll"],
                       "log_z_se": r["log_z_se"]} for name, r in results[64].items()},
        "ratio_h64": results[64]["ours"]["epoch_s"] / results[64]["sklearn"]["epoch_s"],
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
