"""Learning rules for one recurrent spiking network: the rule-swap family ``rsnn``.

The network is e-prop's recurrent (AL)IF network with a leaky readout
(:mod:`backprop.eprop`; Bellec et al. 2020): same neurons, same sizes, same initial weights
for a seed. Only the rule that turns a batch into weight gradients changes:

``"bptt"``
    Backpropagation through time with e-prop's pseudo-derivative as the surrogate gradient
    of the spike (autograd through :func:`backprop.eprop.rsnn_forward`'s recurrence; the
    reset term held constant, as in the paper's derivation).
``"tbptt"``
    Truncated BPTT (Williams & Peng 1990): the network state (membrane, adaptation, last
    spikes) is detached every ``truncation`` steps, so no gradient flows across a window
    boundary; the readout's leaky filter is linear and outside the network, and stays exact.
    With ``truncation >= T`` it is BPTT (tested).
``"eprop_symmetric"`` / ``"eprop_random"``
    e-prop with the learning signal broadcast through ``W_out.T`` or through a fixed random
    matrix (:func:`backprop.eprop.eprop_gradients`). With random feedback this is the
    spiking form of the random-feedback local online rule (RFLO, Murray 2019: eligibility
    traces of the presynaptic activity filtered by the membrane, times the postsynaptic
    derivative, times a randomly projected error; for leaky neurons e-prop's eligibility
    trace is that trace).
``"readout"``
    Input and recurrent weights frozen at their initial values; only the readout learns
    (its exact gradient, the same as every other rule's): the reservoir control.

All rules share the loss (cross-entropy of ``softmax(y_t)`` over the last
``readout_steps`` steps, averaged over batch and window) and the optimiser (Adam, applied by
the caller), so a difference in a family's results is the rule's.

References
----------
Bellec, G. et al. (2020). A solution to the learning dilemma for recurrent networks of
spiking neurons. Nat. Commun. 11:3625. Murray, J. M. (2019). Local online learning in
recurrent networks with random feedback. eLife 8:e43299. Williams, R. J. & Peng, J. (1990).
An efficient gradient-based algorithm for on-line training of recurrent network
trajectories. Neural Comput. 2:490.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import Tensor

from backprop.eprop import (
    EPropParams,
    _beta_vec,
    _no_self,
    _SpikePD,
    eprop_gradients,
    readout_loss,
)
from backprop.neuron_math import adaptive_threshold, leaky_update
from backprop.utils import check_choice, check_int

__all__ = ["RSNN_RULES", "bptt_gradients", "rsnn_gradients"]

#: the rules of the ``rsnn`` family (see the module docstring)
RSNN_RULES = ("bptt", "tbptt", "eprop_symmetric", "eprop_random", "readout")
_KEYS = ("w_in", "w_rec", "w_out", "b_out")


def bptt_gradients(x: Tensor, target: Tensor, weights: dict[str, Tensor], p: EPropParams,
                   truncation: int | None = None, loss: str = "ce", per_step: bool = False,
                   mask: Tensor | None = None) -> dict[str, Any]:
    """Gradients of e-prop's loss by (truncated) backpropagation through time.

    Parameters
    ----------
    x : Tensor, shape (T, B, n_in)
    target : Tensor of int64, shape (B,)
    weights : dict
        ``w_in (N, n_in)``, ``w_rec (N, N)`` (diagonal ignored), ``w_out (K, N)``,
        ``b_out (K,)``; not modified.
    p : EPropParams
    truncation : int or None
        Detach the network state every ``truncation`` steps (None: full BPTT).
    loss, per_step, mask :
        The readout's loss (:func:`backprop.eprop.readout_loss`).

    Returns
    -------
    dict with ``grads`` (same keys as ``weights``), ``loss``, ``y (T, B, K)``, ``z (T, B, N)``
    and ``rate``, as :func:`backprop.eprop.eprop_gradients`.
    """
    if truncation is not None:
        check_int("truncation", truncation, low=1)
    T, B, _ = x.shape
    N = weights["w_in"].shape[0]
    beta = _beta_vec(N, p, x)
    with torch.enable_grad():
        w = {k: weights[k].detach().requires_grad_(True) for k in _KEYS}
        w_rec = _no_self(w["w_rec"])
        v = x.new_zeros(B, N)
        a = x.new_zeros(B, N)
        z = x.new_zeros(B, N)
        y = x.new_zeros(B, w["w_out"].shape[0])
        cur = x @ w["w_in"].T
        ys, zs = [], []
        for t in range(T):
            if truncation is not None and t > 0 and t % truncation == 0:
                v, a, z = v.detach(), a.detach(), z.detach()
            a, thresh = adaptive_threshold(a, z, p.rho, p.threshold, beta)
            v = leaky_update(v, cur[t] + z @ w_rec.T, z.detach(), p.alpha, p.threshold,
                             "subtract")
            z = _SpikePD.apply(v - thresh, p)
            y = p.kappa * y + z @ w["w_out"].T + w["b_out"]
            ys.append(y)
            zs.append(z)
        y_all = torch.stack(ys)
        loss_v = readout_loss(y_all, target, p, loss, per_step, mask)
        grads = torch.autograd.grad(loss_v, [w[k] for k in _KEYS])
    z_all = torch.stack(zs).detach()
    return {"grads": dict(zip(_KEYS, grads, strict=True)), "loss": float(loss_v.detach()),
            "y": y_all.detach(), "z": z_all, "rate": float(z_all.mean())}


@torch.no_grad()
def rsnn_gradients(rule: str, x: Tensor, target: Tensor, weights: dict[str, Tensor],
                   p: EPropParams, feedback: Tensor, truncation: int = 10, loss: str = "ce",
                   per_step: bool = False, mask: Tensor | None = None) -> dict[str, Any]:
    """The weight gradients of ``rule`` (one of :data:`RSNN_RULES`) for a batch.

    Parameters
    ----------
    rule : str
    x, target, weights, p : as :func:`bptt_gradients`
    feedback : Tensor, shape (N, K)
        The fixed random broadcast matrix (used by ``"eprop_random"`` only).
    truncation : int
        The window of ``"tbptt"`` (steps).
    loss, per_step, mask :
        The readout's loss (:func:`backprop.eprop.readout_loss`), the same for every rule.

    Returns
    -------
    dict as :func:`bptt_gradients`; ``"readout"`` returns zero gradients for ``w_in`` and
    ``w_rec``.
    """
    check_choice("rule", rule, RSNN_RULES)
    if rule in ("bptt", "tbptt"):
        return bptt_gradients(x, target, weights, p, truncation if rule == "tbptt" else None,
                              loss, per_step, mask)
    fb = "symmetric" if rule == "eprop_symmetric" else "random"
    q = p if p.feedback == fb else dataclasses.replace(p, feedback=fb)
    out = eprop_gradients(x, target, weights, q, feedback, loss, per_step, mask)
    if rule == "readout":
        out["grads"]["w_in"] = torch.zeros_like(out["grads"]["w_in"])
        out["grads"]["w_rec"] = torch.zeros_like(out["grads"]["w_rec"])
    return out
