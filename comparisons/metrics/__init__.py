"""Metrics: op counts, energy under hardware profiles, hardware cost, plausibility."""

from comparisons.metrics.energy import (
    Profile,
    energy_breakdown,
    energy_joules,
    energy_range,
    get_profile,
    list_profiles,
    load_profile,
)
from comparisons.metrics.ops import add_memory_traffic, dense_ops, flop_count_macs

__all__ = [
    "Profile",
    "energy_breakdown",
    "energy_joules",
    "energy_range",
    "get_profile",
    "list_profiles",
    "load_profile",
    "add_memory_traffic",
    "dense_ops",
    "flop_count_macs",
]
