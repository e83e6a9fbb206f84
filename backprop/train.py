"""BPTT trainer for the sequence models of :mod:`backprop.models` (and any ``nn.Module``
mapping ``(T, B, F)`` sequences to outputs).

Full backpropagation through time (Rumelhart, Hinton & Williams 1986; Werbos 1990) or truncated
BPTT(k1, k2) (Williams & Peng 1990: every k1 steps, backpropagate through the last k2 steps,
the state carried across chunks is detached); gradient-norm clipping (Pascanu et al. 2013);
SGD with momentum, RMSProp, Adam or Hessian-free (:mod:`backprop.hessian_free`); mixed
precision on CUDA; checkpoints and resume; early stopping; a progress bar.

The losses live in :mod:`backprop.losses`, the settings and the history in
:mod:`backprop.train_config`, checkpoint files in :mod:`backprop.checkpoint`; their public names
are importable from here as well.

Example
-------
>>> model = LSTM(2, 16, 1)                                     # doctest: +SKIP
>>> trainer = Trainer(model, loss="mse", lr=1e-2, clip_norm=1.0)  # doctest: +SKIP
>>> history = trainer.fit(x, y, epochs=20, batch_size=64)     # doctest: +SKIP
>>> y_hat = trainer.predict(x_test)                           # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from . import checkpoint as _checkpoint
from .losses import LOSSES, LossFn, NonFiniteLossError, masked_loss  # noqa: F401 (re-export)
from .train_config import OPTIMIZERS, History, TrainerConfig  # noqa: F401 (re-export)
from .utils import layout_hint, resolve_device

__all__ = ["History", "NonFiniteLossError", "Trainer", "TrainerConfig", "masked_loss"]


# --------------------------------------------------------------------------- trainer
class Trainer:
    """Train a sequence model by backpropagation through time.

    Parameters
    ----------
    model : nn.Module
        Maps ``x`` ``(T, B, F)`` (or ``(B, T, F)`` when ``model.config.batch_first``) to
        outputs; with ``tbptt`` it must accept ``(x, state, return_state=True)``.
    loss : {"mse", "bce", "ce"} or callable
        ``bce``/``ce`` on logits; ``ce`` with integer class targets.
    optimizer : {"adam", "sgd", "rmsprop", "hf"}, a ``torch.optim.Optimizer``, or a callable
        ``params -> Optimizer``. ``"sgd"`` uses ``momentum``; ``"hf"`` is Hessian-free.
    lr : float
    momentum : float
        SGD / RMSProp momentum.
    weight_decay : float
    clip_norm : float or None
        Clip the global gradient norm to this value (None: no clipping).
    tbptt : (k1, k2) or None
        Truncated BPTT: every ``k1`` steps update, backpropagating through the last ``k2``
        steps (``k2 >= k1``); None = full BPTT.
    amp : bool
        Mixed precision (float16 autocast + gradient scaling) on CUDA; on the CPU a warning
        and float32.
    device : "auto", "cpu", "cuda", ...
    seed : int
        Seeds batch shuffling and torch's global RNG (dropout) at :meth:`fit`.
    progress : bool or None
        Progress bar; None = only when stderr is a terminal.
    scheduler : callable or None
        ``optimizer -> torch.optim.lr_scheduler.LRScheduler``, stepped once per epoch.
    """

    def __init__(
        self,
        model: nn.Module,
        loss: str | LossFn = "mse",
        optimizer: str | torch.optim.Optimizer | Callable = "adam",
        lr: float = 1e-3,
        *,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        clip_norm: float | None = 1.0,
        tbptt: tuple[int, int] | None = None,
        amp: bool = False,
        device: str | torch.device = "auto",
        seed: int = 0,
        progress: bool | None = None,
        scheduler: Callable | None = None,
        hf_options: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"Trainer.model must be a torch.nn.Module, got {type(model).__name__}")
        self.config = TrainerConfig(
            loss=loss,
            optimizer=optimizer if isinstance(optimizer, str) else "custom",
            lr=lr,
            momentum=momentum,
            weight_decay=weight_decay,
            clip_norm=clip_norm,
            tbptt=tbptt,
            amp=amp,
            seed=seed,
            progress=progress,
        )
        self.device = resolve_device(device)
        self.model = model.to(self.device)
        self.amp = bool(amp) and self.device.type == "cuda"
        if amp and not self.amp:
            warnings.warn(
                f"Trainer.amp=True needs a CUDA device; running in float32 on {self.device}",
                stacklevel=2,
            )
        self.scaler = torch.amp.GradScaler("cuda") if self.amp else None
        self.optimizer = self._make_optimizer(optimizer, hf_options or {})
        self.scheduler = scheduler(self.optimizer) if scheduler is not None else None
        self.history = History()
        self._norms: list[torch.Tensor] = []
        self._epoch = 0
        self._gen = torch.Generator().manual_seed(seed)
        self._train_rng: dict[str, torch.Tensor] | None = None  # see _own_rng
        cfg = getattr(model, "config", None)
        self.batch_first = bool(getattr(cfg, "batch_first", False))
        self.seq_output = getattr(cfg, "output", None)

    # -- setup ----------------------------------------------------------------------------
    def _make_optimizer(self, opt: Any, hf_options: dict[str, Any]) -> Any:
        c = self.config
        params = [p for p in self.model.parameters() if p.requires_grad]
        if isinstance(opt, torch.optim.Optimizer):
            return opt
        if not isinstance(opt, str):
            return opt(params)
        if opt == "adam":
            return torch.optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay)
        if opt == "sgd":
            return torch.optim.SGD(
                params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay
            )
        if opt == "rmsprop":
            return torch.optim.RMSprop(
                params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay
            )
        from .hessian_free import HessianFree  # noqa: PLC0415 - optional, heavier

        if c.tbptt is not None:
            raise ValueError("Trainer.optimizer='hf' works on whole sequences; set tbptt=None")
        return HessianFree(self.model, lr=c.lr, **hf_options)

    # -- data -----------------------------------------------------------------------------
    def _as_tensor(self, a: Any, name: str, floating: bool) -> torch.Tensor:
        if isinstance(a, np.ndarray):
            a = torch.from_numpy(a)
        if not isinstance(a, torch.Tensor):
            raise TypeError(f"Trainer.fit expected {name} as a torch.Tensor or numpy array, "
                            f"got {type(a).__name__}")
        if floating and not torch.is_floating_point(a):
            a = a.float()
        if floating and a.dtype == torch.float64:
            a = a.float()
        return a

    def _x_batch_axis(self) -> int:
        return 0 if self.batch_first else 1

    def _y_batch_axis(self, x: torch.Tensor, y: torch.Tensor) -> int:
        if self.seq_output == "many_to_one":
            return 0
        if self.seq_output == "many_to_many":
            return self._x_batch_axis()
        # generic module: a per-step target shares x's two leading axes
        if y.ndim >= 2 and tuple(y.shape[:2]) == tuple(x.shape[:2]):
            return self._x_batch_axis()
        return 0

    def _check_data(
        self, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None
    ) -> tuple[int, int]:
        xb = self._x_batch_axis()
        if x.ndim != 3:
            layout = "(B, T, F)" if self.batch_first else "(T, B, F)"
            raise ValueError(f"Trainer expected x of rank 3 {layout}, got {tuple(x.shape)}")
        yb = self._y_batch_axis(x, y)
        n = x.shape[xb]
        if y.ndim <= yb or y.shape[yb] != n:
            ny = y.shape[yb] if y.ndim > yb else None
            hint = layout_hint(tuple(x.shape), ny, self.batch_first) if ny else ""
            layout = "(B, T, F)" if self.batch_first else "(T, B, F)"
            raise ValueError(
                f"Trainer expected x {layout} and y with the same batch size on axis {yb}; "
                f"got x {tuple(x.shape)} (batch {n}) and y {tuple(y.shape)}{hint}"
            )
        if n == 0 or x.shape[1 - xb] == 0:
            raise ValueError(f"Trainer got empty data: x has shape {tuple(x.shape)}")
        if mask is not None and mask.shape[yb] != n:
            raise ValueError(
                f"mask must match y {tuple(y.shape)} on its batch axis {yb}, "
                f"got {tuple(mask.shape)}"
            )
        return xb, yb

    # -- one step -------------------------------------------------------------------------
    def _autocast(self) -> Any:
        """float16 autocast on CUDA when ``amp``; otherwise a no-op (cheaper than a disabled
        autocast context, which costs ~0.5 ms per step on a loaded CPU)."""
        if self.amp:
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def _forward_loss(
        self, xb: torch.Tensor, yb: torch.Tensor, mb: torch.Tensor | None, state: Any = None
    ) -> tuple[torch.Tensor, Any]:
        with self._autocast():
            out = self.model(xb) if state is None else self.model(xb, state)
        return masked_loss(self.config.loss, out.float(), yb, mb), state

    def _check_finite(self, loss: torch.Tensor, epoch: int, batch: int) -> float:
        value = float(loss.detach())
        if not math.isfinite(value):
            c = self.config
            clip = f"clip_norm={c.clip_norm}" if c.clip_norm else "clip_norm=None (no clipping)"
            raise NonFiniteLossError(
                f"training loss became {value} at epoch {epoch + 1}, batch {batch + 1} "
                f"(optimizer step {self.history.steps + 1}); the weights are those before "
                f"this step. Try a smaller learning rate (lr={c.lr}) or gradient-norm "
                f"clipping ({clip}), and check the inputs for NaN/inf."
            )
        return value

    def _update(self) -> float:
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if self.config.clip_norm is not None:
            norm = torch.nn.utils.clip_grad_norm_(params, self.config.clip_norm)
        else:
            norm = torch.tensor(float("nan"))
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.history.steps += 1
        return norm

    def train_step(
        self,
        xb: torch.Tensor,
        yb: torch.Tensor,
        mb: torch.Tensor | None = None,
        *,
        epoch: int = 0,
        batch: int = 0,
    ) -> float:
        """One optimisation step on one batch (already on the device); returns the loss.

        With ``tbptt`` this performs one update per k1-step chunk and returns their mean.
        """
        if getattr(self.optimizer, "is_hessian_free", False):
            kind = self.config.loss
            loss = self.optimizer.step_on_batch(
                (xb,), lambda out: masked_loss(kind, out, yb, mb), self._check_finite,
                epoch=epoch, batch=batch,
            )
            self.history.steps += 1
            self.history.step_loss.append(loss)
            self._norms.append(torch.tensor(float("nan")))
            return loss
        if self.config.tbptt is not None:
            return self._tbptt_step(xb, yb, mb, epoch, batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss, _ = self._forward_loss(xb, yb, mb)
        value = self._check_finite(loss, epoch, batch)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
        else:
            loss.backward()
        norm = self._update()
        self.history.step_loss.append(value)
        self._norms.append(norm)
        return value

    def _tbptt_step(
        self, xb: torch.Tensor, yb: torch.Tensor, mb: torch.Tensor | None, epoch: int, batch: int
    ) -> float:
        """Truncated BPTT(k1, k2) over one batch of sequences.

        Every ``k1`` steps the loss on those k1 steps is backpropagated through the last
        ``k2`` steps; the window start state is a detached state, the window is recomputed
        from it (cost ~ k2/k1 forward passes).
        """
        if self.seq_output == "many_to_one":
            raise ValueError(
                "Trainer.tbptt needs per-step targets (output='many_to_many'); "
                "a many-to-one model has one loss at the end of the sequence"
            )
        k1, k2 = self.config.tbptt  # type: ignore[misc]
        ta = 1 if self.batch_first else 0
        T = xb.shape[ta]
        # detached states at window starts; None = the model's own (learned) initial state
        starts: dict[int, Any] = {0: None}
        losses = []
        for t0 in range(0, T, k1):
            t1 = min(t0 + k1, T)
            s = max(0, t1 - k2)  # this window: [s, t1), loss on [t0, t1)
            nxt = max(0, min(t1 + k1, T) - k2)  # the next window's start, in [s, t1]
            st = starts[s]
            new_starts: dict[int, Any] = {s: st} if nxt == s else {}
            self.optimizer.zero_grad(set_to_none=True)
            cuts = sorted({s, nxt, t1})
            outs = []
            with self._autocast():
                for a, b in zip(cuts[:-1], cuts[1:]):
                    out, st = self.model(xb.narrow(ta, a, b - a), st, return_state=True)
                    outs.append(out)
                    if b == nxt:
                        new_starts[nxt] = _detach(st)
            starts = new_starts
            out = torch.cat(outs, dim=ta).narrow(ta, t0 - s, t1 - t0)
            mseg = None if mb is None else mb.narrow(ta, t0, t1 - t0)
            loss = masked_loss(self.config.loss, out.float(), yb.narrow(ta, t0, t1 - t0), mseg)
            value = self._check_finite(loss, epoch, batch)
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
            else:
                loss.backward()
            self._norms.append(self._update())
            self.history.step_loss.append(value)
            losses.append(value)
        return float(np.mean(losses))

    # -- fit ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _own_rng(self):
        """Run training on the trainer's own stream of torch's global generator.

        Dropout draws from torch's global generator (the CPU one, or the training device's
        CUDA one). Training forks it: the caller's stream is left as it was, and the
        trainer's stream carries over from one ``fit`` call to the next (``fit`` seeds it
        from ``seed`` at epoch 0; a checkpoint restores it on resume).
        """
        cuda = [] if self._cuda_index() is None else [self._cuda_index()]
        with torch.random.fork_rng(devices=cuda):
            if self._train_rng is not None:
                torch.set_rng_state(self._train_rng["cpu"])
                if cuda:
                    torch.cuda.set_rng_state(self._train_rng["cuda"], cuda[0])
            try:
                yield
            finally:
                self._train_rng = {"cpu": torch.get_rng_state()}
                if cuda:
                    self._train_rng["cuda"] = torch.cuda.get_rng_state(cuda[0])

    def _seed_training(self) -> None:
        """Seed the training stream (inside :meth:`_own_rng`): the CPU generator and, on
        CUDA, the training device's; other devices' generators are not touched."""
        torch.default_generator.manual_seed(self.config.seed)
        if self._cuda_index() is not None:
            torch.cuda.default_generators[self._cuda_index()].manual_seed(self.config.seed)

    def _cuda_index(self) -> int | None:
        """The training device's CUDA index (``None`` off CUDA)."""
        if self.device.type != "cuda":
            return None
        return self.device.index if self.device.index is not None else \
            torch.cuda.current_device()

    def fit(
        self,
        x: torch.Tensor | np.ndarray,
        y: torch.Tensor | np.ndarray,
        *,
        epochs: int = 1,
        batch_size: int = 32,
        mask: torch.Tensor | None = None,
        validation: tuple | None = None,
        patience: int | None = None,
        min_delta: float = 0.0,
        restore_best: bool = True,
        shuffle: bool = True,
        checkpoint: str | os.PathLike | None = None,
        checkpoint_every: int = 1,
        resume: bool = False,
        callback: Callable[[int, History], bool | None] | None = None,
    ) -> History:
        """Train for ``epochs`` epochs (the total, counting epochs done before a resume).

        Parameters
        ----------
        x : (T, N, F) or (N, T, F) with ``batch_first``
        y : per-step targets shaped like the outputs, or ``(N, O)`` / ``(N,)`` (many-to-one)
        mask : optional, targets' shape (or without the last axis); 0 = ignore
        validation : ``(x_val, y_val)`` or ``(x_val, y_val, mask_val)``; evaluated each epoch
        patience : int or None
            Early stopping: stop when the monitored loss (validation if given, else training)
            has not improved by ``min_delta`` for ``patience`` epochs; ``restore_best`` puts
            back the best weights.
        checkpoint : path or None
            Save model, optimizer, RNG and history there every ``checkpoint_every`` epochs.
        resume : bool
            Continue from ``checkpoint`` when the file exists.
        callback : ``f(epoch, history)``; returning True stops training.

        Returns
        -------
        History
        """
        from .utils import check_positive_int

        check_positive_int("Trainer.fit epochs", epochs)
        check_positive_int("Trainer.fit batch_size", batch_size)
        check_positive_int("Trainer.fit patience", patience, allow_none=True)
        x = self._as_tensor(x, "x", True)
        y = self._as_tensor(y, "y", self.config.loss != "ce")
        if mask is not None:
            mask = self._as_tensor(mask, "mask", True)
        xb_ax, yb_ax = self._check_data(x, y, mask)
        if self.config.tbptt is not None and self.seq_output == "many_to_one":
            raise ValueError(
                "Trainer.tbptt needs per-step targets (output='many_to_many'); "
                "a many-to-one model has one loss at the end of the sequence"
            )
        dev = self.device
        x, y = x.to(dev), y.to(dev)
        mask = mask.to(dev) if mask is not None else None
        with self._own_rng():
            if resume and checkpoint is not None and os.path.exists(checkpoint):
                self.load_checkpoint(checkpoint)
            elif self._epoch == 0:
                self._seed_training()
            return self._fit_epochs(x, y, mask, (xb_ax, yb_ax), epochs=epochs,
                                    batch_size=batch_size, validation=validation, patience=patience,
                                    min_delta=min_delta, restore_best=restore_best,
                                    shuffle=shuffle, checkpoint=checkpoint,
                                    checkpoint_every=checkpoint_every, callback=callback)

    def _fit_epochs(self, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None,
                    axes: tuple[int, int], *, epochs: int, batch_size: int,
                    validation: tuple | None,
                    patience: int | None, min_delta: float, restore_best: bool,
                    shuffle: bool, checkpoint: str | os.PathLike | None,
                    checkpoint_every: int,
                    callback: Callable[[int, History], bool | None] | None) -> History:
        """The epoch loop of :meth:`fit` (inputs checked and on the device)."""
        dev = self.device
        xb_ax, yb_ax = axes  # the batch axis of x and of y
        n = x.shape[xb_ax]
        n_batches = math.ceil(n / batch_size)
        h = self.history
        best_state = None
        wait = 0
        show = self.config.progress
        if show is None:
            show = sys.stderr.isatty()
        from tqdm.auto import tqdm

        bar = tqdm(
            total=max(0, epochs - self._epoch) * n_batches,
            disable=not show,
            desc=f"train {type(self.model).__name__}",
            leave=False,
        )
        try:
            for epoch in range(self._epoch, epochs):
                t_start = time.perf_counter()
                self.model.train()
                order = torch.randperm(n, generator=self._gen) if shuffle else torch.arange(n)
                order = order.to(dev)
                self._norms = []
                total = 0.0
                for bi in range(n_batches):
                    idx = order[bi * batch_size : (bi + 1) * batch_size]
                    xb = x.index_select(xb_ax, idx)
                    yb = y.index_select(yb_ax, idx)
                    mb = mask.index_select(yb_ax, idx) if mask is not None else None
                    total += self.train_step(xb, yb, mb, epoch=epoch, batch=bi) * len(idx)
                    bar.update(1)
                h.grad_norm.extend(float(v) for v in self._norms)
                h.loss.append(total / n)
                h.lr.append(float(self.optimizer.param_groups[0]["lr"]))
                if self.scheduler is not None:
                    self.scheduler.step()
                monitored = h.loss[-1]
                if validation is not None:
                    h.val_loss.append(self.evaluate(*validation, batch_size=batch_size))
                    monitored = h.val_loss[-1]
                h.epoch_time.append(time.perf_counter() - t_start)
                h.epochs = epoch + 1
                self._epoch = epoch + 1
                bar.set_postfix(epoch=epoch + 1, loss=f"{h.loss[-1]:.4g}")
                if h.best_loss is None or monitored < h.best_loss - min_delta:
                    h.best_loss, h.best_epoch, wait = monitored, epoch + 1, 0
                    if patience is not None and restore_best:
                        best_state = copy.deepcopy(self.model.state_dict())
                else:
                    wait += 1
                if checkpoint is not None and (epoch + 1) % checkpoint_every == 0:
                    self.save_checkpoint(checkpoint)
                if callback is not None and callback(epoch + 1, h):
                    break
                if patience is not None and wait >= patience:
                    h.stopped_early = True
                    break
        finally:
            bar.close()
        if h.stopped_early and best_state is not None:
            self.model.load_state_dict(best_state)
        return h

    # -- inference ------------------------------------------------------------------------
    @torch.no_grad()
    def predict(self, x: torch.Tensor | np.ndarray, batch_size: int | None = None) -> torch.Tensor:
        """Model outputs for ``x`` (eval mode, no gradients), on the CPU."""
        x = self._as_tensor(x, "x", True)
        self.model.eval()
        ax = self._x_batch_axis()
        n = x.shape[ax] if x.ndim == 3 else 0
        bs = batch_size or max(n, 1)
        outs = []
        out_ax = 0
        for i in range(0, max(n, 1), bs):
            xb = x.narrow(ax, i, min(bs, n - i)) if n else x
            with self._autocast():
                out = self.model(xb.to(self.device))
            out_ax = ax if out.ndim == 3 else 0
            outs.append(out.float().cpu())
        return torch.cat(outs, dim=out_ax)

    @torch.no_grad()
    def evaluate(
        self,
        x: torch.Tensor | np.ndarray,
        y: torch.Tensor | np.ndarray,
        mask: torch.Tensor | None = None,
        *,
        batch_size: int | None = None,
    ) -> float:
        """Mean loss on ``(x, y)`` (eval mode)."""
        x = self._as_tensor(x, "x", True)
        y = self._as_tensor(y, "y", self.config.loss != "ce")
        self._check_data(x, y, mask)
        pred = self.predict(x, batch_size=batch_size)
        return float(masked_loss(self.config.loss, pred, y.cpu(), mask))
    # -- checkpoints ----------------------------------------------------------------------
    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Save model, optimizer, scheduler, scaler, RNG states and history (atomic write);
        see :mod:`backprop.checkpoint`."""
        _checkpoint.save_checkpoint(self, path)

    def load_checkpoint(self, path: str | os.PathLike) -> None:
        """Restore what :meth:`save_checkpoint` wrote; training resumes at the saved epoch."""
        _checkpoint.load_checkpoint(self, path)


def _detach(state: Any) -> Any:
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach() if isinstance(state, torch.Tensor) else state
