"""Synapse builders, validation, progress bar, backend resolution."""

import io
import sys

import numpy as np
import pytest

from neurosim import LIFCondParams, LIFParams, Network, NeuronGroup, PoissonGroup, Synapses
from neurosim.backends import resolve_backend_name
from neurosim.units import Hz, ms, nS, pA


def test_builders_give_the_requested_connectivity():
    a, b = NeuronGroup(4, LIFParams(), name="a"), NeuronGroup(3, LIFParams(), name="b")
    w = np.array([[0, 1, 0], [2, 0, 3], [0, 0, 0], [4, 5, 6]], dtype=float) * pA
    s = Synapses.from_matrix(a, b, w)
    np.testing.assert_array_equal(s.to_dense(), w)
    assert s.n_syn == 6 and list(s.row_lengths()) == [1, 2, 0, 3]
    s = Synapses.from_list(a, b, [3, 0, 3], [2, 1, 0], [1e-12, 2e-12, 3e-12])
    dense = np.zeros((4, 3))
    dense[3, 2], dense[0, 1], dense[3, 0] = 1e-12, 2e-12, 3e-12
    np.testing.assert_array_equal(s.to_dense(), dense)
    s = Synapses.all_to_all(a, a, 1 * pA, self_connections=False)
    np.testing.assert_array_equal(s.to_dense() != 0, ~np.eye(4, dtype=bool))
    s = Synapses.one_to_one(a, a, 2 * pA)
    np.testing.assert_array_equal(s.to_dense(), np.eye(4) * 2 * pA)


@pytest.mark.parametrize("p", [0.02, 0.3])
def test_fixed_probability_count_within_binomial_bound(p):
    a, b = NeuronGroup(300, LIFParams(), name="a"), NeuronGroup(200, LIFParams(), name="b")
    total = 300 * 200
    counts = []
    for seed in range(4):
        s = Synapses.fixed_probability(a, b, p, 1 * pA, seed=seed)
        counts.append(s.n_syn)
        d = s.to_dense()
        assert np.all((d == 0) | (d == 1 * pA))       # no duplicate pairs
    sd = np.sqrt(total * p * (1 - p))
    assert all(abs(c - total * p) < 5 * sd for c in counts)
    assert len(set(counts)) > 1                         # seeds differ
    s1 = Synapses.fixed_probability(a, b, p, 1 * pA, seed=7)
    s2 = Synapses.fixed_probability(a, b, p, 1 * pA, seed=7)
    np.testing.assert_array_equal(s1.indices, s2.indices)


def test_inhibitory_current_weights_must_not_be_positive():
    """Sign convention: current models add i_e + i_i to the membrane, so 'i' takes
    negative currents; a positive one would excite and is an error naming the convention."""
    from neurosim import AdExParams, IzhikevichParams

    src = NeuronGroup(3, LIFParams(), name="src")
    for params in (LIFParams(), AdExParams(), IzhikevichParams()):
        post = NeuronGroup(3, params, name="post")
        with pytest.raises(ValueError, match=(
                r"weights must be <= 0 for the inhibitory current target 'i' of "
                rf"{type(params).__name__}, got 2e-12 A at synapse 1: .*\+ i_e \+ i_i.*"
                r"negative amperes")):
            Synapses.one_to_one(src, post, np.array([-1.0, 2.0, 0.5]) * pA, target="i")
        Synapses.one_to_one(src, post, np.array([-1.0, 0.0, -0.5]) * pA, target="i")
        Synapses.one_to_one(src, post, np.array([-1.0, 2.0, 0.5]) * pA, target="e")
    # conductances are >= 0 on both targets (the reversal potential sets the sign)
    c = NeuronGroup(3, LIFCondParams(), name="c")
    Synapses.one_to_one(src, c, 2 * nS, target="i")
    # weights assigned after construction are checked when the network is built
    post = NeuronGroup(3, LIFParams(), name="post")
    syn = Synapses.one_to_one(src, post, -1 * pA, target="i", name="inh")
    syn.weights = np.array([-1.0, 3.0, -1.0]) * pA
    with pytest.raises(ValueError, match=r"weights must be <= 0 for the inhibitory current "
                                         r"target 'i' of LIFParams, got 3e-12 A at synapse 1"):
        Network(src, post, syn, dt=0.1 * ms).run(1 * ms)


def test_a_negative_current_on_target_i_inhibits():
    """Theory: a neuron driven above threshold fires; inhibitory current pulses slow it."""
    from neurosim import CurrentInjection, SpikeGeneratorGroup, SpikeMonitor

    def rate(w):
        g = NeuronGroup(1, LIFParams(), name="g")
        inj = CurrentInjection(g, np.array([0.3e-9]))  # R I = 30 mV > 20 mV to threshold
        gen = SpikeGeneratorGroup(1, np.zeros(200, int), np.arange(200) * 1 * ms, name="gen")
        sm = SpikeMonitor(g, name="sm")
        objs = [g, inj, gen, sm]
        if w is not None:
            objs.append(Synapses.one_to_one(gen, g, w, target="i", name="inh"))
        Network(*objs, dt=0.1 * ms, seed=0).run(200 * ms)
        return len(sm.t)

    free = rate(None)
    assert free > 5 and rate(-50 * pA) < free


def test_synapse_validation_errors():
    a = NeuronGroup(3, LIFParams(), name="a")
    c = NeuronGroup(3, LIFCondParams(), name="c")
    with pytest.raises(ValueError, match=r"must be >= 0 for conductance target 'e'"):
        Synapses.one_to_one(a, c, -1 * nS)
    with pytest.raises(ValueError, match=r"one_to_one needs equal sizes"):
        Synapses.one_to_one(a, NeuronGroup(2, LIFParams()), 1 * pA)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        Synapses.fixed_probability(a, a, 1.5, 1 * pA)
    with pytest.raises(ValueError, match=r"from_list: i must be in \[0, 3\)"):
        Synapses.from_list(a, a, [3], [0], 1 * pA)
    with pytest.raises(ValueError, match=r"Synapses.indices must be in \[0, 3\)"):
        Synapses.from_list(a, a, [0], [5], 1 * pA)
    with pytest.raises(ValueError, match=r"delay=5.0 s looks like milliseconds; write 5\*ms"):
        Synapses.from_list(a, a, [0], [1], 1 * pA, delay=5)
    with pytest.raises(TypeError, match=r"Synapses.post must be a NeuronGroup"):
        Synapses.from_list(a, PoissonGroup(3, 1 * Hz), [0], [1], 1 * pA)


def test_progress_bar_only_on_a_terminal(monkeypatch):
    g = NeuronGroup(2, LIFParams(), name="g")
    for tty, progress, shown in [(True, True, True), (False, True, False),
                                 (True, False, False)]:
        buf = io.StringIO()
        buf.isatty = lambda tty=tty: tty   # type: ignore[method-assign]
        monkeypatch.setattr(sys, "stderr", buf)
        Network(g, backend="numba").run(2.1, progress=progress)
        assert ("neurosim" in buf.getvalue()) == shown, (tty, progress)


def test_backend_names():
    assert resolve_backend_name("auto", "cpu") == "numba"
    assert resolve_backend_name("auto", "cuda") == "torch"
    with pytest.raises(ValueError, match=r"unknown device 'tpu'; choose from: auto, cpu, cuda"):
        resolve_backend_name("torch", "tpu")
    with pytest.raises(TypeError, match=r"backend must be a str"):
        resolve_backend_name(3)
    g = NeuronGroup(2, LIFParams(), name="g")
    net = Network(g, backend="numpy")
    net.run(1 * ms)
    with pytest.raises(ValueError, match=r"must be added before the first run"):
        net.add(NeuronGroup(2, LIFParams(), name="h"))
