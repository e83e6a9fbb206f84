"""Network: groups + synapses + monitors + one clock, run by a chosen backend.

One step ``k`` (time ``k * dt``) does, in this order (Brian2's default schedule):

1. StateMonitors sample the state (start of step);
2. every NeuronGroup advances by its model's pure step function (integrate, threshold,
   reset, refractoriness) with its external current;
3. input groups emit their spikes for step ``k``;
4. every projection adds the weights of synapses whose source spiked at step ``k - delay``
   to the target variables (so a spike acts on the target from step ``k + 1`` on); a
   projection with short-term plasticity (``Synapses(..., stp=...)``) first advances its
   Tsodyks–Markram state and adds ``w * r`` (:mod:`neurosim.plasticity.short_term`);
5. spikes, rates and op counters are recorded.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurosim.counters import OpCounters
from neurosim.monitors import PopulationRateMonitor, SpikeMonitor, StateMonitor
from neurosim.neurons.base import check_magnitude, timestep
from neurosim.neurons.group import NeuronGroup
from neurosim.neurons.inputs import (
    CurrentInjection,
    PoissonGroup,
    SpikeGeneratorGroup,
    per_step_current,
)
from neurosim.synapses import Synapses
from neurosim.units import ms
from neurosim.validation import check_int, check_real

__all__ = ["Network", "Plan"]

_GROUP_TYPES = (NeuronGroup, PoissonGroup, SpikeGeneratorGroup)
_MAX_CHUNK_ELEMS = 1 << 22
_MAX_CHUNK_STEPS = 1 << 13


def _pow2_floor(x: int) -> int:
    """Largest power of two <= ``max(x, 1)``."""
    return 1 << (max(1, int(x)).bit_length() - 1)
_PROGRESS_MIN_STEPS = 20_000   # a progress bar only for runs of at least this many steps


@dataclass
class Plan:
    """Everything a backend needs, resolved (names, delays in steps, record requests)."""

    dt: float
    batch: int
    neuron_groups: list[NeuronGroup]
    input_groups: list[Any]
    synapses: list[Synapses]
    delay_steps: dict[str, np.ndarray]
    injections: dict[str, list[CurrentInjection]]
    spike_monitors: list[SpikeMonitor]
    state_monitors: list[StateMonitor]
    rate_monitors: list[PopulationRateMonitor]
    dtype: Any = np.float64
    device: str = "cpu"
    threads: int = 1
    spike_record: set[str] = field(default_factory=set)
    start_step: int = 0

    @property
    def groups(self) -> list[Any]:
        """Neuron groups, then input groups (the backends' order of group indices)."""
        return [*self.neuron_groups, *self.input_groups]

    def max_delay(self, syn: Synapses) -> int:
        """Longest delay of projection ``syn`` in steps (0 without delays)."""
        d = self.delay_steps[syn.name]
        return int(d.max()) if d.size else 0


class Network:
    """A spiking network simulated with one clock.

    Parameters
    ----------
    *objects : NeuronGroup, PoissonGroup, SpikeGeneratorGroup, Synapses, CurrentInjection,
        SpikeMonitor, StateMonitor, PopulationRateMonitor (or lists of them); more via
        :meth:`add`.
    dt : float
        Time step (s), > 0 and not larger than any model time constant (default 0.1 ms).
    seed : int or None
        Seed of all random input (Poisson groups); ``None`` draws fresh entropy.
    backend : str
        ``"auto"`` (fastest for the device), ``"numba"``, ``"torch"``, ``"numpy"`` or a
        name given to :func:`neurosim.backends.register_backend`.
    batch_size : int
        Number ``B`` of independent copies simulated together (own state and random input
        per copy; inputs of shape ``(T, B, n)`` give per-copy currents/rates, a
        :class:`~neurosim.SpikeGeneratorGroup` with ``batch=`` per-copy spikes).
    device : str
        For the torch backend: ``"auto"`` (cuda if available), ``"cpu"``, ``"cuda"``,
        ``"cuda:N"`` (:mod:`neurosim.devices`).
    dtype : str
        ``"float64"`` (default; identical results across backends) or ``"float32"``
        (``"torch"`` and ``"numba"``): state, synaptic weights, delay buffers and STDP
        traces stored in 4 bytes (half the memory per synapse). The numba backend then
        computes each update in float64 from float32 values and rounds the result on
        store, so spikes differ from float64 after a few ms of chaotic activity while the
        statistics agree (``tests/neurosim/test_float32.py`` bounds rates and CV on CUBA).
    threads : int or None
        Threads of the compiled CPU backend (``"numba"``): the copies of a batch are split
        into ``threads`` contiguous ranges run in parallel; one copy with at least
        :data:`neurosim.backends.numba_cpu.MIN_SPLIT` neurons per thread is split by
        neuron instead (each thread updates its neurons and delivers every spike to its
        own neurons only; the threads meet once per step). Results are identical for any
        count (tested). A network with compiled STDP or short-term plasticity runs on one
        thread. ``None`` (default): :func:`neurosim.backends.default_threads`
        (``NEUROSIM_NUM_THREADS``, else every core this process may use). Other backends
        ignore it (torch has its own thread settings).

    After :meth:`run`, ``net.counters`` holds the op counts, ``net.t`` the time reached.
    """

    def __init__(self, *objects: Any, dt: float = 0.1 * ms, seed: int | None = None,
                 backend: str = "auto", batch_size: int = 1, device: str = "auto",
                 dtype: str = "float64", threads: int | None = None) -> None:
        check_real("Network.dt", dt, low=0, low_open=True)
        check_int("Network.threads", threads, low=1, allow_none=True)
        check_magnitude("Network", "dt", dt, 0.1, "s", "milliseconds", "ms", "seconds")
        check_int("Network.seed", seed, allow_none=True)
        check_int("Network.batch_size", batch_size, low=1)
        if dtype not in ("float64", "float32"):
            raise ValueError(f"Network.dtype must be 'float64' or 'float32', got {dtype!r}")
        from neurosim.backends import resolve_backend_name

        self.backend_name = resolve_backend_name(backend, device)
        if dtype == "float32" and self.backend_name not in ("torch", "numba"):
            raise ValueError(f"Network.dtype='float32' needs backend='torch' or 'numba', got "
                             f"backend={self.backend_name!r}")
        self.dt, self.batch_size, self.device, self.dtype = float(dt), batch_size, device, dtype
        if threads is None:
            from neurosim.backends import default_threads

            threads = default_threads()
        self.threads = int(threads)
        self.seed = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**63)
        self.objects: list[Any] = []
        self.step_count = 0
        self._runner: Any = None
        self._plan: Plan | None = None
        self._state: dict[str, dict[str, np.ndarray]] | None = None
        self._stored: dict[str, Any] = {}
        self.counters_obj = OpCounters()
        #: plasticity on/off (Synapses.attach); False freezes weights, e.g. for evaluation
        self.learning = True
        self.add(*objects)

    # ------------------------------------------------------------------ building
    def add(self, *objects: Any) -> None:
        """Add groups, synapses, current injections or monitors (lists are flattened).

        Adding an object twice is a no-op; groups and synapses must be added before the
        first :meth:`run` (monitors and current injections may come later). Names are
        given at build time to objects without one and must be unique.

        Parameters
        ----------
        *objects : any of the types listed in the class docstring, or lists of them.

        Raises
        ------
        TypeError
            For an object of another type (the message lists the allowed ones).
        ValueError
            For a group or synapses added after the network has run.
        """
        ok = (*_GROUP_TYPES, Synapses, CurrentInjection, SpikeMonitor, StateMonitor,
              PopulationRateMonitor)
        for obj in objects:
            if isinstance(obj, (list, tuple)):
                self.add(*obj)
                continue
            if not isinstance(obj, ok):
                raise TypeError(f"Network.add: cannot add {type(obj).__name__}; allowed: "
                                + ", ".join(t.__name__ for t in ok))
            if any(obj is o for o in self.objects):
                continue
            if self.step_count and isinstance(obj, (*_GROUP_TYPES, Synapses)):
                raise ValueError("Network.add: groups and synapses must be added before the "
                                 "first run")
            self.objects.append(obj)
        self._plan = None

    def _of(self, types: Any) -> list[Any]:
        return [o for o in self.objects if isinstance(o, types)]

    def _build(self) -> Plan:
        groups = self._of(_GROUP_TYPES)
        counts: dict[str, int] = {}
        for k, obj in enumerate(self.objects):
            if getattr(obj, "name", None) is None:
                obj.name = f"{type(obj).__name__.lower()}{k}"
            counts[obj.name] = counts.get(obj.name, 0) + 1
        dup = [n for n, c in counts.items() if c > 1]
        if dup:
            raise ValueError(f"Network: names must be unique, duplicated: {', '.join(dup)}")
        for obj in self.objects:
            for ref in ("pre", "post", "target", "group"):
                g = getattr(obj, ref, None)
                if g is not None and isinstance(g, _GROUP_TYPES) and not any(
                        g is x for x in groups):
                    raise ValueError(f"{type(obj).__name__} {obj.name!r} refers to group "
                                     f"{g.name!r}, which is not in the network; add it")
        neuron_groups = [g for g in groups if isinstance(g, NeuronGroup)]
        for g in neuron_groups:
            g.params.check_dt(self.dt)
        inputs = [g for g in groups if not isinstance(g, NeuronGroup)]
        ss = np.random.SeedSequence(self.seed)
        for g, child in zip(inputs, ss.spawn(len(inputs))):
            g.check_dt(self.dt)
            if isinstance(g, PoissonGroup) and (g.rng is None or self._plan is None
                                                and self.step_count == 0):
                g.rng = np.random.default_rng(child)
        syns = self._of(Synapses)
        for s in syns:  # weights assigned after construction get the constructor's checks
            s.weights = s._check_weights(s.weights)
            if s.stp is not None and s.plasticity is not None:
                raise ValueError(s._stp_and_rule(s.stp, s.plasticity))
            s._built = True   # its stp (and the state shaped by it) is fixed from now on
        injections: dict[str, list[CurrentInjection]] = {g.name: [] for g in neuron_groups}
        for inj in self._of(CurrentInjection):
            injections[inj.target.name].append(inj)
        mons = [*self._of(SpikeMonitor), *self._of(StateMonitor),
                *self._of(PopulationRateMonitor)]
        for m in mons:
            m.dt = self.dt
        from neurosim.backends import resolve_device

        plan = Plan(
            dt=self.dt, batch=self.batch_size, neuron_groups=neuron_groups,
            input_groups=inputs, synapses=syns,
            delay_steps={s.name: s.delay_steps(self.dt) for s in syns},
            injections=injections, spike_monitors=self._of(SpikeMonitor),
            state_monitors=self._of(StateMonitor), rate_monitors=self._of(
                PopulationRateMonitor), dtype=np.float32 if self.dtype == "float32"
            else np.float64, device=resolve_device(self.device),
            spike_record={m.group.name for m in self._of(SpikeMonitor)},
            threads=self.threads,
        )
        fb = 4 if self.dtype == "float32" else 8   # bytes of a stored value
        state_bytes = sum(fb * len(g.state_vars) * g.n * self.batch_size
                          for g in neuron_groups)
        # short-term plasticity: (x, u) per source neuron and copy
        state_bytes += sum(2 * 8 * s.n_pre * self.batch_size for s in syns if s.stp is not None)
        syn_bytes = sum(s.n_syn * (fb + 4) + 8 * (s.n_pre + 1)
                        + (4 * s.n_syn if plan.delay_steps[s.name].ndim else 0)
                        for s in syns)
        c = self.counters_obj
        c.state_bytes, c.synapse_bytes = state_bytes, syn_bytes
        c.n_synapses = sum(s.n_syn for s in syns)
        return plan

    def _initial_state(self, plan: Plan) -> dict[str, dict[str, np.ndarray]]:
        st: dict[str, dict[str, np.ndarray]] = {
            g.name: g.initial_state(self.batch_size) for g in plan.neuron_groups}
        for s in plan.synapses:
            d = plan.max_delay(s)
            if d > 0:
                st[f"syn:{s.name}"] = {"buffer": np.zeros((d + 1, self.batch_size, s.post.n))}
            if s.stp is not None:  # short-term plasticity: (x, u) per source neuron and copy
                st[f"stp:{s.name}"] = s.stp.init_state((self.batch_size, s.n_pre))._asdict()
        return st

    def _ensure(self) -> None:
        if self._plan is None:
            self._plan = self._build()
            if self._runner is not None:
                self._state = self._runner.get_state()
            elif self._state is None:
                self._state = self._initial_state(self._plan)
            self._runner = None
        if self._runner is None:
            from neurosim.backends import get_backend

            self._plan.start_step = self.step_count
            if self._state is None:
                self._state = self._initial_state(self._plan)
            # the backend picks its runner (plastic projections included)
            self._runner = get_backend(self.backend_name).prepare(self._plan, self._state, self)
            # the runner holds the state now (one copy in memory; get_state asks it)
            self._state = None

    # ------------------------------------------------------------------ running
    @property
    def t(self) -> float:
        """Simulated time reached (s)."""
        return self.step_count * self.dt

    def run(self, duration: float, progress: bool = True) -> Network:
        """Simulate ``duration`` seconds more (rounded to whole steps); continues where the
        previous run stopped.

        Parameters
        ----------
        duration : float
            Simulated time to add (s), finite and >= 0.
        progress : bool
            Show a tqdm progress bar for runs of >= 20,000 steps when stderr is a terminal
            (never in CI logs or pipes).

        Returns
        -------
        Network
            This network (``net.run(1.0).counters``).

        Raises
        ------
        ValueError
            For a negative or non-finite duration, or time-varying inputs shorter than the
            run.
        FloatingPointError
            When a group's state becomes NaN or inf (the message names the group and the
            steps).
        """
        duration = check_real("Network.run: duration", duration, low=0)  # seconds
        n_steps = timestep(duration, self.dt)
        if n_steps == 0:
            return self
        self._ensure()
        plan = self._plan
        assert plan is not None
        end = self.step_count + n_steps
        for obj in [*plan.input_groups, *self._of(CurrentInjection)]:
            if not getattr(obj, "time_varying", False):
                continue
            avail = (obj.n_steps_available() if isinstance(obj, CurrentInjection)
                     else obj.rates.shape[0])
            if avail < end:
                what = "rates" if isinstance(obj, PoissonGroup) else "values"
                raise ValueError(f"{type(obj).__name__}.{what} covers {avail} steps "
                                 f"but the run needs steps up to {end - 1}; give a longer "
                                 f"array")
        # values a chunk materialises per step: every group's by default (a runner that
        # allocates less per step says so: the compiled one only inputs, time-varying
        # currents and monitors); at most _MAX_CHUNK_STEPS a chunk (the NaN check runs
        # after each chunk)
        per_step = getattr(self._runner, "elements_per_step", None)
        n_all = (per_step() if per_step is not None
                 else sum(g.n for g in plan.groups) * self.batch_size)
        # chunks: a power of two of steps, aligned to multiples of itself, so that they
        # fall inside the (power-of-two, no smaller) blocks of Poisson input (no copies)
        chunk = min(_pow2_floor(_MAX_CHUNK_ELEMS // max(1, n_all)), _MAX_CHUNK_STEPS)
        bar = None
        if progress and n_steps >= _PROGRESS_MIN_STEPS and sys.stderr.isatty():
            from tqdm.auto import tqdm

            chunk = min(chunk, _pow2_floor(max(512, n_steps // 50)))
            bar = tqdm(total=n_steps, unit="step", desc="neurosim", leave=False,
                       file=sys.stderr)
        done = 0
        try:
            while done < n_steps:
                k = min(chunk - self.step_count % chunk, n_steps - done)
                self._run_chunk(plan, self.step_count, k)
                self.step_count += k
                done += k
                if bar is not None:
                    bar.update(k)
        finally:
            if bar is not None:
                bar.close()
            sync = getattr(self._runner, "sync_weights", None)
            if sync is not None:   # learned weights to the Synapses, also after an error
                sync()
        return self

    def _run_chunk(self, plan: Plan, start: int, k: int) -> None:
        B = self.batch_size
        inputs = {g.name: g.spikes(start, k, B, self.dt) for g in plan.input_groups}
        currents: dict[str, Any] = {}
        for g in plan.neuron_groups:
            parts = [inj.current(start, k, B) for inj in plan.injections[g.name]]
            currents[g.name] = None if not parts else (
                parts[0] if len(parts) == 1 else sum(np.asarray(per_step_current(p))
                                                     for p in parts))
        out = self._runner.run_chunk(start, k, inputs, currents)
        check = getattr(self._runner, "nonfinite_group", None)
        bad = check() if check is not None else None
        if bad is not None:
            raise FloatingPointError(
                f"Network: state of group {bad!r} became NaN or inf during steps {start}.."
                f"{start + k - 1} (t = {start * self.dt:.4g}..{(start + k) * self.dt:.4g} s); "
                f"check inputs and parameters or reduce dt={self.dt}")
        c = self.counters_obj
        c.add("steps", k)
        c.add("neuron_updates", k * B * sum(g.n for g in plan.neuron_groups))
        for g in plan.groups:
            c.add_group_spikes(g.name, int(out.counts[g.name].sum()), g.is_input)
        for s in plan.synapses:
            c.add_events(s.name, out.events[s.name])
        for m in plan.spike_monitors:
            m._append(*out.spikes[m.group.name])
        for m in plan.rate_monitors:
            m._append(start, out.counts[m.group.name])
        for m, rec in zip(plan.state_monitors, out.states):
            m._append(*rec)

    # ------------------------------------------------------------------ state
    @property
    def counters(self) -> dict[str, Any]:
        """Op counters accumulated over all runs (see :mod:`neurosim.counters`)."""
        if self._plan is None:
            self._plan = self._build()
        return self.counters_obj.as_dict()

    def get_state(self) -> dict[str, dict[str, np.ndarray]]:
        """Copy of the dynamic state.

        Returns
        -------
        dict
            ``{group name: {variable: (B, n) array}}``, plus ``"syn:<name>"`` delay buffers,
            ``"plastic:<name>"`` learned weights and traces of plastic projections and
            ``"stp:<name>"`` short-term plasticity state (``x``, ``u``: ``(B, n_pre)``).
        """
        if self._runner is not None:
            return self._runner.get_state()
        if self._state is None:
            self._ensure()
            return self._runner.get_state()
        return copy.deepcopy(self._state)

    def set_state(self, state: dict[str, dict[str, np.ndarray]]) -> None:
        """Replace the dynamic state.

        Parameters
        ----------
        state : dict
            As returned by :meth:`get_state`: the same keys, variables and shapes, finite
            values (each is checked; the message names what differs).
        """
        ref = self.get_state()
        if set(state) != set(ref):
            raise ValueError(f"Network.set_state: expected keys {sorted(ref)}, got "
                             f"{sorted(state)}")
        new = {}
        for k, d in ref.items():
            if set(state[k]) != set(d):
                raise ValueError(f"Network.set_state: {k!r} expects variables {sorted(d)}, "
                                 f"got {sorted(state[k])}")
            new[k] = {}
            for v, arr in d.items():
                a = np.array(state[k][v], dtype=np.float64)
                if a.shape != arr.shape:
                    raise ValueError(f"Network.set_state: {k}.{v} expected shape {arr.shape}, "
                                     f"got {a.shape}")
                if not np.all(np.isfinite(a)):
                    raise ValueError(f"Network.set_state: {k}.{v} contains NaN or inf")
                new[k][v] = a
        self._state = new
        # a runner that can take the state in place keeps its prepared arrays (a runner
        # without load_state, or one that declines, is prepared again from the state)
        load = getattr(self._runner, "load_state", None)
        if load is None or not load(new):
            self._runner = None
        else:
            self._state = None   # written into the runner's arrays

    def _snapshot(self) -> dict[str, Any]:
        self._ensure()
        return {
            "step_count": self.step_count,
            "state": self.get_state(),
            "rng": {g.name: g.rng_state(self.step_count) for g in self._of(PoissonGroup)},
            "counters": self.counters_obj.as_dict(),
            "monitors": {m.name: copy.deepcopy(m._state()) for m in self._of(
                (SpikeMonitor, StateMonitor, PopulationRateMonitor))},
        }

    def _apply_snapshot(self, snap: dict[str, Any]) -> None:
        self._ensure()
        self.set_state(snap["state"])
        for g in self._of(PoissonGroup):
            g.set_rng_state(snap["rng"][g.name])
        self.counters_obj.load(snap["counters"])
        for m in self._of((SpikeMonitor, StateMonitor, PopulationRateMonitor)):
            m._load(copy.deepcopy(snap["monitors"][m.name]))
        self.step_count = int(snap["step_count"])

    def store(self, name: str = "default") -> None:
        """Remember the full state (neurons, delay buffers, RNGs, clock, counters, monitors).

        Parameters
        ----------
        name : str
            Key to restore it by; storing again under a name replaces that state.
        """
        self._stored[name] = self._snapshot()

    def restore(self, name: str = "default") -> None:
        """Return to a state saved by :meth:`store`; the continuation is bit-identical.

        Parameters
        ----------
        name : str
            A name given to :meth:`store` (an unknown name is a KeyError listing the stored
            ones).
        """
        if name not in self._stored:
            raise KeyError(f"Network.restore: no stored state {name!r}; stored: "
                           f"{', '.join(self._stored) or '(none)'}")
        self._apply_snapshot(self._stored[name])

    def __repr__(self) -> str:
        names = ", ".join(getattr(o, "name", None) or type(o).__name__ for o in self.objects)
        return f"Network([{names}], dt={self.dt}, backend={self.backend_name!r})"
