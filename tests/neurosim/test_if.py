"""Non-leaky integrate-and-fire neuron (IFParams): theory, backends, Brian2 and NIR."""

import logging

import numpy as np
import pytest
from _spike_compare import assert_same_spikes

from neurosim import (
    CurrentInjection,
    IFParams,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from neurosim.neurons import MODEL_PARAMS
from neurosim.neurons.base import timestep
from neurosim.units import ms, mV, nA, pA, pF

DT = 0.1 * ms


@pytest.mark.parametrize("t_ref", [0.0, 2 * ms, 0.75 * ms])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_constant_current_period_matches_theory(t_ref, backend):
    """C dv/dt = I from v_reset to v_thresh takes C (v_thresh - v_reset) / I; then the
    membrane is held until t_spike + t_ref (Lapicque 1907)."""
    p = IFParams(c_m=150 * pF, v_reset=-65 * mV, v_rest=-65 * mV, t_ref=t_ref)
    cur = np.array([0.13, 0.31, 0.47, 0.91, 1.7]) * nA
    g = NeuronGroup(cur.size, p, name="g")
    sm = SpikeMonitor(g)
    Network(g, CurrentInjection(g, cur), sm, dt=DT, backend=backend).run(200 * ms)
    dv = p.v_thresh - p.v_reset
    for k, i in enumerate(cur):
        t = sm.t[sm.i == k]
        assert t.size > 5
        isi = np.diff(t)
        x = dv / (DT * i / p.c_m)   # integration steps to threshold; no ties on purpose
        assert 0.02 < x % 1 < 0.98
        theory = p.c_m * dv / i + timestep(t_ref, DT) * DT   # t_ref rounded to steps
        assert np.all(np.abs(isi - theory) < DT)
        # step count: ceil(dv / (dt I / C)) integration steps, plus the held steps
        steps = np.ceil(x) + max(timestep(t_ref, DT) - 1, 0)
        np.testing.assert_allclose(isi, steps * DT, rtol=0, atol=1e-12)
        # the first spike starts from v_rest without a refractory wait
        assert t[0] == pytest.approx((np.ceil(x) - 1) * DT, abs=1e-12)


def test_synaptic_current_charge_is_exact():
    """An 'e' synapse of weight w adds the charge w * tau_e, i.e. w tau_e / C volts in all."""
    p = IFParams(v_thresh=0.5, t_ref=0.0)  # never reached
    gen = SpikeGeneratorGroup(1, [0], [1 * ms], name="gen")
    g = NeuronGroup(1, p, name="g")
    syn = Synapses.from_matrix(gen, g, np.array([[200 * pA]]), target="e")
    st = StateMonitor(g, ["v"], [0])
    Network(gen, g, syn, st, dt=DT, backend="numpy").run(200 * ms)
    total = st["v"][-1, 0, 0] - p.v_rest
    assert total == pytest.approx(200 * pA * p.tau_e / p.c_m, rel=1e-9)
    assert np.all(np.diff(st["v"][:, 0, 0]) >= 0)   # no leak: never decays


def _net(backend, t_ref=2 * ms, v_syn=False, seed=3, batch=1):
    rng = np.random.default_rng(seed)
    n_in, n = 20, 40
    steps, idx = np.nonzero(rng.random((400, n_in)) < 0.015)   # 40 ms of input
    gen = SpikeGeneratorGroup(n_in, idx, steps * DT, name="gen")
    g = NeuronGroup(n, IFParams(t_ref=t_ref), name="g")
    syns = [Synapses.fixed_probability(gen, g, 0.3, 300 * pA, seed=seed, name="s_in",
                                       delay=lambda r, k: r.integers(0, 10, k) * DT),
            Synapses.fixed_probability(g, g, 0.2, -100 * pA, target="i", seed=seed + 1,
                                       delay=1 * ms, name="s_rec")]
    if v_syn:
        syns.append(Synapses.fixed_probability(gen, g, 0.2, 1.5 * mV, target="v",
                                               seed=seed + 2, name="s_v"))
    inj = CurrentInjection(g, rng.uniform(0.1, 0.3, n) * nA)
    mons = [SpikeMonitor(g, name="sm"), StateMonitor(g, ["v", "i_e"], [0, 1, 2], name="st")]
    return Network(gen, g, *syns, inj, *mons, dt=DT, seed=seed, backend=backend,
                   batch_size=batch)


@pytest.mark.parametrize("batch", [1, 2])
def test_numpy_numba_torch_give_identical_spikes(batch):
    pytest.importorskip("torch")
    out = {}
    for b in ("numpy", "numba", "torch"):
        net = _net(b, v_syn=True, batch=batch)
        net.run(20 * ms)
        net.run(30 * ms)   # continuation across runs
        sm = net.objects[-2]
        out[b] = (sm.steps, sm.batch, sm.i, net.objects[-1]["v"])
    assert out["numpy"][2].size > 50
    for b in ("numba", "torch"):
        for a, e in zip(out[b][:3], out["numpy"][:3]):
            np.testing.assert_array_equal(a, e)
        np.testing.assert_allclose(out[b][3], out["numpy"][3], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("kw", "match"), [
    (dict(c_m=0.0), r"IFParams\.c_m must be > 0, got 0\.0"),
    (dict(c_m=-1e-10), r"IFParams\.c_m must be > 0, got -1e-10"),
    (dict(v_reset=-50 * mV), r"IFParams\.v_reset must be < v_thresh=-0\.05, got -0\.05"),
    (dict(v_reset=-40 * mV), r"IFParams\.v_reset must be < v_thresh"),
    (dict(tau_e=5.0), r"IFParams\.tau_e=5\.0 s looks like milliseconds"),
    (dict(t_ref=-1e-3), r"IFParams\.t_ref must be >= 0, got -0\.001"),
])
def test_bad_parameters_name_parameter_and_value(kw, match):
    with pytest.raises(ValueError, match=match):
        IFParams(**kw)
    with pytest.raises(TypeError, match=r"IFParams\.c_m must be a real number"):
        IFParams(c_m="200pF")


def test_registered_and_saved(tmp_path):
    from neurosim.io import load, save

    assert MODEL_PARAMS["if"] is IFParams
    net, net2 = _net("numpy", seed=5), _net("numpy", seed=5)
    net.run(10 * ms)
    save(net, tmp_path / "net.npz")
    load(net2, tmp_path / "net.npz")
    net.run(20 * ms)
    net2.run(20 * ms)
    np.testing.assert_array_equal(net.objects[-2].i, net2.objects[-2].i)
    assert net.objects[-2].i.size > 20


@pytest.mark.brian2
@pytest.mark.parametrize(("t_ref", "v_syn"), [(2 * ms, False), (0.0, True)])
def test_same_spikes_as_brian2(t_ref, v_syn):
    pytest.importorskip("brian2")
    from neurosim.interop.brian2 import run_in_brian2

    logging.getLogger("brian2").setLevel(logging.WARNING)
    net = _net("numpy", t_ref=t_ref, v_syn=v_syn, seed=1)
    ref = run_in_brian2(net, 50 * ms, target="numpy")
    net.run(50 * ms)
    sm, st = net.objects[-2], net.objects[-1]
    b_i, b_t = ref.spikes["g"]
    assert sm.i.size > 30 and b_i.size == sm.i.size
    assert_same_spikes(sm.i, sm.t, b_i, b_t, DT, within=DT)
    np.testing.assert_allclose(st["v"][:, 0, :], ref.states["g"]["v"], rtol=0, atol=1e-9)


def _nir_net(seed, raster, with_bias=True):
    """gen -> IF g1 ('v' synapses, per-source delays, bias current) -> IF g2 ('v' synapses
    and recurrent 'v' inhibition); t_ref = 0 (NIR's IF has no refractory period)."""
    from neurosim.interop.nir import initial_v

    rng = np.random.default_rng(seed)
    n_in, n1, n2 = raster.shape[1], 25, 12
    steps, idx = np.nonzero(raster)
    gen = SpikeGeneratorGroup(n_in, idx, steps * DT, name="gen")
    p1 = IFParams(t_ref=0.0, v_rest=-60 * mV, v_reset=-62 * mV)
    g1, g2 = NeuronGroup(n1, p1, name="g1"), NeuronGroup(n2, IFParams(t_ref=0.0), name="g2")
    d1 = np.broadcast_to(rng.integers(0, 4, n_in)[:, None] * DT, (n_in, n1))
    syns = [Synapses.from_matrix(gen, g1, rng.normal(3 * mV, 3 * mV, (n_in, n1)),
                                 target="v", delay=d1, name="s1"),
            Synapses.from_matrix(g1, g2, rng.normal(4 * mV, 4 * mV, (n1, n2)), target="v",
                                 name="s2"),
            Synapses.from_matrix(g2, g2, -np.abs(rng.normal(2 * mV, 1 * mV, (n2, n2))),
                                 target="v", name="s3")]
    extra = []
    if with_bias:
        cur = rng.uniform(0.02, 0.08, n1) * nA
        extra.append(CurrentInjection(g1, cur))
        g1.init["v"] = initial_v(p1.v_rest, DT / p1.c_m * cur, 1.0, 1)
    mons = [SpikeMonitor(g1, name="m1"), SpikeMonitor(g2, name="m2")]
    return Network(gen, g1, g2, *syns, *extra, *mons, dt=DT, backend="numpy"), mons


@pytest.mark.parametrize("seed", [0, 1])
def test_nir_round_trip_gives_identical_spikes(tmp_path, seed):
    pytest.importorskip("nir")
    from neurosim.interop.nir import from_nir, read_nir, to_nir, write_nir

    n_steps = 600
    raster = np.random.default_rng(50 + seed).random((n_steps, 15)) < 0.05
    net, mons = _nir_net(seed, raster)
    graph = to_nir(net, dt=DT, v_unit=1e-3)
    assert {type(graph.nodes[k]).__name__ for k in ("g1", "g2")} == {"IF"}
    assert float(graph.nodes["g1"].v_threshold[0]) == pytest.approx(10.0)   # mV above rest
    write_nir(graph, tmp_path / "if.nir")
    net2 = from_nir(read_nir(tmp_path / "if.nir"), dt=DT, input_spikes={"gen": raster},
                    v_unit=1e-3, backend="numba")
    net.run(n_steps * DT)
    net2.run(n_steps * DT)
    for m in mons:
        theirs = next(o for o in net2.objects if getattr(o, "name", "") == f"{m.group.name}"
                      "_spikes")
        a = m.to_dense(n_steps)
        assert a.sum() > 40
        np.testing.assert_array_equal(a, theirs.to_dense(n_steps))


def test_nir_export_matches_the_per_step_reading():
    """Independent of neurosim's importer: U_t = U_{t-1} + r I_t, spike when U > v_threshold,
    then U = v_reset (module docstring of neurosim.interop.nir), one step per projection."""
    pytest.importorskip("nir")
    from neurosim.interop.nir import to_nir

    n_steps = 500
    raster = np.random.default_rng(9).random((n_steps, 15)) < 0.05
    net, (m1, _) = _nir_net(2, raster)
    graph = to_nir(net, dt=DT)
    node, d, fc = graph.nodes["g1"], graph.nodes["s1_delay"], graph.nodes["s1"]
    steps = np.rint(d.delay / DT).astype(int)
    x = np.array([[raster[t - s, j] if t >= s else 0 for j, s in enumerate(steps)]
                  for t in range(n_steps)], dtype=float)
    u, want = np.zeros(node.r.size), []
    for t in range(n_steps):
        u = u + node.r * (fc.weight @ x[t] + fc.bias)
        z = u > node.v_threshold
        u = np.where(z, node.v_reset, u)
        want.append(z)
    net.run((n_steps + 1) * DT)
    got = m1.to_dense(n_steps + 1)[1:, 0]
    assert np.sum(want) > 40
    np.testing.assert_array_equal(got, np.array(want))


def test_nir_rejects_what_if_cannot_carry():
    pytest.importorskip("nir")
    from neurosim.interop.nir import to_nir

    gen = SpikeGeneratorGroup(2, [0], [1 * ms], name="gen")
    for t_ref, target, match in [(2 * ms, "v", r"refractory period t_ref=0\.002"),
                                 (0.0, "e", r"IFParams\) receives current synapses \['e'\]")]:
        g = NeuronGroup(3, IFParams(t_ref=t_ref), name="g")
        net = Network(gen, g, Synapses.all_to_all(gen, g, 1e-3 if target == "v" else 1e-10,
                                                  target=target), dt=DT)
        with pytest.raises(NotImplementedError, match=match):
            to_nir(net, dt=DT)


def test_unitless_nir_if_graph_gets_a_v_unit_hint():
    nir = pytest.importorskip("nir")
    from neurosim.interop.nir import from_nir

    g = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([2])),
               "lin": nir.Linear(weight=np.ones((2, 2))),
               "if1": nir.IF(r=np.ones(2), v_threshold=np.ones(2), v_reset=np.zeros(2)),
               "output": nir.Output(output_type=np.array([2]))},
        edges=[("input", "lin"), ("lin", "if1"), ("if1", "output")])
    with pytest.raises(ValueError, match=r"node 'if1'.*pass v_unit=1e-3"):
        from_nir(g, dt=1e-4)
    net = from_nir(g, dt=1e-4, v_unit=1e-3)
    assert net.dt == 1e-4
