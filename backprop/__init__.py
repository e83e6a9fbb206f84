"""backprop: BPTT-trained RNN / LSTM / GRU sequence models, their trainer, ESN, diagnostics.

The backprop side of every neurosim comparison (see ``DESIGN.md``).
"""

from .models import GRU, LSTM, ElmanRNN, RecurrentModel, RNNConfig
from .train import History, NonFiniteLossError, Trainer, TrainerConfig, masked_loss
from .utils import resolve_device

__all__ = [
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
