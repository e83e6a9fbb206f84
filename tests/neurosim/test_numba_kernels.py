"""The numba kernel compiles only what a network uses, once, and loads it from the cache.

Compile time is the numba backend's one-off cost (see ``benchmarks/cuba.py``,
``ours_first_call_s``); these tests pin the structure that keeps it low: one compiled
function per network kind (no separately compiled numpy helpers or callees), one
specialisation per set of models/parts (no duplicates from argument types), reused by a
fresh process from the on-disk cache; and the specialised kernels give the reference
backend's spikes when several models share a network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

from neurosim import (
    CurrentInjection,
    LIFCondParams,
    LIFParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeMonitor,
    Synapses,
)
from neurosim.backends.numba_kernels import KERNELS, N_MODELS, model_flags
from neurosim.neurons import AdExParams, ALIFParams, IzhikevichParams, LIFCondAlphaParams
from neurosim.units import Hz, ms, nA, nS, pA

_PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    from numba.core import event
    from neurosim import LIFParams, Network, NeuronGroup, SpikeMonitor, Synapses
    from neurosim.units import ms, mV

    def build(n, seed):
        g = NeuronGroup(n, LIFParams(), name="g",
                        init={"v": np.random.default_rng(seed).uniform(-70, -50, n) * mV})
        s = Synapses.fixed_probability(g, g, 0.1, 1 * mV, seed=seed, name="s")
        return Network(g, s, SpikeMonitor(g, name="m"), dt=0.1 * ms, seed=seed,
                       backend="numba")

    names = []
    class Rec(event.Listener):
        def on_start(self, ev):
            f = ev.data["dispatcher"].py_func
            names.append((f.__module__, f.__qualname__))
        def on_end(self, ev):
            pass
    with event.install_listener("numba:compile", Rec()):
        build(50, 0).run(2 * ms)
        build(80, 1).run(3 * ms)      # same kinds of arrays: no new specialisation
    from neurosim.backends.numba_kernels import _run
    print(json.dumps({"compiled": names,
                      "signatures": [[str(t) for t in s] for s in _run.signatures]}))
""")


def _probe(cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    res = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_one_specialisation_compiled_then_loaded_from_cache(tmp_path):
    cold = _probe(str(tmp_path))
    # of our code only the chunk kernel itself is compiled (model updates are inlined,
    # unused parts pruned); of numpy's only np.empty (its impl and the allocator)
    ours = [q for m, q in cold["compiled"] if m.startswith("neurosim")]
    assert ours == ["_run"]
    assert len(cold["compiled"]) <= 3, cold["compiled"]
    (sig,) = cold["signatures"]
    assert sig[:N_MODELS] == ["bool"] + ["none"] * (N_MODELS - 1)   # LIF only
    assert sig[-4:-2] == ["none", "none"]               # no plasticity, no neuron split
    assert sig[-2:] == ["int64", "int64"]                            # the copy range
    assert sig.count("none") == N_MODELS - 1 + 5        # + delay, stp, mon, pl, split
    warm = _probe(str(tmp_path))
    assert warm["compiled"] == []              # a fresh process loads it from the cache
    assert warm["signatures"] == cold["signatures"]


def test_model_flags():
    assert N_MODELS == len(KERNELS) == 8
    assert model_flags([0, 0]) == (True,) + (None,) * 7
    assert model_flags(np.array([5, 3])) == (None, None, None, True, None, True, None, None)


def test_model_table_is_keyed_by_params_class():
    """Every registered neuron model has one entry (kernel code, coefficients) in the numba
    backend's table; a subclass runs as its nearest registered base."""
    from dataclasses import dataclass

    from neurosim.backends.numba_cpu import MODELS, model_coefficients
    from neurosim.neurons import MODEL_PARAMS

    assert set(MODEL_PARAMS.values()) <= set(MODELS)
    for cls in MODEL_PARAMS.values():
        code, c = model_coefficients(cls(), 0.1 * ms)
        assert 0 <= code < N_MODELS and c.shape == (16,)

    @dataclass(frozen=True)
    class MyLIF(LIFParams):
        pass

    assert model_coefficients(MyLIF(), 0.1 * ms)[0] == model_coefficients(LIFParams(),
                                                                           0.1 * ms)[0]


def _mixed(backend: str) -> tuple[Network, list[SpikeMonitor]]:
    """One group of every model in one network (no delays, no state monitor); each group
    reads its own slice of the concatenated input currents (Izhikevich: time-varying)."""
    inp = PoissonGroup(40, 50 * Hz, name="inp")
    izh_cur = np.random.default_rng(0).uniform(0.0, 8.0, (600, 1, 25))
    models = {"lif": (LIFParams(), 300 * pA, 0.3 * nA), "alif": (ALIFParams(), 300 * pA, 0.3 * nA),
              "cond": (LIFCondParams(), 4 * nS, 0.2 * nA),
              "alpha": (LIFCondAlphaParams(), 4 * nS, 0.2 * nA),
              "izh": (IzhikevichParams(), 2.0, izh_cur), "adex": (AdExParams(), 300 * pA, 0.6 * nA)}
    objs, mons = [inp], []
    for k, (name, (par, w, cur)) in enumerate(models.items()):
        g = NeuronGroup(25, par, name=name)
        objs += [g, Synapses.fixed_probability(inp, g, 0.3, w, seed=k, name=f"in_{name}"),
                 CurrentInjection(g, cur)]
        mons.append(SpikeMonitor(g, name=f"m_{name}"))
    return Network(*objs, *mons, dt=0.1 * ms, seed=3, backend=backend), mons


def test_mixed_models_match_reference_backend():
    (ref, mref), (got, mgot) = _mixed("numpy"), _mixed("numba")
    ref.run(60 * ms)
    got.run(60 * ms)
    for a, b in zip(mref, mgot):
        assert a.i.size > 0, a.name      # every model spikes, so every branch is exercised
        np.testing.assert_array_equal(a.i, b.i)
        np.testing.assert_array_equal(a.steps, b.steps)
