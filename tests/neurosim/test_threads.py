"""The compiled backend's threads: the copies of a batch split over threads give the same
spikes, states, monitors and counters as one thread, for any thread count."""

import numpy as np
import pytest

import neurosim as ns
from neurosim import (
    CurrentInjection,
    Network,
    NeuronGroup,
    PoissonGroup,
    PopulationRateMonitor,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)


def _run(threads: int, batch: int = 5, state_monitor: bool = True):
    rng = np.random.default_rng(1)
    g = NeuronGroup(120, ns.LIFParams(), name="g")
    p = PoissonGroup(30, 40.0, name="p")
    rec = Synapses.from_matrix(g, g, np.where(rng.random((120, 120)) < 0.1, 0.3e-9, 0.0),
                               target="e", delay=1e-3, name="rec")
    inp = Synapses.from_matrix(p, g, np.where(rng.random((30, 120)) < 0.2, 1.5e-9, 0.0),
                               target="e", name="inp",
                               stp=ns.plasticity.TsodyksMarkramParams(U=0.3, tau_rec=0.1,
                                                                      tau_fac=0.05))
    cur = CurrentInjection(g, 0.25e-9 + 0.05e-9 * rng.standard_normal((1500, batch, 120)))
    mons = [SpikeMonitor(g, name="sg"), SpikeMonitor(p, name="sp"),
            PopulationRateMonitor(g, name="r")]
    if state_monitor:
        mons.append(StateMonitor(g, "v", indices=[0, 5, 7], every=3, name="st"))
    net = Network(g, p, rec, inp, cur, *mons, dt=1e-4, batch_size=batch, seed=3,
                  backend="numba", threads=threads)
    net.run(0.08, progress=False)
    net.run(0.07, progress=False)          # a second run continues from the state
    return net, mons


def _assert_same_counters_and_state(ref, net):
    """Equal op counters and equal state (every group, buffer, trace) of two networks."""
    assert net.counters == ref.counters
    sa, sb = ref.get_state(), net.get_state()
    assert sa.keys() == sb.keys()
    for key in sa:
        for v in sa[key]:
            np.testing.assert_array_equal(sa[key][v], sb[key][v])


@pytest.mark.parametrize("state_monitor", [True, False])
def test_any_thread_count_gives_the_same_run(state_monitor):
    ref, ref_m = _run(1, state_monitor=state_monitor)
    assert ref_m[0].i.size > 1000 and len(set(ref_m[0].batch)) == 5
    for threads in (2, 3, 8):               # 8 > batch: one copy per thread
        net, mons = _run(threads, state_monitor=state_monitor)
        for a, b in zip(ref_m[:2], mons[:2]):   # same spikes in the same order
            for f in ("steps", "batch", "i"):
                np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        np.testing.assert_array_equal(ref_m[2].rate, mons[2].rate)
        if state_monitor:
            np.testing.assert_array_equal(ref_m[3].v, mons[3].v)
        _assert_same_counters_and_state(ref, net)


def test_spikes_stay_in_step_then_copy_order_with_threads():
    _, mons = _run(2, batch=4, state_monitor=False)
    m = mons[0]
    key = m.steps * 4 + m.batch
    assert np.all(np.diff(key) >= 0)


def test_threads_setting_is_checked(monkeypatch):
    g = NeuronGroup(3, ns.LIFParams())
    with pytest.raises(ValueError, match="Network.threads"):
        Network(g, threads=0)
    from neurosim.backends import default_threads

    monkeypatch.setenv("NEUROSIM_NUM_THREADS", "3")
    assert default_threads() == 3
    assert Network(NeuronGroup(3, ns.LIFParams())).threads == 3
    monkeypatch.setenv("NEUROSIM_NUM_THREADS", "zero")
    with pytest.raises(ValueError, match="NEUROSIM_NUM_THREADS.*'zero'"):
        default_threads()
    monkeypatch.delenv("NEUROSIM_NUM_THREADS")
    assert default_threads() >= 1


# ------------------------------------------------------------ one network split by neuron
def _one_network(threads: int, monkeypatch, unsorted: bool = False):
    """One copy, split by neuron (the size threshold lowered): recurrent E/I with delayed
    and immediate projections, an all-to-all projection, Poisson input, a constant and a
    time-varying current, spike / rate / state monitors; two runs."""
    from neurosim.backends import numba_cpu

    monkeypatch.setattr(numba_cpu, "MIN_SPLIT", 10)
    rng = np.random.default_rng(2)
    n_e, n_i = 160, 40
    E = NeuronGroup(n_e, ns.LIFParams(), name="E")
    inh = NeuronGroup(n_i, ns.LIFParams(), name="I")
    p = PoissonGroup(25, 60.0, name="p")
    if unsorted:     # rows not sorted by target (from_list keeps the given order), and a
        i = np.repeat(np.arange(n_e), 12)              # repeated pair (a multapse)
        j = np.concatenate([np.sort(rng.choice(n_e, 12, replace=False))[::-1]
                            for _ in range(n_e)])
        j[1] = j[0]
        ee = Synapses.from_list(E, E, i, j, rng.uniform(0.2e-9, 0.5e-9, i.size),
                                target="e", delay=rng.integers(0, 20, i.size) * 1e-4, name="EE")
    else:
        ee = Synapses.from_matrix(E, E, np.where(rng.random((n_e, n_e)) < 0.08,
                                                 rng.uniform(0.2e-9, 0.5e-9, (n_e, n_e)), 0),
                                  target="e", delay=1.5e-3, name="EE")
    syns = [ee,
            Synapses.from_matrix(E, inh, np.where(rng.random((n_e, n_i)) < 0.2, 0.4e-9, 0),
                                 target="e", name="EI"),
            Synapses.all_to_all(inh, E, -0.05e-9, target="i", name="IE"),
            Synapses.from_matrix(p, E, np.where(rng.random((25, n_e)) < 0.3, 1.2e-9, 0),
                                 target="e", name="PE")]
    cur = [CurrentInjection(E, 0.2e-9 + 0.1e-9 * rng.random(n_e)),
           CurrentInjection(inh, 0.25e-9 + 0.05e-9 * rng.standard_normal((1200, 1, n_i)))]
    mons = [SpikeMonitor(E, name="sE"), SpikeMonitor(inh, name="sI"),
            SpikeMonitor(p, name="sp"), PopulationRateMonitor(inh, name="r"),
            StateMonitor(E, "v", indices=[0, 79, 80, 159], every=2, name="st")]
    net = Network(E, inh, p, *syns, *cur, *mons, dt=1e-4, seed=4, backend="numba",
                  threads=threads)
    net.run(0.06, progress=False)
    net.run(0.06, progress=False)
    return net, mons


@pytest.mark.parametrize("unsorted", [False, True])
def test_one_network_split_by_neuron_gives_the_same_run(monkeypatch, unsorted):
    ref, ref_m = _one_network(1, monkeypatch, unsorted)
    assert ref._runner.neuron_split(None) is None
    assert ref_m[0].i.size > 500 and ref_m[1].i.size > 100
    for threads in (2, 3, 7):          # 7 threads: ranges of 28-29 neurons, groups cut
        net, mons = _one_network(threads, monkeypatch, unsorted)
        cut = net._runner.neuron_split(None)
        assert cut is not None and len(cut) == threads + 1
        assert bool(net._runner._row_cuts(cut)[1][0]) is not unsorted
        for a, b in zip(ref_m[:3], mons[:3]):
            for f in ("steps", "batch", "i"):
                np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        np.testing.assert_array_equal(ref_m[3].rate, mons[3].rate)
        np.testing.assert_array_equal(ref_m[4].v, mons[4].v)
        _assert_same_counters_and_state(ref, net)


def test_split_threads_stop_together_when_record_buffers_fill(monkeypatch):
    """A fast-firing network fills each thread's record buffer inside a chunk: every
    thread must stop after the same step (checked one step ahead) and go on with a larger
    buffer, with the same records as one thread."""
    from neurosim.backends import numba_cpu

    monkeypatch.setattr(numba_cpu, "MIN_SPLIT", 10)
    calls = []
    kernel = numba_cpu.NumbaRunner.kernel

    def counting(*args):
        done = kernel(*args)
        calls.append((args[-3] is not None, done))
        return done
    monkeypatch.setattr(numba_cpu.NumbaRunner, "kernel", staticmethod(counting))

    def run(threads):
        g = NeuronGroup(60, ns.LIFParams(t_ref=0.0), name="g")
        mon = SpikeMonitor(g)
        net = Network(g, CurrentInjection(g, np.linspace(2e-9, 4e-9, 60)), mon, dt=1e-4,
                      backend="numba", threads=threads)
        net.run(1e-4, progress=False)
        net._runner.cap, net._runner._bufs = 8, []      # small first record buffers
        net.run(0.2, progress=False)
        return mon, net
    ref, _ = run(1)
    calls.clear()
    mon, net = run(3)
    split_calls = [d for s, d in calls if s]
    assert len(split_calls) > 3 * 2      # one chunk: some calls returned early, buffer full
    assert len(split_calls) % 3 == 0     # ... the three threads together
    assert ref.i.size > 20 * 2 * 60      # records far exceed the first buffers
    for f in ("steps", "i"):
        np.testing.assert_array_equal(getattr(ref, f), getattr(mon, f))


def test_a_failing_split_thread_raises_and_releases_the_others():
    from neurosim.backends.numba_cpu import PAD, _run_threads

    arrive = np.zeros(3 * PAD, dtype=np.int64)

    def drive(t):
        if t == 1:
            raise RuntimeError("thread 1 failed")
        return t
    with pytest.raises(RuntimeError, match="thread 1 failed"):
        _run_threads(drive, 3, arrive)
    assert arrive[PAD] >= 2**62 and arrive[0] == 0     # the others' waits are released


def _plastic_network(threads: int, monkeypatch, triplet: bool = False,
                     unsorted: bool = False):
    """One copy with compiled STDP, split by neuron: additive nearest-spike pair STDP on a
    delayed recurrent projection (pre and post in one group), multiplicative all-to-all
    pair STDP on Poisson input (presynaptic side an input group), a static inhibitory
    projection. ``unsorted``: the input projection's rows in descending target order, and
    the projections in another order (plastic ones not first: the kernel must look up a
    plastic projection's own sortedness)."""
    from neurosim.backends import numba_cpu
    from neurosim.plasticity import STDP, PairSTDPParams, TripletSTDP, TripletSTDPParams

    monkeypatch.setattr(numba_cpu, "MIN_SPLIT", 10)
    rng = np.random.default_rng(5)
    E = NeuronGroup(150, ns.LIFParams(), name="E")
    inh = NeuronGroup(50, ns.LIFParams(), name="I")
    p = PoissonGroup(40, 50.0, name="p")
    ee = Synapses.from_matrix(E, E, np.where(rng.random((150, 150)) < 0.1,
                                             rng.uniform(0.2e-9, 0.6e-9, (150, 150)), 0),
                              target="e", delay=1e-3, name="EE")
    w_pe = np.where(rng.random((40, 150)) < 0.3, rng.uniform(0.5e-9, 1.5e-9, (40, 150)), 0)
    if unsorted:
        i, j = np.nonzero(w_pe[:, ::-1])
        j = 149 - j
        pe = Synapses.from_list(p, E, i, j, w_pe[i, j], target="e", name="PE")
    else:
        pe = Synapses.from_matrix(p, E, w_pe, target="e", name="PE")
    ei = Synapses.fixed_probability(E, inh, 0.2, 0.5e-9, seed=1, name="EI")
    ie = Synapses.fixed_probability(inh, E, 0.2, -0.4e-9, target="i", seed=2, name="IE")
    if triplet:
        ee.attach(TripletSTDP(TripletSTDPParams(w_max=1e-9)))
    else:
        ee.attach(STDP(PairSTDPParams(a_plus=2e-11, a_minus=2.2e-11, w_max=1e-9,
                                      pairing="nearest")))
    pe.attach(STDP(PairSTDPParams(a_plus=0.02, a_minus=0.021, w_max=2e-9,
                                  weight_dependence="multiplicative")))
    mons = [SpikeMonitor(E, name="sE"), SpikeMonitor(inh, name="sI")]
    ee.initial, pe.initial = ee.weights.copy(), pe.weights.copy()   # before learning
    syns = (ei, ee, ie, pe) if unsorted else (ee, pe, ei, ie)
    net = Network(E, inh, p, *syns,
                  CurrentInjection(E, 0.15e-9 + 0.1e-9 * rng.random(150)), *mons, dt=1e-4,
                  seed=6, backend="numba", threads=threads)
    net.run(0.08, progress=False)
    net.run(0.07, progress=False)
    return net, mons, (ee, pe)


@pytest.mark.parametrize("unsorted", [False, True])
def test_stdp_split_by_neuron_gives_the_same_weights_and_spikes(monkeypatch, unsorted):
    from neurosim.backends.numba_cpu import PlasticNumbaRunner

    ref, ref_m, ref_s = _plastic_network(1, monkeypatch, unsorted=unsorted)
    assert isinstance(ref._runner, PlasticNumbaRunner)
    assert ref_m[0].i.size > 300
    w0 = [s.weights.copy() for s in ref_s]
    for threads in (2, 3):
        net, mons, syns = _plastic_network(threads, monkeypatch, unsorted=unsorted)
        r = net._runner
        assert r.neuron_split(r.plastic_args()) is not None
        for a, b in zip(ref_m, mons):
            for f in ("steps", "i"):
                np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        for a, b in zip(w0, syns):
            np.testing.assert_array_equal(a, b.weights)
        _assert_same_counters_and_state(ref, net)        # traces included
    for s in ref_s:                                      # the rules did change them
        assert np.sum(s.weights != s.initial) > 0.2 * s.weights.size


def test_triplet_stdp_runs_on_one_thread(monkeypatch):
    net, _, _ = _plastic_network(2, monkeypatch, triplet=True)
    r = net._runner
    assert r.neuron_split(r.plastic_args()) is None
