"""Sequence to sequence: an encoder RNN whose final state starts a decoder RNN.

(Sutskever, Vinyals & Le 2014; Cho et al. 2014.) Built from the models of
:mod:`backprop.models`; importable from there too.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .models import GRU, LSTM, ElmanRNN
from .utils import check_choice, check_positive_int, resolve_device, seeded

__all__ = ["EncoderDecoder", "Seq2SeqConfig"]


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
