"""Recurrent sequence models trained by backpropagation through time.

:class:`ElmanRNN` (tanh or logistic units), :class:`LSTM` and :class:`GRU` share one base,
:class:`RecurrentModel` (as torch's ``RNNBase`` does): the weights live in a torch
``nn.RNN``/``nn.LSTM``/``nn.GRU`` container, and the forward pass runs either

- ``impl="fused"``: torch's fused kernels (cuDNN on a GPU) -- the fast path, or
- ``impl="cell"``: an explicit per-step loop over the pure cell functions of
  :mod:`backprop.cells` (:func:`elman_cell`, :func:`lstm_cell`, :func:`gru_cell`) -- the path
  to use when gates or per-step gradients are inspected (:mod:`backprop.diagnostics`).

Both paths read the same parameters and give the same outputs (tested). The initial state is a
learned parameter trained by BPTT, as Hinton's lecture 7b recommends ("treat the initial states
as learned parameters"). A linear readout maps hidden states to outputs, either at every step
(``output="many_to_many"``, synced) or once from the final state (``output="many_to_one"``).

LSTM gate biases: torch's default, a constant forget-gate bias (``forget_bias``), or the chrono
initialisation of Tallec & Ollivier (2018) (``chrono_tmax``, :func:`chrono_gate_biases`).

Shapes: input ``(T, B, F)`` (``(B, T, F)`` with ``batch_first=True``); outputs
``(T, B, output_size)`` (``(B, T, output_size)``) or ``(B, output_size)``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .cells import State, elman_cell, gru_cell, lstm_cell, run_direction
from .utils import (
    check_choice,
    check_positive_int,
    check_real,
    check_sequence,
    resolve_device,
    seeded,
)

__all__ = [
    "EncoderDecoder",
    "GRU",
    "LSTM",
    "ElmanRNN",
    "RNNConfig",
    "RecurrentModel",
    "Seq2SeqConfig",
    "chrono_gate_biases",
    "elman_cell",
    "explicit_cells",
    "gru_cell",
    "lstm_cell",
    "run_direction",
]

CELLS = ("rnn_tanh", "rnn_logistic", "lstm", "gru")
IMPLS = ("auto", "fused", "cell")
OUTPUTS = ("many_to_many", "many_to_one")


# --------------------------------------------------------------------------- chrono init
def _check_tmax(name: str, t_max: object) -> float:
    """A chrono time scale in steps: finite and > 2, as b_f ~ log U(1, T_max - 1) needs
    T_max - 1 > 1 (:func:`neurosim.validation.check_real`)."""
    return check_real(name, t_max, low=2, low_open=True)


def chrono_gate_biases(
    hidden_size: int, t_max: float, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Chrono initialisation of the LSTM forget- and input-gate biases
    (Tallec & Ollivier 2018, "Can recurrent neural networks warp time?", ICLR).

    .. math:: b_f \sim \log\,\mathcal{U}(1,\, T_{max} - 1), \qquad b_i = -b_f

    A forget gate :math:`\sigma(b_f)` keeps the cell for about :math:`1 + e^{b_f}` steps, so the
    units start with memory time scales spread over :math:`[2, T_{max}]` (the range of the
    dependencies to learn); the input gate is closed by as much, so the cell is not overwritten
    at every step.

    Parameters
    ----------
    hidden_size : int
        H, the number of LSTM units.
    t_max : float
        :math:`T_{max} > 2`, the longest expected dependency in steps (for the adding problem:
        the sequence length).
    generator : torch.Generator or None
        None: torch's global RNG.

    Returns
    -------
    b_f, b_i : Tensor, shape (H,), float32
        ``b_f`` in :math:`[0, \log(T_{max} - 1)]`, ``b_i = -b_f``.
    """
    check_positive_int("chrono_gate_biases hidden_size", hidden_size)
    _check_tmax("chrono_gate_biases t_max", t_max)
    u = torch.rand(hidden_size, generator=generator)
    b_f = torch.log1p(u * (float(t_max) - 2.0))  # log U(1, T_max - 1)
    return b_f, -b_f


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
    chrono_tmax: float | None = None

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
            check_real("RNNConfig.forget_bias", self.forget_bias)
        if self.chrono_tmax is not None:
            if self.cell != "lstm":
                raise ValueError(
                    f"RNNConfig.chrono_tmax is for LSTMs only, got cell={self.cell!r}"
                )
            if not self.bias:
                raise ValueError("RNNConfig.chrono_tmax needs bias=True")
            if self.forget_bias is not None:
                raise ValueError(
                    "RNNConfig.chrono_tmax and forget_bias both set the forget-gate bias; "
                    f"give one (got chrono_tmax={self.chrono_tmax!r}, "
                    f"forget_bias={self.forget_bias!r})"
                )
            _check_tmax("RNNConfig.chrono_tmax", self.chrono_tmax)
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
    r"""Shared base of :class:`ElmanRNN`, :class:`LSTM` and :class:`GRU`.

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
    chrono_tmax : float or None
        LSTM only: chrono initialisation (Tallec & Ollivier 2018) of every layer and direction,
        forget-gate bias :math:`b_f \sim \log \mathcal{U}(1, T_{max} - 1)` and input-gate bias
        :math:`b_i = -b_f` (see :func:`chrono_gate_biases`); ``chrono_tmax`` = :math:`T_{max}`,
        the longest dependency expected (e.g. the sequence length). Drawn from ``seed``; excludes
        ``forget_bias``. Both forward paths read these biases.
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
        chrono_tmax: float | None = None,
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
            chrono_tmax=chrono_tmax,
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
            if chrono_tmax is not None:  # drawn last: the other weights stay as without it
                H = hidden_size
                with torch.no_grad():
                    for name, p in self.core.named_parameters():
                        if name.startswith("bias_ih"):  # one draw per layer and direction
                            b_f, b_i = chrono_gate_biases(H, chrono_tmax)
                            p[:H], p[H : 2 * H] = b_i, b_f  # gate order (i, f, g, o)
                        elif name.startswith("bias_hh"):
                            p[: 2 * H] = 0.0
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
        **kwargs: Any,
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


# re-exported here (their historical home); imported last because seq2seq builds on the classes
# above
from .seq2seq import EncoderDecoder, Seq2SeqConfig  # noqa: E402
