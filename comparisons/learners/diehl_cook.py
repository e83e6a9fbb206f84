"""The Diehl & Cook (2015) unsupervised spiking classifier as a suite learner, for static
patterns (``seq_digits``: the 8x8 digit is shown as one image of 64 pixels).

Excitatory conductance LIF neurons with adaptive thresholds learn the input weights by
triplet-style STDP with weight normalisation; lateral inhibition makes them compete. Labels
are assigned afterwards: each neuron gets the class it responded to most on the training set
(:class:`neurosim.learning.diehl_cook.DiehlCook`). No target is used while learning.
"""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np

from comparisons.learners import register
from comparisons.learners.base import FitInfo, Learner
from comparisons.metrics.ops import add_memory_traffic
from comparisons.tasks.base import Task, TaskData
from comparisons.validation import check_int

STATIC_IMAGE_TASKS = ("seq_digits",)


@register
class DiehlCookLearner(Learner):
    """Diehl & Cook excitatory/inhibitory STDP network with label assignment."""

    name: ClassVar[str] = "diehl_cook"
    family: ClassVar[str] = "spiking"
    scorecard: ClassVar[dict[str, bool]] = {
        # STDP and thresholds are local and online; labels are assigned by counting which
        # class each neuron prefers (a supervised read-out by counting, no target outputs
        # during learning)
        "local_learning": True, "no_weight_transport": True, "no_derivative_feedback": True,
        "no_clocked_phases": True, "binary_spikes": True, "no_target_outputs": True,
        "online_in_time": True,
    }

    def __init__(self, seed: int = 0, device: str = "auto", n_exc: int = 100,
                 epochs: int = 1) -> None:
        super().__init__(seed=seed, device=device)
        self.n_exc = check_int("diehl_cook.n_exc", n_exc, low=1)
        self.epochs = check_int("diehl_cook.epochs", epochs, low=1)
        self._model = None
        self.device_used = "cpu"

    @classmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        if task.name not in STATIC_IMAGE_TASKS:
            return False, ("Diehl & Cook classifies static non-negative images "
                           f"({', '.join(STATIC_IMAGE_TASKS)})")
        return True, ""

    @staticmethod
    def _flat(x: np.ndarray) -> np.ndarray:
        return np.asarray(x, np.float64).transpose(1, 0, 2).reshape(x.shape[1], -1)

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        from neurosim.learning.diehl_cook import DiehlCook, DiehlCookConfig

        self._task = task
        X = self._flat(data.train.x)
        self._max_pixel = float(max(X.max(), 1e-12))
        n_in = X.shape[1]
        cfg = DiehlCookConfig(n_input=n_in, n_exc=self.n_exc, norm_total=78.0 * n_in / 784)
        self._cfg = cfg
        self._model = DiehlCook(cfg, max_pixel=self._max_pixel, random_state=self.seed)
        t0 = time.perf_counter()
        self._model.fit(X, np.asarray(data.train.y).astype(int), epochs=self.epochs)
        wall = time.perf_counter() - t0
        steps = cfg.n_steps
        # per image: every input synapse of a spiking input and every synapse of a spiking
        # excitatory neuron is updated (triplet STDP on the input weights)
        in_spikes = float((X / self._max_pixel * cfg.max_rate * cfg.dt).sum(1).mean() * steps)
        return FitInfo(wall_s=wall, readout="label assignment (counting)",
                       train_ops=add_memory_traffic({
                           "plasticity_updates": self.epochs * in_spikes * self.n_exc,
                           "neuron_updates": float(self.epochs * steps * 2 * self.n_exc)}),
                       train_memory_bytes=int((n_in + 2 * self.n_exc) * 8))

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("diehl_cook: call fit() before predict()")
        X = np.clip(self._flat(x), 0.0, self._max_pixel)
        R = self._model.responses(X)  # (B, n_exc) spike counts
        cfg = self._cfg
        steps = cfg.n_steps
        n = self.n_exc
        exc_spikes = float(R.sum(1).mean())
        in_spikes = float((X / self._max_pixel * cfg.max_rate * cfg.dt).sum(1).mean() * steps)
        # input -> all excitatory; E -> its own inhibitory neuron; each inhibitory spike
        # (one per E spike at most) -> all other excitatory neurons
        self.last_inference_ops = add_memory_traffic({
            "spikes": exc_spikes * 2 + in_spikes,
            "synaptic_events": in_spikes * n + exc_spikes * (1 + (n - 1)),
            "neuron_updates": float(steps * 2 * n)})
        n_cls = self._task.n_out
        votes = np.stack([R[:, self._model.assignments_ == c].mean(1)
                          if np.any(self._model.assignments_ == c) else np.zeros(len(R))
                          for c in range(n_cls)], axis=1)
        return votes

    def param_count(self) -> int:
        return 0 if self._model is None else int(self._model.W_.size + self.n_exc)

    def structure(self) -> dict:
        if self._model is None:
            return {"weights": []}
        return {"neurons": 2 * self.n_exc, "synapses": int(self._model.W_.size + 2 * self.n_exc
                                                            * self.n_exc),
                "weights": [self._model.W_]}

    def artifacts(self) -> dict:
        return {} if self._model is None else {"weights": self._model.W_.ravel()}
