"""The torch backend on CUDA against the compiled CPU backend, on the networks of the
"engine at scale" issue: CUBA (one network and a batch of independent copies), Brunel (2000)
with STDP, and the Potjans & Diesmann (2014) microcircuit at a small scale.

Marked ``gpu``: skipped without CUDA. Same seed and inputs (Poisson spikes are drawn on the
host from the network's seed whatever the backend), float64: spikes must be equal, learned
weights equal to rounding. ``NEUROSIM_GPU_TEST_DEVICE=cpu`` runs the same checks with torch
on the CPU (a dry run of this file where no GPU is lent; the torch/numba equality itself is
also tested in ``test_backends.py``).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

DEVICE = os.environ.get("NEUROSIM_GPU_TEST_DEVICE", "cuda")


def _cuda_or_skip() -> None:
    if DEVICE == "cpu":
        return
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA (torch.cuda.is_available() is False)")


# the dry run on the CPU is not a GPU test (the repository's conftest skips ``gpu`` tests
# without CUDA)
pytestmark = [] if DEVICE == "cpu" else [pytest.mark.gpu]


def _cuba(backend: str, batch: int = 1, n: int = 1000, seed: int = 0):
    from _cuba_network import cuba

    kw = {"device": DEVICE} if backend == "torch" else {}
    net, mon, _ = cuba(n, seed, backend=backend, batch_size=batch, **kw)
    return net, mon


def _spikes(mon) -> np.ndarray:
    b = mon.batch if getattr(mon, "batch", None) is not None else np.zeros_like(mon.i)
    order = np.lexsort((mon.i, b, mon.steps))
    return np.stack([mon.steps[order], b[order], mon.i[order]])


@pytest.mark.parametrize("batch", [1, 4])
def test_cuba_on_cuda_spikes_equal_the_cpu_backend(batch):
    _cuda_or_skip()
    out = {}
    for backend in ("numba", "torch"):
        net, mon = _cuba(backend, batch)
        net.run(0.2)
        out[backend] = _spikes(mon)
    assert out["numba"].shape[1] > 100
    np.testing.assert_array_equal(out["torch"], out["numba"])


def test_brunel_stdp_on_cuda_equals_the_cpu_backend():
    _cuda_or_skip()
    from neurosim.learning.brunel import BrunelConfig, build_brunel

    cfg = BrunelConfig(n_exc=400)
    res = {}
    for backend in ("numba", "torch"):
        net, syn, mon = build_brunel(cfg, seed=0, backend=backend)
        if backend == "torch":
            net.device = DEVICE
        net.run(0.2)
        res[backend] = (_spikes(mon), np.array(syn.weights, dtype=np.float64))
    assert res["numba"][0].shape[1] > 100
    np.testing.assert_array_equal(res["torch"][0], res["numba"][0])
    np.testing.assert_allclose(res["torch"][1], res["numba"][1], rtol=0, atol=1e-12)


def test_microcircuit_on_cuda_spikes_equal_the_cpu_backend():
    _cuda_or_skip()
    from neurosim.learning.microcircuit import build_microcircuit

    out = {}
    for backend in ("numba", "torch"):
        net, mon, _ = build_microcircuit(scale=0.01, k_scale=0.1, dtype="float64", seed=0,
                                         backend=backend)
        if backend == "torch":
            net.device = DEVICE
        net.run(0.1)
        out[backend] = _spikes(mon)
    assert out["numba"].shape[1] > 10
    np.testing.assert_array_equal(out["torch"], out["numba"])
