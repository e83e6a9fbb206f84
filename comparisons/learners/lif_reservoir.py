"""A fixed random spiking reservoir (liquid state machine) with a trained linear readout.

The reservoir is a recurrent network of current-based LIF neurons from
:mod:`neurosim.neurons.lif` (its pure step function, run on ``(B, N)`` arrays so that every
sequence of a batch is simulated at once). Nothing in the reservoir learns; only the readout
does, by ridge regression on the neurons' filtered spike trains (Maass, Natschläger &
Markram 2002). The ridge solution is accumulated online from ``sum x xᵀ`` and ``sum x yᵀ``,
so the training memory per sample is the reservoir state, not the whole sequence.

Each task step is presented for ``steps_per_input`` simulation steps of ``dt``; the
features at a task step are the neurons' exponentially filtered spike trains (time constant
``tau_readout``) at the end of that step's window, plus a bias.

Protocol: a one-shot fit (no budget): the ridge readout is a closed form over one pass, and
the ``lms`` readout makes one online pass (the STDP subclass takes passes of its readout as
its budget, :mod:`comparisons.learners.stdp_reservoir`). The search space covers the
reservoir's scales (input current, synaptic weights, connectivity, size), the readout
filter and the ridge penalty; the readout kind is not tuned (it changes the learning rule).
Snapshots are the default deep copy (a few MB of weights; no cached features). With
``count_ops=False`` ``predict`` leaves ``last_inference_ops`` and the raster input alone
(the counts themselves cost little next to the simulation; predictions are the same).
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from comparisons.learners import register
from comparisons.learners.base import FitInfo, Learner
from comparisons.learners.scorecard import BATCH_READOUT, DELTA_RULE_READOUT, not_learned
from comparisons.metrics.ops import add_memory_traffic
from comparisons.space import Float, Int, Param
from comparisons.tasks.base import Task, TaskData
from comparisons.validation import check_choice, check_float, check_int

READOUTS = ("ridge", "lms")
#: largest feature cache kept between readout passes, and between predicts of one array
_PASS_CACHE_BYTES = 1 << 30
_PREDICT_CACHE_BYTES = 128 << 20

RESERVOIR_SCORECARD = {
    # The reservoir does not learn; the readout is a ridge regression on all training
    # states (not a local, online rule), supervised by target outputs.
    "local_learning": False, "no_weight_transport": True, "no_derivative_feedback": True,
    "no_clocked_phases": False, "binary_spikes": True, "no_target_outputs": False,
    "online_in_time": False,
}


def nlms(w: np.ndarray, f: np.ndarray, y: np.ndarray, mu: float) -> np.ndarray:
    r"""Normalised least-mean-squares (delta rule), one online pass over the rows.

    .. math:: w \leftarrow w + \mu\, \frac{f\,(y - w^\top f)^\top}{\lVert f\rVert^2 + \epsilon}

    Local: each output unit changes its weights from its presynaptic activity ``f`` and its
    own error (Widrow & Hoff 1960). ``w`` (D, O), ``f`` (R, D), ``y`` (R, O).
    """
    w = w.copy()
    norms = np.einsum("ij,ij->i", f, f) + 1e-8
    for r in range(f.shape[0]):
        err = y[r] - f[r] @ w
        w += (mu / norms[r]) * np.outer(f[r], err)
    return w


def input_ops(x: np.ndarray, fan_out: int) -> dict[str, float]:
    """Ops of an input projection computed outside the network (``x @ W_in``, summed over
    the batch): one per non-zero input and target neuron, as NeuroBench counts a layer's
    synaptic operations (Yik et al. 2025). Binary inputs (every value 0, 1 or -1) select
    weights: accumulates; real-valued (analog) inputs multiply them: MACs. Both keys are
    given, one of them 0."""
    from comparisons.metrics.neurobench_counts import is_binary

    n = float(np.count_nonzero(x)) * fan_out
    return {"ac": n, "mac": 0.0} if is_binary(x) else {"ac": 0.0, "mac": n}


def readout_traces(steps: np.ndarray, batch: np.ndarray, idx: np.ndarray, T: int, k: int,
                   B: int, n: int, decay: float) -> np.ndarray:
    r"""Readout features from spike events: exponentially filtered spike trains sampled at
    the end of every window of ``k`` steps, plus a bias column.

    .. math:: f_{t,b,i} = \sum_{s < (t+1)k} \mathrm{decay}^{(t+1)k - 1 - s}\,
              S_{s,b,i}

    computed window by window (:math:`f_t = \mathrm{decay}^k f_{t-1} + A_t`, where
    :math:`A_t` sums the window's spikes weighted by :math:`\mathrm{decay}^{k-1-j}` for
    sub-step :math:`j`), in the same order of additions as the dense
    ``trace * decay**k + tensordot(within, spikes)`` it replaces (spikes are 0/1, so the
    products are exact). ``steps``, ``batch``, ``idx``: the events ``(S,)`` of a
    :class:`~neurosim.monitors.SpikeMonitor`, ordered by step (one compiled pass over
    them). Returns float32
    ``(T, B, n + 1)``.
    """
    within = decay ** np.arange(k - 1, -1, -1)  # weight of sub-step j at the window end
    feats = np.empty((T, B, n + 1), dtype=np.float32)
    _traces_kernel()(np.asarray(steps, np.int64), np.asarray(batch, np.int64),
                     np.asarray(idx, np.int64), within, decay ** k, k, feats)
    return feats


@functools.cache
def _traces_kernel():
    """The compiled loop of :func:`readout_traces` (numba, built on first use)."""
    import numba

    @numba.njit(cache=True, nogil=True)
    def run(steps, batch, idx, within, dk, k, feats):  # pragma: no cover - compiled
        T, B, n1 = feats.shape
        n = n1 - 1
        trace = np.zeros((B, n))
        acc = np.zeros((B, n))
        e, S = 0, steps.shape[0]
        for t in range(T):
            end = (t + 1) * k
            while e < S and steps[e] < end:  # events are ordered by step
                acc[batch[e], idx[e]] += within[steps[e] % k]
                e += 1
            for b in range(B):
                for i in range(n):
                    trace[b, i] = trace[b, i] * dk + acc[b, i]
                    acc[b, i] = 0.0
                    feats[t, b, i] = trace[b, i]
                feats[t, b, n] = 1.0

    return run


@register
class LIFReservoir(Learner):
    """Random recurrent LIF reservoir + ridge readout.

    Parameters
    ----------
    n_neurons : int
        Reservoir size (80% excitatory, 20% inhibitory).
    p_connect : float
        Connection probability of the recurrent synapses.
    steps_per_input : int
        Simulation steps per task step.
    dt : float
        Simulation step (s).
    input_scale, w_exc, w_inh : float
        Input current per unit input, and recurrent synaptic current jumps (A).
    tau_readout : float
        Time constant (s) of the spike-train filter the readout sees.
    ridge : float
        L2 penalty of the readout.
    batch_size : int
        Sequences simulated at once.
    readout : {"ridge", "lms"}
        Closed-form ridge regression, or an online normalised delta rule (local).
    engine : bool
        Simulate with ``neurosim.Network`` (compiled backend, default) instead of a Python
        loop over :func:`neurosim.neurons.lif.lif_step` (same model, same spikes).
    """

    name: ClassVar[str] = "lif_reservoir"
    family: ClassVar[str] = "spiking"
    scorecard: ClassVar[dict[str, bool]] = RESERVOIR_SCORECARD
    #: the LIF reservoir is fixed (not learned); the readout is ridge (or NLMS: lms)
    scorecard_components: ClassVar[dict] = {
        "representation": not_learned(binary_spikes=True), "readout": BATCH_READOUT}
    #: Scales are log-uniform over x0.25..x4 around the defaults (n_neurons x0.25..x2),
    #: except the recurrent weights. The defaults balance excitation and inhibition on
    #: average (0.8 w_exc + 0.2 w_inh = 0); excitation-dominated settings run away to
    #: saturated firing (w_exc x2 with w_inh x0.5 at n_neurons=800, p_connect=0.4: 20x the
    #: spikes and 25x the fit time of the default on the adding task). So the space spans
    #: balanced to inhibition-dominated, w_exc x0.25..x1 and w_inh x1..x4 (uniform: Float
    #: has no log scale below zero); the costliest corners measured (n_neurons=800,
    #: input_scale x4) take 2.1-2.4x the default's fit. The ridge penalty reaches 1e3: the
    #: Gram matrix's diagonal is about n_train x trace^2 (~2e3 on the default adding task),
    #: where 10 barely regularises.
    search_space: ClassVar[dict[str, Param]] = {
        "n_neurons": Int(100, 800, log=True),
        "p_connect": Float(0.025, 0.4, log=True),
        "input_scale": Float(0.25e-9, 4e-9, log=True),
        "w_exc": Float(0.0375e-9, 0.15e-9, log=True),
        "w_inh": Float(-2.4e-9, -0.6e-9),
        "tau_readout": Float(0.005, 0.08, log=True),
        "ridge": Float(1e-6, 1e3, log=True),
    }
    budget_param: ClassVar[str | None] = None  # closed-form (ridge) or one online pass

    def __init__(self, seed: int = 0, device: str = "auto", n_neurons: int = 400,
                 p_connect: float = 0.1, steps_per_input: int = 10, dt: float = 1e-3,
                 input_scale: float = 1.0e-9, bias_current: float = 0.12e-9,
                 w_exc: float = 0.15e-9, w_inh: float = -0.6e-9, tau_readout: float = 0.02,
                 ridge: float = 1e-2, batch_size: int = 500, readout: str = "ridge",
                 lms_rate: float = 0.5, engine: bool = True) -> None:
        super().__init__(seed=seed, device=device)
        self.n_neurons = check_int("lif_reservoir.n_neurons", n_neurons, low=2)
        self.p_connect = check_float("lif_reservoir.p_connect", p_connect, low=0.0, high=1.0)
        self.steps_per_input = check_int("lif_reservoir.steps_per_input", steps_per_input,
                                         low=1)
        self.dt = check_float("lif_reservoir.dt", dt, low=0.0, low_open=True)
        self.input_scale = check_float("lif_reservoir.input_scale", input_scale)
        self.bias_current = check_float("lif_reservoir.bias_current", bias_current)
        self.w_exc = check_float("lif_reservoir.w_exc", w_exc, low=0.0)
        self.w_inh = check_float("lif_reservoir.w_inh", w_inh, high=0.0)
        self.tau_readout = check_float("lif_reservoir.tau_readout", tau_readout, low=0.0,
                                       low_open=True)
        self.ridge = check_float("lif_reservoir.ridge", ridge, low=0.0)
        self.batch_size = check_int("lif_reservoir.batch_size", batch_size, low=1)
        self.readout = check_choice("readout", readout, READOUTS)
        self.engine = bool(engine)
        self.lms_rate = check_float("lif_reservoir.lms_rate", lms_rate, low=0.0, high=2.0,
                                    low_open=True)
        if self.readout == "lms":  # an online delta rule at the output units: local
            self.scorecard = {**type(self).scorecard, "local_learning": True,
                              "online_in_time": True, "no_clocked_phases": True}
            self.scorecard_components = {**type(self).scorecard_components,
                                         "readout": DELTA_RULE_READOUT}
        self._task: Task | None = None
        self._w_out: np.ndarray | None = None
        self.device_used = "cpu"

    @classmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        if task.output not in ("per_step", "final"):
            return False, f"unknown output kind {task.output!r}"
        return True, ""

    # ------------------------------------------------------------------------ reservoir
    def _build(self, n_in: int) -> None:
        from neurosim.neurons.lif import LIFParams

        self._feat_cache = None
        rng = np.random.default_rng(self.seed)
        n = self.n_neurons
        n_exc = int(round(0.8 * n))
        conn = rng.random((n, n)) < self.p_connect
        np.fill_diagonal(conn, False)
        w = np.where(conn, 1.0, 0.0)
        w[:n_exc] *= self.w_exc
        w[n_exc:] *= self.w_inh
        # one matrix maps presynaptic spikes to [excitatory | inhibitory] current jumps
        self._w_rec = np.hstack([np.where(w > 0, w, 0.0), np.where(w < 0, w, 0.0)])
        self._fanout = conn.sum(axis=1)  # synapses per presynaptic neuron
        self._w_in = rng.normal(0.0, 1.0, size=(n_in, n)) * self.input_scale
        # heterogeneous bias so that the reservoir is not silent between inputs
        self._bias = self.bias_current * rng.uniform(0.8, 1.2, size=n)
        self._params = LIFParams()

    def _run(self, x: np.ndarray, collect_raster: bool = False
             ) -> tuple[np.ndarray, dict[str, float], np.ndarray | None]:
        """Simulate the reservoir on ``x`` (T, B, F); return features (T, B, N+1), op counts
        summed over the batch, and (optionally) the spike raster of sequence 0.

        The batch runs on the engine (``neurosim.Network``, compiled backend); with
        ``engine=False`` on a numpy loop over the pure step function (the test reference)."""
        if self.engine:
            return self._run_engine(x, collect_raster)
        return self._run_steps(x, collect_raster)

    def _run_engine(self, x: np.ndarray, collect_raster: bool
                    ) -> tuple[np.ndarray, dict[str, float], np.ndarray | None]:
        from neurosim import CurrentInjection, Network

        T, B, _ = x.shape
        n, k = self.n_neurons, self.steps_per_input
        # one row per task step, held for its k simulation steps (not copied k times)
        current = x @ self._w_in + self._bias  # (T, B, N)
        res, syn_e, syn_i, mon = self._reservoir()
        net = Network(res, syn_e, syn_i, CurrentInjection(res, current, steps_per_value=k),
                      mon, dt=self.dt, batch_size=B, seed=self.seed, device=self.device)
        feats, ops, r = self._simulate(net, mon, T, B, collect_raster)
        ops.update(input_ops(x, n))  # the input current, computed outside the net
        return feats, ops, r

    def _reservoir(self) -> tuple[Any, Any, Any, Any]:
        """The engine's reservoir: its group, excitatory and inhibitory recurrent synapses
        and a spike monitor on it."""
        from neurosim import NeuronGroup, SpikeMonitor, Synapses

        n = self.n_neurons
        res = NeuronGroup(n, self._params, name="reservoir")
        syn_e = Synapses.from_matrix(res, res, self._w_rec[:, :n], target="e")
        syn_i = Synapses.from_matrix(res, res, self._w_rec[:, n:], target="i")
        return res, syn_e, syn_i, SpikeMonitor(res)

    def _simulate(self, net: Any, mon: Any, T: int, B: int, collect_raster: bool
                  ) -> tuple[np.ndarray, dict[str, float], np.ndarray | None]:
        """Run ``net`` for ``T`` task steps; return the readout features, the op counts
        from the engine's counters (:mod:`neurosim.counters`; spikes, synaptic events,
        neuron updates, summed over the batch) and, optionally, the raster of copy 0.
        Records where the simulation ran (the torch backend's device, else the CPU)."""
        from neurosim.backends import resolve_device

        self.device_used = (resolve_device(self.device) if net.backend_name == "torch"
                            else "cpu")
        k = self.steps_per_input
        net.run(T * k * self.dt, progress=False)
        feats = readout_traces(mon.steps, mon.batch, mon.i, T, k, B, self.n_neurons,
                               np.exp(-self.dt / self.tau_readout))
        c = net.counters
        ops = {key: float(c[key]) for key in ("spikes", "synaptic_events", "neuron_updates")}
        r = None
        if collect_raster:
            sel = mon.batch == 0
            r = np.stack([mon.steps[sel], mon.i[sel]])
        return feats, ops, r

    def _run_steps(self, x: np.ndarray, collect_raster: bool = False
                   ) -> tuple[np.ndarray, dict[str, float], np.ndarray | None]:
        """The reference of :meth:`_run_engine`: a numpy loop over
        :func:`neurosim.neurons.lif.lif_step` (same spikes; tested)."""
        from neurosim.neurons.lif import lif_step

        T, B, _ = x.shape
        n, k = self.n_neurons, self.steps_per_input
        p = self._params
        decay = np.exp(-self.dt / self.tau_readout)
        state = p.init_state((B, n))
        trace = np.zeros((B, n))
        feats = np.empty((T, B, n + 1), dtype=np.float32)
        feats[..., n] = 1.0
        spikes_total, syn_events = 0.0, 0.0
        raster = [] if collect_raster else None
        for t in range(T):
            i_ext = x[t] @ self._w_in + self._bias
            for s in range(k):
                spk, state = lif_step(state, i_ext, p, self.dt)
                sf = spk.astype(np.float64)
                if spk.any():
                    # event-driven: only the rows of neurons that spiked are added
                    rec = sparse.csr_matrix(sf) @ self._w_rec
                    state = state._replace(i_e=state.i_e + rec[:, :n], i_i=state.i_i + rec[:, n:])
                trace = trace * decay + sf
                spikes_total += float(sf.sum())
                syn_events += float(sf.sum(axis=0) @ self._fanout)
                if raster is not None:
                    idx = np.flatnonzero(spk[0])
                    raster.append(np.stack([np.full(idx.size, t * k + s), idx]))
            feats[t, :, :n] = trace
        ops = {"spikes": spikes_total, "synaptic_events": syn_events,
               "neuron_updates": float(T * k * B * n), **input_ops(x, n)}
        r = np.concatenate(raster, axis=1) if raster else None
        return feats, ops, r

    def _batches(self, x: np.ndarray):
        for i in range(0, x.shape[1], self.batch_size):
            yield i, x[:, i:i + self.batch_size]

    # ------------------------------------------------------------------------- protocol
    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        return self._fit_readout(task, data, build=True)

    def _fit_readout(self, task: Task, data: TaskData, build: bool, passes: int = 1
                     ) -> FitInfo:
        """Simulate the training split and fit the readout (ridge or online LMS).

        The readout starts from scratch. With ``passes`` > 1 the ``lms`` readout sees the
        training split ``passes`` times (each pass simulates it again) and, in a learner
        with a ``budget_param``, every pass is reported to :meth:`epoch_end`, which may
        stop it; the ridge readout is solved once, from one pass, whatever ``passes`` is.
        """
        self._task = task
        self._w_out = None
        split = data.train
        if build:
            self._build(split.x.shape[-1])
        n_f = self.n_neurons + 1
        n_out = task.n_out
        n = split.n_samples
        xtx = np.zeros((n_f, n_f))
        xty = np.zeros((n_f, n_out))
        ops_sum: dict[str, float] = {}
        iterative = type(self).budget_param is not None
        epochs_run = 0
        t_start = self.fit_clock()
        n_passes = passes if self.readout == "lms" else 1
        # The reservoir is frozen while the readout learns, so every pass after the first
        # presents the same feature rows: they are kept (float32) when they fit in
        # _PASS_CACHE_BYTES, else the training split is simulated again (same result:
        # the simulation is deterministic for a given reservoir and input).
        rows = split.n_samples * (split.n_steps if task.output == "per_step" else 1)
        keep = n_passes > 1 and rows * n_f * 4 <= _PASS_CACHE_BYTES
        cached: list[tuple[np.ndarray, np.ndarray]] = []
        inputs = self._input_state()
        for epoch in range(1, n_passes + 1):
            if epoch > 1 and keep:
                batches = ((f.astype(np.float64), y) for f, y in cached)
            else:
                self._restore_input_state(inputs)  # every pass: the same input
                batches = self._readout_rows(task, split, ops_sum, cached if keep else None)
            for f, y in batches:
                if self.readout == "ridge":
                    xtx += f.T @ f
                    xty += f.T @ y
                else:
                    self._w_out = nlms(self._w_out if self._w_out is not None else
                                       np.zeros((n_f, n_out)), f, y, self.lms_rate)
            if self.readout == "ridge":
                reg = self.ridge * np.eye(n_f)
                reg[-1, -1] = 0.0  # do not penalise the bias
                self._w_out = np.linalg.solve(xtx + reg, xty)
            epochs_run = epoch
            if iterative and self.epoch_end(epoch, epoch * n):
                break
        wall = self.fit_seconds(t_start)
        # a pass served from the cache is counted as the simulation it stands for
        sims = epochs_run if keep else 1
        train_ops = {key: sims * v / n for key, v in ops_sum.items()}
        # ridge: Gram-matrix accumulation; LMS: one prediction + one update per scored step
        # (added to the analog input's MACs)
        # per scored row (every step of a per-step task, the last of a final-output task);
        # the ridge solve, done once, is shared by all samples and divided among them
        rows_per_sample = rows / n
        if self.readout == "ridge":
            readout_macs = n_f * (n_f + n_out) * rows_per_sample * epochs_run \
                + (n_f ** 3 / 3 + n_f * n_f * n_out) / n
        else:
            readout_macs = 2 * n_f * n_out * rows_per_sample * epochs_run
        train_ops["mac"] = train_ops.get("mac", 0.0) + float(readout_macs)
        # Per sample the learner keeps the reservoir state, the trace and one feature row;
        # the ridge readout's Gram matrices (float64) are shared by all samples, and
        # counted in the training memory too.
        per_sample = (4 + 1) * self.n_neurons * 8 + n_f * 4
        shared = int(xtx.nbytes + xty.nbytes) if self.readout == "ridge" else 0
        return FitInfo(wall_s=wall, train_ops=add_memory_traffic(
                           train_ops, state_bytes=self._state_bytes()),
                       train_memory_bytes=per_sample + shared, readout=self.readout,
                       extra={"gram_bytes": int(xtx.nbytes + xty.nbytes),
                              "train_memory_per_sample_bytes": per_sample,
                              "train_memory_shared_bytes": shared,
                              "epochs_run": epochs_run, "monitor_s": self.monitor_s})

    def _input_state(self) -> Any:
        """What makes the input of a pass (nothing for analog input; subclasses that draw
        input spikes return their generator's state)."""
        return None

    def _restore_input_state(self, state: Any) -> None:
        """Put back :meth:`_input_state` (so that every readout pass sees the same input)."""

    def _readout_rows(self, task: Task, split, ops_sum: dict[str, float],
                      keep: list | None):
        """Simulate ``split`` batch by batch; yield (feature rows, target rows), adding the
        op counts to ``ops_sum`` and, with ``keep``, appending float32 rows to it."""
        for i, xb in self._batches(split.x):
            feats, ops, _ = self._run(xb)
            for key, v in ops.items():
                ops_sum[key] = ops_sum.get(key, 0.0) + v
            f, y = self._targets(task, feats, split, i, xb.shape[1])
            if keep is not None:
                keep.append((f.astype(np.float32), y))
            yield f, y

    def _features(self, x: np.ndarray) -> tuple[list[np.ndarray], dict[str, float]]:
        """Readout features of ``x`` (T or 1, B, N+1) per batch and the summed op counts.

        The features of the last array seen are kept (by identity, with a reference so the
        array cannot be replaced behind the cache's back): the protocol scores the same
        validation split after every pass, and the reservoir does not change between
        passes. :meth:`_build` and :meth:`set_state` drop the cache."""
        c = getattr(self, "_feat_cache", None)
        if c is not None and c[0] is x:
            return c[1], c[2]
        xf = np.asarray(x, dtype=np.float64)
        out, ops_sum = [], {}
        final = self._task is not None and self._task.output == "final"
        for _, xb in self._batches(xf):
            feats, ops, _ = self._run(xb)
            for key, v in ops.items():
                ops_sum[key] = ops_sum.get(key, 0.0) + v
            out.append(feats[-1:] if final else feats)
        if sum(f.nbytes for f in out) <= _PREDICT_CACHE_BYTES:
            self._feat_cache = (x, out, ops_sum)
        return out, ops_sum

    def get_state(self) -> Any:
        """Snapshot without the feature cache (rebuilt on demand)."""
        cache = self.__dict__.pop("_feat_cache", None)
        try:
            return super().get_state()
        finally:
            if cache is not None:
                self._feat_cache = cache

    def set_state(self, state: Any) -> None:
        super().set_state(state)
        self._feat_cache = None  # the snapshot may come from another reservoir

    def _targets(self, task: Task, feats: np.ndarray, split, i: int, b: int
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows and target rows used by the readout (scored steps only)."""
        n_out = task.n_out
        ys = split.y[:, i:i + b] if task.output == "per_step" else split.y[i:i + b]
        if task.target == "class":
            ys = np.eye(n_out)[ys.astype(int)]
        if task.output == "per_step":
            m = np.ones(feats.shape[:2], bool) if split.mask is None else split.mask[:, i:i + b]
            return feats[m].astype(np.float64), ys[m].reshape(-1, n_out)
        return feats[-1].astype(np.float64), ys.reshape(b, n_out)

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._w_out is None or self._task is None:
            raise RuntimeError("lif_reservoir: call fit() before predict()")
        feats_list, ops_sum = self._features(x)
        x = np.asarray(x, dtype=np.float64)
        out = np.concatenate([f.astype(np.float64) @ self._w_out for f in feats_list],
                             axis=1)  # (T, B, n_out); (1, B, n_out) for final outputs
        if self.count_ops:
            n = x.shape[1]
            ops = {key: v / n for key, v in ops_sum.items()}
            t_read = x.shape[0] if self._task.output == "per_step" else 1
            # the readout multiplies real-valued traces: MACs (added to the analog input's)
            ops["mac"] = ops.get("mac", 0.0) + float(t_read * (self.n_neurons + 1)
                                                     * self._task.n_out)
            ops.update(self._neurobench_ops(x, feats_list, ops))
            self.last_inference_ops = add_memory_traffic(ops, state_bytes=self._state_bytes())
            self._raster_x = x[:, :1]  # the raster figure shows this predict's first input
        if self._task.output == "final":
            out = out[-1]
        if self._task.target == "binary":
            return np.clip(out, 0.0, 1.0)
        return out

    def _state_bytes(self) -> int:
        """Bytes a neuron update reads and writes: every state variable of the neuron model
        (LIF: v, i_e, i_i and the refractory count), 4 bytes each as every fp32 count."""
        return 4 * len(self._params.state_vars)

    def _neurobench_ops(self, x: np.ndarray, feats: list[np.ndarray],
                        ops: dict[str, float]) -> dict[str, float]:
        """NeuroBench's counts per sample (:mod:`comparisons.metrics.neurobench_counts`)
        from this predict's counts: effective ACs are the synaptic events plus a binary
        input's; effective MACs an analog input's plus the readout's products with non-zero
        traces (the bias column is a bias: not counted); dense ops every input weight at
        every task step, every recurrent pair (``n x n``) at every simulation step, every
        readout weight at every read; activations the neuron updates, non-zero the spikes."""
        T, B, F = x.shape
        n, n_out = self.n_neurons, self._task.n_out
        t_read = T if self._task.output == "per_step" else 1
        nz_traces = sum(int(np.count_nonzero(f[..., :n])) for f in feats) / B
        return {"effective_acs": ops["synaptic_events"] + ops.get("ac", 0.0),
                "effective_macs": ops.get("mac", 0.0) - t_read * (n + 1) * n_out
                + nz_traces * n_out,
                # input spikes (stdp_reservoir) cross their synapses at every simulation
                # step, an analog current is computed once per task step
                "dense_ops": float(T * F * n * (self.steps_per_input if getattr(
                    self, "input_coding", "analog") != "analog" else 1)
                    + T * self.steps_per_input * n * n + t_read * n * n_out),
                "activations": ops["neuron_updates"], "nonzero_activations": ops["spikes"]}

    def structure(self) -> dict:
        if self._w_out is None:
            return {"weights": []}
        return {"neurons": self.n_neurons, "synapses": int(np.count_nonzero(self._w_rec)),
                "weights": [self._w_rec, self._w_in, self._w_out]}

    def param_count(self) -> int:
        if self._w_out is None:
            return 0
        n_rec = int(np.count_nonzero(self._w_rec))
        return n_rec + self._w_in.size + self._w_out.size + self._bias.size

    def artifacts(self) -> dict:
        if self._task is None or self._w_out is None:
            return {}
        x = getattr(self, "_raster_x", None)
        if x is None:
            return {}
        _, _, r = self._run(x, collect_raster=True)
        return {"raster_t": r[0], "raster_i": r[1]}
