"""backprop: BPTT-trained RNN / LSTM / GRU sequence models, their trainer, ESN, diagnostics.

The backprop side of every neurosim comparison (see ``DESIGN.md``).
"""

from .esn import EchoStateNetwork, ESNParams, esn_initialize
from .hessian_free import HessianFree
from .models import (
    GRU,
    LSTM,
    ElmanRNN,
    EncoderDecoder,
    RecurrentModel,
    RNNConfig,
    explicit_cells,
)
from .train import History, NonFiniteLossError, Trainer, TrainerConfig, masked_loss
from .utils import resolve_device

__all__ = [
    "ESNParams",
    "EchoStateNetwork",
    "EncoderDecoder",
    "HessianFree",
    "esn_initialize",
    "explicit_cells",
    "GRU",
    "LSTM",
    "ElmanRNN",
    "History",
    "NonFiniteLossError",
    "RNNConfig",
    "RecurrentModel",
    "Trainer",
    "TrainerConfig",
    "masked_loss",
    "resolve_device",
]
