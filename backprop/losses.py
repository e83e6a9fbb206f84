"""Training losses of :class:`backprop.train.Trainer`: a masked mean of an elementwise loss.

Mean squared error, binary cross-entropy on logits, cross-entropy on logits with integer class
targets, each averaged over the unmasked elements only (padded steps of variable-length
sequences, steps without a target).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "LossFn", "NonFiniteLossError", "masked_loss"]

LOSSES = ("mse", "bce", "ce")

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; the message names the step and what to try."""


# --------------------------------------------------------------------------- pure loss
def masked_loss(
    kind: str | LossFn,
    pred: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""Mean loss over the (unmasked) elements.

    .. math:: L = \frac{\sum_i m_i \, \ell(\hat y_i, y_i)}{\sum_i m_i}

    Parameters
    ----------
    kind : {"mse", "bce", "ce"} or callable
        ``"bce"`` and ``"ce"`` take logits; ``"ce"`` takes class indices as targets. A
        callable ``f(pred, target) -> scalar`` is used as is (no mask).
    pred : Tensor, shape (..., O)
    target : Tensor, shape (..., O) (mse, bce) or (...) integer classes (ce)
    mask : Tensor or None
        Shape of ``target`` or of ``target`` without its last axis; 1 = counts, 0 = ignored.
    """
    if callable(kind):
        if mask is not None:
            raise ValueError("mask is not supported with a callable loss; apply it inside")
        return kind(pred, target)
    # elementwise losses + an explicit mean (not the fused mean reductions): torch.func's
    # forward-over-reverse (Hessian-free's loss Hessian) fails on the fused mse_loss backward
    if kind == "ce":
        if target.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
            raise TypeError(f"loss 'ce' needs integer class targets, got dtype {target.dtype}")
        if tuple(pred.shape[:-1]) != tuple(target.shape):
            raise ValueError(
                f"loss 'ce' needs targets of shape {tuple(pred.shape[:-1])} (the outputs "
                f"{tuple(pred.shape)} without the class axis), got {tuple(target.shape)}"
            )
        per = F.cross_entropy(
            pred.reshape(-1, pred.shape[-1]), target.reshape(-1).long(), reduction="none"
        ).reshape(target.shape)
    else:
        if tuple(pred.shape) != tuple(target.shape):
            hint = ""
            if tuple(pred.shape[:-1]) == tuple(target.shape) and pred.shape[-1] == 1:
                hint = "; add the output axis with y.unsqueeze(-1)"
            raise ValueError(
                f"loss {kind!r} needs targets shaped like the outputs {tuple(pred.shape)}, "
                f"got {tuple(target.shape)}{hint}"
            )
        target = target.to(pred.dtype)
        if kind == "mse":
            per = F.mse_loss(pred, target, reduction="none")
        else:
            per = F.binary_cross_entropy_with_logits(pred, target, reduction="none")
    if mask is None:
        return per.mean()
    mask = mask.to(per.dtype)
    if mask.shape != per.shape:
        if mask.ndim == per.ndim - 1 and mask.shape == per.shape[:-1]:
            mask = mask.unsqueeze(-1).expand_as(per)
        else:
            raise ValueError(
                f"mask must have the targets' shape {tuple(target.shape)} or that shape "
                f"without its last axis, got {tuple(mask.shape)}"
            )
    return (per * mask).sum() / mask.sum().clamp_min(1.0)
