"""How the Network runs plastic synapses (the engine hook).

:meth:`neurosim.network.Network` calls :func:`prepare_plastic` instead of the backend's
``prepare`` when any of its Synapses has a rule attached (``Synapses.attach``). The runner
returned here is the array runner of :mod:`neurosim.backends.array_backend` (numpy, or torch
for ``backend="torch"``); for ``backend="numba"`` with pair STDP rules and one copy it is the
compiled :class:`~neurosim.plasticity.compiled.PlasticNumbaRunner` (same arithmetic), and
otherwise the numpy array path with two changes in every step, after the neurons have been updated:

1. a plastic projection transmits the spikes of the step with each copy's *current*
   weights ``(B, n_syn)`` (copies learn independently);
2. its rule is applied with the step's pre- and postsynaptic spikes (when
   ``network.learning`` is True), and the new weights are checked for NaN/inf — a
   non-finite weight raises ``FloatingPointError`` naming the projection and the step.

The op counter ``plasticity_updates`` (see :func:`count_plasticity_updates`) is added to
``network.counters``. At the end of every chunk the learned weights of copy 0 are written back to
``syn.weights`` (all copies: ``syn.batch_weights``, ``(B, n_syn)``). Weights and traces are
part of ``Network.get_state()`` (key ``"plastic:<name>"``), so ``store``/``restore`` and
saving continue bit-identically.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurosim.backends.array_backend import ArrayRunner, NumpyOps
from neurosim.plasticity._arrays import all_finite, scatter_sum

__all__ = ["prepare_plastic", "PlasticArrayRunner", "count_plasticity_updates"]


def count_plasticity_updates(network: Any, out: Any, plastic: list[Any]) -> None:
    """Add this chunk's weight updates to ``network.counters["plasticity_updates"]``:
    presynaptic spikes x fan-out (depression side) + postsynaptic spikes x mean fan-in
    (potentiation side), while ``network.learning``."""
    if network is None or not getattr(network, "learning", True):
        return
    n = 0
    for s in plastic:
        n += int(out.events.get(s.name, 0))
        n += int(round(int(out.counts[s.post.name].sum()) * s.n_syn / s.post.n))
    vals = network.counters_obj.values
    vals["plasticity_updates"] = vals.get("plasticity_updates", 0) + n


def plastic_synapses(plan: Any) -> list[Any]:
    return [s for s in plan.synapses if getattr(s, "plasticity", None) is not None]


class PlasticArrayRunner(ArrayRunner):
    """:class:`ArrayRunner` whose plastic projections learn in every step."""

    def __init__(self, plan: Any, state: dict[str, dict[str, np.ndarray]], ops: Any,
                 network: Any = None) -> None:
        super().__init__(plan, state, ops)
        self.network = network
        self.plastic = plastic_synapses(plan)
        B = plan.batch
        self.w: dict[str, Any] = {}
        self.pstate: dict[str, Any] = {}
        self.idx: dict[str, tuple[Any, Any]] = {}
        for s in self.plastic:
            s.plasticity.check(s)
            rows = np.repeat(np.arange(s.n_pre), s.row_lengths())
            self.idx[s.name] = (ops.index(rows), ops.index(s.indices))
            saved = state.get(f"plastic:{s.name}")
            w0 = saved["w"] if saved is not None else np.broadcast_to(s.weights, (B, s.n_syn))
            self.w[s.name] = ops.asarr(w0)
            st = s.plasticity.init_state(s.n_pre, s.post.n, self.w[s.name])
            if saved is not None:
                st = type(st)(**{f: ops.asarr(saved[f]) for f in st._fields})
            self.pstate[s.name] = st
        self._plastic_names = {s.name for s in self.plastic}
        self._step_now = plan.start_step

    @property
    def learning(self) -> bool:
        return bool(getattr(self.network, "learning", True))

    def get_state(self) -> dict[str, dict[str, np.ndarray]]:
        out = super().get_state()
        for s in self.plastic:
            d = {"w": np.array(self.ops.to_np(self.w[s.name]), dtype=np.float64)}
            st = self.pstate[s.name]
            for f in st._fields:
                d[f] = np.array(self.ops.to_np(getattr(st, f)), dtype=np.float64)
            out[f"plastic:{s.name}"] = d
        return out

    def run_chunk(self, start: int, k: int, inputs: dict[str, np.ndarray],
                  currents: dict[str, Any]) -> Any:
        out = super().run_chunk(start, k, inputs, currents)
        count_plasticity_updates(self.network, out, self.plastic)
        for s in self.plastic:
            wb = np.array(self.ops.to_np(self.w[s.name]), dtype=np.float64)
            s.batch_weights = wb
            s.weights = wb[0].copy()
        return out

    def _deliver(self, step: int, spk: dict[str, Any]) -> None:
        plan = self.plan
        static = [s for s in plan.synapses if s.name not in self._plastic_names]
        if static:
            plan_syn = plan.synapses
            try:
                plan.synapses = static
                super()._deliver(step, spk)
            finally:
                plan.synapses = plan_syn
        learn = self.learning
        for s in self.plastic:
            pre_idx, post_idx = self.idx[s.name]
            w = self.w[s.name]
            pre = spk[s.pre.name]
            src = self.ops.tofloat(pre)[:, pre_idx] * w
            tgt = self.state[s.post.name]
            tgt[s.target_var] = tgt[s.target_var] + scatter_sum(src, post_idx, s.post.n, 2)
            if not learn:
                continue
            w_new, st = s.plasticity.update(self.pstate[s.name], w, pre, spk[s.post.name],
                                            plan.dt, pre_idx, post_idx)
            if not all_finite(w_new):
                raise FloatingPointError(
                    f"plasticity rule {type(s.plasticity).__name__} on Synapses {s.name!r} "
                    f"produced NaN or inf weights at step {step} (t = {step * plan.dt:.6g} s)")
            self.w[s.name], self.pstate[s.name] = w_new, st


def prepare_plastic(backend_name: str, plan: Any, state: dict[str, dict[str, np.ndarray]],
                    network: Any = None) -> Any:
    """The runner for a plan with plastic projections (see the module docstring)."""
    if backend_name == "numba":
        from neurosim.plasticity.compiled import PlasticNumbaRunner, supports

        plastic = plastic_synapses(plan)
        if supports(plan, plastic):
            for s in plastic:
                s.plasticity.check(s)
            return PlasticNumbaRunner(plan, state, plastic, network)
    if backend_name == "torch":
        from neurosim.backends.torch_backend import TorchOps

        ops: Any = TorchOps(plan.device, plan.dtype)
    else:
        ops = NumpyOps(plan.dtype)
    return PlasticArrayRunner(plan, state, ops, network)
