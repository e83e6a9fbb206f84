"""NIR export/import of surrogate-gradient SNNs, and snnTorch's NIR import as the peer."""

import numpy as np
import pytest
import torch

from backprop.snn import LeakyParams, SpikingMLP

nir = pytest.importorskip("nir")
from backprop.nir import from_nir, snntorch_to_nir, to_nir  # noqa: E402

DT = 1e-4          # snnTorch's NIR importer assumes this step
BETA = 0.9375      # float32-exact, so snnTorch's float32 parameters hold it exactly


def _model(seed, sizes=(20, 30, 10), beta=BETA, reset="zero"):
    model = SpikingMLP(sizes, LeakyParams(beta=beta, threshold=1.0, reset=reset), seed=seed,
                       device="cpu", dtype=torch.float64)
    with torch.no_grad():   # float32-exact weights (snnTorch's importer stores float32)
        for layer in model.layers:
            layer.linear.weight.copy_((layer.linear.weight * 4).float().double())
            layer.linear.bias.copy_(layer.linear.bias.float().double())
    return model


def _spikes(seed, T=200, n=20, p=0.2):
    g = torch.Generator().manual_seed(1000 + seed)
    return (torch.rand(T, 3, n, generator=g) < p).double()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_round_trip_through_a_file_gives_identical_spikes(tmp_path, seed):
    from neurosim.interop.nir import read_nir, write_nir

    model, x = _model(seed), _spikes(seed)
    graph = to_nir(model, dt=DT)
    assert [type(graph.nodes[k]).__name__ for k in ("fc0", "lif0", "fc1", "lif1")] == [
        "Affine", "LIF", "Affine", "LIF"]
    write_nir(graph, tmp_path / "snn.nir")
    back = from_nir(read_nir(tmp_path / "snn.nir"), dt=DT, dtype=torch.float64)
    assert back.layers[0].params.beta == pytest.approx(BETA, abs=1e-12)
    spk, _ = model(x)
    spk2, _ = back(x)
    assert spk.sum() > 100
    assert torch.equal(spk, spk2)


def test_if_layer_round_trip():
    model = _model(0, beta=1.0)
    graph = to_nir(model, dt=DT)
    assert isinstance(graph.nodes["lif0"], nir.IF)
    back = from_nir(graph, dt=DT, dtype=torch.float64)
    assert back.layers[0].params.beta == 1.0
    x = _spikes(0)
    assert torch.equal(model(x)[0], back(x)[0])


def _snntorch_import_run(graph, x):
    pytest.importorskip("nirtorch")
    from snntorch.import_nir import import_from_nir

    net = import_from_nir(graph)
    for mod in net.modules():   # run in float64; spikes come out float32 0/1 (lossless cast)
        mod.double()
        if type(mod).__name__ == "Leaky":
            mod.register_forward_hook(lambda m, i, o: o.double())
    with torch.no_grad():
        return torch.stack([net(x[t])[0] for t in range(x.shape[0])])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ours_to_snntorch_import_same_spikes(seed):
    pytest.importorskip("snntorch")
    model, x = _model(seed), _spikes(seed)
    theirs = _snntorch_import_run(to_nir(model, dt=DT), x)
    ours, _ = model(x)
    assert ours.sum() > 100
    assert torch.equal(ours, theirs)


def _snntorch_seq(seed):
    snn = pytest.importorskip("snntorch")
    torch.manual_seed(seed)
    seq = torch.nn.Sequential(
        torch.nn.Linear(20, 30), snn.Leaky(beta=BETA, threshold=1.0, reset_mechanism="zero"),
        torch.nn.Linear(30, 10), snn.Leaky(beta=BETA, threshold=1.0, reset_mechanism="zero"))
    with torch.no_grad():
        seq[0].weight.mul_(4)
        seq[2].weight.mul_(4)
    return seq.double()


def _snntorch_run(seq, x):
    """The snnTorch tutorial loop: Linear -> Leaky per step, membranes from zero."""
    mems, out = [None, None], []
    with torch.no_grad():
        for t in range(x.shape[0]):
            h = x[t]
            for i in (0, 1):
                cur = seq[2 * i](h)
                mems[i] = torch.zeros_like(cur) if mems[i] is None else mems[i]
                h, mems[i] = seq[2 * i + 1](cur, mems[i])
                h = h.double()
            out.append(h)
    return torch.stack(out)


@pytest.mark.parametrize("seed", [0, 1])
def test_snntorch_to_ours_same_spikes(seed):
    seq, x = _snntorch_seq(seed), _spikes(seed)
    graph = snntorch_to_nir(seq, dt=DT)
    model = from_nir(graph, dt=DT, dtype=torch.float64)
    theirs = _snntorch_run(seq, x)
    ours, _ = model(x)
    assert theirs.sum() > 100
    assert torch.equal(ours, theirs)


def test_snntorch_import_reads_the_workaround_graph():
    seq, x = _snntorch_seq(3), _spikes(3)
    theirs = _snntorch_run(seq, x)
    assert theirs.sum() > 100
    assert torch.equal(_snntorch_import_run(snntorch_to_nir(seq, dt=DT), x), theirs)


def test_dt_changes_beta_and_is_required():
    model = _model(0)
    with pytest.raises(ValueError, match=r"to_nir: dt is required"):
        to_nir(model)
    with pytest.raises(ValueError, match=r"from_nir: dt is required"):
        from_nir(to_nir(model, dt=DT))
    with pytest.raises(ValueError, match=r"to_nir: dt must be > 0, got -1"):
        to_nir(model, dt=-1)
    # the graph holds tau = dt / (1 - beta); reading it at 2 dt doubles the leak per step
    back = from_nir(to_nir(model, dt=DT), dt=2 * DT)
    assert back.layers[0].params.beta == pytest.approx(1 - 2 * (1 - BETA), abs=1e-12)
    with pytest.raises(ValueError, match=r"tau=.* <= dt="):
        from_nir(to_nir(model, dt=DT), dt=1.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"reset='subtract'; NIR neurons reset to v_reset"):
        to_nir(_model(0, reset="subtract"), dt=DT)
    with pytest.raises(TypeError, match=r"model must be a SpikingMLP, got Linear"):
        to_nir(torch.nn.Linear(2, 2), dt=DT)
    with pytest.raises(ValueError, match=r"expected pairs \(nn.Linear, snntorch.Leaky\)"):
        snntorch_to_nir(torch.nn.Sequential(torch.nn.Linear(2, 2)), dt=DT)
    n = 3
    cuba = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([n])),
        "fc": nir.Linear(weight=np.eye(n)),
        "lif": nir.CubaLIF(tau_syn=np.full(n, 1e-3), tau_mem=np.full(n, 2e-3), r=np.ones(n),
                           v_leak=np.zeros(n), v_threshold=np.ones(n)),
        "output": nir.Output(output_type=np.array([n]))},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")])
    with pytest.raises(NotImplementedError, match=r"got \['Linear', 'CubaLIF'\]"):
        from_nir(cuba, dt=DT)
    leaky = to_nir(_model(0), dt=DT)
    leaky.nodes["lif0"].v_leak = np.full(30, 0.5)
    with pytest.raises(NotImplementedError, match=r"'lif0' has v_leak != 0"):
        from_nir(leaky, dt=DT)
    leaky.nodes["lif0"].v_leak = np.zeros(30)
    leaky.nodes["lif0"].tau = np.linspace(1e-3, 2e-3, 30)
    with pytest.raises(NotImplementedError, match=r"'lif0' has per-neuron tau"):
        from_nir(leaky, dt=DT)


def test_spiking_mlp_to_neurosim_same_spikes():
    """backprop -> NIR -> neurosim: the simulator reproduces the trained net's spikes, one
    step later per layer (neurosim delivers a spike in the step after it)."""
    from neurosim.interop.nir import from_nir as to_network

    model, x = _model(4), _spikes(4)
    ours, _ = model(x)
    raster = x[:, 0].numpy().astype(bool)
    net = to_network(to_nir(model, dt=DT), dt=DT, input_spikes=raster, v_unit=0.1,
                     backend="numpy")
    T = raster.shape[0]
    net.run((T + 2) * DT)
    mon = next(m for m in net.objects if getattr(m, "name", None) == "lif1_spikes")
    assert ours[:, 0].sum() > 30
    np.testing.assert_array_equal(mon.to_dense(T + 2)[2:, 0], ours[:, 0].detach().numpy() > 0)
