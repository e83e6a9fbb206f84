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
        assert net.counters == ref.counters
        sa, sb = ref.get_state(), net.get_state()
        for key in sa:
            for v in sa[key]:
                np.testing.assert_array_equal(sa[key][v], sb[key][v])


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
