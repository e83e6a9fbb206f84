r"""Diehl & Cook (2015): unsupervised digit recognition with STDP.

Poisson inputs (rate ``pixel / max_pixel * max_rate``) drive ``n_exc`` conductance-based
excitatory LIF neurons through plastic weights; each excitatory neuron excites its own
inhibitory partner, which inhibits all other excitatory neurons (winner-take-all,
:func:`neurosim.plasticity.wta.lateral_inhibition_matrix`). Homeostasis: adaptive thresholds
(:func:`neurosim.plasticity.homeostasis.adaptive_threshold_step`) and input-weight column
sums normalised before each image (:func:`~neurosim.plasticity.homeostasis.normalize_columns`).
Learning: nearest-spike triplet STDP (:func:`neurosim.plasticity.stdp.triplet_stdp_step` with
``A2+ = A3- = 0``): a pre spike depresses by ``nu_pre * post1``, a post spike potentiates by
``nu_post * pre * post2``. Each neuron is labelled with the class it responds to most on the
training set; a test image gets the class whose neurons fire most on average.

Membrane equations (``dt`` 0.5 ms), integrated with exponential Euler as neurosim's
conductance LIF (exact relaxation towards ``v_inf`` for the conductances at the start of the
step). Plain Euler, used by the authors' code, is unstable here once many inhibitory neurons
fire together (``dt / tau * g_i > 2``): with 400 neurons it made activity explode.

.. math::

    \tau_e \dot v = (v_\text{rest} - v) + g_e (E_\text{exc} - v) + g_i (E_\text{inh} - v),
    \quad \text{threshold } v > v_\theta + \theta

Two implementations of the same step: a numba kernel for one copy on CPU
(:func:`_present_numba`), and a batched torch path (``B`` images in parallel, independent
copies, CPU or GPU) that calls the pure plasticity functions. Both read the same input
rasters and give the same result (tested). The authors' 150 ms rest between images is
replaced by resetting the dynamic variables (BindsNET does the same).

Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition using
spike-timing-dependent plasticity. *Front. Comput. Neurosci.* 9:99.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numba
import numpy as np

from neurosim.plasticity.homeostasis import (
    AdaptiveThresholdParams,
    adaptive_threshold_step,
    normalize_columns,
)
from neurosim.plasticity.stdp import TripletSTDPParams, TripletSTDPState, triplet_stdp_step
from neurosim.units import Hz, ms, mV

__all__ = ["DiehlCookConfig", "DiehlCook", "stdp_params", "present_numba", "present_torch",
           "normalize"]


@dataclass(frozen=True)
class DiehlCookConfig:
    """Parameters (SI; conductances relative to the leak). Defaults: the authors' code."""

    n_input: int = 784
    n_exc: int = 100
    dt: float = 0.5 * ms
    t_image: float = 350 * ms
    max_rate: float = 63.75 * Hz
    intensity_step: float = 32 * Hz   #: added to max_rate when too few spikes
    min_spikes: int = 5
    max_repeats: int = 6
    # excitatory neurons
    tau_e: float = 100 * ms
    v_rest_e: float = -65 * mV
    v_reset_e: float = -65 * mV
    v_thresh_e: float = -52 * mV
    t_ref_e: float = 5 * ms
    # inhibitory neurons
    tau_i: float = 10 * ms
    v_rest_i: float = -60 * mV
    v_reset_i: float = -45 * mV
    v_thresh_i: float = -40 * mV
    t_ref_i: float = 2 * ms
    # synapses
    tau_ge: float = 1 * ms
    tau_gi: float = 2 * ms
    e_exc: float = 0 * mV
    e_inh_e: float = -100 * mV
    e_inh_i: float = -85 * mV
    w_ei: float = 10.4
    w_ie: float = 17.0
    w_max: float = 1.0
    w_init_max: float = 0.3
    norm_total: float = 78.0
    # plasticity
    nu_pre: float = 1e-4
    nu_post: float = 1e-2
    tau_pre: float = 20 * ms
    tau_post1: float = 20 * ms
    tau_post2: float = 40 * ms
    theta_plus: float = 0.05 * mV
    tau_theta: float = 1e7 * ms

    def __post_init__(self) -> None:
        o = type(self).__name__
        for f in ("n_input", "n_exc", "min_spikes", "max_repeats"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{o}.{f} must be an int >= 1, got {v!r}")
        for f in ("dt", "t_image", "tau_e", "tau_i", "tau_ge", "tau_gi", "tau_pre",
                  "tau_post1", "tau_post2", "tau_theta", "max_rate", "w_max", "norm_total"):
            v = getattr(self, f)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"{o}.{f} must be > 0, got {v!r}")
        for f in ("nu_pre", "nu_post", "theta_plus", "w_ei", "w_ie", "w_init_max",
                  "intensity_step", "t_ref_e", "t_ref_i"):
            v = getattr(self, f)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{o}.{f} must be finite and >= 0, got {v!r}")
        if self.dt > min(self.tau_ge, self.tau_gi):
            raise ValueError(f"{o}.dt={self.dt} must not exceed the synaptic time constants "
                             f"({min(self.tau_ge, self.tau_gi)})")
        if self.norm_total > self.n_input * self.w_max:
            raise ValueError(f"{o}.norm_total={self.norm_total} cannot be reached with "
                             f"n_input={self.n_input} weights <= w_max={self.w_max}")

    @property
    def n_steps(self) -> int:
        return int(round(self.t_image / self.dt))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def stdp_params(cfg: DiehlCookConfig) -> TripletSTDPParams:
    """The authors' rule as nearest-spike triplet STDP (A2+ = A3- = 0)."""
    return TripletSTDPParams(tau_plus=cfg.tau_pre, tau_minus=cfg.tau_post1,
                             tau_x=cfg.tau_pre, tau_y=cfg.tau_post2, a2_plus=0.0,
                             a3_plus=cfg.nu_post, a2_minus=cfg.nu_pre, a3_minus=0.0,
                             w_min=0.0, w_max=cfg.w_max, pairing="nearest")


def _coef(cfg: DiehlCookConfig) -> np.ndarray:
    dt = cfg.dt
    return np.array([
        dt / cfg.tau_e, cfg.v_rest_e, cfg.v_reset_e, cfg.v_thresh_e,
        float(round(cfg.t_ref_e / dt)), dt / cfg.tau_i, cfg.v_rest_i, cfg.v_reset_i,
        cfg.v_thresh_i, float(round(cfg.t_ref_i / dt)), math.exp(-dt / cfg.tau_ge),
        math.exp(-dt / cfg.tau_gi), cfg.e_exc, cfg.e_inh_e, cfg.e_inh_i, cfg.w_ei, cfg.w_ie,
        math.exp(-dt / cfg.tau_pre), math.exp(-dt / cfg.tau_post1),
        math.exp(-dt / cfg.tau_post2), cfg.nu_pre, cfg.nu_post, cfg.w_max, cfg.theta_plus,
        math.exp(-dt / cfg.tau_theta)])


@numba.njit(cache=True, nogil=True)
def _present_numba(raster, W, theta, c, learn, counts):
    """One image for one copy; updates ``W`` ``(n_in, N)`` and ``theta`` in place, adds the
    excitatory spike counts to ``counts`` ``(N,)``. Same operation order as
    :func:`present_torch`."""
    T, n_in = raster.shape
    N = W.shape[1]
    ve = np.full(N, c[1])
    gee, gie, refe = np.zeros(N), np.zeros(N), np.zeros(N)
    vi = np.full(N, c[6])
    gei, gii, refi = np.zeros(N), np.zeros(N), np.zeros(N)
    xpre, o1, o2 = np.zeros(n_in), np.zeros(N), np.zeros(N)
    se = np.zeros(N, dtype=np.bool_)
    si = np.zeros(N, dtype=np.bool_)
    for t in range(T):
        n_si = 0
        for j in range(N):                                  # excitatory
            v = ve[j]
            if refe[j] <= 0:
                g = 1.0 + gee[j] + gie[j]
                vinf = (c[1] + gee[j] * c[12] + gie[j] * c[13]) / g
                v = vinf + (v - vinf) * math.exp(-c[0] * g)
            else:
                refe[j] -= 1.0
            s = v > c[3] + theta[j] and refe[j] <= 0
            if s:
                v = c[2]
                refe[j] = c[4]
                counts[j] += 1
            se[j] = s
            ve[j] = v
            gee[j] *= c[10]
            gie[j] *= c[11]
            v = vi[j]                                       # inhibitory
            if refi[j] <= 0:
                g = 1.0 + gei[j] + gii[j]
                vinf = (c[6] + gei[j] * c[12] + gii[j] * c[14]) / g
                v = vinf + (v - vinf) * math.exp(-c[5] * g)
            else:
                refi[j] -= 1.0
            s = v > c[8] and refi[j] <= 0
            if s:
                v = c[7]
                refi[j] = c[9]
                n_si += 1
            si[j] = s
            vi[j] = v
            gei[j] *= c[10]
            gii[j] *= c[11]
        if learn:
            for j in range(N):
                theta[j] = theta[j] * c[24] + (c[23] if se[j] else 0.0)
        for i in range(n_in):                               # input -> exc
            if raster[t, i]:
                for j in range(N):
                    gee[j] += W[i, j]
        for j in range(N):                                  # exc -> inh, inh -> others
            if se[j]:
                gei[j] += c[15]
        if n_si:
            for k in range(N):
                if si[k]:
                    for j in range(N):
                        if j != k:
                            gie[j] += c[16]
        if learn:                                           # nearest triplet STDP
            for i in range(n_in):
                xpre[i] *= c[17]
            for j in range(N):
                o1[j] *= c[18]
                o2[j] *= c[19]
            for i in range(n_in):
                if raster[t, i]:
                    for j in range(N):
                        W[i, j] = min(max(W[i, j] - c[20] * o1[j], 0.0), c[22])
                    xpre[i] = 1.0
            for j in range(N):
                if se[j]:
                    for i in range(n_in):
                        W[i, j] = min(max(W[i, j] + c[21] * o2[j] * xpre[i], 0.0), c[22])
                    o1[j] = 1.0
                    o2[j] = 1.0


def present_numba(raster: np.ndarray, W: np.ndarray, theta: np.ndarray,
                  cfg: DiehlCookConfig, learn: bool) -> np.ndarray:
    """Present one image (input raster ``(T, n_in)`` bool) to one copy on CPU; ``W`` and
    ``theta`` are updated in place when ``learn``. Returns spike counts ``(n_exc,)``."""
    counts = np.zeros(W.shape[1], dtype=np.int64)
    _present_numba(np.ascontiguousarray(raster, dtype=np.bool_), W, theta, _coef(cfg),
                   bool(learn), counts)
    return counts


def present_torch(raster: Any, W: Any, theta: Any, cfg: DiehlCookConfig, learn: bool
                  ) -> tuple[Any, Any, Any]:
    """Present ``B`` images at once to ``B`` independent copies (torch, CPU or GPU).

    ``raster`` bool ``(T, B, n_in)``, ``W`` ``(B, n_in, N)``, ``theta`` ``(B, N)``; returns
    ``(W_new, theta_new, counts (B, N))``. Uses :func:`triplet_stdp_step` (dense layout) and
    :func:`adaptive_threshold_step`; arithmetic in the order of the numba kernel.
    """
    import torch

    c = _coef(cfg)
    B, N = theta.shape
    n_in = W.shape[1]
    kw = dict(dtype=W.dtype, device=W.device)
    ve = torch.full((B, N), c[1], **kw)
    vi = torch.full((B, N), c[6], **kw)
    gee, gie, refe = (torch.zeros((B, N), **kw) for _ in range(3))
    gei, gii, refi = (torch.zeros((B, N), **kw) for _ in range(3))
    z_in = torch.zeros((B, n_in), **kw)
    st = TripletSTDPState(z_in, z_in.clone(), torch.zeros((B, N), **kw),
                          torch.zeros((B, N), **kw))
    sp = stdp_params(cfg)
    th_p = AdaptiveThresholdParams(delta_theta=cfg.theta_plus, tau_theta=cfg.tau_theta)
    counts = torch.zeros((B, N), **kw)
    for t in range(raster.shape[0]):
        free = refe <= 0
        g = 1.0 + gee + gie
        vinf = (c[1] + gee * c[12] + gie * c[13]) / g
        v = torch.where(free, vinf + (ve - vinf) * torch.exp(-c[0] * g), ve)
        refe = torch.where(free, refe, refe - 1.0)
        se = (v > c[3] + theta) & (refe <= 0)
        ve = torch.where(se, torch.full_like(v, c[2]), v)
        refe = torch.where(se, torch.full_like(v, c[4]), refe)
        gee, gie = gee * c[10], gie * c[11]
        free = refi <= 0
        g = 1.0 + gei + gii
        vinf = (c[6] + gei * c[12] + gii * c[14]) / g
        v = torch.where(free, vinf + (vi - vinf) * torch.exp(-c[5] * g), vi)
        refi = torch.where(free, refi, refi - 1.0)
        si = (v > c[8]) & (refi <= 0)
        vi = torch.where(si, torch.full_like(v, c[7]), v)
        refi = torch.where(si, torch.full_like(v, c[9]), refi)
        gei, gii = gei * c[10], gii * c[11]
        counts += se.to(W.dtype)
        if learn:
            theta = adaptive_threshold_step(theta, se, th_p, cfg.dt)
        pre = raster[t]
        gee = gee + torch.bmm(pre.to(W.dtype)[:, None, :], W)[:, 0]
        gei = gei + c[15] * se.to(W.dtype)
        n_si = si.to(W.dtype).sum(1, keepdim=True)
        gie = gie + c[16] * (n_si - si.to(W.dtype))
        if learn:
            W, st = triplet_stdp_step(st, W, pre, se, sp, cfg.dt)
    return W, theta, counts


def normalize(W: Any, cfg: DiehlCookConfig) -> Any:
    """Column sums of ``W`` (``(..., n_in, N)``) to ``cfg.norm_total``."""
    return normalize_columns(W, cfg.norm_total)


# ---------------------------------------------------------------------------- classifier
def _atomic_save(path: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    import json
    import os

    from neurosim.atomic import atomic_open

    with atomic_open(path, "wb") as f:
        np.savez(f, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
        f.flush()
        os.fsync(f.fileno())


def _load(path: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    import json

    from neurosim.io import read_npz

    arrays = read_npz(path, "DiehlCook checkpoint")
    try:
        meta = json.loads(bytes(arrays.pop("meta")).decode())
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"DiehlCook checkpoint {path!r} has no readable metadata: {e}"
                         ) from e
    return arrays, meta


class DiehlCook:
    """The Diehl & Cook classifier (scikit-learn style: ``fit`` / ``predict`` / ``score``).

    Parameters
    ----------
    config : :class:`DiehlCookConfig` (``n_input`` must match the data's features).
    max_pixel : pixel value that maps to ``max_rate`` (255 for MNIST, 16 for load_digits).
    backend : ``"numba"`` (CPU, one copy) or ``"torch"`` (``n_copies`` independent copies
        trained in parallel, each on the data in its own order; ``device="auto"``).
    random_state : seed for initial weights, data order and Poisson input.

    Fitted attributes: ``W_`` ``(n_input, n_exc)`` and ``theta_`` (copy 0), ``copies_W_``
    ``(C, n_input, n_exc)``, ``assignments_`` ``(n_exc,)``, ``train_time_s_``.
    """

    def __init__(self, config: DiehlCookConfig | None = None, max_pixel: float = 255.0,
                 backend: str = "numba", n_copies: int = 1, device: str = "auto",
                 random_state: int | None = 0) -> None:
        self.config = config or DiehlCookConfig()
        self.max_pixel, self.backend, self.n_copies = max_pixel, backend, n_copies
        self.device, self.random_state = device, random_state
        from neurosim.validation import check_choice

        check_choice("DiehlCook.backend", backend, ("numba", "torch"))
        if backend == "numba" and n_copies != 1:
            raise ValueError(f"DiehlCook.n_copies must be 1 with backend='numba', got "
                             f"{n_copies}")

    # ------------------------------------------------------------------ helpers
    def _check_X(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.config.n_input:
            raise ValueError(f"DiehlCook: X must have shape (n, {self.config.n_input}), got "
                             f"{X.shape}")
        if X.shape[0] == 0:
            raise ValueError(f"DiehlCook: X has no samples (shape {X.shape})")
        bad = ~np.isfinite(X) | (X < 0) | (X > self.max_pixel)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise ValueError(f"DiehlCook: X must be finite pixels in [0, {self.max_pixel}], "
                             f"got {float(X[r, c])!r} at [{r}, {c}]")
        return X

    def _raster(self, x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
        cfg = self.config
        p = x / self.max_pixel * rate * cfg.dt
        return rng.random((cfg.n_steps, x.size)) < p

    def _present(self, x: np.ndarray, W: np.ndarray, theta: np.ndarray, learn: bool,
                 rng: np.random.Generator) -> np.ndarray:
        """One image with the authors' retry: more input until ``min_spikes`` spikes."""
        cfg = self.config
        rate = cfg.max_rate
        counts = np.zeros(cfg.n_exc, dtype=np.int64)
        for _ in range(cfg.max_repeats):
            counts = present_numba(self._raster(x, rate, rng), W, theta, cfg, learn)
            if counts.sum() >= cfg.min_spikes:
                break
            rate += cfg.intensity_step
        return counts

    def _present_batch(self, xs: np.ndarray, W: Any, theta: Any, learn: bool,
                       rng: np.random.Generator) -> tuple[Any, Any, np.ndarray]:
        import torch

        cfg = self.config
        C = xs.shape[0]
        rate = np.full(C, cfg.max_rate)
        todo = np.arange(C)
        counts = np.zeros((C, cfg.n_exc))
        for _ in range(cfg.max_repeats):
            p = xs[todo] / self.max_pixel * rate[todo, None] * cfg.dt
            r = rng.random((cfg.n_steps, todo.size, xs.shape[1])) < p
            it = torch.as_tensor(todo, device=W.device)
            w_new, th_new, cnt = present_torch(torch.as_tensor(r, device=W.device), W[it],
                                               theta[it], cfg, learn)
            W[it], theta[it] = w_new, th_new
            counts[todo] = cnt.cpu().numpy()
            todo = todo[counts[todo].sum(1) < cfg.min_spikes]
            if todo.size == 0:
                break
            rate[todo] += cfg.intensity_step
        return W, theta, counts

    # ------------------------------------------------------------------ API
    def fit(self, X: Any, y: Any, epochs: int = 1, checkpoint: str | None = None,
            checkpoint_every: int = 100, callback: Any = None,
            epoch_end: Callable[[int], bool] | None = None) -> DiehlCook:
        """Unsupervised training on ``X`` for ``epochs``, then label assignment with ``y``.

        With ``checkpoint`` (a file path), the state (weights, thresholds, RNG, position) is
        saved atomically every ``checkpoint_every`` images and at the end; if the file
        exists, training resumes from it and ends exactly as an uninterrupted run would.
        ``callback(images_done)`` is called after every image (or batch).

        ``epoch_end(epoch)``, if given, is called after every complete pass over ``X``
        (``epoch`` counts from 1) with the model usable as trained so far: ``W_``,
        ``theta_`` and ``copies_*`` are copies of the current weights and thresholds, and
        ``assignments_`` comes from their responses to ``X`` (one more pass, without
        learning and on its own random stream, so training goes exactly as without
        ``epoch_end``; its time is not in ``train_time_s_``). Returning True stops training
        there, and the model stays the one of that epoch (a checkpoint then holds that
        position: resuming from it would train the remaining epochs).
        """
        import time

        X = self._check_X(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"DiehlCook.fit: y must have shape ({X.shape[0]},), got "
                             f"{y.shape}")
        cfg = self.config
        C = self.n_copies
        rng = np.random.default_rng(self.random_state)
        W = rng.random((C, cfg.n_input, cfg.n_exc)) * cfg.w_init_max
        theta = np.zeros((C, cfg.n_exc))
        orders = np.stack([np.concatenate([rng.permutation(X.shape[0])
                                           for _ in range(epochs)]) for _ in range(C)])
        pos, elapsed = 0, 0.0
        meta = {"config": cfg.to_json(), "n_train": int(X.shape[0]), "epochs": epochs,
                "n_copies": C, "backend": self.backend, "random_state": self.random_state}
        if checkpoint is not None:
            import os

            if os.path.exists(checkpoint):
                arrays, saved = _load(checkpoint)
                for k in ("config", "n_train", "epochs", "n_copies", "backend",
                          "random_state"):
                    if saved.get(k) != meta[k]:
                        raise ValueError(f"DiehlCook checkpoint {checkpoint!r} was made "
                                         f"with a different {k}: {saved.get(k)!r} != "
                                         f"{meta[k]!r}")
                W, theta, orders = arrays["W"], arrays["theta"], arrays["orders"]
                pos, elapsed = int(saved["pos"]), float(saved["elapsed"])
                rng.bit_generator.state = saved["rng"]
        total = orders.shape[1]

        def save() -> None:
            if checkpoint is not None:
                Wn = W if isinstance(W, np.ndarray) else W.cpu().numpy()
                th = theta if isinstance(theta, np.ndarray) else theta.cpu().numpy()
                _atomic_save(checkpoint, {"W": Wn, "theta": th, "orders": orders},
                             {**meta, "pos": pos, "elapsed": elapsed,
                              "rng": rng.bit_generator.state})

        t0 = time.perf_counter()
        if self.backend == "torch":
            W, theta = self._torch(W), self._torch(theta)
        since = 0
        n = X.shape[0]
        assigned_at = -1  # position whose weights assignments_ was computed from
        while pos < total:
            if self.backend == "numba":
                W[0] = normalize(W[0], cfg)
                self._present(X[orders[0, pos]], W[0], theta[0], True, rng)
            else:
                W = normalize(W, cfg)
                W, theta, _ = self._present_batch(X[orders[:, pos]], W, theta, True, rng)
            pos += 1
            since += 1
            if callback is not None:
                callback(pos)
            if since >= checkpoint_every:
                elapsed += time.perf_counter() - t0
                t0 = time.perf_counter()
                save()
                since = 0
            if epoch_end is not None and pos % n == 0:
                t_cb = time.perf_counter()
                self._set_fitted(W, theta, X, y, copy=True)
                assigned_at = pos
                stop = bool(epoch_end(pos // n))
                t0 += time.perf_counter() - t_cb  # not training time
                if stop:
                    break
        elapsed += time.perf_counter() - t0
        save()
        if assigned_at != pos:
            self._set_fitted(W, theta, X, y, copy=False)
        self.train_time_s_ = elapsed
        return self

    def _set_fitted(self, W: Any, theta: Any, X: np.ndarray, y: np.ndarray,
                    copy: bool) -> None:
        """Fitted attributes from weights ``W`` and thresholds ``theta`` (all copies);
        label assignment from the responses of copy 0 to ``X``."""
        Wn = W if isinstance(W, np.ndarray) else W.cpu().numpy()
        th = theta if isinstance(theta, np.ndarray) else theta.cpu().numpy()
        if copy:  # training goes on updating W and theta in place
            Wn, th = Wn.copy(), th.copy()
        self.copies_W_, self.copies_theta_ = Wn, th
        self.W_, self.theta_ = self.copies_W_[0], self.copies_theta_[0]
        self.n_classes_ = int(y.max()) + 1
        self.assignments_ = self._assign(self.responses(X), y)

    def _torch(self, a: np.ndarray) -> Any:
        import torch

        dev = "cuda" if self.device == "auto" and torch.cuda.is_available() else (
            "cpu" if self.device == "auto" else self.device)
        return torch.as_tensor(a, dtype=torch.float64, device=dev)

    def responses(self, X: Any) -> np.ndarray:
        """Spike counts ``(n, n_exc)`` of copy 0 with learning off (weights normalised)."""
        X = self._check_X(X)
        rng = np.random.default_rng(np.random.SeedSequence([self.random_state or 0, 7]))
        W = normalize(self.W_, self.config)
        out = np.zeros((X.shape[0], self.config.n_exc))
        for k in range(X.shape[0]):
            out[k] = self._present(X[k], W, self.theta_.copy(), False, rng)
        return out

    def _assign(self, R: np.ndarray, y: np.ndarray) -> np.ndarray:
        rates = np.stack([R[y == c].mean(0) if np.any(y == c) else np.zeros(R.shape[1])
                          for c in range(self.n_classes_)])
        return rates.argmax(0)

    def predict_from_responses(self, R: np.ndarray) -> np.ndarray:
        votes = np.stack([R[:, self.assignments_ == c].mean(1)
                          if np.any(self.assignments_ == c) else np.zeros(R.shape[0])
                          for c in range(self.n_classes_)], 1)
        return votes.argmax(1)

    def predict(self, X: Any) -> np.ndarray:
        """Class whose assigned neurons fire most on average."""
        if not hasattr(self, "assignments_"):
            raise RuntimeError("DiehlCook.predict: call fit first")
        return self.predict_from_responses(self.responses(X))

    def score(self, X: Any, y: Any) -> float:
        return float((self.predict(X) == np.asarray(y)).mean())
