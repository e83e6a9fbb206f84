"""Save/load: bit-identical continuation; corrupted files give clear errors, no half-restore."""

import numpy as np
import pytest

from neurosim import (
    LIFParams,
    Network,
    NeuronGroup,
    PoissonGroup,
    PopulationRateMonitor,
    SpikeMonitor,
    StateMonitor,
    Synapses,
)
from neurosim.io import load, save
from neurosim.units import Hz, ms, pA


def _net(backend="numba", seed=0):
    g = NeuronGroup(40, LIFParams(), name="g")
    inp = PoissonGroup(30, 50 * Hz, name="inp")
    s1 = Synapses.fixed_probability(inp, g, 0.4, 300 * pA, seed=1, name="s1",
                                    delay=lambda r, n: r.integers(0, 15, n) * 0.1 * ms)
    s2 = Synapses.fixed_probability(g, g, 0.1, -100 * pA, target="i", seed=2, name="s2")
    mons = [SpikeMonitor(g, name="sm"), StateMonitor(g, "v", [0, 1], every=5, name="st"),
            PopulationRateMonitor(g, name="pr")]
    return Network(g, inp, s1, s2, *mons, dt=0.1 * ms, seed=seed, backend=backend)


def _spikes(net):
    m = next(o for o in net.objects if isinstance(o, SpikeMonitor))
    return m.steps.copy(), m.i.copy()


@pytest.mark.parametrize("backends", [("numba", "numba"), ("numba", "torch")])
def test_save_load_continues_bit_identically(tmp_path, backends):
    a = _net(backends[0])
    a.run(23.4 * ms)                    # spikes in flight in the delay buffers
    path = tmp_path / "state.npz"
    save(a, path)
    a.run(20 * ms)
    b = _net(backends[1], seed=99)      # a different seed: everything comes from the file
    load(b, path)
    b.run(20 * ms)
    for x, y in zip(_spikes(a), _spikes(b)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.get_state()["g"]["v"], b.get_state()["g"]["v"])
    assert a.counters == b.counters and a.t == b.t


def test_corrupted_or_truncated_file_is_rejected_and_network_untouched(tmp_path):
    a = _net()
    a.run(10 * ms)
    path = tmp_path / "s.npz"
    save(a, path)
    raw = path.read_bytes()
    b = _net()
    b.run(5 * ms)
    before = (b.get_state()["g"]["v"].copy(), b.step_count, _spikes(b)[1].size)
    (tmp_path / "trunc.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="not a readable neurosim .npz file"):
        load(b, tmp_path / "trunc.npz")
    bad = bytearray(raw)
    bad[len(raw) // 3] ^= 0xFF
    (tmp_path / "bad.npz").write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="corrupted|checksum"):
        load(b, tmp_path / "bad.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="not a readable neurosim .npz file"):
        load(b, tmp_path / "junk.npz")
    np.testing.assert_array_equal(b.get_state()["g"]["v"], before[0])
    assert (b.step_count, _spikes(b)[1].size) == before[1:]


def test_load_into_a_different_network_is_rejected(tmp_path):
    a = _net()
    a.run(5 * ms)
    save(a, tmp_path / "s.npz")
    g = NeuronGroup(41, LIFParams(), name="g")
    with pytest.raises(ValueError, match=r"groups differ from the file's"):
        load(Network(g, backend="numpy"), tmp_path / "s.npz")
    c = Network(NeuronGroup(40, LIFParams(), name="g"), dt=0.2 * ms, backend="numpy")
    with pytest.raises(ValueError, match=r"file has dt=0.0001, network has dt=0.0002"):
        load(c, tmp_path / "s.npz")


@pytest.mark.parametrize("frac", [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
def test_a_flipped_byte_anywhere_gives_a_clear_error_or_the_exact_state(tmp_path, frac):
    """A flipped byte either is caught (ValueError naming the loader; network untouched) or
    falls where it does not matter (zip timestamps...): then the state loads exactly."""
    a = _net()
    a.run(5 * ms)
    save(a, tmp_path / "s.npz")
    raw = bytearray((tmp_path / "s.npz").read_bytes())
    raw[int(len(raw) * frac)] ^= 0xFF
    (tmp_path / "bad.npz").write_bytes(bytes(raw))
    b = _net()
    try:
        load(b, tmp_path / "bad.npz")
    except ValueError as e:
        assert "neurosim.io.load" in str(e)
        assert b.step_count == 0
        return
    assert b.step_count == a.step_count
    for k, vs in a.get_state().items():
        for v, x in vs.items():
            np.testing.assert_array_equal(b.get_state()[k][v], x)


@pytest.mark.parametrize("content", ["pickle", "text", "missing_meta"])
def test_every_reader_names_the_file_and_never_suggests_unpickling(tmp_path, content):
    """neurosim.io.load, the monitor-data loaders and Diehl & Cook checkpoints read through
    one reader: a file they cannot read is a ValueError naming the reader and the path,
    never numpy's own error (which advises allow_pickle=True for a pickled array)."""
    from neurosim.interop.formats import load_monitor, load_spikes
    from neurosim.io import read_npz
    from neurosim.learning.diehl_cook import _load as load_checkpoint

    path = tmp_path / "f.npz"
    if content == "pickle":
        np.savez(path, meta=np.array([{"kind": "spikes"}], dtype=object))
    elif content == "text":
        path.write_text("not an archive")
    else:
        np.savez(path, x=np.zeros(3))
    readers = {"neurosim.io.load": lambda: read_npz(path, "neurosim.io.load"),
               "load_spikes": lambda: load_spikes(path), "load_monitor": lambda: load_monitor(path),
               "DiehlCook checkpoint": lambda: load_checkpoint(str(path))}
    for what, read in readers.items():
        if content == "missing_meta":
            if what == "neurosim.io.load":
                continue  # read_npz itself reads any npz; io.load's metadata check is below
            with pytest.raises(ValueError, match=r"f\.npz"):
                read()
            continue
        with pytest.raises(ValueError) as err:
            read()
        msg = str(err.value)
        assert msg.startswith(what) and str(path) in msg and "allow_pickle" not in msg, msg
        if content == "pickle":
            assert "pickled Python objects" in msg
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        read_npz(tmp_path / "nope.npz", "x")
