"""Training-memory measurement: bytes autograd keeps for the backward pass.

BPTT must store activations of every time step until the backward pass; a local learning
rule keeps only its traces. We measure the former directly by counting the bytes of every
tensor autograd saves (``torch.autograd.graph.saved_tensors_hooks``) during one forward pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


def autograd_saved_bytes(fn: Callable[..., torch.Tensor], *args: Any, **kwargs: Any) -> int:
    """Bytes of the tensors autograd saves while running ``fn(*args, **kwargs)``.

    Tensors are counted once each (by storage pointer and size), parameters included when
    autograd saves them (they are shared, so they are subtracted by the caller if needed).
    """
    seen: set[tuple[int, int]] = set()
    total = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal total
        key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
        if key not in seen:
            seen.add(key)
            total += t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn(*args, **kwargs)
        if isinstance(out, torch.Tensor) and out.requires_grad:
            out.sum()  # make sure the graph is complete
    return int(total)
