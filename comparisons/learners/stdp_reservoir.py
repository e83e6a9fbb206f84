"""A liquid state machine whose input synapses learn by STDP (unsupervised), with a readout
trained by an online delta rule (default, local) or ridge regression.

Inputs are rate-coded into Poisson-like spikes (per feature, normalised with the training
split's range), which reach the LIF reservoir through plastic excitatory synapses. Before the
readout is trained, ``n_stdp`` training sequences are presented one at a time while the input
weights follow pair-based STDP with soft bounds (:func:`neurosim.plasticity.stdp.
pair_stdp_step`, van Rossum et al. 2000); then plasticity is switched off and the readout is
fitted as in :class:`~comparisons.learners.lif_reservoir.LIFReservoir`.

Protocol: the budget is ``epochs``, passes of the readout over the training split after the
STDP phase (the STDP phase itself is ``n_stdp`` sequences, once). Each pass presents every
training sequence again — the same input spike trains, through the now frozen reservoir, so
the feature rows of the first pass are reused when they fit in memory (op counts still
count one simulation per pass) — and continues the delta rule (an online rule that improves
with passes); every pass is reported to
:meth:`~comparisons.learners.base.Learner.epoch_end`. The ridge readout is a closed form:
it is solved once, after one pass (``epochs`` is then ignored). Inference draws its input
spikes from a copy of the spike generator, so scoring the validation split never moves the
training's random stream, and predicting the same input twice gives the same output.
Snapshots are the default deep copy (weights and generator state; no cached features).

Training counts (``FitInfo.train_ops``, per training sample): the readout's passes as in
:class:`~comparisons.learners.lif_reservoir.LIFReservoir`, plus the STDP phase's simulation
and weight updates, their memory traffic
(:func:`~comparisons.metrics.ops.add_memory_traffic`) and that of the pair rule's traces
(one per input, one per reservoir neuron; van Rossum et al. 2000), each decayed (read and
written) every simulation step of the STDP phase
(:func:`~comparisons.metrics.ops.add_trace_traffic`, ``n_stdp x T x steps_per_input``
steps over the training samples; ``extra["stdp_trace_steps_per_sample"]``).
"""

from __future__ import annotations

import copy
import time
from typing import Any, ClassVar

import numpy as np

from comparisons.learners import register
from comparisons.learners.base import FitInfo, SettingsNotApplicable
from comparisons.learners.lif_reservoir import (
    RESERVOIR_SCORECARD,
    LIFReservoir,
    input_ops,
)
from comparisons.learners.scorecard import (
    BATCH_READOUT,
    DELTA_RULE_READOUT,
    STDP_REPRESENTATION,
    not_learned,
)
from comparisons.metrics.ops import add_memory_traffic, add_trace_traffic
from comparisons.space import Float, Param
from comparisons.tasks.base import Task, TaskData
from comparisons.validation import check_choice, check_float, check_int

#: how the inputs reach the reservoir (the ablation factor "input coding"; see the class)
INPUT_CODINGS = ("poisson", "latency", "analog")


@register
class STDPReservoir(LIFReservoir):
    """LIF reservoir with STDP-trained input synapses and a local (LMS) or ridge readout.

    Parameters (beyond :class:`LIFReservoir`)
    ----------------------------------------
    n_stdp : int
        Training sequences presented with plasticity on (one at a time: no batch averaging).
    max_prob : float
        Input spike probability per simulation step at the top of the input range.
    w_in_max : float
        Upper bound of the input weights (A, current jump per input spike).
    a_plus, a_minus : float
        STDP amplitudes (fractions of the distance to the bounds: soft bounds).
    epochs : int
        Passes of the readout over the training split (the budget; ``lms`` readout only).
    input_coding : {"poisson", "latency", "analog"}
        How an input value ``v`` (scaled to [0, 1] by the training split's range) reaches
        the reservoir through the input weights ``W_in``. ``"poisson"`` (default): a spike
        in each simulation step with probability ``max_prob * v`` (rate code).
        ``"latency"``: one spike per feature per task step, at sub-step
        ``round((1 - v) (k - 1))`` of its ``k`` steps (large values early; ``v = 0``: none;
        Thorpe et al. 2001's time-to-first-spike code); deterministic. ``"analog"``: no
        spikes; the current ``max_prob * v W_in / (1 - exp(-dt / tau_e))`` injected into
        the membrane, the mean synaptic current the Poisson code drives through the same
        weights at steady state (so only the coding changes, not the drive). STDP needs
        input spikes: ``"analog"`` requires ``n_stdp = 0`` (plasticity off;
        :class:`~comparisons.learners.base.SettingsNotApplicable` otherwise).

    The three factors of the ablation grid (issue "rule-swap families"): ``input_coding``,
    plasticity (``n_stdp > 0`` or ``0``) and ``readout`` (``"lms"``, local, or ``"ridge"``);
    the ``ablation`` preset runs every combination.
    """

    name: ClassVar[str] = "stdp_reservoir"
    family: ClassVar[str] = "spiking"
    scorecard: ClassVar[dict[str, bool]] = {
        **RESERVOIR_SCORECARD, "local_learning": True, "online_in_time": True,
        "no_clocked_phases": True,
    }
    #: the representation learns by STDP on the input synapses (the recurrent ones stay
    #: fixed); n_stdp = 0: not learned. The readout: NLMS (lms, the delta rule) or ridge
    scorecard_components: ClassVar[dict] = {"representation": STDP_REPRESENTATION,
                                            "readout": DELTA_RULE_READOUT}
    #: the reservoir's space without input_scale (the input reaches the reservoir through
    #: the plastic weights, bounded by w_in_max) and, for the default lms readout, with its
    #: rate instead of the ridge penalty (NLMS is stable for rates in (0, 2)); the STDP
    #: amplitudes and w_in_max log-uniform over x0.25..x4, max_prob x0.25..x2 (at most 1)
    search_space: ClassVar[dict[str, Param]] = {
        **{k: v for k, v in LIFReservoir.search_space.items()
           if k not in ("input_scale", "ridge")},
        "lms_rate": Float(0.05, 1.0, log=True),
        "a_plus": Float(0.0025, 0.04, log=True),
        "a_minus": Float(0.0025, 0.04, log=True),
        "w_in_max": Float(0.1e-9, 1.6e-9, log=True),
        "max_prob": Float(0.075, 0.6, log=True),
    }
    budget_param: ClassVar[str | None] = "epochs"

    def __init__(self, seed: int = 0, device: str = "auto", n_stdp: int = 100,
                 max_prob: float = 0.3, w_in_max: float = 0.4e-9, a_plus: float = 0.01,
                 a_minus: float = 0.0105, readout: str = "lms", epochs: int = 1,
                 input_coding: str = "poisson", **kwargs) -> None:
        super().__init__(seed=seed, device=device, readout=readout, **kwargs)
        self.input_coding = check_choice("stdp_reservoir.input_coding", input_coding,
                                         INPUT_CODINGS)
        self.epochs = check_int("stdp_reservoir.epochs", epochs, low=1)
        self.n_stdp = check_int("stdp_reservoir.n_stdp", n_stdp, low=0)
        self.max_prob = check_float("stdp_reservoir.max_prob", max_prob, low=0.0, high=1.0,
                                    low_open=True)
        self.w_in_max = check_float("stdp_reservoir.w_in_max", w_in_max, low=0.0,
                                    low_open=True)
        self.a_plus = check_float("stdp_reservoir.a_plus", a_plus, low=0.0)
        self.a_minus = check_float("stdp_reservoir.a_minus", a_minus, low=0.0)
        ok, why = self.applicable({"input_coding": self.input_coding, "n_stdp": self.n_stdp})
        if not ok:
            raise SettingsNotApplicable(why)
        if self.readout == "ridge":  # ridge is a batch solve over all training states
            self.scorecard = {**type(self).scorecard, "local_learning": False,
                              "online_in_time": False, "no_clocked_phases": False}
        self.scorecard_components = {
            "representation": (STDP_REPRESENTATION if self.n_stdp > 0
                               else not_learned(binary_spikes=True)),
            "readout": DELTA_RULE_READOUT if self.readout == "lms" else BATCH_READOUT}
        self._learning = False
        self._plastic_updates = 0.0

    @classmethod
    def applicable(cls, settings: dict[str, Any]) -> tuple[bool, str]:
        coding = settings.get("input_coding", "poisson")
        n_stdp = settings.get("n_stdp", 100)
        if coding == "analog" and n_stdp != 0:
            return False, (f"stdp_reservoir.input_coding='analog' has no input spikes for "
                           f"STDP to pair, so plasticity needs n_stdp=0, got n_stdp={n_stdp}")
        return True, ""

    def _build(self, n_in: int) -> None:
        from neurosim.plasticity.stdp import PairSTDPParams

        super()._build(n_in)
        rng = np.random.default_rng(self.seed + 1)
        self._w_in_plastic = rng.uniform(0.2, 0.8, size=(1, n_in, self.n_neurons)) \
            * self.w_in_max
        # soft bounds: the amplitudes are fractions of the distance to the bounds
        self._stdp = PairSTDPParams(a_plus=self.a_plus, a_minus=self.a_minus, w_min=0.0,
                                    w_max=self.w_in_max, weight_dependence="multiplicative")
        self._spike_rng = np.random.default_rng(self.seed + 2)

    def _input_raster(self, x: np.ndarray) -> np.ndarray:
        """Rate-coded input spikes for ``x`` (T, B, F): bool ``(T * k, B, F)``, one
        Bernoulli draw per simulation step with probability ``max_prob`` times the input
        scaled to [0, 1] by the training split's range (drawn from the learner's
        generator, step by step in the order the per-step loop drew them)."""
        T, B, F = x.shape
        k = self.steps_per_input
        v = self._scaled(x)
        if self.input_coding == "latency":
            out = np.zeros((T, k, B, F), dtype=bool)
            t, b, f = np.nonzero(v > 0)
            out[t, np.rint((1.0 - v[t, b, f]) * (k - 1)).astype(np.int64), b, f] = True
            return out.reshape(T * k, B, F)
        u = self._spike_rng.random((T, k, B, F))
        return (u < self.max_prob * v[:, None]).reshape(T * k, B, F)

    def _scaled(self, x: np.ndarray) -> np.ndarray:
        """The input scaled to [0, 1] by the training split's range, ``(T, B, F)``."""
        return np.clip((x - self._lo) / self._span, 0.0, 1.0)

    def _analog_current(self, x: np.ndarray) -> np.ndarray:
        """``"analog"`` coding: bias plus the Poisson code's mean synaptic current through
        the input weights, ``(T, B, N)`` (A), one row per task step."""
        a_e = np.exp(-self.dt / self._params.tau_e)
        gain = self.max_prob / (1.0 - a_e)
        return self._scaled(x) @ (self._w_in_plastic[0] * gain) + self._bias

    def _run_engine(self, x: np.ndarray, collect_raster: bool
                    ) -> tuple[np.ndarray, dict[str, float], np.ndarray | None]:
        """Simulate the reservoir driven by input spikes on the engine.

        The input spikes (:meth:`_input_raster`) are a per-copy
        :class:`~neurosim.SpikeGeneratorGroup` reaching the reservoir through all-to-all
        excitatory synapses with the input weights; while ``self._learning`` those
        synapses carry pair STDP (:class:`neurosim.plasticity.STDP`, soft bounds) and the
        learned weights are kept. As every projection in the engine, an input spike
        emitted in step ``s`` is delivered at the end of that step and acts from step
        ``s + 1`` (the per-step loop this replaced added it within step ``s``); STDP pairs
        it with the reservoir's spikes of step ``s``."""
        from neurosim import CurrentInjection, Network, SpikeGeneratorGroup, Synapses
        from neurosim.plasticity import STDP

        T, B, F = x.shape
        n = self.n_neurons
        if self.input_coding == "analog":  # no input spikes: the current, held per step
            res, syn_e, syn_i, mon = self._reservoir()
            net = Network(res, syn_e, syn_i, CurrentInjection(
                res, self._analog_current(x), steps_per_value=self.steps_per_input), mon,
                dt=self.dt, batch_size=B, seed=self.seed, device=self.device)
            feats, ops, r = self._simulate(net, mon, T, B, collect_raster)
            ops.update(input_ops(self._scaled(x), n))  # as lif_reservoir
            return feats, ops, r
        s, b, i = np.nonzero(self._input_raster(x))
        inp = SpikeGeneratorGroup(F, i, s * self.dt, batch=b, name="input")
        res, syn_e, syn_i, mon = self._reservoir()
        syn_in = Synapses.all_to_all(inp, res, self._w_in_plastic[0].ravel(), target="e",
                                     name="input_syn")
        if self._learning:
            syn_in.attach(STDP(self._stdp))
        net = Network(inp, res, syn_in, syn_e, syn_i, CurrentInjection(res, self._bias), mon,
                      dt=self.dt, batch_size=B, seed=self.seed, device=self.device)
        feats, ops, r = self._simulate(net, mon, T, B, collect_raster)
        if self._learning:
            self._w_in_plastic = syn_in.weights.reshape(1, F, n).copy()
            self._plastic_updates += float(net.counters["plasticity_updates"])
        ops["ac"] = 0.0  # binary input spikes: their synaptic events are accumulates
        return feats, ops, r

    def _run_steps(self, x: np.ndarray, collect_raster: bool = False
                   ) -> tuple[np.ndarray, dict[str, float], np.ndarray | None]:
        """The reference of :meth:`_run_engine`: a numpy loop over the pure steps
        (:func:`neurosim.neurons.lif.lif_step`, :func:`neurosim.plasticity.stdp.
        pair_stdp_step`) with the engine's order within a step: neurons update, then the
        step's input and reservoir spikes are delivered, then STDP pairs the step's input
        spikes with its reservoir spikes."""
        from neurosim.neurons.lif import lif_step
        from neurosim.plasticity.stdp import PairSTDPState, pair_stdp_step

        T, B, F = x.shape
        n, k = self.n_neurons, self.steps_per_input
        p = self._params
        analog = self.input_coding == "analog"
        spk_in = (np.zeros((T * k, B, F), dtype=bool) if analog else self._input_raster(x))
        cur = self._analog_current(x) if analog else None
        decay = np.exp(-self.dt / self.tau_readout)
        state = p.init_state((B, n))
        traces = PairSTDPState(np.zeros((B, F)), np.zeros((B, n)))
        w = np.broadcast_to(self._w_in_plastic, (B, F, n)).copy()
        trace = np.zeros((B, n))
        feats = np.empty((T, B, n + 1), dtype=np.float32)
        feats[..., n] = 1.0
        ops = {"spikes": 0.0, "synaptic_events": 0.0, "ac": 0.0,
               "neuron_updates": float(T * k * B * n)}
        raster = []
        for step in range(T * k):
            spk, state = lif_step(state, cur[step // k] if analog else self._bias, p,
                                  self.dt)
            sf = spk.astype(np.float64)
            pre = spk_in[step]
            jump = np.einsum("bf,bfn->bn", pre.astype(np.float64), w)
            rec = sf @ self._w_rec
            state = state._replace(i_e=state.i_e + jump + rec[:, :n],
                                   i_i=state.i_i + rec[:, n:])
            if self._learning:
                w, traces = pair_stdp_step(traces, w, pre, spk, self._stdp, self.dt)
                self._plastic_updates += float(pre.sum()) * n + float(spk.sum()) * F
            trace = trace * decay + sf
            ops["spikes"] += float(sf.sum())
            ops["synaptic_events"] += float(sf.sum(axis=0) @ self._fanout) \
                + float(pre.sum()) * n
            raster.append(np.stack([np.full(int(spk[0].sum()), step), np.flatnonzero(spk[0])]))
            if step % k == k - 1:
                feats[step // k, :, :n] = trace
        if self._learning:
            self._w_in_plastic = w[:1].copy()
        if analog:
            ops.update(input_ops(self._scaled(x), n))
        r = np.concatenate(raster, axis=1) if collect_raster else None
        return feats, ops, r

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        self._plastic_updates = 0.0
        lo, hi = task.input_range(data)
        self._lo = np.asarray(lo, np.float64)
        self._span = np.where(np.asarray(hi) > lo, np.asarray(hi, np.float64) - lo, 1.0)
        self._build(task.n_in if data.train.x.shape[-1] == task.n_in else
                    data.train.x.shape[-1])
        t0 = time.perf_counter()
        self._learning = True
        n_in = data.train.x.shape[-1]
        stdp_ops: dict[str, float] = {}  # the STDP phase's simulation (its own pass)
        n_stdp_seqs = min(self.n_stdp, data.train.n_samples)
        for i in range(n_stdp_seqs):
            _, ops, _ = self._run(data.train.x[:, i:i + 1].astype(np.float64))
            for key, v in ops.items():
                stdp_ops[key] = stdp_ops.get(key, 0.0) + v
            if not np.all(np.isfinite(self._w_in_plastic)):
                raise FloatingPointError(f"stdp_reservoir: NaN input weights after sequence {i}")
        self._learning = False
        stdp_s = time.perf_counter() - t0
        info = self._fit_readout(task, data, build=False, passes=self.epochs)
        info.wall_s += stdp_s
        n = max(data.train.n_samples, 1)
        # the whole fit per training sample: the STDP phase's simulation and weight updates
        # added to the readout's passes, and the memory traffic counted again over both
        ops = {k: v for k, v in info.train_ops.items()
               if k not in ("mem_read_bytes", "mem_write_bytes")}
        for key, v in stdp_ops.items():
            ops[key] = ops.get(key, 0.0) + v / n
        ops["plasticity_updates"] = self._plastic_updates / n
        # the pair rule's traces (one per input, one per reservoir neuron, float64), each
        # decayed (read and written) every simulation step of the STDP phase (none without
        # one: n_stdp = 0)
        traces = (n_in + self.n_neurons) * 8 if n_stdp_seqs else 0
        trace_steps = n_stdp_seqs * data.train.n_steps * self.steps_per_input / n
        info.train_ops = add_trace_traffic(
            add_memory_traffic(ops, state_bytes=self._state_bytes()), traces, trace_steps)
        info.train_memory_bytes += traces
        info.extra["train_memory_per_sample_bytes"] = (
            info.extra.get("train_memory_per_sample_bytes", 0) + traces)
        info.extra["stdp_s"] = stdp_s
        info.extra["stdp_trace_bytes"] = traces
        info.extra["stdp_trace_steps_per_sample"] = trace_steps
        return info

    def _input_state(self) -> Any:
        return copy.deepcopy(self._spike_rng)

    def _restore_input_state(self, state: Any) -> None:
        self._spike_rng = copy.deepcopy(state)

    def _fresh_spikes(self, method, *args: Any) -> Any:
        """Call ``method`` with the input spikes drawn from a copy of the generator."""
        rng = self._spike_rng
        self._spike_rng = copy.deepcopy(rng)
        try:
            return method(*args)
        finally:
            self._spike_rng = rng

    def predict(self, x: np.ndarray) -> np.ndarray:
        if not hasattr(self, "_spike_rng"):
            return super().predict(x)  # not fitted: the parent says so
        return self._fresh_spikes(super().predict, x)

    def structure(self) -> dict:
        st = super().structure()
        if "weights" in st and hasattr(self, "_w_in_plastic"):
            st["weights"] = [self._w_rec, self._w_in_plastic[0], self._w_out]
        return st

    def artifacts(self) -> dict:
        art = self._fresh_spikes(super().artifacts) if hasattr(self, "_spike_rng") else {}
        if hasattr(self, "_w_in_plastic"):
            art["weights"] = self._w_in_plastic.ravel() / self.w_in_max
        return art


