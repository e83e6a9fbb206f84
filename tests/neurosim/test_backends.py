"""All backends give the same spikes for the same seed and inputs (float64, CPU)."""

import numpy as np
import pytest

from neurosim import (
    CurrentInjection,
    LIFCondParams,
    LIFParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from neurosim.backends import available_backends
from neurosim.neurons import AdExParams, ALIFParams, IzhikevichParams, LIFCondAlphaParams
from neurosim.units import Hz, ms, nA, nS, pA

BACKENDS = ["numpy", "numba", "torch"]




def _net(kind, backend, seed, batch=1):
    rng = np.random.default_rng(seed)
    inp = PoissonGroup(30, 40 * Hz, name="inp")
    if kind == "lif_delays":
        g = NeuronGroup(60, LIFParams(), name="g")
        delay = lambda r, n: r.integers(0, 8, n) * 0.5 * ms  # noqa: E731
        syns = [Synapses.fixed_probability(inp, g, 0.3, 250 * pA, seed=seed, delay=delay),
                Synapses.fixed_probability(g, g, 0.1, -80 * pA, target="i", seed=seed + 1,
                                           delay=2 * ms, name="rec")]
        extra = [CurrentInjection(g, rng.uniform(0.1, 0.2, 60) * nA)]
    elif kind in ("cond", "alpha"):
        g = NeuronGroup(60, LIFCondParams() if kind == "cond" else LIFCondAlphaParams(),
                        name="g")
        syns = [Synapses.fixed_probability(inp, g, 0.3, 3 * nS, seed=seed),
                Synapses.fixed_probability(g, g, 0.1, 2 * nS, target="i", seed=seed + 1,
                                           dense=True)]
        extra = [CurrentInjection(g, 0.2 * nA)]
    elif kind in ("alif", "adex"):
        p = ALIFParams() if kind == "alif" else AdExParams()
        g = NeuronGroup(60, p, name="g")
        syns = [Synapses.fixed_probability(inp, g, 0.3, 150 * pA, seed=seed),
                Synapses.fixed_probability(g, g, 0.1, 50 * pA, seed=seed + 1)]
        hi = 0.4 if kind == "alif" else 1.2
        cur = rng.uniform(0.1, hi, (400, batch, 60)) * nA
        extra = [CurrentInjection(g, cur)]
    elif kind == "izh":
        g = NeuronGroup(60, IzhikevichParams(), name="g")
        syns = [Synapses.fixed_probability(inp, g, 0.3, 0.5e-3, target="v", seed=seed),
                Synapses.fixed_probability(g, g, 0.1, 20.0, seed=seed + 1)]
        extra = [CurrentInjection(g, rng.uniform(0, 8, 60))]
    else:
        raise AssertionError(kind)
    mons = [SpikeMonitor(g, name="sm"), SpikeMonitor(inp, name="si"),
            StateMonitor(g, g.state_vars[:2], [0, 5, 7], every=3, name="st")]
    return Network(inp, g, *syns, *extra, *mons, dt=0.1 * ms, seed=seed, backend=backend,
                   batch_size=batch)


def _result(net):
    mons = {m.name: m for m in net.objects if hasattr(m, "reset")}
    st = mons["st"]
    return (mons["sm"].steps, mons["sm"].batch, mons["sm"].i, mons["si"].i,
            {v: st[v] for v in st.variables}, net.get_state(), net.counters)


@pytest.mark.parametrize("kind", ["lif_delays", "cond", "alpha", "alif", "adex", "izh"])
@pytest.mark.parametrize("batch", [1, 3])
def test_backends_agree(kind, batch):
    results = {}
    for b in BACKENDS:
        net = _net(kind, b, seed=batch, batch=batch)
        net.run(15 * ms)
        net.run(25 * ms)   # continuation across runs
        results[b] = _result(net)
    ref = results["numpy"]
    assert ref[2].size > 20 and ref[3].size > 20
    for b in BACKENDS[1:]:
        got = results[b]
        for a, e in zip(got[:4], ref[:4]):
            np.testing.assert_array_equal(a, e)
        for v in ref[4]:
            np.testing.assert_allclose(got[4][v], ref[4][v], rtol=1e-9, atol=1e-18)
        for key, d in ref[5].items():
            for v in d:
                np.testing.assert_allclose(got[5][key][v], d[v], rtol=1e-9, atol=1e-18)
        assert got[6] == ref[6]


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_copies_are_independent(backend):
    # copy b of a batch equals a batch-1 network given copy b's currents
    cur = np.random.default_rng(0).uniform(0.1, 0.5, (200, 3, 20)) * nA
    gen = SpikeGeneratorGroup(2, [0, 1, 0], [1 * ms, 3 * ms, 9 * ms], name="gen")

    def build(c, batch):
        g = NeuronGroup(20, LIFParams(), name="g")
        s = Synapses.all_to_all(gen, g, 100 * pA)
        m = SpikeMonitor(g, name="m")
        return Network(gen, g, s, CurrentInjection(g, c), m, dt=0.1 * ms, seed=0,
                       backend=backend, batch_size=batch), m

    net, m = build(cur, 3)
    net.run(20 * ms)
    for b in range(3):
        single, ms_ = build(cur[:, b:b + 1], 1)
        single.run(20 * ms)
        sel = m.batch == b
        np.testing.assert_array_equal(m.i[sel], ms_.i)
        np.testing.assert_array_equal(m.steps[sel], ms_.steps)


def test_state_moves_between_backends():
    # numba -> torch via get_state/set_state mid-run, with pending delayed input
    a = _net("lif_delays", "numba", seed=5)
    a.run(20 * ms)
    snap = a._snapshot()
    a.run(20 * ms)
    b = _net("lif_delays", "torch", seed=5)
    b._ensure()
    b._apply_snapshot(snap)
    b.run(20 * ms)
    ra, rb = _result(a), _result(b)
    np.testing.assert_array_equal(ra[2], rb[2])
    np.testing.assert_allclose(ra[5]["g"]["v"], rb[5]["g"]["v"], rtol=1e-12)


def test_registry_lists_backends():
    assert {"numpy", "numba", "torch"} <= set(available_backends())


def _plastic_net(backend, rule):
    inp = PoissonGroup(20, 60 * Hz, name="inp")
    post = NeuronGroup(5, LIFParams(), name="post")
    syn = Synapses.fixed_probability(inp, post, 0.5, 300 * pA, seed=1, name="syn")
    syn.attach(rule)
    mon = SpikeMonitor(post, name="m")
    return Network(inp, post, syn, mon, dt=0.1 * ms, seed=4, backend=backend), syn, mon


def test_registered_backend_runs_plastic_networks(tmp_path, monkeypatch):
    """A backend added with register_backend runs a plastic network through its own
    ``prepare`` (here: a subclass of ArrayBackend that only supplies numpy ops), with the
    reference backend's spikes, weights and op counts."""
    import sys

    from neurosim import backends
    from neurosim.plasticity import STDP, PairSTDPParams, TripletSTDP, TripletSTDPParams

    (tmp_path / "my_backend.py").write_text(
        "from neurosim.backends.array_backend import ArrayBackend, NumpyOps\n\n"
        "class Mine(ArrayBackend):\n    name = 'mine'\n\n"
        "    def ops(self, plan):\n        return NumpyOps(plan.dtype)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(backends, "_REGISTRY", dict(backends._REGISTRY))
    backends.register_backend("mine", "my_backend:Mine")
    rules = (lambda: STDP(PairSTDPParams(w_max=1e-9)),
             lambda: TripletSTDP(TripletSTDPParams(w_max=1e-9)))
    for rule in rules:
        ref, syn_r, mon_r = _plastic_net("numpy", rule())
        got, syn_g, mon_g = _plastic_net("mine", rule())
        ref.run(40 * ms)
        got.run(40 * ms)
        assert type(got._runner).__name__ == "PlasticArrayRunner"
        assert mon_r.i.size > 0
        np.testing.assert_array_equal(mon_r.i, mon_g.i)
        np.testing.assert_array_equal(syn_r.weights, syn_g.weights)
        assert got.counters["plasticity_updates"] == ref.counters["plasticity_updates"] > 0
    sys.modules.pop("my_backend", None)
