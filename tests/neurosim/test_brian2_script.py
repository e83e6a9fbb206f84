"""Brian2 export of whole networks: generated scripts run in Brian2 (numpy code generation)
give the same spike trains (times within one dt) and learned weights as neurosim."""

import logging
import runpy
import subprocess
import sys

import numpy as np
import pytest

from neurosim import (
    ALIFParams,
    CurrentInjection,
    IFParams,
    IzhikevichParams,
    LIFCondParams,
    LIFParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    PopulationRateMonitor,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from neurosim.neurons import AdExParams, LIFCondAlphaParams
from neurosim.plasticity import (
    STDP,
    PairSTDPParams,
    RewardSTDP,
    RewardSTDPParams,
    TripletSTDP,
    TripletSTDPParams,
)
from neurosim.units import Hz, ms, mV, nA, nS, pA

pytest.importorskip("brian2")
pytestmark = pytest.mark.brian2

DT = 0.1 * ms
T_STEPS = 600
# neuron kind -> (params, input weight, recurrent |weight|, current range, current unit)
KINDS = {
    "lif": (LIFParams(), 300 * pA, 100 * pA, (0.1, 0.22), nA),
    "cond": (LIFCondParams(), 4 * nS, 2 * nS, (0.05, 0.12), nA),
    "alpha": (LIFCondAlphaParams(), 3 * nS, 1 * nS, (0.05, 0.12), nA),
    "alif": (ALIFParams(), 300 * pA, 100 * pA, (0.15, 0.3), nA),
    "izh": (IzhikevichParams(), 300.0, 50.0, (2.0, 8.0), 1.0),
    "adex": (AdExParams(), 600 * pA, 100 * pA, (0.5, 1.0), nA),
    "if": (IFParams(t_ref=0.0), 300 * pA, 100 * pA, (0.15, 0.3), nA),
}
GMAX = 600 * pA
RULES = {
    "pair": lambda: STDP(PairSTDPParams(a_plus=30 * pA, a_minus=32 * pA, w_max=GMAX)),
    "mult": lambda: STDP(PairSTDPParams(a_plus=0.1, a_minus=0.1, w_max=GMAX,
                                        weight_dependence="multiplicative")),
    "nearest": lambda: STDP(PairSTDPParams(a_plus=30 * pA, a_minus=32 * pA, w_max=GMAX,
                                           pairing="nearest")),
    "triplet": lambda: TripletSTDP(TripletSTDPParams(a2_plus=30 * pA, a3_plus=30 * pA,
                                                     a2_minus=20 * pA, a3_minus=5 * pA,
                                                     w_max=GMAX)),
    "reward": lambda: _reward(),
}


@pytest.fixture(autouse=True)
def _quiet_brian2():
    """Brian2 logs every code object at DEBUG level; pytest's log capture formats each of
    them, which costs more than the simulations here. Keep warnings only."""
    log = logging.getLogger("brian2")
    old = log.level
    log.setLevel(logging.WARNING)
    yield
    log.setLevel(old)


def _reward():
    r = RewardSTDP(RewardSTDPParams(stdp=PairSTDPParams(a_plus=30 * pA, a_minus=32 * pA,
                                                        w_max=GMAX), tau_c=200 * ms,
                                    learning_rate=50.0))
    r.reward = 1.0
    return r


def _net(kind, rule=None, seed=1, batch=1):
    """Spike generator -> group (per-synapse delays, or a plastic projection without),
    recurrent inhibition with a homogeneous delay, piecewise-constant current (TimedArray)."""
    rng = np.random.default_rng(seed)
    params, w_in, w_rec, cur, unit = KINDS[kind]
    n_in, n = 20, 30
    times = np.round(np.sort(rng.uniform(0, 50 * ms, 80)) / DT) * DT
    gen = SpikeGeneratorGroup(n_in, rng.integers(0, n_in, 80), times, name="gen")
    g = NeuronGroup(n, params, name="g")
    if rule is None:
        d_in = lambda r, k: r.integers(0, 20, k) * DT  # noqa: E731
        s_in = Synapses.fixed_probability(gen, g, 0.3, w_in, seed=seed, delay=d_in,
                                          name="s_in")
    else:
        s_in = Synapses.fixed_probability(gen, g, 0.3, w_in, seed=seed, name="s_in")
        s_in.attach(RULES[rule]())
    w_rec = w_rec if kind in ("cond", "alpha") else -w_rec
    s_rec = Synapses.fixed_probability(g, g, 0.2, w_rec, target="i", seed=seed + 1,
                                       delay=1.5 * ms, name="s_rec")
    # dense projection straight onto the membrane potential (target "v", volts), for the
    # models without refractoriness (see test_unsupported_things_raise_clear_errors)
    extra = []
    if getattr(params, "t_ref", 0.0) == 0:
        extra.append(Synapses.all_to_all(gen, g, rng.uniform(0, 0.3 * mV, n_in * n),
                                         target="v", name="s_v"))
    vals = np.repeat(rng.uniform(*cur, (T_STEPS // 100, batch, n)), 100, axis=0) * unit
    inj = CurrentInjection(g, vals if batch > 1 else vals[:, 0])
    mons = [SpikeMonitor(g, name="sm"), StateMonitor(g, ["v"], [0, 1, 2], every=2, name="st"),
            PopulationRateMonitor(g, name="rate")]
    net = Network(gen, g, s_in, s_rec, *extra, inj, *mons, dt=DT, seed=seed, backend="numpy",
                  batch_size=batch)
    return net, mons[0], s_in


def _run_script(path):
    """Execute a generated script in-process with Brian2's numpy code generation."""
    from neurosim.interop.brian2 import Brian2Result

    ns = runpy.run_path(str(path), run_name="generated_brian2_script")
    return Brian2Result.from_flat(ns["main"](codegen_target="numpy"))


def _assert_same_spikes(i, t, bi, bt):
    assert i.size > 10
    assert bi.size == i.size
    order, border = np.lexsort((i, np.round(t / DT))), np.lexsort((bi, np.round(bt / DT)))
    np.testing.assert_array_equal(i[order], bi[border])
    assert np.max(np.abs(t[order] - bt[border])) < DT


@pytest.mark.parametrize("kind", ["lif", "alpha", "izh", "if",
                                  pytest.param("cond", marks=pytest.mark.slow),
                                  pytest.param("alif", marks=pytest.mark.slow),
                                  pytest.param("adex", marks=pytest.mark.slow)])
def test_script_gives_same_spikes(kind, tmp_path):
    from neurosim.interop.brian2 import to_brian2_script

    net, sm, _ = _net(kind)
    to_brian2_script(net, tmp_path / "net.py")   # duration: the TimedArray's length
    ref = _run_script(tmp_path / "net.py")
    net.run(T_STEPS * DT)
    _assert_same_spikes(sm.i, sm.t, *ref.spikes["g"])
    st = next(m for m in net.objects if isinstance(m, StateMonitor))
    np.testing.assert_allclose(st.t, ref.state_t["g"], atol=1e-12)
    np.testing.assert_allclose(st["v"][:, 0, :], ref.states["g"]["v"], rtol=0, atol=1e-6)
    rate = next(m for m in net.objects if isinstance(m, PopulationRateMonitor))
    # same spike count, so the same mean population rate over the same per-step time axis
    np.testing.assert_allclose(rate.t, ref.rates["g"][0], atol=1e-12)
    assert rate.rate[:, 0].sum() == pytest.approx(ref.rates["g"][1].sum(), rel=1e-9)


@pytest.mark.parametrize("rule", ["pair", "triplet", "reward",
                                  pytest.param("mult", marks=pytest.mark.slow),
                                  pytest.param("nearest", marks=pytest.mark.slow)])
def test_script_with_stdp_learns_the_same_weights(rule, tmp_path):
    from neurosim.interop.brian2 import to_brian2_script

    net, sm, syn = _net("lif", rule)
    w0 = syn.weights.copy()
    to_brian2_script(net, tmp_path / "stdp.py", duration=T_STEPS * DT)
    ref = _run_script(tmp_path / "stdp.py")
    net.run(T_STEPS * DT)
    _assert_same_spikes(sm.i, sm.t, *ref.spikes["g"])
    change = np.abs(syn.weights - w0).max()
    assert change > 0.1 * GMAX                      # the rule did something
    np.testing.assert_allclose(ref.weights["s_in"], syn.weights, rtol=0, atol=1e-9 * change)


def test_export_after_a_run_continues_identically():
    """Mid-run export: membrane, refractory counters, STDP traces and TimedArray offset."""
    from neurosim.interop.brian2 import run_in_brian2

    net, sm, syn = _net("lif", "triplet")
    net.run(25 * ms)
    n0 = sm.i.size
    ref = run_in_brian2(net, 30 * ms)
    net.run(30 * ms)
    _assert_same_spikes(sm.i[n0:], sm.t[n0:], *ref.spikes["g"])
    np.testing.assert_allclose(ref.weights["s_in"], syn.weights, rtol=0, atol=1e-20)


def test_exports_the_chosen_batch_copy():
    from neurosim.interop.brian2 import run_in_brian2

    net, sm, _ = _net("lif", batch=2)       # the copies differ in their input current
    ref = run_in_brian2(net, 30 * ms, batch=1)
    net.run(30 * ms)
    sel = sm.batch == 1
    assert sm.i[sel].size != sm.i[~sel].size or not np.array_equal(sm.i[sel], sm.i[~sel])
    _assert_same_spikes(sm.i[sel], sm.t[sel], *ref.spikes["g"])


def test_poisson_rates_constant_and_time_varying(tmp_path):
    """Different random draws: compare spike counts with the Poisson expectation (5 sd)."""
    from neurosim.interop.brian2 import to_brian2_script

    n, half = 200, 500
    rates = np.concatenate([np.zeros((half, n)), np.full((half, n), 200.0)])
    p = PoissonGroup(n, rates, name="p")
    q = PoissonGroup(n, 100 * Hz, name="q")
    net = Network(p, q, SpikeMonitor(p, name="sp"), SpikeMonitor(q, name="sq"), dt=DT, seed=3,
                  backend="numpy")
    to_brian2_script(net, tmp_path / "poisson.py")   # duration: the rates' length
    ref = _run_script(tmp_path / "poisson.py")
    net.run(2 * half * DT)
    mons = {m.group.name: m for m in net.objects if isinstance(m, SpikeMonitor)}
    expected = n * 200.0 * half * DT          # 2000 spikes in each group, Poisson sd ~ 45
    for t in (mons["p"].t, ref.spikes["p"][1]):
        assert np.all(t >= half * DT - 1e-12)
        assert abs(t.size - expected) < 5 * np.sqrt(expected)
    for t in (mons["q"].t, ref.spikes["q"][1]):
        assert abs(t.size - expected) < 5 * np.sqrt(expected)


def test_standalone_scripts_are_valid_python_and_select_the_device(tmp_path):
    from neurosim.interop.brian2 import to_brian2_script

    net, _, _ = _net("lif", "pair")
    src = to_brian2_script(net, tmp_path / "cpp.py", device="cpp_standalone",
                           duration=10 * ms)
    compile(src, "cpp.py", "exec")
    assert "set_device('cpp_standalone', directory=" in src
    assert (tmp_path / "cpp.py").read_text() == src
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cpp.npz", "cpp.py"]  # no temp
    with np.load(tmp_path / "cpp.npz") as f:
        np.testing.assert_array_equal(f["s_in__w"], net.objects[2].weights)
    for device, module in (("cuda_standalone", "brian2cuda"), ("genn", "brian2genn")):
        s = to_brian2_script(_net("lif", "pair")[0], device=device, duration=10 * ms)
        compile(s, device, "exec")
        assert f"import {module}" in s and f"set_device('{device}'" in s
    # without a path the arrays are embedded: the string alone loads the same data
    emb = to_brian2_script(net, duration=10 * ms)
    ns = {"__name__": "embedded", "__file__": str(tmp_path / "x.py")}
    exec(compile(emb, "embedded", "exec"), ns)
    with np.load(tmp_path / "cpp.npz") as f:
        data = ns["load_data"]()
        assert sorted(data) == sorted(f.files)


def test_unsupported_things_raise_clear_errors(tmp_path):
    from neurosim.interop.brian2 import to_brian2, to_brian2_script

    net, _, _ = _net("lif")
    with pytest.raises(NotImplementedError, match="per-synapse delays.*genn"):
        to_brian2_script(net, device="genn")
    with pytest.raises(ValueError, match="device must be one of .*cpp_standalone.*'gpu'"):
        to_brian2_script(net, device="gpu")
    with pytest.raises(ValueError, match=r"path must end in \.py"):
        to_brian2_script(net, tmp_path / "net.txt")
    with pytest.raises(ValueError, match=r"to_brian2_script: duration must be >= 0, got -1\.0"):
        to_brian2_script(net, duration=-1.0)

    gen = SpikeGeneratorGroup(2, [0], [1 * ms], name="gen")
    g = NeuronGroup(3, LIFParams(), name="g")
    v_syn = Synapses.all_to_all(gen, g, 1 * mV, target="v", name="v_syn")
    with pytest.raises(NotImplementedError, match="targets 'v' of a group with a refractory"):
        to_brian2(Network(gen, g, v_syn, dt=DT, backend="numpy"))
    bad = Network(g, StateMonitor(g, ["v", "ref"], name="st"), dt=DT, backend="numpy")
    with pytest.raises(NotImplementedError, match="'ref'"):
        to_brian2(bad)

    class MyRule(STDP):   # a user's rule: runs in neurosim, unknown to the exporter
        pass

    syn = Synapses.all_to_all(gen, g, 0.1 * nA, name="syn")
    syn.attach(MyRule(PairSTDPParams()))
    with pytest.raises(NotImplementedError, match="MyRule has no Brian2 translation"):
        to_brian2(Network(gen, g, syn, dt=DT, backend="numpy"))
    r = _reward()
    r.reward = np.array([1.0, 0.0])
    syn.attach(r)
    with pytest.raises(NotImplementedError, match="reward is per batch copy"):
        to_brian2(Network(gen, g, syn, dt=DT, backend="numpy", batch_size=2))


def test_script_runs_from_the_command_line(tmp_path):
    """The written script + sidecar are self-contained: a fresh interpreter runs them."""
    from neurosim.interop.brian2 import Brian2Result, to_brian2_script

    net, sm, _ = _net("izh")
    to_brian2_script(net, tmp_path / "cli.py", duration=20 * ms)
    out = tmp_path / "res.npz"
    subprocess.run([sys.executable, str(tmp_path / "cli.py"), "--codegen-target", "numpy",
                    "--results", str(out)], check=True, cwd=tmp_path, timeout=300,
                   capture_output=True)
    with np.load(out) as f:
        ref = Brian2Result.from_flat({k: f[k] for k in f.files})
    net.run(20 * ms)
    _assert_same_spikes(sm.i, sm.t, *ref.spikes["g"])
