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
    """Bytes of the tensors autograd saves while running ``fn(*args, **kwargs)``: the
    stored activations (and inputs) of one backward pass.

    Tensors are counted once each (by storage pointer and size). Saved tensors whose base is
    a leaf that requires grad are parameters (shared by every sample, not stored per
    sample) and are left out. A saved view counts its whole storage: give ``fn`` inputs that
    own their memory (``x[:, :1].clone()``, not a view of a larger batch).
    """
    seen: set[tuple[int, int]] = set()
    total = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal total
        base = t._base if t._base is not None else t
        if base.is_leaf and base.requires_grad:    # a parameter
            return t
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


def saved_bytes_per_sample(fn: Callable[..., Any], inputs: Callable[[int], tuple[Any, ...]]
                           ) -> int:
    """Stored-activation bytes of one more sample: :func:`autograd_saved_bytes` of
    ``fn(*inputs(2))`` minus that of ``fn(*inputs(1))``.

    ``inputs(b)`` returns the arguments for a batch of ``b`` samples (tensors that own their
    memory). What a pass saves once whatever its batch (parameters, tensors derived from
    them such as a masked or transposed weight matrix) cancels; what it saves per sample
    (inputs, states, gates, spikes of every step) remains.
    """
    one = autograd_saved_bytes(fn, *inputs(1))
    two = autograd_saved_bytes(fn, *inputs(2))
    return int(max(two - one, 0))

