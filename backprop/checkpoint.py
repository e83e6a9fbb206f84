"""Checkpoints of a :class:`backprop.train.Trainer`: save and resume a training run.

A checkpoint holds everything that decides how training goes on -- model and optimizer state,
learning-rate scheduler and gradient scaler (when present), the epoch reached, the
:class:`~backprop.train_config.History`, and both random generators (batch shuffling and
torch's global RNG, which drives dropout) -- so that ``fit(..., resume=True)`` continues as if
never interrupted. Writes are atomic (a temporary file, then ``os.replace``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import torch

from .train_config import History

if TYPE_CHECKING:
    from .train import Trainer

__all__ = ["load_checkpoint", "save_checkpoint"]


def save_checkpoint(trainer: Trainer, path: str | os.PathLike) -> None:
    """Save ``trainer``'s model, optimizer, scheduler, scaler, RNG states and history to
    ``path`` (atomic write)."""
    blob = {
        "model": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.scheduler.state_dict() if trainer.scheduler else None,
        "scaler": trainer.scaler.state_dict() if trainer.scaler else None,
        "epoch": trainer._epoch,
        "history": trainer.history.as_dict(),
        "shuffle_rng": trainer._gen.get_state(),
        "torch_rng": torch.get_rng_state(),
    }
    from neurosim.atomic import atomic_open

    with atomic_open(path, "wb") as f:
        torch.save(blob, f)


def load_checkpoint(trainer: Trainer, path: str | os.PathLike) -> None:
    """Restore into ``trainer`` what :func:`save_checkpoint` wrote; training resumes at the
    saved epoch."""
    blob = torch.load(path, map_location=trainer.device, weights_only=False)
    trainer.model.load_state_dict(blob["model"])
    trainer.optimizer.load_state_dict(blob["optimizer"])
    if trainer.scheduler is not None and blob["scheduler"] is not None:
        trainer.scheduler.load_state_dict(blob["scheduler"])
    if trainer.scaler is not None and blob["scaler"] is not None:
        trainer.scaler.load_state_dict(blob["scaler"])
    trainer._epoch = int(blob["epoch"])
    trainer.history = History(**blob["history"])
    trainer._gen.set_state(blob["shuffle_rng"].cpu())  # map_location may have moved them
    torch.set_rng_state(blob["torch_rng"].cpu())
