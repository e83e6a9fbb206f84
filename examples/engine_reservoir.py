"""A fixed random LIF reservoir driven by per-step input currents, for a batch of sequences.

The recommended way to get per-step spikes of a spiking reservoir for B sequences:

1. compute the input currents ``I = x @ W_in`` with shape ``(T, B, N)`` (amperes);
2. ``CurrentInjection(reservoir, I)`` + recurrent ``Synapses`` + ``SpikeMonitor``;
3. ``Network(..., batch_size=B, backend="auto")`` (numba on CPU, torch on CUDA) and
   ``run(T * dt)``; ``monitor.to_dense(T, B)`` gives spikes ``(T, B, N)``.

For full control in a training loop, the pure step function does the same on any
``(B, N)`` numpy array or torch tensor (shown below as a cross-check: identical spikes).

Run: ``python examples/engine_reservoir.py``.
"""

from __future__ import annotations

import time

import numpy as np

from neurosim import CurrentInjection, LIFParams, Network, NeuronGroup, SpikeMonitor, Synapses
from neurosim.neurons.lif import LIFState, lif_step
from neurosim.units import ms, nA, pA


def main(T: int = 200, B: int = 16, n_in: int = 2, N: int = 200, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (T, B, n_in)).astype(float)          # e.g. two bits per step
    w_in = rng.normal(0, 1.0, (n_in, N)) * nA
    current = 0.15 * nA + x @ w_in                                # (T, B, N) amperes
    w_rec = rng.normal(0, 60, (N, N)) * pA * (rng.random((N, N)) < 0.1)
    params = LIFParams(tau_m=20 * ms, t_ref=2 * ms)
    dt = 1 * ms

    res = NeuronGroup(N, params, name="reservoir")
    rec = Synapses.from_matrix(res, res, w_rec, target="e")      # signed currents
    mon = SpikeMonitor(res)
    net = Network(res, rec, CurrentInjection(res, current), mon, dt=dt, batch_size=B,
                  seed=seed)
    t0 = time.perf_counter()
    net.run(T * dt)
    spikes = mon.to_dense(T, B)                                    # (T, B, N) bool
    print(f"Network ({net.backend_name}): {spikes.sum()} spikes, "
          f"{time.perf_counter() - t0:.2f} s; counters: "
          f"{net.counters['synaptic_events']} synaptic events")

    # the same with the pure step function in a plain loop
    st = params.init_state((B, N))
    st = LIFState(*st)
    out = np.zeros_like(spikes)
    for t in range(T):
        s, st = lif_step(st, current[t], params, dt)
        st = st._replace(i_e=st.i_e + s.astype(float) @ w_rec)   # deliver after the step
        out[t] = s
    print("pure-step loop gives identical spikes:", bool(np.array_equal(out, spikes)))


if __name__ == "__main__":
    main()
