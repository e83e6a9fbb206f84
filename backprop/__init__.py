"""backprop: BPTT-trained RNN / LSTM / GRU sequence models, their trainer, ESN, diagnostics,
surrogate-gradient spiking networks (snnTorch-compatible, fused fast path) and e-prop.

The backprop side of every neurosim comparison (see ``DESIGN.md``).
"""

from .eprop import EProp, EPropParams, eprop_gradients, make_temporal_patterns, rsnn_forward
from .esn import EchoStateNetwork, ESNParams, esn_initialize
from .hessian_free import HessianFree
from .models import (
    GRU,
    LSTM,
    ElmanRNN,
    EncoderDecoder,
    RecurrentModel,
    RNNConfig,
    chrono_gate_biases,
    explicit_cells,
)
from .snn import (
    Leaky,
    LeakyParams,
    LIFLayer,
    SpikingMLP,
    leaky_step,
    lif_sequence,
    snntorch_equivalent,
)
from .snn_fused import fused_lif, spike_linear
from .surrogate import ATan, FastSigmoid, Rectangular, Sigmoid, Triangular, make_surrogate
from .train import History, NonFiniteLossError, Trainer, TrainerConfig, masked_loss
from .utils import resolve_device

__all__ = [
    "EProp", "EPropParams", "eprop_gradients", "make_temporal_patterns", "rsnn_forward",
    "LIFLayer", "LeakyParams", "Leaky", "SpikingMLP", "lif_sequence", "leaky_step",
    "snntorch_equivalent", "fused_lif", "spike_linear", "ATan", "FastSigmoid", "Rectangular",
    "Sigmoid", "Triangular", "make_surrogate",
    "ESNParams",
    "EchoStateNetwork",
    "EncoderDecoder",
    "HessianFree",
    "esn_initialize",
    "explicit_cells",
    "chrono_gate_biases",
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
