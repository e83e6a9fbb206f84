"""Break-even activity: how sparse a spiking network must fire to use less energy per
inference than a dense network of the same size on the same hardware profile.

**Definitions** (per inference = per sample the learner scores):

``S``
    The spiking learner's synapses (``hardware.synapses``: input, recurrent and readout
    connections, zero weights excluded).
``T``
    Input steps per inference: the steps a dense (rate) network of the same size runs to
    read one sample. It is the simulation steps per inference (``neuron_updates /
    neurons``) divided by the simulation steps each input step is held for (the setting
    ``steps_per_input`` where a learner has one, else 1); a learner in
    :data:`STATIC_LEARNERS` reads a sample as one static pattern, ``T = 1``.
activity ``a``
    Synaptic events per synapse per input step, ``a = synaptic_events / (S * T)``: the
    spikes a synapse receives while the dense network makes one pass (all of a step's
    simulation sub-steps count). For a one-step task this is Dampfhoffer et al.'s *spikes
    per synapse per inference*; a sequence of ``T`` steps is ``T`` such inferences.

Energy model, at each level of the profile's ranges (all prices are the profile's own,
:mod:`comparisons.metrics.profiles`; memory traffic counted as
:func:`comparisons.metrics.ops.add_memory_traffic` counts it)::

    E_dense     = S*T * c_mac,   c_mac = E_mac + b * E_byte(tier)
    E_spike(a)  = E_meas + (a - a_meas) * S*T * c_ev,
                  c_ev  = E_syn + (spikes / synaptic_events) * E_spike + b * E_byte(tier)
    a*          = a_meas + (E_dense - E_meas) / (S*T * c_ev)          (E_spike(a*) = E_dense)

``E_meas`` is the learner's measured energy per inference under the profile
(:func:`comparisons.metrics.energy.energy_range` of its op counts, memory included):
it holds the activity-independent part (neuron updates with their state reads and
writes, real-valued input or readout MACs, everything else the learner does), which
``E_spike(a)`` keeps fixed, while the synaptic events (with their weight reads and the
spikes that carry them, at the measured spikes per event) scale with ``a``. ``b`` is one
weight (4 bytes counted, scaled to the profile's ``value_bytes``) and ``E_byte`` the price
per byte of the memory tier that holds the learner's footprint; both networks have the
same synapses, hence the same footprint and tier. On a profile that prices memory inside
its per-op figures (Loihi, TrueNorth: synaptic memory is local to each core, its reads
are inside the per-event figure) ``E_byte = 0`` on the chip.

The dense network is priced as the suite prices dense learners: one MAC and one weight read
per synapse per input step; its nonlinearities and its activation reads and writes are not
counted (a dense row records none), which favours the dense network slightly. A chip that
cannot run MACs (Loihi, TrueNorth) runs the dense network on its fallback host profile
(45 nm fp32 CMOS): the comparison is then the chip against that host. Static power is
included only where a profile's figures include it (TrueNorth's whole-chip average per
event); the other profiles list it under ``not_modelled``.

``a*`` below the measured activity means the spiking learner, as measured, uses more energy
than the dense network; ``a* <= 0`` means its activity-independent costs alone exceed the
dense network's energy. The per-synapse price ratio ``c_mac / c_ev`` is the break-even with
the activity-independent costs left out (the bound of the simplest accounting).

References
----------
Dampfhoffer, M., Mesquida, T., Valentian, A. & Anghel, L. "Are SNNs really more energy-
efficient than ANNs? An in-depth hardware-aware study." IEEE Transactions on Emerging
Topics in Computational Intelligence 7(3), 2023: SNNs beat efficient ANN hardware only
below 0.15-1.38 spikes per synapse per inference, depending on the architecture.
Lemaire, E. et al. "An analytical estimation of spiking neural networks energy efficiency."
ICONIP 2022 (memory and addressing costs counted). Yan, Z. et al., arXiv 2409.08290
(against a quantised ANN, an SNN with 5 time steps must spike below ~5.7% of the time).
"""

from __future__ import annotations

import math
from typing import Any

from comparisons.metrics.energy import energy_range, energy_unpriced_reason
from comparisons.metrics.ops import add_memory_traffic
from comparisons.metrics.profiles import (
    COUNTED_VALUE_BYTES,
    LEVELS,
    Profile,
    get_profile,
)
from comparisons.validation import check_float

#: the break-even range Dampfhoffer et al. (2023) report, spikes per synapse per inference
DAMPFHOFFER_RANGE = (0.15, 1.38)
DAMPFHOFFER_CITATION = ("Dampfhoffer et al., 'Are SNNs really more energy-efficient than "
                        "ANNs? An in-depth hardware-aware study', IEEE TETCI 7(3), 2023: "
                        "0.15-1.38 spikes per synapse per inference")
#: learner settings that hold each input step for several simulation steps
SUBSTEP_SETTINGS = ("steps_per_input",)
#: learners that read a whole sample as one static pattern (their dense counterpart: one pass)
STATIC_LEARNERS = {"diehl_cook": "shows each sample as one static image for its whole "
                                 "presentation time"}


def _resolve(profile: Profile | str) -> Profile:
    return get_profile(profile) if isinstance(profile, str) else profile


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        try:
            v = float(v)
        except (TypeError, ValueError):
            return None
    v = float(v)
    return v if math.isfinite(v) else None


def input_steps(ops: dict[str, Any], hardware: dict[str, Any], settings: dict[str, Any]
                | None = None, learner: str = "") -> tuple[float | None, str]:
    """Input steps per inference ``T`` (see the module docstring) and how it was found.

    Returns
    -------
    (float or None, str)
        ``T`` and a short explanation (the reason when ``T`` cannot be found).
    """
    if learner in STATIC_LEARNERS:
        return 1.0, f"1 ({learner} {STATIC_LEARNERS[learner]})"
    nu = _num(ops.get("neuron_updates"))
    n = _num(hardware.get("neurons"))
    if not nu or not n:
        return None, "no neuron updates or neuron count recorded"
    k = 1.0
    for key in SUBSTEP_SETTINGS:
        v = _num((settings or {}).get(key))
        if v:
            k = v
    steps = nu / n / k
    return steps, (f"{nu / n:.4g} simulation steps / {k:g} per input step" if k != 1
                   else f"{steps:.4g} simulation steps")


def measured_activity(ops: dict[str, Any], hardware: dict[str, Any], steps: float
                      ) -> float | None:
    """Synaptic events per synapse per input step, ``synaptic_events / (S * T)``."""
    ev = _num(ops.get("synaptic_events"))
    syn = _num(hardware.get("synapses"))
    if ev is None or not syn or not steps:
        return None
    return ev / (syn * steps)


def _byte_price(prof: Profile, footprint: float | None, level: str) -> float | None:
    """pJ per counted (fp32) byte of memory traffic under ``prof``; 0 where memory is
    inside the per-op figures; ``None`` when the tier cannot be chosen."""
    if not prof.memory_tiers:
        return 0.0
    tier = prof.memory_tier(footprint)
    if tier is None:
        return None
    return tier.pj_per_byte(level) * prof.value_bytes / COUNTED_VALUE_BYTES


def dense_profile(profile: Profile | str) -> Profile | None:
    """The profile that runs the dense counterpart: ``profile`` when it prices MACs, its
    fallback host otherwise (``None`` when neither can)."""
    prof = _resolve(profile)
    if "mac" in prof.figures:
        return prof
    if prof.fallback is not None and "mac" in get_profile(prof.fallback).figures:
        return get_profile(prof.fallback)
    return None


def mac_price(profile: Profile | str, footprint: float | None, level: str = "typical"
              ) -> float | None:
    """``c_mac`` in pJ: one MAC and one weight read of the dense counterpart."""
    prof = dense_profile(profile)
    if prof is None:
        return None
    per_byte = _byte_price(prof, footprint, level)
    if per_byte is None:
        return None
    return prof.figures["mac"].at(level) + COUNTED_VALUE_BYTES * per_byte


def event_price(profile: Profile | str, footprint: float | None, spikes_per_event: float,
                level: str = "typical") -> float | None:
    """``c_ev`` in pJ: one synaptic event (its accumulate), its weight read and its share
    ``spikes_per_event`` of the spikes that deliver it, as the profile prices them (its
    host's price for an op kind the chip cannot run; nothing for one priced inside
    another figure)."""
    prof = _resolve(profile)
    host = get_profile(prof.fallback) if prof.fallback else None
    total = 0.0
    for ekey, n in (("synaptic_event", 1.0), ("spike", spikes_per_event)):
        if n == 0.0 or ekey in prof.included:
            continue
        if ekey in prof.figures:
            total += n * prof.figures[ekey].at(level)
        elif host is not None and ekey in host.figures:
            total += n * host.figures[ekey].at(level)
        else:
            return None
    per_byte = _byte_price(prof, footprint, level)
    if per_byte is None:
        return None
    return total + COUNTED_VALUE_BYTES * per_byte


def dense_ops(synapses: float, steps: float) -> dict[str, float]:
    """Op counts of the dense counterpart: ``S*T`` MACs, each reading one weight."""
    return add_memory_traffic({"mac": float(synapses) * float(steps)})


def ops_at_activity(ops: dict[str, Any], synapses: float, steps: float, activity: float
                    ) -> dict[str, float]:
    """The learner's op counts with its synaptic events set to ``activity * S * T``, its
    spikes scaled alike (the measured fan-out) and one weight read per event added or
    removed; every other count unchanged."""
    activity = check_float("activity", activity, low=0.0)
    out = {k: float(v) for k, v in ops.items() if _num(v) is not None}
    ev = out.get("synaptic_events", 0.0)
    new = activity * float(synapses) * float(steps)
    if ev > 0:
        out["spikes"] = out.get("spikes", 0.0) * new / ev
    out["synaptic_events"] = new
    out["mem_read_bytes"] = out.get("mem_read_bytes", 0.0) + COUNTED_VALUE_BYTES * (new - ev)
    return out


def break_even(ops: dict[str, Any], hardware: dict[str, Any], profile: Profile | str,
               settings: dict[str, Any] | None = None, learner: str = "") -> dict[str, Any]:
    """Break-even activity of one spiking configuration under ``profile``.

    Parameters
    ----------
    ops : dict
        Op counts per inference (a row's ``ops``), with ``synaptic_events``,
        ``neuron_updates`` and memory traffic.
    hardware : dict
        A row's ``hardware``: ``synapses``, ``neurons``, ``footprint_bytes``.
    profile : Profile or str
    settings : dict, optional
        The learner's settings (``steps_per_input``).
    learner : str
        The learner's registered name (see :data:`STATIC_LEARNERS`).

    Returns
    -------
    dict
        ``activity`` (measured ``a``), ``steps`` (``T``) and ``steps_how``, ``synapses``;
        per level of :data:`LEVELS`: ``break_even`` (``a*``), ``ratio`` (``c_mac / c_ev``),
        ``e_meas``, ``e_dense`` (J), ``c_mac``, ``c_ev`` (pJ); ``dense_on`` (the profile
        that runs the dense network) and ``why`` (``None`` when priced, else the reason).
    """
    prof = _resolve(profile)
    out: dict[str, Any] = {"profile": prof.name, "why": None, "activity": None,
                           "break_even": None, "ratio": None, "e_meas": None,
                           "e_dense": None, "c_mac": None, "c_ev": None, "dense_on": None}
    steps, how = input_steps(ops, hardware, settings, learner)
    syn = _num(hardware.get("synapses"))
    foot = _num(hardware.get("footprint_bytes"))
    out.update(steps=steps, steps_how=how, synapses=syn)
    ev = _num(ops.get("synaptic_events")) or 0.0
    if ev <= 0:
        out["why"] = "no synaptic events: not a spiking network"
        return out
    if steps is None or not syn:
        out["why"] = how if steps is None else "no synapse count recorded"
        return out
    out["activity"] = measured_activity(ops, hardware, steps)
    dprof = dense_profile(prof)
    if dprof is None:
        out["why"] = f"{prof.name} cannot run the dense network and has no host that can"
        return out
    out["dense_on"] = dprof.name
    e_meas = energy_range(ops, prof, memory=True, footprint_bytes=foot)
    e_dense = energy_range(dense_ops(syn, steps), dprof, memory=True, footprint_bytes=foot)
    if e_meas is None or e_dense is None:
        out["why"] = (energy_unpriced_reason(ops, prof, foot) if e_meas is None else
                      energy_unpriced_reason(dense_ops(syn, steps), dprof, foot)) \
            or "cannot be priced"
        return out
    spe = (_num(ops.get("spikes")) or 0.0) / ev
    keys = ("break_even", "ratio", "e_meas", "e_dense", "c_mac", "c_ev")
    vals: dict[str, dict[str, float]] = {k: {} for k in keys}
    for lev in LEVELS:
        c_mac = mac_price(prof, foot, lev)
        c_ev = event_price(prof, foot, spe, lev)
        if c_mac is None or c_ev is None or c_ev <= 0:
            out["why"] = f"{prof.name} has no price for a synaptic event"
            return out
        per_activity = syn * steps * c_ev * 1e-12   # J per unit of activity
        vals["break_even"][lev] = out["activity"] + (e_dense[lev] - e_meas[lev]) \
            / per_activity
        vals["ratio"][lev] = c_mac / c_ev
        vals["e_meas"][lev], vals["e_dense"][lev] = e_meas[lev], e_dense[lev]
        vals["c_mac"][lev], vals["c_ev"][lev] = c_mac, c_ev
    out.update(vals)
    return out


def spiking_energy(ops: dict[str, Any], hardware: dict[str, Any], profile: Profile | str,
                   activity: float, settings: dict[str, Any] | None = None,
                   learner: str = "") -> dict[str, float] | None:
    """Energy per inference (J, ``{"min", "typical", "max"}``) of the learner at
    ``activity``: :func:`comparisons.metrics.energy.energy_range` of
    :func:`ops_at_activity` (not the closed form, which it checks)."""
    steps, _ = input_steps(ops, hardware, settings, learner)
    syn = _num(hardware.get("synapses"))
    if steps is None or not syn:
        return None
    return energy_range(ops_at_activity(ops, syn, steps, activity), profile, memory=True,
                        footprint_bytes=_num(hardware.get("footprint_bytes")))


def dense_energy(ops: dict[str, Any], hardware: dict[str, Any], profile: Profile | str,
                 settings: dict[str, Any] | None = None, learner: str = ""
                 ) -> dict[str, float] | None:
    """Energy per inference (J) of the dense counterpart under ``profile`` (its host for a
    chip without MACs), from :func:`dense_ops`."""
    steps, _ = input_steps(ops, hardware, settings, learner)
    syn = _num(hardware.get("synapses"))
    dprof = dense_profile(profile)
    if steps is None or not syn or dprof is None:
        return None
    return energy_range(dense_ops(syn, steps), dprof, memory=True,
                        footprint_bytes=_num(hardware.get("footprint_bytes")))


__all__ = ["DAMPFHOFFER_CITATION", "DAMPFHOFFER_RANGE", "STATIC_LEARNERS",
           "SUBSTEP_SETTINGS", "break_even", "dense_energy", "dense_ops", "dense_profile",
           "event_price", "input_steps", "mac_price", "measured_activity",
           "ops_at_activity", "spiking_energy"]
