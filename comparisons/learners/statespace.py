"""Hidden-state models from the course (Hinton lecture 7a): a linear dynamical system with
Kalman filtering, and hidden Markov models (forward algorithm, Viterbi).

Both are generative models whose hidden state is inferred, not computed deterministically as
in an RNN; the lecture contrasts them with RNNs. Here they are references for the tasks they
fit: the LDS predicts the next value of a real-valued series (Mackey–Glass), the HMMs classify
whole sequences (one HMM per class, by likelihood).

Protocol: the LDS is a one-shot least-squares fit (no budget); the HMMs' budget is ``n_iter``
Baum–Welch iterations, each one pass over the training sequences (all classes' HMMs take one
EM step), reported to :meth:`~comparisons.learners.base.Learner.epoch_end`.
"""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np
from scipy.special import logsumexp

from comparisons.learners import register
from comparisons.learners.base import FitInfo, Learner
from comparisons.learners.scorecard import not_learned
from comparisons.metrics.ops import add_memory_traffic
from comparisons.space import Float, Int, Param
from comparisons.tasks.base import Task, TaskData
from comparisons.validation import check_float, check_int

GENERATIVE_SCORECARD = {
    # fitted by least squares / EM over whole sequences (forward-backward): not local, not
    # online, no spikes; EM uses no weight transport or derivatives of a nonlinearity
    "local_learning": False, "no_weight_transport": True, "no_derivative_feedback": True,
    "no_clocked_phases": False, "binary_spikes": False, "no_target_outputs": True,
    "online_in_time": False,
}


# ------------------------------------------------------------------------------ Kalman
def kalman_predict(y: np.ndarray, A: np.ndarray, C: np.ndarray, Q: np.ndarray, R: float,
                   z0: np.ndarray, P0: np.ndarray) -> np.ndarray:
    r"""One-step-ahead predictions of a scalar series under a linear-Gaussian state space.

    .. math::

        z_{t+1} = A z_t + w_t,\ w_t \sim \mathcal N(0, Q); \qquad
        y_t = C z_t + v_t,\ v_t \sim \mathcal N(0, R)

    The Kalman filter (Kalman 1960) updates :math:`z_{t|t}` from :math:`y_t` and predicts
    :math:`\hat y_{t+1|t} = C A z_{t|t}`.

    Parameters
    ----------
    y : ndarray, shape (T, B)
        Observed series (B independent sequences).
    A : (d, d); C : (d,); Q : (d, d); R : float; z0 : (d,); P0 : (d, d)

    Returns
    -------
    ndarray, shape (T, B)
        ``out[t] = E[y_{t+1} | y_0..y_t]``.
    """
    T, B = y.shape
    d = A.shape[0]
    z = np.tile(z0, (B, 1))  # (B, d) prior mean for the current step
    P = P0.copy()  # the covariance does not depend on the data: shared by all sequences
    out = np.empty((T, B))
    for t in range(T):
        s = C @ P @ C + R
        k = P @ C / s  # (d,)
        z = z + np.outer(y[t] - z @ C, k)
        P = (np.eye(d) - np.outer(k, C)) @ P
        z = z @ A.T
        P = A @ P @ A.T + Q
        out[t] = z @ C
    return out


@register
class LDSKalman(Learner):
    """Linear dynamical system in companion form of an AR(d) model, fitted by least squares,
    with process noise from the residuals and observation noise ``obs_noise`` x variance;
    predictions by Kalman filtering. For next-step prediction of a scalar series."""

    name: ClassVar[str] = "lds_kalman"
    family: ClassVar[str] = "classical"
    scorecard: ClassVar[dict[str, bool]] = GENERATIVE_SCORECARD
    #: the state-space model (A, Q: least squares on the series) is the representation;
    #: the observation row C = e_1 of the companion form is fixed, not learned
    scorecard_components: ClassVar[dict] = {"representation": GENERATIVE_SCORECARD,
                                            "readout": not_learned()}
    search_space: ClassVar[dict[str, Param]] = {
        "order": Int(1, 32, log=True),
        # observation noise as a fraction of the series' variance (0 is allowed when set
        # by hand: the Kalman filter then reproduces the AR(order) prediction)
        "obs_noise": Float(1e-8, 1e-1, log=True),
    }
    budget_param: ClassVar[str | None] = None  # least squares in closed form

    def __init__(self, seed: int = 0, device: str = "auto", order: int = 8,
                 obs_noise: float = 1e-4) -> None:
        super().__init__(seed=seed, device=device)
        self.order = check_int("lds_kalman.order", order, low=1)
        self.obs_noise = check_float("lds_kalman.obs_noise", obs_noise, low=0.0)
        self._A = None
        self.device_used = "cpu"

    @classmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        if task.target != "real" or task.output != "per_step" or task.n_in != 1 \
                or task.n_out != 1:
            return False, "the LDS predicts the next value of a scalar series (real, per-step)"
        return True, ""

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        d = self.order
        x = np.asarray(data.train.x[:, :, 0], np.float64)  # (T, B)
        y = np.asarray(data.train.y[:, :, 0], np.float64)
        t0 = time.perf_counter()
        # regress y_t (the next value) on the last d inputs
        T = x.shape[0]
        lags = np.stack([np.concatenate([np.zeros((k, x.shape[1])), x[:T - k]]) for k in
                         range(d)], axis=-1)  # (T, B, d)
        m = np.ones_like(y, bool) if data.train.mask is None else data.train.mask
        m = m & (np.arange(T)[:, None] >= d - 1)
        X = np.concatenate([lags[m], np.ones((int(m.sum()), 1))], axis=1)
        coef, *_ = np.linalg.lstsq(X, y[m], rcond=None)
        resid = y[m] - X @ coef
        a, self._mean_term = coef[:d], coef[d]
        A = np.zeros((d + 1, d + 1))  # companion form plus a constant state for the offset
        A[0, :d], A[0, d] = a, self._mean_term
        A[1:d, :d - 1] = np.eye(d - 1)
        A[d, d] = 1.0
        self._A = A
        self._C = np.zeros(d + 1)
        self._C[0] = 1.0
        self._Q = np.zeros((d + 1, d + 1))
        self._Q[0, 0] = float(resid.var())
        self._R = self.obs_noise * float(x.var()) + 1e-12
        self._z0 = np.zeros(d + 1)
        self._z0[d] = 1.0
        self._P0 = np.eye(d + 1) * float(x.var())
        self._P0[d, d] = 0.0
        k = d + 1
        # what the fit stores per sample (float64): the lagged inputs (T x d) and its
        # regression rows (rows x k); one least-squares pass over the rows
        B = x.shape[1]
        rows = len(X) / B
        per_sample = int(T * d * 8 + rows * k * 8)
        return FitInfo(wall_s=time.perf_counter() - t0, readout="least squares",
                       train_ops=add_memory_traffic({"mac": float(rows * k * k)}),
                       train_memory_bytes=per_sample,
                       extra={"train_memory_per_sample_bytes": per_sample,
                              "train_memory_shared_bytes": 0})

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._A is None:
            raise RuntimeError("lds_kalman: call fit() before predict()")
        y = np.asarray(x[:, :, 0], np.float64)
        out = kalman_predict(y, self._A, self._C, self._Q, self._R, self._z0, self._P0)
        if self.count_ops:
            k = self._A.shape[0]
            # per step: mean update and prediction (~ 2 k^2); the covariance recursion is
            # data-independent and shared by all sequences
            self.last_inference_ops = add_memory_traffic(
                {"mac": float(y.shape[0] * 2 * k * k)})
        return out[..., None].astype(np.float32)

    def param_count(self) -> int:
        return 0 if self._A is None else int(self._A[0].size + 2)


# ------------------------------------------------------------------------------ HMM
def _log_emission(x: np.ndarray, mu: np.ndarray, var: np.ndarray) -> np.ndarray:
    """log N(x_t | mu_k, diag var_k) for x (T, B, F) -> (T, B, K)."""
    d = x[:, :, None, :] - mu[None, None]
    return -0.5 * (np.sum(d * d / var, -1) + np.sum(np.log(2 * np.pi * var), -1))


def hmm_forward(log_e: np.ndarray, log_pi: np.ndarray, log_A: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    r"""Forward algorithm in log space.

    .. math:: \alpha_t(j) = p(x_t \mid j) \sum_i \alpha_{t-1}(i) A_{ij}

    Parameters
    ----------
    log_e : (T, B, K) log emission probabilities; log_pi : (K,); log_A : (K, K)

    Returns
    -------
    log_alpha : (T, B, K); log_likelihood : (B,)
    """
    T = log_e.shape[0]
    la = np.empty_like(log_e)
    la[0] = log_pi + log_e[0]
    for t in range(1, T):
        la[t] = logsumexp(la[t - 1][:, :, None] + log_A[None], axis=1) + log_e[t]
    return la, logsumexp(la[-1], axis=1)


def hmm_backward(log_e: np.ndarray, log_A: np.ndarray) -> np.ndarray:
    """Backward messages log beta (T, B, K)."""
    T = log_e.shape[0]
    lb = np.zeros_like(log_e)
    for t in range(T - 2, -1, -1):
        lb[t] = logsumexp(log_A[None] + (log_e[t + 1] + lb[t + 1])[:, None, :], axis=2)
    return lb


def viterbi(log_e: np.ndarray, log_pi: np.ndarray, log_A: np.ndarray) -> np.ndarray:
    """Most probable state path (T, B) (Viterbi 1967)."""
    T, B, K = log_e.shape
    delta = log_pi + log_e[0]
    back = np.empty((T, B, K), dtype=np.int64)
    for t in range(1, T):
        s = delta[:, :, None] + log_A[None]
        back[t] = s.argmax(1)
        delta = s.max(1) + log_e[t]
    path = np.empty((T, B), dtype=np.int64)
    path[-1] = delta.argmax(1)
    for t in range(T - 1, 0, -1):
        path[t - 1] = np.take_along_axis(back[t], path[t][:, None], 1)[:, 0]
    return path


HMMParams = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # log_pi, log_A, mu, var


def init_gaussian_hmm(x: np.ndarray, n_states: int, rng: np.random.Generator,
                      min_var: float = 1e-3) -> HMMParams:
    """Starting point of Baum–Welch: means at ``n_states`` distinct random frames of x
    (T, B, F), the data's variance, uniform initial probabilities, sticky transitions
    (0.8 on the diagonal). Returns log_pi (K,), log_A (K, K), mu (K, F), var (K, F)."""
    F = x.shape[-1]
    flat = x.reshape(-1, F)
    mu = flat[rng.choice(len(flat), n_states, replace=False)].copy()
    var = np.tile(flat.var(0) + min_var, (n_states, 1))
    log_pi = np.full(n_states, -np.log(n_states))
    A = np.full((n_states, n_states), 0.2 / max(n_states - 1, 1))
    np.fill_diagonal(A, 0.8 if n_states > 1 else 1.0)
    return log_pi, np.log(A), mu, var


def baum_welch_step(x: np.ndarray, params: HMMParams, min_var: float = 1e-3
                    ) -> tuple[HMMParams, float]:
    r"""One EM iteration (one pass over the sequences x (T, B, F)) of a diagonal-Gaussian HMM.

    E step: state posteriors :math:`\gamma_t(k)` and transition posteriors
    :math:`\xi_t(i, j)` by forward-backward; M step: re-estimated initial, transition and
    emission parameters. Returns the new parameters and the mean log-likelihood per sequence
    of the old ones.
    """
    log_pi, log_A, mu, var = params
    n_states, F = mu.shape
    flat = x.reshape(-1, F)
    log_e = _log_emission(x, mu, var)
    la, ll = hmm_forward(log_e, log_pi, log_A)
    lb = hmm_backward(log_e, log_A)
    gamma = np.exp(la + lb - ll[None, :, None])  # (T, B, K)
    xi = np.exp(la[:-1, :, :, None] + log_A[None, None] + (log_e[1:] + lb[1:])[:, :, None]
                - ll[None, :, None, None]).sum((0, 1))  # (K, K)
    log_pi = np.log(gamma[0].mean(0) + 1e-12)
    out = xi.sum(1, keepdims=True)  # expected transitions out of each state
    # a state the data never leaves (or never visits) keeps its old row instead of 0/0
    log_A = np.where(out > 0, np.log(xi / np.where(out > 0, out, 1.0) + 1e-12), log_A)
    w = gamma.reshape(-1, n_states)
    tot = w.sum(0)[:, None] + 1e-12
    mu = (w.T @ flat) / tot
    var = (w.T @ flat ** 2) / tot - mu ** 2 + min_var
    return (log_pi, log_A, mu, var), float(ll.mean())


def fit_gaussian_hmm(x: np.ndarray, n_states: int, n_iter: int, rng: np.random.Generator,
                     min_var: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                     np.ndarray, list[float]]:
    """Baum–Welch (EM) for a diagonal-Gaussian HMM on sequences x (T, B, F):
    :func:`init_gaussian_hmm`, then ``n_iter`` :func:`baum_welch_step`.

    Returns log_pi (K,), log_A (K, K), mu (K, F), var (K, F) and the mean log-likelihood per
    sequence before each iteration (non-decreasing, up to the variance floor).
    """
    params = init_gaussian_hmm(x, n_states, rng, min_var)
    hist = []
    for _ in range(n_iter):
        params, ll = baum_welch_step(x, params, min_var)
        hist.append(ll)
    return (*params, hist)


@register
class HMMClassifier(Learner):
    """One diagonal-Gaussian HMM per class (Baum–Welch); a sequence gets the class whose HMM
    gives it the highest likelihood (forward algorithm). Scores are log-likelihoods."""

    name: ClassVar[str] = "hmm"
    family: ClassVar[str] = "classical"
    scorecard: ClassVar[dict[str, bool]] = {**GENERATIVE_SCORECARD, "no_target_outputs": False}
    #: one HMM per class, each fitted by EM on its class's sequences only (the labels choose
    #: what each learns: target outputs); the decision (highest likelihood) is fixed
    scorecard_components: ClassVar[dict] = {"representation": scorecard,
                                            "readout": not_learned()}
    search_space: ClassVar[dict[str, Param]] = {"n_states": Int(2, 16, log=True)}
    budget_param: ClassVar[str | None] = "n_iter"  # one EM iteration = one pass

    def __init__(self, seed: int = 0, device: str = "auto", n_states: int = 4,
                 n_iter: int = 15) -> None:
        super().__init__(seed=seed, device=device)
        self.n_states = check_int("hmm.n_states", n_states, low=1)
        self.n_iter = check_int("hmm.n_iter", n_iter, low=1)
        self._models: list | None = None
        self.device_used = "cpu"

    @classmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        if task.target != "class" or task.output != "final":
            return False, "class-conditional HMMs classify whole sequences"
        return True, ""

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        self._task = task
        rng = np.random.default_rng(self.seed)
        x = np.asarray(data.train.x, np.float64)
        y = np.asarray(data.train.y).astype(int)
        self._scale = x.reshape(-1, x.shape[-1]).std(0) + 1e-8
        x = x / self._scale
        t0 = self.fit_clock()
        sels = []
        for c in range(task.n_out):
            sel = x[:, y == c]
            if sel.shape[1] == 0:
                raise ValueError(f"hmm: class {c} has no training sequences")
            sels.append(sel)
        # the random starts are drawn class by class, as fit_gaussian_hmm would
        params = [init_gaussian_hmm(sel, self.n_states, rng) for sel in sels]
        n = x.shape[1]
        history = []
        for it in range(1, self.n_iter + 1):
            # one pass over the training set: every class's HMM takes one EM step
            params, lls = zip(*(baum_welch_step(sel, p) for sel, p in
                                zip(sels, params, strict=True)), strict=True)
            self._models = [list(p) for p in params]
            history.append(-float(np.mean(lls)))
            if self.epoch_end(it, it * n):
                break
        T, F, K = x.shape[0], x.shape[2], self.n_states
        per_pass = T * (K * K + 2 * K * F)  # forward recursion + emissions, one HMM
        return FitInfo(wall_s=self.fit_seconds(t0), readout="Baum-Welch",
                       history=history,
                       train_ops=add_memory_traffic({"mac": float(3 * per_pass * len(history))}),
                       train_memory_bytes=int(2 * T * K * 8))

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._models is None:
            raise RuntimeError("hmm: call fit() before predict()")
        x = np.asarray(x, np.float64) / self._scale
        scores = np.stack([hmm_forward(_log_emission(x, mu, var), lp, la)[1]
                           for lp, la, mu, var in self._models], axis=1)
        if self.count_ops:
            T, F, K = x.shape[0], x.shape[2], self.n_states
            self.last_inference_ops = add_memory_traffic(
                {"mac": float(len(self._models) * T * (K * K + 2 * K * F))})
        return scores

    def param_count(self) -> int:
        K = self.n_states
        F = self._models[0][2].shape[1] if self._models else 0
        return len(self._models or []) * (K + K * K + 2 * K * F)
