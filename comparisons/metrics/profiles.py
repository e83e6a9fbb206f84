"""Hardware profiles as validated data: per-op energies with ranges, sources and scope.

A profile is a JSON file (``comparisons/profiles/<name>.json``), checked on load against the
schema below; an unknown or a missing key is an error that names the file, the key and what
is allowed (a misspelled key must not silently price an op at nothing).

Schema (every key required; ``null`` where a value is marked so)::

    {
      "name": str,                       # equals the file name without ".json"
      "title": str,
      "energy_pj": {op: figure},         # the op kinds this chip prices itself
      "included": {op: why},             # op kinds priced inside another figure (cost 0 here)
      "unsupported": [op, ...],          # op kinds the chip cannot run (host fallback or None)
      "memory": {"included": why}        # memory access inside the per-op figures, or
              | {"value_bytes": int, "tiers": [tier, ...]},   # priced by tier (below)
      "not_modelled": {what: why},       # what these energies leave out (static power, ...)
      "fallback": str | null,            # host profile for the ops this chip cannot run
      "neurons_per_core": int | null,
      "fanin_per_core": int | null
    }
    figure = {"min": pJ, "typical": pJ, "max": pJ, "source": str, "includes": str,
              "note": str (optional)}
    tier   = {"name": str, "capacity_bytes": int | null (the last tier only: unbounded),
              "access_bytes": int, "access_pj": figure}

Every op kind of :data:`OP_KINDS` is named in exactly one of ``energy_pj``, ``included`` and
``unsupported``. A figure's ``includes`` says what the energy covers: one of
:data:`INCLUDES` (Horowitz's 45 nm figures price an arithmetic unit, "datapath"; Loihi's
per-op figures a whole core's work, "core"; TrueNorth's per-event figure is a whole-chip
average, "chip incl. static power"). ``min <= typical <= max`` is checked.

Memory tiers (``memory.tiers``, ascending ``capacity_bytes``): the model's footprint (its
parameter and state bytes) chooses the smallest tier that holds it, and every byte of
memory traffic is priced at that tier's ``access_pj / access_bytes``. Op counts record
traffic and footprints at :data:`COUNTED_VALUE_BYTES` bytes per value
(:func:`comparisons.metrics.ops.add_memory_traffic`); a profile with narrower values
(``value_bytes``: 2 for fp16, 1 for int8) scales both by ``value_bytes / 4``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from comparisons.validation import check_choice, check_float, check_int

#: op kinds a profile must account for (each in energy_pj, included or unsupported)
OP_KINDS = ("mac", "ac", "synaptic_event", "neuron_update", "plasticity_update", "spike")
#: what a figure's energy covers
INCLUDES = ("datapath", "memory access", "core", "chip incl. static power")
#: the three levels of every figure and of every priced energy
LEVELS = ("min", "typical", "max")
#: bytes per value that op counts assume for memory traffic and footprints (fp32)
COUNTED_VALUE_BYTES = 4

_TOP_KEYS = ("name", "title", "energy_pj", "included", "unsupported", "memory",
             "not_modelled", "fallback", "neurons_per_core", "fanin_per_core")
_FIGURE_KEYS = ("min", "typical", "max", "source", "includes")
_FIGURE_OPTIONAL = ("note",)
_TIER_KEYS = ("name", "capacity_bytes", "access_bytes", "access_pj")


@dataclass(frozen=True)
class Figure:
    """One published energy with its range (pJ), source and scope."""

    min: float
    typical: float
    max: float
    source: str
    includes: str
    note: str = ""

    def at(self, level: str) -> float:
        """The figure at ``level`` (``"min"``, ``"typical"`` or ``"max"``), in pJ."""
        check_choice("energy level", level, LEVELS)
        return float(getattr(self, level))


@dataclass(frozen=True)
class MemoryTier:
    """A memory the model's footprint may live in: up to ``capacity_bytes`` (``None``:
    unbounded), ``access_pj`` per access of ``access_bytes`` bytes."""

    name: str
    capacity_bytes: int | None
    access_bytes: int
    access_pj: Figure

    def pj_per_byte(self, level: str = "typical") -> float:
        """Energy per byte moved at ``level``, pJ."""
        return self.access_pj.at(level) / self.access_bytes


@dataclass(frozen=True)
class Profile:
    """A validated hardware profile (see the module docstring for the file schema).

    ``energy_pj`` and ``sources`` give the typical value and the source per op kind, as
    callers before the schema read them; ``figures`` holds the whole :class:`Figure`.
    """

    name: str
    title: str
    figures: dict[str, Figure]
    included: dict[str, str]
    unsupported: tuple[str, ...]
    memory_tiers: tuple[MemoryTier, ...] = ()
    memory_included: str | None = None
    value_bytes: int = COUNTED_VALUE_BYTES
    not_modelled: dict[str, str] | None = None
    fallback: str | None = None
    neurons_per_core: int | None = None
    fanin_per_core: int | None = None

    @property
    def energy_pj(self) -> dict[str, float]:
        """Typical pJ per op kind this profile prices itself."""
        return {k: f.typical for k, f in self.figures.items()}

    @property
    def sources(self) -> dict[str, str]:
        """Source per priced op kind, and why for each op kind priced inside another."""
        out = {k: f.source for k, f in self.figures.items()}
        out.update(self.included)
        if self.memory_included is not None:
            out["memory"] = self.memory_included
        for t in self.memory_tiers:
            out[f"memory ({t.name})"] = t.access_pj.source
        return out

    def memory_tier(self, footprint_bytes: float | None) -> MemoryTier | None:
        """The smallest tier holding ``footprint_bytes`` (counted at 4 bytes per value,
        scaled to this profile's ``value_bytes``); ``None`` when memory is priced inside
        the per-op figures or the footprint is unknown."""
        if not self.memory_tiers or footprint_bytes is None:
            return None
        need = float(footprint_bytes) * self.value_bytes / COUNTED_VALUE_BYTES
        for tier in self.memory_tiers:
            if tier.capacity_bytes is None or need <= tier.capacity_bytes:
                return tier
        return self.memory_tiers[-1]  # validation makes the last tier unbounded


class ProfileError(ValueError):
    """A profile file that does not follow the schema."""


def _fail(origin: str, where: str, what: str) -> ProfileError:
    return ProfileError(f"profile {origin}: {where} {what}")


def _keys(origin: str, where: str, d: Any, required: tuple[str, ...],
          optional: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise _fail(origin, where, f"must be an object, got {type(d).__name__}")
    allowed = ", ".join(required + optional)
    for k in d:
        if k not in required and k not in optional:
            raise _fail(origin, where, f"has unknown key {k!r}; allowed: {allowed}")
    for k in required:
        if k not in d:
            raise _fail(origin, where, f"lacks key {k!r}; required: {', '.join(required)}")
    return d


def _text(origin: str, where: str, v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _fail(origin, where, f"must be a non-empty str, got {v!r}")
    return v


def _int_or_none(origin: str, where: str, v: Any, allow_none: bool = True) -> int | None:
    try:   # the one vocabulary's check, its message placed in the file
        return check_int(f"profile {origin}: {where}", v, low=1, allow_none=allow_none)
    except (TypeError, ValueError) as exc:
        raise ProfileError(str(exc)) from exc


def _figure(origin: str, where: str, d: Any) -> Figure:
    d = _keys(origin, where, d, _FIGURE_KEYS, _FIGURE_OPTIONAL)
    vals = {}
    for lev in LEVELS:
        try:   # the one vocabulary's check, its message placed in the file
            vals[lev] = check_float(f"profile {origin}: {where}.{lev} (pJ)", d[lev], low=0.0)
        except (TypeError, ValueError) as exc:
            raise ProfileError(str(exc)) from exc
    if not vals["min"] <= vals["typical"] <= vals["max"]:
        raise _fail(origin, where, f"must have min <= typical <= max, got min={vals['min']:g}"
                                   f", typical={vals['typical']:g}, max={vals['max']:g}")
    source = _text(origin, f"{where}.source", d["source"])
    if d["includes"] not in INCLUDES:
        raise _fail(origin, f"{where}.includes", f"must be one of: {', '.join(INCLUDES)}; "
                                                 f"got {d['includes']!r}")
    note = _text(origin, f"{where}.note", d["note"]) if "note" in d else ""
    return Figure(vals["min"], vals["typical"], vals["max"], source, d["includes"], note)


def _op(origin: str, where: str, k: Any) -> str:
    if k not in OP_KINDS:
        raise _fail(origin, where, f"names unknown op kind {k!r}; allowed: "
                                   f"{', '.join(OP_KINDS)}")
    return str(k)


def _memory(origin: str, d: Any) -> tuple[tuple[MemoryTier, ...], str | None, int]:
    if isinstance(d, dict) and "included" in d:
        d = _keys(origin, "memory", d, ("included",))
        return (), _text(origin, "memory.included", d["included"]), COUNTED_VALUE_BYTES
    d = _keys(origin, "memory", d, ("value_bytes", "tiers"))
    vb = _int_or_none(origin, "memory.value_bytes", d["value_bytes"], allow_none=False)
    if not isinstance(d["tiers"], list) or not d["tiers"]:
        raise _fail(origin, "memory.tiers", f"must be a non-empty list, got {d['tiers']!r}")
    tiers = []
    for i, t in enumerate(d["tiers"]):
        where = f"memory.tiers[{i}]"
        t = _keys(origin, where, t, _TIER_KEYS)
        last = i == len(d["tiers"]) - 1
        cap = _int_or_none(origin, f"{where}.capacity_bytes", t["capacity_bytes"],
                           allow_none=last)
        if last and cap is not None:
            raise _fail(origin, f"{where}.capacity_bytes", f"must be null (the last tier "
                                                           f"holds any footprint), got {cap}")
        if tiers and cap is not None and cap <= tiers[-1].capacity_bytes:
            raise _fail(origin, f"{where}.capacity_bytes", f"must exceed the previous "
                                                           f"tier's, got {cap}")
        tiers.append(MemoryTier(_text(origin, f"{where}.name", t["name"]), cap,
                                int(_int_or_none(origin, f"{where}.access_bytes",
                                                 t["access_bytes"], allow_none=False)),
                                _figure(origin, f"{where}.access_pj", t["access_pj"])))
    return tuple(tiers), None, int(vb)


def validate_profile(data: Any, origin: str = "<data>", name: str | None = None) -> Profile:
    """Check a profile's data against the schema and build the :class:`Profile`.

    Parameters
    ----------
    data : dict
        The parsed JSON.
    origin : str
        What the errors name (the file name).
    name : str, optional
        The name the file must declare (its file name without ``.json``).

    Raises
    ------
    ProfileError
        (a ``ValueError``) naming ``origin``, the key and what is allowed, e.g.
        ``"profile loihi.json: energy_pj.synaptic_event has unknown key 'typ'; allowed:
        min, typical, max, source, includes, note"``.
    """
    d = _keys(origin, "top level", data, _TOP_KEYS)
    pname = _text(origin, "name", d["name"])
    if name is not None and pname != name:
        raise _fail(origin, "name", f"must equal the file name {name!r}, got {pname!r}")
    if not isinstance(d["energy_pj"], dict):
        raise _fail(origin, "energy_pj", "must be an object {op: figure}")
    figures = {_op(origin, "energy_pj", k): _figure(origin, f"energy_pj.{k}", v)
               for k, v in d["energy_pj"].items()}
    if not isinstance(d["included"], dict):
        raise _fail(origin, "included", "must be an object {op: why}")
    included = {_op(origin, "included", k): _text(origin, f"included.{k}", v)
                for k, v in d["included"].items()}
    if not isinstance(d["unsupported"], list):
        raise _fail(origin, "unsupported", f"must be a list, got {d['unsupported']!r}")
    unsupported = tuple(_op(origin, "unsupported", k) for k in d["unsupported"])
    for op in OP_KINDS:
        homes = [h for h, group in (("energy_pj", figures), ("included", included),
                                    ("unsupported", unsupported)) if op in group]
        if len(homes) != 1:
            raise _fail(origin, f"op kind {op!r}", (
                f"is in {' and '.join(homes)}" if homes else "is missing") + "; name each "
                "op kind in exactly one of energy_pj, included, unsupported")
    tiers, mem_included, value_bytes = _memory(origin, d["memory"])
    if not isinstance(d["not_modelled"], dict):
        raise _fail(origin, "not_modelled", "must be an object {what: why}")
    not_modelled = {str(k): _text(origin, f"not_modelled.{k}", v)
                    for k, v in d["not_modelled"].items()}
    fallback = d["fallback"]
    if fallback is not None:
        fallback = _text(origin, "fallback", fallback)
        if not unsupported:
            raise _fail(origin, "fallback", "must be null when no op kind is unsupported")
    return Profile(
        name=pname, title=_text(origin, "title", d["title"]), figures=figures,
        included=included, unsupported=unsupported, memory_tiers=tiers,
        memory_included=mem_included, value_bytes=value_bytes, not_modelled=not_modelled,
        fallback=fallback,
        neurons_per_core=_int_or_none(origin, "neurons_per_core", d["neurons_per_core"]),
        fanin_per_core=_int_or_none(origin, "fanin_per_core", d["fanin_per_core"]))


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file (its name must match the file name)."""
    path = Path(path)
    return _parse(path.name, path.read_text(encoding="utf-8"), path.name[:-5]
                  if path.name.endswith(".json") else None)


def _parse(origin: str, text: str, name: str | None) -> Profile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"profile {origin}: not valid JSON ({exc})") from exc
    return validate_profile(data, origin, name)


def _profile_files() -> dict[str, Any]:
    root = resources.files("comparisons") / "profiles"
    return {p.name[:-5]: p for p in root.iterdir() if p.name.endswith(".json")}


def list_profiles() -> list[str]:
    """Names of the shipped hardware profiles."""
    return sorted(_profile_files())


@cache
def _shipped(name: str) -> Profile:
    return _parse(f"{name}.json", _profile_files()[name].read_text(encoding="utf-8"), name)


def get_profile(name: str) -> Profile:
    """Load and validate a shipped profile by name (unknown names list the valid ones)."""
    check_choice("profile", name, _profile_files())
    prof = _shipped(name)
    if prof.fallback is not None:
        check_choice(f"{name}.json fallback", prof.fallback, _profile_files())
    return prof


__all__ = ["COUNTED_VALUE_BYTES", "Figure", "INCLUDES", "LEVELS", "MemoryTier", "OP_KINDS",
           "Profile", "ProfileError", "get_profile", "list_profiles", "load_profile",
           "validate_profile"]
