"""Save / load a network's dynamic state to ``.npz`` (arrays) + JSON (metadata). No pickle.

``save(net, path)`` writes the clock, every group's state, pending delayed input, the
Poisson generators' states, op counters and monitor recordings, plus a description of the
network (group sizes and parameters, projections) and a SHA-256 checksum of all arrays.
``load(net, path)`` restores it into an identically built network: the file is read and
checked completely (format, checksum, structure) before anything is changed, so a truncated
or corrupted file raises ``ValueError`` and never leaves a half-restored network. The
continuation after ``load`` is bit-identical to the continuation of the saved network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io as _io
import json
import os
from typing import Any

import numpy as np

__all__ = ["save", "load", "read_npz", "FORMAT"]

FORMAT = "neurosim-state-v1"


def _describe(net: Any) -> dict[str, Any]:
    net._ensure()
    plan = net._plan
    groups = {}
    for g in plan.groups:
        params = getattr(g, "params", None)
        groups[g.name] = {
            "type": type(g).__name__, "n": g.n,
            "params": {"class": type(params).__name__, **dataclasses.asdict(params)}
            if params is not None else None,
        }
    syns = {s.name: {"pre": s.pre.name, "post": s.post.name, "n_syn": s.n_syn,
                     "target": s.target} for s in plan.synapses}
    return {"dt": net.dt, "batch_size": net.batch_size, "groups": groups, "synapses": syns}


def _flatten(snap: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    arrays: dict[str, np.ndarray] = {}
    for k, d in snap["state"].items():
        for v, a in d.items():
            arrays[f"state/{k}/{v}"] = np.asarray(a)
    for m, d in snap["monitors"].items():
        for key, a in d.items():
            arrays[f"mon/{m}/{key}"] = np.asarray(a)
    meta = {"step_count": snap["step_count"], "rng": snap["rng"],
            "counters": snap["counters"],
            "state_keys": {k: sorted(d) for k, d in snap["state"].items()},
            "monitor_keys": {m: sorted(d) for m, d in snap["monitors"].items()}}
    return arrays, meta


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k])
        h.update(k.encode())
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save(net: Any, path: str | os.PathLike[str]) -> None:
    """Write ``net``'s full dynamic state to ``path`` (``.npz``); atomic (temp + rename)."""
    snap = net._snapshot()
    arrays, meta = _flatten(snap)
    meta.update(format=FORMAT, network=_describe(net), checksum=_checksum(arrays))
    payload = {**arrays, "__meta__": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    from neurosim.atomic import atomic_open

    with atomic_open(path, "wb") as f:
        np.savez_compressed(f, **payload)


def read_npz(path: str | os.PathLike[str], what: str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` file ``path``, read whole; the one reader of neurosim's
    files (network state, monitor data, Diehl & Cook checkpoints).

    Parameters
    ----------
    path : str or path-like
    what : str
        What the caller reads, for the error (``"neurosim.io.load"``, ``"load_spikes"``).

    Raises
    ------
    FileNotFoundError
        No such file (the path is in the message).
    ValueError
        Anything else that stops numpy reading it — truncated, corrupted, not an ``.npz``,
        or holding pickled objects (which neurosim never writes and never unpickles) —
        naming ``what`` and the path.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
        with np.load(_io.BytesIO(raw), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise
    except Exception as e:  # a corrupted header can raise anything numpy's parser raises
        why = ("it holds pickled Python objects, which neurosim never writes and does not "
               "load" if "pickle" in str(e) else f"truncated or corrupted? {e}")
        raise ValueError(f"{what}: {path!r} is not a readable neurosim .npz file ({why})"
                         ) from e


def _read(path: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays = read_npz(path, "neurosim.io.load")
    if "__meta__" not in arrays:
        raise ValueError(f"neurosim.io.load: {path!r} has no metadata; not a neurosim "
                         "state file")
    try:
        meta = json.loads(arrays.pop("__meta__").tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"neurosim.io.load: {path!r} has corrupted metadata: {e}") from e
    if meta.get("format") != FORMAT:
        raise ValueError(f"neurosim.io.load: {path!r} has format {meta.get('format')!r}, "
                         f"expected {FORMAT!r}")
    if _checksum(arrays) != meta.get("checksum"):
        raise ValueError(f"neurosim.io.load: {path!r} failed its checksum; the file is "
                         "corrupted")
    return meta, arrays


def load(net: Any, path: str | os.PathLike[str]) -> None:
    """Restore a state written by :func:`save` into ``net`` (built the same way)."""
    meta, arrays = _read(os.fspath(path))
    mine = _describe(net)
    theirs = meta["network"]
    for key in ("dt", "batch_size"):
        if mine[key] != theirs[key]:
            raise ValueError(f"neurosim.io.load: file has {key}={theirs[key]}, network has "
                             f"{key}={mine[key]}")
    for kind in ("groups", "synapses"):
        if mine[kind] != theirs[kind]:
            diff = sorted(set(mine[kind]) ^ set(theirs[kind])) or [
                k for k in mine[kind] if mine[kind][k] != theirs[kind].get(k)]
            raise ValueError(f"neurosim.io.load: the network's {kind} differ from the "
                             f"file's ({', '.join(map(str, diff))}); build the same network")
    try:
        state = {k: {v: arrays[f"state/{k}/{v}"] for v in vs}
                 for k, vs in meta["state_keys"].items()}
        monitors = {m: {key: arrays[f"mon/{m}/{key}"] for key in ks}
                    for m, ks in meta["monitor_keys"].items()}
        snap = {"step_count": int(meta["step_count"]), "state": state, "rng": meta["rng"],
                "counters": meta["counters"], "monitors": monitors}
    except KeyError as e:
        raise ValueError(f"neurosim.io.load: {path!r} lacks entry {e}") from e
    current = net._snapshot()
    if set(snap["monitors"]) != set(current["monitors"]) or set(snap["rng"]) != set(
            current["rng"]):
        raise ValueError("neurosim.io.load: monitors or Poisson groups differ from the file's")
    try:
        net._apply_snapshot(snap)
    except Exception:
        net._apply_snapshot(current)   # never leave a half-restored network
        raise
