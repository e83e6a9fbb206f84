"""Backprop-through-time learners: Elman RNN, LSTM and GRU from :mod:`backprop`.

Inference op counts are measured on the explicit-cell twin of the trained model (the fused
``nn.LSTM`` kernel hides its products) with
:func:`~comparisons.metrics.neurobench_counts.count_ops`: every product (``mac``, what
``FlopCounterMode`` counts) and NeuroBench's effective MACs / ACs and activations; training memory
per sample is the bytes autograd saves for one sequence (it grows linearly with T).

Protocol: the budget is ``epochs`` (passes over the training split); every epoch is reported
to :meth:`~comparisons.learners.base.Learner.epoch_end` through the trainer's callback;
snapshots are copies of the model's ``state_dict`` tensors. While ``count_ops`` is False
(the protocol scoring the validation split) ``predict`` skips the explicit-cell twin and its
FLOP count.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from comparisons.learners import register
from comparisons.learners.base import FitInfo, Learner
from comparisons.learners.scorecard import DELTA_RULE_READOUT
from comparisons.metrics.memory import saved_bytes_per_sample
from comparisons.metrics.neurobench_counts import count_ops
from comparisons.metrics.ops import (
    add_memory_traffic,
    add_stored_activation_traffic,
    flop_count_macs,
)
from comparisons.space import Choice, Float, Int, Param
from comparisons.tasks.base import Task, TaskData
from comparisons.validation import check_float, check_int

#: sequences of a predict whose NeuroBench counts are measured (the dense counts do not
#: depend on the data; the effective ones and the activations are averaged over these)
NB_COUNT_SAMPLES = 16

BPTT_SCORECARD = {
    "local_learning": False, "no_weight_transport": False, "no_derivative_feedback": False,
    "no_clocked_phases": False, "binary_spikes": False, "no_target_outputs": False,
    "online_in_time": False,
}
#: per component: the recurrent network's update is BPTT's (W^T, phi', a backward pass over
#: the stored sequence); the readout's gradient is the delta rule (its error times the
#: hidden state), whatever trains the network below it
BPTT_COMPONENTS = {"representation": BPTT_SCORECARD, "readout": DELTA_RULE_READOUT}


class _BPTTLearner(Learner):
    family: ClassVar[str] = "backprop"
    scorecard: ClassVar[dict[str, bool]] = BPTT_SCORECARD
    scorecard_components: ClassVar[dict] = BPTT_COMPONENTS
    model_cls_name: ClassVar[str] = ""
    search_space: ClassVar[dict[str, Param]] = {
        "hidden_size": Int(8, 64, log=True),
        "lr": Float(1e-4, 3e-2, log=True),
        "batch_size": Choice((8, 16, 32, 64, 128)),
    }
    budget_param: ClassVar[str | None] = "epochs"

    def __init__(self, seed: int = 0, device: str = "auto", hidden_size: int = 16,
                 epochs: int = 40, batch_size: int = 64, lr: float = 1e-2,
                 clip_norm: float = 1.0, num_layers: int = 1) -> None:
        super().__init__(seed=seed, device=device)
        self.hidden_size = check_int(f"{self.name}.hidden_size", hidden_size, low=1)
        self.epochs = check_int(f"{self.name}.epochs", epochs, low=1)
        self.batch_size = check_int(f"{self.name}.batch_size", batch_size, low=1)
        self.lr = check_float(f"{self.name}.lr", lr, low=0.0, low_open=True)
        self.clip_norm = check_float(f"{self.name}.clip_norm", clip_norm, low=0.0,
                                     low_open=True)
        self.num_layers = check_int(f"{self.name}.num_layers", num_layers, low=1)
        self._model = None
        self._trainer = None
        self._task: Task | None = None

    @classmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        if task.output not in ("per_step", "final"):
            return False, f"unknown output kind {task.output!r}"
        return True, ""

    def _build(self, task: Task, impl: str = "auto"):
        import backprop

        model_cls = getattr(backprop, self.model_cls_name)
        n_out = task.n_out
        return model_cls(
            task.n_in, self.hidden_size, n_out, num_layers=self.num_layers,
            output="many_to_many" if task.output == "per_step" else "many_to_one",
            impl=impl, seed=self.seed,
        )

    def _setup(self, task: Task) -> str:
        """A fresh model for ``task`` and its trainer; returns the loss name."""
        from backprop import Trainer

        self._task = task
        self._model = self._build(task)
        loss = {"binary": "bce", "class": "ce", "real": "mse"}[task.target]
        self._trainer = Trainer(self._model, loss=loss, optimizer="adam", lr=self.lr,
                                clip_norm=self.clip_norm, device=self.device, seed=self.seed,
                                progress=False)
        self.device_used = str(self._trainer.device)
        return loss

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        loss = self._setup(task)
        x = torch.as_tensor(data.train.x)
        y = torch.as_tensor(data.train.y)
        if task.target == "class":
            y = y.long()
        mask = None
        if task.output == "per_step" and data.train.mask is not None:
            mask = torch.as_tensor(data.train.mask)
        n = int(x.shape[1])
        t0 = self.fit_clock()
        hist = self._trainer.fit(x, y, epochs=self.epochs, batch_size=self.batch_size,
                                 mask=mask, callback=lambda e, _h: self.epoch_end(e, e * n))
        wall = self.fit_seconds(t0)
        one = x[:, :1]
        train_macs = self._train_macs(task, one, y[:, :1] if task.output == "per_step"
                                      else y[:1], loss)
        # stored activations of one more training sequence (parameters, saved once per
        # pass, cancel; copies, not views of the training input)
        model = self._model.cpu()
        saved = saved_bytes_per_sample(
            model, lambda b: (one.repeat(1, b, *([1] * (one.dim() - 2))).clone(),))
        self._model.to(self._trainer.device)
        # one forward + backward per sample per epoch run (fewer than ``epochs`` when
        # stopped early): the whole fit, per training sample
        epochs_run = len(hist.loss)
        return FitInfo(wall_s=wall, history=[float(v) for v in hist.loss], readout="bptt",
                       train_ops=add_stored_activation_traffic(
                           add_memory_traffic({"mac": epochs_run * train_macs}),
                           saved, epochs_run),
                       train_memory_bytes=saved,
                       extra={"sequence_length": int(x.shape[0]), "epochs_run": epochs_run,
                              "train_macs_per_pass": train_macs})

    def _train_macs(self, task: Task, x1: torch.Tensor, y1: torch.Tensor, loss: str) -> float:
        """MACs of one forward + backward pass on one training sequence (cell path)."""
        from backprop.train import masked_loss

        twin = self._twin(task)

        def step() -> None:
            out = twin(x1)
            masked_loss(loss, out, y1).backward()

        _, macs = flop_count_macs(step)
        return macs

    def _twin(self, task: Task):
        twin = self._build(task, impl="cell")
        twin.load_state_dict({k: v.cpu() for k, v in self._model.state_dict().items()})
        return twin

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._trainer is None or self._task is None:
            raise RuntimeError(f"{self.name}: call fit() before predict()")
        out = self._trainer.predict(torch.as_tensor(np.asarray(x, dtype=np.float32)))
        if self.count_ops:
            # measured on the explicit-cell twin (the fused kernel hides its products) for
            # the first NB_COUNT_SAMPLES sequences: "mac" is every product (dense, what
            # FlopCounterMode counts), the NeuroBench keys split the non-zero ones into
            # MACs and ACs (one-hot inputs select weights) and count the gate activations
            twin = self._twin(self._task)
            m = min(int(x.shape[1]), NB_COUNT_SAMPLES)
            xs = torch.as_tensor(np.asarray(x[:, :m], np.float32))
            with torch.no_grad():
                _, nb = count_ops(twin, xs, samples=m, weights=twin.parameters())
            per = nb.per_sample()
            self.last_inference_ops = add_memory_traffic(
                {"mac": per["dense_ops"], "ac": 0.0, **per})
        if self._task.target == "binary":
            out = torch.sigmoid(out)
        return out.numpy()

    def generate(self, prefix: np.ndarray, n_steps: int) -> np.ndarray:
        """Closed loop by stepping the recurrent state: the prefix in one call, then one
        step per output with the carried ``(h, c)``, each output fed back as the next input
        (float32, as inputs are). O(T); the same outputs as the generic fallback up to
        float32 rounding (the fused kernel batches the prefix's input products)."""
        if self._trainer is None or self._model is None:
            raise RuntimeError(f"{self.name}: call fit() before generate()")
        model = self._model
        was_training = model.training
        model.eval()
        x = torch.as_tensor(np.asarray(prefix, np.float32), device=self._trainer.device)
        try:
            with torch.no_grad():
                y, state = model(x, return_state=True)
                outs = [y[-1:]]
                for _ in range(int(n_steps) - 1):
                    y, state = model(outs[-1].to(x.dtype), state, return_state=True)
                    outs.append(y)
        finally:
            model.train(was_training)
        return torch.cat(outs).float().cpu().numpy()

    def get_state(self) -> dict | None:
        """The fitted weights: copies of the model's ``state_dict`` tensors, and its task."""
        if self._model is None:
            return None
        return {"task": self._task, "device_used": self.device_used,
                "model": {k: v.detach().clone() for k, v in self._model.state_dict().items()}}

    def set_state(self, state: dict | None) -> None:
        """Load a snapshot into the model in place (the trainer holds the same model); a
        model for the snapshot's task is built first when there is none or another task's."""
        if state is None:
            self._model = self._trainer = self._task = None
            return
        if self._model is None or self._task is not state["task"]:
            self._setup(state["task"])
        self._model.load_state_dict(state["model"])
        self.device_used = state["device_used"]

    def structure(self) -> dict:
        if self._model is None:
            return {"weights": []}
        return {"weights": [p.detach().cpu().numpy() for p in self._model.parameters()]}

    def param_count(self) -> int:
        return 0 if self._model is None else sum(p.numel() for p in self._model.parameters())


@register
class LSTMLearner(_BPTTLearner):
    """LSTM (learned initial state) trained by full BPTT with Adam and norm clipping."""

    name: ClassVar[str] = "lstm"
    model_cls_name: ClassVar[str] = "LSTM"


@register
class GRULearner(_BPTTLearner):
    """GRU (learned initial state) trained by full BPTT with Adam and norm clipping."""

    name: ClassVar[str] = "gru"
    model_cls_name: ClassVar[str] = "GRU"


@register
class ElmanLearner(_BPTTLearner):
    """Elman tanh RNN (learned initial state) trained by full BPTT."""

    name: ClassVar[str] = "rnn"
    model_cls_name: ClassVar[str] = "ElmanRNN"


