"""Energy proxies: op counts x per-op energies of a hardware profile, as ranges.

Profiles are validated data files (``comparisons/profiles/*.json``, schema in
:mod:`comparisons.metrics.profiles`): every figure has a ``{min, typical, max}`` range in
pJ, its source and what it includes. A profile that cannot execute an op kind (e.g. Loihi
has no dense MAC) lists it under ``unsupported``; a learner whose counts need it gets
``None`` for that profile rather than a made-up number.

Energy model (per sample), at each level ``L`` of ``min``, ``typical``, ``max``::

    E_L = mac*E_mac + ac*E_ac + synaptic_events*E_syn + neuron_updates*E_neuron
          + plasticity_updates*E_plast + spikes*E_spike
          [+ (mem_read_bytes + mem_write_bytes) * s * E_tier / access_bytes]

with every figure taken at ``L`` (so ``min`` uses every figure's minimum). An op kind the
profile lists under ``included`` costs nothing by itself (it is inside another figure). The
bracketed memory term is included when ``memory=True`` and the profile prices memory by
tier: ``E_tier`` is the access energy of the smallest tier that holds the model's footprint
(:meth:`~comparisons.metrics.profiles.Profile.memory_tier`) and ``s = value_bytes / 4``
rescales the fp32 byte counts to the profile's number format. Without a footprint such a
profile cannot choose a tier, and the energy with memory is ``None`` (the reason says so).

Hybrid systems: a neuromorphic profile (Loihi, TrueNorth) cannot run dense MACs. When a
learner's counts contain spiking work (synaptic events or neuron updates) *and* ops the chip
cannot run (e.g. a reservoir's real-valued readout), those ops are priced with the profile's
``fallback`` host profile (45 nm CMOS), as in "Loihi + CPU" accounting. A learner with no
spiking work at all gets ``None`` on a neuromorphic profile: it would not run there.

Stored energies are ``{"min", "typical", "max"}`` dicts; results written before ranges hold
one float, read as ``min = typical = max`` (:func:`as_range`).

Caveat shown in every report: once memory access is counted, spiking networks win only at
very sparse activity (Dampfhoffer et al. 2023; Davidson & Furber 2021).
"""

from __future__ import annotations

import math
from typing import Any

from comparisons.metrics.profiles import (
    LEVELS,
    Profile,
    ProfileError,
    get_profile,
    list_profiles,
    load_profile,
)

__all__ = ["LEVELS", "MEMORY_CAVEAT", "MEMORY_OPS", "OP_TO_ENERGY", "Profile", "ProfileError",
           "as_range", "energy_breakdown", "energy_joules", "energy_range",
           "energy_unpriced_reason", "get_profile", "list_profiles", "load_profile",
           "mean_range", "typical"]

#: op-count key -> profile energy key
OP_TO_ENERGY = {
    "mac": "mac",
    "ac": "ac",
    "synaptic_events": "synaptic_event",
    "neuron_updates": "neuron_update",
    "plasticity_updates": "plasticity_update",
    "spikes": "spike",
}
MEMORY_OPS = ("mem_read_bytes", "mem_write_bytes")

MEMORY_CAVEAT = (
    "Energy figures are proxies: op counts times per-op energies from the literature, each "
    "a range [min, max] around a typical value. Memory access often dominates; once it is "
    "counted, spiking networks win only at very sparse activity (Dampfhoffer et al. 2023; "
    "Davidson & Furber 2021)."
)


def _resolve(profile: Profile | str) -> Profile:
    return get_profile(profile) if isinstance(profile, str) else profile


def _spiking(ops: dict[str, float]) -> bool:
    return any(float(ops.get(k, 0.0)) > 0 for k in ("synaptic_events", "neuron_updates"))


def _memory_bytes(ops: dict[str, float]) -> float:
    return sum(float(ops.get(k, 0.0)) for k in MEMORY_OPS)


def energy_breakdown(
    ops: dict[str, float], profile: Profile | str, memory: bool = True,
    footprint_bytes: float | None = None, level: str = "typical",
) -> dict[str, float] | None:
    """Joules per op kind for ``ops`` under ``profile`` at one level of the ranges.

    Parameters
    ----------
    ops : dict
        Op counts (per sample), keys as in :mod:`comparisons.learners.base`.
    profile : Profile or str
    memory : bool
        Include memory traffic (``mem_read_bytes + mem_write_bytes``).
    footprint_bytes : float, optional
        The model's parameter and state bytes (fp32), which choose the memory tier of a
        profile that prices memory by tier.
    level : {"min", "typical", "max"}
        Which end of every figure's range to use.

    Returns
    -------
    dict or None
        ``{op: J}`` (``"<op> (host)"`` for ops priced on the fallback host; ``"memory"``
        with the tier's name in ``"memory (<tier>)"``); ``None`` when the profile cannot
        run these ops, or cannot choose a memory tier without ``footprint_bytes``.
    """
    prof = _resolve(profile)
    out: dict[str, float] = {}
    host = get_profile(prof.fallback) if prof.fallback else None
    spiking = _spiking(ops)
    for op, ekey in OP_TO_ENERGY.items():
        n = float(ops.get(op, 0.0))
        if n == 0.0 or ekey in prof.included:
            continue
        if ekey not in prof.figures:
            if not (spiking and host is not None and ekey in host.figures):
                return None
            out[f"{op} (host)"] = n * host.figures[ekey].at(level) * 1e-12
            continue
        out[op] = n * prof.figures[ekey].at(level) * 1e-12
    nbytes = _memory_bytes(ops)
    if memory and prof.memory_tiers and nbytes > 0:
        tier = prof.memory_tier(footprint_bytes)
        if tier is None:
            return None
        scale = prof.value_bytes / 4
        out[f"memory ({tier.name})"] = nbytes * scale * tier.pj_per_byte(level) * 1e-12
    return out


def energy_range(ops: dict[str, float], profile: Profile | str, memory: bool = True,
                 footprint_bytes: float | None = None) -> dict[str, float] | None:
    """Joules per sample as ``{"min", "typical", "max"}`` (``None``: cannot be priced).

    Each level sums :func:`energy_breakdown` at that level: ``min`` takes every figure's
    minimum, ``max`` every maximum. Parameters as in :func:`energy_breakdown`.
    """
    prof = _resolve(profile)
    out: dict[str, float] = {}
    for level in LEVELS:
        parts = energy_breakdown(ops, prof, memory=memory, footprint_bytes=footprint_bytes,
                                 level=level)
        if parts is None:
            return None
        out[level] = float(sum(parts.values()))
    return out


def energy_joules(ops: dict[str, float], profile: Profile | str, memory: bool = True,
                  footprint_bytes: float | None = None) -> float | None:
    """Typical joules per sample (``None`` when the profile cannot price these ops); the
    whole range is :func:`energy_range`."""
    rng = energy_range(ops, profile, memory=memory, footprint_bytes=footprint_bytes)
    return None if rng is None else rng["typical"]


def _finite(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        try:  # numpy scalars
            v = float(v)
        except (TypeError, ValueError):
            return None
    v = float(v)
    return v if math.isfinite(v) else None


def as_range(value: Any) -> dict[str, float] | None:
    """A stored energy as ``{"min", "typical", "max"}``; ``None`` when not priced.

    Accepts the range dict rows carry and the single float of results written before
    ranges (read as ``min = typical = max``).
    """
    if isinstance(value, dict):
        vals = {lev: _finite(value.get(lev)) for lev in LEVELS}
        if any(v is None for v in vals.values()):
            return None
        return {lev: float(v) for lev, v in vals.items() if v is not None}
    if value is None or isinstance(value, str):
        return None
    v = _finite(value)
    return None if v is None else {lev: v for lev in LEVELS}


def typical(value: Any) -> float | None:
    """The typical joules of a stored energy (range or old float); ``None`` if unpriced.
    Plots and sorting use this."""
    rng = as_range(value)
    return None if rng is None else rng["typical"]


def mean_range(values: list[Any]) -> dict[str, float] | None:
    """Mean of stored energies level by level (``None`` when any is unpriced or the list
    is empty)."""
    rngs = [as_range(v) for v in values]
    if not rngs or any(r is None for r in rngs):
        return None
    return {lev: float(sum(r[lev] for r in rngs if r is not None) / len(rngs))
            for lev in LEVELS}


#: op-count key -> how a reader names it in a reason
_OP_WORDS = {"mac": "dense multiply-accumulates (MACs)", "ac": "accumulates",
             "synaptic_events": "synaptic events", "neuron_updates": "neuron updates",
             "plasticity_updates": "plasticity (weight) updates", "spikes": "spikes"}


def energy_unpriced_reason(ops: dict[str, float] | None, profile: Profile | str,
                           footprint_bytes: float | None = None) -> str | None:
    """Why ``profile`` cannot price ``ops`` (``None`` when it can).

    The reason a report prints instead of a blank energy cell: no op counts were recorded,
    the chip cannot run an op kind and the learner has no spiking work (so no chip + host
    hybrid applies; see the module docstring), neither the profile nor its host fallback
    has a price for an op kind, or the profile prices memory by tier and the model's
    footprint is unknown.

    Parameters
    ----------
    ops : dict or None
        Op counts per sample (inference or training), as in :func:`energy_breakdown`.
    profile : Profile or str
    footprint_bytes : float, optional
        As in :func:`energy_breakdown`.

    Returns
    -------
    str or None
        E.g. ``"loihi cannot run dense multiply-accumulates (MACs) (1e+04 per sample) and
        this learner has no spiking work (no synaptic events or neuron updates), so no
        host fallback (cmos45) applies: it would not run on this chip"``.
    """
    prof = _resolve(profile)
    counts = {k: float(v) for k, v in (ops or {}).items()
              if isinstance(v, int | float) and not isinstance(v, bool)}
    if not any(counts.get(op, 0.0) > 0 for op in OP_TO_ENERGY) and not any(
            counts.get(k, 0.0) > 0 for k in MEMORY_OPS):
        return "no op counts were recorded for this run"
    if energy_breakdown(counts, prof, memory=True, footprint_bytes=footprint_bytes) \
            is not None:
        return None
    if energy_breakdown(counts, prof, memory=False) is not None:
        return (f"{prof.name} prices memory by tier (" + ", ".join(
            t.name for t in prof.memory_tiers) + ") chosen from the model's footprint, and "
            "this row records no footprint (hardware.footprint_bytes)")
    spiking = _spiking(counts)
    host = get_profile(prof.fallback) if prof.fallback else None
    missing = [op for op, ekey in OP_TO_ENERGY.items() if counts.get(op, 0.0) > 0
               and ekey not in prof.figures and ekey not in prof.included]
    what = ", ".join(f"{_OP_WORDS[op]} ({counts[op]:.3g} per sample)" for op in missing)
    cannot = [op for op in missing if OP_TO_ENERGY[op] in prof.unsupported]
    verb = "cannot run" if cannot else "has no price for"
    if host is not None and not spiking:
        return (f"{prof.name} {verb} {what} and this learner has no spiking work (no "
                f"synaptic events or neuron updates), so no host fallback ({host.name}) "
                "applies: it would not run on this chip")
    if host is not None:
        unpriced = [op for op in missing if OP_TO_ENERGY[op] not in host.figures]
        return (f"{prof.name} {verb} {what}, and its host fallback {host.name} has no price "
                f"for {', '.join(_OP_WORDS[op] for op in unpriced)}")
    return f"{prof.name} {verb} {what} and has no host fallback"
