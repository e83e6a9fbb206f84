"""One place that turns a ``device`` setting into a device, for all three packages.

``neurosim`` (the engine's torch backend, the associative memories), ``backprop`` and
``comparisons`` accept the same settings and answer them the same way:

=====================  ==================================================================
``"auto"``             CUDA when torch sees a device, else the CPU
``"cpu"``              the CPU
``"cuda"``, ``"cuda:k"``  that CUDA device; asking for it without CUDA (or for a missing
                       index) is a :class:`RuntimeError` now, not a failure deep in a kernel
``"mps"``              Apple's GPU, where torch has it
a ``torch.device``     checked the same way
=====================  ==================================================================

Anything else is a :class:`ValueError` that names the value and the choices.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["CHOICES", "cuda_available", "device_name", "resolve_device"]

#: the device settings, as the errors list them
CHOICES = ("auto", "cpu", "cuda", "cuda:<index>", "mps")


def cuda_available() -> bool:
    """True when torch sees a CUDA device.

    Without an NVIDIA driver (no ``/proc/driver/nvidia/version``) and torch not yet imported,
    answers False without importing torch (about 2 CPU-s saved on a first
    ``Network(backend="auto")``).
    """
    if "torch" not in sys.modules and sys.platform.startswith("linux") and not \
            os.path.exists("/proc/driver/nvidia/version"):
        return False
    try:
        import torch
    except ImportError:  # pragma: no cover
        return False
    return bool(torch.cuda.is_available())


def _unknown(device: Any) -> ValueError:
    return ValueError(f"unknown device {device!r}; choose from: {', '.join(CHOICES)}")


def resolve_device(device: Any = "auto") -> Any:
    """The ``torch.device`` a setting names.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:<index>"``, ``"mps"`` or a torch.device.

    Returns
    -------
    torch.device

    Raises
    ------
    TypeError
        ``device`` is neither a str nor a torch.device.
    ValueError
        An unknown device string.
    RuntimeError
        CUDA (or MPS) asked for where torch has none, or a CUDA index that does not exist.
    """
    import torch

    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if cuda_available() else "cpu")
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise _unknown(device) from exc
    else:
        raise TypeError(f"device must be a str or torch.device, got "
                        f"{type(device).__name__} ({device!r})")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device={str(device)!r} was requested but CUDA is not available on this "
                "machine (torch.cuda.is_available() is False); use device='auto' or 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise RuntimeError(f"device={str(device)!r} was requested but only "
                               f"{torch.cuda.device_count()} CUDA device(s) exist")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise RuntimeError(f"device={str(device)!r} was requested but MPS is not available")
    elif dev.type != "cpu":
        raise _unknown(device)
    return dev


def device_name(device: Any = "auto", *, check_available: bool = True) -> str:
    """:func:`resolve_device` as a string (``"cpu"``, ``"cuda"``, ``"cuda:1"``).

    ``"auto"`` and ``"cpu"`` answer without importing torch where there is no NVIDIA
    driver. ``check_available=False`` checks the spelling only (naming a backend for a
    device need not have the device: ``resolve_backend_name("auto", "cuda")`` is
    ``"torch"`` on any machine).
    """
    if device == "cpu" or (device == "auto" and not cuda_available()):
        return "cpu"
    if device == "auto":
        return "cuda"
    if not check_available and isinstance(device, str):
        kind, _, index = device.partition(":")
        if kind in ("cuda", "mps") and (not index or (kind == "cuda" and index.isdigit())):
            return device
        raise _unknown(device)
    return str(resolve_device(device))
