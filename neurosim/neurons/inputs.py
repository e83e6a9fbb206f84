"""Input groups: Poisson spike sources, spike generators, and current injection.

Inputs are produced in chunks of steps on the host with numpy (one ``numpy.random.Generator``
per Poisson group, spawned from the network seed), then handed to whichever backend runs the
network. So every backend sees exactly the same input spikes for the same seed.
"""

from __future__ import annotations

import copy
import math
from typing import Any, NamedTuple

import numpy as np

from neurosim.neurons.base import check_current, timestep
from neurosim.neurons.group import check_size
from neurosim.validation import check_int

__all__ = ["PoissonGroup", "SpikeGeneratorGroup", "CurrentInjection", "HeldCurrent"]


class HeldCurrent(NamedTuple):
    """A chunk of current whose rows are held for several steps (what
    :meth:`CurrentInjection.current` gives with ``steps_per_value > 1``): step ``s`` of the
    chunk uses ``rows[(s + phase) // hold]``. A backend may use the rows as they are (the
    compiled one does) or :meth:`expand` them to one row per step."""

    rows: np.ndarray  #: ``(m, B, n)``
    hold: int
    phase: int
    k: int  #: steps in the chunk

    def expand(self) -> np.ndarray:
        """The per-step current ``(k, B, n)``."""
        return np.repeat(self.rows, self.hold, axis=0)[self.phase:self.phase + self.k]


def per_step_current(c: Any) -> Any:
    """``c`` with a :class:`HeldCurrent` expanded to ``(k, B, n)`` (other values as they
    are)."""
    return c.expand() if isinstance(c, HeldCurrent) else c


def _as_finite(owner: str, name: str, x: Any) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{owner}.{name} must be numeric, got {type(x).__name__}") from e
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}.{name} contains NaN or inf")
    return arr


def _time_array(owner: str, name: str, arr: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
    """Normalise to ``(n,)`` (constant) or ``(T, n)`` / ``(T, B, n)`` (per step)."""
    if arr.ndim == 0:
        return np.full(n, float(arr)), False
    if arr.ndim == 1:
        if arr.shape[0] != n:
            raise ValueError(f"{owner}.{name} must have shape ({n},), (T, {n}) or "
                             f"(T, B, {n}); got {arr.shape}")
        return arr, False
    if arr.ndim in (2, 3) and arr.shape[-1] == n:
        return arr, True
    raise ValueError(f"{owner}.{name} must have shape ({n},), (T, {n}) or (T, B, {n}); "
                     f"got {arr.shape}")


def _chunk(owner: str, name: str, arr: np.ndarray, start: int, k: int,
           batch: int) -> np.ndarray:
    """Rows ``start:start+k`` of a per-step array, as ``(k, batch, n)`` (a view if possible)."""
    if start + k > arr.shape[0]:
        raise ValueError(f"{owner}.{name} covers {arr.shape[0]} steps but the run needs "
                         f"step {start + k - 1}; give a longer array")
    part = arr[start:start + k]
    if part.ndim == 2:
        return np.broadcast_to(part[:, None, :], (k, batch, part.shape[-1]))
    if part.shape[1] != batch:
        raise ValueError(f"{owner}.{name} has batch size {part.shape[1]}, network has "
                         f"batch_size={batch}")
    return part


#: Bool elements (steps x copies x sources) per block of constant-rate Poisson input.
_BLOCK_ELEMS = 1 << 22
#: Largest ``rate * dt`` sampled through geometric inter-spike gaps (else one uniform per step).
_SPARSE_P = 0.05


def bernoulli_block(rng: np.random.Generator, p: np.ndarray, length: int) -> np.ndarray:
    """Independent Bernoulli(``p``) spikes for ``length`` steps: bool ``(length, m)``.

    Parameters
    ----------
    rng : the generator to draw from.
    p : ``(m,)`` spike probability per step of each source, in ``[0, 1]``.
    length : number of steps.

    Returns
    -------
    ``(length, m)`` bool array; entry ``[t, i]`` is True with probability ``p[i]``,
    independently of all others (a discretised Poisson process, as Brian2's
    ``PoissonGroup``: spike in a step with probability ``rate * dt``).

    Notes
    -----
    When every ``p <= 0.05`` the spikes are drawn as geometric gaps between spikes
    (the waiting time of a Bernoulli process, memoryless), so the cost is proportional to
    the number of spikes rather than to ``length * m``; otherwise one uniform number per
    entry is compared with ``p``. Both sample the same process exactly.
    """
    m = p.shape[0]
    if m == 0 or length == 0 or float(p.max(initial=0.0)) > _SPARSE_P:
        return rng.random((length, m)) < p
    out = np.zeros((length, m), dtype=bool)
    idx = np.flatnonzero(p > 0)
    pos = np.full(idx.size, -1, dtype=np.int64)
    pp = p[idx]
    while idx.size:
        expect = float(((length - 1 - pos) * pp).max())
        r = int(math.ceil(expect + 5.0 * math.sqrt(expect) + 5.0))
        t = pos + np.cumsum(rng.geometric(pp, size=(r, idx.size)), axis=0)
        rows, cols = np.nonzero(t < length)
        out[t[rows, cols], idx[cols]] = True
        keep = t[-1] < length - 1
        idx, pos, pp = idx[keep], t[-1][keep], pp[keep]
    return out


class PoissonGroup:
    """``n`` independent Poisson spike sources.

    Parameters
    ----------
    n : number of sources.
    rates : rate in Hz: scalar, ``(n,)``, or per step ``(T, n)`` / ``(T, B, n)``
        (time-varying; step ``k`` of the network uses row ``k``).
    name : unique name in the network.

    A source spikes in a step with probability ``rate * dt`` (must be <= 1).
    Constant rates are sampled in fixed blocks of steps aligned to step 0 (see
    :func:`bernoulli_block`: cost proportional to the number of spikes at low rates), so the
    spikes do not depend on how a run is split into ``run()`` calls or chunks, and
    :meth:`rng_state` / :meth:`set_rng_state` give bit-identical continuation.
    """

    is_input = True
    state_vars: tuple[str, ...] = ()

    def __init__(self, n: int, rates: Any, name: str | None = None) -> None:
        self.n = check_size("PoissonGroup", n)
        arr = _as_finite("PoissonGroup", "rates", rates)
        if np.any(arr < 0):
            raise ValueError(f"PoissonGroup.rates must be >= 0, got min {arr.min()}")
        self.rates, self.time_varying = _time_array("PoissonGroup", "rates", arr, self.n)
        self.name = name
        self._rng: np.random.Generator | None = None  # set by the Network
        self._origin: int | None = 0    # step at which block 0 starts (None: next drawn)
        self._reset_block()

    @property
    def rng(self) -> np.random.Generator | None:
        """The group's generator (spawned from the network seed by the Network)."""
        return self._rng

    @rng.setter
    def rng(self, value: np.random.Generator | None) -> None:
        self._rng = value
        self._reset_block()

    def _reset_block(self) -> None:
        self._blk_idx = -1          # block held in _blk; -1: none, rng at a block start
        self._blk: np.ndarray | None = None
        self._blk_state: dict[str, Any] | None = None
        self._blk_len = 0

    def set_rates(self, rates: Any, block_steps: int | None = None) -> None:
        """Replace the constant rates from the next step the network draws on.

        Parameters
        ----------
        rates : float or array_like
            Rate in Hz, >= 0: a scalar, ``(n,)``, or ``(B, n)``: one constant row per copy
            (``B`` must equal the network's ``batch_size``).
        block_steps : int, optional
            Steps per block of drawn input from now on (>= 1; default: as at construction).
            A run of known length (one stimulus presentation) draws no more than it uses.

        The generator continues where it is; blocks restart at the next step drawn, so the
        spikes after the change do not depend on where the clock stands (a presentation
        gets the same spikes for the same generator state at any step).
        """
        arr = _as_finite("PoissonGroup", "rates", rates)
        if np.any(arr < 0):
            raise ValueError(f"PoissonGroup.rates must be >= 0, got min {arr.min()}")
        if arr.ndim == 0:
            arr = np.full(self.n, float(arr))
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n:
            raise ValueError(f"PoissonGroup.set_rates: rates must have shape ({self.n},) or "
                             f"(B, {self.n}), got {arr.shape}")
        if block_steps is not None:
            check_int("PoissonGroup.set_rates: block_steps", block_steps, low=1)
        self.rates, self.time_varying = arr, False
        self._origin = None
        self._reset_block()
        self._blk_len = int(block_steps) if block_steps is not None else 0

    def check_dt(self, dt: float) -> None:
        if self.rates.size and float(self.rates.max()) * dt > 1.0:
            raise ValueError(f"PoissonGroup.rates * dt must be <= 1; max rate "
                             f"{self.rates.max()} Hz with dt={dt} s gives "
                             f"{self.rates.max() * dt}")

    def rng_state(self, step: int) -> dict[str, Any]:
        """Generator state from which the spikes of steps ``>= step`` are drawn (to store)."""
        assert self._rng is not None, "PoissonGroup must be added to a Network"
        if (not self.time_varying and self._blk_len and self._blk_idx >= 0
                and self._origin is not None
                and self._blk_idx == (step - self._origin) // self._blk_len):
            return copy.deepcopy(self._blk_state)  # type: ignore[arg-type]
        return copy.deepcopy(self._rng.bit_generator.state)

    def set_rng_state(self, state: dict[str, Any]) -> None:
        """Undo to a state returned by :meth:`rng_state` (continue from that step)."""
        assert self._rng is not None, "PoissonGroup must be added to a Network"
        self._rng.bit_generator.state = copy.deepcopy(state)
        self._reset_block()

    def _block(self, b: int, batch: int, dt: float) -> np.ndarray:
        assert self._rng is not None
        if self._blk_idx != b:
            if self._blk_idx not in (-1, b - 1):
                raise RuntimeError(f"PoissonGroup {self.name!r}: steps must be drawn in "
                                   f"order (block {b} after {self._blk_idx})")
            self._blk_state = copy.deepcopy(self._rng.bit_generator.state)
            if self.rates.ndim == 2 and self.rates.shape[0] != batch:
                raise ValueError(f"PoissonGroup.rates has {self.rates.shape[0]} rows (one "
                                 f"per copy), network has batch_size={batch}")
            p = np.broadcast_to(self.rates * dt, (batch, self.n)).reshape(-1)
            self._blk = bernoulli_block(self._rng, p, self._blk_len).reshape(
                self._blk_len, batch, self.n)
            self._blk_idx = b
        assert self._blk is not None
        return self._blk

    def spikes(self, start: int, k: int, batch: int, dt: float) -> np.ndarray:
        """Spikes of steps ``start .. start+k-1``: bool ``(k, batch, n)``."""
        assert self._rng is not None, "PoissonGroup must be added to a Network"
        if self.time_varying:
            u = self._rng.random((k, batch, self.n))
            return u < _chunk("PoissonGroup", "rates", self.rates, start, k, batch) * dt
        if not self._blk_len:
            per = max(1, _BLOCK_ELEMS // max(1, batch * self.n))
            self._blk_len = 1 << (per.bit_length() - 1)   # a power of two (see Network.run)
        L = self._blk_len
        if self._origin is None:
            self._origin = start
        o = self._origin
        b, off = divmod(start - o, L)
        if off + k <= L:                                   # inside one block: a view
            return self._block(b, batch, dt)[off:off + k]
        out = np.empty((k, batch, self.n), dtype=bool)
        s = start
        while s < start + k:
            b, off = divmod(s - o, L)
            take = min(L - off, start + k - s)
            out[s - start:s - start + take] = self._block(b, batch, dt)[off:off + take]
            s += take
        return out


class SpikeGeneratorGroup:
    """Sources that spike at given times.

    Parameters
    ----------
    n : number of sources.
    indices : int array ``(S,)`` of source indices in ``[0, n)``.
    times : array ``(S,)`` of spike times (s, >= 0); a spike is emitted in the step that
        contains its time: ``floor((t + 1e-3 dt) / dt)`` (Brian2's rule).
    name : unique name in the network.
    batch : int array ``(S,)``, optional
        The batch copy that receives each spike (e.g. a different input sequence per copy,
        from ``np.nonzero`` of a ``(T, B, n)`` raster). Default: every spike goes to every
        copy. A copy index must be below the network's ``batch_size``.

    A source may spike at most once per step (per copy).
    """

    is_input = True
    state_vars: tuple[str, ...] = ()

    def __init__(self, n: int, indices: Any, times: Any, name: str | None = None,
                 batch: Any = None) -> None:
        self.n = check_size("SpikeGeneratorGroup", n)
        idx = np.asarray(indices)
        t = _as_finite("SpikeGeneratorGroup", "times", times)
        if idx.ndim != 1 or t.ndim != 1 or idx.shape != t.shape:
            raise ValueError(f"SpikeGeneratorGroup.indices and times must be 1-D of equal "
                             f"length, got shapes {idx.shape} and {t.shape}")
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"SpikeGeneratorGroup.indices must be integers, got {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.n):
            raise ValueError(f"SpikeGeneratorGroup.indices must be in [0, {self.n}), got "
                             f"range [{idx.min()}, {idx.max()}]")
        if t.size and t.min() < 0:
            raise ValueError(f"SpikeGeneratorGroup.times must be >= 0, got {t.min()}")
        self.indices = idx.astype(np.int64)
        self.times = t
        self.batch: np.ndarray | None = None
        if batch is not None:
            b = np.asarray(batch)
            if b.shape != idx.shape:
                raise ValueError(f"SpikeGeneratorGroup.batch must have the shape of indices "
                                 f"{idx.shape}, got {b.shape}")
            if b.size and not np.issubdtype(b.dtype, np.integer):
                raise TypeError(f"SpikeGeneratorGroup.batch must be integers, got {b.dtype}")
            if b.size and b.min() < 0:
                raise ValueError(f"SpikeGeneratorGroup.batch must be >= 0, got {b.min()}")
            self.batch = b.astype(np.int64)
        self.name = name
        self._steps: np.ndarray | None = None
        self._dt: float | None = None

    def check_dt(self, dt: float) -> None:
        steps = np.floor((self.times + 1e-3 * dt) / dt).astype(np.int64)
        key = steps * self.n + self.indices
        if self.batch is not None and self.batch.size:
            key = key * (int(self.batch.max()) + 1) + self.batch
        uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
        if uniq.size != key.size:
            k = int(first[np.argmax(counts > 1)])
            other = int(np.flatnonzero(key == key[k])[1])
            raise ValueError(
                f"SpikeGeneratorGroup.times: source {self.indices[k]} spikes twice in one step "
                f"(at {self.times[k]:g} s and {self.times[other]:g} s; dt={dt:g} s); "
                "a source may spike at most once per step: merge or separate those spikes")
        order = np.argsort(steps, kind="stable")
        self._steps, self._idx_sorted, self._dt = steps[order], self.indices[order], dt
        self._batch_sorted = None if self.batch is None else self.batch[order]

    def spikes(self, start: int, k: int, batch: int, dt: float) -> np.ndarray:
        if self._dt != dt:
            self.check_dt(dt)
        out = np.zeros((k, batch, self.n), dtype=bool)
        lo, hi = np.searchsorted(self._steps, [start, start + k])
        if self._batch_sorted is None:
            out[self._steps[lo:hi] - start, :, self._idx_sorted[lo:hi]] = True
            return out
        b = self._batch_sorted[lo:hi]
        if b.size and b.max() >= batch:
            raise ValueError(f"SpikeGeneratorGroup.batch has copy index {b.max()}, but the "
                             f"network has batch_size={batch}")
        out[self._steps[lo:hi] - start, b, self._idx_sorted[lo:hi]] = True
        return out


class CurrentInjection:
    """External current into a neuron group (added to the model's ``i_in``).

    Parameters
    ----------
    target : the NeuronGroup receiving the current.
    values : current (A) — scalar, ``(n,)`` constant, or per step ``(T, n)`` or
        ``(T, B, n)`` (time-varying, with per-copy values for a batch of ``B``). Step ``k``
        of the network (counted from its start, across repeated runs) uses row ``k``; a
        run past the end of the array is an error.
    name : optional name.
    steps_per_value : int
        Steps each row of a time-varying ``values`` is held for (default 1): step ``k``
        uses row ``k // steps_per_value``, as Brian2's ``TimedArray(values, dt=
        steps_per_value * dt)``. A current that is constant over windows of steps (a
        sequence presented for several steps per element) is given once per window, not
        copied to every step.
    """

    is_input = False

    def __init__(self, target: Any, values: Any, name: str | None = None,
                 steps_per_value: int = 1) -> None:
        from neurosim.neurons.group import NeuronGroup

        if not isinstance(target, NeuronGroup):
            raise TypeError(f"CurrentInjection.target must be a NeuronGroup, got "
                            f"{type(target).__name__}")
        self.target = target
        arr = _as_finite("CurrentInjection", "values", values)
        self.values, self.time_varying = _time_array("CurrentInjection", "values", arr,
                                                     target.n)
        limit = getattr(target.params, "current_limit", None)  # None: input not in amperes
        if limit is not None and arr.size:
            check_current("CurrentInjection", "values", arr.flat[np.argmax(np.abs(arr))],
                          limit)
        self.steps_per_value = check_int("CurrentInjection.steps_per_value", steps_per_value,
                                         low=1)
        self.name = name

    def current(self, start: int, k: int, batch: int) -> Any:
        """Steps ``start .. start+k-1``: ``(k, batch, n)`` (time-varying), a
        :class:`HeldCurrent` (time-varying with ``steps_per_value > 1``) or ``(n,)``
        (constant)."""
        if not self.time_varying:
            return self.values
        h = self.steps_per_value
        if h == 1:
            return _chunk("CurrentInjection", "values", self.values, start, k, batch)
        avail = self.values.shape[0] * h
        if start + k > avail:
            raise ValueError(f"CurrentInjection.values covers {avail} steps "
                             f"({self.values.shape[0]} rows x steps_per_value={h}) but the "
                             f"run needs step {start + k - 1}; give a longer array")
        first, last = start // h, (start + k - 1) // h
        rows = _chunk("CurrentInjection", "values", self.values, first, last - first + 1,
                      batch)
        return HeldCurrent(rows, h, start - first * h, k)

    def per_step_values(self) -> np.ndarray:
        """The time-varying ``values`` with one row per step (rows repeated
        ``steps_per_value`` times), e.g. for an exporter; constant values as they are."""
        if not self.time_varying or self.steps_per_value == 1:
            return self.values
        return np.repeat(self.values, self.steps_per_value, axis=0)

    def n_steps_available(self) -> int | None:
        """Steps the time-varying values cover (None: constant)."""
        return self.values.shape[0] * self.steps_per_value if self.time_varying else None


def steps_of(duration: float, dt: float) -> int:
    return timestep(duration, dt)
