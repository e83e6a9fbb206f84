"""Round trips of spike trains and monitor recordings through .npz and neo layouts."""

import numpy as np
import pytest

from neurosim import (
    CurrentInjection,
    LIFParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    PopulationRateMonitor,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from neurosim.interop.formats import (
    SpikeData,
    from_neo,
    load_monitor,
    load_rates,
    load_spikes,
    load_states,
    save_monitor,
    save_rates,
    save_spikes,
    save_states,
    to_neo,
    to_neo_dict,
)
from neurosim.units import Hz, ms, nA, pA

DT = 0.1 * ms


@pytest.fixture(scope="module")
def run():
    """A real run: Poisson input -> LIF, two batch copies, all three monitors."""
    inp = PoissonGroup(40, 50 * Hz, name="inp")
    g = NeuronGroup(25, LIFParams(), name="exc")
    syn = Synapses.fixed_probability(inp, g, 0.3, 150 * pA, seed=0, name="syn")
    inj = CurrentInjection(g, 0.15 * nA)
    sm, st = SpikeMonitor(g, name="sm"), StateMonitor(g, ["v", "i_e"], [0, 3, 7], every=3,
                                                       name="st")
    rm = PopulationRateMonitor(g, name="rm")
    net = Network(inp, g, syn, inj, sm, st, rm, dt=DT, seed=4, batch_size=2, backend="numpy")
    net.run(100 * ms)
    assert sm.i.size > 20 and set(np.unique(sm.batch)) == {0, 1}
    return net, sm, st, rm


def test_spikes_npz_round_trip_from_a_monitor(run, tmp_path):
    net, sm, _, _ = run
    save_spikes(tmp_path / "s.npz", sm, t_stop=net.t, metadata={"seed": 4})
    back = load_spikes(tmp_path / "s.npz")
    np.testing.assert_array_equal(back.indices, sm.i)
    np.testing.assert_array_equal(back.times, sm.t)
    np.testing.assert_array_equal(back.batch, sm.batch)
    assert (back.n, back.dt, back.t_start, back.t_stop) == (25, DT, 0.0, net.t)
    assert back.name == "exc" and back.metadata == {"seed": 4}
    for b in (0, 1):
        trains = back.spike_trains(b)
        assert sum(t.size for t in trains.values()) == int((sm.batch == b).sum())
        assert all(np.array_equal(trains[k], sm.spike_trains(b)[k]) for k in range(25))
    # steps are recoverable exactly from the stored times
    np.testing.assert_array_equal(np.rint(back.times / back.dt).astype(int), sm.steps)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npz"]   # no temp file left


def test_spikes_from_tuple_and_checks(tmp_path):
    i, t = np.array([2, 0, 1]), np.array([0.003, 0.001, 0.002])
    save_spikes(tmp_path / "t.npz", (i, t), dt=DT)
    back = load_spikes(tmp_path / "t.npz")
    assert back.n == 3 and back.batch is None
    assert back.t_stop == pytest.approx(0.003 + DT)
    np.testing.assert_array_equal(back.indices, i)
    with pytest.raises(ValueError, match=r"indices must be in \[0, n=2\)"):
        save_spikes(tmp_path / "u.npz", (i, t), n=2)
    with pytest.raises(ValueError, match="must lie in"):
        save_spikes(tmp_path / "u.npz", (i, t), t_stop=0.002)
    with pytest.raises(TypeError, match="integers"):
        save_spikes(tmp_path / "u.npz", (np.array([0.5]), np.array([0.1])))
    with pytest.raises(ValueError, match=r"must end in \.npz"):
        save_spikes(tmp_path / "u.txt", (i, t))
    with pytest.raises(TypeError, match="SpikeMonitor, SpikeData or an"):
        save_spikes(tmp_path / "u.npz", [1, 2])


def test_state_and_rate_npz_round_trips(run, tmp_path):
    _, _, st, rm = run
    save_states(tmp_path / "st.npz", st)
    back = load_states(tmp_path / "st.npz")
    np.testing.assert_array_equal(back.t, st.t)
    np.testing.assert_array_equal(back.indices, st.indices)
    for v in ("v", "i_e"):
        np.testing.assert_array_equal(back.values[v], st[v])
        assert back.values[v].shape == (st.t.size, 2, 3)
    assert back.units == {"v": "V", "i_e": "A"} and back.every == 3 and back.dt == DT
    save_rates(tmp_path / "r.npz", rm)
    r = load_rates(tmp_path / "r.npz")
    np.testing.assert_array_equal(r.rate, rm.rate)
    np.testing.assert_array_equal(r.t, rm.t)
    # rates carry the counts: rate * n * dt
    np.testing.assert_allclose(r.rate * r.n * r.dt, rm.counts, atol=1e-9)
    with pytest.raises(ValueError, match="holds 'rates' data, expected 'spikes'"):
        load_spikes(tmp_path / "r.npz")
    assert isinstance(load_monitor(tmp_path / "st.npz"), type(back))
    save_monitor(tmp_path / "m.npz", rm)
    np.testing.assert_array_equal(load_monitor(tmp_path / "m.npz").rate, rm.rate)


def test_neo_dict_layout_round_trip(run):
    net, sm, st, rm = run
    d = to_neo_dict(sm, batch=1)
    assert len(d["spiketrains"]) == 25
    assert d["spiketrains"][3]["units"] == "s"
    assert d["spiketrains"][3]["sampling_rate"] == pytest.approx(1 / DT)
    back = from_neo(d)
    sel = sm.batch == 1
    assert isinstance(back, SpikeData) and back.n == 25
    order = np.lexsort((sm.i[sel], sm.t[sel]))
    np.testing.assert_array_equal(back.indices, sm.i[sel][order])
    np.testing.assert_allclose(back.times, sm.t[sel][order])
    sig = to_neo_dict(st)["analogsignals"]
    assert [s["name"] for s in sig] == ["v", "i_e"] and sig[0]["signal"].shape == (st.t.size, 3)
    assert sig[0]["sampling_period"] == pytest.approx(3 * DT)
    assert to_neo_dict(rm)["analogsignals"][0]["units"] == "Hz"


def test_neo_segment_round_trip(run):
    neo = pytest.importorskip("neo")
    import quantities as pq

    net, sm, st, rm = run
    seg = to_neo(sm, batch=0)
    assert isinstance(seg, neo.Segment) and len(seg.spiketrains) == 25
    k = int(sm.i[sm.batch == 0][0])
    np.testing.assert_allclose(seg.spiketrains[k].rescale(pq.s).magnitude,
                               sm.spike_trains(0)[k])
    back = from_neo(seg)
    sel = sm.batch == 0
    order = np.lexsort((sm.i[sel], sm.t[sel]))
    np.testing.assert_array_equal(back.indices, sm.i[sel][order])
    np.testing.assert_allclose(back.times, sm.t[sel][order])
    assert back.dt == pytest.approx(DT)
    sig = to_neo(st).analogsignals[0]
    assert sig.units == pq.V and sig.shape == (st.t.size, 3)
    np.testing.assert_allclose(sig.magnitude, st["v"][:, 0, :])
    assert to_neo(rm).analogsignals[0].units == pq.Hz


def test_to_neo_without_neo_names_the_extra(monkeypatch, run):
    import builtins

    real = builtins.__import__

    def no_neo(name, *a, **kw):
        if name in ("neo", "quantities"):
            raise ImportError(name)
        return real(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_neo)
    with pytest.raises(ImportError, match=r"neurosim\[neo\]"):
        to_neo(run[1])
