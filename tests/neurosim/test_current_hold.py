"""CurrentInjection(steps_per_value=h): each row of a time-varying current is held for h
steps — the same run as the current repeated to one row per step."""

import numpy as np
import pytest

from neurosim import CurrentInjection, Network, NeuronGroup, SpikeMonitor
from neurosim.neurons.lif import LIFParams


def _spikes(values, backend, h=None):
    g = NeuronGroup(30, LIFParams(), name="g")
    inj = (CurrentInjection(g, values) if h is None
           else CurrentInjection(g, values, steps_per_value=h))
    mon = SpikeMonitor(g)
    net = Network(g, inj, mon, dt=1e-4, batch_size=values.shape[1], backend=backend, seed=0)
    net.run(0.0123, progress=False)  # 123 steps: chunks that cut through held rows
    net.run(0.0037, progress=False)
    return mon.steps, mon.batch, mon.i, net.counters["spikes"]


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_held_rows_equal_the_repeated_array(backend):
    rng = np.random.default_rng(1)
    h = 7
    rows = rng.uniform(0.2e-9, 3e-9, size=(23, 2, 30))  # 161 steps of input
    a = _spikes(rows, backend, h)
    b = _spikes(np.repeat(rows, h, axis=0), backend)
    assert a[3] == b[3] > 0
    for x, y in zip(a[:3], b[:3]):
        np.testing.assert_array_equal(x, y)


def test_steps_per_value_is_checked_and_runs_past_the_end_are_errors():
    g = NeuronGroup(3, LIFParams())
    with pytest.raises(ValueError, match="steps_per_value must be >= 1, got 0"):
        CurrentInjection(g, np.zeros((4, 3)), steps_per_value=0)
    inj = CurrentInjection(g, np.zeros((4, 3)), steps_per_value=5)
    assert inj.n_steps_available() == 20
    assert inj.per_step_values().shape == (20, 3)
    net = Network(g, inj, dt=1e-4)
    with pytest.raises(ValueError, match="covers 20 steps"):
        net.run(21e-4, progress=False)


def test_spike_generator_with_per_copy_spikes():
    from neurosim import SpikeGeneratorGroup

    rng = np.random.default_rng(0)
    raster = rng.random((40, 3, 5)) < 0.2  # (T, B, n)
    s, b, i = np.nonzero(raster)
    dt = 1e-4
    gen = SpikeGeneratorGroup(5, i, s * dt, batch=b)
    np.testing.assert_array_equal(gen.spikes(0, 40, 3, dt), raster)
    np.testing.assert_array_equal(gen.spikes(13, 9, 3, dt), raster[13:22])
    with pytest.raises(ValueError, match="copy index 2, but the network has batch_size=2"):
        gen.spikes(0, 40, 2, dt)
    with pytest.raises(ValueError, match="batch must have the shape of indices"):
        SpikeGeneratorGroup(5, i, s * dt, batch=b[:-1])
    # the same source may spike in one step in two copies, not twice in one copy
    SpikeGeneratorGroup(1, [0, 0], [0.0, 0.0], batch=[0, 1]).check_dt(dt)
    with pytest.raises(ValueError, match="spikes twice in one step"):
        SpikeGeneratorGroup(1, [0, 0], [0.0, 0.0], batch=[1, 1]).check_dt(dt)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_held_and_per_step_currents_mix(backend):
    # two injections into one group (held + per step), and held rows in two groups
    rng = np.random.default_rng(2)
    h = 4
    rows = rng.uniform(0.2e-9, 2e-9, size=(30, 1, 30))
    extra = rng.uniform(0.0, 1e-9, size=(120, 1, 30))

    def run(held):
        g = NeuronGroup(30, LIFParams(), name="g")
        g2 = NeuronGroup(30, LIFParams(), name="g2")
        a = (CurrentInjection(g, rows, steps_per_value=h) if held
             else CurrentInjection(g, np.repeat(rows, h, axis=0)))
        b = CurrentInjection(g, extra)
        c = (CurrentInjection(g2, rows, steps_per_value=h) if held
             else CurrentInjection(g2, np.repeat(rows, h, axis=0)))
        m, m2 = SpikeMonitor(g), SpikeMonitor(g2)
        net = Network(g, g2, a, b, c, m, m2, dt=1e-4, backend=backend, seed=0)
        net.run(0.0119, progress=False)
        return m.steps, m.i, m2.steps, m2.i

    for x, y in zip(run(True), run(False)):
        np.testing.assert_array_equal(x, y)
    assert run(True)[0].size > 0
