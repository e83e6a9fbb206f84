"""Memoryless references from the course (Hinton lecture 7a): an autoregressive linear model
on delay taps and a feed-forward net on a window of delay taps.

Both see only the last ``taps`` input steps. Per-step tasks get one window per step (zero
padded at the start); final-output tasks get the window ending at the last step.
"""

from __future__ import annotations

import time
import warnings
from typing import ClassVar

import numpy as np

from comparisons.learners import register
from comparisons.learners.base import FitInfo, Learner
from comparisons.metrics.ops import add_memory_traffic
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
    # past inputs (delay line) instead of a state
    "local_learning": False, "no_weight_transport": True, "no_derivative_feedback": True,
    "no_clocked_phases": True, "binary_spikes": False, "no_target_outputs": False,
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
        X = rows_for(task, data.train.x, taps, data.train.mask)
        y = targets_for(task, data.train.y, data.train.mask)
        t0 = time.perf_counter()
        self._model = self._fit_model(X.astype(np.float64), y, task)
        wall = time.perf_counter() - t0
        rows_per_sample = len(X) / data.train.n_samples
        return FitInfo(
            wall_s=wall, readout=self.readout_name,
            train_ops=add_memory_traffic({"mac": self._train_macs_per_row() * rows_per_sample}),
            train_memory_bytes=int(X.shape[1] * 8 * rows_per_sample),
            history=list(getattr(self._model, "loss_curve_", [])),
        )

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
    readout_name = "ridge / logistic (closed form / L-BFGS)"

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
        return float((self._d_in + 1) ** 2)  # Gram-matrix accumulation

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
    readout_name = "backprop (feed-forward)"

    def __init__(self, seed: int = 0, device: str = "auto", taps: int | None = None,
                 hidden_size: int = 64, max_iter: int = 200) -> None:
        super().__init__(seed=seed, device=device, taps=taps)
        self.hidden_size = check_int("mlp_window.hidden_size", hidden_size, low=1)
        self.max_iter = check_int("mlp_window.max_iter", max_iter, low=1)

    def _fit_model(self, X, y, task):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        self._d_in, self._d_out = X.shape[1], task.n_out
        cls = MLPRegressor if task.target == "real" else MLPClassifier
        model = cls(hidden_layer_sizes=(self.hidden_size,), max_iter=self.max_iter,
                    random_state=self.seed, early_stopping=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if task.target == "binary":
                y = y.astype(int)
            model.fit(X, y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y)
        self._epochs = int(model.n_iter_)
        return model

    def _macs_per_row(self) -> float:
        return float((self._d_in + 1) * self.hidden_size + (self.hidden_size + 1) * self._d_out)

    def _train_macs_per_row(self) -> float:
        return 3.0 * self._macs_per_row() * self._epochs  # forward + 2x backward, per epoch

    def param_count(self) -> int:
        return 0 if self._model is None else int(self._macs_per_row())
