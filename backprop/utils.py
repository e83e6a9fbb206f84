"""Small shared helpers for :mod:`backprop`: device resolution, seeding, shape checks.

Everything here raises errors in the project's one template: the parameter, the value and what
is allowed (``ValueError("Trainer.lr must be > 0, got -1.0")``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch

from neurosim.devices import resolve_device  # one rule for all packages
from neurosim.validation import check_choice, check_int, check_real  # one wording for all

__all__ = [
    "check_choice",
    "check_int",
    "check_positive_int",
    "check_real",
    "check_sequence",
    "layout_hint",
    "resolve_device",
    "seeded",
]


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Run a block with torch's global RNG seeded, restoring the outer RNG state afterwards.

    ``seed=None`` leaves the global RNG alone (the block draws from it as usual).
    Used to make module construction (``nn.LSTM`` draws its initial weights from the global
    generator) reproducible without disturbing the caller's random stream.
    """
    seed = check_int("seed", seed, allow_none=True)
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def check_positive_int(name: str, value: object, *, allow_none: bool = False) -> int | None:
    """``value`` as an int >= 1 (:func:`neurosim.validation.check_int`; ``bool`` is
    rejected): ``"RNNConfig.hidden_size must be >= 1, got 0"``."""
    return check_int(name, value, low=1, allow_none=allow_none)


def _fmt(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def check_sequence(
    x: object,
    input_size: int,
    *,
    batch_first: bool = False,
    name: str = "x",
    owner: str = "model",
) -> torch.Tensor:
    """Validate a batch of sequences and return it (unchanged).

    Parameters
    ----------
    x : torch.Tensor, shape (T, B, F) or (B, T, F) when ``batch_first``
        The input sequences.
    input_size : int
        Expected feature size ``F``.
    batch_first : bool
        Layout the owner expects.
    name, owner : str
        Used in the error messages.

    Raises
    ------
    TypeError
        Not a tensor, or not a floating-point tensor.
    ValueError
        Wrong rank, wrong feature size (with a ``batch_first`` hint when the sizes suggest the
        axes are swapped), or an empty sequence / batch.
    """
    layout = "(B, T, {F})" if batch_first else "(T, B, {F})"
    expected = layout.format(F=input_size)
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{owner} expected {name} as a torch.Tensor of shape {expected}, "
            f"got {type(x).__name__}; wrap arrays with torch.as_tensor(..., dtype=torch.float32)"
        )
    if not torch.is_floating_point(x):
        raise TypeError(
            f"{owner} expected a floating-point {name} of shape {expected}, got dtype {x.dtype}; "
            "use x.float()"
        )
    shape = tuple(x.shape)
    if x.ndim != 3:
        hint = ""
        if x.ndim == 2 and shape[-1] == input_size:
            hint = (
                "; a single sequence needs a batch axis: x.unsqueeze(0)"
                if batch_first
                else "; a single sequence needs a batch axis: x.unsqueeze(1)"
            )
        raise ValueError(
            f"{owner} expected {name} of rank 3 with shape {expected}, got {_fmt(shape)} "
            f"(rank {x.ndim}){hint}"
        )
    if shape[-1] != input_size:
        if input_size in shape[:2]:
            axis = shape.index(input_size)
            hint = (
                f"; the {input_size} features seem to be on axis {axis}: move them last "
                f"(e.g. x.transpose({axis}, 2)) so that the shape is {expected}"
            )
        else:
            hint = f"; the last axis must hold the {input_size} input features"
        raise ValueError(f"{owner} expected {name} of shape {expected}, got {_fmt(shape)}{hint}")
    t_axis, b_axis = (1, 0) if batch_first else (0, 1)
    if shape[t_axis] == 0:
        raise ValueError(
            f"{owner} got an empty sequence: {name} has shape {_fmt(shape)} with T = 0 "
            f"(expected {expected} with T >= 1)"
        )
    if shape[b_axis] == 0:
        raise ValueError(
            f"{owner} got an empty batch: {name} has shape {_fmt(shape)} with B = 0 "
            f"(expected {expected} with B >= 1)"
        )
    return x


def layout_hint(x_shape: Sequence[int], batch_size: int, batch_first: bool) -> str:
    """A ``batch_first`` hint when ``x``'s other leading axis matches a known batch size.

    Used where the batch size is known from another tensor (targets, a carried state): if
    ``x`` is (T, B, F) by contract but its *time* axis has the batch size, the caller most
    likely passed (B, T, F).
    """
    if len(x_shape) != 3:
        return ""
    t_axis, b_axis = (1, 0) if batch_first else (0, 1)
    if x_shape[t_axis] == batch_size and x_shape[b_axis] != batch_size:
        want, other = ("(B, T, F)", "(T, B, F)") if batch_first else ("(T, B, F)", "(B, T, F)")
        flag = "batch_first=False" if batch_first else "batch_first=True"
        return (
            f"; it looks like {other} was passed where {want} is expected: "
            f"use x.transpose(0, 1) or build the model with {flag}"
        )
    return ""
