r"""Why recurrent nets are hard to train, measured (Hinton lecture 7d; Bengio, Simard &
Frasconi 1994; Pascanu, Mikolov & Bengio 2013).

Backpropagating an error from step :math:`t` to step :math:`k` multiplies by the Jacobians

.. math::
    \frac{\partial E}{\partial h_k} = \frac{\partial E}{\partial h_t}
    \prod_{i=k+1}^{t} \frac{\partial h_i}{\partial h_{i-1}}, \qquad
    \frac{\partial h_i}{\partial h_{i-1}} = \mathrm{diag}(\phi'(a_i))\, W_{hh}

so :math:`\lVert \partial E / \partial h_k \rVert` shrinks or grows roughly geometrically with
the lag :math:`t - k`, at a rate set by the recurrent weights times the slopes of the
nonlinearity (bounded by :math:`\lVert W_{hh}\rVert \max|\phi'|`). The functions here measure
the norms on the explicit cell path, fit the per-step rate, and give the mean-field
prediction for a random recurrent matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .models import RecurrentModel

__all__ = [
    "gate_statistics",
    "gradient_rate",
    "hidden_gradient_norms",
    "predicted_rate",
    "step_jacobian_norms",
]


def hidden_gradient_norms(
    model: RecurrentModel,
    x: torch.Tensor,
    *,
    readout: torch.Tensor | None = None,
    layer: int = 0,
) -> dict[str, np.ndarray]:
    r"""Norms of :math:`\partial E / \partial h_k` for every step ``k``, with
    :math:`E = \sum_b u^\top h_T^{(b)}` an error injected at the last step only.

    Parameters
    ----------
    model : RecurrentModel
        Run on its explicit cell path (same outputs as the fused path).
    x : Tensor, shape (T, B, F) (time-major; ``batch_first`` models take (B, T, F))
    readout : Tensor, shape (H,) or None
        :math:`u`; default: a fixed unit vector (all ones / sqrt(H)).
    layer : int
        Which layer's (forward-direction) hidden states.

    Returns
    -------
    dict with
        ``lag`` (T,) -- :math:`T - 1 - k`;
        ``h`` (T, B) -- :math:`\lVert \partial E / \partial h_k \rVert` per sequence;
        ``c`` (T, B) -- the same for the LSTM cell state (absent for other cells).
    """
    record: list[dict[str, list[torch.Tensor]]] = []
    with torch.enable_grad():
        model.features(x, record=record)
        rec = record[layer * model.config.num_directions]
        hs = rec["h"]
        H = hs[-1].shape[-1]
        u = (torch.ones(H, device=hs[-1].device) / H**0.5) if readout is None else readout
        energy = (hs[-1] @ u.to(hs[-1])).sum()
        tensors = list(hs) + list(rec.get("c", []))
        grads = torch.autograd.grad(energy, tensors, allow_unused=True)
    T = len(hs)
    norm = [torch.zeros(hs[0].shape[0]) if g is None else g.detach().norm(dim=-1).cpu()
            for g in grads]
    out = {"lag": np.arange(T - 1, -1, -1), "h": torch.stack(norm[:T]).numpy()}
    if "c" in rec:
        out["c"] = torch.stack(norm[T:]).numpy()
    return out


def gradient_rate(norms: np.ndarray, lag: np.ndarray, *, min_lag: int = 1,
                  max_lag: int | None = None) -> float:
    r"""Per-step factor :math:`r` of a geometric fit :math:`\lVert g_{\text{lag}}\rVert \propto
    r^{\text{lag}}`: the exponential of the least-squares slope of the batch-mean
    :math:`\log` norm against the lag (lags in ``[min_lag, max_lag]``).

    Parameters
    ----------
    norms : ndarray, shape (T, B)
    lag : ndarray, shape (T,)
    """
    logn = np.log(np.maximum(norms, 1e-300)).mean(axis=1)
    sel = lag >= min_lag
    if max_lag is not None:
        sel &= lag <= max_lag
    slope = np.polyfit(lag[sel], logn[sel], 1)[0]
    return float(np.exp(slope))


def predicted_rate(model: RecurrentModel, x: torch.Tensor) -> dict[str, float]:
    r"""Mean-field prediction of the per-step gradient factor of a one-layer Elman net.

    For a random recurrent matrix with spectral radius :math:`\rho` (i.i.d. entries), a
    backpropagated vector is multiplied per step by about

    .. math:: r \approx \sigma \, \sqrt{\langle \phi'(a)^2 \rangle}, \qquad
        \sigma = \lVert W \rVert_F / \sqrt{N} \approx \rho,

    the gain of the matrix on a random vector (close to its spectral radius :math:`\rho` for
    i.i.d. entries; the largest eigenvalue of a finite matrix sits slightly outside the
    circle of radius :math:`\sigma`) times the root-mean-square slope of the nonlinearity along
    the trajectory. Unsaturated units give :math:`r \approx \rho \langle\phi'\rangle`.
    Pascanu et al. (2013) give :math:`\lVert W\rVert_2 \max|\phi'|` as the upper bound.

    Returns
    -------
    dict: ``spectral_radius`` :math:`\rho`, ``gain`` :math:`\sigma`, ``mean_slope``,
    ``rms_slope``, ``rate_mean`` (:math:`\rho` times the mean slope), ``rate_rms``
    (:math:`\sigma` times the rms slope), ``bound`` (:math:`\lVert W \rVert_2 \max \phi'`).
    """
    cell = model.config.cell
    if cell not in ("rnn_tanh", "rnn_logistic"):
        raise ValueError(f"predicted_rate is for Elman nets (rnn_tanh/rnn_logistic), got {cell}")
    w = model.core.weight_hh_l0.detach()
    with torch.no_grad():
        h, _ = model.features(x)
    slope = 1 - h**2 if cell == "rnn_tanh" else h * (1 - h)
    rho = float(torch.linalg.eigvals(w.double()).abs().max())
    gain = float(torch.linalg.matrix_norm(w, ord="fro")) / w.shape[0] ** 0.5
    maxslope = 1.0 if cell == "rnn_tanh" else 0.25
    return {
        "spectral_radius": rho,
        "mean_slope": float(slope.mean()),
        "rms_slope": float(slope.pow(2).mean().sqrt()),
        "rate_mean": rho * float(slope.mean()),
        "gain": gain,
        "rate_rms": gain * float(slope.pow(2).mean().sqrt()),
        "bound": float(torch.linalg.matrix_norm(w, ord=2)) * maxslope,
    }


def step_jacobian_norms(model: RecurrentModel, x: torch.Tensor) -> np.ndarray:
    r"""Spectral norms :math:`\lVert \partial h_t / \partial h_{t-1} \rVert_2` of a one-layer
    Elman net, per step and sequence, shape (T, B)."""
    cell = model.config.cell
    if cell not in ("rnn_tanh", "rnn_logistic"):
        raise ValueError(f"step_jacobian_norms is for Elman nets, got {cell}")
    w = model.core.weight_hh_l0.detach()
    with torch.no_grad():
        h, _ = model.features(x)
        slope = 1 - h**2 if cell == "rnn_tanh" else h * (1 - h)
        jac = slope.unsqueeze(-1) * w  # diag(phi') W, (T, B, H, H)
        return torch.linalg.matrix_norm(jac, ord=2).cpu().numpy()


def gate_statistics(model: RecurrentModel, x: torch.Tensor) -> dict[str, Any]:
    """Mean and standard deviation of each gate of an LSTM (i, f, g, o) or GRU (r, z, n),
    layer 0, forward direction, over steps, sequences and units."""
    cell = model.config.cell
    names = {"lstm": ("input", "forget", "cell", "output"), "gru": ("reset", "update", "new")}
    if cell not in names:
        raise ValueError(f"gate_statistics needs an LSTM or GRU, got {cell}")
    record: list[dict[str, list[torch.Tensor]]] = []
    with torch.no_grad():
        model.features(x, record=record)
    gates = torch.stack(record[0]["gates"])  # (T, B, G*H)
    parts = gates.chunk(len(names[cell]), dim=-1)
    return {n: {"mean": float(p.mean()), "std": float(p.std())}
            for n, p in zip(names[cell], parts)}
