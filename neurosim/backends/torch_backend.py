"""Torch backend: the models' pure step functions on tensors of shape ``(B, n)``.

Runs on CPU or CUDA (``device="auto"`` picks CUDA when available). The leading batch
dimension holds ``B`` independent copies of the network (own state, own Poisson input,
optional per-copy currents ``(T, B, n)``); weights are shared. Dense projections use a dense
matmul, sparse ones a CSR sparse matmul. With float64 on CPU the spikes equal the numpy and
numba backends' for the same seed and inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from neurosim.backends.array_backend import ArrayBackend, _csr_t


class TorchOps:
    """torch implementation of the ops used by :class:`ArrayRunner`."""

    def __init__(self, device: str, dtype: Any) -> None:
        self.device = torch.device(device)
        self.dtype = torch.float32 if dtype == np.float32 else torch.float64

    def asarr(self, x: Any) -> torch.Tensor:
        if isinstance(x, torch.Tensor):
            return x.to(self.device, self.dtype)
        return torch.as_tensor(np.array(x, dtype=np.float64), device=self.device).to(self.dtype)

    def asbool(self, x: Any) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(x), dtype=torch.bool, device=self.device)

    def to_np(self, x: Any) -> np.ndarray:
        return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)

    def tofloat(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.dtype)

    def stack(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(xs)

    def matrix(self, syn: Any, sel: np.ndarray | None) -> Any:
        """Delivery function ``spikes (B, n_pre) -> input (B, n_post)``: a dense
        matmul for dense projections, otherwise event-driven (gather the rows of the
        spiking neurons, scatter-add their weights; work ~ spikes x fan-out). ``spikes``
        is bool, or float amplitudes (short-term plasticity's release ``r``: each
        synapse adds ``w * r`` of its source; zeros are no events)."""
        wt = _csr_t(syn, sel)
        if syn.dense or wt.nnz > 0.2 * syn.n_pre * syn.post.n:
            dense = torch.as_tensor(wt.T.toarray(), dtype=self.dtype, device=self.device)
            return lambda spk: spk.to(self.dtype) @ dense
        w = wt.T.tocsr()
        w.sort_indices()
        dev = self.device
        indptr = torch.as_tensor(w.indptr, dtype=torch.int64, device=dev)
        cols = torch.as_tensor(w.indices, dtype=torch.int64, device=dev)
        vals = torch.as_tensor(w.data, dtype=self.dtype, device=dev)
        n_post = syn.post.n

        def deliver(spk: torch.Tensor) -> torch.Tensor:
            out = torch.zeros(spk.shape[0], n_post, dtype=self.dtype, device=dev)
            b_idx, i_idx = torch.nonzero(spk, as_tuple=True)
            if b_idx.numel() == 0:
                return out
            starts = indptr[i_idx]
            lens = indptr[i_idx + 1] - starts
            total = int(lens.sum())
            rep_b = torch.repeat_interleave(b_idx, lens, output_size=total)
            shift = torch.repeat_interleave(starts - (torch.cumsum(lens, 0) - lens), lens,
                                            output_size=total)
            pos = shift + torch.arange(total, device=dev)
            v = vals[pos]
            if spk.is_floating_point():
                amp = spk[b_idx, i_idx].to(self.dtype)
                v = v * torch.repeat_interleave(amp, lens, output_size=total)
            out.index_put_((rep_b, cols[pos]), v, accumulate=True)
            return out

        return deliver

    def nonzero(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return torch.nonzero(x, as_tuple=True)

    def isfinite_all(self, x: torch.Tensor) -> torch.Tensor:
        return torch.isfinite(x).all()

    def index(self, idx: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(idx, dtype=torch.int64, device=self.device)


class TorchBackend(ArrayBackend):
    """Batched CPU/GPU backend on torch tensors (plastic projections learn per copy)."""

    name = "torch"

    def ops(self, plan: Any) -> TorchOps:
        return TorchOps(plan.device, plan.dtype)
