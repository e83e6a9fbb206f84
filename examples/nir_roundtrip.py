"""NIR round trips: neurosim -> NIR file -> neurosim, and SpikingMLP -> NIR -> snnTorch.

Prints, for each path, how many output spikes both sides produced and how many
(step, neuron) entries differ (expected: 0).
The snnTorch leg needs ``snntorch`` and ``nirtorch`` and is skipped without them.
NIR is continuous-time: the step ``dt`` is given explicitly in every call (snnTorch's
importer assumes 1e-4 s, which is also neurosim's default).

    python examples/nir_roundtrip.py [--out output]

Output: ``<out>/neurosim_net.nir``, the exported NIR graph (HDF5) of the neurosim network
(40 spike-generator inputs -> 50 LIF -> 10 LIF, with a 1 ms delay); no figure.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from neurosim import (
    LIFParams,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    Synapses,
)
from neurosim.interop.nir import from_nir, read_nir, to_nir, write_nir
from neurosim.units import ms

DT = 0.1 * ms
T = 1000


def neurosim_round_trip(path: str) -> tuple[int, int, int]:
    rng = np.random.default_rng(0)
    raster = rng.random((T, 40)) < 0.05
    steps, idx = np.nonzero(raster)
    gen = SpikeGeneratorGroup(40, idx, steps * DT, name="gen")
    params = LIFParams(tau_m=10 * ms, v_rest=-65e-3, v_reset=-65e-3, v_thresh=-55e-3,
                       t_ref=0.0)
    hid = NeuronGroup(50, params, name="hidden")
    out = NeuronGroup(10, LIFParams(t_ref=0.0, tau_i=5 * ms), name="out")
    syns = [
        Synapses.from_matrix(gen, hid, rng.normal(3e-3, 2e-3, (40, 50)), target="v",
                             delay=1 * ms, name="in_hid"),
        Synapses.from_matrix(hid, out, rng.normal(20e-12, 60e-12, (50, 10)), target="e",
                             name="hid_out"),
    ]
    mons = [SpikeMonitor(hid, name="m_hid"), SpikeMonitor(out, name="m_out")]
    net = Network(gen, hid, out, *syns, *mons, dt=DT, backend="numpy")
    write_nir(to_nir(net, dt=DT), path)
    net2 = from_nir(read_nir(path), dt=DT, input_spikes={"gen": raster}, backend="numpy")
    net.run(T * DT)
    net2.run(T * DT)
    a = mons[1].to_dense(T)
    b = next(m for m in net2.objects if getattr(m, "name", None) == "out_spikes").to_dense(T)
    return int(a.sum()), int(b.sum()), int((a != b).sum())


def snn_to_snntorch() -> tuple[int, int, int] | None:
    try:
        import nirtorch  # noqa: F401
        import torch
        from snntorch.import_nir import import_from_nir
    except ImportError:
        return None
    from backprop.nir import to_nir as snn_to_nir
    from backprop.snn import LeakyParams as SNNParams
    from backprop.snn import SpikingMLP

    model = SpikingMLP((40, 50, 10), SNNParams(beta=0.9375, reset="zero"), seed=0,
                       device="cpu", dtype=torch.float64)
    with torch.no_grad():
        for layer in model.layers:   # float32-exact weights: snnTorch imports in float32
            layer.linear.weight.copy_((3 * layer.linear.weight).float().double())
            layer.linear.bias.copy_(layer.linear.bias.float().double())
    x = (torch.rand(300, 1, 40, generator=torch.Generator().manual_seed(0)) < 0.2).double()
    ours, _ = model(x)
    peer = import_from_nir(snn_to_nir(model, dt=1e-4))
    for mod in peer.modules():
        mod.double()
        if type(mod).__name__ == "Leaky":
            mod.register_forward_hook(lambda m, i, o: o.double())
    with torch.no_grad():
        theirs = torch.stack([peer(x[t])[0] for t in range(x.shape[0])])
    return int(ours.sum()), int(theirs.sum()), int((ours != theirs).sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="output", metavar="DIR",
                    help="folder for the .nir file (default: output)")
    args = ap.parse_args()
    folder = args.out
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "neurosim_net.nir")
    n1, n2, diff = neurosim_round_trip(path)
    print(f"neurosim -> {path} -> neurosim: {n1} vs {n2} output spikes, {diff} differ")
    res = snn_to_snntorch()
    if res is None:
        print("SpikingMLP -> NIR -> snnTorch: skipped (needs snntorch and nirtorch)")
    else:
        print(f"SpikingMLP -> NIR -> snnTorch: {res[0]} vs {res[1]} output spikes, "
              f"{res[2]} differ")


if __name__ == "__main__":
    main()
