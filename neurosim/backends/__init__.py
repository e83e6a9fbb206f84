"""Backend registry. Models never import backends; the Network picks one by name.

* ``"numpy"`` — reference: calls each model's pure step function on numpy arrays.
* ``"numba"`` — compiled CPU hot loop (whole chunks of steps in one call).
* ``"torch"`` — CPU/GPU tensors with a leading batch dimension; calls the pure step
  functions on tensors.
* ``"auto"`` — torch on a CUDA device, otherwise numba (numpy if numba is missing).

All backends give the same spikes for the same seed and inputs (float64; tested).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_REGISTRY: dict[str, str] = {
    "numpy": "neurosim.backends.array_backend:NumpyBackend",
    "numba": "neurosim.backends.numba_cpu:NumbaBackend",
    "torch": "neurosim.backends.torch_backend:TorchBackend",
}

#: what "auto" means on a CPU
_AUTO_CPU = "numba"

__all__ = ["register_backend", "get_backend", "available_backends", "resolve_backend_name",
           "resolve_device", "ChunkOut"]


@dataclass
class ChunkOut:
    """What a backend returns for a chunk of ``k`` steps (all numpy). The spike arrays
    belong to the caller (monitors keep them without copying): never views of buffers the
    backend writes again."""

    counts: dict[str, np.ndarray] = field(default_factory=dict)   # group -> (k, B) int
    events: dict[str, int] = field(default_factory=dict)          # projection -> events
    spikes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict)                                     # group -> (step, b, i)
    states: list[tuple[np.ndarray, dict[str, np.ndarray]]] = field(default_factory=list)


def register_backend(name: str, target: str) -> None:
    """Register ``"module:Class"`` under ``name``.

    The class (instantiated without arguments) has ``prepare(plan, state, network=None)``
    returning a runner for the :class:`~neurosim.network.Plan` (plastic projections
    included; ``network`` gives their ``learning`` switch and op counters): a subclass of
    :class:`neurosim.backends.array_backend.ArrayBackend` only supplies its array ``ops``.
    """
    _REGISTRY[name] = target


def default_threads() -> int:
    """Threads the compiled CPU backend uses for ``Network(threads=None)``: the environment
    variable ``NEUROSIM_NUM_THREADS`` if set (a positive integer), else the number of cores
    this process may run on (``os.sched_getaffinity``; ``os.cpu_count`` elsewhere)."""
    import os

    env = os.environ.get("NEUROSIM_NUM_THREADS")
    if env is not None:
        try:
            n = int(env)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"NEUROSIM_NUM_THREADS must be a positive integer, got {env!r}")
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def available_backends() -> list[str]:
    return sorted(_REGISTRY)


def resolve_device(device: str) -> str:
    """The device a setting names, as a string, spelling checked
    (:func:`neurosim.devices.device_name`; whether the device exists is checked where the
    torch backend puts tensors on it)."""
    from neurosim.devices import device_name

    return device_name(device, check_available=False)


def resolve_backend_name(name: str, device: str = "auto") -> str:
    if not isinstance(name, str):
        raise TypeError(f"backend must be a str, got {type(name).__name__}")
    if name == "auto":
        if resolve_device(device).startswith("cuda"):
            return "torch"
        return _AUTO_CPU
    if name not in _REGISTRY:
        raise ValueError(f"unknown backend {name!r}; choose from: auto, "
                         + ", ".join(available_backends()))
    resolve_device(device)
    return name


def get_backend(name: str) -> Any:
    mod, cls = _REGISTRY[name].split(":")
    return getattr(importlib.import_module(mod), cls)()
