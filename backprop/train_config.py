"""Settings and record of a :class:`backprop.train.Trainer` run.

:class:`TrainerConfig` validates the trainer's arguments at construction (names the parameter,
the value and what is allowed); :class:`History` is what :meth:`Trainer.fit` did, per epoch and
per optimisation step (it is also what a checkpoint stores).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .losses import LOSSES
from .utils import check_choice, check_int, check_real

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
        check_real("Trainer.lr", self.lr, low=0, low_open=True)
        check_real("Trainer.momentum", self.momentum, low=0, high=1, high_open=True)
        check_real("Trainer.weight_decay", self.weight_decay, low=0)
        # an infinite clip_norm is no clipping
        check_real("Trainer.clip_norm", self.clip_norm, low=0, low_open=True, finite=False,
                   allow_none=True)
        if self.tbptt is not None:
            t = self.tbptt
            if not isinstance(t, tuple | list) or len(t) != 2:
                raise TypeError(f"Trainer.tbptt must be a pair (k1, k2) of ints, got {t!r}")
            t = tuple(check_int(f"Trainer.tbptt {name}", k, low=1)
                      for name, k in zip(("k1", "k2"), t))
            if t[1] < t[0]:
                raise ValueError(
                    f"Trainer.tbptt k2 must be >= k1 (backpropagate at least over the k1 steps "
                    f"since the last update), got k1={t[0]}, k2={t[1]}"
                )
            object.__setattr__(self, "tbptt", (int(t[0]), int(t[1])))
        check_int("Trainer.seed", self.seed)


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
