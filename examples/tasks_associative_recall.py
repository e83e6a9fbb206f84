"""The associative-recall task through a memory model: a Hopfield network reads the stored
patterns from the training split and recalls the test cues.

Bit accuracy falls as the load ``P / N`` passes the Hopfield capacity (~0.138 for random
patterns, Amit, Gutfreund & Sompolinsky 1985); the cue itself and the nearest stored pattern
bracket it (the latter is the ceiling).

    .venv/bin/python examples/tasks_associative_recall.py [--n-bits 200] [--noise 0.1]
"""

from __future__ import annotations

import argparse

from comparisons.tasks import get_task
from comparisons.tasks.associative import cues, patterns_from_split
from neurosim.memory.hopfield import HopfieldNetwork


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n-bits", type=int, default=200)
    p.add_argument("--noise", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    n = args.n_bits
    print(f"N = {n}, flip noise {args.noise}; bit accuracy on the test cues")
    print(f"{'P':>4} {'P/N':>6} {'cue':>7} {'hopfield':>9} {'nearest':>8}")
    for load in (0.02, 0.05, 0.1, 0.14, 0.2, 0.3):
        n_pat = max(1, int(round(load * n)))
        task = get_task("associative_recall", n_patterns=n_pat, n_bits=n, noise=args.noise,
                        n_train=n_pat, n_test=200)
        data = task.make(args.seed)
        net = HopfieldNetwork(rule="hebbian", random_state=args.seed)
        net.fit(patterns_from_split(data.train))
        recalled = net.recall(cues(data.test))
        base = task.baselines(data)
        acc = task.score(recalled, data.test)["accuracy"]
        print(f"{n_pat:>4} {n_pat / n:>6.3f} {base['cue']['accuracy']:>7.3f} {acc:>9.3f} "
              f"{base['nearest_pattern']['accuracy']:>8.3f}")


if __name__ == "__main__":
    main()
