"""Memoryless references from the course (Hinton lecture 7a): an autoregressive linear model
on delay taps and a feed-forward net on a window of delay taps.

Both see only the last ``taps`` input steps. Per-step tasks get one window per step (zero
padded at the start); final-output tasks get the window ending at the last step.

Protocol: ``ar_taps`` is a one-shot fit (closed form / L-BFGS to convergence, no budget);
``mlp_window`` trains in passes over the training rows (``epochs``, one ``partial_fit`` per
pass) and reports each to :meth:`~comparisons.learners.base.Learner.epoch_end`. The default
snapshot (a deep copy of the learner's attributes) is light for both.
"""

from __future__ import annotations

import time
import warnings
from typing import ClassVar

import numpy as np

from comparisons.learners import register
from comparisons.learners.base import FitInfo, Learner
from comparisons.learners.scorecard import BATCH_READOUT, DELTA_RULE_READOUT, not_learned
from comparisons.metrics.ops import add_memory_traffic
from comparisons.space import Float, Int, Param
from comparisons.tasks.base import Task, TaskData
from comparisons.validation import check_float, check_int


def delay_taps(x: np.ndarray, taps: int) -> np.ndarray:
    """Stack the last ``taps`` inputs at every step.

    Parameters
    ----------
    x : ndarray, shape (T, B, F)
    taps : int

    Returns
    -------
    ndarray, shape (T, B, taps * F)
        ``out[t, b] = [x[t], x[t-1], ..., x[t-taps+1]]`` with zeros before the start.
    """
    T, B, F = x.shape
    pad = np.concatenate([np.zeros((taps - 1, B, F), x.dtype), x], axis=0)
    return np.concatenate([pad[taps - 1 - k: taps - 1 - k + T] for k in range(taps)], axis=2)


def rows_for(task: Task, x: np.ndarray, taps: int, mask: np.ndarray | None = None
             ) -> np.ndarray:
    """Design-matrix rows: scored steps of a per-step task, or the last window of a final one."""
    w = delay_taps(x, taps)
    if task.output == "per_step":
        m = np.ones(w.shape[:2], bool) if mask is None else mask
        return w[m]
    return w[-1]


def targets_for(task: Task, y: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    if task.output == "per_step":
        m = np.ones(y.shape[:2], bool) if mask is None else mask
        y = y[m]
    return y.reshape(len(y), -1) if task.target != "class" else y.reshape(-1)


def unflatten(task: Task, pred: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Predictions for all steps (per-step) or samples (final), shaped like the targets."""
    T, B = x.shape[:2]
    if task.output == "per_step":
        return pred.reshape(T, B, -1)
    return pred.reshape(B, -1)


WINDOW_SCORECARD = {
    # trained by batch least squares / backprop through a feed-forward net; keeps a window of
    # past inputs (delay line) instead of a state. The batch solve is a separate phase after
    # all training windows are collected, as for the ESN's ridge readout (BATCH_READOUT)
    "local_learning": False, "no_weight_transport": True, "no_derivative_feedback": True,
    "no_clocked_phases": False, "binary_spikes": False, "no_target_outputs": False,
    "online_in_time": False,
}


class _WindowLearner(Learner):
    family: ClassVar[str] = "classical"

    def __init__(self, seed: int = 0, device: str = "auto", taps: int | None = None) -> None:
        super().__init__(seed=seed, device=device)
        self.taps = None if taps is None else check_int(f"{self.name}.taps", taps, low=1)
        self._task: Task | None = None
        self._model = None
        self.device_used = "cpu"

    @classmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        return True, ""

    def _fit_model(self, X: np.ndarray, y: np.ndarray, task: Task):
        raise NotImplementedError

    def _macs_per_row(self) -> float:
        raise NotImplementedError

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        self._task = task
        # default window: 8 steps for per-step tasks, the whole sequence for final outputs
        default = 8 if task.output == "per_step" else data.train.n_steps
        taps = min(self.taps or default, data.train.n_steps)
        self._taps_used = taps
        self._n_train = data.train.n_samples
        X = rows_for(task, data.train.x, taps, data.train.mask)
        y = targets_for(task, data.train.y, data.train.mask)
        self._val_s = 0.0  # time in the validation monitor (epoch_end), not training
        t0 = time.perf_counter()
        self._model = self._fit_model(X.astype(np.float64), y, task)
        wall = time.perf_counter() - t0 - self._val_s
        rows_per_sample = len(X) / data.train.n_samples
        # per sample: its window rows (float64); shared by all samples: what the solver
        # keeps besides the rows (a ridge solve's Gram matrix)
        per_sample = int(X.shape[1] * 8 * rows_per_sample)
        shared = self._train_shared_bytes()
        return FitInfo(
            wall_s=wall, readout=self.readout_name,
            train_ops=add_memory_traffic({"mac": self._train_macs_per_row() * rows_per_sample}),
            train_memory_bytes=per_sample + shared,
            history=list(getattr(self._model, "loss_curve_", [])),
            extra={"train_memory_per_sample_bytes": per_sample,
                   "train_memory_shared_bytes": shared},
        )

    def _train_shared_bytes(self) -> int:
        """Training memory shared by all samples (default: none)."""
        return 0

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._model is None or self._task is None:
            raise RuntimeError(f"{self.name}: call fit() before predict()")
        task = self._task
        X = rows_for(task, np.asarray(x, np.float64), self._taps_used)
        if task.target == "class":
            pred = self._model.predict_proba(X)
        elif task.target == "binary" and hasattr(self._model, "predict_proba"):
            pred = np.asarray(self._model.predict_proba(X))
            if task.n_out == 1:  # single binary output: P(class 1)
                pred = pred[:, 1]
        else:
            pred = self._model.predict(X)
        if self.count_ops:
            rows = len(X) / x.shape[1]
            self.last_inference_ops = add_memory_traffic({"mac": self._macs_per_row() * rows})
        pred = unflatten(task, np.asarray(pred, np.float64), x)
        if task.target == "binary":
            pred = np.clip(pred, 0.0, 1.0)
        return pred


@register
class AutoregressiveTaps(_WindowLearner):
    """Linear model on delay taps: ridge regression (real / binary targets) or multinomial
    logistic regression (class targets). The course's "autoregressive model"."""

    name: ClassVar[str] = "ar_taps"
    scorecard: ClassVar[dict[str, bool]] = WINDOW_SCORECARD
    #: the delay line is fixed (not learned); the readout is solved in one batch
    scorecard_components: ClassVar[dict] = {
        "representation": not_learned(binary_spikes=False), "readout": BATCH_READOUT}
    readout_name = "ridge / logistic (closed form / L-BFGS)"
    search_space: ClassVar[dict[str, Param]] = {
        # None (the default) = the task's window: 8 steps for per-step tasks, the whole
        # sequence for final outputs; tuned windows are at most 64 steps (clipped to T)
        "taps": Int(1, 64, log=True),
        "alpha": Float(1e-6, 1e2, log=True),
    }
    budget_param: ClassVar[str | None] = None  # closed form / solved to convergence

    def __init__(self, seed: int = 0, device: str = "auto", taps: int | None = None,
                 alpha: float = 1e-3) -> None:
        super().__init__(seed=seed, device=device, taps=taps)
        self.alpha = check_float("ar_taps.alpha", alpha, low=0.0)

    def _fit_model(self, X, y, task):
        from sklearn.linear_model import LogisticRegression, Ridge

        self._d_in, self._d_out = X.shape[1], task.n_out
        if task.target == "class":
            return LogisticRegression(C=1.0 / max(self.alpha, 1e-12), max_iter=500).fit(X, y)
        return Ridge(alpha=self.alpha).fit(X, y)

    def _macs_per_row(self) -> float:
        return float((self._d_in + 1) * self._d_out)

    def _train_macs_per_row(self) -> float:
        if self._task is not None and self._task.target == "class":
            # L-BFGS: every iteration run evaluates the loss and its gradient on every row
            # (forward + backward), the whole fit
            iters = float(np.max(getattr(self._model, "n_iter_", [1])))
            return 2.0 * iters * self._macs_per_row()
        return float((self._d_in + 1) ** 2)  # Gram-matrix accumulation (one pass)

    def _train_shared_bytes(self) -> int:
        if self._task is not None and self._task.target == "class":
            return 0
        # the ridge solve's float64 Gram matrix X^T X and X^T y
        return int(((self._d_in + 1) ** 2 + (self._d_in + 1) * self._d_out) * 8)

    def param_count(self) -> int:
        return 0 if self._model is None else int((self._d_in + 1) * self._d_out)


@register
class MLPWindow(_WindowLearner):
    """Feed-forward net (one hidden layer, ReLU, Adam) on a window of delay taps: "Bengio's
    first language model" in the lecture's terms. scikit-learn's MLP."""

    name: ClassVar[str] = "mlp_window"
    scorecard: ClassVar[dict[str, bool]] = {**WINDOW_SCORECARD, "no_weight_transport": False,
                                            "no_derivative_feedback": False,
                                            "no_clocked_phases": False}
    #: the hidden layer learns by backprop through the output weights (W^T, the ReLU's
    #: derivative, a backward pass) on a stored window; the output layer's gradient is the
    #: delta rule (its error times the hidden activity)
    scorecard_components: ClassVar[dict] = {"representation": scorecard,
                                            "readout": DELTA_RULE_READOUT}
    readout_name = "backprop (feed-forward)"
    search_space: ClassVar[dict[str, Param]] = {
        "taps": Int(1, 64, log=True),  # None (default): the task's window, as in ar_taps
        "hidden_size": Int(8, 256, log=True),
        "alpha": Float(1e-6, 1e-1, log=True),
        "lr": Float(1e-4, 3e-2, log=True),
    }
    budget_param: ClassVar[str | None] = "epochs"

    def __init__(self, seed: int = 0, device: str = "auto", taps: int | None = None,
                 hidden_size: int = 64, epochs: int = 200, alpha: float = 1e-4,
                 lr: float = 1e-3) -> None:
        super().__init__(seed=seed, device=device, taps=taps)
        self.hidden_size = check_int("mlp_window.hidden_size", hidden_size, low=1)
        self.epochs = check_int("mlp_window.epochs", epochs, low=1)
        self.alpha = check_float("mlp_window.alpha", alpha, low=0.0)
        self.lr = check_float("mlp_window.lr", lr, low=0.0, low_open=True)

    def _fit_model(self, X, y, task):
        """Adam on shuffled mini-batches (scikit-learn's MLP), one ``partial_fit`` per pass
        over the rows, each pass reported to :meth:`epoch_end`.

        This is ``fit(max_iter=epochs)`` run pass by pass: the same initial weights, Adam
        state, mini-batch size ("auto": min(200, rows)) and stopping rule (training loss not
        better by ``tol`` for ``n_iter_no_change`` passes, checked as ``fit`` does). The
        estimator gets a ``RandomState`` (not a seed) so that every pass continues one
        random stream and draws a fresh shuffle; ``partial_fit`` permutes the rows afresh
        where ``fit`` re-permutes the previous order, so with more than one batch per pass
        the orders (not their distribution) differ from ``fit``'s; with one batch the
        result equals ``fit``'s (tested). ``alpha`` is the L2 penalty, ``lr`` Adam's
        ``learning_rate_init``.
        """
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier, MLPRegressor
        from sklearn.utils.multiclass import unique_labels

        self._d_in, self._d_out = X.shape[1], task.n_out
        cls = MLPRegressor if task.target == "real" else MLPClassifier
        model = cls(hidden_layer_sizes=(self.hidden_size,), alpha=self.alpha,
                    learning_rate_init=self.lr, max_iter=self.epochs,
                    random_state=np.random.RandomState(self.seed), early_stopping=False)
        if task.target == "binary":
            y = y.astype(int)
        y = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
        first = {} if task.target == "real" else {"classes": unique_labels(y)}
        self._model = model  # predict() works after every pass (the validation monitor)
        self._epochs = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for epoch in range(1, self.epochs + 1):
                model.partial_fit(X, y, **(first if epoch == 1 else {}))
                self._epochs = epoch
                converged = getattr(model, "_no_improvement_count", 0) > model.n_iter_no_change
                t = time.perf_counter()
                stop = self.epoch_end(epoch, epoch * self._n_train)
                self._val_s += time.perf_counter() - t
                if stop or converged:
                    break
        return model

    def _macs_per_row(self) -> float:
        return float((self._d_in + 1) * self.hidden_size + (self.hidden_size + 1) * self._d_out)

    def _train_macs_per_row(self) -> float:
        return 3.0 * self._macs_per_row() * self._epochs  # forward + 2x backward, per epoch

    def param_count(self) -> int:
        return 0 if self._model is None else int(self._macs_per_row())
