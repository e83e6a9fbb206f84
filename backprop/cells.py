"""Pure recurrent cells and the explicit per-step loop of :mod:`backprop.models`.

:func:`elman_cell` (Elman 1990), :func:`lstm_cell` (Hochreiter & Schmidhuber 1997; forget gate
of Gers et al. 2000) and :func:`gru_cell` (Cho et al. 2014) are single steps written as the
equations in their docstrings, in ``torch.nn`` weight layout and gate order, so that they read
the parameters of a ``nn.RNN``/``nn.LSTM``/``nn.GRU`` container. :func:`run_direction` runs one
layer in one direction over a sequence (``impl="cell"`` of :class:`backprop.models.RecurrentModel`),
optionally recording per-step hidden states and gates.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["State", "elman_cell", "gru_cell", "lstm_cell", "run_direction"]

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


def elman_cell(
    x_proj: torch.Tensor,
    h: torch.Tensor,
    w_hh: torch.Tensor,
    b_hh: torch.Tensor | None,
    activation: Callable[[torch.Tensor], torch.Tensor] = torch.tanh,
) -> torch.Tensor:
    r"""One step of an Elman (simple recurrent) network (Elman 1990).

    .. math:: h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    Parameters
    ----------
    x_proj : Tensor, shape (B, H)
        The input term :math:`W_{ih} x_t + b_{ih}` (precomputed for all steps at once).
    h : Tensor, shape (B, H)
        Previous hidden state.
    w_hh : Tensor, shape (H, H); b_hh : Tensor, shape (H,) or None
    activation : callable
        :math:`\phi`, ``torch.tanh`` or ``torch.sigmoid`` (logistic units, as in lecture 7c).

    Returns
    -------
    Tensor, shape (B, H)
    """
    return activation(x_proj + F.linear(h, w_hh, b_hh))


def lstm_cell(
    x_proj: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    w_hh: torch.Tensor,
    b_hh: torch.Tensor | None,
    with_gates: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    r"""One step of a long short-term memory cell (Hochreiter & Schmidhuber 1997, with the
    forget gate of Gers et al. 2000), gate order as in ``torch.nn.LSTM`` (i, f, g, o).

    .. math::
        (i, f, g, o) &= (\sigma, \sigma, \tanh, \sigma)(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1}
        + b_{hh}) \\
        c_t &= f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)

    Parameters
    ----------
    x_proj : Tensor, shape (B, 4H)
        :math:`W_{ih} x_t + b_{ih}`.
    h, c : Tensor, shape (B, H)
        Previous hidden and cell state.
    w_hh : Tensor, shape (4H, H); b_hh : Tensor, shape (4H,) or None

    Returns
    -------
    h_t, c_t : Tensor, shape (B, H)
    gates : Tensor, shape (B, 4H), or None when ``with_gates`` is False
        The activated gates ``[i, f, g, o]`` (for inspection).
    """
    pre = x_proj + F.linear(h, w_hh, b_hh)
    i, f, g, o = pre.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_new = f * c + i * g
    h_new = o * torch.tanh(c_new)
    return h_new, c_new, (torch.cat((i, f, g, o), dim=-1) if with_gates else None)


def gru_cell(
    x_proj: torch.Tensor,
    h: torch.Tensor,
    w_hh: torch.Tensor,
    b_hh: torch.Tensor | None,
    with_gates: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    r"""One step of a gated recurrent unit (Cho et al. 2014), gate order as in
    ``torch.nn.GRU`` (r, z, n).

    .. math::
        r &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), \quad
        z = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n &= \tanh(W_{in} x_t + b_{in} + r \odot (W_{hn} h_{t-1} + b_{hn})), \quad
        h_t = (1 - z) \odot n + z \odot h_{t-1}

    Parameters
    ----------
    x_proj : Tensor, shape (B, 3H)
        :math:`W_{ih} x_t + b_{ih}`.
    h : Tensor, shape (B, H)
    w_hh : Tensor, shape (3H, H); b_hh : Tensor, shape (3H,) or None

    Returns
    -------
    h_t : Tensor, shape (B, H)
    gates : Tensor, shape (B, 3H), or None when ``with_gates`` is False
        ``[r, z, n]``.
    """
    hp = F.linear(h, w_hh, b_hh)
    xr, xz, xn = x_proj.chunk(3, dim=-1)
    hr, hz, hn = hp.chunk(3, dim=-1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    h_new = (1.0 - z) * n + z * h
    return h_new, (torch.cat((r, z, n), dim=-1) if with_gates else None)


_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "rnn_tanh": torch.tanh,
    "rnn_logistic": torch.sigmoid,
}


def run_direction(
    cell: str,
    x: torch.Tensor,
    state: State,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor | None,
    b_hh: torch.Tensor | None,
    *,
    reverse: bool = False,
    record: dict[str, list[torch.Tensor]] | None = None,
) -> tuple[torch.Tensor, State]:
    """Run one layer in one direction with the explicit cell loop.

    Parameters
    ----------
    cell : {"rnn_tanh", "rnn_logistic", "lstm", "gru"}
    x : Tensor, shape (T, B, F)
    state : Tensor (B, H), or (h, c) for the LSTM
    w_ih, w_hh, b_ih, b_hh : the torch-layout weights of this layer and direction
    reverse : bool
        Process the sequence from the last step to the first (backward direction).
    record : dict or None
        When given, the per-step hidden states (``"h"``; graph tensors, so ``retain_grad``
        works on them), cell states (``"c"``) and gates (``"gates"``) are appended, in the
        order they were computed.

    Returns
    -------
    outputs : Tensor, shape (T, B, H), in input time order
    final_state : like ``state``
    """
    T = x.shape[0]
    # one matmul for all steps; unbind (not x_proj[t]) so that the backward pass stacks the
    # per-step gradients once instead of scattering each into a full-size zero tensor
    x_proj = F.linear(x, w_ih, b_ih).unbind(0)
    outs: list[torch.Tensor | None] = [None] * T
    steps = range(T - 1, -1, -1) if reverse else range(T)
    if cell == "lstm":
        h, c = state  # type: ignore[misc]
        for t in steps:
            h, c, gates = lstm_cell(x_proj[t], h, c, w_hh, b_hh, record is not None)
            outs[t] = h
            if record is not None:
                record.setdefault("h", []).append(h)
                record.setdefault("c", []).append(c)
                record.setdefault("gates", []).append(gates)
        final: State = (h, c)
    elif cell == "gru":
        h = state  # type: ignore[assignment]
        for t in steps:
            h, gates = gru_cell(x_proj[t], h, w_hh, b_hh, record is not None)
            outs[t] = h
            if record is not None:
                record.setdefault("h", []).append(h)
                record.setdefault("gates", []).append(gates)
        final = h
    else:
        act = _ACTIVATIONS[cell]
        h = state  # type: ignore[assignment]
        for t in steps:
            h = elman_cell(x_proj[t], h, w_hh, b_hh, act)
            outs[t] = h
            if record is not None:
                record.setdefault("h", []).append(h)
        final = h
    return torch.stack(outs), final  # type: ignore[arg-type]
