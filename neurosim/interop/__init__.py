"""Interoperability with other simulators (Brian2) and formats (NIR, ``.npz``, neo).

Submodules import their peer package lazily: importing this package needs neither Brian2,
nir nor neo.
"""

from neurosim.interop.brian2 import Brian2Result, run_in_brian2, to_brian2, to_brian2_script
from neurosim.interop.formats import (
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
from neurosim.interop.nir import from_nir, read_nir, to_nir, write_nir

__all__ = ["to_nir", "from_nir", "write_nir", "read_nir",
           "to_brian2", "to_brian2_script", "run_in_brian2", "Brian2Result",
           "save_spikes", "load_spikes", "save_states", "load_states", "save_rates",
           "load_rates", "save_monitor", "load_monitor", "to_neo", "to_neo_dict", "from_neo"]
