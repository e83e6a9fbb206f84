"""Code generation for the Brian2 export: a neurosim Network as Brian2 source code + arrays.

:func:`build_source` turns a :class:`~neurosim.network.Network` into the Python source of a
function ``build(data) -> (brian2.Network, objects)`` plus the arrays ``data`` it reads
(initial state, connectivity, weights, delays, input spikes and rates, currents, traces).
:func:`neurosim.interop.brian2.to_brian2` executes that source in-process;
:func:`neurosim.interop.brian2.to_brian2_script` wraps it into a self-contained script
that selects a Brian2 device (``runtime``, ``cpp_standalone``, ``cuda_standalone`` from
brian2cuda, ``genn`` from brian2genn), runs the network and saves what the monitors
recorded. Both paths share one code generator, so what the agreement tests check is what
the script runs.

What is exported (and how it matches neurosim step for step):

==========================  =============================================================
neurosim                    Brian2
==========================  =============================================================
LIFParams, ALIFParams       ``method="exact"`` (same propagator as neurosim)
IFParams                    ``C dv/dt = I_ext + i_e + i_i`` advanced exactly by a
                            ``run_regularly`` operation after the state update (Brian2's
                            ``exact`` solver rejects the singular system; same propagator)
LIFCondParams               ``method="exponential_euler"`` (neurosim uses the same scheme)
LIFCondAlphaParams          membrane by ``exponential_euler`` with the conductances held;
                            ``g``/``x`` advanced exactly by a ``run_regularly`` operation
                            after the state update (neurosim's propagator)
Izhikevich, AdEx, QIFParams ``method="euler"``
PoissonGroup                PoissonGroup (rates constant, or per step via TimedArray);
                            same rates, *different random draws*
SpikeGeneratorGroup         SpikeGeneratorGroup (spikes not yet emitted)
CurrentInjection            ``I_ext`` parameter, or ``I_ext = TimedArray(t, i)``
Synapses (dense or CSR)     Synapses with explicit ``(i, j)``, ``w_syn`` in SI units,
                            scalar or per-synapse delays; pathways ``when="after_resets"``
short-term plasticity       Brian2's standard Tsodyks–Markram synapse: event-driven
(``Synapses(stp=...)``)     ``x_stp`` / ``u_stp`` per synapse, ``on_pre`` releases
                            ``r = u x`` and transmits ``w_syn * r``
STDP (pair: additive or     event-driven traces; ``on_pre`` transmits, then depresses;
multiplicative; all-to-all  ``on_post`` potentiates (Brian2's pre-before-post order = ours)
or nearest), TripletSTDP
RewardSTDP                  eligibility ``c`` decayed by ``run_regularly`` (``groups``),
                            incremented by the pathways, applied at ``end`` with the
                            rule's current (scalar) ``reward``
Spike/State/PopulationRate  the Brian2 monitors of the same name (StateMonitor every
monitors                    ``every`` steps, at the start of a step as ours)
seed, dt                    ``seed(network.seed)``, ``defaultclock.dt``
==========================  =============================================================

Spikes still in a delay line at export are replayed into their targets (a TimedArray added
by ``run_regularly``). Not exportable (clear errors): synapses onto ``v`` of a group with
``t_ref > 0`` (both drop voltage jumps that reach a refractory neuron, but a jump in the
last refractory step survives into the next step in neurosim, not in Brian2: not spike for
spike), state monitors of the
refractory counter ``ref``, rules other than the three above, per-copy rewards other than the
exported copy's, heterogeneous delays on the ``genn`` device.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from neurosim.neurons import (
    AdExParams,
    ALIFParams,
    IFParams,
    IzhikevichParams,
    LIFCondAlphaParams,
    LIFCondParams,
    LIFCondThetaParams,
    LIFParams,
    PoissonGroup,
    QIFParams,
    SpikeGeneratorGroup,
)
from neurosim.neurons.base import timestep
from neurosim.neurons.if_ import if_coefficients
from neurosim.neurons.izhikevich import K0, K1, K2
from neurosim.validation import check_int

__all__ = ["model_spec", "var_unit", "input_unit", "build_source", "DEVICES",
           "COLLECT_SOURCE", "MODEL_SPECS", "register_model_spec"]

DEVICES = ("runtime", "cpp_standalone", "cuda_standalone", "genn")


# ---------------------------------------------------------------------------- models
def model_spec(params: Any, dt: float) -> dict[str, Any]:
    """Brian2 description of one neuron model simulated with step ``dt`` (s).

    Returns ``dict(model, ns, threshold, reset, refractory, method, regular)``: equations
    (str), namespace ``{name: (value, unit expression)}``, threshold / reset code, the
    refractory period in s (``None``: none), the integration method, and code run every
    step after the state update (``None`` or a str). ``t_ref = 0`` gives no refractoriness
    at all (Brian2 would otherwise mask synaptic input to ``v`` in the spike's step).
    """
    spec = _raw_spec(params, dt)
    if spec["refractory"] is not None and spec["refractory"] <= 0:
        spec.update(refractory=None, model=spec["model"].replace(" (unless refractory)", ""))
    return spec


def _raw_spec(params: Any, dt: float) -> dict[str, Any]:
    spec_fn, _ = _entry(params)
    return spec_fn(params, dt)


def _entry(params: Any) -> tuple[Callable[[Any, float], dict[str, Any]], str]:
    """The table entry for ``params``' class (along its MRO: a subclass exports as its
    nearest registered base)."""
    for t in type(params).__mro__:
        if t in MODEL_SPECS:
            return MODEL_SPECS[t]
    raise NotImplementedError(f"Brian2 export: no Brian2 model for neuron parameters "
                              f"{type(params).__name__}; supported: "
                              f"{', '.join(t.__name__ for t in MODEL_SPECS)}")


def _lif_spec(p: Any, dt: float) -> dict[str, Any]:
    eqs = ("dv/dt = (v_rest - v + r_m * (I_ext + i_e + i_i)) / tau_m : volt "
           "(unless refractory)\n"
           "di_e/dt = -i_e / tau_e : amp\ndi_i/dt = -i_i / tau_i : amp\nI_ext : amp\n")
    ns = dict(v_rest=(p.v_rest, "volt"), r_m=(p.r_m, "ohm"), tau_m=(p.tau_m, "second"),
              tau_e=(p.tau_e, "second"), tau_i=(p.tau_i, "second"),
              v_thresh=(p.v_thresh, "volt"), v_reset=(p.v_reset, "volt"))
    return dict(model=eqs, ns=ns, threshold="v >= v_thresh", reset="v = v_reset",
                refractory=p.t_ref, method="exact", regular=None)


def _alif_spec(p: Any, dt: float) -> dict[str, Any]:
    out = _lif_spec(p, dt)
    out["model"] += "da/dt = -a / tau_a : volt\n"
    out["ns"].update(tau_a=(p.tau_a, "second"), delta_a=(p.delta_a, "volt"))
    out.update(threshold="v >= v_thresh + a", reset="v = v_reset; a += delta_a")
    return out


def _if_spec(p: Any, dt: float) -> dict[str, Any]:
    # C dv/dt = I_ext + i_e + i_i has a singular system matrix, which Brian2's "exact"
    # solver rejects; the exact propagator (if_step) runs after the state update instead
    c = if_coefficients(p, dt)
    free = "int(not_refractory) * " if p.t_ref > 0 else ""
    ns = dict(b_in=(c.b_in, "second/farad"), k_e=(c.k_e, "second/farad"),
              k_i=(c.k_i, "second/farad"), a_e=(c.a_e, "1"), a_i=(c.a_i, "1"),
              v_thresh=(p.v_thresh, "volt"), v_reset=(p.v_reset, "volt"))
    regular = (f"v = v + {free}(b_in * I_ext + k_e * i_e + k_i * i_i)\n"
               "i_e = i_e * a_e\ni_i = i_i * a_i")
    return dict(model="v : volt\ni_e : amp\ni_i : amp\nI_ext : amp\n", ns=ns,
                threshold="v >= v_thresh", reset="v = v_reset", refractory=p.t_ref,
                method="exact", regular=regular)


def _cond_spec(p: Any, dt: float, alpha: bool = False) -> dict[str, Any]:
    eqs = ("dv/dt = (v_rest - v + r_m * (g_e * (e_e - v) + g_i * (e_i - v) + I_ext)) "
           "/ tau_m : volt (unless refractory)\n"
           + ("g_e : siemens\ng_i : siemens\nx_e : siemens\nx_i : siemens\n" if alpha
              else "dg_e/dt = -g_e / tau_e : siemens\ndg_i/dt = -g_i / tau_i : siemens\n")
           + "I_ext : amp\n")
    ns = dict(v_rest=(p.v_rest, "volt"), r_m=(p.r_m, "ohm"), tau_m=(p.tau_m, "second"),
              tau_e=(p.tau_e, "second"), tau_i=(p.tau_i, "second"), e_e=(p.e_e, "volt"),
              e_i=(p.e_i, "volt"), v_thresh=(p.v_thresh, "volt"),
              v_reset=(p.v_reset, "volt"))
    regular = None
    if alpha:   # exact alpha propagator (lif_cond_alpha_step), after the membrane update
        ns.update(a_e=(math.exp(-dt / p.tau_e), "1"),
                  a_i=(math.exp(-dt / p.tau_i), "1"),
                  k_e=(math.e * dt / p.tau_e * math.exp(-dt / p.tau_e), "1"),
                  k_i=(math.e * dt / p.tau_i * math.exp(-dt / p.tau_i), "1"))
        regular = ("g_e = g_e * a_e + k_e * x_e\ng_i = g_i * a_i + k_i * x_i\n"
                   "x_e = x_e * a_e\nx_i = x_i * a_i")
    return dict(model=eqs, ns=ns, threshold="v >= v_thresh", reset="v = v_reset",
                refractory=p.t_ref, method="exponential_euler", regular=regular)


def _cond_theta_spec(p: Any, dt: float) -> dict[str, Any]:
    """Conductance LIF with adaptive threshold; ``theta`` is integrated by Brian2 before
    the threshold test (neurosim tests against its start-of-step value: a difference of
    ``theta (1 - exp(-dt / tau_theta))`` per step, nothing with ``tau_theta = inf``)."""
    out = _cond_spec(p, dt)
    if math.isinf(p.tau_theta):
        out["model"] += "theta : volt\n"
    else:
        out["model"] += "dtheta/dt = -theta / tau_theta : volt\n"
        out["ns"]["tau_theta"] = (p.tau_theta, "second")
    out["ns"]["theta_plus"] = (p.theta_plus, "volt")
    out.update(threshold="v > v_thresh + theta", reset="v = v_reset; theta += theta_plus")
    return out


def _cond_alpha_spec(p: Any, dt: float) -> dict[str, Any]:
    return _cond_spec(p, dt, alpha=True)


def _izh_spec(p: Any, dt: float) -> dict[str, Any]:
    eqs = ("dv/dt = k2 * v**2 + k1 * v + k0 - u + I_ext + i_e + i_i : volt\n"
           "du/dt = a * (b * v - u) : volt/second\n"
           "di_e/dt = -i_e / tau_e : volt/second\ndi_i/dt = -i_i / tau_i : volt/second\n"
           "I_ext : volt/second\n")
    ns = dict(k2=(K2, "1/(volt*second)"), k1=(K1, "1/second"), k0=(K0, "volt/second"),
              a=(p.a, "1/second"), b=(p.b, "1/second"), c=(p.c, "volt"),
              d=(p.d, "volt/second"), v_peak=(p.v_peak, "volt"),
              tau_e=(p.tau_e, "second"), tau_i=(p.tau_i, "second"))
    return dict(model=eqs, ns=ns, threshold="v >= v_peak", reset="v = c; u += d",
                refractory=None, method="euler", regular=None)


def _adex_spec(p: Any, dt: float) -> dict[str, Any]:
    eqs = ("dv/dt = (-g_l * (v - e_l) + g_l * delta_t * exp((v - v_t) / delta_t) - w "
           "+ I_ext + i_e + i_i) / c_m : volt (unless refractory)\n"
           "dw/dt = (a * (v - e_l) - w) / tau_w : amp\n"
           "di_e/dt = -i_e / tau_e : amp\ndi_i/dt = -i_i / tau_i : amp\nI_ext : amp\n")
    ns = dict(g_l=(p.g_l, "siemens"), e_l=(p.e_l, "volt"), delta_t=(p.delta_t, "volt"),
              v_t=(p.v_t, "volt"), c_m=(p.c_m, "farad"), a=(p.a, "siemens"),
              tau_w=(p.tau_w, "second"), b=(p.b, "amp"), v_reset=(p.v_reset, "volt"),
              v_peak=(p.v_peak, "volt"), tau_e=(p.tau_e, "second"),
              tau_i=(p.tau_i, "second"))
    return dict(model=eqs, ns=ns, threshold="v >= v_peak", reset="v = v_reset; w += b",
                refractory=p.t_ref, method="euler", regular=None)


def _qif_spec(p: Any, dt: float) -> dict[str, Any]:
    eqs = ("dv/dt = (a * (v - v_rest) * (v - v_crit) + r_m * (I_ext + i_e + i_i)) / tau_m "
           ": volt (unless refractory)\n"
           "di_e/dt = -i_e / tau_e : amp\ndi_i/dt = -i_i / tau_i : amp\nI_ext : amp\n")
    ns = dict(a=(p.a, "1/volt"), v_rest=(p.v_rest, "volt"), v_crit=(p.v_crit, "volt"),
              r_m=(p.r_m, "ohm"), tau_m=(p.tau_m, "second"), v_peak=(p.v_peak, "volt"),
              v_reset=(p.v_reset, "volt"), tau_e=(p.tau_e, "second"),
              tau_i=(p.tau_i, "second"))
    return dict(model=eqs, ns=ns, threshold="v >= v_peak", reset="v = v_reset",
                refractory=p.t_ref, method="euler", regular=None)


#: params class -> (spec function ``(params, dt) -> dict`` as :func:`model_spec` returns,
#: Brian2 unit of the input ``I_ext`` and the synaptic currents ``i_e``/``i_i``)
MODEL_SPECS: dict[type, tuple[Callable[[Any, float], dict[str, Any]], str]] = {
    LIFParams: (_lif_spec, "amp"),
    ALIFParams: (_alif_spec, "amp"),
    IFParams: (_if_spec, "amp"),
    LIFCondParams: (_cond_spec, "amp"),
    LIFCondAlphaParams: (_cond_alpha_spec, "amp"),
    IzhikevichParams: (_izh_spec, "volt/second"),
    AdExParams: (_adex_spec, "amp"),
    QIFParams: (_qif_spec, "amp"),
    LIFCondThetaParams: (_cond_theta_spec, "amp"),
}


def register_model_spec(params_cls: type, spec: Callable[[Any, float], dict[str, Any]],
                        input_unit: str = "amp") -> None:
    """Export ``params_cls`` groups with ``spec(params, dt)`` (the dict of
    :func:`model_spec`); ``input_unit``: Brian2 unit of ``I_ext`` and ``i_e``/``i_i``."""
    MODEL_SPECS[params_cls] = (spec, input_unit)


def input_unit(params: Any) -> str:
    """Brian2 unit (expression) of a model's input ``I_ext`` and synaptic currents."""
    return _entry(params)[1]


def var_unit(params: Any, var: str) -> str:
    """Brian2 unit (expression) of a model's state variable ``var``."""
    if var in ("v", "a", "theta"):
        return "volt"
    if var in ("g_e", "g_i", "x_e", "x_i"):
        return "siemens"
    return input_unit(params)


# ---------------------------------------------------------------------------- plasticity
def _plastic_code(rule: Any, tv: str, unit: str, dt: float) -> dict[str, Any]:
    """Synapse model, pathways, namespace and regular operations for a plasticity rule."""
    from neurosim.plasticity.rules import STDP, RewardSTDP, TripletSTDP

    def jump(x: str, nearest: bool) -> str:
        return f"{x} = 1" if nearest else f"{x} += 1"

    transmit = f"{tv}_post += w_syn * ({unit})"
    if type(rule) is STDP or type(rule) is RewardSTDP:
        sp = rule.params if type(rule) is STDP else rule.params.stdp
        near = sp.pairing == "nearest"
        mult = sp.weight_dependence == "multiplicative"
        ns = dict(tau_pre=(sp.tau_pre, "second"), tau_post=(sp.tau_post, "second"),
                  a_plus=(sp.a_plus, "1"), a_minus=(sp.a_minus, "1"),
                  w_min=(sp.w_min, "1"), w_max=(sp.w_max, "1"))
        model = ("w_syn : 1\ndapre/dt = -apre / tau_pre : 1 (event-driven)\n"
                 "dapost/dt = -apost / tau_post : 1 (event-driven)\n")
        f_minus = " * (w_syn - w_min)" if mult else ""
        f_plus = " * (w_max - w_syn)" if mult else ""
        traces = (("apre", "x_pre", "pre"), ("apost", "x_post", "post"))
        if type(rule) is STDP:
            on_pre = (f"{transmit}\nw_syn = clip(w_syn - a_minus{f_minus} * apost, "
                      f"w_min, w_max)\n{jump('apre', near)}")
            on_post = (f"w_syn = clip(w_syn + a_plus{f_plus} * apre, w_min, w_max)\n"
                       f"{jump('apost', near)}")
            return dict(model=model, on_pre=on_pre, on_post=on_post, ns=ns, regular=[],
                        traces=traces)
        r = rule.reward
        if not np.isscalar(r):
            raise NotImplementedError("Brian2 export: RewardSTDP.reward is per batch copy; "
                                      "set a scalar reward before exporting")
        p = rule.params
        ns.update(decay_c=(math.exp(-dt / p.tau_c), "1"),
                  lr_dt=(p.learning_rate * dt, "1"))
        model += "c : 1\nreward : 1 (shared)\n"
        on_pre = (f"{transmit}\nc += -a_minus{f_minus} * apost\n"
                  f"{jump('apre', near)}")
        on_post = f"c += a_plus{f_plus} * apre\n{jump('apost', near)}"
        regular = [("c = c * decay_c", "groups", "decay"),
                   ("w_syn = clip(w_syn + lr_dt * reward * c, w_min, w_max)", "end",
                    "reward")]
        return dict(model=model, on_pre=on_pre, on_post=on_post, ns=ns, regular=regular,
                    traces=(*traces, ("c", "c", "syn")), reward=float(r))
    if type(rule) is TripletSTDP:
        p = rule.params
        near = p.pairing == "nearest"
        ns = dict(tau_plus=(p.tau_plus, "second"), tau_minus=(p.tau_minus, "second"),
                  tau_x=(p.tau_x, "second"), tau_y=(p.tau_y, "second"),
                  a2_plus=(p.a2_plus, "1"), a3_plus=(p.a3_plus, "1"),
                  a2_minus=(p.a2_minus, "1"), a3_minus=(p.a3_minus, "1"),
                  w_min=(p.w_min, "1"), w_max=(p.w_max, "1"))
        model = "w_syn : 1\n" + "".join(
            f"d{x}/dt = -{x} / {tau} : 1 (event-driven)\n" for x, tau in
            (("r1", "tau_plus"), ("r2", "tau_x"), ("o1", "tau_minus"), ("o2", "tau_y")))
        on_pre = (f"{transmit}\nw_syn = clip(w_syn - o1 * (a2_minus + a3_minus * r2), w_min, "
                  f"w_max)\n{jump('r1', near)}\n{jump('r2', near)}")
        on_post = (f"w_syn = clip(w_syn + r1 * (a2_plus + a3_plus * o2), w_min, w_max)\n"
                   f"{jump('o1', near)}\n{jump('o2', near)}")
        return dict(model=model, on_pre=on_pre, on_post=on_post, ns=ns, regular=[],
                    traces=(("r1", "r1", "pre"), ("r2", "r2", "pre"), ("o1", "o1", "post"),
                            ("o2", "o2", "post")))
    raise NotImplementedError(f"Brian2 export: plasticity rule {type(rule).__name__} has no "
                              f"Brian2 translation (supported: STDP, TripletSTDP, "
                              f"RewardSTDP)")


def _stp_code(stp: Any, transmit: str) -> dict[str, Any]:
    """Brian2's standard Tsodyks–Markram synapse (event-driven ``x``, ``u``; ``on_pre``:
    ``u += U*(1-u); r = u*x; x -= r``, then transmit ``w * r``) for
    :class:`~neurosim.plasticity.short_term.TsodyksMarkramParams`; without facilitation
    (``tau_fac = 0``) ``u`` is the constant ``U``. Per synapse in Brian2, per source neuron
    in neurosim: the same values (every synapse of a source sees the same spikes)."""
    ns = dict(U=(stp.U, "1"), tau_rec=(stp.tau_rec, "second"))
    model = "w_syn : 1\ndx_stp/dt = (1 - x_stp) / tau_rec : 1 (event-driven)\n"
    if stp.tau_fac > 0:
        ns["tau_fac"] = (stp.tau_fac, "second")
        model += "du_stp/dt = -u_stp / tau_fac : 1 (event-driven)\n"
        on_pre = "u_stp += U * (1 - u_stp)\nr_stp = u_stp * x_stp\n"
    else:
        on_pre = "r_stp = U * x_stp\n"
    on_pre += "x_stp -= r_stp\n" + transmit.replace("w_syn", "w_syn * r_stp")
    return dict(model=model, on_pre=on_pre, ns=ns)


# ---------------------------------------------------------------------------- generator
def _b2name(name: str) -> str:
    s = re.sub(r"\W", "_", str(name))
    return s if re.match(r"[A-Za-z]", s) else "n_" + s


def _ns(ns: dict[str, tuple[float, str]]) -> str:
    items = ", ".join(f"{k!r}: {_q(v, u)}" for k, v, u in ((k, *vu) for k, vu in ns.items()))
    return "{" + items + "}"


def _q(value: float, unit: str) -> str:
    return repr(float(value)) if unit == "1" else f"{float(value)!r} * ({unit})"


def _str(s: str) -> str:
    return '"""' + s + '"""' if '"""' not in s and "\\" not in s else repr(s)


class _Gen:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.data: dict[str, np.ndarray] = {}

    def __call__(self, line: str = "") -> None:
        self.lines.append("    " + line if line else "")

    def put(self, key: str, arr: Any) -> str:
        key = base = re.sub(r"[^\w:.-]", "_", key)
        k = 1
        while key in self.data:
            key, k = f"{base}_{k}", k + 1
        self.data[key] = np.asarray(arr)
        return f"data[{key!r}]"


def build_source(net: Any, batch: int = 0, device: str = "runtime"
                 ) -> tuple[str, dict[str, np.ndarray]]:
    """Source of ``build(data) -> (brian2.Network, {name: object})`` and its ``data``.

    Parameters
    ----------
    net : the neurosim Network (built and possibly run already: its current state is
        exported, as copy ``batch``).
    batch : which batch copy to export.
    device : checked for what it cannot run (``genn``: no per-synapse delays).

    Keys of the returned objects: neurosim names for groups and synapses,
    ``"spikemon:<group>"``, ``"statemon:<group>"`` (``"statemon:<group>:<monitor>"`` for a
    second one), ``"ratemon:<group>"``.
    """
    if device not in DEVICES:
        raise ValueError(f"Brian2 export: device must be one of {', '.join(DEVICES)}; got "
                         f"{device!r}")
    batch = check_int("Brian2 export: batch", batch, low=0, high=net.batch_size - 1)
    net._ensure()
    plan = net._plan
    dt = net.dt
    state = net.get_state()
    start = net.step_count
    names = {o.name: _b2name(o.name) for o in [*plan.groups, *plan.synapses]}
    if len(set(names.values())) != len(names):
        raise ValueError(f"Brian2 export: names collide after making them valid Brian2 "
                         f"names: {sorted(names.items())}")
    g_ = _Gen()
    g_(f"DT = {dt!r} * second")
    g_("defaultclock.dt = DT")
    g_("objs = {}")
    g_(f"seed({int(net.seed) % 2**32})")
    for g in plan.neuron_groups:
        spec = model_spec(g.params, dt)
        model, ns = spec["model"], dict(spec["ns"])
        ns_lines = [f"ns = {_ns(ns)}"]
        unit = input_unit(g.params)
        injs = plan.injections[g.name]
        tv = [inj for inj in injs if inj.time_varying]
        const = sum((inj.values for inj in injs if not inj.time_varying),
                    np.zeros(g.n))
        if tv:
            per_step = [inj.per_step_values() for inj in tv]
            n_rows = min(v.shape[0] for v in per_step)
            vals = sum(np.asarray(v[:n_rows] if v.ndim == 2 else v[:n_rows, batch],
                                  dtype=float) for v in per_step)
            vals = vals[start:] + const
            model = model.replace(f"I_ext : {unit}", f"I_ext = ta_I(t, i) : {unit}")
            ns_lines.append(f"ns['ta_I'] = TimedArray({g_.put(g.name + '__I_ext', vals)} * "
                            f"({unit}), dt=DT)")
        for line in ns_lines:
            g_(line)
        ref = "False" if spec["refractory"] is None else _q(spec["refractory"], "second")
        key = repr(g.name)
        g_(f"o = objs[{key}] = NeuronGroup({g.n}, {_str(model)}, threshold="
           f"{spec['threshold']!r}, reset={spec['reset']!r}, refractory={ref}, method="
           f"{spec['method']!r}, namespace=ns, name={names[g.name]!r})")
        for var in g.state_vars:
            if var != "ref":
                val = state[g.name][var][batch]
                g_(f"o.{var} = {g_.put(g.name + '__' + var, val)} * ({var_unit(g.params, var)})")
        if not tv and np.any(const != 0):
            g_(f"o.I_ext = {g_.put(g.name + '__I_ext', const)} * ({unit})")
        if "ref" in g.state_vars and np.any(state[g.name]["ref"][batch] > 0):
            # held for `ref` more steps: as if the last spike was at step ref - timestep(t_ref)
            n_ref = timestep(getattr(g.params, "t_ref", 0.0), dt)
            last = (state[g.name]["ref"][batch] - n_ref) * dt
            g_(f"o.lastspike = {g_.put(g.name + '__lastspike', last)} * second")
            free = g_.put(g.name + "__not_refractory", state[g.name]["ref"][batch] <= 0)
            g_(f"o.not_refractory = {free}")
        if spec["regular"]:
            g_(f"o.run_regularly({spec['regular']!r}, when='groups', order=1, "
               f"name={names[g.name] + '_alpha'!r})")
    for g in plan.input_groups:
        key, nm = repr(g.name), names[g.name]
        if isinstance(g, SpikeGeneratorGroup):
            keep = g.times >= start * dt - 1e-3 * dt
            if g.batch is not None:  # per-copy spikes: those of the exported copy
                keep &= g.batch == batch
            idx = g_.put(g.name + "__i", g.indices[keep])
            t = g_.put(g.name + "__t", g.times[keep] - start * dt)
            g_(f"objs[{key}] = SpikeGeneratorGroup({g.n}, {idx}, {t} * second, name={nm!r})")
        elif isinstance(g, PoissonGroup):
            if g.time_varying:
                r = g.rates if g.rates.ndim == 2 else g.rates[:, batch]
                ta = g_.put(g.name + "__rates", r[start:])
                g_(f"ns = {{'ta_rates': TimedArray({ta} * Hz, dt=DT)}}")
                g_(f"objs[{key}] = PoissonGroup({g.n}, rates='ta_rates(t, i)', namespace=ns, "
                   f"name={nm!r})")
            else:
                g_(f"objs[{key}] = PoissonGroup({g.n}, rates="
                   f"{g_.put(g.name + '__rates', g.rates)} * Hz, name={nm!r})")
        else:
            raise NotImplementedError(f"Brian2 export: no Brian2 counterpart for input group "
                                      f"{type(g).__name__}")
    for syn in plan.synapses:
        _synapses(g_, net, syn, state, plan.delay_steps[syn.name], names, batch, device)
    for m in plan.spike_monitors:
        g_(f"objs['spikemon:' + {m.group.name!r}] = SpikeMonitor(objs[{m.group.name!r}])")
    seen: set[str] = set()
    for m in plan.state_monitors:
        if "ref" in m.variables:
            raise NotImplementedError(f"Brian2 export: StateMonitor {m.name!r} records the "
                                      f"refractory counter 'ref', which Brian2 does not have "
                                      f"(record 'v' and use lastspike)")
        k = f"statemon:{m.group.name}" + (f":{m.name}" if m.group.name in seen else "")
        seen.add(m.group.name)
        rec = g_.put(f"{k}__record", m.indices)
        g_(f"objs[{k!r}] = StateMonitor(objs[{m.group.name!r}], {list(m.variables)!r}, "
           f"record={rec}, dt={m.every} * DT)")
    for m in plan.rate_monitors:
        g_(f"objs['ratemon:' + {m.group.name!r}] = PopulationRateMonitor("
           f"objs[{m.group.name!r}])")
    g_("return Network(*objs.values()), objs")
    src = "def build(data):\n    \"\"\"Brian2 objects of the exported network: " \
          "(Network, {name: object}).\"\"\"\n" + "\n".join(g_.lines) + "\n"
    return src, g_.data


def _synapses(g_: _Gen, net: Any, syn: Any, state: dict, delay_steps: np.ndarray,
              names: dict[str, str], batch: int, device: str) -> None:
    unit = var_unit(syn.post.params, syn.target_var)
    buf = state.get(f"syn:{syn.name}", {}).get("buffer")
    if buf is not None and np.any(buf[:, batch]):
        # spikes in flight: the delay line holds the input of step k in slot k % L; replay
        # it into the target variable at steps 0 .. L-1 (then zero: a TimedArray holds its
        # last row)
        L = buf.shape[0]
        start = net.step_count
        pend = np.zeros((L + 1, syn.post.n))
        pend[:L] = buf[(start + np.arange(L)) % L, batch]
        ta = g_.put(syn.name + "__in_flight", pend)
        fn = "pending_" + names[syn.name]
        g_(f"objs[{syn.post.name!r}].namespace[{fn!r}] = TimedArray({ta} * ({unit}), dt=DT)")
        g_(f"objs[{syn.post.name!r}].run_regularly('{syn.target_var} += {fn}(t, i)', "
           f"when='after_resets', order=-2, name={names[syn.name] + '_in_flight'!r})")
    rule = syn.plasticity if getattr(net, "learning", True) else None
    tv = syn.target_var
    if tv == "v" and getattr(syn.post.params, "t_ref", 0.0) > 0:
        raise NotImplementedError(
            f"Brian2 export: projection {syn.name!r} targets 'v' of a group with a refractory "
            f"period (t_ref={syn.post.params.t_ref} s); both simulators drop voltage jumps "
            f"that reach a refractory neuron, but a jump in its last refractory step is "
            f"kept by neurosim and dropped by Brian2, so the export would not be spike for "
            f"spike. Use target 'e'/'i', or t_ref=0")
    transmit = f"{tv}_post += w_syn * ({unit})"
    key = repr(syn.name)
    hetero = delay_steps.ndim == 1 and delay_steps.size and np.any(delay_steps != delay_steps[0])
    if hetero and device == "genn":
        raise NotImplementedError(f"Brian2 export: projection {syn.name!r} has per-synapse "
                                  f"delays, which the genn device (Brian2GeNN) does not "
                                  f"support; use cpp_standalone or cuda_standalone")
    scalar_delay = "" if hetero or not delay_steps.size or int(delay_steps.max()) == 0 else \
        f", delay={int(np.max(delay_steps))} * DT"
    w = syn.weights
    if rule is not None:
        pc = _plastic_code(rule, tv, unit, net.dt)
        pst = state.get(f"plastic:{syn.name}")
        if pst is not None:
            w = pst["w"][batch]
        g_(f"ns = {_ns(pc['ns'])}")
        g_(f"o = objs[{key}] = Synapses(objs[{syn.pre.name!r}], objs[{syn.post.name!r}], "
           f"model={_str(pc['model'])}, on_pre={_str(pc['on_pre'])}, "
           f"on_post={_str(pc['on_post'])}, namespace=ns, name={names[syn.name]!r}"
           f"{scalar_delay})")
    elif syn.stp is not None:
        if net.step_count and delay_steps.size and int(np.max(delay_steps)) > 0:
            raise NotImplementedError(
                f"Brian2 export: projection {syn.name!r} has short-term plasticity and "
                f"delays (max {int(np.max(delay_steps))} steps) and the network has run "
                f"{net.step_count} steps; Brian2 keeps the STP state per synapse at the "
                f"arrival time, neurosim per source at the spike, so the state cannot be "
                f"handed over mid-run. Export before the first run, or use delay=0")
        sc = _stp_code(syn.stp, transmit)
        g_(f"ns = {_ns(sc['ns'])}")
        g_(f"o = objs[{key}] = Synapses(objs[{syn.pre.name!r}], objs[{syn.post.name!r}], "
           f"model={_str(sc['model'])}, on_pre={_str(sc['on_pre'])}, namespace=ns, "
           f"name={names[syn.name]!r}{scalar_delay})")
    else:
        g_(f"o = objs[{key}] = Synapses(objs[{syn.pre.name!r}], objs[{syn.post.name!r}], "
           f"model='w_syn : 1', on_pre={transmit!r}, name={names[syn.name]!r}"
           f"{scalar_delay})")
    rows = np.repeat(np.arange(syn.n_pre), syn.row_lengths())
    if syn.n_syn:
        g_(f"o.connect(i={g_.put(syn.name + '__i', rows)}, "
           f"j={g_.put(syn.name + '__j', syn.indices.astype(np.int64))})")
        g_(f"o.w_syn = {g_.put(syn.name + '__w', w)}")
        if hetero:
            g_(f"o.delay = {g_.put(syn.name + '__delay_steps', delay_steps)} * DT")
        if rule is None and syn.stp is not None:
            x, u = state[f"stp:{syn.name}"]["x"][batch], state[f"stp:{syn.name}"]["u"][batch]
            if np.all(x == 1) and np.all(u == 0):
                g_("o.x_stp = 1.0")                           # at rest (Brian2 starts at 0)
            else:  # the state after the last step: one more recovery before step 0
                g_(f"o.x_stp = {g_.put(syn.name + '__x_stp', x[rows])}")
                if syn.stp.tau_fac > 0:
                    g_(f"o.u_stp = {g_.put(syn.name + '__u_stp', u[rows])}")
                g_("o.lastupdate = -DT")
    g_("o.pre.when = 'after_resets'")
    if rule is not None:
        g_("o.post.when = 'after_resets'")
        if pst is not None and syn.n_syn:
            cols = syn.indices.astype(np.int64)
            for tr, field, side in pc["traces"]:
                val = pst[field][batch]
                val = val if side == "syn" else val[rows] if side == "pre" else val[cols]
                if np.any(val != 0):
                    g_(f"o.{tr} = {g_.put(syn.name + '__' + tr, val)}")
            # exported traces hold the last step's values: one more decay before step 0
            g_("o.lastupdate = -DT")
        if "reward" in pc:
            g_(f"o.reward = {pc['reward']!r}")
        for code, when, tag in pc["regular"]:
            g_(f"o.run_regularly({code!r}, when={when!r}, order=1, "
               f"name={names[syn.name] + '_' + tag!r})")


# ---------------------------------------------------------------------------- script
COLLECT_SOURCE = '''
def collect(objs, t_start=0.0):
    """What the monitors recorded (and the final weights), as a flat dict of arrays.

    Keys: spikes/<group>/i, spikes/<group>/t; states/<monitor>/<var> (T, n_recorded) and
    states/<monitor>/t; rates/<group>/rate, rates/<group>/t (Hz, per step);
    weights/<projection> (SI units). Times are absolute: t_start + Brian2's t (s).
    """
    out = {}
    for key, obj in objs.items():
        kind, _, name = key.partition(":")
        if kind == "spikemon":
            out["spikes/" + name + "/i"] = np.asarray(obj.i[:], dtype=np.int64)
            out["spikes/" + name + "/t"] = np.asarray(obj.t_[:]) + t_start
        elif kind == "statemon":
            for var in obj.record_variables:
                out["states/" + name + "/" + var] = np.asarray(getattr(obj, var + "_")).T
            out["states/" + name + "/t"] = np.asarray(obj.t_[:]) + t_start
        elif kind == "ratemon":
            out["rates/" + name + "/rate"] = np.asarray(obj.rate_[:])
            out["rates/" + name + "/t"] = np.asarray(obj.t_[:]) + t_start
        elif "w_syn" in getattr(obj, "variables", {}):
            out["weights/" + key] = np.asarray(obj.w_syn[:])
    return out
'''
