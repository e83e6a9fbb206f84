"""Surrogate-gradient LIF networks: equality with snnTorch (run in the same test), fused path
== per-step reference, sparse (gather-and-add) path == dense path, invariants, bad input."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import pytest
import torch
import torch.nn.functional as F

import backprop.snn_fused as snn_fused
from backprop.snn import (
    Leaky,
    LeakyParams,
    LIFLayer,
    SpikingMLP,
    _use_sparse,
    leaky_step,
    lif_sequence,
    snntorch_equivalent,
)
from backprop.snn_fused import spike_linear
from backprop.surrogate import SURROGATES, Surrogate, make_surrogate

RESETS = ("subtract", "zero", "none")


def _spikes(shape, p, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g) < p).to(dtype)


def _loss(spk, mem):
    # touches both outputs, so gradients flow through spikes (surrogate) and membranes
    return (mem**2).sum() + (spk * torch.linspace(0.5, 1.5, spk.shape[-1], dtype=spk.dtype)).sum()


def _grads(model, spk, mem):
    return torch.autograd.grad(_loss(spk, mem), [p for p in model.parameters()])


# ----------------------------------------------------------------------------- vs snnTorch


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("reset", RESETS)
@pytest.mark.parametrize("surrogate", ["atan", "fast_sigmoid", "sigmoid"])
def test_matches_snntorch_float64(seed, reset, surrogate):
    pytest.importorskip("snntorch")
    sizes = [(30, 24, 5), (17, 40, 9, 3), (50, 8)][seed]
    # threshold/beta exactly representable in float32: snnTorch keeps its reset in float32
    params = LeakyParams(beta=0.875, threshold=0.75, reset=reset, surrogate=surrogate)
    net = SpikingMLP(sizes, params, seed=seed, device="cpu", dtype=torch.float64)
    with torch.no_grad():  # stronger weights, so that every layer spikes
        for w in net.parameters():
            w.mul_(3.0)
    ref = snntorch_equivalent(net)
    x = _spikes((12 + seed, 6, sizes[0]), 0.3, seed)
    spk, mem = net(x)
    spk_r, mem_r = ref(x)
    assert spk.sum() > 0  # the comparison is not vacuous
    assert torch.equal(spk, spk_r)
    torch.testing.assert_close(mem, mem_r, rtol=1e-12, atol=1e-12)
    # snnTorch's spikes are float32 even in a float64 net, so gradients through spikes carry
    # float32 rounding on its side
    for g, g_r in zip(_grads(net, spk, mem), _grads(ref, spk_r, mem_r)):
        torch.testing.assert_close(g, g_r, rtol=1e-6, atol=1e-6 * float(g_r.abs().max()))


@pytest.mark.parametrize("reset", RESETS)
def test_leaky_step_matches_snntorch_leaky_bitwise_float32(reset):
    snn = pytest.importorskip("snntorch")
    g = torch.Generator().manual_seed(3)
    cur = torch.randn(20, 16, 32, generator=g) * 0.8
    ours, theirs = Leaky(beta=0.9, reset=reset), snn.Leaky(beta=0.9, reset_mechanism=reset)
    c1, c2 = cur.clone().requires_grad_(True), cur.clone().requires_grad_(True)
    m1 = m2 = None
    outs1, outs2 = [], []
    for t in range(cur.shape[0]):
        s1, m1 = ours(c1[t], m1)
        s2, m2 = theirs(c2[t], torch.zeros_like(c2[t]) if m2 is None else m2)
        outs1.append(s1 + m1)
        outs2.append(s2 + m2)
    o1, o2 = torch.stack(outs1), torch.stack(outs2)
    assert torch.equal(o1, o2)  # same equations, same operation order, same float32 rounding
    o1.sum().backward()
    o2.sum().backward()
    assert torch.equal(c1.grad, c2.grad)


def test_fused_network_matches_snntorch_float32():
    pytest.importorskip("snntorch")
    net = SpikingMLP((64, 48, 10), LeakyParams(beta=0.95), seed=5, device="cpu")
    ref = snntorch_equivalent(net)
    x = _spikes((25, 16, 64), 0.1, 5, torch.float32)
    spk, mem = net(x)
    spk_r, mem_r = ref(x)
    assert torch.equal(spk, spk_r)
    torch.testing.assert_close(mem, mem_r, rtol=1e-5, atol=1e-5)
    for g, g_r in zip(_grads(net, spk, mem), _grads(ref, spk_r, mem_r)):
        torch.testing.assert_close(g, g_r, rtol=1e-4, atol=1e-4 * float(g_r.abs().max()))


# ------------------------------------------------------------------ fused == reference path


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("reset", RESETS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_fused_lif_equals_reference(seed, reset, dtype, backend, monkeypatch):
    if backend == "torch":  # the loop used on GPUs, forced on the CPU
        monkeypatch.setattr(snn_fused, "_numba_ok", lambda x: False)
    g = torch.Generator().manual_seed(seed)
    T, B, N = 15 + seed, 4, 7
    cur = (torch.randn(T, B, N, generator=g, dtype=torch.float64) * 0.7 + 0.2).to(dtype)
    mem0 = (torch.randn(B, N, generator=g, dtype=torch.float64) * 1.2).to(dtype)
    params = LeakyParams(beta=0.8, threshold=1.0, reset=reset, surrogate="fast_sigmoid")
    outs = {}
    for fused in (True, False):
        c = cur.clone().requires_grad_(True)
        m0 = mem0.clone().requires_grad_(True)
        spk, mem = lif_sequence(c, params, m0, fused=fused)
        gc, gm0 = torch.autograd.grad(_loss(spk, mem), [c, m0])
        outs[fused] = (spk, mem, gc, gm0)
    tol = {"rtol": 1e-12, "atol": 1e-12} if dtype == torch.float64 else {}
    assert outs[True][0].sum() > 0
    assert torch.equal(outs[True][0], outs[False][0])
    for a, b in zip(outs[True][1:], outs[False][1:]):
        torch.testing.assert_close(a, b, **tol)


@dataclass(frozen=True)
class _Gauss(Surrogate):
    """A surrogate the compiled backward does not know (exercises the generic path)."""

    width: float = 0.5
    name: ClassVar[str] = "gauss"

    def derivative(self, x):
        return torch.exp(-(x / self.width) ** 2) / (self.width * math.sqrt(math.pi))


@pytest.mark.parametrize("surrogate", [*sorted(SURROGATES), "custom"])
@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_fused_backward_for_every_surrogate(surrogate, backend, monkeypatch):
    if backend == "torch":
        monkeypatch.setattr(snn_fused, "_numba_ok", lambda x: False)
    s = _Gauss() if surrogate == "custom" else make_surrogate(surrogate)
    g = torch.Generator().manual_seed(2)
    cur = torch.randn(12, 3, 5, generator=g, dtype=torch.float64) * 0.8 + 0.3
    params = LeakyParams(beta=0.9, reset="zero", surrogate=s)
    grads = []
    for fused in (True, False):
        c = cur.clone().requires_grad_(True)
        spk, mem = lif_sequence(c, params, fused=fused)
        grads.append(torch.autograd.grad(_loss(spk, mem), c)[0])
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-12, atol=1e-12)


def test_fused_lif_gradcheck():
    g = torch.Generator().manual_seed(0)
    # currents far from threshold crossings so finite differences do not flip spikes
    cur = (torch.rand(6, 2, 3, generator=g, dtype=torch.float64) * 0.3).requires_grad_(True)
    mem0 = (torch.rand(2, 3, generator=g, dtype=torch.float64) * 0.3).requires_grad_(True)
    params = LeakyParams(beta=0.7, reset="zero")

    def f(c, m):
        return lif_sequence(c, params, m, fused=True)[1]  # membranes: smooth in the inputs

    assert torch.autograd.gradcheck(f, (cur, mem0))


def test_fused_and_reference_networks_agree():
    x = _spikes((20, 8, 40), 0.2, 7)
    nets = [
        SpikingMLP((40, 30, 6), LeakyParams(beta=0.9, reset=r), seed=7, device="cpu",
                   dtype=torch.float64, fused=f, sparse="never")
        for r in ("zero",) for f in (True, False)
    ]
    (s1, m1), (s2, m2) = nets[0](x), nets[1](x)
    assert torch.equal(s1, s2)
    torch.testing.assert_close(m1, m2)
    for a, b in zip(_grads(nets[0], s1, m1), _grads(nets[1], s2, m2)):
        torch.testing.assert_close(a, b)


# ------------------------------------------------------------------- sparse == dense path


@pytest.mark.parametrize("density", [0.0, 0.02, 0.1, 0.5])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("backend", ["numba", "torch_sparse"])
@pytest.mark.parametrize("graded", [False, True])
def test_spike_linear_equals_dense(density, dtype, backend, graded, monkeypatch):
    if backend == "torch_sparse":  # the path used on GPUs, forced on the CPU
        monkeypatch.setattr(snn_fused, "_numba_ok", lambda x: False)
    g = torch.Generator().manual_seed(11)
    x = _spikes((300, 50), density, 11, dtype)
    if graded:  # non-binary inputs take the multiply-accumulate branch
        x[3, 4] = 0.5
        x[7, 1] = -2.0
    w = torch.randn(20, 50, generator=g, dtype=dtype)
    b = torch.randn(20, generator=g, dtype=dtype)
    x_before = x.clone()
    gy = torch.randn(300, 20, generator=g, dtype=dtype)
    grads = []
    for fn in (spike_linear, F.linear):
        xx, ww, bb = (t.clone().requires_grad_(True) for t in (x, w, b))
        y = fn(xx, ww, bb)
        grads.append((y, *torch.autograd.grad(y, [xx, ww, bb], gy)))
    for a, b_ in zip(*grads):
        torch.testing.assert_close(a, b_)
    assert torch.equal(x, x_before)  # the input is not modified


def test_spike_linear_leading_dims_and_no_bias():
    x = _spikes((5, 3, 12), 0.2, 1, torch.float32)
    w = torch.randn(4, 12)
    torch.testing.assert_close(spike_linear(x, w), F.linear(x, w))


@pytest.mark.parametrize("seed", [0, 1])
def test_sparse_network_equals_dense_network(seed):
    x = _spikes((25, 16, 100), 0.05, seed, torch.float32)
    nets = [
        SpikingMLP((100, 64, 10), seed=seed, device="cpu", sparse=s) for s in ("always", "never")
    ]
    (s1, m1), (s2, m2) = nets[0](x), nets[1](x)
    assert torch.equal(s1, s2)
    torch.testing.assert_close(m1, m2)
    for a, b in zip(_grads(nets[0], s1, m1), _grads(nets[1], s2, m2)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4 * float(b.abs().max()))


def test_auto_sparse_follows_density():
    assert _use_sparse("auto", _spikes((25, 64, 784), 0.02, 0, torch.float32))
    assert not _use_sparse("auto", _spikes((25, 64, 784), 0.6, 0, torch.float32))
    assert _use_sparse("always", torch.ones(3, 3))
    assert not _use_sparse("never", torch.zeros(3, 3))


# ------------------------------------------------------------------------------ invariants


def test_lif_step_theory():
    # below threshold the membrane is a leaky integrator: U_t = sum_k beta^(t-k) I_k
    params = LeakyParams(beta=0.5, threshold=100.0)
    cur = torch.ones(6, 1, 1, dtype=torch.float64)
    spk, mem = lif_sequence(cur, params)
    expected = torch.tensor([sum(0.5**k for k in range(t + 1)) for t in range(6)])
    torch.testing.assert_close(mem.flatten(), expected.double())
    assert spk.sum() == 0
    # a constant supra-threshold drive with reset-by-subtraction: the rate is the drive
    spk, _ = lif_sequence(torch.full((1000, 1, 1), 0.3, dtype=torch.float64),
                          LeakyParams(beta=1.0, threshold=1.0))
    assert float(spk.mean()) == pytest.approx(0.3, abs=2e-3)


def test_reset_to_zero_forgets_the_overshoot():
    spk, mem = leaky_step(torch.tensor([[0.0]]), torch.tensor([[1.5]]),
                        LeakyParams(beta=0.9, reset="zero"))
    assert float(mem) == 0.0 and float(spk) == 0.0
    _, mem = leaky_step(torch.tensor([[0.0]]), torch.tensor([[1.5]]),
                      LeakyParams(beta=0.9, reset="subtract"))
    assert float(mem) == pytest.approx(0.9 * 1.5 - 1.0)


def test_float32_and_float64_agree():
    x = _spikes((20, 8, 30), 0.2, 4, torch.float32)
    n32 = SpikingMLP((30, 20, 4), seed=4, device="cpu")
    n64 = SpikingMLP((30, 20, 4), seed=4, device="cpu", dtype=torch.float64)
    s32, m32 = n32(x)
    s64, m64 = n64(x.double())
    assert float((s32.double() != s64).float().mean()) < 0.01
    torch.testing.assert_close(m32.double(), m64, rtol=1e-3, atol=1e-3)


def test_seed_reproducible_and_training_reduces_loss():
    a = SpikingMLP((20, 16, 2), seed=9, device="cpu")
    b = SpikingMLP((20, 16, 2), seed=9, device="cpu")
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    g = torch.Generator().manual_seed(9)
    y = torch.randint(0, 2, (32,), generator=g)
    up, down = torch.linspace(0.05, 0.4, 20), torch.linspace(0.4, 0.05, 20)
    rates = torch.where(y[:, None] == 1, up, down)
    x = (torch.rand(15, 32, 20, generator=g) < rates).float()
    opt = torch.optim.Adam(a.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        _, mem = a(x)
        loss = F.cross_entropy(mem.sum(0), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.gpu
def test_gpu_paths_match_cpu():
    x = _spikes((10, 4, 30), 0.1, 0, torch.float32)
    cpu = SpikingMLP((30, 20, 5), seed=0, device="cpu")
    gpu = SpikingMLP((30, 20, 5), seed=0, device="cuda", sparse="always")
    s1, m1 = cpu(x)
    s2, m2 = gpu(x.cuda())
    torch.testing.assert_close(m1, m2.cpu(), rtol=1e-4, atol=1e-4)
    for a, b in zip(_grads(cpu, s1, m1), _grads(gpu, s2, m2)):
        torch.testing.assert_close(a, b.cpu(), rtol=1e-3, atol=1e-3)


# ------------------------------------------------------------------------------- bad input


def test_bad_shapes_and_values():
    net = SpikingMLP((8, 4, 2), seed=0, device="cpu")
    with pytest.raises(ValueError, match=r"of rank 3 with shape \(T, B, 8\), got \(5, 8\)"):
        net(torch.zeros(5, 8))
    with pytest.raises(ValueError, match=r"expected x of shape \(T, B, 8\), got \(3, 8, 5\).*ax"):
        net(torch.zeros(3, 8, 5))
    with pytest.raises(ValueError, match=r"empty sequence"):
        net(torch.zeros(0, 3, 8))
    x = torch.zeros(4, 3, 8)
    x[1, 2, 3] = float("nan")
    with pytest.raises(ValueError, match="NaN or inf"):
        net(x)
    with pytest.raises(TypeError, match="floating-point"):
        net(torch.zeros(4, 3, 8, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"SpikingMLP has torch.float32 weights, got x of dtype "
                                        r"torch.float64"):
        net(torch.zeros(4, 3, 8, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"Leaky expected mem of shape \(2, 3\)"):
        Leaky()(torch.zeros(2, 3), torch.zeros(3, 2))


@pytest.mark.parametrize(
    ("kwargs", "err", "msg"),
    [
        ({"beta": 0.0}, ValueError, r"LeakyParams.beta must be in \(0, 1\], got 0.0"),
        ({"beta": -0.5}, ValueError, r"LeakyParams.beta must be in \(0, 1\], got -0.5"),
        ({"beta": 1.5}, ValueError, r"LeakyParams.beta must be in \(0, 1\], got 1.5"),
        ({"beta": "0.9"}, TypeError, r"LeakyParams.beta must be a real number, got str"),
        ({"threshold": 0}, ValueError, r"LeakyParams.threshold must be > 0, got 0"),
        ({"threshold": float("inf")}, ValueError, r"LeakyParams.threshold must be finite, got inf"),
        ({"reset": "hard"}, ValueError, r"unknown LeakyParams.reset 'hard'; "
                                         r"choose from: subtract, zero, none"),
        ({"surrogate": "tanh"}, ValueError, r"unknown surrogate 'tanh'; choose from"),
    ],
)
def test_bad_params(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        LeakyParams(**kwargs)


def test_bad_layers_and_devices():
    with pytest.raises(ValueError, match=r"unknown LIFLayer.sparse 'yes'; "
                                         r"choose from: auto, always, never"):
        LIFLayer(4, 3, sparse="yes")
    with pytest.raises(ValueError, match=r"LIFLayer.out_features must be >= 1, got 0"):
        LIFLayer(4, 0)
    with pytest.raises(ValueError, match=r"SpikingMLP.params needs 2 LeakyParams"):
        SpikingMLP((4, 3, 2), [LeakyParams()], device="cpu")
    with pytest.raises(ValueError, match=r"at least 2 widths"):
        SpikingMLP((4,), device="cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            SpikingMLP((4, 2), device="cuda")
    assert SpikingMLP((4, 2), device="auto").device.type in ("cpu", "cuda")
