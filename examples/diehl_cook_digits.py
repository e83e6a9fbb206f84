"""Diehl & Cook (2015) unsupervised digit classifier on scikit-learn's load_digits.

The 8x8 images are upsampled to 28x28 (so the authors' MNIST parameters apply unchanged:
784 inputs, column sums 78) with a fixed stratified split (1347 train / 450 test). For each
number of excitatory neurons the script trains one epoch, labels neurons on the training
set, and reports test accuracy and training time, next to a logistic regression on the same
pixels. ``--mnist DIR`` uses local MNIST IDX files instead (``--n-train`` images).

    .venv/bin/python examples/diehl_cook_digits.py --neurons 100 400
    .venv/bin/python examples/diehl_cook_digits.py --mnist ~/data/mnist --n-train 10000
"""

from __future__ import annotations

import argparse
import json
import time

from sklearn.linear_model import LogisticRegression

from neurosim.datasets import DigitSplit, load_digits_split, load_mnist
from neurosim.learning.diehl_cook import DiehlCook, DiehlCookConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neurons", type=int, nargs="+", default=[100, 400])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--upsample", type=int, default=28)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mnist", default=None, help="directory with MNIST IDX files")
    ap.add_argument("--n-train", type=int, default=None)
    ap.add_argument("--n-test", type=int, default=None)
    ap.add_argument("--checkpoint", default=None, help="file prefix for resumable training")
    args = ap.parse_args()
    if args.mnist:
        Xtr, ytr = load_mnist(args.mnist, "train")
        Xte, yte = load_mnist(args.mnist, "test")
        d = DigitSplit(Xtr.astype(float), ytr, Xte.astype(float), yte, 255.0)
    else:
        d = load_digits_split(upsample=args.upsample if args.upsample > 8 else None)
    Xtr, ytr = d.X_train[:args.n_train], d.y_train[:args.n_train]
    Xte, yte = d.X_test[:args.n_test], d.y_test[:args.n_test]
    t0 = time.perf_counter()
    lr = LogisticRegression(max_iter=2000).fit(Xtr / d.max_pixel, ytr)
    lr_acc, lr_s = lr.score(Xte / d.max_pixel, yte), time.perf_counter() - t0
    rows = []
    print(f"data: {Xtr.shape[0]} train / {Xte.shape[0]} test, {Xtr.shape[1]} inputs")
    print(f"{'model':<28}{'test acc':>10}{'train s':>10}{'s/image':>10}")
    print(f"{'logistic regression':<28}{lr_acc:>10.3f}{lr_s:>10.2f}{'':>10}")
    for n in args.neurons:
        cfg = DiehlCookConfig(n_input=Xtr.shape[1], n_exc=n,
                              norm_total=78.0 * Xtr.shape[1] / 784)
        m = DiehlCook(cfg, max_pixel=d.max_pixel, random_state=args.seed)
        ck = f"{args.checkpoint}_{n}.npz" if args.checkpoint else None
        m.fit(Xtr, ytr, epochs=args.epochs, checkpoint=ck)
        acc = m.score(Xte, yte)
        per = m.train_time_s_ / (Xtr.shape[0] * args.epochs)
        print(f"{f'Diehl & Cook, {n} neurons':<28}{acc:>10.3f}{m.train_time_s_:>10.1f}"
              f"{per:>10.4f}")
        rows.append({"n_exc": n, "test_acc": acc, "train_s": m.train_time_s_,
                     "s_per_image": per})
    print(json.dumps({"logreg_acc": lr_acc, "diehl_cook": rows}))


if __name__ == "__main__":
    main()
