"""The adding problem (Hochreiter & Schmidhuber 1997) at T = 500 with a chrono-initialised LSTM
(Tallec & Ollivier 2018: forget-gate biases log U(1, T - 1), input-gate biases their negatives).
Slow (about a CPU minute each); examples/bp_adding_problem.py runs the comparison with the GRU,
the tanh RNN and the LSTM with a constant forget-gate bias."""

import pytest

from backprop import LSTM, Trainer
from backprop.data import adding_problem

BASELINE = 1 / 6  # MSE of predicting the mean sum, 1


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_chrono_lstm_solves_the_adding_problem_at_T500(seed):
    T = 500
    x, y = adding_problem(64 * 50, T, seed=seed)
    xv, yv = adding_problem(1000, T, seed=seed + 100)
    model = LSTM(2, 32, 1, output="many_to_one", chrono_tmax=T, seed=seed)
    tr = Trainer(model, lr=1e-2, clip_norm=1.0, seed=seed, progress=False, device="cpu")
    start = tr.evaluate(xv, yv)
    h = tr.fit(x, y, epochs=20, batch_size=64, validation=(xv, yv),  # <= 1000 updates
               callback=lambda e, hist: hist.val_loss[-1] < 0.005)
    assert start > 0.5 * BASELINE  # untrained: no better than guessing the mean
    assert tr.evaluate(xv, yv) < 0.01  # solved: 1/17 of the baseline
    assert h.steps <= 1000
