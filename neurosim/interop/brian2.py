"""Export a :class:`~neurosim.network.Network` to Brian2 and run it there.

Any network built with neurosim can be exported: all neuron models (LIF current and
conductance, exponential and alpha synapses, ALIF, IF, Izhikevich, AdEx, QIF), Poisson groups
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

from neurosim.atomic import atomic_write_bytes
from neurosim.interop.brian2_script import (
    COLLECT_SOURCE,
    build_source,
    model_spec,
)
from neurosim.neurons import PoissonGroup
from neurosim.validation import check_real

__all__ = ["model_equations", "to_brian2", "run_in_brian2", "Brian2Result",
           "to_brian2_script"]


def model_equations(params: Any, dt: float = 0.1e-3) -> dict[str, Any]:
    """Brian2 equations, threshold, reset, refractory, method and namespace for a model
    simulated with step ``dt`` (s) (namespace values as Brian2 quantities), and
    ``run_regularly``: code to run every step after the state update
    (``group.run_regularly(code, when="groups", order=1)``; ``LIFCondAlphaParams``' and
    ``IFParams``' exact propagators) or None."""
    import brian2 as b2

    spec = model_spec(params, dt)
    env = vars(b2)
    ns = {k: v * eval(u, env) if u != "1" else v for k, (v, u) in spec["ns"].items()}
    ref = False if spec["refractory"] is None else spec["refractory"] * b2.second
    return dict(model=spec["model"], namespace=ns, threshold=spec["threshold"],
                reset=spec["reset"], refractory=ref, method=spec["method"],
                run_regularly=spec["regular"])


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


# ---------------------------------------------------------------------------- scripts
_DEVICE_SETUP = {
    "runtime": ("", "    set_device('runtime')\n    if codegen_target is not None:\n"
                    "        prefs.codegen.target = codegen_target\n"),
    "cpp_standalone": ("", "    set_device('cpp_standalone', directory=directory or "
                           "os.path.join(HERE, BUILD_DIR), build_on_run=True)\n"),
    "cuda_standalone": ("import brian2cuda  # noqa: F401  (registers 'cuda_standalone')\n",
                        "    set_device('cuda_standalone', directory=directory or "
                        "os.path.join(HERE, BUILD_DIR), build_on_run=True)\n"),
    "genn": ("import brian2genn  # noqa: F401  (registers 'genn')\n",
             "    set_device('genn', directory=directory or os.path.join(HERE, BUILD_DIR))\n"),
}


def _default_duration(net: Any) -> float | None:
    """Steps left in the time-varying inputs (None if there are none)."""
    plan = net._plan
    left = [obj.rates.shape[0] if isinstance(obj, PoissonGroup) else obj.n_steps_available()
            for obj in [*plan.input_groups, *[i for v in plan.injections.values() for i in v]]
            if getattr(obj, "time_varying", False)]
    return (min(left) - net.step_count) * net.dt if left else None


def to_brian2_script(network: Any, path: Any = None, device: str = "runtime",
                     duration: float | None = None, batch: int = 0) -> str:
    """Write a self-contained Brian2 script that builds ``network`` and runs it.

    Parameters
    ----------
    network : a neurosim :class:`~neurosim.network.Network` (its current state, copy
        ``batch``, is exported; see :mod:`neurosim.interop.brian2_script` for what maps to
        what).
    path : file to write (``.py``); the arrays go to a sidecar ``.npz`` with the same stem
        next to it, read by the script. Both are written atomically (temporary file, then
        rename). ``None``: nothing is written and the arrays are embedded in the returned
        source (base64), so the string alone is a runnable script.
    device : ``"runtime"`` (Brian2's code generation in-process), ``"cpp_standalone"``,
        ``"cuda_standalone"`` (needs brian2cuda) or ``"genn"`` (needs brian2genn); the
        script calls ``set_device`` accordingly and builds in ``<stem>_build/``.
    duration : default run length in s (the script's ``--duration`` overrides it); ``None``:
        the steps left in the time-varying inputs, else the script asks for ``--duration``.
    batch : batch copy to export.

    Returns
    -------
    The script's source. Running it (``python net.py --results out.npz``) saves the spike,
    state and rate monitors and the final weights (keys: see ``collect`` in the script).
    """
    import base64
    import io
    from pathlib import Path

    duration = check_real("to_brian2_script: duration", duration, low=0,  # seconds
                          allow_none=True)
    src, data = build_source(network, batch, device)
    if duration is None:
        duration = _default_duration(network)
    imports, setup = _DEVICE_SETUP[device]
    buf = io.BytesIO()
    np.savez_compressed(buf, **data)
    if path is not None:
        path = Path(path)
        if path.suffix != ".py":
            raise ValueError(f"to_brian2_script: path must end in .py, got {str(path)!r}")
        sidecar = path.with_suffix(".npz")
        loader = (f"DATA_FILE = os.path.join(HERE, {sidecar.name!r})\n\n\n"
                  "def load_data():\n    with np.load(DATA_FILE) as f:\n"
                  "        return {k: f[k] for k in f.files}\n")
    else:
        blob = base64.b64encode(buf.getvalue()).decode("ascii")
        chunks = "\n".join(f"    {blob[i:i + 96]!r}" for i in range(0, len(blob), 96))
        loader = (f"_DATA = (\n{chunks}\n)\n\n\ndef load_data():\n"
                  "    import base64, io\n"
                  "    with np.load(io.BytesIO(base64.b64decode(_DATA))) as f:\n"
                  "        return {k: f[k] for k in f.files}\n")
    stem = path.stem if path is not None else "neurosim_brian2"
    script = f'''#!/usr/bin/env python
"""Brian2 version of a neurosim network (written by neurosim.interop.brian2_script).

Device: {device}. Run:  python {stem}.py [--duration SECONDS] [--results OUT.npz]
The connectivity, weights, initial state and inputs are {"read from " + stem + ".npz next to "
"this file" if path is not None else "embedded below (base64 .npz)"}. Times in the results
are absolute: the network's time at export (T_START) + Brian2's t.
"""
import argparse
import os

import numpy as np
from brian2 import *  # noqa: F403
{imports}
T_START = {network.step_count * network.dt!r}
DURATION = {duration!r}
HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = {stem + "_build"!r}
{loader}

{src}
{COLLECT_SOURCE}

def main(duration=DURATION, results=None, codegen_target=None, directory=None):
    """Build and run the network on the '{device}' device; return (and save) the results."""
    if duration is None:
        raise SystemExit("no default duration: give --duration SECONDS")
{setup}    net, objs = build(load_data())
    net.run(duration * second, report=None)
    out = collect(objs, T_START)
    if results:
        np.savez(results, **out)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=DURATION, help="seconds")
    ap.add_argument("--results", default={stem + "_results.npz"!r})
    ap.add_argument("--codegen-target", default=None,
                    help="runtime device only: 'numpy' or 'cython' (default: Brian2's choice)")
    ap.add_argument("--directory", default=None, help="standalone devices: build directory")
    args = ap.parse_args()
    main(args.duration, args.results, args.codegen_target, args.directory)
'''
    compile(script, str(path or "<neurosim_brian2>"), "exec")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        for target, payload in ((sidecar, buf.getvalue()), (path, script.encode())):
            atomic_write_bytes(target, payload)
    return script
