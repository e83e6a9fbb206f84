"""Recurrent sequence models trained by backpropagation through time.

:class:`ElmanRNN` (tanh or logistic units), :class:`LSTM` and :class:`GRU` share one base,
:class:`RecurrentModel` (as torch's ``RNNBase`` does): the weights live in a torch
``nn.RNN``/``nn.LSTM``/``nn.GRU`` container, and the forward pass runs either

- ``impl="fused"``: torch's fused kernels (cuDNN on a GPU) -- the fast path, or
- ``impl="cell"``: an explicit per-step loop over the pure cell functions below
  (:func:`elman_cell`, :func:`lstm_cell`, :func:`gru_cell`) -- the path to use when gates or
  per-step gradients are inspected (:mod:`backprop.diagnostics`).

Both paths read the same parameters and give the same outputs (tested). The initial state is a
learned parameter trained by BPTT, as Hinton's lecture 7b recommends ("treat the initial states
as learned parameters"). A linear readout maps hidden states to outputs, either at every step
(``output="many_to_many"``, synced) or once from the final state (``output="many_to_one"``).

Shapes: input ``(T, B, F)`` (``(B, T, F)`` with ``batch_first=True``); outputs
``(T, B, output_size)`` (``(B, T, output_size)``) or ``(B, output_size)``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .utils import check_choice, check_positive_int, check_sequence, resolve_device, seeded

__all__ = [
    "EncoderDecoder",
    "GRU",
    "LSTM",
    "ElmanRNN",
    "RNNConfig",
    "RecurrentModel",
    "Seq2SeqConfig",
    "elman_cell",
    "explicit_cells",
    "gru_cell",
    "lstm_cell",
]

CELLS = ("rnn_tanh", "rnn_logistic", "lstm", "gru")
IMPLS = ("auto", "fused", "cell")
OUTPUTS = ("many_to_many", "many_to_one")

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


# --------------------------------------------------------------------------- pure cells
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


# --------------------------------------------------------------------------- config
@dataclass(frozen=True)
class RNNConfig:
    """Settings of a :class:`RecurrentModel`, validated at construction."""

    cell: str
    input_size: int
    hidden_size: int
    output_size: int | None = None
    num_layers: int = 1
    bidirectional: bool = False
    batch_first: bool = False
    output: str = "many_to_many"
    impl: str = "auto"
    learn_initial_state: bool = True
    dropout: float = 0.0
    bias: bool = True
    forget_bias: float | None = None

    def __post_init__(self) -> None:
        check_choice("RNNConfig.cell", self.cell, CELLS)
        check_positive_int("RNNConfig.input_size", self.input_size)
        check_positive_int("RNNConfig.hidden_size", self.hidden_size)
        check_positive_int("RNNConfig.output_size", self.output_size, allow_none=True)
        check_positive_int("RNNConfig.num_layers", self.num_layers)
        for name in ("bidirectional", "batch_first", "learn_initial_state", "bias"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"RNNConfig.{name} must be a bool, got {getattr(self, name)!r}")
        check_choice("RNNConfig.output", self.output, OUTPUTS)
        check_choice("RNNConfig.impl", self.impl, IMPLS)
        if not isinstance(self.dropout, int | float) or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"RNNConfig.dropout must be in [0, 1), got {self.dropout!r}")
        if self.forget_bias is not None:
            if self.cell != "lstm":
                raise ValueError(
                    f"RNNConfig.forget_bias is for LSTMs only, got cell={self.cell!r}"
                )
            if not self.bias:
                raise ValueError("RNNConfig.forget_bias needs bias=True")
            if not isinstance(self.forget_bias, int | float) or isinstance(
                self.forget_bias, bool
            ):
                raise TypeError(
                    f"RNNConfig.forget_bias must be a float or None, got {self.forget_bias!r}"
                )
        if self.impl == "fused" and self.cell == "rnn_logistic":
            raise ValueError(
                "RNNConfig.impl='fused' needs a cell torch implements; logistic Elman units "
                "run only on impl='cell' (or 'auto')"
            )

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def resolved_impl(self) -> str:
        if self.impl != "auto":
            return self.impl
        return "cell" if self.cell == "rnn_logistic" else "fused"


# --------------------------------------------------------------------------- base model
class RecurrentModel(nn.Module):
    """Shared base of :class:`ElmanRNN`, :class:`LSTM` and :class:`GRU`.

    Parameters
    ----------
    input_size, hidden_size : int
    output_size : int or None
        Size of the linear readout; ``None`` returns the hidden states themselves
        (``D * hidden_size`` features, D = 2 when bidirectional).
    num_layers : int
        Stacked layers.
    bidirectional : bool
    batch_first : bool
        Input/output layout ``(B, T, F)`` instead of ``(T, B, F)``.
    output : {"many_to_many", "many_to_one"}
        Readout at every step, or once from the final state of the top layer.
    impl : {"auto", "fused", "cell"}
        Forward path, see the module docstring; ``"auto"`` = ``"fused"`` where possible.
    learn_initial_state : bool
        Initial hidden (and cell) state as an ``nn.Parameter`` (default), else zeros.
    dropout : float
        Dropout between stacked layers (training only).
    bias : bool
    forget_bias : float or None
        LSTM only: initial forget-gate bias (e.g. 1.0, Jozefowicz et al. 2015; large values
        keep the cell close to the original constant error carousel). None: torch's init.
    seed : int or None
        Seeds weight initialisation (without touching the global RNG).
    device : str, torch.device or None
        ``None``: CPU (move with ``.to()`` or let :class:`backprop.train.Trainer` move it).
    """

    cell_type: ClassVar[str] = ""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int | None = None,
        num_layers: int = 1,
        *,
        bidirectional: bool = False,
        batch_first: bool = False,
        output: str = "many_to_many",
        impl: str = "auto",
        learn_initial_state: bool = True,
        dropout: float = 0.0,
        bias: bool = True,
        forget_bias: float | None = None,
        seed: int | None = None,
        device: str | torch.device | None = None,
        _cell: str | None = None,
    ) -> None:
        super().__init__()
        cfg = RNNConfig(
            cell=_cell or self.cell_type,
            input_size=input_size,
            hidden_size=hidden_size,
            output_size=output_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            batch_first=batch_first,
            output=output,
            impl=impl,
            learn_initial_state=learn_initial_state,
            dropout=float(dropout),
            bias=bias,
            forget_bias=forget_bias,
        )
        self.config = cfg
        kw = dict(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bias=bias,
            batch_first=False,
            dropout=float(dropout),
            bidirectional=bidirectional,
        )
        with seeded(seed):
            if cfg.cell == "lstm":
                self.core: nn.RNNBase = nn.LSTM(**kw)
            elif cfg.cell == "gru":
                self.core = nn.GRU(**kw)
            else:  # the container only holds the weights for logistic units
                self.core = nn.RNN(nonlinearity="tanh", **kw)
            n_state = num_layers * cfg.num_directions
            h0 = torch.zeros(n_state, hidden_size)
            feat = hidden_size * cfg.num_directions
            self.readout: nn.Module = (
                nn.Linear(feat, output_size) if output_size is not None else nn.Identity()
            )
        if forget_bias is not None:
            H = hidden_size
            with torch.no_grad():
                for name, p in self.core.named_parameters():
                    if name.startswith("bias_ih"):
                        p[H : 2 * H] = float(forget_bias)
                    elif name.startswith("bias_hh"):
                        p[H : 2 * H] = 0.0
        if learn_initial_state:
            self.h0 = nn.Parameter(h0)
            if cfg.cell == "lstm":
                self.c0 = nn.Parameter(h0.clone())
        else:
            self.register_buffer("h0", h0)
            if cfg.cell == "lstm":
                self.register_buffer("c0", h0.clone())
        if device is not None:
            self.to(resolve_device(device))

    # -- properties ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def device(self) -> torch.device:
        return self.h0.device

    @property
    def impl(self) -> str:
        """The forward path in use (``"fused"`` or ``"cell"``)."""
        return self.config.resolved_impl

    @property
    def feature_size(self) -> int:
        return self.config.hidden_size * self.config.num_directions

    # -- state ----------------------------------------------------------------------------
    def initial_state(self, batch_size: int) -> State:
        """The (learned) initial state expanded over a batch: ``(L*D, B, H)`` tensors."""
        h = self.h0.unsqueeze(1).expand(-1, batch_size, -1).contiguous()
        if self.config.cell == "lstm":
            c = self.c0.unsqueeze(1).expand(-1, batch_size, -1).contiguous()
            return (h, c)
        return h

    def _check_state(self, state: State, batch_size: int) -> State:
        cfg = self.config
        want = (cfg.num_layers * cfg.num_directions, batch_size, cfg.hidden_size)
        parts = state if isinstance(state, tuple) else (state,)
        n_parts = 2 if cfg.cell == "lstm" else 1
        if len(parts) != n_parts or not all(isinstance(p, torch.Tensor) for p in parts):
            kind = "a tuple (h, c) of tensors" if n_parts == 2 else "a tensor"
            raise TypeError(f"{self.name} expected state as {kind} of shape {want}")
        for label, p in zip(("h", "c"), parts):
            if tuple(p.shape) != want:
                raise ValueError(
                    f"{self.name} expected state {label} of shape {want} "
                    f"(layers*directions, B, hidden_size), got {tuple(p.shape)}"
                )
        return state

    # -- forward --------------------------------------------------------------------------
    def features(
        self,
        x: torch.Tensor,
        state: State | None = None,
        *,
        record: list[dict[str, list[torch.Tensor]]] | None = None,
    ) -> tuple[torch.Tensor, State]:
        """Hidden states of the top layer, ``(T, B, D*H)`` (time-major), and the final state.

        ``record`` (a list, explicit cell path only) receives one dict per layer and direction
        with the per-step ``"h"`` (and ``"c"``, ``"gates"``) tensors, in computation order.
        """
        cfg = self.config
        x = check_sequence(
            x, cfg.input_size, batch_first=cfg.batch_first, owner=self.name
        )
        if x.device != self.device:
            raise ValueError(
                f"{self.name} is on {self.device} but x is on {x.device}; "
                f"move it with x.to({str(self.device)!r})"
            )
        if cfg.batch_first:
            x = x.transpose(0, 1)
        x = x.to(self.h0.dtype)
        batch = x.shape[1]
        state = self.initial_state(batch) if state is None else self._check_state(state, batch)
        if self.impl == "fused" and record is None:
            return self.core(x, state)
        return self._forward_cell(x, state, record)

    def _forward_cell(
        self,
        x: torch.Tensor,
        state: State,
        record: list[dict[str, list[torch.Tensor]]] | None,
    ) -> tuple[torch.Tensor, State]:
        cfg = self.config
        D = cfg.num_directions
        is_lstm = cfg.cell == "lstm"
        hs, cs = (state if is_lstm else (state, None))  # type: ignore[misc]
        finals_h: list[torch.Tensor] = []
        finals_c: list[torch.Tensor] = []
        inp = x
        for layer in range(cfg.num_layers):
            outs = []
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                idx = layer * D + d
                st = (hs[idx], cs[idx]) if is_lstm else hs[idx]
                rec = {} if record is not None else None
                out, fin = run_direction(
                    cfg.cell,
                    inp,
                    st,
                    getattr(self.core, "weight_ih" + sfx),
                    getattr(self.core, "weight_hh" + sfx),
                    getattr(self.core, "bias_ih" + sfx, None),
                    getattr(self.core, "bias_hh" + sfx, None),
                    reverse=bool(d),
                    record=rec,
                )
                if record is not None:
                    record.append(rec)  # type: ignore[arg-type]
                outs.append(out)
                if is_lstm:
                    finals_h.append(fin[0])
                    finals_c.append(fin[1])
                else:
                    finals_h.append(fin)  # type: ignore[arg-type]
            inp = outs[0] if D == 1 else torch.cat(outs, dim=-1)
            if layer < cfg.num_layers - 1 and cfg.dropout > 0 and self.training:
                inp = F.dropout(inp, cfg.dropout, training=True)
        h_n = torch.stack(finals_h)
        final: State = (h_n, torch.stack(finals_c)) if is_lstm else h_n
        return inp, final

    def forward(
        self,
        x: torch.Tensor,
        state: State | None = None,
        *,
        return_state: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, State]:
        """Run the sequences and the readout.

        Parameters
        ----------
        x : Tensor, shape (T, B, F), or (B, T, F) with ``batch_first``
        state : optional initial state, ``(L*D, B, H)`` (a tuple ``(h, c)`` for the LSTM);
            default: the learned initial state.
        return_state : bool
            Also return the final state (for truncated BPTT, carry it to the next chunk).

        Returns
        -------
        y : Tensor, shape (T, B, O) / (B, T, O) (many-to-many) or (B, O) (many-to-one)
        state : the final state, when ``return_state``
        """
        out, final = self.features(x, state)
        y = self._readout(out, final)
        return (y, final) if return_state else y

    def _readout(self, out: torch.Tensor, final: State) -> torch.Tensor:
        cfg = self.config
        if cfg.output == "many_to_one":
            h_n = final[0] if isinstance(final, tuple) else final
            top = h_n[-cfg.num_directions :]  # (D, B, H): forward end, backward end
            feat = top.permute(1, 0, 2).reshape(top.shape[1], -1)
            return self.readout(feat)
        y = self.readout(out)
        return y.transpose(0, 1) if cfg.batch_first else y

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"cell={c.cell}, impl={self.impl}, input_size={c.input_size}, "
            f"hidden_size={c.hidden_size}, output_size={c.output_size}, "
            f"num_layers={c.num_layers}, bidirectional={c.bidirectional}, output={c.output}"
        )


class ElmanRNN(RecurrentModel):
    """Elman network with tanh (default) or logistic hidden units (Elman 1990).

    ``nonlinearity="logistic"`` gives the units of Hinton's binary-addition net (lecture 7c);
    it runs on the explicit cell path. See :class:`RecurrentModel` for the other arguments.
    """

    cell_type = "rnn_tanh"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int | None = None,
        num_layers: int = 1,
        *,
        nonlinearity: str = "tanh",
        **kwargs,
    ) -> None:
        check_choice("ElmanRNN.nonlinearity", nonlinearity, ("tanh", "logistic"))
        super().__init__(
            input_size, hidden_size, output_size, num_layers, _cell=f"rnn_{nonlinearity}",
            **kwargs,
        )


class LSTM(RecurrentModel):
    """LSTM sequence model (Hochreiter & Schmidhuber 1997); see :class:`RecurrentModel`."""

    cell_type = "lstm"


class GRU(RecurrentModel):
    """GRU sequence model (Cho et al. 2014); see :class:`RecurrentModel`."""

    cell_type = "gru"


@contextlib.contextmanager
def explicit_cells(model: nn.Module) -> Iterator[nn.Module]:
    """Temporarily run every :class:`RecurrentModel` inside ``model`` on the explicit cell path.

    Needed where torch's fused kernels lack a derivative: forward-mode AD (Gauss--Newton
    products in :mod:`backprop.hessian_free`) and per-step hidden-state gradients.
    """
    mods = [m for m in model.modules() if isinstance(m, RecurrentModel)]
    old = [m.config for m in mods]
    for m in mods:
        m.config = dataclasses.replace(m.config, impl="cell")
    try:
        yield model
    finally:
        for m, c in zip(mods, old):
            m.config = c


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Settings of an :class:`EncoderDecoder`, validated at construction."""

    input_size: int
    hidden_size: int
    output_size: int
    cell: str = "lstm"
    num_layers: int = 1
    output_steps: int | None = None
    batch_first: bool = False
    output: str = "many_to_many"  # read by the Trainer

    def __post_init__(self) -> None:
        check_positive_int("Seq2SeqConfig.input_size", self.input_size)
        check_positive_int("Seq2SeqConfig.hidden_size", self.hidden_size)
        check_positive_int("Seq2SeqConfig.output_size", self.output_size)
        check_positive_int("Seq2SeqConfig.num_layers", self.num_layers)
        check_positive_int("Seq2SeqConfig.output_steps", self.output_steps, allow_none=True)
        check_choice("Seq2SeqConfig.cell", self.cell, ("rnn", "lstm", "gru"))
        if self.batch_first:
            raise ValueError("Seq2SeqConfig.batch_first=True is not supported; use (T, B, F)")


class EncoderDecoder(nn.Module):
    r"""Sequence to sequence (Sutskever, Vinyals & Le 2014; Cho et al. 2014).

    An encoder reads ``x``; its final state starts a decoder that emits ``output_steps``
    outputs, each step fed the previous output (free running) or, with ``teacher``, the
    previous target (teacher forcing); the first decoder input is zero.

    .. math::
        s = \mathrm{enc}(x_{1..T}), \qquad (y_t, s_t) = \mathrm{dec}(y_{t-1}, s_{t-1}),
        \quad s_0 = s, \; y_0 = 0

    Parameters
    ----------
    input_size, hidden_size, output_size : int
    cell : {"rnn", "lstm", "gru"}
    num_layers : int
    output_steps : int or None
        Output length; None: the input length (or the teacher's length).
    seed : int or None
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        cell: str = "lstm",
        num_layers: int = 1,
        output_steps: int | None = None,
        seed: int | None = None,
        device: str | torch.device | None = None,
    ) -> None:
        super().__init__()
        self.config = Seq2SeqConfig(
            input_size, hidden_size, output_size, cell, num_layers, output_steps
        )
        cls = {"rnn": ElmanRNN, "lstm": LSTM, "gru": GRU}[cell]
        with seeded(seed):
            self.encoder = cls(input_size, hidden_size, None, num_layers)
            self.decoder = cls(output_size, hidden_size, output_size, num_layers,
                               learn_initial_state=False)
        if device is not None:
            self.to(resolve_device(device))

    def forward(
        self,
        x: torch.Tensor,
        *,
        teacher: torch.Tensor | None = None,
        steps: int | None = None,
    ) -> torch.Tensor:
        """``x (T_in, B, F)`` -> ``y (T_out, B, output_size)``."""
        _, state = self.encoder.features(x)
        B, O = x.shape[1], self.config.output_size
        start = x.new_zeros(1, B, O)
        if teacher is not None:
            want = (teacher.shape[0], B, O)
            if teacher.ndim != 3 or tuple(teacher.shape[1:]) != want[1:]:
                raise ValueError(
                    f"EncoderDecoder expected teacher of shape (T_out, {B}, {O}), "
                    f"got {tuple(teacher.shape)}"
                )
            return self.decoder(torch.cat([start, teacher[:-1].to(x)]), state)
        n = steps or self.config.output_steps or x.shape[0]
        check_positive_int("EncoderDecoder steps", n)
        prev, outs = start, []
        for _ in range(n):
            prev, state = self.decoder(prev, state, return_state=True)
            outs.append(prev)
        return torch.cat(outs)

