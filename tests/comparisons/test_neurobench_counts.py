"""NeuroBench's counts (comparisons.metrics.neurobench_counts): hand-derived values on tiny
models, and a cross-check against the ``neurobench`` package itself.

The cross-check needs ``neurobench`` 2.3.0 importable. It is installed without its
dependencies (``pip install --no-deps``: its metrics import only torch, numpy, snnTorch and
tqdm; the declared torchaudio and tonic serve its audio datasets and pre-processors) into
a folder of its own that is put on ``sys.path`` (``make install`` puts it in
``.venv/neurobench``; another folder or a venv's ``site-packages`` can be given in
``NEUROSIM_NEUROBENCH_PATH``). Without it, the cross-check is skipped and says why.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from comparisons.metrics.neurobench_counts import (
    NEUROBENCH_VERSION,
    NeuroBenchCounts,
    count_ops,
    dense_layer_counts,
    engine_counts,
    is_binary,
    torch_connection_sparsity,
    torch_footprint,
    torch_model_counts,
)

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ hand-derived values
def test_dense_layer_effective_macs_are_nonzero_inputs_times_fan_out():
    # 2 rows; row 0 has inputs 0 and 2 non-zero, row 1 only input 1; weight column k has
    # fan-out nnz(w[k]): 3, 1, 2 (zero weights are skipped)
    x = np.array([[0.5, 0.0, -2.0], [0.0, 3.0, 0.0]])
    w = np.array([[1.0, 2.0, 3.0], [0.0, 4.0, 0.0], [5.0, 0.0, 6.0]])
    eff, dense, binary = dense_layer_counts(x, w)
    assert eff == (3 + 2) + 1
    assert dense == 2 * 3 * 3
    assert not binary
    eff_t, dense_t, _ = dense_layer_counts(torch.as_tensor(x), torch.as_tensor(w))
    assert (eff_t, dense_t) == (eff, dense)
    assert dense_layer_counts(np.array([[1.0, 0.0, -1.0]]), w)[2]  # spikes: ACs


def test_is_binary_is_neurobenchs_spike_test():
    assert is_binary(torch.tensor([0.0, 1.0, -1.0])) and is_binary(torch.zeros(3))
    assert not is_binary(torch.tensor([0.0, 0.5]))
    assert is_binary(np.array([1, 0, 0])) and not is_binary(np.array([2.0]))


def _mlp():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    with torch.no_grad():
        net[0].weight[0, :2] = 0.0  # two zero weights: fan-out of inputs 0, 1 is 6
    return net


def test_mlp_counts_match_the_hand_derivation():
    net = _mlp()
    x = torch.tensor([[1.5, 0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.3]])
    h = torch.relu(net[0](x))
    got = torch_model_counts(net, lambda: net(x), samples=2)
    # layer 1: sample 0 has inputs 0 (fan-out 6) and 3 (7); sample 1 input 4 (7);
    # layer 2: every non-zero hidden unit reaches 3 outputs
    eff = (6 + 7) + 7 + 3 * int(torch.count_nonzero(h))
    assert got.effective_macs == eff and got.effective_acs == 0
    assert got.dense_ops == 2 * (5 * 7 + 7 * 3)
    assert got.activations == h.numel()
    assert got.activation_sparsity == 1 - int(torch.count_nonzero(h)) / h.numel()
    assert got.per_sample()["effective_macs"] == eff / 2
    # the op-level counter sees the same products and the relu's outputs
    _, ops = count_ops(net, x, samples=2, weights=net.parameters())
    assert ops == got
    assert torch_connection_sparsity(net) == 2 / (5 * 7 + 7 * 3)
    assert torch_footprint(net) == 4 * sum(p.numel() for p in net.parameters())


def test_binary_input_makes_the_first_layer_accumulates():
    net = _mlp()
    x = torch.tensor([[1.0, 0.0, 0.0, 1.0, 0.0]])
    got = torch_model_counts(net, lambda: net(x), samples=1)
    assert got.effective_acs == 6 + 7
    h = torch.relu(net[0](x))
    assert got.effective_macs == 3 * int(torch.count_nonzero(h))


def test_rnn_cell_skips_the_zero_initial_state():
    torch.manual_seed(1)
    cell = nn.RNNCell(4, 6)
    x = torch.randn(3, 2, 4)

    def run():
        h = torch.zeros(2, 6)
        for t in range(3):
            h = cell(x[t], h)

    got = torch_model_counts(cell_holder(cell), run, samples=2)
    # step 0: h = 0, only the input products; steps 1, 2: both (all values non-zero)
    assert got.effective_macs == 2 * (3 * 4 * 6 + 2 * 6 * 6)
    assert got.dense_ops == 2 * 3 * (4 * 6 + 6 * 6)


def cell_holder(cell: nn.Module) -> nn.Module:
    holder = nn.Module()
    holder.cell = cell
    return holder


def test_lstm_cell_path_dense_ops_equal_flop_counter_macs():
    # the explicit-cell LSTM of backprop: count_ops' dense products are FlopCounterMode's
    from backprop import LSTM
    from comparisons.metrics.ops import flop_count_macs

    T, F, H, O = 5, 3, 4, 2
    model = LSTM(F, H, O, impl="cell", seed=0)
    x = torch.randn(T, 2, F)
    with torch.no_grad():
        _, macs = flop_count_macs(model, x)
        _, c = count_ops(model, x, samples=2, weights=model.parameters())
    assert c.dense_ops == macs == 2 * T * (4 * H * (F + H) + H * O)
    # real-valued inputs and states: every product is effective except those with the
    # initial state, a learned parameter that starts at zero: 4H x H per sample skipped
    assert c.effective_acs == 0
    assert c.effective_macs == c.dense_ops - 2 * 4 * H * H
    # four gates and tanh(c) per unit per step; sigmoids and tanh are never exactly zero
    assert c.activations == 2 * T * 5 * H and c.activation_sparsity == 0.0
    # one-hot inputs: the input products become accumulates, nnz(x) x 4H of them
    xo = torch.zeros(T, 2, F)
    xo[:, :, 0] = 1.0
    with torch.no_grad():
        _, c1 = count_ops(model, xo, samples=2, weights=model.parameters())
    assert c1.effective_acs == 2 * T * 4 * H


def test_engine_counts_are_the_networks_counters():
    from neurosim import LIFParams, Network, NeuronGroup, SpikeGeneratorGroup, Synapses
    from neurosim.units import ms, nA

    inp = SpikeGeneratorGroup(3, [0, 1, 2, 0], [1 * ms, 1 * ms, 2 * ms, 3 * ms])
    g = NeuronGroup(4, LIFParams())
    w = np.array([[3.0, 0.0, 3.0, 3.0], [3.0, 3.0, 0.0, 0.0], [0.0, 0.0, 3.0, 3.0]]) * nA
    s = Synapses.from_matrix(inp, g, w)
    net = Network(inp, g, s, dt=0.1 * ms, batch_size=2, seed=0)
    net.run(5 * ms, progress=False)
    c = net.counters
    got = engine_counts(net)
    assert got["effective_acs"] == c["synaptic_events"] / 2 > 0
    assert got["effective_macs"] == 0.0
    assert got["dense_ops"] == 3 * 4 * c["steps"]  # per sample: every pair every step
    assert got["activations"] == c["neuron_updates"] / 2 == 4 * c["steps"]
    assert got["activation_sparsity"] == 1 - c["spikes"] / c["neuron_updates"]
    assert got["connection_sparsity"] == 1 - 7 / 12
    assert got["footprint_bytes"] == c["synapse_bytes"] + c["state_bytes"] // 2


def test_counts_add_and_refuse_mismatched_samples():
    a = NeuroBenchCounts(effective_macs=1, dense_ops=2, samples=2)
    assert (a + a).dense_ops == 4
    with pytest.raises(ValueError, match="samples"):
        a + NeuroBenchCounts(samples=3)
    assert NeuroBenchCounts().activation_sparsity is None


def test_fused_recurrent_layers_are_refused_not_silently_dropped():
    net = nn.Sequential(nn.LSTM(3, 4))
    with pytest.raises(NotImplementedError, match="explicit-cell"):
        torch_model_counts(net, lambda: net(torch.randn(2, 1, 3)), samples=1)


# ------------------------------------------------------------- the neurobench package
def _neurobench():
    """Import neurobench (from the environment, else from NEUROSIM_NEUROBENCH_PATH or
    .venv/neurobench); ``None`` and the reason when it cannot be."""
    paths = [os.environ.get("NEUROSIM_NEUROBENCH_PATH"), str(ROOT / ".venv" / "neurobench")]
    try:
        return importlib.import_module("neurobench"), ""
    except ImportError:
        pass
    for p in paths:
        if p and Path(p, "neurobench").is_dir():
            sys.path.append(p)
            try:
                return importlib.import_module("neurobench"), ""
            except ImportError as exc:
                return None, f"neurobench in {p} does not import: {exc}"
            finally:
                sys.path.remove(p)
    return None, ("neurobench is not installed: `make install` puts it in .venv/neurobench "
                  "(pip install --no-deps --target .venv/neurobench neurobench==2.3.0), or "
                  "set NEUROSIM_NEUROBENCH_PATH to a folder or site-packages holding it")


@pytest.fixture(scope="module")
def nb():
    pytest.importorskip("snntorch")
    mod, why = _neurobench()
    if mod is None:
        pytest.skip(why)
    if mod.__version__ != NEUROBENCH_VERSION:
        pytest.skip(f"neurobench {mod.__version__} installed; the definitions follow "
                    f"{NEUROBENCH_VERSION}")
    return mod


def _run_neurobench(model, x, static=True):
    from neurobench.benchmarks import Benchmark
    from neurobench.metrics.static import ConnectionSparsity, Footprint
    from neurobench.metrics.workload import ActivationSparsity, SynapticOperations
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(x, torch.zeros(len(x))), batch_size=len(x))
    bench = Benchmark(model, loader, [], [], [[Footprint, ConnectionSparsity] if static
                                              else [], [SynapticOperations,
                                                        ActivationSparsity]])
    return bench.run(quiet=True)


def _assert_same(res, ours: NeuroBenchCounts):
    syn = res["SynapticOperations"]
    mine = ours.per_sample()
    assert syn["Effective_MACs"] == pytest.approx(mine["effective_macs"], rel=1e-12)
    assert syn["Effective_ACs"] == pytest.approx(mine["effective_acs"], rel=1e-12)
    assert syn["Dense"] == pytest.approx(mine["dense_ops"], rel=1e-12)
    assert res["ActivationSparsity"] == pytest.approx(ours.activation_sparsity or 0.0,
                                                      rel=1e-12)


def test_mlp_counts_equal_neurobenchs(nb):
    from neurobench.models import TorchModel

    net = _mlp()
    x = torch.randn(6, 5)
    x[x < 0] = 0.0  # input sparsity
    res = _run_neurobench(TorchModel(net), x)
    ours = torch_model_counts(net, lambda: net(x), samples=len(x))
    assert ours.effective_macs > 0 and ours.effective_macs < ours.dense_ops
    _assert_same(res, ours)
    _, ops = count_ops(net, x, samples=len(x), weights=net.parameters())
    _assert_same(res, ops)
    assert res["Footprint"] == torch_footprint(net)
    assert res["ConnectionSparsity"] == round(torch_connection_sparsity(net), 4)


class _SNN(nn.Module):
    def __init__(self, beta: float = 0.8) -> None:
        import snntorch as snn

        super().__init__()
        torch.manual_seed(3)
        self.fc1 = nn.Linear(6, 10)
        self.lif1 = snn.Leaky(beta=beta, init_hidden=True)
        self.fc2 = nn.Linear(10, 2)
        self.lif2 = snn.Leaky(beta=beta, init_hidden=True, output=True)

    def forward(self, x):
        return self.lif2(self.fc2(self.lif1(self.fc1(x))))


def test_snntorch_counts_equal_neurobenchs(nb):
    from neurobench.models import SNNTorchModel
    from snntorch import utils

    net = _SNN()
    # measured before a run, as neurobench does: afterwards the neurons' state buffers
    # hold a batch of membrane potentials
    foot = torch_footprint(net)
    x = (torch.rand(8, 5, 6, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    res = _run_neurobench(SNNTorchModel(net), x)

    def run():
        utils.reset(net)
        for t in range(x.shape[1]):
            net(x[:, t])

    ours = torch_model_counts(net, run, samples=len(x))
    assert ours.effective_acs > 0  # input spikes and hidden spikes select weights
    _assert_same(res, ours)
    assert res["Footprint"] == foot


def test_recurrent_cell_counts_equal_neurobenchs(nb):
    from neurobench.models import TorchModel

    class Cells(nn.Module):
        def __init__(self, kind):
            super().__init__()
            torch.manual_seed(4)
            self.kind = kind
            self.cell = (nn.LSTMCell if kind == "lstm" else nn.RNNCell)(4, 6)
            self.out = nn.Linear(6, 2)

        def forward(self, x):
            h = torch.zeros(x.shape[0], 6)
            c = torch.zeros(x.shape[0], 6)
            for t in range(x.shape[1]):
                if self.kind == "lstm":
                    h, c = self.cell(x[:, t], (h, c))
                else:
                    h = self.cell(x[:, t], h)
            return self.out(h)

    x = torch.randn(4, 3, 4)
    x[:, :, 0] = 0.0
    for kind in ("rnn", "lstm"):
        net = Cells(kind)
        res = _run_neurobench(TorchModel(net), x)
        ours = torch_model_counts(net, lambda net=net: net(x), samples=len(x))
        syn = res["SynapticOperations"]
        assert syn["Effective_MACs"] == ours.per_sample()["effective_macs"], kind
        if kind == "rnn":  # LSTMCell: neurobench's dense skips zero states (see module doc)
            assert syn["Dense"] == ours.per_sample()["dense_ops"]
        assert res["ConnectionSparsity"] == round(torch_connection_sparsity(net), 4)


# ------------------------------------------------------------------- the learners' counts
def test_lif_reservoir_counts_analog_input_as_macs():
    # issue 16: the reservoir's analog input current x @ W_in multiplies real values: MACs
    from comparisons.learners import get_learner
    from comparisons.tasks import get_task

    task = get_task("adding", length=6, n_train=12, n_test=4)
    data = task.make(0)
    lr = get_learner("lif_reservoir", n_neurons=30, steps_per_input=2, seed=0)
    lr.fit(task, data)
    x = data.test.x[:, :1]
    assert not is_binary(x)
    lr.predict(x)
    ops = lr.last_inference_ops
    readout = 1 * (30 + 1) * task.n_out  # a final output: one read
    assert ops["ac"] == 0.0
    assert ops["mac"] == np.count_nonzero(x) * 30 + readout
    # NeuroBench's counts: the reservoir's synaptic events are its effective ACs; the
    # effective MACs the input's and the readout's on non-zero traces (at most all of them)
    T, F = x.shape[0], x.shape[2]
    assert ops["effective_acs"] == ops["synaptic_events"]
    assert np.count_nonzero(x) * 30 < ops["effective_macs"] <= ops["mac"] - task.n_out
    assert ops["dense_ops"] == T * F * 30 + T * 2 * 30 * 30 + 30 * task.n_out
    assert (ops["activations"], ops["nonzero_activations"]) == (
        ops["neuron_updates"], ops["spikes"])
    # a LIF update reads and writes its four state variables (v, i_e, i_i, refractory)
    assert ops["mem_write_bytes"] == ops["neuron_updates"] * 4 * 4


def test_lstm_learner_reports_neurobench_counts_and_measured_activation_sparsity():
    from comparisons.learners import get_learner
    from comparisons.metrics.hardware import hardware_metrics
    from comparisons.metrics.ops import flop_count_macs
    from comparisons.tasks import get_task

    task = get_task("binary_addition", train_bits=3, test_bits=4, n_train=16, n_test=8)
    data = task.make(0)
    lr = get_learner("lstm", hidden_size=6, epochs=1, seed=0, device="cpu")
    lr.fit(task, data)
    lr.predict(data.test.x)
    ops = lr.last_inference_ops
    x1 = torch.as_tensor(data.test.x[:, :1].astype(np.float32))
    with torch.no_grad():
        _, macs = flop_count_macs(lr._twin(task), x1)
    assert ops["mac"] == ops["dense_ops"] == macs  # the priced count is unchanged
    # binary inputs (bits): the input products are accumulates, kept apart from the MACs
    assert ops["effective_acs"] > 0 and ops["effective_macs"] > 0
    assert ops["effective_macs"] + ops["effective_acs"] <= ops["dense_ops"]
    hw = hardware_metrics(lr, ops)
    assert hw["effective_acs"] == ops["effective_acs"]
    assert hw["activation_sparsity"] == 1 - ops["nonzero_activations"] / ops["activations"]


@pytest.mark.parametrize("name, task_name, params", [
    ("snn_bptt", "adding", {"length": 5}), ("eprop", "seq_digits", {})])
def test_spiking_learners_keep_effective_acs_and_macs_apart(name, task_name, params):
    from comparisons.learners import get_learner
    from comparisons.metrics.hardware import hardware_metrics
    from comparisons.tasks import get_task

    task = get_task(task_name, n_train=16, n_test=4, **params)
    data = task.make(0)
    lr = get_learner(name, epochs=1, seed=0, device="cpu")
    lr.fit(task, data)
    x = data.test.x
    lr.predict(x)
    ops = lr.last_inference_ops
    T, B, F = x.shape
    h = lr.hidden_size if name == "snn_bptt" else lr.n_rec
    # the analog input multiplies its weights (MACs); spikes select them (ACs)
    assert ops["effective_macs"] == ops["mac"] == pytest.approx(np.count_nonzero(x) / B * h)
    assert ops["effective_acs"] == ops["synaptic_events"]
    rec = h * h if name == "eprop" else 0
    assert ops["dense_ops"] == T * (F * h + rec + h * task.n_out)
    hw = hardware_metrics(lr, ops)
    assert hw["effective_acs"] == ops["effective_acs"]
    assert hw["activation_sparsity"] == 1 - ops["spikes"] / ops["neuron_updates"]
