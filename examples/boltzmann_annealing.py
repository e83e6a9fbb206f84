"""A small Boltzmann machine (Ackley, Hinton & Sejnowski 1985): learning and annealing.

1. Fits fully visible and hidden-unit Boltzmann machines with the exact learning rule
   <s_i s_j>_clamped - <s_i s_j>_free to two-prototype data, printing exact log-likelihoods.
2. Simulated annealing (Kirkpatrick et al. 1983) on a random 16-unit machine: the fraction of
   runs that reach the ground state (found by brute force) for fast and slow cooling.

    python examples/boltzmann_annealing.py [--quick]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from neurosim.memory.boltzmann import BoltzmannMachine
from neurosim.memory.sampling import binary_states, bm_energy, simulated_annealing


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    protos = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]], float)
    X = protos[rng.integers(0, 2, 300)]
    X = np.where(rng.random(X.shape) < 0.1, 1 - X, X)
    n_iter = 50 if args.quick else 300
    _, counts = np.unique(X, axis=0, return_counts=True)
    q = counts / counts.sum()
    print(f"best possible (minus the empirical entropy): {float(q @ np.log(q)):.4f} nats")
    for n_hidden in (0, 1, 2):
        bm = BoltzmannMachine(n_hidden=n_hidden, n_iter=n_iter, random_state=args.seed).fit(X)
        print(f"hidden units {n_hidden}: exact mean log-likelihood {bm.score(X):.4f} nats")

    g = torch.Generator().manual_seed(args.seed)
    n = 16
    A = torch.randn(n, n, generator=g, dtype=torch.float64)
    W = torch.triu(A, 1) + torch.triu(A, 1).T
    b = torch.randn(n, generator=g, dtype=torch.float64)
    ground = bm_energy(binary_states(0, 1 << n, n), W, b).min().item()
    print(f"random {n}-unit machine, ground-state energy {ground:.4f} (brute force)")
    for steps in (5, 20, 80):
        _, e = simulated_annealing(W, b, np.geomspace(5.0, 0.05, steps), n_chains=50,
                                   generator=g)
        hit = float((e <= ground + 1e-9).double().mean())
        print(f"  {steps:3d} temperatures: {100 * hit:5.1f}% of 50 runs reach the ground state")


if __name__ == "__main__":
    main()
