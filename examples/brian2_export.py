"""Export a neurosim network to a Brian2 script, run it there, and compare with neurosim.

The network: 40 spike-generator inputs -> 60 LIF neurons through synapses with pair STDP
(Song, Miller & Abbott 2000), recurrent inhibition with a 1.5 ms delay, a piecewise-constant
current. ``to_brian2_script`` writes ``<out>/net.py`` + ``<out>/net.npz`` (the script runs
on Brian2's runtime device) and ``<out>/net_cpp.py`` for C++ standalone. The runtime script
is executed here with Brian2's numpy code generation; the spike trains and learned weights
are compared with neurosim's, and the spikes saved with ``neurosim.interop.formats``.

    python examples/brian2_export.py [--out output] [--quick] [--standalone]

``--standalone`` also runs the C++ standalone script (needs a C++ compiler). The scripts run
on their own too: ``python DIR/net_cpp.py --results out.npz``; for GPUs write them with
``device="cuda_standalone"`` (brian2cuda) or ``device="genn"`` (brian2genn).

Output: in ``<out>/``, the exported Brian2 scripts ``net.py`` (runtime device) and
``net_cpp.py`` (C++ standalone), each with its ``.npz`` of arrays, and ``spikes.npz``,
neurosim's spike trains of the excitatory group; no figure.
"""

from __future__ import annotations

import argparse
import runpy
from pathlib import Path

import numpy as np

from neurosim import (
    CurrentInjection,
    LIFParams,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    Synapses,
)
from neurosim.interop.brian2 import Brian2Result, to_brian2_script
from neurosim.interop.formats import load_spikes, save_spikes
from neurosim.plasticity import STDP, PairSTDPParams
from neurosim.units import ms, nA, pA


def build(steps: int, seed: int) -> tuple[Network, SpikeMonitor, Synapses]:
    dt = 0.1 * ms
    rng = np.random.default_rng(seed)
    n_in, n = 40, 60
    n_spk = int(steps * dt * 40 * n_in)        # about 40 Hz per input
    t = np.round(np.sort(rng.uniform(0, steps * dt, n_spk)) / dt) * dt
    i = rng.integers(0, n_in, n_spk)
    _, first = np.unique(np.round(t / dt) * n_in + i, return_index=True)  # one spike/step
    gen = SpikeGeneratorGroup(n_in, i[first], t[first], name="inp")
    exc = NeuronGroup(n, LIFParams(), name="exc")
    gmax = 600 * pA
    ff = Synapses.fixed_probability(gen, exc, 0.3, 300 * pA, seed=seed, name="ff")
    ff.attach(STDP(PairSTDPParams(a_plus=0.02 * gmax, a_minus=0.021 * gmax, w_max=gmax)))
    inh = Synapses.fixed_probability(exc, exc, 0.1, -100 * pA, target="i", seed=seed + 1,
                                     delay=1.5 * ms, name="inh")
    cur = np.repeat(rng.uniform(0.1, 0.2, (steps // 100 + 1, n)), 100, axis=0)[:steps] * nA
    sm = SpikeMonitor(exc, name="spikes")
    net = Network(gen, exc, ff, inh, CurrentInjection(exc, cur), sm, dt=dt, seed=seed,
                  backend="numpy")
    return net, sm, ff


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the scripts and spikes (default: output)")
    ap.add_argument("--quick", action="store_true", help="1000 steps instead of 5000")
    ap.add_argument("--standalone", action="store_true",
                    help="also run the C++ standalone script")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    steps = 1000 if args.quick else 5000
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    net, sm, ff = build(steps, args.seed)
    w0 = ff.weights.copy()
    to_brian2_script(net, out / "net.py", device="runtime")
    to_brian2_script(net, out / "net_cpp.py", device="cpp_standalone")
    print(f"wrote {out / 'net.py'}, {out / 'net_cpp.py'} (+ .npz sidecars)")

    ns = runpy.run_path(str(out / "net.py"), run_name="brian2_export")
    ref = Brian2Result.from_flat(ns["main"](codegen_target="numpy"))
    net.run(steps * net.dt)
    bi, bt = ref.spikes["exc"]
    same = bi.size == sm.i.size and np.array_equal(
        sm.i[np.lexsort((sm.i, sm.steps))], bi[np.lexsort((bi, np.rint(bt / net.dt)))])
    print(f"spikes: neurosim {sm.i.size}, Brian2 {bi.size}; identical trains: {same}")
    dw = np.abs(ref.weights["ff"] - ff.weights).max()
    print(f"STDP moved weights by up to {np.abs(ff.weights - w0).max() / pA:.1f} pA; "
          f"neurosim vs Brian2 max |dw| = {dw / pA:.2e} pA")
    if args.standalone:
        cpp = runpy.run_path(str(out / "net_cpp.py"), run_name="brian2_export_cpp")
        ci, ct = Brian2Result.from_flat(cpp["main"]()).spikes["exc"]
        same = ci.size == sm.i.size and np.array_equal(
            sm.i[np.lexsort((sm.i, sm.steps))], ci[np.lexsort((ci, np.rint(ct / net.dt)))])
        print(f"C++ standalone: {ci.size} spikes; identical trains: {same}")
    save_spikes(out / "spikes.npz", sm, t_stop=net.t, metadata={"seed": args.seed})
    back = load_spikes(out / "spikes.npz")
    print(f"saved {back.indices.size} spikes of {back.n} neurons to {out / 'spikes.npz'}")


if __name__ == "__main__":
    main()
