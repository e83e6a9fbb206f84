"""Energy proxies: op counts x per-op energies of a hardware profile.

Profiles are data files (``comparisons/profiles/*.json``), each figure with its source.
A profile that cannot execute an op kind (e.g. Loihi has no dense MAC) lists it under
``unsupported``; a learner whose counts need it gets ``None`` for that profile rather than a
made-up number.

Energy model (per sample)::

    E = mac*E_mac + ac*E_ac + synaptic_events*E_syn + neuron_updates*E_neuron
        + plasticity_updates*E_plast [+ (mem_read_bytes + mem_write_bytes)*E_byte]

The bracketed memory term is included when ``memory=True``.

Hybrid systems: a neuromorphic profile (Loihi, TrueNorth) cannot run dense MACs. When a
learner's counts contain spiking work (synaptic events or neuron updates) *and* ops the chip
cannot run (e.g. a reservoir's real-valued readout), those ops are priced with the profile's
``fallback`` host profile (45 nm CMOS), as in "Loihi + CPU" accounting. A learner with no
spiking work at all gets ``None`` on a neuromorphic profile: it would not run there.

Caveat shown in every report: once memory access is counted, spiking networks win only at
very sparse activity (Dampfhoffer et al. 2023; Davidson & Furber 2021).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from comparisons.validation import check_choice

#: op-count key -> profile energy key
OP_TO_ENERGY = {
    "mac": "mac",
    "ac": "ac",
    "synaptic_events": "synaptic_event",
    "neuron_updates": "neuron_update",
    "plasticity_updates": "plasticity_update",
}
MEMORY_OPS = ("mem_read_bytes", "mem_write_bytes")

MEMORY_CAVEAT = (
    "Energy figures are proxies: op counts times per-op energies from the literature. "
    "Memory access often dominates; once it is counted, spiking networks win only at very "
    "sparse activity (Dampfhoffer et al. 2023; Davidson & Furber 2021)."
)


@dataclass(frozen=True)
class Profile:
    """A hardware profile: energy per op in picojoules, with sources."""

    name: str
    title: str
    energy_pj: dict[str, float]
    sources: dict[str, str]
    unsupported: tuple[str, ...] = ()
    neurons_per_core: int | None = None
    fanin_per_core: int | None = None
    fallback: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _profile_files() -> dict[str, Any]:
    root = resources.files("comparisons") / "profiles"
    return {p.name[:-5]: p for p in root.iterdir() if p.name.endswith(".json")}


def list_profiles() -> list[str]:
    """Names of the shipped hardware profiles."""
    return sorted(_profile_files())


def get_profile(name: str) -> Profile:
    """Load a shipped profile by name (unknown names list the valid ones)."""
    files = _profile_files()
    check_choice("profile", name, files)
    d = json.loads(files[name].read_text())
    return Profile(
        name=d["name"], title=d["title"], energy_pj={k: float(v) for k, v in
                                                     d["energy_pj"].items()},
        sources=d["sources"], unsupported=tuple(d.get("unsupported", ())),
        neurons_per_core=d.get("neurons_per_core"), fanin_per_core=d.get("fanin_per_core"),
        fallback=d.get("fallback"),
    )


def energy_breakdown(
    ops: dict[str, float], profile: Profile, memory: bool = True
) -> dict[str, float] | None:
    """Joules per op kind for ``ops`` under ``profile``; ``None`` if the profile cannot run it.

    Parameters
    ----------
    ops : dict
        Op counts (per sample), keys as in :mod:`comparisons.learners.base`.
    profile : Profile
    memory : bool
        Include memory traffic (``mem_read_bytes + mem_write_bytes``).
    """
    out: dict[str, float] = {}
    spiking = any(float(ops.get(k, 0.0)) > 0 for k in ("synaptic_events", "neuron_updates"))
    host = get_profile(profile.fallback) if profile.fallback else None
    for op, ekey in OP_TO_ENERGY.items():
        n = float(ops.get(op, 0.0))
        if n == 0.0:
            continue
        if ekey in profile.unsupported or ekey not in profile.energy_pj:
            if not (spiking and host is not None and ekey in host.energy_pj):
                return None
            out[f"{op} (host)"] = n * host.energy_pj[ekey] * 1e-12
            continue
        out[op] = n * profile.energy_pj[ekey] * 1e-12
    if memory:
        nbytes = sum(float(ops.get(k, 0.0)) for k in MEMORY_OPS)
        out["memory"] = nbytes * profile.energy_pj.get("mem_byte", 0.0) * 1e-12
    return out


def energy_joules(ops: dict[str, float], profile: Profile | str, memory: bool = True
                  ) -> float | None:
    """Total joules per sample (``None`` when the profile cannot execute these ops)."""
    prof = get_profile(profile) if isinstance(profile, str) else profile
    parts = energy_breakdown(ops, prof, memory=memory)
    return None if parts is None else float(sum(parts.values()))
