"""Monitors: what a run records. Backends record on their device; results are numpy.

* :class:`SpikeMonitor` — spike indices and times (and batch copy) of one group.
* :class:`StateMonitor` — chosen state variables of chosen neurons, every ``every`` steps,
  sampled at the *start* of a step (as Brian2's StateMonitor), so ``t[0] = 0``.
* :class:`PopulationRateMonitor` — population rate (Hz) per step and batch copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurosim.validation import check_int

__all__ = ["SpikeMonitor", "StateMonitor", "PopulationRateMonitor"]


def _check_group(owner: str, group: Any) -> None:
    if not isinstance(getattr(group, "n", None), int):
        raise TypeError(f"{owner}.group must be a neuron or input group, got "
                        f"{type(group).__name__}")


class SpikeMonitor:
    """Records every spike of ``group``.

    Attributes (after a run)
    ------------------------
    i : int array ``(S,)`` neuron indices; t : float array ``(S,)`` times (s);
    batch : int array ``(S,)`` batch copy of each spike; steps : int array ``(S,)``.
    Spikes are ordered by step, then batch copy, then neuron.
    """

    def __init__(self, group: Any, name: str | None = None) -> None:
        _check_group("SpikeMonitor", group)
        self.group, self.name = group, name
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.dt: float | None = None

    def _append(self, steps: np.ndarray, batch: np.ndarray, idx: np.ndarray) -> None:
        # the backend's arrays are the caller's (ChunkOut): kept as they are when int64
        if steps.size:
            self._parts.append((np.asarray(steps, dtype=np.int64),
                                np.asarray(batch, dtype=np.int64),
                                np.asarray(idx, dtype=np.int64)))

    def clear(self) -> None:
        """Forget the spikes recorded so far (e.g. between stimulus presentations)."""
        self._parts = []

    def _cat(self, k: int) -> np.ndarray:
        if not self._parts:
            return np.zeros(0, dtype=np.int64)
        if len(self._parts) > 1:
            self._parts = [tuple(np.concatenate([p[m] for p in self._parts])
                                 for m in range(3))]  # type: ignore[list-item]
        return self._parts[0][k]

    @property
    def steps(self) -> np.ndarray:
        """Step index of every spike, int ``(S,)``."""
        return self._cat(0)

    @property
    def batch(self) -> np.ndarray:
        """Batch copy of every spike, int ``(S,)`` (all 0 without a batch)."""
        return self._cat(1)

    @property
    def i(self) -> np.ndarray:
        """Neuron index of every spike, int ``(S,)``."""
        return self._cat(2)

    @property
    def t(self) -> np.ndarray:
        """Time of every spike in seconds, float ``(S,)``: ``steps * dt``."""
        return self.steps * (self.dt or 0.0)

    @property
    def count(self) -> np.ndarray:
        """Spike count per neuron summed over batch copies, ``(n,)``."""
        return np.bincount(self.i, minlength=self.group.n)

    def to_dense(self, n_steps: int | None = None, batch_size: int | None = None,
                 start_step: int = 0) -> np.ndarray:
        """Spikes as a bool array ``(T, B, n)``: ``out[k, b, i]`` is True when neuron ``i``
        of copy ``b`` spiked at step ``start_step + k`` (e.g. per-step reservoir states).

        Parameters
        ----------
        n_steps : int, optional
            ``T``; default: up to the last recorded spike. Later spikes are dropped.
        batch_size : int, optional
            ``B``; default: the highest recorded batch copy + 1 (1 without spikes).
        start_step : int
            Step that becomes row 0; earlier spikes are dropped.

        Returns
        -------
        numpy.ndarray
            Bool array ``(T, B, n)``, ``n`` the size of the monitored group.
        """
        steps = self.steps - start_step
        T = n_steps if n_steps is not None else int(steps.max()) + 1 if steps.size else 0
        B = batch_size if batch_size is not None else (int(self.batch.max()) + 1
                                                       if self.batch.size else 1)
        out = np.zeros((T, B, self.group.n), dtype=bool)
        keep = (steps >= 0) & (steps < T)
        out[steps[keep], self.batch[keep], self.i[keep]] = True
        return out

    def spike_trains(self, batch: int = 0) -> dict[int, np.ndarray]:
        """``{neuron: times}`` for one batch copy.

        Parameters
        ----------
        batch : int
            The batch copy.

        Returns
        -------
        dict of int to numpy.ndarray
            For every neuron of the group (silent ones too), its spike times in seconds,
            ascending.
        """
        sel = self.batch == batch
        i, t = self.i[sel], self.t[sel]
        return {k: t[i == k] for k in range(self.group.n)}

    def reset(self) -> None:
        """Forget every recorded spike (the monitor stays attached to its group)."""
        self._parts = []

    def _state(self) -> dict[str, np.ndarray]:
        return {"steps": self.steps, "batch": self.batch, "i": self.i}

    def _load(self, d: dict[str, np.ndarray]) -> None:
        self._parts = [(d["steps"], d["batch"], d["i"])] if d["steps"].size else []


class StateMonitor:
    """Records ``variables`` of neurons ``indices`` of ``group`` every ``every`` steps.

    After a run: ``mon.t`` ``(R,)`` and ``mon[var]`` / ``getattr(mon, var)`` with shape
    ``(R, B, len(indices))``.
    """

    def __init__(self, group: Any, variables: str | list[str], indices: Any = None,
                 every: int = 1, name: str | None = None) -> None:
        _check_group("StateMonitor", group)
        vars_ = [variables] if isinstance(variables, str) else list(variables)
        valid = tuple(getattr(group, "state_vars", ()))
        if not vars_:
            raise ValueError(f"StateMonitor.variables must name at least one variable, got "
                             f"{variables!r}; choose from: {', '.join(valid)}")
        for v in vars_:
            if v not in valid:
                raise ValueError(f"StateMonitor.variables: unknown variable {v!r} for "
                                 f"{type(group).__name__}; choose from: {', '.join(valid)}")
        idx = np.arange(group.n) if indices is None else np.atleast_1d(
            np.asarray(indices, dtype=np.int64))
        if idx.ndim != 1:
            raise ValueError(f"StateMonitor.indices must be 1-D, got shape {idx.shape}")
        if idx.size == 0:
            raise ValueError(f"StateMonitor.indices must be non-empty, got an empty array "
                             f"(omit indices to record all {group.n} neurons)")
        if idx.min() < 0 or idx.max() >= group.n:
            raise ValueError(f"StateMonitor.indices must be in [0, {group.n}), got range "
                             f"[{idx.min()}, {idx.max()}]")
        every = check_int("StateMonitor.every", every, low=1)
        self.group, self.variables, self.indices, self.every = group, vars_, idx, every
        self.name = name
        self._steps: list[np.ndarray] = []
        self._data: dict[str, list[np.ndarray]] = {v: [] for v in vars_}
        self.dt: float | None = None

    def _append(self, steps: np.ndarray, values: dict[str, np.ndarray]) -> None:
        if steps.size:
            self._steps.append(steps)
            for v in self.variables:
                self._data[v].append(values[v])

    @property
    def steps(self) -> np.ndarray:
        """Step index of every sample, int ``(R,)``."""
        return np.concatenate(self._steps) if self._steps else np.zeros(0, dtype=np.int64)

    @property
    def t(self) -> np.ndarray:
        """Time of every sample in seconds, float ``(R,)`` (the start of its step)."""
        return self.steps * (self.dt or 0.0)

    def __getitem__(self, var: str) -> np.ndarray:
        if var not in self._data:
            raise KeyError(f"StateMonitor did not record {var!r}; recorded: "
                           f"{', '.join(self.variables)}")
        parts = self._data[var]
        if not parts:
            return np.zeros((0, 0, self.indices.size))
        return np.concatenate(parts, axis=0)

    def __getattr__(self, var: str) -> np.ndarray:
        if var.startswith("_") or var not in self.__dict__.get("_data", {}):
            raise AttributeError(var)
        return self[var]

    def reset(self) -> None:
        """Forget every recorded sample (the variables and indices are kept)."""
        self._steps = []
        self._data = {v: [] for v in self.variables}

    def _state(self) -> dict[str, np.ndarray]:
        out = {"steps": self.steps}
        out.update({f"var_{v}": self[v] for v in self.variables})
        return out

    def _load(self, d: dict[str, np.ndarray]) -> None:
        self.reset()
        if d["steps"].size:
            self._append(d["steps"], {v: d[f"var_{v}"] for v in self.variables})


class PopulationRateMonitor:
    """Population rate of ``group`` per step: ``rate`` ``(T, B)`` in Hz, ``t`` ``(T,)``."""

    def __init__(self, group: Any, name: str | None = None) -> None:
        _check_group("PopulationRateMonitor", group)
        self.group, self.name = group, name
        self._counts: list[np.ndarray] = []
        self._start: list[int] = []
        self.dt: float | None = None

    def _append(self, start: int, counts: np.ndarray) -> None:
        self._start.append(start)
        self._counts.append(np.asarray(counts))

    @property
    def counts(self) -> np.ndarray:
        """Spike count per step and batch copy, ``(T, B)``."""
        return (np.concatenate(self._counts, axis=0) if self._counts
                else np.zeros((0, 1), dtype=np.int64))

    @property
    def rate(self) -> np.ndarray:
        """Population rate in Hz per step and batch copy, ``(T, B)``: spikes / (n * dt)."""
        return self.counts / (self.group.n * (self.dt or 1.0))

    @property
    def t(self) -> np.ndarray:
        """Time of every recorded step in seconds, ``(T,)``."""
        if not self._counts:
            return np.zeros(0)
        return np.concatenate([s + np.arange(c.shape[0]) for s, c in
                               zip(self._start, self._counts)]) * (self.dt or 0.0)

    def smooth_rate(self, width: float) -> np.ndarray:
        """Rate smoothed by a flat window of ``width`` seconds, ``(T, B)``.

        Parameters
        ----------
        width : float
            Window width in seconds, rounded to whole steps (at least one step).

        Returns
        -------
        numpy.ndarray
            The smoothed rate in Hz, ``(T, B)``; the window is centred and the edges are
            zero-padded (:func:`numpy.convolve`, ``mode="same"``).
        """
        k = max(1, int(round(width / (self.dt or 1.0))))
        win = np.ones(k) / k
        r = self.rate
        return np.stack([np.convolve(r[:, b], win, mode="same") for b in range(r.shape[1])],
                        axis=1)

    def reset(self) -> None:
        """Forget every recorded count."""
        self._counts, self._start = [], []

    def _state(self) -> dict[str, np.ndarray]:
        return {"start": self.t[:1] / (self.dt or 1.0) if self._counts else np.zeros(0),
                "counts": self.counts}

    def _load(self, d: dict[str, np.ndarray]) -> None:
        self.reset()
        if d["counts"].size:
            self._append(int(round(float(d["start"][0]))), d["counts"])
