"""Energy proxies: hand-computed joules and ranges, unsupported ops, memory by tier, sources
for every figure (the profile schema itself: test_profiles.py)."""

import math

import pytest

from comparisons.metrics.energy import (
    energy_breakdown,
    energy_joules,
    energy_range,
    get_profile,
    list_profiles,
)
from comparisons.metrics.ops import add_memory_traffic


def test_cmos45_matches_horowitz_convention():
    p = get_profile("cmos45")
    assert p.energy_pj["mac"] == pytest.approx(3.7 + 0.9)  # fp32 mult + add
    assert p.energy_pj["ac"] == pytest.approx(0.9)
    ops = {"mac": 1e6, "ac": 2e6}
    want = 1e6 * 4.6e-12 + 2e6 * 0.9e-12
    assert energy_joules(ops, "cmos45", memory=False) == pytest.approx(want)


def test_memory_term_is_bytes_times_the_tiers_energy_per_byte():
    ops = add_memory_traffic({"mac": 1000.0, "neuron_updates": 10.0})
    assert ops["mem_read_bytes"] == 1000 * 4 + 10 * 4
    assert ops["mem_write_bytes"] == 10 * 4
    p = get_profile("cmos45")
    foot = 1000  # bytes: fits the 8 KB SRAM (Horowitz: 10 pJ per 64-bit read)
    diff = (energy_joules(ops, p, memory=True, footprint_bytes=foot)
            - energy_joules(ops, p, memory=False))
    assert diff == pytest.approx((4040 + 40) * (10.0 / 8) * 1e-12)
    # without a footprint no tier can be chosen: not priced (memory=False still is)
    assert energy_joules(ops, p) is None and energy_joules(ops, p, memory=False) is not None


def test_loihi_cannot_run_dense_macs_but_prices_synaptic_events():
    assert energy_joules({"mac": 10.0}, "loihi") is None
    ops = {"synaptic_events": 1000.0, "neuron_updates": 100.0}
    rng = energy_range(ops, "loihi")
    # Davies et al. 2018: synaptic op 23.6 pJ (a minimum); neuron update 52 inactive / 81 active
    assert rng["min"] == pytest.approx(1000 * 23.6e-12 + 100 * 52e-12)
    assert rng["typical"] == pytest.approx(1000 * 23.6e-12 + 100 * 81e-12)
    assert rng["max"] == pytest.approx(rng["typical"])
    assert energy_joules(ops, "loihi") == pytest.approx(rng["typical"])


def test_loihi_prices_spikes_within_a_tile_to_one_hop():
    rng = energy_range({"synaptic_events": 10.0, "spikes": 100.0}, "loihi")
    syn = 10 * 23.6e-12
    assert rng["min"] == pytest.approx(syn + 100 * 1.7e-12)  # within a tile
    assert rng["max"] == pytest.approx(syn + 100 * 3.5e-12)  # one hop across tiles
    # on CMOS a spike is its synaptic events' work: nothing more per spike
    assert energy_joules({"synaptic_events": 10.0, "spikes": 100.0}, "cmos45", memory=False) \
        == pytest.approx(10 * 0.9e-12)


def test_breakdown_sums_to_total():
    ops = add_memory_traffic({"synaptic_events": 5e4, "ac": 3e3, "neuron_updates": 4e4,
                              "mac": 4e3})
    parts = energy_breakdown(ops, get_profile("cmos45"), footprint_bytes=2e4)
    assert math.isclose(sum(parts.values()), energy_joules(ops, "cmos45", footprint_bytes=2e4))
    assert "memory (SRAM 32 KB)" in parts


@pytest.mark.parametrize("name", list_profiles())
def test_every_figure_has_a_source(name):
    p = get_profile(name)
    assert p.energy_pj, name
    for key in p.energy_pj:
        assert p.sources.get(key), f"{name}.{key} has no source"


def test_unknown_profile_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown profile 'lohi'; choose from: cmos45, "
                                         r"cmos45_fp16, cmos45_int8, loihi, truenorth"):
        get_profile("lohi")


def test_hybrid_spiking_learner_prices_dense_readout_on_the_host():
    ops = {"synaptic_events": 1000.0, "mac": 100.0}
    parts = energy_breakdown(ops, get_profile("loihi"), memory=False)
    assert parts["synaptic_events"] == pytest.approx(1000 * 23.6e-12)
    assert parts["mac (host)"] == pytest.approx(100 * 4.6e-12)
    # a purely dense learner does not run on Loihi at all
    assert energy_breakdown({"mac": 100.0}, get_profile("loihi")) is None


def test_neurobench_style_hardware_metrics():
    import numpy as np

    from comparisons.metrics.hardware import (
        activation_sparsity,
        connection_sparsity,
        cores_needed,
    )

    w = [np.array([[0.0, 1.0], [2.0, 0.0]]), np.zeros(4)]
    assert connection_sparsity(w) == 6 / 8
    assert connection_sparsity([]) is None
    assert activation_sparsity({"spikes": 25.0, "neuron_updates": 100.0}) == 0.75
    # not measured: None, not a hard-coded 0; measured activations win over spikes
    assert activation_sparsity({"mac": 10.0}) is None
    assert activation_sparsity({"activations": 8.0, "nonzero_activations": 6.0,
                                "spikes": 1.0, "neuron_updates": 8.0}) == 0.25
    # Loihi: 1024 neurons and 16384 fan-in per core
    assert cores_needed(1500, 10, "loihi") == 2
    assert cores_needed(10, 1024 * 16384 * 3, "loihi") == 3
    assert cores_needed(10, 10, "cmos45") is None


def test_gpu_energy_meter_is_none_without_nvml_or_gpu():
    import torch

    from comparisons.metrics.gpu import GPUEnergyMeter

    with GPUEnergyMeter() as meter:
        sum(range(1000))
    if not torch.cuda.is_available():
        assert meter.joules is None
    else:  # pragma: no cover - GPU machines
        assert meter.joules is None or meter.joules >= 0
