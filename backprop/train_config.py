"""Settings and record of a :class:`backprop.train.Trainer` run.

:class:`TrainerConfig` validates the trainer's arguments at construction (names the parameter,
the value and what is allowed); :class:`History` is what :meth:`Trainer.fit` did, per epoch and
per optimisation step (it is also what a checkpoint stores).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .losses import LOSSES
from .utils import check_choice

__all__ = ["OPTIMIZERS", "History", "TrainerConfig"]

OPTIMIZERS = ("adam", "sgd", "rmsprop", "hf")


@dataclass(frozen=True)
class TrainerConfig:
    """Settings of a :class:`backprop.train.Trainer`, validated at construction."""

    loss: str | Callable = "mse"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    clip_norm: float | None = 1.0
    tbptt: tuple[int, int] | None = None
    amp: bool = False
    seed: int = 0
    progress: bool | None = None

    def __post_init__(self) -> None:
        if not callable(self.loss):
            check_choice("Trainer.loss", self.loss, LOSSES)
        if self.optimizer != "custom":
            check_choice("Trainer.optimizer", self.optimizer, OPTIMIZERS)
        for name in ("lr", "momentum", "weight_decay"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                raise TypeError(f"Trainer.{name} must be a finite float, got {v!r}")
        if self.lr <= 0:
            raise ValueError(f"Trainer.lr must be > 0, got {self.lr}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"Trainer.momentum must be in [0, 1), got {self.momentum}")
        if self.weight_decay < 0:
            raise ValueError(f"Trainer.weight_decay must be >= 0, got {self.weight_decay}")
        if self.clip_norm is not None and (
            not isinstance(self.clip_norm, int | float) or not self.clip_norm > 0
        ):
            raise ValueError(f"Trainer.clip_norm must be > 0 or None, got {self.clip_norm!r}")
        if self.tbptt is not None:
            t = self.tbptt
            if not isinstance(t, tuple | list) or len(t) != 2:
                raise TypeError(f"Trainer.tbptt must be a pair (k1, k2) of ints, got {t!r}")
            for name, k in zip(("k1", "k2"), t):
                if not isinstance(k, int) or isinstance(k, bool) or k <= 0:
                    raise ValueError(
                        f"Trainer.tbptt {name} must be a positive int, got {k!r}"
                    )
            if t[1] < t[0]:
                raise ValueError(
                    f"Trainer.tbptt k2 must be >= k1 (backpropagate at least over the k1 steps "
                    f"since the last update), got k1={t[0]}, k2={t[1]}"
                )
            object.__setattr__(self, "tbptt", (int(t[0]), int(t[1])))
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise TypeError(f"Trainer.seed must be an int, got {self.seed!r}")


@dataclass
class History:
    """What :meth:`backprop.train.Trainer.fit` did. Per-epoch lists, plus per-step loss and
    gradient norm."""

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epochs: int = 0
    steps: int = 0
    best_epoch: int | None = None
    best_loss: float | None = None
    stopped_early: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
