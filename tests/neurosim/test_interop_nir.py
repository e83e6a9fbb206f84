"""NIR export/import of neurosim networks: round trips and snnTorch cross-checks."""

import math

import numpy as np
import pytest

from neurosim import (
    CurrentInjection,
    IzhikevichParams,
    LIFCondParams,
    LIFParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    Synapses,
)
from neurosim.neurons import ALIFParams
from neurosim.plasticity import STDP, PairSTDPParams
from neurosim.units import ms, mV, nA, pA

nir = pytest.importorskip("nir")
from neurosim.interop.nir import from_nir, read_nir, to_nir, write_nir  # noqa: E402

DT = 0.1 * ms
T = 500


def _f32(x):
    """Values exactly representable in float32 (snnTorch's importer stores float32)."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def _raster(rng, n, p=0.06, steps=T):
    return rng.random((steps, n)) < p


def _gen(raster, name="gen"):
    steps, idx = np.nonzero(raster)
    return SpikeGeneratorGroup(raster.shape[1], idx, steps * DT, name=name)


def _mixed_net(seed, raster, recurrent=True):
    """gen -> LIF ('v' synapses, 0.5 ms delay, bias currents) -> CubaLIF ('e' + recurrent
    'i', per-target delays)."""
    rng = np.random.default_rng(seed)
    n_in, n1, n2 = raster.shape[1], 30, 15
    gen = _gen(raster)
    g1 = NeuronGroup(n1, LIFParams(t_ref=0.0), name="g1")
    g2 = NeuronGroup(n2, LIFParams(t_ref=0.0, tau_i=5 * ms), name="g2")
    s1 = Synapses.from_matrix(gen, g1, rng.normal(4 * mV, 3 * mV, (n_in, n1)), target="v",
                              delay=0.5 * ms, name="s1")
    d2 = np.broadcast_to(rng.integers(0, 5, n2) * DT, (n1, n2))
    s2 = Synapses.from_matrix(g1, g2, rng.normal(200 * pA, 300 * pA, (n1, n2)), target="e",
                              delay=d2, name="s2")
    s3 = Synapses.from_matrix(g2, g2, -np.abs(rng.normal(100 * pA, 50 * pA, (n2, n2))),
                              target="i", name="s3")
    inj = CurrentInjection(g1, rng.uniform(0.1, 0.19, n1) * nA)
    _start_like_nir(g1, inj, DT)
    mons = [SpikeMonitor(g1, name="m1"), SpikeMonitor(g2, name="m2")]
    syns = [s1, s2, s3] if recurrent else [s1, s2]
    return Network(gen, g1, g2, *syns, inj, *mons, dt=DT, backend="numpy"), mons


def _start_like_nir(group, inj, dt, depth=1):
    """NIR holds no initial state; its per-step reading starts at U = v_leak (see
    neurosim.interop.nir.initial_v)."""
    from neurosim.interop.nir import initial_v
    from neurosim.neurons.lif import lif_coefficients

    p, a = group.params, lif_coefficients(group.params, dt).a_m
    group.init["v"] = initial_v(p.v_rest, p.r_m * (1 - a) / a * inj.values, a, depth)


def _monitor(net, name):
    return next(o for o in net.objects if getattr(o, "name", None) == name)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_round_trip_file_gives_identical_spikes(tmp_path, seed):
    raster = _raster(np.random.default_rng(100 + seed), 20)
    net, (m1, m2) = _mixed_net(seed, raster)
    graph = to_nir(net, dt=DT)
    kinds = {k: type(v).__name__ for k, v in graph.nodes.items()}
    assert kinds["g1"] == "LIF" and kinds["g2"] == "CubaLIF" and kinds["s1"] == "Affine"
    assert kinds["s1_delay"] == "Delay" and kinds["s2_delay"] == "Delay"
    path = tmp_path / "net.nir"
    write_nir(graph, path)
    assert not [p for p in tmp_path.iterdir() if p.name != "net.nir"]  # no temp file left
    back = read_nir(path)
    assert float(back.metadata["dt"]) == DT
    net2 = from_nir(back, dt=DT, input_spikes={"gen": raster}, backend="numpy")
    net.run(T * DT)
    net2.run(T * DT)
    for mine, theirs in ((m1, "g1_spikes"), (m2, "g2_spikes")):
        a, b = mine.to_dense(T), _monitor(net2, theirs).to_dense(T)
        assert a.sum() > 50
        np.testing.assert_array_equal(a, b)


def test_round_trip_other_backend_and_network_writer(tmp_path):
    raster = _raster(np.random.default_rng(7), 20)
    net, (m1, _) = _mixed_net(3, raster)
    write_nir(net, tmp_path / "n.nir", dt=DT, v_unit=1e-3)   # NIR voltages in mV
    graph = read_nir(tmp_path / "n.nir")
    assert float(graph.nodes["g1"].v_leak[0]) == pytest.approx(-70.0)
    net2 = from_nir(graph, dt=DT, input_spikes=raster, v_unit=1e-3, backend="numba")
    net.run(T * DT)
    net2.run(T * DT)
    np.testing.assert_array_equal(m1.to_dense(T), _monitor(net2, "g1_spikes").to_dense(T))


def test_reading_at_another_dt_changes_the_network():
    """dt is part of the meaning: the same graph read at 2*dt is a different network."""
    raster = _raster(np.random.default_rng(5), 20)
    net, _ = _mixed_net(4, raster)
    graph = to_nir(net, dt=DT)
    n1 = from_nir(graph, dt=DT)
    n2 = from_nir(graph, dt=2 * DT)
    p1 = next(o for o in n1.objects if getattr(o, "name", None) == "g1").params
    p2 = next(o for o in n2.objects if getattr(o, "name", None) == "g1").params
    assert p1.tau_m == pytest.approx(20 * ms, rel=1e-9)
    assert not math.isclose(p1.tau_m, p2.tau_m, rel_tol=1e-3)


def _per_step_reading(graph, x, dt):
    """The module docstring's per-step reading of a feed-forward graph, written out
    independently (numpy, float64): forward Euler at dt, spikes are 1 for one step.
    ``x``: (T, n) input spikes, or ``{input node: (T, n)}``; returns ``{node: (T, n)}``."""
    order, done = [], set()
    while len(order) < len(graph.nodes):   # topological order (no cycles here)
        for k in graph.nodes:
            if k not in done and all(a in done for a, b in graph.edges if b == k):
                order.append(k)
                done.add(k)
    x = x if isinstance(x, dict) else {k: x for k, v in graph.nodes.items()
                                       if isinstance(v, nir.Input)}
    T = next(iter(x.values())).shape[0]
    sig = {}
    for k in order:
        node = graph.nodes[k]
        ins = [sig[a] for a, b in graph.edges if b == k]
        if isinstance(node, nir.Input):
            sig[k] = x[k].astype(float)
            continue
        total = sum(ins)
        if isinstance(node, (nir.Linear, nir.Affine)):
            sig[k] = total @ node.weight.T + getattr(node, "bias", 0.0)
        elif isinstance(node, nir.Delay):
            d = np.rint(node.delay / dt).astype(int)
            sig[k] = np.array([[total[t - dj, j] if t >= dj else 0.0
                                for j, dj in enumerate(d)] for t in range(T)])
        elif isinstance(node, (nir.LIF, nir.CubaLIF)):
            cuba = isinstance(node, nir.CubaLIF)
            tau = node.tau_mem if cuba else node.tau
            beta, g = 1 - dt / tau, node.r * dt / tau
            u, j, out = node.v_leak.astype(float).copy(), np.zeros(len(tau)), []
            for t in range(T):
                if cuba:
                    j = (1 - dt / node.tau_syn) * j + node.w_in * dt / node.tau_syn * total[t]
                u = node.v_leak + beta * (u - node.v_leak) + g * (j if cuba else total[t])
                z = u > node.v_threshold
                u = np.where(z, node.v_reset, u)
                out.append(z)
            sig[k] = np.array(out, dtype=float)
        else:
            sig[k] = total
    return sig


def test_export_matches_the_documented_per_step_reading():
    """Independent of any peer: the exported graph, read step by step as the module
    docstring says, spikes as neurosim does, one step later per projection."""
    raster = _raster(np.random.default_rng(21), 20)
    net, (m1, m2) = _mixed_net(5, raster, recurrent=False)
    graph = to_nir(net, dt=DT)
    sig = _per_step_reading(graph, raster, DT)
    net.run((T + 2) * DT)
    np.testing.assert_array_equal(m1.to_dense(T + 2)[1:T + 1, 0], sig["g1"] > 0)
    np.testing.assert_array_equal(m2.to_dense(T + 2)[2:T + 2, 0], sig["g2"] > 0)
    assert m2.to_dense(T).sum() > 20


@pytest.mark.parametrize("seed", [0, 1])
def test_import_matches_the_per_step_reading_two_inputs_delay_and_bias(seed):
    """A hand-built graph: two inputs summed into one Affine (its bias counted once), a
    per-source Delay before the weights, and an LIF with v_leak != 0."""
    rng = np.random.default_rng(seed)
    n, m, tau = 4, 6, 2e-3
    graph = nir.NIRGraph(nodes={
        "a": nir.Input(input_type=np.array([n])), "b": nir.Input(input_type=np.array([n])),
        "d": nir.Delay(delay=rng.integers(0, 4, n) * DT),
        "fc": nir.Affine(weight=rng.normal(0.4, 0.4, (m, n)), bias=rng.uniform(0, 0.1, m)),
        "lif": nir.LIF(tau=np.full(m, tau), r=np.full(m, 2 * tau / DT), v_leak=np.full(m, -0.5),
                       v_threshold=np.full(m, 1.0), v_reset=np.full(m, -0.2)),
        "output": nir.Output(output_type=np.array([m]))},
        edges=[("a", "d"), ("d", "fc"), ("b", "fc"), ("fc", "lif"), ("lif", "output")])
    xa, xb = _raster(rng, n, p=0.1, steps=300), _raster(rng, n, p=0.1, steps=300)
    want = _per_step_reading(graph, {"a": xa, "b": xb}, DT)["lif"] > 0
    net = from_nir(graph, dt=DT, input_spikes={"a": xa, "b": xb}, v_unit=0.01,
                   backend="numpy")
    net.run(301 * DT)
    got = _monitor(net, "lif_spikes").to_dense(301)[1:, 0]
    assert want.sum() > 30
    np.testing.assert_array_equal(got, want)


def test_recurrent_lif_matches_a_hand_written_recurrence_and_nested_subgraph():
    """A recurrent projection acts with the previous step's spikes (snnTorch RLeaky's rule,
    U_t = beta U_{t-1} + W x_t + V s_{t-1}); the same LIF <-> w_rec loop written as a nested
    subgraph (snnTorch's RLeaky export layout) imports to the same spikes."""
    rng = np.random.default_rng(3)
    raster = _raster(rng, 20, p=0.1, steps=300)
    gen, g = _gen(raster), NeuronGroup(30, _lif(), name="g")
    W, V = rng.normal(0.1, 0.15, (20, 30)), rng.normal(-0.05, 0.2, (30, 30))
    net = Network(gen, g, Synapses.from_matrix(gen, g, W, target="v", name="s"),
                  Synapses.from_matrix(g, g, V, target="v", name="rec"),
                  SpikeMonitor(g, name="m"), dt=DT, backend="numpy")
    graph = to_nir(net, dt=DT)
    u, s, want = np.zeros(30), np.zeros(30), []
    for t in range(300):
        u = A_M * u + raster[t] @ W + s @ V
        z = u > 0.5
        u, s = np.where(z, 0.0, u), z.astype(float)
        want.append(z)
    net.run(301 * DT)
    np.testing.assert_array_equal(_monitor(net, "m").to_dense(301)[1:, 0], np.array(want))
    assert np.sum(want) > 100
    sub = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([30])),
                              "lif": graph.nodes["g"], "w_rec": graph.nodes["rec"],
                              "output": nir.Output(output_type=np.array([30]))},
                       edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"),
                              ("lif", "output")])
    nested = nir.NIRGraph(nodes={"gen": graph.nodes["gen"], "s": graph.nodes["s"], "r": sub,
                                 "output": graph.nodes["output"]},
                          edges=[("gen", "s"), ("s", "r"), ("r", "output")])
    net2 = from_nir(nested, dt=DT, input_spikes=raster, backend="numpy")
    net2.run(301 * DT)
    np.testing.assert_array_equal(_monitor(net2, "r.lif_spikes").to_dense(301)[1:, 0],
                                  np.array(want))


# ---------------------------------------------------------------- snnTorch cross-check
def _snntorch_run(graph, x):
    """Run snnTorch's import of ``graph`` step by step in float64 (its spikes come out as
    float32 0/1 and are cast back, which is lossless)."""
    pytest.importorskip("nirtorch")
    torch = pytest.importorskip("torch")
    from snntorch.import_nir import import_from_nir

    model = import_from_nir(graph)
    for mod in model.modules():
        mod.double()
        if type(mod).__name__ in ("Leaky", "Synaptic"):
            mod.register_forward_hook(lambda m, i, o: o.double())
    xt = torch.as_tensor(x, dtype=torch.float64)
    with torch.no_grad():
        return np.stack([model(xt[t:t + 1])[0][0].numpy() for t in range(len(xt))]) > 0


A_M = 0.9375  # float32-exact per-step decay; tau_m = -dt / ln(A_M)


def _lif(**kw):
    return LIFParams(tau_m=-DT / math.log(A_M), v_rest=0.0, v_reset=0.0,
                     v_thresh=0.5 * A_M, t_ref=0.0, **kw)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ours_to_snntorch_two_lif_layers_with_bias(seed):
    pytest.importorskip("snntorch")
    rng = np.random.default_rng(seed)
    raster = _raster(rng, 20, p=0.1, steps=300)
    gen = _gen(raster)
    g1, g2 = NeuronGroup(30, _lif(), name="g1"), NeuronGroup(10, _lif(), name="g2")
    s1 = Synapses.from_matrix(gen, g1, _f32(rng.normal(0.1, 0.15, (20, 30))), target="v",
                              name="s1")
    s2 = Synapses.from_matrix(g1, g2, _f32(rng.normal(0.1, 0.15, (30, 10))), target="v",
                              name="s2")
    # a constant current whose per-step bias r_m (1 - a) / a * I is float32-exact
    p = g1.params
    bias = _f32(rng.uniform(0, 0.02, 30))
    inj = CurrentInjection(g1, bias * A_M / (p.r_m * (1 - A_M)))
    _start_like_nir(g1, inj, DT)
    mon = SpikeMonitor(g2, name="m2")
    net = Network(gen, g1, g2, s1, s2, inj, mon, dt=DT, backend="numpy")
    graph = to_nir(net, dt=DT)   # snnTorch's importer assumes dt = 1e-4 s = DT
    assert isinstance(graph.nodes["s1"], nir.Affine)
    net.run((300 + 2) * DT)
    ours = mon.to_dense(302)[2:, 0]   # two projections: two steps of latency in neurosim
    theirs = _snntorch_run(graph, raster)
    assert ours.sum() > 100
    np.testing.assert_array_equal(ours, theirs)


def test_ours_to_snntorch_cubalif():
    pytest.importorskip("snntorch")
    rng = np.random.default_rng(11)
    raster = _raster(rng, 20, p=0.1, steps=300)
    a_s = 0.875
    params = LIFParams(tau_m=-DT / math.log(A_M), tau_e=-DT / math.log(a_s), v_rest=0.0,
                       v_reset=0.0, v_thresh=0.5, t_ref=0.0)
    gen, g = _gen(raster), NeuronGroup(25, params, name="g")
    from neurosim.neurons.lif import lif_coefficients

    k_e = lif_coefficients(params, DT).k_e
    w = _f32(rng.normal(0.03, 0.05, (20, 25))) / k_e   # NIR weights k_e * w float32-exact
    s = Synapses.from_matrix(gen, g, w, target="e", name="s")
    mon = SpikeMonitor(g, name="m")
    net = Network(gen, g, s, mon, dt=DT, backend="numpy")
    graph = to_nir(net, dt=DT)
    assert isinstance(graph.nodes["g"], nir.CubaLIF)
    net.run(301 * DT)
    ours = mon.to_dense(301)[1:, 0]
    theirs = _snntorch_run(graph, raster)
    assert ours.sum() > 50
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("seed", [0, 1])
def test_snntorch_to_ours(seed):
    """snnTorch's own per-module NIR converter (the whole-model export_to_nir fails type
    inference in snnTorch 1.0.0), chained by hand with (n,)-shaped neuron parameters."""
    torch = pytest.importorskip("torch")
    snn = pytest.importorskip("snntorch")
    pytest.importorskip("nirtorch")
    from snntorch.export_nir import _extract_snntorch_module

    torch.manual_seed(seed)
    seq = torch.nn.Sequential(
        torch.nn.Linear(20, 30), snn.Leaky(beta=A_M, threshold=1.0, reset_mechanism="zero"),
        torch.nn.Linear(30, 10), snn.Leaky(beta=A_M, threshold=1.0, reset_mechanism="zero"))
    with torch.no_grad():
        for fc in (seq[0], seq[2]):
            fc.weight.mul_(4)
    nodes = {"input": nir.Input(input_type=np.array([20]))}
    for k, mod in enumerate(seq):
        node = _extract_snntorch_module(mod)
        if isinstance(node, nir.LIF):   # snnTorch writes shape () parameters: broadcast
            n = seq[k - 1].out_features
            node = nir.LIF(**{f: np.full(n, float(getattr(node, f)))
                              for f in ("tau", "r", "v_leak", "v_threshold", "v_reset")})
        nodes[f"n{k}"] = node
    nodes["output"] = nir.Output(output_type=np.array([10]))
    names = list(nodes)
    graph = nir.NIRGraph(nodes=nodes, edges=list(zip(names[:-1], names[1:])))
    raster = _raster(np.random.default_rng(seed), 20, p=0.2, steps=200)
    # snnTorch reference run (float64), one step per input row
    seq = seq.double()
    x = torch.as_tensor(raster, dtype=torch.float64)
    mems, out = [None, None], []
    with torch.no_grad():
        for t in range(len(x)):
            h = x[t:t + 1]
            for i in (0, 1):
                cur = seq[2 * i](h)
                mems[i] = torch.zeros_like(cur) if mems[i] is None else mems[i]
                h, mems[i] = seq[2 * i + 1](cur, mems[i])
                h = h.double()
            out.append(h[0].numpy() > 0)
    theirs = np.array(out)
    net = from_nir(graph, dt=1e-4, input_spikes={"input": raster}, v_unit=0.1 / 1.0,
                   backend="numpy")   # snnTorch's exporter writes for dt = 1e-4 s
    net.run(202 * DT)
    ours = _monitor(net, "n3_spikes").to_dense(202)[2:, 0]
    assert theirs.sum() > 50
    np.testing.assert_array_equal(ours, theirs)


# ---------------------------------------------------------------- bad input
def _simple(params=None, **syn_kw):
    gen = SpikeGeneratorGroup(3, [0], [0.0], name="gen")
    g = NeuronGroup(4, params or LIFParams(t_ref=0.0), name="g")
    s = Synapses.all_to_all(gen, g, syn_kw.pop("w", 1 * mV), target=syn_kw.pop("target", "v"),
                            name="s", **syn_kw)
    return Network(gen, g, s, SpikeMonitor(g), dt=DT)


def test_dt_is_required_and_checked():
    net = _simple()
    with pytest.raises(ValueError, match=r"to_nir: dt is required"):
        to_nir(net)
    with pytest.raises(ValueError, match=r"to_nir: dt must be in \(0, 0.1\), got 1"):
        to_nir(net, dt=1)
    with pytest.raises(ValueError, match=r"from_nir: dt is required"):
        from_nir(to_nir(net, dt=DT))
    with pytest.raises(ValueError, match=r"has tau=.* gives the per-step decay"):
        from_nir(to_nir(net, dt=DT), dt=0.05)


@pytest.mark.parametrize(("params", "target", "match"), [
    (IzhikevichParams(), "e", r"neuron model IzhikevichParams, which NIR cannot carry"),
    (LIFCondParams(), "e", r"conductance synapses \(LIFCondParams\)"),
    (ALIFParams(t_ref=0.0), "v", r"adaptive thresholds \(ALIFParams\)"),
    (LIFParams(), "v", r"refractory period t_ref=0.002 s > dt"),
])
def test_unsupported_models(params, target, match):
    w = 1.0 if isinstance(params, IzhikevichParams) else 1 * (
        mV if target == "v" else 1e-9)
    with pytest.raises(NotImplementedError, match=match + r".*NIR carries LIF"):
        to_nir(_simple(params, w=w, target=target), dt=DT)


def test_unsupported_network_elements():
    g = NeuronGroup(4, LIFParams(t_ref=0.0), name="g")
    poisson = PoissonGroup(3, 10.0, name="p")
    net = Network(poisson, g, Synapses.all_to_all(poisson, g, 1 * mV, target="v"), dt=DT)
    with pytest.raises(NotImplementedError, match=r"'p' is a PoissonGroup"):
        to_nir(net, dt=DT)
    net = _simple()
    inj = CurrentInjection(next(o for o in net.objects if o.name == "g"),
                           np.zeros((10, 4)))
    net.add(inj)
    with pytest.raises(NotImplementedError, match=r"time-varying CurrentInjection"):
        to_nir(net, dt=DT)
    net = _simple(LIFParams(t_ref=0.0), w=1e-10, target="e")   # tau_e 5 ms, tau_i 10 ms
    g = next(o for o in net.objects if o.name == "g")
    gen = next(o for o in net.objects if o.name == "gen")
    net.add(Synapses.all_to_all(gen, g, -1e-10, target="i", name="s_i"))
    with pytest.raises(NotImplementedError, match=r"tau_e=0.005 s != tau_i=0.01 s"):
        to_nir(net, dt=DT)
    net = _simple(w=1e-3)
    syn = next(o for o in net.objects if o.name == "s")
    syn.attach(STDP(PairSTDPParams(w_min=0.0, w_max=2e-3)))
    with pytest.raises(NotImplementedError, match=r"projection 's' is plastic"):
        to_nir(net, dt=DT)


def test_unsupported_nir_nodes_and_inputs():
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([2])),
                            "li": nir.LI(tau=np.ones(2) * 1e-3, r=np.ones(2),
                                         v_leak=np.zeros(2)),
                            "output": nir.Output(output_type=np.array([2]))},
                     edges=[("input", "li"), ("li", "output")])
    with pytest.raises(NotImplementedError, match=r"node 'li' is a LI; neurosim imports "
                                                  r"Input, .*CubaLIF, IF"):
        from_nir(g, dt=DT)
    readout = nir.NIRGraph(nodes={"input": nir.Input(input_type=np.array([2])),
                                  "fc": nir.Linear(weight=np.eye(2)),
                                  "output": nir.Output(output_type=np.array([2]))},
                           edges=[("input", "fc"), ("fc", "output")])
    with pytest.raises(NotImplementedError, match=r"input -> fc -> output sends weighted"):
        from_nir(readout, dt=DT)
    net = _simple()
    graph = to_nir(net, dt=DT)
    with pytest.raises(ValueError, match=r"input_spikes has unknown inputs \['nope'\]"):
        from_nir(graph, dt=DT, input_spikes={"nope": np.zeros((3, 3))})
    with pytest.raises(ValueError, match=r"input_spikes\['gen'\] must be a \(T, 3\)"):
        from_nir(graph, dt=DT, input_spikes=np.zeros((5, 4)))
    with pytest.raises(TypeError, match=r"graph must be a nir.NIRGraph, got dict"):
        from_nir({}, dt=DT)
    with pytest.raises(FileNotFoundError, match=r"read_nir: no file"):
        read_nir("/nonexistent/x.nir")


def test_mixed_delays_are_rejected_and_writes_are_atomic(tmp_path):
    gen = SpikeGeneratorGroup(2, [0], [0.0], name="gen")
    g = NeuronGroup(2, LIFParams(t_ref=0.0), name="g")
    delays = np.array([[0.0, 1.0], [2.0, 0.0]]) * DT   # depends on source and target
    s = Synapses.from_matrix(gen, g, np.full((2, 2), 1 * mV), target="v", delay=delays,
                             name="s")
    with pytest.raises(NotImplementedError, match=r"'s' has per-synapse delays that depend "
                                                  r"on both source and target"):
        to_nir(Network(gen, g, s, dt=DT), dt=DT)
    path = tmp_path / "g.nir"
    write_nir(to_nir(_simple(), dt=DT), path)
    before = path.read_bytes()
    bad = to_nir(_simple(), dt=DT)
    bad.nodes["s"].weight = np.array([[object()]])   # h5py cannot store this
    with pytest.raises(TypeError):
        write_nir(bad, path)
    assert path.read_bytes() == before                 # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.nir"]   # no temp file left
