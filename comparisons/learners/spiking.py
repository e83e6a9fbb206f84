"""Learners from the ``backprop`` package that are not plain RNNs: the echo state network,
a surrogate-gradient spiking net trained by BPTT, and e-prop (Bellec et al. 2020).

Protocol: the ESN is a one-shot fit (closed-form ridge readout, no budget); the two trained
spiking nets take their budget in ``epochs`` and report every pass to
:meth:`~comparisons.learners.base.Learner.epoch_end`; their snapshots are copies of the
weight tensors. While ``count_ops`` is False ``predict`` skips op counts and rasters.
"""

from __future__ import annotations

import copy
import time
from typing import Any, ClassVar

import numpy as np
import torch

from comparisons.learners import register
from comparisons.learners.base import FitInfo, Learner
from comparisons.learners.scorecard import BATCH_READOUT, DELTA_RULE_READOUT, not_learned
from comparisons.metrics.memory import saved_bytes_per_sample
from comparisons.metrics.neurobench_counts import count_ops
from comparisons.metrics.ops import (
    add_memory_traffic,
    add_stored_activation_traffic,
    add_trace_traffic,
)
from comparisons.space import Choice, Float, Int, Param
from comparisons.tasks.base import Task, TaskData
from comparisons.validation import check_float, check_int


def _is_binary(x: np.ndarray) -> bool:
    return bool(np.all((x == 0) | (x == 1)))


def _input_ops(x: np.ndarray, fan_out: int) -> dict[str, float]:
    """Ops of the input projection per sample: binary inputs select weights (ACs, one per
    active input and target), real-valued inputs multiply them (MACs)."""
    per_sample_nonzero = float(np.count_nonzero(x)) / x.shape[1]
    key = "ac" if _is_binary(x) else "mac"
    return {key: per_sample_nonzero * fan_out}


def _rsnn_forward_ops(n_rec: int, n_out: int, steps: float, spikes: float,
                      input_nonzero: float, binary: bool) -> dict[str, float]:
    r"""Ops of the recurrent spiking network's forward simulation (:class:`EPropLearner`),
    from what one run measured; the same counting for inference and for training.

    .. math::

        \text{ac or mac} = n_{nz}\,N, \qquad
        \text{synaptic\_events} = S\,(N - 1 + K), \qquad
        \text{neuron\_updates} = T_{\text{steps}}\,N

    with :math:`N` = ``n_rec`` recurrent neurons (no self-connections), :math:`K` =
    ``n_out`` readout units, :math:`S` = ``spikes`` emitted, :math:`n_{nz}` =
    ``input_nonzero`` non-zero input values (binary inputs select weights: ACs; real
    values multiply them: MACs) and :math:`T_{\text{steps}}` = ``steps`` simulated
    (sequence steps x sequences). Every spike reaches the other recurrent neurons and the
    leaky readout (Bellec et al. 2020, Methods). Pass counts for one sample to get per-sample
    ops, or totals over a fit divided by the training samples.
    """
    ops = {"ac" if binary else "mac": float(input_nonzero) * n_rec}
    ops.update(spikes=float(spikes), synaptic_events=float(spikes) * (n_rec - 1 + n_out),
               neuron_updates=float(steps) * n_rec)
    return ops


def _neurobench_ops(ops: dict[str, float], dense: float) -> dict[str, float]:
    """NeuroBench's synaptic operations of a spiking net from its counts: effective ACs are
    the synaptic events (spikes x fan-out) plus a binary input's ACs, effective MACs a
    real-valued input's MACs, ``dense`` every synapse at every step."""
    return {"effective_acs": ops["synaptic_events"] + ops.get("ac", 0.0),
            "effective_macs": ops.get("mac", 0.0), "dense_ops": float(dense)}


def _repeat_batch(t: torch.Tensor, b: int, dim: int) -> torch.Tensor:
    """``t`` repeated ``b`` times along its batch dimension ``dim`` (a copy)."""
    reps = [1] * t.dim()
    reps[dim] = b
    return t.repeat(*reps).clone()


@register
class ESNLearner(Learner):
    """Echo state network (Jaeger 2001): fixed random tanh reservoir scaled to a spectral
    radius, leaky integration, ridge readout in closed form."""

    name: ClassVar[str] = "esn"
    family: ClassVar[str] = "reservoir"
    scorecard: ClassVar[dict[str, bool]] = {
        "local_learning": False, "no_weight_transport": True, "no_derivative_feedback": True,
        "no_clocked_phases": False, "binary_spikes": False, "no_target_outputs": False,
        "online_in_time": False,
    }
    #: the tanh reservoir is fixed (not learned); the readout is ridge regression
    scorecard_components: ClassVar[dict] = {
        "representation": not_learned(binary_spikes=False), "readout": BATCH_READOUT}
    search_space: ClassVar[dict[str, Param]] = {
        "reservoir_size": Int(50, 800, log=True),
        "spectral_radius": Float(0.1, 1.5),
        "leak_rate": Float(0.05, 1.0),
        "ridge": Float(1e-8, 10.0, log=True),
        "input_scaling": Float(0.01, 10.0, log=True),
    }
    budget_param: ClassVar[str | None] = None  # closed-form readout: one pass

    def __init__(self, seed: int = 0, device: str = "auto", reservoir_size: int = 400,
                 spectral_radius: float = 0.95, leak_rate: float = 1.0,
                 ridge: float = 1e-4, input_scaling: float = 1.0) -> None:
        super().__init__(seed=seed, device=device)
        self.reservoir_size = check_int("esn.reservoir_size", reservoir_size, low=1)
        self.spectral_radius = check_float("esn.spectral_radius", spectral_radius, low=0.0,
                                           low_open=True)
        self.leak_rate = check_float("esn.leak_rate", leak_rate, low=0.0, high=1.0,
                                     low_open=True)
        self.ridge = check_float("esn.ridge", ridge, low=0.0)
        self.input_scaling = check_float("esn.input_scaling", input_scaling, low=0.0)
        self._esn = None
        self._task: Task | None = None

    @classmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        return True, ""

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        from backprop.esn import EchoStateNetwork

        self.check_supports(task)
        self._task = task
        n_in = data.train.x.shape[-1]
        self._esn = EchoStateNetwork(
            n_in, self.reservoir_size, task.n_out,
            output="many_to_many" if task.output == "per_step" else "many_to_one",
            seed=self.seed, device=self.device, spectral_radius=self.spectral_radius,
            leak_rate=self.leak_rate, ridge=self.ridge, input_scaling=self.input_scaling,
            washout=0)
        self.device_used = str(self._esn.w.device)
        y = np.asarray(data.train.y)
        if task.target == "class":
            y = np.eye(task.n_out, dtype=np.float32)[y.astype(int)]
        mask = None if data.train.mask is None else torch.as_tensor(data.train.mask)
        t0 = time.perf_counter()
        self._esn.fit(torch.as_tensor(data.train.x), torch.as_tensor(y, dtype=torch.float32),
                      mask=mask if task.output == "per_step" else None)
        wall = time.perf_counter() - t0
        n = self.reservoir_size
        T = data.train.n_steps
        n_out = task.n_out
        # rows of the ridge regression per sample: every scored step (per-step tasks),
        # the last state only (final-output tasks)
        if task.output == "per_step":
            rows = (T if data.train.mask is None
                    else float(np.asarray(data.train.mask).sum()) / data.train.n_samples)
        else:
            rows = 1.0
        # One pass (closed form): the reservoir update every step, the Gram matrix
        # H^T H and H^T Y over the rows; the solve, shared by all samples, divided among them
        solve = (n ** 3 / 3 + n * n * n_out) / data.train.n_samples
        macs = T * n * (n + n_in) + rows * n * (n + n_out) + solve
        # What the fit stores (backprop.esn.EchoStateNetwork.fit): every reservoir state
        # (T, B, n) float32; the selected rows copied (float32, per-step tasks only), then
        # as float64 and centred (two float64 copies); shared by all samples: the float64
        # Gram matrix (n x n) and H^T Y (n x n_out)
        per_sample = int(T * n * 4 + rows * n * ((4 if task.output == "per_step" else 0)
                                                 + 2 * 8))
        shared = int((n * n + n * n_out) * 8)
        return FitInfo(wall_s=wall, readout="ridge",
                       train_ops=add_memory_traffic({"mac": float(macs)}),
                       train_memory_bytes=per_sample + shared,
                       extra={"epochs_run": 1, "train_memory_per_sample_bytes": per_sample,
                              "train_memory_shared_bytes": shared})

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._esn is None or self._task is None:
            raise RuntimeError("esn: call fit() before predict()")
        with torch.no_grad():
            out = self._esn.predict(torch.as_tensor(np.asarray(x, np.float32))).cpu().numpy()
        if self.count_ops:
            T = x.shape[0]
            n = self.reservoir_size
            nnz_rec = float(torch.count_nonzero(self._esn.w))
            reads = T if self._task.output == "per_step" else 1
            ops = _input_ops(np.asarray(x), n)
            ops["mac"] = ops.get("mac", 0.0) + T * nnz_rec + reads * (n + 1) * self._task.n_out
            # NeuroBench's counts, measured on the first sequences (issue 16)
            m = min(int(x.shape[1]), 16)
            with torch.no_grad():
                _, nb = count_ops(self._esn.predict, torch.as_tensor(
                    np.asarray(x[:, :m], np.float32)), samples=m,
                    weights=self._esn.buffers())
            ops.update(nb.per_sample())
            self.last_inference_ops = add_memory_traffic(ops)
        if self._task.target == "binary":
            out = np.clip(out, 0.0, 1.0)
        return out

    def generate(self, prefix: np.ndarray, n_steps: int) -> np.ndarray:
        """Closed loop by stepping the reservoir (:meth:`backprop.esn.EchoStateNetwork.
        generate`): O(T), the same outputs as the generic fallback."""
        if self._esn is None:
            raise RuntimeError("esn: call fit() before generate()")
        with torch.no_grad():
            return self._esn.generate(torch.as_tensor(np.asarray(prefix, np.float32)),
                                      n_steps).cpu().numpy()

    def get_state(self) -> dict[str, Any]:
        """The fitted reservoir and readout (a copy) and the task they were fitted for."""
        return {"_esn": copy.deepcopy(self._esn), "_task": self._task,
                "device_used": getattr(self, "device_used", None)}

    def set_state(self, state: dict[str, Any]) -> None:
        self._esn = copy.deepcopy(state["_esn"])
        self._task = state["_task"]
        self.device_used = state["device_used"]

    def structure(self) -> dict:
        if self._esn is None:
            return {"weights": []}
        return {"weights": [b.detach().cpu().numpy() for b in
                            (self._esn.w, self._esn.w_in, self._esn.w_out)]}

    def param_count(self) -> int:
        if self._esn is None:
            return 0
        return int(sum(b.numel() for b in self._esn.buffers()))


@register
class SurrogateSNN(Learner):
    """Two-layer LIF network (snnTorch-compatible neurons, fused fast path) trained by BPTT
    with a surrogate gradient; inputs are injected as currents, outputs are the output
    layer's membrane potentials (per step, or summed over time for final outputs)."""

    name: ClassVar[str] = "snn_bptt"
    family: ClassVar[str] = "spiking"
    scorecard: ClassVar[dict[str, bool]] = {
        "local_learning": False, "no_weight_transport": False,
        "no_derivative_feedback": False, "no_clocked_phases": False, "binary_spikes": True,
        "no_target_outputs": False, "online_in_time": False,
    }
    #: the hidden LIF layer learns by surrogate-gradient BPTT; the readout layer (a
    #: non-resetting leaky integrator, linear) gets its error times the filtered hidden
    #: spikes: the delta rule
    scorecard_components: ClassVar[dict] = {
        "representation": scorecard,
        "readout": DELTA_RULE_READOUT}
    search_space: ClassVar[dict[str, Param]] = {
        "hidden_size": Int(16, 256, log=True),
        "beta": Float(0.5, 0.99),
        "lr": Float(1e-4, 3e-2, log=True),
        "batch_size": Choice((8, 16, 32, 64, 128)),
    }
    budget_param: ClassVar[str | None] = "epochs"

    def __init__(self, seed: int = 0, device: str = "auto", hidden_size: int = 128,
                 beta: float = 0.9, epochs: int = 30, batch_size: int = 64,
                 lr: float = 2e-3) -> None:
        super().__init__(seed=seed, device=device)
        self.hidden_size = check_int("snn_bptt.hidden_size", hidden_size, low=1)
        self.beta = check_float("snn_bptt.beta", beta, low=0.0, high=1.0, low_open=True)
        self.epochs = check_int("snn_bptt.epochs", epochs, low=1)
        self.batch_size = check_int("snn_bptt.batch_size", batch_size, low=1)
        self.lr = check_float("snn_bptt.lr", lr, low=0.0, low_open=True)
        self._net = None
        self._task: Task | None = None

    @classmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        return True, ""

    def _out(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spikes = []
        h = x
        for i, layer in enumerate(self._net.layers):
            h, mem = layer(h)
            if i < len(self._net.layers) - 1:
                spikes.append(h)
        # the last layer's membrane is the readout (a leaky integrator of hidden spikes)
        if self._task.output == "final":
            return mem.mean(0), spikes
        return mem, spikes

    def _build(self, task: Task, n_in: int) -> torch.device:
        """A fresh network for ``task`` with ``n_in`` inputs; returns its device."""
        from backprop.snn import LeakyParams, SpikingMLP
        from backprop.utils import resolve_device

        self._task = task
        dev = resolve_device(self.device)
        self.device_used = str(dev)
        self._net = SpikingMLP((n_in, self.hidden_size, task.n_out),
                               # the readout layer never resets: a leaky integrator of the
                               # hidden spikes (non-leaky when only its mean over time is read)
                               [LeakyParams(beta=self.beta), LeakyParams(
                                   beta=1.0 if task.output == "final" else self.beta,
                                   reset="none")],
                               seed=self.seed, device=dev)
        return dev

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        from backprop.train import masked_loss

        self.check_supports(task)
        dev = self._build(task, data.train.x.shape[-1])
        x = torch.as_tensor(data.train.x, device=dev)
        y = torch.as_tensor(data.train.y, device=dev)
        if task.target == "class":
            y = y.long()
        mask = None
        if task.output == "per_step" and data.train.mask is not None:
            mask = torch.as_tensor(data.train.mask, device=dev)
        loss_kind = {"binary": "bce", "class": "ce", "real": "mse"}[task.target]
        opt = torch.optim.Adam(self._net.parameters(), lr=self.lr)
        gen = torch.Generator().manual_seed(self.seed)
        n = x.shape[1]
        history = []
        t0 = self.fit_clock()
        for epoch in range(1, self.epochs + 1):
            perm = torch.randperm(n, generator=gen).to(dev)
            tot = 0.0
            for i in range(0, n, self.batch_size):
                idx = perm[i:i + self.batch_size]
                out, _ = self._out(x[:, idx])
                yb = y[:, idx] if task.output == "per_step" else y[idx]
                mb = None if mask is None else mask[:, idx]
                loss = masked_loss(loss_kind, out, yb, mb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot += float(loss.detach()) * len(idx)
            history.append(tot / n)
            if self.epoch_end(epoch, epoch * n):
                break
        wall = self.fit_seconds(t0)
        # stored activations of one more training sequence (parameters, saved once per
        # pass, cancel; copies, not views of the training input)
        one = x[:, :1]
        saved = saved_bytes_per_sample(
            lambda z: self._out(z)[0],
            lambda b: (one.repeat(1, b, *([1] * (one.dim() - 2))).clone(),))
        # measured on one training sequence: matrix-product MACs of forward + backward
        # (FlopCounterMode), like the rsnn family's BPTT, times the epochs run (fewer than
        # ``epochs`` when stopped early): the whole fit, per training sample
        y1 = y[:, :1] if task.output == "per_step" else y[:1]
        m1 = None if mask is None else mask[:, :1]
        macs = self._train_macs(x[:, :1], y1, m1, loss_kind)
        epochs_run = len(history)
        return FitInfo(wall_s=wall, history=history, readout="bptt (surrogate gradient)",
                       train_ops=add_stored_activation_traffic(
                           add_memory_traffic({"mac": float(epochs_run * macs)}),
                           saved, epochs_run),
                       train_memory_bytes=saved,
                       extra={"epochs_run": epochs_run, "train_macs_per_pass": macs})

    def _train_macs(self, x1: torch.Tensor, y1: torch.Tensor, m1: torch.Tensor | None,
                    loss_kind: str) -> float:
        """MACs of one forward + backward pass on one training sequence (gradients are
        computed on the side and thrown away: the fitted weights are left as they are)."""
        from backprop.train import masked_loss
        from comparisons.metrics.ops import flop_count_macs

        params = list(self._net.parameters())

        def step() -> None:
            out, _ = self._out(x1)
            torch.autograd.grad(masked_loss(loss_kind, out, y1, m1), params,
                                allow_unused=True)

        _, macs = flop_count_macs(step)
        return float(macs)

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self._net is None or self._task is None:
            raise RuntimeError("snn_bptt: call fit() before predict()")
        dev = next(self._net.parameters()).device
        xt = torch.as_tensor(np.asarray(x, np.float32), device=dev)
        with torch.no_grad():
            out, spikes = self._out(xt)
        if self.count_ops:
            T, B = x.shape[:2]
            h_spikes = float(spikes[0].sum()) / B
            ops = _input_ops(np.asarray(x), self.hidden_size)
            ops.update(spikes=h_spikes, synaptic_events=h_spikes * self._task.n_out,
                       neuron_updates=float(T * (self.hidden_size + self._task.n_out)))
            ops.update(_neurobench_ops(ops, T * (x.shape[2] * self.hidden_size
                                                 + self.hidden_size * self._task.n_out)))
            self.last_inference_ops = add_memory_traffic(ops)
            self._raster = spikes[0][:, 0].cpu().numpy()
        out = out.cpu()
        if self._task.target == "binary":
            out = torch.sigmoid(out)
        return out.numpy()

    def get_state(self) -> dict[str, Any] | None:
        """Copies of the network's ``state_dict`` tensors, its task and input width."""
        if self._net is None:
            return None
        return {"task": self._task, "n_in": self._net.sizes[0],
                "net": {k: v.detach().clone() for k, v in self._net.state_dict().items()}}

    def set_state(self, state: dict[str, Any] | None) -> None:
        """Load a snapshot into the network in place (built first for another task)."""
        if state is None:
            self._net = self._task = None
            return
        if (self._net is None or self._task is not state["task"]
                or self._net.sizes[0] != state["n_in"]):
            self._build(state["task"], state["n_in"])
        self._net.load_state_dict(state["net"])

    def structure(self) -> dict:
        if self._net is None:
            return {"weights": []}
        ws = [p.detach().cpu().numpy() for p in self._net.parameters() if p.ndim == 2]
        return {"neurons": self.hidden_size + self._task.n_out,
                "synapses": int(sum(np.count_nonzero(w) for w in ws)), "weights": ws}

    def param_count(self) -> int:
        return 0 if self._net is None else sum(p.numel() for p in self._net.parameters())

    def artifacts(self) -> dict:
        r = getattr(self, "_raster", None)
        if r is None:
            return {}
        t, i = np.nonzero(r)
        w = self._net.layers[0].linear.weight if hasattr(self._net.layers[0], "linear") \
            else next(self._net.layers[0].parameters())
        return {"raster_t": t, "raster_i": i, "weights": w.detach().cpu().numpy().ravel()}


@register
class EPropLearner(Learner):
    """Recurrent ALIF network trained online by e-prop with random feedback (Bellec et al.
    2020); classification from the leaky readout summed over the last steps.

    Training counts (``FitInfo``), for the e-prop rules and ``readout``, per training
    sample over every epoch run (fewer than ``epochs`` when stopped early): the forward
    simulation of every training sequence, counted as inference is from the spikes the
    training passes emitted (input ACs or MACs, ``spikes``, ``synaptic_events``,
    ``neuron_updates``; :func:`_rsnn_forward_ops`, also in ``extra["train_forward_ops"]``);
    the online rule's work, ``plasticity_updates`` (every plastic synapse's trace and
    gradient, every step); memory traffic of all of these
    (:func:`~comparisons.metrics.ops.add_memory_traffic`) plus the traces, each read and
    written once a step (:func:`~comparisons.metrics.ops.add_trace_traffic`).
    ``train_memory_bytes`` is the bytes of the traces the online rule keeps for one
    sequence (:func:`backprop.eprop.online_traces`; ``extra["trace_bytes"]`` by trace),
    independent of the sequence length. Training here runs the batched form that computes
    the same gradients (:func:`backprop.eprop.eprop_gradients`), which holds ``(T, B, .)``
    arrays instead: measured on one sequence, in ``extra["implementation_held_bytes"]``
    (``per_sample``, ``shared``), not in ``train_memory_bytes``. ``bptt`` / ``tbptt``
    count forward + backward MACs and autograd's stored activations per pass.
    """

    name: ClassVar[str] = "eprop"
    family: ClassVar[str] = "spiking"
    scorecard: ClassVar[dict[str, bool]] = {
        # eligibility traces are local; the learning signal is broadcast through fixed random
        # feedback (no weight transport) but uses a pseudo-derivative of the spike function
        "local_learning": True, "no_weight_transport": True, "no_derivative_feedback": False,
        "no_clocked_phases": True, "binary_spikes": True, "no_target_outputs": False,
        "online_in_time": True,
    }
    #: the recurrent ALIF network learns by e-prop; the leaky readout by its error times
    #: the filtered spikes (the delta rule)
    scorecard_components: ClassVar[dict] = {"representation": scorecard,
                                            "readout": DELTA_RULE_READOUT}
    search_space: ClassVar[dict[str, Param]] = {
        "n_rec": Int(16, 256, log=True),
        "lr": Float(1e-4, 3e-2, log=True),
        "batch_size": Choice((8, 16, 32, 64, 128)),
    }
    budget_param: ClassVar[str | None] = "epochs"
    #: the training rule (:data:`backprop.rsnn_rules.RSNN_RULES`); None: e-prop, random
    #: feedback (this learner); the ``rsnn`` family's learners set it
    rule: ClassVar[str | None] = None
    #: whether every task kind is taken (per-step outputs, binary and real targets: the
    #: readout's loss follows the task); the ``eprop`` learner classifies whole sequences,
    #: as in the paper, the ``rsnn`` family takes every task
    all_outputs: ClassVar[bool] = False

    def __init__(self, seed: int = 0, device: str = "auto", n_rec: int = 100,
                 epochs: int = 20, batch_size: int = 32, lr: float = 5e-3,
                 truncation: int = 10) -> None:
        super().__init__(seed=seed, device=device)
        self.n_rec = check_int(f"{self.name}.n_rec", n_rec, low=1)
        self.epochs = check_int(f"{self.name}.epochs", epochs, low=1)
        self.batch_size = check_int(f"{self.name}.batch_size", batch_size, low=1)
        self.lr = check_float(f"{self.name}.lr", lr, low=0.0, low_open=True)
        #: window of truncated BPTT (steps; used by the rule "tbptt" only)
        self.truncation = check_int(f"{self.name}.truncation", truncation, low=1)
        self._net = None
        self._task: Task | None = None

    @classmethod
    def supports(cls, task: Task) -> tuple[bool, str]:
        if cls.all_outputs:
            if task.output not in ("per_step", "final"):
                return False, f"unknown output kind {task.output!r}"
            return True, ""
        if task.target != "class" or task.output != "final":
            return False, "e-prop here classifies whole sequences (class target, final output)"
        return True, ""

    def _build(self, task: Task, n_in: int) -> None:
        from backprop.eprop import EProp, EPropParams

        self._task = task
        self._net = EProp(n_in, self.n_rec, task.n_out, EPropParams(lr=self.lr),
                          device=self.device, seed=self.seed, rule=self.rule,
                          truncation=self.truncation,
                          loss={"binary": "bce", "class": "ce", "real": "mse"}[task.target],
                          output=task.output)
        self.device_used = str(self._net.device)

    def fit(self, task: Task, data: TaskData) -> FitInfo:
        self.check_supports(task)
        n_in = data.train.x.shape[-1]
        self._build(task, n_in)
        n = data.train.n_samples
        t0 = self.fit_clock()
        y = data.train.y.astype(np.int64 if task.target == "class" else np.float32)
        mask = (None if task.output != "per_step" or data.train.mask is None
                else torch.as_tensor(data.train.mask))
        tally = self._tally_forward()
        try:
            hist = self._net.fit(torch.as_tensor(data.train.x), torch.as_tensor(y),
                                 epochs=self.epochs, batch_size=self.batch_size,
                                 seed=self.seed,
                                 callback=lambda e, *_: self.epoch_end(e, e * n), mask=mask)
        finally:
            del self._net.train_step  # the class's method again (the wrapper counted)
        wall = self.fit_seconds(t0)
        T = data.train.n_steps
        n_syn = (n_in + self.n_rec) * self.n_rec
        if self.rule in ("bptt", "tbptt"):
            # measured on one training sequence: matrix-product MACs of forward + backward
            # (FlopCounterMode) and the tensors autograd keeps, per pass run
            y1 = data.train.y[:, :1] if task.output == "per_step" else data.train.y[:1]
            macs, saved = self._bptt_cost(data.train.x[:, :1], y1)
            return FitInfo(wall_s=wall, history=list(hist), readout=self.rule,
                           train_ops=add_stored_activation_traffic(
                               add_memory_traffic({"mac": float(len(hist) * macs)}),
                               saved, len(hist)),
                           train_memory_bytes=saved)
        # per step every synapse updates its eligibility trace (and filtered trace), in
        # every epoch run (fewer than ``epochs`` when stopped early); the readout rule
        # updates the readout synapses only
        n_plastic = self.n_rec * task.n_out if self.rule == "readout" else n_syn
        steps = len(hist) * T
        traces = self._trace_bytes(n_in)
        trace_bytes = int(sum(traces.values()))
        held = self._held_bytes(data, task)
        # the forward simulation of every training sequence in every epoch run, counted as
        # inference is (from the spikes the training passes emitted), per training sample
        forward = _rsnn_forward_ops(self.n_rec, task.n_out, tally["steps"] / n,
                                    tally["spikes"] / n, tally["input_nonzero"] / n,
                                    _is_binary(np.asarray(data.train.x)))
        return FitInfo(wall_s=wall, history=list(hist),
                       readout=("e-prop" if self.rule is None else
                                "readout (trains W_out, b_out only; W_in, W_rec frozen)"
                                if self.rule == "readout" else self.rule),
                       train_ops=add_trace_traffic(add_memory_traffic(
                           {**forward, "plasticity_updates": float(steps * n_plastic)}),
                           trace_bytes, steps),
                       train_memory_bytes=trace_bytes,
                       extra={"epochs_run": len(hist), "sequence_length": int(T),
                              "train_forward_ops": forward,
                              "train_sequences_presented": tally["sequences"],
                              "train_memory_per_sample_bytes": trace_bytes,
                              "train_memory_shared_bytes": 0,
                              "trace_bytes": traces,
                              "implementation_held_bytes": held})

    def _tally_forward(self) -> dict[str, float]:
        """Count the forward simulation of every training batch: wrap the network's
        ``train_step`` (for this fit only; :meth:`fit` removes the wrapper) so that each
        call adds to the returned tally the sequences and steps it simulated, the spikes
        its forward pass emitted (``rate`` x ``T B N``, the mean the step reports, rounded
        to a whole count) and its non-zero input values. The step itself is unchanged."""
        tally = {"sequences": 0.0, "steps": 0.0, "spikes": 0.0, "input_nonzero": 0.0}
        net = self._net
        step = net.train_step

        def counted(x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None
                    ) -> dict[str, float]:
            out = step(x, y, mask)
            T, B = int(x.shape[0]), int(x.shape[1])
            tally["sequences"] += B
            tally["steps"] += T * B
            tally["spikes"] += float(round(out["rate"] * T * B * self.n_rec))
            tally["input_nonzero"] += float(torch.count_nonzero(x))
            return out

        net.train_step = counted
        return tally

    def _trace_bytes(self, n_in: int) -> dict[str, int]:
        """Bytes of each trace the online rule keeps for one sequence
        (:func:`backprop.eprop.online_traces`, in the network's dtype): the presynaptic
        and filtered eligibility traces of every plastic synapse and the readout's
        filtered spikes; the readout rule keeps the readout's only."""
        from backprop.eprop import online_traces

        like = self._net.weights["w_in"].detach()
        traces = online_traces(n_in, self.n_rec, self._net.params, 1, like=like)
        if self.rule == "readout":
            traces = {"zbar_out": traces["zbar_out"]}
        return {k: int(t.nbytes) for k, t in traces.items()}

    def _held_bytes(self, data: TaskData, task: Task) -> dict[str, float]:
        """What the batched form that trains here (:func:`backprop.eprop.eprop_gradients`,
        the same gradients as the online rule) holds, measured on one training sequence:
        ``per_sample`` (the ``(T, B, .)`` arrays, grows with T) and ``shared`` (the
        ``(T, T)`` filter matrices)."""
        from backprop.eprop import eprop_gradients

        net = self._net
        y1 = data.train.y[:, :1] if task.output == "per_step" else data.train.y[:1]
        y1 = y1.astype(np.int64 if task.target == "class" else np.float32)
        x, y = net._check(torch.as_tensor(data.train.x[:, :1]), torch.as_tensor(y1))
        kw = {} if net.loss == "ce" and not net.per_step else {
            "loss": net.loss, "per_step": net.per_step}
        w = {k: v.detach() for k, v in net.weights.items()}
        held = eprop_gradients(x, y, w, net.params, net.feedback, **kw)["held_bytes"]
        return {"per_sample": float(held["batch"]), "shared": float(held["filters"])}

    def _bptt_cost(self, x1: np.ndarray, y1: np.ndarray) -> tuple[float, int]:
        """MACs and autograd's saved bytes of one (truncated) BPTT gradient on one
        sequence (CPU, float32)."""
        from backprop.rsnn_rules import bptt_gradients
        from comparisons.metrics.ops import flop_count_macs

        w = {k: v.detach().cpu() for k, v in self._net.weights.items()}
        # a contiguous copy of the one sequence (a view would share, and saved_bytes_per_sample
        # count, the whole training input's buffer)
        x = torch.as_tensor(np.ascontiguousarray(x1, np.float32).copy())
        y = torch.as_tensor(np.asarray(y1, np.int64 if self._net.loss == "ce" else np.float32))
        trunc = self.truncation if self.rule == "tbptt" else None
        kw = {"loss": self._net.loss, "per_step": self._net.per_step}

        def step() -> None:
            bptt_gradients(x, y, w, self._net.params, trunc, **kw)

        _, macs = flop_count_macs(step)
        # one more sequence's stored activations (the weights and the masked recurrent
        # matrix, saved once per pass, cancel)
        saved = saved_bytes_per_sample(
            lambda xb, yb: bptt_gradients(xb, yb, w, self._net.params, trunc, **kw),
            lambda b: (x.repeat(1, b, 1).clone(), _repeat_batch(y, b, 1 if kw["per_step"]
                                                                else 0)))
        return float(macs), saved

    def predict(self, x: np.ndarray) -> np.ndarray:
        from backprop.eprop import rsnn_forward

        if self._net is None:
            raise RuntimeError("eprop: call fit() before predict()")
        xt = torch.as_tensor(np.asarray(x, np.float32)).to(self._net.device)
        with torch.no_grad():
            out = rsnn_forward(xt, self._net.weights, self._net.params)
        p = self._net.params
        task = self._task
        if task.output == "per_step":  # the readout at every step
            window = out["y"]
        elif task.target == "class":  # class scores: the readout summed over the window
            window = out["y"][-min(p.readout_steps, x.shape[0]):].sum(0)
        else:  # the value held over the window, as the loss scores it
            window = out["y"][-min(p.readout_steps, x.shape[0]):].mean(0)
        if task.target == "binary":
            window = torch.sigmoid(window)
        window = window.cpu().numpy()
        if self.count_ops:
            z = out["z"]
            T, B = x.shape[:2]
            xa = np.asarray(x)
            ops = _rsnn_forward_ops(self.n_rec, self._task.n_out, T, float(z.sum()) / B,
                                    float(np.count_nonzero(xa)) / B, _is_binary(xa))
            n = self.n_rec
            ops.update(_neurobench_ops(ops, T * n * (x.shape[2] + n + self._task.n_out)))
            self.last_inference_ops = add_memory_traffic(ops)
            self._raster = z[:, 0].cpu().numpy()
        return window

    def get_state(self) -> dict[str, Any] | None:
        """Copies of the weight tensors, the task and the input width."""
        if self._net is None:
            return None
        return {"task": self._task, "n_in": self._net.n_in,
                "weights": {k: w.detach().clone() for k, w in self._net.weights.items()}}

    def set_state(self, state: dict[str, Any] | None) -> None:
        """Copy a snapshot's weights into the network in place (built first for another
        task)."""
        if state is None:
            self._net = self._task = None
            return
        if (self._net is None or self._task is not state["task"]
                or self._net.n_in != state["n_in"]):
            self._build(state["task"], state["n_in"])
        with torch.no_grad():
            for k, w in self._net.weights.items():
                w.copy_(state["weights"][k])

    def structure(self) -> dict:
        if self._net is None:
            return {"weights": []}
        ws = [self._net.weights[k].detach().cpu().numpy() for k in ("w_in", "w_rec", "w_out")]
        return {"neurons": self.n_rec, "synapses": int(sum(np.count_nonzero(w) for w in ws)),
                "weights": ws}

    def param_count(self) -> int:
        return 0 if self._net is None else int(sum(w.numel() for w in
                                                   self._net.weights.values()))

    def artifacts(self) -> dict:
        r = getattr(self, "_raster", None)
        if r is None:
            return {}
        t, i = np.nonzero(r)
        return {"raster_t": t, "raster_i": i,
                "weights": self._net.weights["w_rec"].detach().cpu().numpy().ravel()}
