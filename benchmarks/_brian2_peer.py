"""Brian2 peer runs for the CUBA / COBA benchmarks (runtime and C++ standalone modes).

Run as a subprocess by the benchmark scripts (standalone mode sets global device state):
``python benchmarks/_brian2_peer.py {cuba,coba} {runtime,standalone} N DURATION SEED``
prints one JSON line. Build and cache directories go to a temporary directory.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time


def build(model: str, n: int, seed: int):
    import brian2 as b2
    from brian2 import NeuronGroup, SpikeMonitor, Synapses, ms, mV, nS

    b2.seed(seed)
    n_exc = int(n * 0.8)
    p = min(1.0, 80.0 / n)   # 2% of 4000: 80 inputs per neuron at every size
    if model == "cuba":
        eqs = """
        dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
        dge/dt = -ge/taue : volt
        dgi/dt = -gi/taui : volt
        """
        ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV,
                  El=-49 * mV, we=(60 * 0.27 / 10) * mV, wi=(-20 * 4.5 / 10) * mV)
        P = NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="exact", namespace=ns)
        P.v = "Vr + rand() * (Vt - Vr)"
        Ce = Synapses(P, P, on_pre="ge += we", namespace=ns)
        Ci = Synapses(P, P, on_pre="gi += wi", namespace=ns)
    else:
        eqs = """
        dv/dt = (gl*(El-v) + ge*(Ee-v) + gi*(Ei-v))/Cm : volt (unless refractory)
        dge/dt = -ge/taue : siemens
        dgi/dt = -gi/taui : siemens
        """
        ns = dict(gl=10 * nS, El=-60 * mV, Ee=0 * mV, Ei=-80 * mV, Cm=200 * b2.pF,
                  taue=5 * ms, taui=10 * ms, Vt=-50 * mV, Vr=-60 * mV, we=6 * nS,
                  wi=67 * nS)
        P = NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="exponential_euler", namespace=ns)
        P.v = "El + (randn() * 5 - 5)*mV"
        P.ge = "(randn() * 1.5 + 4) * 10.*nS"
        P.gi = "(randn() * 12 + 20) * 10.*nS"
        Ce = Synapses(P, P, on_pre="ge += we", namespace=ns)
        Ci = Synapses(P, P, on_pre="gi += wi", namespace=ns)
    Ce.connect(f"i<{n_exc}", p=p)
    Ci.connect(f"i>={n_exc}", p=p)
    mon = SpikeMonitor(P)
    return b2.Network(P, Ce, Ci, mon), mon


def main() -> None:
    model, mode, n, duration, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(
        sys.argv[4]), int(sys.argv[5])
    import brian2 as b2

    tmp = tempfile.mkdtemp(prefix="neurosim_b2_")
    b2.defaultclock.dt = 0.1 * b2.ms
    out: dict = {"mode": mode}
    if mode == "standalone":
        b2.set_device("cpp_standalone", directory=os.path.join(tmp, "build"),
                      build_on_run=False)
        net, mon = build(model, n, seed)
        net.run(duration * b2.second)
        t0 = time.perf_counter()
        b2.device.build(directory=os.path.join(tmp, "build"), compile=True, run=True)
        total = time.perf_counter() - t0
        out.update(run_s=float(b2.device._last_run_time), build_and_run_s=total,
                   compile_s=total - float(b2.device._last_run_time))
    else:
        b2.prefs.codegen.target = "cython"
        b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(
            tempfile.gettempdir(), "neurosim_b2_cython_cache")
        # warm the cython cache once so that compile time is not counted
        net, mon = build(model, 100, seed)
        net.run(1 * b2.ms)
        net, mon = build(model, n, seed)
        t0 = time.perf_counter()
        net.run(duration * b2.second)
        out.update(run_s=time.perf_counter() - t0)
    out["spikes"] = int(mon.num_spikes)
    out["rate_hz"] = out["spikes"] / (n * duration)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
