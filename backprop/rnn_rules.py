r"""Learning rules for one rate RNN: the rule-swap family ``rnn``.

The network is :class:`backprop.models.ElmanRNN` (one tanh layer, learned initial state,
linear readout; Elman 1990):

.. math:: h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad
          y = W_{out} h + b_{out}

(``y`` at every step, or from the last state). :class:`RuleRNN` runs the same forward pass
and changes only what flows backwards, so every rule is trained by the same
:class:`backprop.train.Trainer` (loss, Adam, clipping, early stopping) on the same weights:

``"bptt"``
    Backpropagation through time (Rumelhart, Hinton & Williams 1986; Werbos 1990).
``"tbptt"``
    Truncated BPTT (Williams & Peng 1990): the hidden state is detached every
    ``truncation`` steps. ``truncation >= T`` is BPTT (tested).
``"feedback_alignment"``
    Feedback alignment through time (Lillicrap et al. 2016, applied to the unrolled
    network): the error reaches the hidden units through fixed random matrices ``B_out``
    and ``B_hh`` in place of ``W_out.T`` and ``W_hh.T``; the forward pass and the local
    weight gradients (error times presynaptic activity) are BPTT's.
``"rflo"``
    Random-feedback local online learning (Murray 2019): the output error through ``B_out``
    times an eligibility trace of the presynaptic activity. For Elman units (no leak,
    :math:`\tau = 1` in Murray's notation) the trace is :math:`\phi'(u_{i,t}) h_{j,t-1}`
    (and :math:`\phi'(u_{i,t}) x_{j,t}`), which is the gradient with the state detached
    every step and ``B_out`` as the feedback; implemented exactly so.
``"hessian_free"``
    BPTT gradients and curvature, with the Hessian-free optimiser (Martens & Sutskever
    2011; :mod:`backprop.hessian_free`) in place of Adam (the trainer's ``optimizer="hf"``).
``"readout"``
    Recurrent and input weights (and the initial state) frozen: only the readout learns
    (the reservoir control, with the same random network as the other rules).

References
----------
Elman, J. L. (1990). Finding structure in time. Cognitive Science 14:179. Lillicrap, T. P.
et al. (2016). Random synaptic feedback weights support error backpropagation for deep
learning. Nat. Commun. 7:13276. Murray, J. M. (2019). Local online learning in recurrent
networks with random feedback. eLife 8:e43299. Martens, J. & Sutskever, I. (2011).
Learning recurrent neural networks with Hessian-free optimization. ICML.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from backprop.models import ElmanRNN
from backprop.utils import check_choice, check_int

__all__ = ["RNN_RULES", "RuleRNN", "feedback_linear"]

#: the rules of the ``rnn`` family (see the module docstring)
RNN_RULES = ("bptt", "tbptt", "feedback_alignment", "rflo", "hessian_free", "readout")


class _FeedbackLinear(torch.autograd.Function):
    """``x @ W.T`` forward; backward sends the error to ``x`` through ``B`` (not ``W.T``)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(x, b)
        return x @ w.T

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor, Tensor, None]:
        x, b = ctx.saved_tensors
        gx = g @ b  # B has W's shape (out, in): BPTT would send g @ W
        gw = g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        return gx, gw, None


def feedback_linear(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """``x @ w.T`` whose backward pass gives ``x`` the error through the fixed matrix ``b``
    (same shape as ``w``) and ``w`` its usual gradient (feedback alignment)."""
    return _FeedbackLinear.apply(x, w, b)


class RuleRNN(nn.Module):
    """An :class:`~backprop.models.ElmanRNN` (one tanh layer, unidirectional) whose backward
    pass is that of ``rule``; the forward pass is the model's.

    Parameters
    ----------
    model : ElmanRNN
        Holds the weights (trained in place; ``state_dict`` keys are the model's under
        ``model.``).
    rule : str
        One of :data:`RNN_RULES`. ``"hessian_free"`` runs BPTT here (the optimiser differs).
    truncation : int
        Window of ``"tbptt"`` (steps).
    seed : int
        Seeds the fixed random feedback matrices (``"feedback_alignment"``, ``"rflo"``),
        drawn with the scale of the forward weights' initialisation (uniform,
        :math:`\\pm 1/\\sqrt{H}`).
    """

    def __init__(self, model: ElmanRNN, rule: str, truncation: int = 10, seed: int = 0
                 ) -> None:
        super().__init__()
        check_choice("RuleRNN.rule", rule, RNN_RULES)
        cfg = model.config
        if (not isinstance(model, ElmanRNN) or cfg.cell != "rnn_tanh" or cfg.num_layers != 1
                or cfg.bidirectional or cfg.batch_first or cfg.output_size is None):
            raise ValueError("RuleRNN.model must be a one-layer, unidirectional, time-major "
                             "tanh ElmanRNN with a readout, got "
                             f"{type(model).__name__}({model.extra_repr()})")
        self.model, self.rule = model, rule
        self.truncation = check_int("RuleRNN.truncation", truncation, low=1)
        H = cfg.hidden_size
        g = torch.Generator().manual_seed(seed)
        bound = 1.0 / math.sqrt(H)
        like = model.core.weight_hh_l0
        self.register_buffer("b_hh", ((torch.rand(H, H, generator=g) * 2 - 1) * bound)
                             .to(like))
        self.register_buffer("b_out", ((torch.rand(cfg.output_size, H, generator=g) * 2 - 1)
                                       * bound).to(like))
        if rule == "readout":
            for p in (*model.core.parameters(), model.h0):
                p.requires_grad_(False)

    @property
    def config(self) -> Any:
        """The model's :class:`~backprop.models.RNNConfig` (read by the trainer)."""
        return self.model.config

    def forward(self, x: Tensor) -> Tensor:
        """``(T, B, F)`` -> ``(T, B, O)`` (many-to-many) or ``(B, O)`` (many-to-one)."""
        m, rule = self.model, self.rule
        core = m.core
        w_ih, w_hh, b_ih, b_hh = (core.weight_ih_l0, core.weight_hh_l0, core.bias_ih_l0,
                                  core.bias_hh_l0)
        x = x.to(m.h0.dtype)
        T = x.shape[0]
        window = {"tbptt": self.truncation, "rflo": 1}.get(rule)
        fa_rec = rule == "feedback_alignment"
        fa_out = rule in ("feedback_alignment", "rflo")
        cur = x @ w_ih.T + b_ih + b_hh
        h = m.initial_state(x.shape[1])[0]
        hs = []
        for t in range(T):
            if window is not None and t > 0 and t % window == 0:
                h = h.detach()
            rec = feedback_linear(h, w_hh, self.b_hh) if fa_rec else h @ w_hh.T
            h = torch.tanh(cur[t] + rec)
            hs.append(h)
        feat = hs[-1] if m.config.output == "many_to_one" else torch.stack(hs)
        w_out, bias = m.readout.weight, m.readout.bias
        if fa_out:
            return feedback_linear(feat, w_out, self.b_out) + bias
        return feat @ w_out.T + bias
