"""Spike encodings of real-valued sequences: rate (Bernoulli/Poisson), latency, delta.

Every encoder is a pure function ``f(x, steps_per_value, seed, **options) -> spikes`` that
takes a real array ``x`` of shape ``(T, B, F)`` (time first) and returns a ``bool`` array of
shape ``(T * k, B, F')`` with ``k = steps_per_value``: each real time step ``t`` becomes the
block of simulation steps ``t*k, ..., t*k + k - 1``. Channel layouts:

========  ======  ===============================================================
method    F'      layout
========  ======  ===============================================================
rate      F       channel ``f`` fires with probability ``p = max_prob * v_f`` per step
latency   F       channel ``f`` fires once per block, earlier for larger ``v_f``
delta     2F      channels ``0..F-1``: UP crossings; ``F..2F-1``: DOWN crossings
========  ======  ===============================================================

Rate and latency expect values normalised to ``[0, 1]`` by ``v = (x - low) / (high - low)``
(clipped); delta works on the raw values with an absolute threshold.
:meth:`comparisons.tasks.base.Task.encode` normalises with the task's input range (from the
training split) so train, validation and test are encoded the same way, and stretches
per-step targets and masks to the new time axis (:func:`encode_task_data`).

Decoders (:func:`rate_decode`, :func:`latency_decode`, :func:`delta_decode`) invert the
encodings up to their quantisation/sampling error; tests use them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from comparisons.tasks.base import SPLITS, Split, Task, TaskData
from comparisons.validation import check_choice, check_float, check_int

#: default simulation steps per real-valued step, per method
DEFAULT_STEPS: dict[str, int] = {"rate": 8, "latency": 8, "delta": 2}


def _check_x(x: Any) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype == bool:
        a = a.astype(np.float32)
    if not np.issubdtype(a.dtype, np.number):
        raise TypeError(f"x must be a numeric array, got dtype {a.dtype}")
    if a.ndim != 3:
        raise ValueError(f"x must have shape (T, B, F), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("x must be finite, got NaN or inf values")
    return a


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int("seed", seed, low=0))


def _normalise(x: np.ndarray, low: Any, high: Any, clip: bool = True) -> np.ndarray:
    """``(x - low) / (high - low)``, clipped to [0, 1]; float32 stays float32 (memory)."""
    lo = np.asarray(low, dtype=np.float64)
    hi = np.asarray(high, dtype=np.float64)
    if np.any(hi <= lo):
        raise ValueError(f"high must be > low for every feature, got low={low}, high={high}")
    dt = np.float32 if x.dtype == np.float32 else np.float64
    z = (x.astype(dt, copy=False) - lo.astype(dt)) / (hi - lo).astype(dt)
    return np.clip(z, 0.0, 1.0) if clip else z


def rate_encode(
    x: Any,
    steps_per_value: int = DEFAULT_STEPS["rate"],
    seed: int | np.random.Generator = 0,
    *,
    low: Any = 0.0,
    high: Any = 1.0,
    max_prob: float = 1.0,
) -> np.ndarray:
    r"""Rate (Bernoulli, discrete-time Poisson) encoding.

    Each value is held for ``k`` simulation steps, in each of which the channel fires
    independently with a probability proportional to the normalised value:

    .. math::

        v = \mathrm{clip}\!\left(\frac{x - \mathrm{low}}{\mathrm{high} - \mathrm{low}}, 0, 1\right),
        \qquad s_{tk+j} \sim \mathrm{Bernoulli}(p_{\max} v_t), \quad j = 0..k-1,

    the discrete-time limit of a Poisson process with rate :math:`p_{\max} v / \Delta t`
    (as in snnTorch's ``spikegen.rate``).

    Parameters
    ----------
    x : array, shape (T, B, F)
        Real values.
    steps_per_value : int
        ``k`` simulation steps per real step.
    seed : int or numpy Generator
        Randomness of the spikes.
    low, high : float or array broadcastable to (F,)
        Value range mapped to firing probabilities ``0 .. max_prob``.
    max_prob : float in (0, 1]
        Firing probability per step of a value at ``high``.

    Returns
    -------
    ndarray of bool, shape (T * k, B, F)
    """
    a = _check_x(x)
    k = check_int("steps_per_value", steps_per_value, low=1)
    pm = check_float("max_prob", max_prob, low=0.0, high=1.0, low_open=True)
    p = pm * _normalise(a, low, high)
    rng = _rng(seed)
    T, B, F = a.shape
    out = np.empty((T * k, B, F), dtype=bool)
    for t in range(T):  # one draw per block: same result whatever T is, bounded memory
        out[t * k:(t + 1) * k] = rng.random((k, B, F)) < p[t]
    return out


def rate_decode(
    spikes: Any, steps_per_value: int, *, low: Any = 0.0, high: Any = 1.0, max_prob: float = 1.0
) -> np.ndarray:
    """Estimate values from rate-coded spikes (spike fraction per block), shape (T, B, F)."""
    s = np.asarray(spikes, dtype=np.float64)
    k = check_int("steps_per_value", steps_per_value, low=1)
    T = s.shape[0] // k
    frac = s[: T * k].reshape(T, k, *s.shape[1:]).mean(axis=1) / max_prob
    lo, hi = np.asarray(low, np.float64), np.asarray(high, np.float64)
    return lo + frac * (hi - lo)


def latency_encode(
    x: Any,
    steps_per_value: int = DEFAULT_STEPS["latency"],
    seed: int | np.random.Generator | None = None,
    *,
    low: Any = 0.0,
    high: Any = 1.0,
    threshold: float = 0.0,
) -> np.ndarray:
    r"""Latency (time-to-first-spike) encoding: one spike per block, earlier for larger values.

    .. math::

        v = \mathrm{clip}\!\left(\frac{x - \mathrm{low}}{\mathrm{high} - \mathrm{low}}, 0, 1\right),
        \qquad j^\ast = \mathrm{round}\big((1 - v)(k - 1)\big),

    and the channel fires at step :math:`tk + j^\ast` if :math:`v > \theta` (values at or below
    ``threshold`` stay silent). The latency is non-increasing in the value; the spikes equal
    snnTorch's ``spikegen.latency(normalize=True, linear=True, clip=True)`` per block (tested;
    Gollisch & Meister 2008 for the biology of first-spike latency codes).

    Parameters
    ----------
    x : array, shape (T, B, F)
    steps_per_value : int
        ``k``; the latency resolution is ``1 / (k - 1)`` of the range.
    seed : ignored
        Accepted for a uniform signature (the encoding is deterministic).
    low, high : float or array broadcastable to (F,)
    threshold : float in [0, 1)
        Normalised values ``<= threshold`` emit no spike.

    Returns
    -------
    ndarray of bool, shape (T * k, B, F)
    """
    a = _check_x(x)
    k = check_int("steps_per_value", steps_per_value, low=1)
    thr = check_float("threshold", threshold, low=0.0, high=1.0, high_open=True)
    v = _normalise(a, low, high)
    T, B, F = a.shape
    offset = np.rint((1.0 - v) * (k - 1)).astype(np.int64)
    fire = v > thr
    out = np.zeros((T, k, B, F), dtype=bool)
    t_idx, b_idx, f_idx = np.nonzero(fire)
    out[t_idx, offset[fire], b_idx, f_idx] = True
    return out.reshape(T * k, B, F)


def latency_decode(
    spikes: Any, steps_per_value: int, *, low: Any = 0.0, high: Any = 1.0
) -> np.ndarray:
    """Values from latency-coded spikes (first spike per block; silent -> ``low``)."""
    s = np.asarray(spikes, dtype=bool)
    k = check_int("steps_per_value", steps_per_value, low=1)
    T = s.shape[0] // k
    blocks = s[: T * k].reshape(T, k, *s.shape[1:])
    first = blocks.argmax(axis=1)
    v = 1.0 - first / max(k - 1, 1)
    v = np.where(blocks.any(axis=1), v, 0.0)
    lo, hi = np.asarray(low, np.float64), np.asarray(high, np.float64)
    return lo + v * (hi - lo)


def delta_encode(
    x: Any,
    steps_per_value: int = DEFAULT_STEPS["delta"],
    seed: int | np.random.Generator | None = None,
    *,
    threshold: Any = 0.1,
    initial: Any = 0.0,
) -> np.ndarray:
    r"""Delta (send-on-delta, threshold-crossing) encoding with UP and DOWN channels.

    A reference :math:`r` starts at ``initial`` and follows the signal in steps of the
    threshold :math:`\theta`; in each simulation step of block :math:`t`

    .. math::

        \mathrm{UP} = [x_t - r \ge \theta], \quad \mathrm{DOWN} = [r - x_t \ge \theta],
        \qquad r \leftarrow r + \theta(\mathrm{UP} - \mathrm{DOWN}),

    so at most ``k`` crossings per channel are sent per real step (the rest carry over). If
    :math:`|x_t - r_{t-1}| < (k + 1)\theta` then :math:`|x_t - r_t| < \theta` after the block:
    :func:`delta_decode` reconstructs the signal within one threshold. This is the
    threshold-crossing encoding of event cameras and of the NeuroBench/Tonic delta encoders.

    Parameters
    ----------
    x : array, shape (T, B, F)
    steps_per_value : int
        ``k`` simulation steps per real step.
    seed : ignored
        Accepted for a uniform signature (the encoding is deterministic).
    threshold : float > 0 or array broadcastable to (F,)
        Step size :math:`\theta` in the units of ``x``.
    initial : float or array broadcastable to (B, F)
        Starting reference :math:`r_{-1}`.

    Returns
    -------
    ndarray of bool, shape (T * k, B, 2F)
        ``[..., :F]`` UP spikes, ``[..., F:]`` DOWN spikes.
    """
    a = _check_x(x).astype(np.float64)
    k = check_int("steps_per_value", steps_per_value, low=1)
    thr = np.asarray(threshold, dtype=np.float64)
    if not np.all(np.isfinite(thr)) or np.any(thr <= 0):
        raise ValueError(f"threshold must be > 0, got {threshold}")
    T, B, F = a.shape
    r = np.broadcast_to(np.asarray(initial, dtype=np.float64), (B, F)).copy()
    out = np.zeros((T * k, B, 2 * F), dtype=bool)
    eps = 1e-12 * np.maximum(1.0, np.abs(a).max(initial=0.0))  # float slack for x - r == thr
    for t in range(T):
        for j in range(k):
            up = a[t] - r >= thr - eps
            down = r - a[t] >= thr - eps
            out[t * k + j, :, :F] = up
            out[t * k + j, :, F:] = down
            r = r + thr * (up.astype(np.float64) - down)
            if not (up.any() or down.any()):
                break
    return out


def delta_decode(
    spikes: Any, steps_per_value: int, *, threshold: Any = 0.1, initial: Any = 0.0
) -> np.ndarray:
    """Reference signal after each block: ``initial + threshold * (cum UP - cum DOWN)``."""
    s = np.asarray(spikes, dtype=np.float64)
    k = check_int("steps_per_value", steps_per_value, low=1)
    F = s.shape[-1] // 2
    T = s.shape[0] // k
    net = (s[..., :F] - s[..., F:])[: T * k].reshape(T, k, *s.shape[1:-1], F).sum(axis=1)
    return np.asarray(initial, np.float64) + np.asarray(threshold, np.float64) * np.cumsum(
        net, axis=0
    )


ENCODERS = {"rate": rate_encode, "latency": latency_encode, "delta": delta_encode}


def encode(
    x: Any,
    method: str,
    steps_per_value: int | None = None,
    seed: int | np.random.Generator = 0,
    **options: Any,
) -> np.ndarray:
    """Encode ``x`` (T, B, F) with the named method (``rate``, ``latency``, ``delta``)."""
    check_choice("encoding", method, ENCODERS)
    k = DEFAULT_STEPS[method] if steps_per_value is None else steps_per_value
    return ENCODERS[method](x, k, seed, **options)


def n_channels(method: str, n_features: int) -> int:
    """Number of spike channels ``F'`` a method produces from ``n_features`` inputs."""
    check_choice("encoding", method, ENCODERS)
    return 2 * n_features if method == "delta" else n_features


def stretch_split(split: Split, x_spikes: np.ndarray, k: int, output: str) -> Split:
    """A split whose inputs are spikes ``(T*k, B, F')`` and whose targets follow them.

    Per-step targets are repeated ``k`` times along time; the mask scores only the last
    simulation step of each block (where the whole real step has been seen), restricted to
    the steps the original mask scored. Final targets are unchanged.
    """
    if output != "per_step":
        return Split(x=x_spikes, y=split.y, mask=None)
    T, B = split.x.shape[:2]
    y = np.repeat(split.y, k, axis=0)
    old = np.ones((T, B), dtype=bool) if split.mask is None else split.mask
    mask = np.zeros((T * k, B), dtype=bool)
    mask[k - 1::k] = old
    return Split(x=x_spikes, y=y, mask=mask)


def encode_task_data(
    task: Task,
    data: TaskData,
    method: str,
    steps_per_value: int | None = None,
    seed: int | np.random.Generator = 0,
    splits: tuple[str, ...] = SPLITS,
    dtype: Any = np.float32,
    **options: Any,
) -> TaskData:
    """Spike-encode the train, validation and test splits of a task consistently.

    Inputs of every split are normalised to [0, 1] with ``task.input_range(data)`` (the
    training split's range, so validation and test are encoded exactly as train), then
    encoded (train, test, then val from one generator); for ``delta`` the ``threshold``
    option (default 0.1) is a fraction of each feature's range and the reference starts at
    ``low``. The returned splits hold ``x`` as
    float32 0/1 spikes of shape ``(T*k, B, F')`` and targets/masks stretched by
    :func:`stretch_split`, so ``task.score`` works on them unchanged. ``meta`` gains
    ``encoding``, ``steps_per_value``, ``n_in`` (= F') and ``low``/``high``. ``splits`` names
    the splits to encode (the others are returned unchanged); ``dtype=bool`` keeps the spikes
    as booleans (4x less memory than the float32 default, for long or large runs). Options
    go to the encoder:
    ``max_prob`` (rate), ``threshold`` (latency: normalised; delta: fraction of the range),
    ``initial`` (delta: normalised starting reference, default 0 = ``low``).
    """
    check_choice("encoding", method, ENCODERS)
    k = check_int("steps_per_value",
                  DEFAULT_STEPS[method] if steps_per_value is None else steps_per_value, low=1)
    if np.dtype(dtype) not in (np.dtype(bool), np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be bool, float32 or float64, got {np.dtype(dtype)}")
    rng = _rng(seed)
    low, high = task.input_range(data)
    for name in splits:
        check_choice("split", name, SPLITS)
    out: dict[str, Split] = {}
    for name in ("train", "test", "val"):  # val drawn last: train/test spikes as before
        split = data.split(name)
        if name not in splits:
            out[name] = split
            continue
        z = _normalise(split.x, low, high, clip=method != "delta")
        spikes = ENCODERS[method](z, k, rng, **options)
        out[name] = stretch_split(split, spikes.astype(dtype, copy=False), k, task.output)
    meta = {**data.meta, "encoding": method, "steps_per_value": k,
            "n_in": n_channels(method, data.train.x.shape[-1]),
            "low": low.tolist(), "high": high.tolist(), **options}
    return TaskData(train=out["train"], val=out["val"], test=out["test"], meta=meta)


__all__ = [
    "DEFAULT_STEPS", "ENCODERS", "encode", "encode_task_data", "n_channels", "stretch_split",
    "rate_encode", "rate_decode", "latency_encode", "latency_decode", "delta_encode",
    "delta_decode",
]
