"""The CUBA benchmark network (Vogels & Abbott 2005, as in Brian2's example; fan-in 80) for
tests: one builder shared by ``test_float32.py`` and ``test_gpu_engine.py``."""

from __future__ import annotations

from typing import Any

import numpy as np


def cuba(n: int = 4000, seed: int = 0, **network_kw: Any) -> tuple[Any, Any, list[Any]]:
    """``(network, spike monitor of the excitatory group, [EE, EI, IE, II] synapses)``;
    ``network_kw`` go to :class:`neurosim.Network` (``backend``, ``dtype``, ``batch_size``,
    ``device``, ``threads``)."""
    from neurosim import LIFParams, Network, NeuronGroup, SpikeMonitor, Synapses
    from neurosim.units import ms, mV

    rng = np.random.default_rng(seed)
    n_exc = int(0.8 * n)
    p = 80.0 / n
    par = LIFParams(tau_m=20 * ms, v_rest=-49 * mV, v_reset=-60 * mV, v_thresh=-50 * mV,
                    t_ref=5 * ms, r_m=1.0, tau_e=5 * ms, tau_i=10 * ms)
    E = NeuronGroup(n_exc, par, name="E", init={"v": -60 * mV + rng.random(n_exc) * 10 * mV})
    inh = NeuronGroup(n - n_exc, par, name="I",
                      init={"v": -60 * mV + rng.random(n - n_exc) * 10 * mV})
    syn = [Synapses.fixed_probability(E, E, p, 1.62 * mV, seed=seed + 1, name="EE"),
           Synapses.fixed_probability(E, inh, p, 1.62 * mV, seed=seed + 2, name="EI"),
           Synapses.fixed_probability(inh, E, p, -9 * mV, target="i", seed=seed + 3,
                                      name="IE"),
           Synapses.fixed_probability(inh, inh, p, -9 * mV, target="i", seed=seed + 4,
                                      name="II")]
    mon = SpikeMonitor(E)
    net = Network(E, inh, *syn, mon, dt=0.1 * ms, seed=seed, **network_kw)
    return net, mon, syn
