"""Mackey–Glass next-step prediction (Mackey & Glass 1977; the ESN benchmark of Jaeger 2001).

The series is generated here by integrating the delay differential equation with RK4 (the
delayed term linearly interpolated at half steps) from a constant history drawn from the
seed; each sequence is an independent trajectory after a transient, sampled every
``sample_dt`` time units. The learner reads ``x_t`` and predicts ``x_{t+horizon}`` at every
step (teacher forcing; NeuroBench's benchmark is autoregressive and its numbers are not
directly comparable). The first ``washout`` steps are not scored.

Metrics: ``nrmse`` (headline; RMSE / std of the targets, as reservoirpy computes it, *not*
Jaeger's variant), ``mse``, and ``smape`` in percent as NeuroBench reports it (LSTM 13.37,
ESN 14.79 on their autoregressive task). Predicting the mean gives ``nrmse = 1``; the
``persistence`` baseline (predict ``x_t``) is reported by :meth:`MackeyGlass.baselines`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from comparisons.tasks.base import Split, Task, TaskData
from comparisons.validation import check_float, check_int


def mackey_glass(
    n_steps: int,
    x0: np.ndarray,
    *,
    tau: float = 17.0,
    beta: float = 0.2,
    gamma: float = 0.1,
    power: float = 10.0,
    dt: float = 0.1,
    sample_every: int = 10,
    transient: int = 0,
) -> np.ndarray:
    r"""Integrate Mackey–Glass trajectories with RK4 (one per entry of ``x0``).

    .. math::

        \frac{dx}{dt} = \beta \frac{x(t - \tau)}{1 + x(t - \tau)^{n}} - \gamma x(t),

    from the constant history :math:`x(t) = x_0` for :math:`t \le 0` (Mackey & Glass 1977;
    :math:`\tau = 17` gives the mildly chaotic regime used as an ESN benchmark).
    ``tau / dt`` must be an integer; the delayed value at half steps is the mean of its two
    grid neighbours.

    Parameters
    ----------
    n_steps : int
        Samples to return (after the transient).
    x0 : array, shape (B,)
        Constant initial history of each trajectory.
    dt : float
        Integration step.
    sample_every : int
        Integration steps per returned sample (sampling interval ``sample_every * dt``).
    transient : int
        Samples computed and dropped before the first returned one.

    Returns
    -------
    ndarray, shape (n_steps, B), float64
    """
    lag = int(round(tau / dt))
    if lag < 1 or abs(lag * dt - tau) > 1e-9 * max(1.0, tau):
        raise ValueError(f"tau / dt must be a positive integer, got tau={tau}, dt={dt}")
    x0 = np.asarray(x0, dtype=np.float64)
    total = (n_steps + transient) * sample_every
    hist = np.empty((lag + total + 1, x0.shape[0]))  # hist[i] = x at time (i - lag) * dt
    hist[: lag + 1] = x0

    def f(x: np.ndarray, xd: np.ndarray) -> np.ndarray:
        return beta * xd / (1.0 + xd**power) - gamma * x

    for i in range(lag, lag + total):
        x = hist[i]
        d0, d1 = hist[i - lag], hist[i - lag + 1]
        dh = 0.5 * (d0 + d1)
        k1 = f(x, d0)
        k2 = f(x + 0.5 * dt * k1, dh)
        k3 = f(x + 0.5 * dt * k2, dh)
        k4 = f(x + dt * k3, d1)
        hist[i + 1] = x + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    samples = hist[lag::sample_every][1:]  # times sample_every*dt, 2*..., ...
    return samples[transient: transient + n_steps]


def smape(pred: np.ndarray, y: np.ndarray) -> float:
    r"""Symmetric mean absolute percentage error, NeuroBench's definition (percent).

    .. math:: \mathrm{sMAPE} = \frac{200}{N} \sum \frac{|\hat y - y|}{|\hat y| + |y|}

    A NaN or infinite prediction scores the worst term (200, as NeuroBench's metric), not 0:
    a diverged model must not look perfect.
    """
    pred = np.asarray(pred, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    num = np.abs(pred - y)
    den = np.abs(pred) + np.abs(y)
    ok = np.isfinite(pred) & (den > 0)
    ratio = np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=ok)
    ratio[~np.isfinite(pred)] = 1.0
    return float(200.0 * ratio.mean())


class MackeyGlass(Task):
    """Predict the Mackey–Glass series ``horizon`` samples ahead at every step (regression).

    Parameters
    ----------
    length : int
        Samples per sequence ``T``.
    n_train, n_test, n_val : int
        Independent trajectories per split (different random initial histories; all three
        drawn alike).
    horizon : int
        Prediction distance in samples (1 = next step).
    washout : int
        Leading steps left unscored (the learner's state settles).
    tau : float
        Delay (17: mild chaos; 30: stronger).
    sample_dt : float
        Time between samples (1.0 as in the ESN literature; integration uses ``dt = 0.1``).
    transient : int
        Samples discarded at the start of each trajectory (leave the initial history behind).
    """

    name: ClassVar[str] = "mackey_glass"
    target: ClassVar[str] = "real"
    output: ClassVar[str] = "per_step"
    metric: ClassVar[str] = "nrmse"
    higher_is_better: ClassVar[bool] = False
    description: ClassVar[str] = (
        "Mackey-Glass tau=17 chaotic series, predict x(t + horizon) at every step "
        "(teacher-forced); nrmse, mse, sMAPE."
    )
    chance_note: ClassVar[str] = "nrmse = 1 (predict the mean)"
    baseline_descriptions: ClassVar[dict[str, str]] = {
        "chance": "predict the mean training target at every step: nrmse ~ 1",
        "persistence": "predict the current value x_t for x_{t+horizon} (last value)",
    }
    # NeuroBench's Mackey-Glass numbers (sMAPE: LSTM 13.37, ESN 14.79) come from closed-loop
    # autoregressive prediction of one fixed series, not this teacher-forced setting, so
    # none are listed.
    literature: ClassVar[tuple[dict, ...]] = ()

    def __init__(
        self,
        length: int = 200,
        n_train: int = 64,
        n_test: int = 16,
        horizon: int = 1,
        washout: int = 20,
        tau: float = 17.0,
        sample_dt: float = 1.0,
        transient: int = 300,
        n_val: int = 16,
    ) -> None:
        self.length = check_int("MackeyGlass.length", length, low=2)
        self.n_train = check_int("MackeyGlass.n_train", n_train, low=1)
        self.n_test = check_int("MackeyGlass.n_test", n_test, low=1)
        self.n_val = check_int("MackeyGlass.n_val", n_val, low=1)
        self.horizon = check_int("MackeyGlass.horizon", horizon, low=1)
        self.washout = check_int("MackeyGlass.washout", washout, low=0, high=self.length - 1)
        self.tau = check_float("MackeyGlass.tau", tau, low=0.0, low_open=True)
        self.sample_dt = check_float("MackeyGlass.sample_dt", sample_dt, low=0.0, low_open=True)
        self.transient = check_int("MackeyGlass.transient", transient, low=0)
        self._dt = 0.1
        every = self.sample_dt / self._dt
        if abs(every - round(every)) > 1e-9 or round(every) < 1:
            raise ValueError(
                f"MackeyGlass.sample_dt must be a multiple of 0.1, got {sample_dt}")
        if abs(self.tau / self._dt - round(self.tau / self._dt)) > 1e-9:
            raise ValueError(f"MackeyGlass.tau must be a multiple of 0.1, got {tau}")
        self.n_in, self.n_out = 1, 1

    def series(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` trajectories of ``length + horizon`` samples, shape (length + horizon, n)."""
        x0 = rng.uniform(0.5, 1.3, size=n)
        return mackey_glass(
            self.length + self.horizon, x0, tau=self.tau, dt=self._dt,
            sample_every=int(round(self.sample_dt / self._dt)), transient=self.transient,
        )

    def _split(self, n: int, rng: np.random.Generator) -> Split:
        s = self.series(n, rng).astype(np.float32)
        x = s[: self.length, :, None]
        y = s[self.horizon: self.horizon + self.length, :, None]
        mask = np.zeros((self.length, n), dtype=bool)
        mask[self.washout:] = True
        return Split(x=np.ascontiguousarray(x), y=np.ascontiguousarray(y), mask=mask)

    def make(self, seed: int) -> TaskData:
        """Train, test, then validation trajectories from one generator seeded by ``seed``."""
        rng = np.random.default_rng(check_int("seed", seed, low=0))
        train = self._split(self.n_train, rng)
        test = self._split(self.n_test, rng)
        val = self._split(self.n_val, rng)
        return self._task_data(seed, train, val, test)

    def extra_scores(self, pred: np.ndarray, split: Split) -> dict[str, float]:
        m = np.ones(split.x.shape[:2], bool) if split.mask is None else split.mask
        return {"smape": smape(pred[m].astype(np.float64), split.y[m].astype(np.float64))}

    def baselines(self, data: TaskData, split: str = "test") -> dict[str, dict[str, float]]:
        """Chance (the training mean) and persistence (predict ``x_t`` for
        ``x_{t+horizon}``) on ``split``."""
        out = super().baselines(data, split)
        sp = data.split(split)
        out["persistence"] = self.score(sp.x.copy(), sp)
        return out
