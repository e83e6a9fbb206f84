"""Torch backend: the models' pure step functions on tensors of shape ``(B, n)``.

Runs on CPU or CUDA (``device="auto"`` picks CUDA when available). The leading batch
dimension holds ``B`` independent copies of the network (own state, own Poisson input,
optional per-copy currents ``(T, B, n)``); weights are shared. Dense projections use a dense
matmul, sparse ones a CSR sparse matmul. With float64 on CPU the spikes equal the numpy and
numba backends' for the same seed and inputs.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from neurosim.backends.array_backend import ArrayRunner, _csr_t


class TorchOps:
    """torch implementation of the ops used by :class:`ArrayRunner`."""

    def __init__(self, device: str, dtype: Any) -> None:
        self.device = torch.device(device)
        self.dtype = torch.float32 if dtype == np.float32 else torch.float64

    def asarr(self, x: Any) -> torch.Tensor:
        if isinstance(x, torch.Tensor):
            return x.to(self.device, self.dtype)
        return torch.as_tensor(np.asarray(x), dtype=self.dtype, device=self.device).clone()

    def asbool(self, x: Any) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(x), dtype=torch.bool, device=self.device)

    def to_np(self, x: Any) -> np.ndarray:
        return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)

    def tofloat(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.dtype)

    def stack(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(xs)

    def matrix(self, syn: Any, sel: np.ndarray | None) -> Any:
        wt = _csr_t(syn, sel)
        if syn.dense or wt.nnz > 0.2 * syn.n_pre * syn.post.n:
            dense = torch.as_tensor(wt.T.toarray(), dtype=self.dtype, device=self.device)
            return lambda src: src @ dense
        wt.sort_indices()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
            sparse = torch.sparse_csr_tensor(
                torch.as_tensor(wt.indptr, dtype=torch.int64),
                torch.as_tensor(wt.indices, dtype=torch.int64),
                torch.as_tensor(wt.data, dtype=self.dtype), size=wt.shape,
                check_invariants=False,
            ).to(self.device)
        return lambda src: (sparse @ src.T).T

    def nonzero(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return torch.nonzero(x, as_tuple=True)

    def index(self, idx: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(idx, dtype=torch.int64, device=self.device)


class TorchBackend:
    """Batched CPU/GPU backend on torch tensors."""

    name = "torch"

    def prepare(self, plan: Any, state: dict[str, dict[str, np.ndarray]]) -> ArrayRunner:
        return ArrayRunner(plan, state, TorchOps(plan.device, plan.dtype))
