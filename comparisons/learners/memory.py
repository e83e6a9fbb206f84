"""Associative-memory learners for pattern completion: Hopfield (Hebbian / Storkey /
pseudo-inverse), modern Hopfield (Ramsauer et al. 2020) and an RBM (CD-k) from
:mod:`neurosim.memory`.

They store the clean patterns found in the training targets
(:func:`comparisons.tasks.associative.patterns_from_split`) and complete the test cues.

Protocol: the two Hopfield networks are one-shot fits (storage is a closed form: no
budget); the RBM takes its budget in ``epochs`` of CD-k, driven one epoch at a time
(:meth:`neurosim.memory.rbm.RBM.partial_fit`, which gives the same weights as ``fit``) and
reported to :meth:`~comparisons.learners.base.Learner.epoch_end` after each. Snapshots are
the default deep copy (the models are small; the RBM drops its torch generator, which
prediction does not use). The classical network's asynchronous recall draws its update
order from a copy of its generator, so predicting the same cues twice gives the same
states. ``count_ops=False`` skips the op bookkeeping in ``predict``
(cheap; predictions are the same).

Training memory (``FitInfo.train_memory_bytes``) is measured on the tensors the storage rule
or the CD step holds beyond the weights, split in ``extra`` into
``train_memory_per_sample_bytes`` and ``train_memory_shared_bytes``: the Hopfield network's
and the RBM's ``_train_memory`` say what is counted; the modern Hopfield network's is the
stored pattern row (storing is its learning).
"""

from __future__ import annotations

import copy
import time
from typing import Any, ClassVar

import numpy as np

from comparisons.learners import register
from comparisons.learners.base import FitInfo, Learner
from comparisons.metrics.ops import add_memory_traffic
from comparisons.space import Choice, Float, Int, Param
from comparisons.tasks.base import Task, TaskData
from comparisons.validation import check_choice, check_float, check_int


class _MemoryLearner(Learner):
    family: ClassVar[str] = "memory"

    def __init__(self, seed: int = 0, device: str = "auto") -> None:
        super().__init__(seed=seed, device=device)
        self._model = None
        self._n = 0
        self.device_used = "cpu"

    def _ran_on(self, model: Any) -> None:
        """Record where ``model`` computes (the learner's ``device`` reaches the memory
        model; ``"auto"`` is CUDA when there is one)."""
        where = model._device  # a torch.device (an RBM method returns it)
        self.device_used = str(where() if callable(where) else where)

    @classmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        if task.name != "associative_recall":
            return False, "an associative memory completes stored patterns (associative_recall)"
        return True, ""

    def _patterns(self, data: TaskData) -> np.ndarray:
        from comparisons.tasks.associative import patterns_from_split

        return patterns_from_split(data.train)

    def _cues(self, x: np.ndarray) -> np.ndarray:
        from comparisons.tasks.associative import cues
        from comparisons.tasks.base import Split

        return cues(Split(x=np.asarray(x, np.float32), y=np.zeros((x.shape[1], 1))))

    def artifacts(self) -> dict:
        w = getattr(self, "_weights_for_hist", None)
        return {} if w is None else {"weights": np.asarray(w).ravel()}


HOPFIELD_SCORECARD = {
    "local_learning": True, "no_weight_transport": True, "no_derivative_feedback": True,
    "no_clocked_phases": True, "binary_spikes": True, "no_target_outputs": True,
    "online_in_time": True,
}


@register
class HopfieldLearner(_MemoryLearner):
    """Classical ±1 Hopfield network; asynchronous recall to a fixed point.

    Parameters
    ----------
    rule : {"hebbian", "storkey", "pseudo_inverse"}
        The pseudo-inverse rule is not local (it inverts the pattern overlap matrix); the
        scorecard says so.
    max_steps : int
        Most asynchronous sweeps of a recall (it stops earlier at a fixed point).
    """

    name: ClassVar[str] = "hopfield"
    scorecard: ClassVar[dict[str, bool]] = HOPFIELD_SCORECARD
    #: the network's state is the answer: no readout (as for every memory here)
    scorecard_components: ClassVar[dict] = {"representation": HOPFIELD_SCORECARD,
                                            "readout": None}
    search_space: ClassVar[dict[str, Param]] = {
        "rule": Choice(("hebbian", "storkey", "pseudo_inverse")),
        "max_steps": Int(5, 200, log=True),
    }
    budget_param: ClassVar[str | None] = None  # one-shot storage

    def __init__(self, seed: int = 0, device: str = "auto", rule: str = "hebbian",
                 max_steps: int = 50) -> None:
        super().__init__(seed=seed, device=device)
        self.rule = check_choice("Hopfield rule", rule, ["hebbian", "storkey",
                                                          "pseudo_inverse"])
        self.max_steps = check_int("hopfield.max_steps", max_steps, low=1)
        if self.rule == "pseudo_inverse":  # inverts the overlap matrix of all patterns
            self.scorecard = {**type(self).scorecard, "local_learning": False,
                              "online_in_time": False}
            self.scorecard_components = {"representation": self.scorecard, "readout": None}

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        from neurosim.memory import HopfieldNetwork

        pats = self._patterns(data)
        t0 = time.perf_counter()
        self._model = HopfieldNetwork(rule=self.rule, update="async", max_steps=self.max_steps,
                                      device=self.device, random_state=self.seed).fit(pats)
        self._ran_on(self._model)
        p, n = pats.shape
        self._n = n
        self._weights_for_hist = self._model.weights_[np.triu_indices(n, 1)]
        wall = time.perf_counter() - t0
        per_sample, shared = self._train_memory()
        # Hebbian / Storkey: one weight update per synapse per stored pattern
        return FitInfo(wall_s=wall, readout=self.rule,
                       train_ops=add_memory_traffic({"plasticity_updates": float(n * n)}),
                       train_memory_bytes=per_sample + shared,
                       extra={"train_memory_per_sample_bytes": per_sample,
                              "train_memory_shared_bytes": shared})

    def _train_memory(self) -> tuple[int, int]:
        """``(per_sample, shared)`` bytes the storage rule holds beyond the weights, measured
        on the fitted model's tensors (:mod:`neurosim.memory.hopfield_rules`):

        - per sample: one training pattern as the rule reads it (``N`` values in the
          model's dtype; the rule reads the ``(P, N)`` pattern matrix);
        - shared, Storkey: the local fields :math:`h = W\\xi` and :math:`\\xi - h` of one
          update (two ``N``-vectors); pseudo-inverse: the pseudo-inverse :math:`X^+`
          ``(N, P)``; Hebbian: nothing (the outer products accumulate into the weights).
        """
        import torch

        m = self._model
        pats = m._t(m.patterns_)  # (P, N), as learn_weights received it
        per_sample = int(pats[0].nbytes)
        shared = 0
        if self.rule == "storkey":
            h = m._w_t @ pats[0]
            shared = int(h.nbytes + (pats[0] - h).nbytes)
        elif self.rule == "pseudo_inverse":
            shared = int(torch.linalg.pinv(pats).nbytes)
        return per_sample, shared

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("hopfield: call fit() before predict()")
        c = self._cues(x)
        c = np.where(c == 0, 1.0, c)  # erased bits start at +1 (the dynamics fixes them)
        # the random update order comes from a copy of the network's generator: a recall
        # does not move it, so the same cues always give the same states (scoring the
        # validation split does not change the test's predictions; snapshots are exact)
        rng = self._model._rng
        self._model._rng = copy.deepcopy(rng)
        try:
            states, info = self._model.recall(c, return_info=True)
        finally:
            self._model._rng = rng
        if self.count_ops:
            n = self._n
            sweeps = float(np.mean(info.steps + 1))  # +1: the final sweep that changes nothing
            # each unit update sums N ±1-weighted inputs: accumulates, N per unit, N a sweep
            self.last_inference_ops = add_memory_traffic({"ac": sweeps * n * n,
                                                          "neuron_updates": sweeps * n})
        return (states > 0).astype(np.float32)

    def structure(self) -> dict:
        if self._model is None:
            return {"weights": []}
        w = self._model.weights_
        return {"neurons": self._n, "synapses": int(np.count_nonzero(w)), "weights": [w]}

    def param_count(self) -> int:
        return self._n * self._n


@register
class ModernHopfieldLearner(_MemoryLearner):
    """Modern Hopfield network (softmax attention over the stored patterns), one update."""

    name: ClassVar[str] = "modern_hopfield"
    scorecard: ClassVar[dict[str, bool]] = {**HOPFIELD_SCORECARD, "binary_spikes": False}
    scorecard_components: ClassVar[dict] = {"representation": scorecard, "readout": None}
    #: inverse temperature: small beta averages patterns (metastable mixtures), large beta
    #: retrieves the single nearest one
    search_space: ClassVar[dict[str, Param]] = {"beta": Float(0.1, 100.0, log=True)}
    budget_param: ClassVar[str | None] = None  # one-shot storage

    def __init__(self, seed: int = 0, device: str = "auto", beta: float = 1.0,
                 max_steps: int = 1) -> None:
        super().__init__(seed=seed, device=device)
        self.beta = check_float("modern_hopfield.beta", beta, low=0.0, low_open=True)
        self.max_steps = check_int("modern_hopfield.max_steps", max_steps, low=1)

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        from neurosim.memory import ModernHopfield

        pats = self._patterns(data)
        t0 = time.perf_counter()
        self._model = ModernHopfield(beta=self.beta, max_steps=self.max_steps,
                                     device=self.device).fit(pats)
        self._ran_on(self._model)
        wall = time.perf_counter() - t0
        self._p, self._n = pats.shape
        # storing is the learning: each training pattern is written once, as the fitted
        # model's pattern tensor holds it (d values in its dtype); no other state
        per_sample = int(self._model._x_t[0].nbytes)
        return FitInfo(wall_s=wall, readout="store",
                       train_ops=add_memory_traffic({"plasticity_updates": float(self._n)}),
                       train_memory_bytes=per_sample,
                       extra={"train_memory_per_sample_bytes": per_sample,
                              "train_memory_shared_bytes": 0})

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("modern_hopfield: call fit() before predict()")
        states = self._model.recall(self._cues(x))
        if self.count_ops:
            p, n = self._p, self._n
            # per update: similarities X^T xi (P x N MACs) and the weighted sum X p (P x N)
            self.last_inference_ops = add_memory_traffic(
                {"mac": 2.0 * p * n * self.max_steps})
        return (np.asarray(states) > 0).astype(np.float32)

    def param_count(self) -> int:
        return getattr(self, "_p", 0) * self._n


@register
class RBMLearner(_MemoryLearner):
    """Binary RBM trained by CD-k on the clean training patterns; completion by mean-field
    iterations v -> h -> v from the cue (erased bits start at 0.5).

    Parameters
    ----------
    n_hidden : int
        Hidden units.
    epochs : int
        Passes of CD-k over the training targets (the budget; the learning rate decays
        linearly over ``epochs``, as in :class:`neurosim.memory.rbm.RBM`).
    learning_rate : float
        Base CD step size.
    k : int
        Gibbs steps per CD update.
    mean_field_steps : int
        Mean-field iterations of a completion.
    """

    name: ClassVar[str] = "rbm"
    scorecard: ClassVar[dict[str, bool]] = {
        # Hebbian positive phase minus anti-Hebbian negative phase: local, but symmetric
        # weights are used in both directions and the two phases alternate.
        "local_learning": True, "no_weight_transport": False, "no_derivative_feedback": True,
        "no_clocked_phases": False, "binary_spikes": True, "no_target_outputs": True,
        "online_in_time": True,
    }
    #: hidden and visible units are one network; completion reads its visible state
    scorecard_components: ClassVar[dict] = {"representation": scorecard, "readout": None}
    search_space: ClassVar[dict[str, Param]] = {
        "n_hidden": Int(8, 128, log=True),
        "learning_rate": Float(0.01, 1.0, log=True),
        "k": Int(1, 5),
    }
    budget_param: ClassVar[str | None] = "epochs"

    def __init__(self, seed: int = 0, device: str = "auto", n_hidden: int = 32,
                 epochs: int = 50, learning_rate: float = 0.1, k: int = 1,
                 mean_field_steps: int = 10) -> None:
        super().__init__(seed=seed, device=device)
        self.n_hidden = check_int("rbm.n_hidden", n_hidden, low=1)
        self.epochs = check_int("rbm.epochs", epochs, low=1)
        self.learning_rate = check_float("rbm.learning_rate", learning_rate, low=0.0,
                                         low_open=True)
        self.k = check_int("rbm.k", k, low=1)
        self.mean_field_steps = check_int("rbm.mean_field_steps", mean_field_steps, low=1)

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        from neurosim.memory.rbm import RBM

        y = (np.asarray(data.train.y) >= 0.5).astype(np.float64)
        n_train = y.shape[0]
        self._n = y.shape[1]
        # n_iter=epochs: partial_fit follows fit's learning-rate schedule, epoch by epoch
        self._model = RBM(n_components=self.n_hidden, learning_rate=self.learning_rate,
                          n_iter=self.epochs, k=self.k, device=self.device,
                          random_state=self.seed)
        self._ran_on(self._model)
        epochs_run = 0
        t0 = self.fit_clock()
        for epoch in range(1, self.epochs + 1):
            self._model.partial_fit(y)
            self._weights_for_hist = self._model.components_
            epochs_run = epoch
            if self.epoch_end(epoch, epoch * n_train):
                break
        wall = self.fit_seconds(t0)
        nh = self.n_hidden
        per_sample = epochs_run * (2 * self.k + 1) * self._n * nh  # Gibbs chain MACs
        mem = self._train_memory(y)
        return FitInfo(wall_s=wall, readout=f"CD-{self.k}",
                       train_ops=add_memory_traffic({
                           "mac": float(per_sample),
                           "plasticity_updates": float(epochs_run * self._n * nh)}),
                       train_memory_bytes=mem["per_sample"] + mem["shared"],
                       extra={"epochs_run": epochs_run, "monitor_s": self.monitor_s,
                              "train_memory_per_sample_bytes": mem["per_sample"],
                              "train_memory_shared_bytes": mem["shared"],
                              "train_memory_parts": mem["parts"]})

    def _train_memory(self, y: np.ndarray) -> dict[str, Any]:
        """Bytes CD-k holds beyond the weights (:meth:`neurosim.memory.rbm.RBM._train`),
        measured on the tensors one mini-batch step makes
        (:func:`neurosim.memory.rbm.cd_gradient_augmented` on ``m`` training rows, a fresh
        workspace and generator: the model is not changed):

        - per sample: the row's share of the step's buffers (``ph0a``, ``vka``, ``ha``,
          ``phka``: the hidden probabilities and samples of both phases and the negative
          visible states, ones column included) and the training row itself, twice (the
          fit's data tensor with its ones column, and the epoch's shuffled copy);
        - shared: the gradient ``dWa`` and the momentum buffer (the model's ``_velocity``),
          each the size of the packed weights.
        """
        import torch

        from neurosim.memory.rbm import _with_ones, augment, cd_gradient_augmented

        model = self._model
        m = max(1, min(int(model.batch_size), y.shape[0]))
        v0a = _with_ones(torch.as_tensor(y[:m], dtype=torch.float32,
                                         device=model._device()))
        Wa = augment(*model._tensors())
        workspace: dict[str, torch.Tensor] = {}
        gen = torch.Generator(device=Wa.device).manual_seed(0)
        with torch.inference_mode():
            dWa, _ = cd_gradient_augmented(v0a, Wa, self.k, gen, model.visible, None,
                                           workspace)
        buffers = sum(int(t.nbytes) for t in workspace.values())
        rows = 2 * int(v0a.nbytes)
        parts = {"cd_buffers": buffers / m, "data_rows": rows / m,
                 "gradient": int(dWa.nbytes), "momentum": int(model._velocity.nbytes)}
        return {"per_sample": int(round((buffers + rows) / m)),
                "shared": parts["gradient"] + parts["momentum"], "parts": parts}

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("rbm: call fit() before predict()")
        c = self._cues(x)
        v = np.where(c > 0, 1.0, np.where(c < 0, 0.0, 0.5))
        W = self._model.components_  # (H, N)
        b, cb = self._model.intercept_visible_, self._model.intercept_hidden_
        for _ in range(self.mean_field_steps):
            h = 1.0 / (1.0 + np.exp(-(v @ W.T + cb)))
            v = 1.0 / (1.0 + np.exp(-(h @ W + b)))
        if self.count_ops:
            self.last_inference_ops = add_memory_traffic(
                {"mac": 2.0 * self.mean_field_steps * self._n * self.n_hidden})
        return v.astype(np.float32)

    def structure(self) -> dict:
        if self._model is None:
            return {"weights": []}
        w = self._model.components_
        return {"neurons": self._n + self.n_hidden, "synapses": int(np.count_nonzero(w)),
                "weights": [w]}

    def param_count(self) -> int:
        return self._n * self.n_hidden + self._n + self.n_hidden
