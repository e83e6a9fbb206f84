"""Op counts and training memory, cross-checked against hand-computed values."""

import torch

from comparisons.metrics.memory import autograd_saved_bytes
from comparisons.metrics.ops import flop_count_macs


def test_flop_counter_linear_matches_hand_count():
    lin = torch.nn.Linear(7, 5)
    x = torch.randn(3, 7)
    _, macs = flop_count_macs(lin, x)
    assert macs == 3 * 7 * 5


def test_lstm_cell_path_macs_match_hand_count():
    from backprop import LSTM

    T, F, H, O = 9, 3, 6, 2
    model = LSTM(F, H, O, impl="cell", seed=0)
    _, macs = flop_count_macs(model, torch.randn(T, 1, F))
    # four gates, each a (F + H) x H matmul per step, plus the H x O readout per step
    assert macs == T * (4 * H * (F + H) + H * O)


def test_bptt_memory_grows_linearly_with_sequence_length():
    from backprop import LSTM

    model = LSTM(2, 16, 1, impl="cell", seed=0)
    b1 = autograd_saved_bytes(model, torch.randn(50, 1, 2))
    b2 = autograd_saved_bytes(model, torch.randn(100, 1, 2))
    b4 = autograd_saved_bytes(model, torch.randn(200, 1, 2))
    # increments per 50 steps are equal (linear in T), and the total roughly doubles
    assert abs((b4 - b2) - 2 * (b2 - b1)) <= 0.02 * (b4 - b2)
    assert 1.8 < b2 / b1 < 2.2


def test_no_grad_saves_nothing():
    lin = torch.nn.Linear(4, 4)
    with torch.no_grad():
        assert autograd_saved_bytes(lin, torch.randn(2, 4)) == 0
