"""Hessian-free optimisation (Martens 2010; Martens & Sutskever 2011) for small models.

Each update minimises a damped quadratic model of the loss around the current weights,

.. math::
    q(d) = g^\\top d + \\tfrac12 d^\\top (G + \\lambda I) d,
    \\qquad G = J^\\top H_L J,

with the Gauss--Newton matrix :math:`G` (:math:`J` the Jacobian of the network outputs with
respect to the weights, :math:`H_L` the Hessian of the loss with respect to the outputs,
positive semi-definite for MSE and cross-entropy on logits) used only through products
:math:`Gv` -- a forward-mode product :math:`Jv` (``torch.func.jvp``), the loss Hessian applied to
it, and a reverse-mode product :math:`J^\\top u` (``torch.func.vjp``). The quadratic is
minimised by conjugate gradient started from the previous direction times ``decay``, with
Martens' relative-progress stopping rule and CG backtracking; the damping :math:`\\lambda`
follows the Levenberg--Marquardt rule on the reduction ratio; a backtracking line search
scales the step. The lectures' point (Hinton 7d): HF "can detect directions with a tiny
gradient but even smaller curvature".

**Work counted.** :attr:`HessianFree.counts` adds up, over every update run, what each one
did: its gradient (one forward pass storing the activations, one backward pass), its
Gauss--Newton products (a forward pass with the forward-mode product :math:`Jv`, and one
backward pass through the stored activations: one per CG iteration, one more for the
warm-started residual :math:`b - Ax_0`, one for the reduction ratio), its loss evaluations
(forward passes without storage: CG backtracking and the line search), each also weighted
by the sequences in the batch (``*_sequences``); and the CG iterations themselves.
:meth:`HessianFree.op_costs` measures what one of each costs on one sequence, so the whole
fit's work is the counts times these costs (``comparisons.learners.families``).

Not implemented: structural damping of the hidden states (Martens & Sutskever 2011, sec. 3),
mini-batch curvature subsampling (the curvature uses the whole batch given).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.func import functional_call, grad, jvp, vjp

from .models import explicit_cells
from .utils import check_positive_int, check_real

__all__ = ["HessianFree", "conjugate_gradient", "gauss_newton_product"]

#: the work :attr:`HessianFree.counts` adds up (module docstring)
_COUNT_KEYS = ("steps", "gradients", "gn_products", "loss_evals", "gradient_sequences",
               "gn_product_sequences", "loss_eval_sequences", "cg_iterations",
               "peak_vector_bytes")


def conjugate_gradient(
    matvec: Callable[[torch.Tensor], torch.Tensor],
    b: torch.Tensor,
    x0: torch.Tensor | None = None,
    *,
    max_iter: int = 50,
    tol: float = 5e-4,
    min_iter: int = 1,
    keep: Callable[[int], bool] | None = None,
) -> tuple[torch.Tensor, list[tuple[int, torch.Tensor]], int]:
    r"""Minimise :math:`\phi(x) = \tfrac12 x^\top A x - b^\top x` (solve :math:`Ax = b`) by CG.

    Stops after ``max_iter`` iterations, or with Martens' (2010) relative-progress rule:
    at iteration :math:`i > k`, :math:`k = \max(10, \lceil 0.1 i \rceil)`, stop when
    :math:`\phi_i < 0` and :math:`(\phi_i - \phi_{i-k}) / \phi_i < k \cdot \text{tol}`.

    Parameters
    ----------
    matvec : callable, ``v -> A v`` for a symmetric positive-definite ``A``, shape (n,)
    b : Tensor, shape (n,)
    x0 : Tensor, shape (n,) or None
        Starting point (default zeros).
    keep : callable ``i -> bool`` or None
        Which iterates to return for backtracking (the last one is always returned).

    Returns
    -------
    x : Tensor, shape (n,)
        The last iterate.
    kept : list of (iteration, iterate)
    iterations : int
    """
    x = torch.zeros_like(b) if x0 is None else x0.clone()
    r = b - matvec(x) if x0 is not None else b.clone()
    p = r.clone()
    rs = r @ r
    phis: list[float] = []
    kept: list[tuple[int, torch.Tensor]] = []
    i = 0
    for i in range(1, max_iter + 1):
        ap = matvec(p)
        pap = p @ ap
        if pap <= 0:  # not positive definite along p (numerically); stop
            i -= 1
            break
        alpha = rs / pap
        x = x + alpha * p
        r = r - alpha * ap
        rs_new = r @ r
        # phi(x) = 0.5 x'Ax - b'x = -0.5 x'(b + r)
        phis.append(float(-0.5 * (x @ (b + r))))
        if keep is not None and keep(i):
            kept.append((i, x.clone()))
        k = max(10, math.ceil(0.1 * i))
        if i > k and i >= min_iter and phis[-1] < 0:
            if (phis[-1] - phis[-1 - k]) / phis[-1] < k * tol:
                break
        if rs_new.sqrt() < 1e-12:
            break
        p = r + (rs_new / rs) * p
        rs = rs_new
    if not kept or kept[-1][0] != i:
        kept.append((i, x.clone()))
    return x, kept, i


def gauss_newton_product(
    forward: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    loss_of_output: Callable[[torch.Tensor], torch.Tensor],
    params: dict[str, torch.Tensor],
    v: dict[str, torch.Tensor],
    *,
    output: torch.Tensor | None = None,
    vjp_fn: Callable | None = None,
) -> dict[str, torch.Tensor]:
    r"""The Gauss--Newton product :math:`G v = J^\top H_L J v` (Schraudolph 2002).

    Parameters
    ----------
    forward : callable, params -> outputs (any shape)
    loss_of_output : callable, outputs -> scalar loss
    params, v : dicts of tensors with the same keys and shapes
    output, vjp_fn : optional, from a previous ``torch.func.vjp(forward, params)`` (reused)

    Returns
    -------
    dict of tensors like ``params``
    """
    out_t, jv = jvp(forward, (params,), (v,))
    if output is None or vjp_fn is None:
        output, vjp_fn = vjp(forward, params)
    _, hjv = jvp(grad(loss_of_output), (output,), (jv,))
    return vjp_fn(hjv)[0]


class HessianFree:
    """Hessian-free optimiser for :class:`backprop.train.Trainer` (``optimizer="hf"``).

    Parameters
    ----------
    model : nn.Module
        Must be deterministic (no dropout in training); recurrent models are run on their
        explicit cell path (forward-mode AD).
    lr : float
        Largest step scale tried by the line search (1.0 = the CG solution).
    damping : float
        Initial Tikhonov damping :math:`\\lambda`.
    cg_max_iter, cg_tol : CG limits (see :func:`conjugate_gradient`).
    decay : float
        CG starts from ``decay`` times the previous direction (Martens 2010: 0.95).

    Attributes
    ----------
    last : dict
        The last update's loss before and after, CG iterations, damping, reduction ratio,
        step scale, and the work it did (the keys of :attr:`counts`, this update only).
    counts : dict of int
        The work of every update run since construction (see the module docstring):
        ``steps``; ``gradients``, ``gn_products``, ``loss_evals`` (each a pass over the
        batch) and the same weighted by the batch's sequences, ``gradient_sequences``,
        ``gn_product_sequences``, ``loss_eval_sequences``; ``cg_iterations``; and
        ``peak_vector_bytes``, the most bytes of parameter-sized vectors an update held at
        once (the gradient, CG's right-hand side, iterate, residual, direction and product,
        the iterates kept for backtracking and the previous direction).
    """

    is_hessian_free = True

    def __init__(
        self,
        model: nn.Module,
        lr: float = 1.0,
        *,
        damping: float = 1.0,
        cg_max_iter: int = 50,
        cg_tol: float = 5e-4,
        decay: float = 0.95,
    ) -> None:
        damping = check_real("HessianFree.damping", damping, low=0, low_open=True)
        decay = check_real("HessianFree.decay", decay, low=0, high=1)
        cg_max_iter = check_positive_int("HessianFree.cg_max_iter", cg_max_iter)
        self.model = model
        self.names = [n for n, p in model.named_parameters() if p.requires_grad]
        params = [p for p in model.parameters() if p.requires_grad]
        self.param_groups = [{"params": params, "lr": float(lr)}]
        self.damping = float(damping)
        self.cg_max_iter = cg_max_iter
        self.cg_tol = cg_tol
        self.decay = decay
        self.prev: torch.Tensor | None = None
        self.last: dict[str, float] = {}
        self.counts: dict[str, int] = dict.fromkeys(_COUNT_KEYS, 0)

    # -- flat <-> dict ---------------------------------------------------------------------
    def _params(self) -> dict[str, torch.Tensor]:
        named = dict(self.model.named_parameters())
        return {n: named[n].detach() for n in self.names}

    @staticmethod
    def _flat(d: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.cat([t.reshape(-1) for t in d.values()])

    def _unflat(self, v: torch.Tensor, like: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out, i = {}, 0
        for n, t in like.items():
            out[n] = v[i : i + t.numel()].view_as(t)
            i += t.numel()
        return out

    def _batch_size(self, forward_args: tuple) -> int:
        """Sequences in the batch: the batch axis of the first forward argument (axis 0 when
        the model's ``config.batch_first``, else 1; axis 0 for a 2-D input)."""
        x = forward_args[0]
        if x.ndim < 3:
            return int(x.shape[0])
        batch_first = bool(getattr(getattr(self.model, "config", None), "batch_first", False))
        return int(x.shape[0 if batch_first else 1])

    def op_costs(
        self,
        forward_args: tuple,
        loss_of_output: Callable[[torch.Tensor], torch.Tensor],
        measure: Callable[[Callable[[], Any]], float],
    ) -> dict[str, float]:
        """What one gradient, one Gauss--Newton product and one loss evaluation cost on
        ``forward_args`` (e.g. one sequence), each as ``measure(fn)`` returns it for a call
        ``fn()`` doing exactly that (e.g. the MACs ``FlopCounterMode`` counts). They are
        run as :meth:`step_on_batch` runs them, the Gauss--Newton product as the sum of
        its forward-mode product :math:`Jv` and its backward product :math:`J^\\top u`
        (the loss Hessian between them, on the outputs, is run but not measured: it is
        elementwise for MSE, binary and softmax cross-entropy); the weights,
        :attr:`counts` and the optimiser's state are unchanged.

        Returns
        -------
        dict with ``gradient``, ``gn_product``, ``loss_eval``.
        """
        model = self.model
        buffers = dict(model.named_buffers())
        params = self._params()

        def forward(ps: dict[str, torch.Tensor]) -> torch.Tensor:
            return functional_call(model, (ps, buffers), forward_args).float()

        with explicit_cells(model):
            def gradient() -> Any:
                out, fn = vjp(forward, params)
                return fn(grad(loss_of_output)(out))[0]

            cost_g = measure(gradient)
            # the Gauss-Newton product of gauss_newton_product in its three parts, measured
            # apart (a measuring dispatch mode around the nested transform jvp(grad(...))
            # can crash torch): J v, the loss Hessian on the outputs (elementwise for the
            # trainer's losses), J^T u through the stored activations
            out0, vjp_fn = vjp(forward, params)
            v = {n: torch.ones_like(t) for n, t in params.items()}
            jv_box: list[torch.Tensor] = []
            cost_jv = measure(lambda: jv_box.append(jvp(forward, (params,), (v,))[1]))
            _, hjv = jvp(grad(loss_of_output), (out0,), (jv_box[0],))
            cost_jtu = measure(lambda: vjp_fn(hjv))
            cost_gv = cost_jv + cost_jtu

            def loss_eval() -> float:
                with torch.no_grad():
                    return float(loss_of_output(forward(params)))

            cost_f = measure(loss_eval)
        return {"gradient": float(cost_g), "gn_product": float(cost_gv),
                "loss_eval": float(cost_f)}

    # -- one update -----------------------------------------------------------------------
    def step_on_batch(
        self,
        forward_args: tuple,
        loss_of_output: Callable[[torch.Tensor], torch.Tensor],
        check: Callable[[torch.Tensor, int, int], float] | None = None,
        *,
        epoch: int = 0,
        batch: int = 0,
    ) -> float:
        """One HF update on one batch; returns the loss before the update."""
        model = self.model
        buffers = dict(model.named_buffers())
        params = self._params()
        work = {"gradients": 0, "gn_products": 0, "loss_evals": 0}

        def forward(ps: dict[str, torch.Tensor]) -> torch.Tensor:
            return functional_call(model, (ps, buffers), forward_args).float()

        def loss_at(ps: dict[str, torch.Tensor]) -> float:
            work["loss_evals"] += 1
            with torch.no_grad():
                return float(loss_of_output(forward(ps)))

        with explicit_cells(model):
            out0, vjp_fn = vjp(forward, params)
            loss0_t = loss_of_output(out0)
            loss0 = check(loss0_t, epoch, batch) if check is not None else float(loss0_t)
            g = self._flat(vjp_fn(grad(loss_of_output)(out0))[0])
            work["gradients"] += 1
            lam = self.damping

            def gv(v_flat: torch.Tensor) -> torch.Tensor:
                work["gn_products"] += 1
                v = self._unflat(v_flat, params)
                prod = gauss_newton_product(
                    forward, loss_of_output, params, v, output=out0, vjp_fn=vjp_fn
                )
                return self._flat(prod) + lam * v_flat

            x0 = None if self.prev is None else self.decay * self.prev
            keep_at = {math.ceil(1.3**j) for j in range(40)}
            d, kept, iters = conjugate_gradient(
                gv, -g, x0, max_iter=self.cg_max_iter, tol=self.cg_tol,
                keep=lambda i: i in keep_at,
            )
            # CG backtracking: walk back from the last kept iterate while the loss improves
            best_d, best_loss = kept[-1][1], loss_at(self._add(params, kept[-1][1]))
            for _, cand in reversed(kept[:-1]):
                cand_loss = loss_at(self._add(params, cand))
                if cand_loss < best_loss:
                    best_d, best_loss = cand, cand_loss
                else:
                    break
            # parameter-sized vectors held at CG's end: g, and in CG b = -g, x, r, p, Ap;
            # the iterates kept for backtracking; the previous direction (CG's start)
            vector_bytes = (6 * g.nbytes + sum(t.nbytes for _, t in kept)
                            + (0 if self.prev is None else self.prev.nbytes))
            self.prev = best_d
            # reduction ratio of the undamped quadratic model -> Levenberg-Marquardt damping
            q = float(g @ best_d + 0.5 * (best_d @ (gv(best_d) - lam * best_d)))
            rho = (best_loss - loss0) / q if q < 0 else -math.inf
            if rho < 0.25:
                self.damping *= 1.5
            elif rho > 0.75:
                self.damping *= 2.0 / 3.0
            # backtracking line search (Armijo) on the step scale
            alpha, slope = self.param_groups[0]["lr"], float(g @ best_d)
            new_loss = best_loss if alpha == 1.0 else loss_at(self._add(params, alpha * best_d))
            tries = 0
            while not (new_loss <= loss0 + 1e-2 * alpha * slope) and tries < 60:
                alpha *= 0.8
                new_loss = loss_at(self._add(params, alpha * best_d))
                tries += 1
            if not new_loss <= loss0 + 1e-2 * alpha * slope:
                alpha = 0.0
        if alpha > 0:
            with torch.no_grad():
                new = self._add(params, alpha * best_d)
                named = dict(model.named_parameters())
                for n in self.names:
                    named[n].copy_(new[n])
        seqs = self._batch_size(forward_args)
        done = {**work, "steps": 1, "gradient_sequences": work["gradients"] * seqs,
                "gn_product_sequences": work["gn_products"] * seqs,
                "loss_eval_sequences": work["loss_evals"] * seqs, "cg_iterations": iters}
        for k, v in done.items():
            self.counts[k] = self.counts.get(k, 0) + v
        self.counts["peak_vector_bytes"] = max(self.counts.get("peak_vector_bytes", 0),
                                               int(vector_bytes))
        self.last = {
            "loss_before": loss0, "loss_after": new_loss if alpha > 0 else loss0,
            "cg_iterations": iters, "damping": self.damping, "rho": rho, "alpha": alpha,
            **done, "vector_bytes": int(vector_bytes),
        }
        return loss0

    def _add(self, params: dict[str, torch.Tensor], d: torch.Tensor) -> dict[str, torch.Tensor]:
        step = self._unflat(d, params)
        return {n: params[n] + step[n] for n in params}

    # -- optimizer protocol bits used by the Trainer ------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:  # noqa: ARG002 - protocol
        return None

    def state_dict(self) -> dict[str, Any]:
        return {
            "damping": self.damping, "prev": self.prev,
            "lr": self.param_groups[0]["lr"],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.damping = float(state["damping"])
        self.prev = state["prev"]
        self.param_groups[0]["lr"] = float(state["lr"])
