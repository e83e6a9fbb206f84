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

Two implementations of the same step: a numba kernel for one copy on CPU (``_run`` in
:mod:`neurosim.learning.diehl_cook_kernel`:
many images and their retries per call, the Poisson input drawn inside it from numpy's
PCG64 stream), and a batched torch path (``B`` images in parallel, independent copies,
CPU or GPU) that calls the pure plasticity functions. Both give the same result on the
same input rasters (tested). Both count what they simulate (:class:`DiehlCookCounters`).
The authors' 150 ms rest between images is replaced by resetting the dynamic variables
(BindsNET does the same).

Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition using
spike-timing-dependent plasticity. *Front. Comput. Neurosci.* 9:99.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from neurosim.counters import OpCounters
from neurosim.learning.diehl_cook_kernel import (
    _NO_RASTER,
    _OPS_EXC,
    _OPS_IN,
    _OPS_INH,
    _OPS_PLASTIC,
    _OPS_PRESENTATIONS,
    N_OPS,
    _pcg_state,
    _run,
    _set_pcg_state,
)
from neurosim.plasticity.homeostasis import (
    AdaptiveThresholdParams,
    adaptive_threshold_step,
    normalize_columns,
)
from neurosim.plasticity.stdp import TripletSTDPParams, TripletSTDPState, triplet_stdp_step
from neurosim.units import Hz, ms, mV
from neurosim.validation import check_int, check_real

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
            check_int(f"{o}.{f}", getattr(self, f), low=1)
        for f in ("dt", "t_image", "tau_e", "tau_i", "tau_ge", "tau_gi", "tau_pre",
                  "tau_post1", "tau_post2", "tau_theta", "max_rate", "w_max", "norm_total"):
            check_real(f"{o}.{f}", getattr(self, f), low=0, low_open=True)
        for f in ("nu_pre", "nu_post", "theta_plus", "w_ei", "w_ie", "w_init_max",
                  "intensity_step", "t_ref_e", "t_ref_i"):
            check_real(f"{o}.{f}", getattr(self, f), low=0)
        for f in ("v_rest_e", "v_reset_e", "v_thresh_e", "v_rest_i", "v_reset_i",
                  "v_thresh_i", "e_exc", "e_inh_e", "e_inh_i"):
            check_real(f"{o}.{f}", getattr(self, f))
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


@functools.lru_cache(maxsize=16)
def _coef_cached(cfg: DiehlCookConfig) -> np.ndarray:
    dt = cfg.dt
    c = np.array([
        dt / cfg.tau_e, cfg.v_rest_e, cfg.v_reset_e, cfg.v_thresh_e,
        float(round(cfg.t_ref_e / dt)), dt / cfg.tau_i, cfg.v_rest_i, cfg.v_reset_i,
        cfg.v_thresh_i, float(round(cfg.t_ref_i / dt)), math.exp(-dt / cfg.tau_ge),
        math.exp(-dt / cfg.tau_gi), cfg.e_exc, cfg.e_inh_e, cfg.e_inh_i, cfg.w_ei, cfg.w_ie,
        math.exp(-dt / cfg.tau_pre), math.exp(-dt / cfg.tau_post1),
        math.exp(-dt / cfg.tau_post2), cfg.nu_pre, cfg.nu_post, cfg.w_max, cfg.theta_plus,
        math.exp(-dt / cfg.tau_theta)])
    c.setflags(write=False)
    return c


def _coef(cfg: DiehlCookConfig) -> np.ndarray:
    """The kernel's constants (read-only, computed once per configuration)."""
    return _coef_cached(cfg)


# --------------------------------------------------------------------------- op counts


class DiehlCookCounters(OpCounters):
    """:class:`~neurosim.counters.OpCounters` of a Diehl & Cook network, plus
    ``presentations``: images shown, each repeat (with more input) counted."""

    SCALARS = OpCounters.SCALARS + ("presentations",)


def new_counters(cfg: DiehlCookConfig) -> DiehlCookCounters:
    """Empty counters for one copy of the network (state and connectivity sizes filled)."""
    n, n_in = cfg.n_exc, cfg.n_input
    # state: v, g_e, g_i, refractory clock of 2n neurons; STDP traces (n_in + 2n); theta
    return DiehlCookCounters(state_bytes=(4 * 2 * n + n_in + 3 * n) * 8,
                             synapse_bytes=(n_in * n + 2 * n) * 8,
                             n_synapses=n_in * n + n + n * (n - 1))


def _add_ops(counters: OpCounters, ops: np.ndarray, cfg: DiehlCookConfig,
             steps: int | None = None) -> None:
    """Add a kernel's measured counts ``ops`` (``(N_OPS,)`` int64, summed over the copies)
    to ``counters``, under neurosim's op names (:mod:`neurosim.counters`): every
    presentation (repeats included) updates ``2 n_exc`` neurons in each of ``n_steps``
    steps; an input spike reaches all ``n_exc`` excitatory neurons, an excitatory spike
    its own inhibitory neuron, an inhibitory spike the ``n_exc - 1`` other excitatory
    neurons; plasticity updates are the input weights the STDP rule rewrote (a row per
    input spike, a column per excitatory spike, while learning). ``steps`` (clock steps)
    defaults to ``n_steps`` per presentation (copies run one after the other)."""
    n = cfg.n_exc
    pres = int(ops[_OPS_PRESENTATIONS])
    n_in, n_e, n_i = int(ops[_OPS_IN]), int(ops[_OPS_EXC]), int(ops[_OPS_INH])
    counters.add("steps", pres * cfg.n_steps if steps is None else steps)
    counters.add("neuron_updates", pres * cfg.n_steps * 2 * n)
    counters.add_group_spikes("input", n_in, is_input=True)
    counters.add_group_spikes("exc", n_e, is_input=False)
    counters.add_group_spikes("inh", n_i, is_input=False)
    counters.add_events("input_exc", n_in * n)
    counters.add_events("exc_inh", n_e)
    counters.add_events("inh_exc", n_i * (n - 1))
    counters.add("plasticity_updates", int(ops[_OPS_PLASTIC]))
    if "presentations" in counters.values:
        counters.add("presentations", pres)


def present_numba(raster: np.ndarray, W: np.ndarray, theta: np.ndarray,
                  cfg: DiehlCookConfig, learn: bool, counters: OpCounters | None = None
                  ) -> np.ndarray:
    """Present one image (input raster ``(T, n_in)`` bool) to one copy on CPU; ``W`` and
    ``theta`` are updated in place when ``learn``. Returns spike counts ``(n_exc,)``; the
    op counts of the presentation are added to ``counters`` if given."""
    raster = np.ascontiguousarray(raster, dtype=np.bool_)
    counts = np.zeros((1, W.shape[1]), dtype=np.int64)
    ops = np.zeros(N_OPS, dtype=np.int64)
    _run(np.zeros((1, raster.shape[1])), raster, 0.0, 0.0, 0, 1, float(cfg.dt),
         raster.shape[0], np.zeros(4, dtype=np.uint64), W, theta, _coef(cfg), bool(learn),
         counts, ops)
    if counters is not None:
        _add_ops(counters, ops, cfg)
    return counts[0]


def present_torch(raster: Any, W: Any, theta: Any, cfg: DiehlCookConfig, learn: bool,
                  counters: OpCounters | None = None) -> tuple[Any, Any, Any]:
    """Present ``B`` images at once to ``B`` independent copies (torch, CPU or GPU).

    ``raster`` bool ``(T, B, n_in)``, ``W`` ``(B, n_in, N)``, ``theta`` ``(B, N)``; returns
    ``(W_new, theta_new, counts (B, N))``. Uses :func:`triplet_stdp_step` (dense layout) and
    :func:`adaptive_threshold_step`; arithmetic in the order of the numba kernel. The op
    counts of the ``B`` presentations (summed over the copies) are added to ``counters``
    if given.
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
    n_inh = torch.zeros((), dtype=torch.int64, device=W.device)
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
        if counters is not None:
            n_inh += si.sum()
        if learn:
            theta = adaptive_threshold_step(theta, se, th_p, cfg.dt)
        pre = raster[t]
        gee = gee + torch.bmm(pre.to(W.dtype)[:, None, :], W)[:, 0]
        gei = gei + c[15] * se.to(W.dtype)
        n_si = si.to(W.dtype).sum(1, keepdim=True)
        gie = gie + c[16] * (n_si - si.to(W.dtype))
        if learn:
            W, st = triplet_stdp_step(st, W, pre, se, sp, cfg.dt)
    if counters is not None:
        n_input, n_exc = int(raster.sum()), int(counts.sum())
        ops = np.zeros(N_OPS, dtype=np.int64)
        ops[[_OPS_PRESENTATIONS, _OPS_IN, _OPS_EXC, _OPS_INH]] = (B, n_input, n_exc,
                                                                 int(n_inh))
        ops[_OPS_PLASTIC] = (n_input * N + n_exc * n_in) if learn else 0
        _add_ops(counters, ops, cfg, steps=raster.shape[0])
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

    Op counts, measured by the kernels (:class:`DiehlCookCounters`, summed over copies):
    ``counters_`` of the training presentations (STDP on), ``label_counters_`` of the
    presentations that gave ``assignments_`` (learning off), ``last_counters_`` of the
    last :meth:`responses` call (so of :meth:`predict`).
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

    def _present(self, X: np.ndarray, W: np.ndarray, theta: np.ndarray, learn: bool,
                 rng: np.random.Generator, counters: OpCounters) -> np.ndarray:
        """Images ``X`` ``(n, n_input)`` one after the other, each with the authors' retry
        (more input until ``min_spikes`` spikes), on one copy; returns the spike counts
        ``(n, n_exc)`` and adds the op counts to ``counters``.

        Input spikes: ``Generator.random((n_steps, n_input)) < x / max_pixel * rate *
        dt`` for every presentation, drawn from ``rng`` inside the kernel (the same
        numbers, in the same order, as building that raster with numpy)."""
        cfg = self.config
        P = np.ascontiguousarray(X / self.max_pixel)
        rs, st = _pcg_state(rng)
        out = np.zeros((X.shape[0], cfg.n_exc), dtype=np.int64)
        ops = np.zeros(N_OPS, dtype=np.int64)
        _run(P, _NO_RASTER, float(cfg.max_rate), float(cfg.intensity_step),
             int(cfg.min_spikes), int(cfg.max_repeats), float(cfg.dt), cfg.n_steps, rs, W,
             theta, _coef(cfg), bool(learn), out, ops)
        _set_pcg_state(rng, rs, st)
        _add_ops(counters, ops, cfg)
        return out

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
                                               theta[it], cfg, learn, self.counters_)
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
        self.counters_ = new_counters(cfg)
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
                if "counters" in saved:  # (absent in checkpoints made before they were)
                    self.counters_.load(saved["counters"])
        total = orders.shape[1]

        def save() -> None:
            if checkpoint is not None:
                Wn = W if isinstance(W, np.ndarray) else W.cpu().numpy()
                th = theta if isinstance(theta, np.ndarray) else theta.cpu().numpy()
                _atomic_save(checkpoint, {"W": Wn, "theta": th, "orders": orders},
                             {**meta, "pos": pos, "elapsed": elapsed,
                              "rng": rng.bit_generator.state,
                              "counters": self.counters_.as_dict()})

        t0 = time.perf_counter()
        if self.backend == "torch":
            W, theta = self._torch(W), self._torch(theta)
        since = 0
        n = X.shape[0]
        assigned_at = -1  # position whose weights assignments_ was computed from
        while pos < total:
            if self.backend == "numba":
                W[0] = normalize(W[0], cfg)
                self._present(X[orders[0, pos:pos + 1]], W[0], theta[0], True, rng,
                              self.counters_)
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
        self.label_counters_ = self.last_counters_

    def _torch(self, a: np.ndarray) -> Any:
        import torch

        dev = "cuda" if self.device == "auto" and torch.cuda.is_available() else (
            "cpu" if self.device == "auto" else self.device)
        return torch.as_tensor(a, dtype=torch.float64, device=dev)

    def responses(self, X: Any) -> np.ndarray:
        """Spike counts ``(n, n_exc)`` of copy 0 with learning off (weights normalised).

        The op counts of these presentations are kept in ``last_counters_``."""
        X = self._check_X(X)
        rng = np.random.default_rng(np.random.SeedSequence([self.random_state or 0, 7]))
        W = np.ascontiguousarray(normalize(self.W_, self.config))
        counters = new_counters(self.config)
        R = self._present(X, W, self.theta_.copy(), False, rng, counters)
        self.last_counters_ = counters
        return R.astype(np.float64)

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
