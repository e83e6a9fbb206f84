"""Export a :class:`~neurosim.network.Network` to Brian2 and run it there.

Any network built with neurosim can be exported: all neuron models (LIF current and
conductance, exponential and alpha synapses, ALIF, Izhikevich, AdEx), Poisson groups
(constant or time-varying rates), spike generators, current injection (constant or
time-varying), all projections (dense or CSR, scalar or per-synapse delays, current,
conductance or voltage targets), pair / triplet / reward-modulated STDP attached with
``Synapses.attach``, spike, state and population-rate monitors, the seed and ``dt``. The
equations, integration methods, thresholds, resets, refractoriness, connectivity, weights,
delays, inputs and current state are the same, so deterministic networks (spike-generator or
current input) give the same spike trains in both simulators (times within one ``dt``;
Poisson groups use Brian2's own random draws). The table of what maps to what is in
:mod:`neurosim.interop.brian2_script`, which also writes stand-alone scripts for Brian2's
``cpp_standalone``, ``cuda_standalone`` (brian2cuda) and ``genn`` (brian2genn) devices.

One scheduling difference is bridged: neurosim delivers synaptic input (and applies STDP)
after the reset, so the synaptic pathways are scheduled ``when="after_resets"`` in Brian2.

Usage::

    res = run_in_brian2(net, 100 * ms, target="numpy")
    res.spikes["exc"]          # (indices, times)
    res.states["exc"]["v"]     # (T, n_recorded) from the network's StateMonitors
    to_brian2_script(net, "net.py", device="cpp_standalone", duration=1.0)
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurosim.interop.brian2_script import (
    COLLECT_SOURCE,
    build_source,
    model_spec,
    to_brian2_script,
)

__all__ = ["model_equations", "to_brian2", "run_in_brian2", "Brian2Result",
           "to_brian2_script"]


def model_equations(params: Any, dt: float = 0.1e-3) -> dict[str, Any]:
    """Brian2 equations, threshold, reset, refractory, method and namespace for a model
    simulated with step ``dt`` (s) (namespace values as Brian2 quantities)."""
    import brian2 as b2

    spec = model_spec(params, dt)
    env = vars(b2)
    ns = {k: v * eval(u, env) if u != "1" else v for k, (v, u) in spec["ns"].items()}
    ref = False if spec["refractory"] is None else spec["refractory"] * b2.second
    return dict(model=spec["model"], namespace=ns, threshold=spec["threshold"],
                reset=spec["reset"], refractory=ref, method=spec["method"])


@dataclass
class Brian2Result:
    """Spikes ``{group: (indices, times)}``, states ``{monitor key: {var: (T, n_idx)}}``
    (key: the group's name for its first StateMonitor), sample times, population rates
    ``{group: (t, rate)}`` and final weights ``{projection: (n_syn,)}`` (SI units)."""

    spikes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    states: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    state_t: dict[str, np.ndarray] = field(default_factory=dict)
    rates: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_flat(cls, out: dict[str, np.ndarray]) -> Brian2Result:
        """From the flat dict that the exported ``collect`` returns (or a script saved)."""
        res = cls()
        for key, arr in out.items():
            kind, rest = key.split("/", 1)
            if kind == "spikes" and rest.endswith("/i"):
                g = rest[:-2]
                res.spikes[g] = (np.asarray(arr), np.asarray(out[f"spikes/{g}/t"]))
            elif kind == "states":
                name, var = rest.rsplit("/", 1)
                if var == "t":
                    res.state_t[name] = np.asarray(arr)
                else:
                    res.states.setdefault(name, {})[var] = np.asarray(arr)
            elif kind == "rates" and rest.endswith("/rate"):
                g = rest[:-5]
                res.rates[g] = (np.asarray(out[f"rates/{g}/t"]), np.asarray(arr))
            elif kind == "weights":
                res.weights[rest] = np.asarray(arr)
        return res


def _exec_namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {}
    exec("from brian2 import *\nimport numpy as np\n", ns)  # noqa: S102
    return ns


def to_brian2(net: Any, batch: int = 0) -> tuple[Any, dict[str, Any]]:
    """Build Brian2 objects mirroring ``net`` (copy ``batch`` of its current state).

    Returns ``(brian2.Network, objects)`` where ``objects`` maps neurosim names to Brian2
    objects and ``"spikemon:<group>"`` / ``"statemon:<group>"`` / ``"ratemon:<group>"`` to
    monitors. Runs the same generated code as :func:`to_brian2_script`. Sets Brian2's
    ``defaultclock.dt`` and seed.
    """
    src, data = build_source(net, batch)
    ns = _exec_namespace()
    exec(compile(src, "<neurosim.interop.brian2>", "exec"), ns)  # noqa: S102
    return ns["build"](data)


def run_in_brian2(net: Any, duration: float, target: str = "numpy", batch: int = 0,
                  cache_dir: str | None = None) -> Brian2Result:
    """Build the Brian2 mirror of ``net`` and run it for ``duration`` seconds (runtime
    mode, code-generation ``target``: ``"numpy"`` or ``"cython"``; the cython cache goes to
    a temporary directory unless ``cache_dir`` is given). Times are absolute (``net.t`` at
    export + Brian2's ``t``)."""
    import brian2 as b2

    if target not in ("numpy", "cython"):
        raise ValueError(f"run_in_brian2: target must be 'numpy' or 'cython', got {target!r}")
    b2.set_device("runtime")
    b2.prefs.codegen.target = target
    if target == "cython":
        b2.prefs.codegen.runtime.cython.cache_dir = cache_dir or os.path.join(
            tempfile.gettempdir(), "neurosim_brian2_cython")
    t_start = net.t
    b2net, objs = to_brian2(net, batch)
    b2net.run(duration * b2.second, namespace={})
    ns = _exec_namespace()
    exec(COLLECT_SOURCE, ns)  # noqa: S102
    return Brian2Result.from_flat(ns["collect"](objs, t_start))
