"""Export a :class:`~neurosim.network.Network` to Brian2 and run it there.

The exported network has the same equations, integration methods (``exact`` for LIF and
adaptive LIF, ``exponential_euler`` for conductance LIF, ``euler`` for Izhikevich and AdEx),
thresholds, resets, refractory periods, connectivity, weights, delays, current inputs and
initial state, so deterministic networks (spike-generator or current input) give the same
spike trains in both simulators. Poisson groups are exported as Brian2 PoissonGroups (same
rates, different random draws).

One scheduling difference is bridged: neurosim delivers synaptic input after the reset, so
the synaptic pathways are scheduled ``when="after_resets"`` in Brian2.

Usage::

    res = run_in_brian2(net, 100 * ms, target="numpy")
    res.spikes["exc"]          # (indices, times)
    res.states["exc"]["v"]     # (T, n_recorded) from the network's StateMonitors
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurosim.neurons import (
    AdExParams,
    ALIFParams,
    IzhikevichParams,
    LIFCondAlphaParams,
    LIFCondParams,
    LIFParams,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
)
from neurosim.neurons.inputs import CurrentInjection
from neurosim.neurons.izhikevich import K0, K1, K2
from neurosim.synapses import Synapses

__all__ = ["model_equations", "to_brian2", "run_in_brian2", "Brian2Result"]


def model_equations(params: Any) -> dict[str, Any]:
    """Brian2 equations, threshold, reset, refractory, method and namespace for a model."""
    import brian2 as b2

    V, A, S, s = b2.volt, b2.amp, b2.siemens, b2.second
    if isinstance(params, ALIFParams) or type(params) is LIFParams:
        p = params
        eqs = """
        dv/dt = (v_rest - v + r_m * (I_ext + i_e + i_i)) / tau_m : volt (unless refractory)
        di_e/dt = -i_e / tau_e : amp
        di_i/dt = -i_i / tau_i : amp
        I_ext : amp
        """
        ns = dict(v_rest=p.v_rest * V, r_m=p.r_m * b2.ohm, tau_m=p.tau_m * s,
                  tau_e=p.tau_e * s, tau_i=p.tau_i * s, v_thresh=p.v_thresh * V,
                  v_reset=p.v_reset * V)
        out = dict(threshold="v >= v_thresh", reset="v = v_reset", refractory=p.t_ref * s,
                   method="exact")
        if isinstance(params, ALIFParams):
            eqs += "da/dt = -a / tau_a : volt\n"
            ns.update(tau_a=p.tau_a * s, delta_a=p.delta_a * V)
            out.update(threshold="v >= v_thresh + a", reset="v = v_reset; a += delta_a")
        return dict(model=eqs, namespace=ns, **out)
    if isinstance(params, LIFCondAlphaParams):
        raise TypeError("to_brian2: no exact Brian2 export for LIFCondAlphaParams (Brian2's "
                        "exponential_euler integrates the alpha conductance differently)")
    if isinstance(params, LIFCondParams):
        p = params
        eqs = """
        dv/dt = (v_rest - v + r_m * (g_e * (e_e - v) + g_i * (e_i - v) + I_ext)) / tau_m
            : volt (unless refractory)
        dg_e/dt = -g_e / tau_e : siemens
        dg_i/dt = -g_i / tau_i : siemens
        I_ext : amp
        """
        ns = dict(v_rest=p.v_rest * V, r_m=p.r_m * b2.ohm, tau_m=p.tau_m * s,
                  tau_e=p.tau_e * s, tau_i=p.tau_i * s, e_e=p.e_e * V, e_i=p.e_i * V,
                  v_thresh=p.v_thresh * V, v_reset=p.v_reset * V)
        return dict(model=eqs, namespace=ns, threshold="v >= v_thresh", reset="v = v_reset",
                    refractory=p.t_ref * s, method="exponential_euler")
    if isinstance(params, IzhikevichParams):
        p = params
        eqs = """
        dv/dt = k2 * v**2 + k1 * v + k0 - u + I_ext + i_e + i_i : volt
        du/dt = a * (b * v - u) : volt/second
        di_e/dt = -i_e / tau_e : volt/second
        di_i/dt = -i_i / tau_i : volt/second
        I_ext : volt/second
        """
        ns = dict(k2=K2 / (V * s), k1=K1 / s, k0=K0 * V / s, a=p.a / s, b=p.b / s,
                  c=p.c * V, d=p.d * V / s, v_peak=p.v_peak * V, tau_e=p.tau_e * s,
                  tau_i=p.tau_i * s)
        return dict(model=eqs, namespace=ns, threshold="v >= v_peak",
                    reset="v = c; u += d", refractory=False, method="euler")
    if isinstance(params, AdExParams):
        p = params
        eqs = """
        dv/dt = (-g_l * (v - e_l) + g_l * delta_t * exp((v - v_t) / delta_t) - w + I_ext
                 + i_e + i_i) / c_m : volt (unless refractory)
        dw/dt = (a * (v - e_l) - w) / tau_w : amp
        di_e/dt = -i_e / tau_e : amp
        di_i/dt = -i_i / tau_i : amp
        I_ext : amp
        """
        ns = dict(g_l=p.g_l * S, e_l=p.e_l * V, delta_t=p.delta_t * V, v_t=p.v_t * V,
                  c_m=p.c_m * b2.farad, a=p.a * S, tau_w=p.tau_w * s, b=p.b * A,
                  v_reset=p.v_reset * V, v_peak=p.v_peak * V, tau_e=p.tau_e * s,
                  tau_i=p.tau_i * s)
        return dict(model=eqs, namespace=ns, threshold="v >= v_peak",
                    reset="v = v_reset; w += b", refractory=p.t_ref * s, method="euler")
    raise TypeError(f"to_brian2: no Brian2 export for {type(params).__name__}")


_UNITS = {"current": "amp", "conductance": "siemens", "voltage": "volt"}


@dataclass
class Brian2Result:
    """Spikes ``{group: (indices, times)}`` and states ``{group: {var: (T, n_idx)}}``."""

    spikes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    states: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    state_t: dict[str, np.ndarray] = field(default_factory=dict)


def to_brian2(net: Any, batch: int = 0) -> tuple[Any, dict[str, Any]]:
    """Build Brian2 objects mirroring ``net`` (copy ``batch`` of its current state).

    Returns ``(brian2.Network, objects)`` where ``objects`` maps neurosim names to Brian2
    objects and ``"spikemon:<group>"`` / ``"statemon:<group>"`` to monitors.
    """
    import brian2 as b2

    net._ensure()
    plan = net._plan
    dt = net.dt * b2.second
    state = net.get_state()
    start = net.step_count
    objs: dict[str, Any] = {}
    injections: dict[str, list[CurrentInjection]] = plan.injections
    for g in plan.neuron_groups:
        spec = model_equations(g.params)
        model = spec.pop("model")
        tv = [inj for inj in injections[g.name] if inj.time_varying]
        if tv:
            unit = "volt/second" if isinstance(g.params, IzhikevichParams) else "amp"
            model = model.replace(f"I_ext : {unit}", f"I_ext = I_ta_{g.name}(t, i) : {unit}")
            vals = sum(np.asarray(inj.values, dtype=float) if inj.values.ndim == 2
                       else inj.values[:, batch] for inj in tv)[start:]
            spec["namespace"][f"I_ta_{g.name}"] = b2.TimedArray(
                vals * (b2.volt / b2.second if unit != "amp" else b2.amp), dt=dt)
        bg = b2.NeuronGroup(g.n, model, dt=dt, name=g.name, **spec)
        for var in g.state_vars:
            if var == "ref":
                continue
            unit = _var_unit(g.params, var)
            setattr(bg, var, state[g.name][var][batch] * unit)
        const = [inj for inj in injections[g.name] if not inj.time_varying]
        if const:
            unit = b2.volt / b2.second if isinstance(g.params, IzhikevichParams) else b2.amp
            bg.I_ext = sum(inj.values for inj in const) * unit
        if "ref" in g.state_vars and np.any(state[g.name]["ref"][batch] > 0):
            bg.lastspike = (start + state[g.name]["ref"][batch] - _nref(g, net.dt)) * dt
            bg.not_refractory = state[g.name]["ref"][batch] <= 0
        objs[g.name] = bg
    for g in plan.input_groups:
        if isinstance(g, SpikeGeneratorGroup):
            t = g.times[g.times >= start * net.dt - 1e-3 * net.dt]
            idx = g.indices[g.times >= start * net.dt - 1e-3 * net.dt]
            objs[g.name] = b2.SpikeGeneratorGroup(g.n, idx, (t - start * net.dt) * b2.second,
                                                  dt=dt, name=g.name)
        elif isinstance(g, PoissonGroup):
            if g.time_varying:
                r = g.rates if g.rates.ndim == 2 else g.rates[:, batch]
                ta = b2.TimedArray(r[start:] * b2.Hz, dt=dt)
                objs[g.name] = b2.PoissonGroup(g.n, rates=f"ta_{g.name}(t, i)", dt=dt,
                                               name=g.name, namespace={f"ta_{g.name}": ta})
            else:
                objs[g.name] = b2.PoissonGroup(g.n, rates=g.rates * b2.Hz, dt=dt,
                                               name=g.name)
    for syn in plan.synapses:
        objs[syn.name] = _synapses(b2, syn, objs, plan.delay_steps[syn.name], dt)
        if plan.max_delay(syn) > 0 and np.any(state[f"syn:{syn.name}"]["buffer"]):
            raise ValueError(f"to_brian2: projection {syn.name!r} has spikes in flight; "
                             "export before the first run or after the delays have drained")
    for m in plan.spike_monitors:
        objs[f"spikemon:{m.group.name}"] = b2.SpikeMonitor(objs[m.group.name])
    for m in plan.state_monitors:
        objs[f"statemon:{m.group.name}"] = b2.StateMonitor(
            objs[m.group.name], m.variables, record=m.indices, dt=dt * m.every)
    return b2.Network(*objs.values()), objs


def _nref(g: NeuronGroup, dt: float) -> float:
    """Brian2 resumes integration once ``(t - lastspike) / dt >= timestep(t_ref)``."""
    from neurosim.neurons.base import timestep

    return float(timestep(getattr(g.params, "t_ref", 0.0), dt))


def _var_unit(params: Any, var: str) -> Any:
    import brian2 as b2

    if var in ("v", "a"):
        return b2.volt
    if isinstance(params, IzhikevichParams):
        return b2.volt / b2.second
    if var in ("g_e", "g_i"):
        return b2.siemens
    return b2.amp


def _synapses(b2: Any, syn: Synapses, objs: dict[str, Any], delay_steps: np.ndarray,
              dt: Any) -> Any:
    unit = _var_unit(syn.post.params, syn.target_var)
    bs = b2.Synapses(objs[syn.pre.name], objs[syn.post.name], model="w_syn : 1",
                     on_pre=f"{syn.target_var}_post += w_syn * {_unit_name(unit)}",
                     dt=dt, name=syn.name, namespace={_unit_name(unit): unit})
    rows = np.repeat(np.arange(syn.n_pre), syn.row_lengths())
    bs.connect(i=rows, j=syn.indices)
    bs.w_syn = syn.weights / float(unit)
    if delay_steps.size and delay_steps.max() > 0:
        bs.delay = delay_steps * dt
    bs.pre.when = "after_resets"
    return bs


def _unit_name(unit: Any) -> str:
    return "unit_" + str(unit).replace("/", "_per_").replace(" ", "").replace("*", "")


def run_in_brian2(net: Any, duration: float, target: str = "numpy", batch: int = 0,
                  cache_dir: str | None = None) -> Brian2Result:
    """Build the Brian2 mirror of ``net`` and run it for ``duration`` seconds (runtime
    mode, code-generation ``target``: ``"numpy"`` or ``"cython"``; the cython cache goes to
    a temporary directory unless ``cache_dir`` is given)."""
    import brian2 as b2

    b2.prefs.codegen.target = target
    if target == "cython":
        b2.prefs.codegen.runtime.cython.cache_dir = cache_dir or os.path.join(
            tempfile.gettempdir(), "neurosim_brian2_cython")
    b2net, objs = to_brian2(net, batch)
    b2net.run(duration * b2.second, namespace={})
    res = Brian2Result()
    for key, obj in objs.items():
        if key.startswith("spikemon:"):
            res.spikes[key[9:]] = (np.asarray(obj.i[:]), np.asarray(obj.t_[:]))
        elif key.startswith("statemon:"):
            name = key[9:]
            res.states[name] = {v: np.asarray(getattr(obj, v + "_")).T
                                for v in obj.record_variables}
            res.state_t[name] = np.asarray(obj.t_[:])
    return res
