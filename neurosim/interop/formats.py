"""Spike trains and monitor recordings to and from files and other tools' layouts.

* NumPy ``.npz`` (always available): :func:`save_spikes` / :func:`load_spikes`,
  :func:`save_states` / :func:`load_states`, :func:`save_rates` / :func:`load_rates`
  (or :func:`save_monitor` for any monitor). Arrays are stored as they are (int64 indices,
  float64 SI values); a JSON ``meta`` entry holds ``n``, ``dt``, ``t_start``, ``t_stop``, the
  units and the group name. Files are written atomically (temporary file, then rename) and
  read with ``allow_pickle=False``.
* neo (Garcia et al. 2014, *Front. Neuroinform.* 8:10): :func:`to_neo` returns a
  ``neo.Segment`` with one ``SpikeTrain`` per neuron (or ``AnalogSignal`` s for state and
  rate monitors) when ``neo`` is installed (``pip install neurosim[neo]``);
  :func:`to_neo_dict` gives the same layout as plain dicts and arrays without neo, and
  :func:`from_neo` reads either back into :class:`SpikeData`.
* Parquet: :func:`comparisons.store.export_parquet` writes the results store via pandas.

What each format carries and what it loses:

==================  ==============================================  ========================
format              carries                                         loses
==================  ==============================================  ========================
spikes ``.npz``     neuron index, time (s), batch copy (if B > 1),  nothing of the monitor
                    ``n``, ``dt``, ``t_start``/``t_stop``, group    (steps = round(t / dt))
                    name, units, user metadata
states ``.npz``     sample times, every variable ``(R, B, k)``,     nothing of the monitor
                    recorded indices, ``dt``, ``every``, units
rates ``.npz``      per-step rate (Hz) ``(T, B)``, times, ``n``,    nothing (counts =
                    ``dt``                                          rate * n * dt)
neo Segment / dict  per-neuron SpikeTrains (s) with ``t_start``,    the batch dimension (one
                    ``t_stop``, sampling rate 1/dt, index           copy per Segment), the
                    annotation; AnalogSignals (units attached) for  step grid (times are
                    states and rates                                floats), user metadata
                                                                    beyond annotations
Parquet (results)   one row per run, nested metrics flattened to    artifacts (arrays) and
                    ``a.b`` columns, JSON for lists                 column types of lists
==================  ==============================================  ========================
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurosim.atomic import atomic_open
from neurosim.monitors import PopulationRateMonitor, SpikeMonitor, StateMonitor

__all__ = ["SpikeData", "StateData", "RateData", "save_spikes", "load_spikes",
           "save_states", "load_states", "save_rates", "load_rates", "save_monitor",
           "load_monitor", "to_neo", "to_neo_dict", "from_neo", "state_units"]

FORMAT_VERSION = 1


@dataclass
class SpikeData:
    """Spikes ``indices`` ``(S,)`` (int) at ``times`` ``(S,)`` (s) of ``n`` neurons, with
    ``batch`` ``(S,)`` (copy of each spike; zeros for one copy)."""

    indices: np.ndarray
    times: np.ndarray
    n: int
    dt: float | None = None
    t_start: float = 0.0
    t_stop: float | None = None
    batch: np.ndarray | None = None
    name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def spike_trains(self, batch: int = 0) -> dict[int, np.ndarray]:
        """``{neuron: sorted times}`` for one batch copy."""
        sel = np.ones(self.indices.size, bool) if self.batch is None else self.batch == batch
        i, t = self.indices[sel], self.times[sel]
        return {k: np.sort(t[i == k]) for k in range(self.n)}


@dataclass
class StateData:
    """``values[var]`` ``(R, B, k)`` sampled at ``t`` ``(R,)`` for neurons ``indices``."""

    t: np.ndarray
    values: dict[str, np.ndarray]
    indices: np.ndarray
    dt: float | None = None
    every: int = 1
    units: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class RateData:
    """Population ``rate`` ``(T, B)`` (Hz) at ``t`` ``(T,)`` of ``n`` neurons."""

    t: np.ndarray
    rate: np.ndarray
    n: int
    dt: float | None = None
    name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- helpers
def state_units(group: Any) -> dict[str, str]:
    """SI unit of each state variable of a group (``"steps"`` for the refractory counter)."""
    from neurosim.interop.brian2_script import var_unit

    names = {"volt": "V", "amp": "A", "siemens": "S", "volt/second": "V/s"}
    params = getattr(group, "params", None)
    return {v: "steps" if v == "ref" else names[var_unit(params, v)]
            for v in getattr(group, "state_vars", ())}


def _write_npz(path: Any, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path:
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"path must end in .npz, got {str(path)!r}")
    meta = {"format_version": FORMAT_VERSION, **meta}
    arrays = {**arrays, "meta": np.array(json.dumps(meta, sort_keys=True))}
    with atomic_open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def _read_npz(path: Any, kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    from neurosim.io import read_npz

    arrays = read_npz(path, f"load_{kind}")
    if "meta" not in arrays:
        raise ValueError(f"{path}: not a neurosim {kind} file (no 'meta' entry)")
    meta = json.loads(str(arrays.pop("meta")))
    if meta.get("kind") != kind:
        raise ValueError(f"{path}: holds {meta.get('kind')!r} data, expected {kind!r}; use "
                         f"load_{meta.get('kind')}")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(f"{path}: format version {meta['format_version']} is newer than "
                         f"this neurosim reads ({FORMAT_VERSION})")
    return arrays, meta


def _as_spike_data(spikes: Any, n: int | None, dt: float | None) -> SpikeData:
    if isinstance(spikes, SpikeData):
        return spikes
    if isinstance(spikes, SpikeMonitor):
        b = spikes.batch
        return SpikeData(spikes.i.astype(np.int64), np.asarray(spikes.t, float),
                         spikes.group.n if n is None else n, spikes.dt if dt is None else dt,
                         batch=b if b.size and b.max() > 0 else None,
                         name=getattr(spikes.group, "name", None))
    if isinstance(spikes, tuple) and len(spikes) == 2:
        i = np.asarray(spikes[0])
        t = np.asarray(spikes[1], dtype=np.float64)
        if i.ndim != 1 or i.shape != t.shape:
            raise ValueError(f"spikes (i, t) must be 1-D of equal length, got shapes "
                             f"{i.shape} and {t.shape}")
        if i.size and not np.issubdtype(i.dtype, np.integer):
            raise TypeError(f"spike indices must be integers, got {i.dtype}")
        if n is None:
            n = int(i.max()) + 1 if i.size else 0
        return SpikeData(i.astype(np.int64), t, int(n), dt)
    raise TypeError(f"spikes must be a SpikeMonitor, SpikeData or an (indices, times) tuple, "
                    f"got {type(spikes).__name__}")


# ---------------------------------------------------------------------------- spikes
def save_spikes(path: Any, spikes: Any, n: int | None = None, dt: float | None = None,
                t_start: float | None = None, t_stop: float | None = None,
                metadata: dict[str, Any] | None = None) -> Path:
    """Write spikes to ``path`` (``.npz``).

    Parameters
    ----------
    path : file name ending in ``.npz``.
    spikes : a :class:`~neurosim.monitors.SpikeMonitor`, a :class:`SpikeData`, or a tuple
        ``(indices (S,) int, times (S,) s)``.
    n : number of neurons (default: the monitored group's size, else ``max(i) + 1``).
    dt : time step (s) (default: the monitor's).
    t_start, t_stop : recording window (s); default ``0`` and the last spike's step end
        (``max(t) + dt``), or what ``spikes`` already carries.
    metadata : extra JSON-serialisable information kept with the spikes.
    """
    sd = _as_spike_data(spikes, n, dt)
    if sd.indices.size and (sd.indices.min() < 0 or sd.indices.max() >= sd.n):
        raise ValueError(f"spike indices must be in [0, n={sd.n}), got range "
                         f"[{sd.indices.min()}, {sd.indices.max()}]")
    t0 = float(t_start if t_start is not None else sd.t_start)
    t1 = t_stop if t_stop is not None else sd.t_stop
    if t1 is None:
        t1 = float(sd.times.max() + (sd.dt or 0.0)) if sd.times.size else t0
    if sd.times.size and (sd.times.min() < t0 or sd.times.max() > t1):
        raise ValueError(f"spike times must lie in [t_start, t_stop] = [{t0}, {t1}], got "
                         f"[{sd.times.min()}, {sd.times.max()}]")
    arrays = {"indices": sd.indices, "times": sd.times}
    if sd.batch is not None:
        arrays["batch"] = np.asarray(sd.batch, np.int64)
    meta = {"kind": "spikes", "n": int(sd.n), "dt": sd.dt, "t_start": t0, "t_stop": float(t1),
            "units": {"times": "s", "dt": "s"}, "name": sd.name,
            "metadata": {**sd.metadata, **(metadata or {})}}
    return _write_npz(path, arrays, meta)


def load_spikes(path: Any) -> SpikeData:
    """Read a file written by :func:`save_spikes`."""
    a, m = _read_npz(path, "spikes")
    return SpikeData(a["indices"], a["times"], m["n"], m["dt"], m["t_start"], m["t_stop"],
                     a.get("batch"), m.get("name"), m.get("metadata", {}))


# ---------------------------------------------------------------------------- states, rates
def save_states(path: Any, monitor: StateMonitor | StateData,
                metadata: dict[str, Any] | None = None) -> Path:
    """Write what a :class:`~neurosim.monitors.StateMonitor` recorded (``.npz``): ``t``
    ``(R,)``, one ``(R, B, k)`` array per variable, the recorded ``indices``, ``dt``,
    ``every`` and the SI unit of each variable."""
    if isinstance(monitor, StateMonitor):
        units = state_units(monitor.group)
        sd = StateData(np.asarray(monitor.t, float), {v: monitor[v] for v in monitor.variables},
                       monitor.indices, monitor.dt, monitor.every,
                       {v: units.get(v, "") for v in monitor.variables},
                       getattr(monitor.group, "name", None))
    elif isinstance(monitor, StateData):
        sd = monitor
    else:
        raise TypeError(f"monitor must be a StateMonitor or StateData, got "
                        f"{type(monitor).__name__}")
    arrays = {"t": sd.t, "indices": np.asarray(sd.indices, np.int64),
              **{f"var_{v}": np.asarray(x, float) for v, x in sd.values.items()}}
    meta = {"kind": "states", "variables": list(sd.values), "dt": sd.dt, "every": sd.every,
            "units": {"t": "s", **sd.units}, "name": sd.name,
            "metadata": {**sd.metadata, **(metadata or {})}}
    return _write_npz(path, arrays, meta)


def load_states(path: Any) -> StateData:
    """Read a file written by :func:`save_states`."""
    a, m = _read_npz(path, "states")
    units = {k: v for k, v in m["units"].items() if k != "t"}
    return StateData(a["t"], {v: a[f"var_{v}"] for v in m["variables"]}, a["indices"],
                     m["dt"], m["every"], units, m.get("name"), m.get("metadata", {}))


def save_rates(path: Any, monitor: PopulationRateMonitor | RateData,
               metadata: dict[str, Any] | None = None) -> Path:
    """Write a :class:`~neurosim.monitors.PopulationRateMonitor` (``.npz``): ``t`` ``(T,)``,
    ``rate`` ``(T, B)`` in Hz, ``n`` and ``dt``."""
    if isinstance(monitor, PopulationRateMonitor):
        rd = RateData(np.asarray(monitor.t, float), np.asarray(monitor.rate, float),
                      monitor.group.n, monitor.dt, getattr(monitor.group, "name", None))
    elif isinstance(monitor, RateData):
        rd = monitor
    else:
        raise TypeError(f"monitor must be a PopulationRateMonitor or RateData, got "
                        f"{type(monitor).__name__}")
    meta = {"kind": "rates", "n": int(rd.n), "dt": rd.dt, "units": {"t": "s", "rate": "Hz"},
            "name": rd.name, "metadata": {**rd.metadata, **(metadata or {})}}
    return _write_npz(path, {"t": rd.t, "rate": rd.rate}, meta)


def load_rates(path: Any) -> RateData:
    """Read a file written by :func:`save_rates`."""
    a, m = _read_npz(path, "rates")
    return RateData(a["t"], a["rate"], m["n"], m["dt"], m.get("name"), m.get("metadata", {}))


def save_monitor(path: Any, monitor: Any, **kw: Any) -> Path:
    """:func:`save_spikes`, :func:`save_states` or :func:`save_rates`, by monitor type."""
    for types, fn in (((SpikeMonitor, SpikeData), save_spikes),
                      ((StateMonitor, StateData), save_states),
                      ((PopulationRateMonitor, RateData), save_rates)):
        if isinstance(monitor, types):
            return fn(path, monitor, **kw)
    raise TypeError(f"save_monitor: expected a SpikeMonitor, StateMonitor or "
                    f"PopulationRateMonitor, got {type(monitor).__name__}")


def load_monitor(path: Any) -> SpikeData | StateData | RateData:
    """Load any file written by this module (the kind is read from its metadata)."""
    from neurosim.io import read_npz

    arrays = read_npz(path, "load_monitor")
    kind = json.loads(str(arrays["meta"])).get("kind") if "meta" in arrays else None
    loaders = {"spikes": load_spikes, "states": load_states, "rates": load_rates}
    if kind not in loaders:
        raise ValueError(f"{path}: not a neurosim monitor file (kind {kind!r})")
    return loaders[kind](path)


# ---------------------------------------------------------------------------- neo
def to_neo_dict(data: Any, batch: int = 0) -> dict[str, Any]:
    """neo's Segment layout as plain dicts (no neo needed).

    Returns ``{"name", "spiketrains": [{"times" (s), "units": "s", "t_start", "t_stop",
    "sampling_rate" (Hz), "annotations": {"index": k}}], "analogsignals": [{"signal" (T, k),
    "units", "sampling_period" (s), "t_start", "name", "array_annotations": {"index"}}],
    "annotations"}`` for one batch copy ``batch``.
    """
    if isinstance(data, (SpikeMonitor, tuple)):
        data = _as_spike_data(data, None, None)
    if isinstance(data, StateMonitor):
        units = state_units(data.group)
        data = StateData(np.asarray(data.t, float), {v: data[v] for v in data.variables},
                         data.indices, data.dt, data.every,
                         {v: units.get(v, "") for v in data.variables}, data.group.name)
    if isinstance(data, PopulationRateMonitor):
        data = RateData(np.asarray(data.t, float), np.asarray(data.rate, float),
                        data.group.n, data.dt, data.group.name)
    seg: dict[str, Any] = {"name": getattr(data, "name", None), "spiketrains": [],
                           "analogsignals": [], "annotations": {"batch": batch}}
    if isinstance(data, SpikeData):
        t1 = data.t_stop
        if t1 is None:
            t1 = float(data.times.max() + (data.dt or 0.0)) if data.times.size else \
                data.t_start
        rate = 1.0 / data.dt if data.dt else None
        seg["annotations"].update(n=data.n, dt=data.dt)
        for k, t in data.spike_trains(batch).items():
            seg["spiketrains"].append({"times": t, "units": "s", "t_start": data.t_start,
                                       "t_stop": float(t1), "sampling_rate": rate,
                                       "annotations": {"index": k}})
    elif isinstance(data, StateData):
        period = (data.dt or 0.0) * data.every
        t0 = float(data.t[0]) if data.t.size else 0.0
        for v, x in data.values.items():
            seg["analogsignals"].append({
                "signal": np.asarray(x)[:, batch, :], "units": data.units.get(v, ""),
                "sampling_period": period, "t_start": t0, "name": v,
                "array_annotations": {"index": np.asarray(data.indices)}})
    elif isinstance(data, RateData):
        t0 = float(data.t[0]) if data.t.size else 0.0
        seg["annotations"].update(n=data.n)
        seg["analogsignals"].append({"signal": np.asarray(data.rate)[:, batch:batch + 1],
                                     "units": "Hz", "sampling_period": data.dt or 0.0,
                                     "t_start": t0, "name": "rate",
                                     "array_annotations": {}})
    else:
        raise TypeError(f"to_neo: expected a monitor, SpikeData, StateData, RateData or (i, t),"
                        f" got {type(data).__name__}")
    return seg


def _neo() -> Any:
    try:
        import neo
        import quantities
    except ImportError as exc:
        raise ImportError("to_neo/from_neo need the 'neo' package: pip install "
                          "'neurosim[neo]' (or pip install neo); to_neo_dict gives the same "
                          "layout without it") from exc
    return neo, quantities


_PQ = {"s": "s", "V": "V", "A": "A", "S": "S", "V/s": "V/s", "Hz": "Hz", "steps": "dimensionless",
       "": "dimensionless"}


def to_neo(data: Any, batch: int = 0) -> Any:
    """A ``neo.Segment`` with one ``SpikeTrain`` per neuron (spike data) or one
    ``AnalogSignal`` per variable (state and rate data) for batch copy ``batch``; needs
    ``neo`` (``pip install neurosim[neo]``). Layout: :func:`to_neo_dict`."""
    neo, pq = _neo()
    d = to_neo_dict(data, batch)
    seg = neo.Segment(name=d["name"], **d["annotations"])
    for st in d["spiketrains"]:
        kw = {"sampling_rate": st["sampling_rate"] * pq.Hz} if st["sampling_rate"] else {}
        seg.spiketrains.append(neo.SpikeTrain(
            st["times"] * pq.s, t_start=st["t_start"] * pq.s, t_stop=st["t_stop"] * pq.s,
            **kw, **st["annotations"]))
    for a in d["analogsignals"]:
        sig = neo.AnalogSignal(a["signal"], units=_PQ.get(a["units"], a["units"]),
                               sampling_period=a["sampling_period"] * pq.s,
                               t_start=a["t_start"] * pq.s, name=a["name"])
        for k, v in a["array_annotations"].items():
            sig.array_annotate(**{k: v})
        seg.analogsignals.append(sig)
    return seg


def from_neo(segment: Any) -> SpikeData:
    """Spikes of a ``neo.Segment`` (or a :func:`to_neo_dict` layout) as :class:`SpikeData`;
    neuron ``k`` is the train's ``index`` annotation, else its position."""
    if isinstance(segment, dict):
        trains = [(st["annotations"].get("index", k), np.asarray(st["times"], float),
                   st["t_start"], st["t_stop"], st.get("sampling_rate"))
                  for k, st in enumerate(segment["spiketrains"])]
        ann = segment.get("annotations", {})
    else:
        _, pq = _neo()
        trains = [(st.annotations.get("index", k), np.asarray(st.rescale(pq.s).magnitude),
                   float(st.t_start.rescale(pq.s)), float(st.t_stop.rescale(pq.s)),
                   float(st.sampling_rate.rescale(pq.Hz)) if st.sampling_rate is not None
                   else None) for k, st in enumerate(segment.spiketrains)]
        ann = dict(segment.annotations)
    idx = np.concatenate([np.full(t.size, k, np.int64) for k, t, *_ in trains]) if trains \
        else np.zeros(0, np.int64)
    times = np.concatenate([t for _, t, *_ in trains]) if trains else np.zeros(0)
    order = np.lexsort((idx, times))
    n = int(ann.get("n", max((k for k, *_ in trains), default=-1) + 1))
    rate = trains[0][4] if trains else None
    dt = ann.get("dt", 1.0 / rate if rate else None)
    return SpikeData(idx[order], times[order], n, dt,
                     trains[0][2] if trains else 0.0, trains[0][3] if trains else None,
                     name=segment.get("name") if isinstance(segment, dict) else segment.name)
