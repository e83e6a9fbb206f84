"""Plot helpers draw what was recorded (Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from neurosim import (  # noqa: E402
    CurrentInjection,
    LIFParams,
    Network,
    NeuronGroup,
    PopulationRateMonitor,
    SpikeMonitor,
    StateMonitor,
)
from neurosim.plotting import plot_traces, raster_plot, rate_histogram  # noqa: E402
from neurosim.units import ms, nA  # noqa: E402


def test_plots_show_the_recorded_data():
    g = NeuronGroup(5, LIFParams(), name="g")
    sm, st, pr = SpikeMonitor(g), StateMonitor(g, "v", [0, 2]), PopulationRateMonitor(g)
    net = Network(g, CurrentInjection(g, np.linspace(0.25, 0.6, 5) * nA), sm, st, pr,
                  backend="numpy")
    net.run(50 * ms)
    ax = raster_plot(sm)
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, sm.t * 1e3)
    np.testing.assert_array_equal(y, sm.i)
    ax = plot_traces(st)
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[1].get_ydata(), st.v[:, 0, 1] * 1e3)
    ax = rate_histogram(pr, bin_width=10 * ms)
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 5
    assert np.sum(heights) * 10 * ms * 5 == pytest.approx(sm.i.size)
    ax = rate_histogram(sm, bin_width=10 * ms)
    assert sum(p.get_height() for p in ax.patches) * 10 * ms * 5 == pytest.approx(sm.i.size)


def test_to_dense_matches_monitor():
    g = NeuronGroup(4, LIFParams(), name="g")
    sm = SpikeMonitor(g)
    cur = np.random.default_rng(0).uniform(0.2, 0.6, (300, 2, 4)) * nA
    net = Network(g, CurrentInjection(g, cur), sm, backend="numba", batch_size=2)
    net.run(30 * ms)
    dense = sm.to_dense(300, 2)
    assert dense.shape == (300, 2, 4) and dense.sum() == sm.i.size > 0
    assert np.all(dense[sm.steps, sm.batch, sm.i])
