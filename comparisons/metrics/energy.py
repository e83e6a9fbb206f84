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


#: op-count key -> how a reader names it in a reason
_OP_WORDS = {"mac": "dense multiply-accumulates (MACs)", "ac": "accumulates",
             "synaptic_events": "synaptic events", "neuron_updates": "neuron updates",
             "plasticity_updates": "plasticity (weight) updates"}


def energy_unpriced_reason(ops: dict[str, float] | None, profile: Profile | str
                           ) -> str | None:
    """Why ``profile`` cannot price ``ops`` (``None`` when it can).

    The reason a report prints instead of a blank energy cell: no op counts were recorded,
    the chip cannot run an op kind and the learner has no spiking work (so no chip + host
    hybrid applies; see the module docstring), or neither the profile nor its host fallback
    has a price for an op kind.

    Parameters
    ----------
    ops : dict or None
        Op counts per sample (inference or training), as in :func:`energy_breakdown`.
    profile : Profile or str

    Returns
    -------
    str or None
        E.g. ``"loihi cannot run dense multiply-accumulates (MACs) (1e+04 per sample) and
        this learner has no spiking work (no synaptic events or neuron updates), so no
        host fallback (cmos45) applies: it would not run on this chip"``.
    """
    prof = get_profile(profile) if isinstance(profile, str) else profile
    counts = {k: float(v) for k, v in (ops or {}).items()
              if isinstance(v, int | float) and not isinstance(v, bool)}
    if not any(counts.get(op, 0.0) > 0 for op in OP_TO_ENERGY) and not any(
            counts.get(k, 0.0) > 0 for k in MEMORY_OPS):
        return "no op counts were recorded for this run"
    if energy_breakdown(counts, prof, memory=True) is not None:
        return None
    spiking = any(counts.get(k, 0.0) > 0 for k in ("synaptic_events", "neuron_updates"))
    host = get_profile(prof.fallback) if prof.fallback else None
    missing = [op for op, ekey in OP_TO_ENERGY.items() if counts.get(op, 0.0) > 0
               and (ekey in prof.unsupported or ekey not in prof.energy_pj)]
    what = ", ".join(f"{_OP_WORDS[op]} ({counts[op]:.3g} per sample)" for op in missing)
    cannot = [op for op in missing if OP_TO_ENERGY[op] in prof.unsupported]
    verb = "cannot run" if cannot else "has no price for"
    if host is not None and not spiking:
        return (f"{prof.name} {verb} {what} and this learner has no spiking work (no "
                f"synaptic events or neuron updates), so no host fallback ({host.name}) "
                "applies: it would not run on this chip")
    if host is not None:
        unpriced = [op for op in missing if OP_TO_ENERGY[op] not in host.energy_pj]
        return (f"{prof.name} {verb} {what}, and its host fallback {host.name} has no price "
                f"for {', '.join(_OP_WORDS[op] for op in unpriced)}")
    return f"{prof.name} {verb} {what} and has no host fallback"
