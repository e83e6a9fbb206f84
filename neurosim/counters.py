"""Operation counters filled by every run: the raw material for energy estimates.

Definitions (per network, summed over batch copies and over repeated runs):

* ``steps`` — clock steps simulated.
* ``neuron_updates`` — neuron state updates = sum over neuron groups of ``n * B * steps``.
* ``spikes`` — spikes emitted by neuron groups; ``input_spikes`` — by input groups.
* ``synaptic_events`` — spike x fan-out: one event per synapse whose source spiked
  (each adds its weight to a target variable once).
* ``state_bytes`` — bytes of dynamic neuron state (all variables, all copies; 8 bytes a
  value, 4 with ``Network(dtype="float32")``).
* ``synapse_bytes`` — bytes of connectivity (weights float64, or float32 with
  ``dtype="float32"``; indices int32, row pointers int64, per-synapse delays int32 when not
  homogeneous).
* ``n_synapses`` — number of synapses.
* ``spikes_by_group``, ``synaptic_events_by_projection`` — the same, broken down by name.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OpCounters"]


class OpCounters:
    """Accumulates counts; ``as_dict()`` gives a plain (JSON-able) dict."""

    SCALARS = ("steps", "neuron_updates", "spikes", "input_spikes", "synaptic_events",
               "plasticity_updates")

    def __init__(self, state_bytes: int = 0, synapse_bytes: int = 0, n_synapses: int = 0
                 ) -> None:
        self.values: dict[str, int] = {k: 0 for k in self.SCALARS}
        self.state_bytes = int(state_bytes)
        self.synapse_bytes = int(synapse_bytes)
        self.n_synapses = int(n_synapses)
        self.spikes_by_group: dict[str, int] = {}
        self.events_by_projection: dict[str, int] = {}

    def add(self, key: str, value: int) -> None:
        self.values[key] += int(value)

    def add_group_spikes(self, name: str, value: int, is_input: bool) -> None:
        self.spikes_by_group[name] = self.spikes_by_group.get(name, 0) + int(value)
        self.values["input_spikes" if is_input else "spikes"] += int(value)

    def add_events(self, name: str, value: int) -> None:
        self.events_by_projection[name] = self.events_by_projection.get(name, 0) + int(value)
        self.values["synaptic_events"] += int(value)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = dict(self.values)
        d.update(state_bytes=self.state_bytes, synapse_bytes=self.synapse_bytes,
                 n_synapses=self.n_synapses, spikes_by_group=dict(self.spikes_by_group),
                 synaptic_events_by_projection=dict(self.events_by_projection))
        return d

    def load(self, d: dict[str, Any]) -> None:
        for k in self.SCALARS:
            self.values[k] = int(d.get(k, 0))  # files saved before a counter existed
        self.spikes_by_group = {k: int(v) for k, v in d["spikes_by_group"].items()}
        self.events_by_projection = {
            k: int(v) for k, v in d["synaptic_events_by_projection"].items()}
