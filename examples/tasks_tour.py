"""A tour of the comparisons task suite: data, chance baselines, spike encodings.

Prints, for every registered task, the shapes of its (quick, default) splits, its headline
metric and the scores of its trivial baselines on the test split; then spike-encodes one
task with the three encoders and reports spikes per input value. With ``--reference`` it
also fits scikit-learn's logistic regression on MNIST-1D, whose published accuracy is 32 %
(Greydanus 2020), as a check that the generated data are the standard dataset.

    .venv/bin/python examples/tasks_tour.py [--reference] [--out output]

Output: ``<out>/tasks_tour.png``, four stacked panels for one Mackey-Glass sequence: the
real-valued series, then its rate, latency and delta spike encodings as rasters (time
against input channel, black = spike).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from comparisons.tasks import describe, format_table, get_task, list_tasks


def tour(seed: int) -> None:
    print(format_table(describe(measure=True, seed=seed)))
    print()
    for name in list_tasks():
        task = get_task(name)
        data = task.make(seed)
        base = task.baselines(data)
        shapes = f"x {data.train.x.shape} / {data.test.x.shape}, y {data.train.y.shape}"
        print(f"{name:<19} {shapes}")
        for b, s in base.items():
            vals = ", ".join(f"{k}={v:.4g}" for k, v in s.items())
            print(f"{'':<19}   {b:<16} {vals}")


def encodings(seed: int, out: Path) -> None:
    task = get_task("mackey_glass", length=60, n_train=4, n_test=2, washout=5)
    data = task.make(seed)
    print("\nMackey-Glass, 60 steps, train split, spike encodings:")
    enc = {m: task.encode(data, m, seed=seed) for m in ("rate", "latency", "delta")}
    for m, e in enc.items():
        x = e.train.x
        print(f"  {m:<8} shape {x.shape}, {x.sum() / data.train.x.size:.2f} spikes per value")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(4, 1, figsize=(8, 6), sharex=False)
    ax[0].plot(data.train.x[:, 0, 0])
    ax[0].set_title("Mackey-Glass (one sequence)")
    for a, (m, e) in zip(ax[1:], enc.items(), strict=True):
        a.imshow(e.train.x[:, 0, :].T, aspect="auto", interpolation="nearest",
                 cmap="Greys")
        a.set_title(f"{m} ({e.meta['steps_per_value']} steps per value)")
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    plot = out / "tasks_tour.png"
    fig.savefig(plot, dpi=100)
    print(f"  wrote {plot}")


def reference(seed: int) -> None:
    from sklearn.linear_model import LogisticRegression

    task = get_task("mnist1d")
    data = task.make(seed)
    xtr, xte = data.train.x[:, :, 0].T, data.test.x[:, :, 0].T
    clf = LogisticRegression(max_iter=2000).fit(xtr, data.train.y)
    acc = clf.score(xte, data.test.y)
    print(f"\nMNIST-1D logistic regression test accuracy {acc:.3f} (published: 0.32)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reference", action="store_true", help="MNIST-1D logistic regression")
    p.add_argument("--out", default="output", metavar="DIR",
                   help="folder for the figure of the encodings (default: output)")
    args = p.parse_args()
    np.set_printoptions(precision=4)
    tour(args.seed)
    encodings(args.seed, Path(args.out))
    if args.reference:
        reference(args.seed)


if __name__ == "__main__":
    main()
