"""Array-agnostic helpers (numpy arrays and torch tensors) for the plasticity rules."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def clip(x: Any, lo: float, hi: float) -> Any:
    """Elementwise clip to ``[lo, hi]`` (either bound may be +-inf)."""
    if is_torch(x):
        import torch

        return torch.clamp(x, min=None if math.isinf(lo) else lo,
                           max=None if math.isinf(hi) else hi)
    return np.clip(x, lo, hi)


def where(cond: Any, a: Any, b: Any) -> Any:
    if is_torch(cond):
        import torch

        return torch.where(cond, a, b)
    return np.where(cond, a, b)


def as_float(x: Any, like: Any) -> Any:
    """Spikes (bool) -> float array of ``like``'s kind and dtype."""
    if is_torch(like):
        return x.to(like.dtype)
    return np.asarray(x, dtype=like.dtype)


def all_finite(x: Any) -> bool:
    if is_torch(x):
        import torch

        return bool(torch.isfinite(x).all())
    return bool(np.isfinite(x).all())


def zeros_like(x: Any) -> Any:
    if is_torch(x):
        import torch

        return torch.zeros_like(x)
    return np.zeros_like(x)


def gather(x: Any, idx: Any | None, dense_axis: int) -> Any:
    """Per-synapse view of a per-neuron array ``x`` ``(B, n)``.

    ``idx`` is the synapse -> neuron index ``(n_syn,)`` (sparse layout, result
    ``(B, n_syn)``); ``None`` means the dense layout ``(B, n_pre, n_post)``, and ``x`` is
    broadcast along ``dense_axis`` (1 for pre, 2 for post quantities).
    """
    if idx is None:
        return x[:, :, None] if dense_axis == 1 else x[:, None, :]
    return x[:, idx]


def scatter_sum(vals: Any, idx: Any | None, n: int, axis: int) -> Any:
    """Sum per-synapse values onto neurons: ``(B, n_syn) -> (B, n)`` (or dense
    ``(B, n_pre, n_post)`` summed over the other axis)."""
    if idx is None:
        return vals.sum(2 if axis == 1 else 1)
    if is_torch(vals):
        import torch

        out = torch.zeros((vals.shape[0], n), dtype=vals.dtype, device=vals.device)
        return out.index_add_(1, idx, vals)
    return np.stack([np.bincount(idx, weights=v, minlength=n) for v in vals])
