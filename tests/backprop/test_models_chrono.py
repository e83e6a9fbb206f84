"""Tests for the chrono initialisation of LSTM gate biases (Tallec & Ollivier 2018):
b_f ~ log U(1, T_max - 1), b_i = -b_f, on every layer and direction, read by both forward paths
(torch's fused nn.LSTM and the explicit cell loop)."""

import dataclasses
import math

import pytest
import torch

from backprop import LSTM, chrono_gate_biases
from backprop.models import GRU, ElmanRNN

T_MAX = 500.0
H = 256


def _gate_biases(model):
    """Effective pre-activation biases (bias_ih + bias_hh), chunked (i, f, g, o), for every
    layer and direction."""
    out = []
    for name, p in model.core.named_parameters():
        if name.startswith("bias_ih"):
            total = p + getattr(model.core, name.replace("bias_ih", "bias_hh"))
            out.append(total.detach().chunk(4))
    return out


def _dkw_bound(n, alpha=1e-6):
    """Dvoretzky-Kiefer-Wolfowitz: P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2) = alpha."""
    return math.sqrt(math.log(2 / alpha) / (2 * n))


@pytest.mark.parametrize("impl", ["fused", "cell"])
def test_chrono_biases_follow_log_uniform_on_every_layer_and_direction(impl):
    model = LSTM(3, H, 1, 2, bidirectional=True, impl=impl, chrono_tmax=T_MAX, seed=0)
    chunks = _gate_biases(model)
    assert len(chunks) == 4  # 2 layers x 2 directions
    b_f = torch.cat([c[1] for c in chunks])
    for i, f, _, _ in chunks:
        torch.testing.assert_close(i, -f)  # input gate closed as much as the forget gate opens
        assert float(f.min()) >= 0.0 and float(f.max()) <= math.log(T_MAX - 1) + 1e-6
    # exp(b_f) ~ U(1, T_max - 1): the empirical CDF stays within the DKW band
    u = ((b_f.exp() - 1) / (T_MAX - 2)).sort().values.double()
    n = u.numel()
    ecdf = torch.arange(1, n + 1, dtype=torch.float64) / n
    assert float((ecdf - u).abs().max()) < _dkw_bound(n)
    # layers and directions get their own draws
    assert not torch.equal(chunks[0][1], chunks[1][1])


def test_chrono_leaves_the_other_weights_as_torch_initialises_them():
    plain = LSTM(2, 16, 1, 2, seed=3)
    chrono = LSTM(2, 16, 1, 2, seed=3, chrono_tmax=100)
    for (name, p), q in zip(plain.named_parameters(), chrono.parameters()):
        if name.startswith("core.bias"):
            torch.testing.assert_close(p[2 * 16 :], q[2 * 16 :])  # g and o untouched
        else:
            torch.testing.assert_close(p, q)
    again = LSTM(2, 16, 1, 2, seed=3, chrono_tmax=100)
    torch.testing.assert_close(chrono.core.bias_ih_l0, again.core.bias_ih_l0)
    other = LSTM(2, 16, 1, 2, seed=4, chrono_tmax=100)
    assert not torch.equal(chrono.core.bias_ih_l0[16:32], other.core.bias_ih_l0[16:32])


def test_the_cell_path_sees_the_chrono_biases_as_forget_and_input_gates():
    # zero input and zero state: the gate pre-activations are the biases themselves
    model = LSTM(2, 32, 1, chrono_tmax=T_MAX, learn_initial_state=False, impl="cell", seed=1)
    rec = []
    with torch.no_grad():
        model.features(torch.zeros(1, 4, 2), record=rec)
    i, f, _, _ = rec[0]["gates"][0].chunk(4, dim=-1)
    b_i, b_f = _gate_biases(model)[0][:2]
    torch.testing.assert_close(f, torch.sigmoid(b_f).expand_as(f))
    torch.testing.assert_close(i, torch.sigmoid(b_i).expand_as(i))
    # memory time scale 1 / (1 - f) = 1 + exp(b_f) spans [2, T_max]
    tau = 1 / (1 - f[0].double())
    assert float(tau.min()) >= 2 - 1e-6 and float(tau.max()) <= T_MAX + 1e-3


def test_fused_and_cell_paths_agree_with_chrono_biases():
    model = LSTM(2, 16, 1, 2, bidirectional=True, chrono_tmax=50, seed=0)
    x = torch.randn(30, 5, 2, generator=torch.Generator().manual_seed(0))
    fused = dataclasses.replace(model.config, impl="fused")
    cell = dataclasses.replace(model.config, impl="cell")
    model.config = fused
    y_fused = model(x)
    model.config = cell
    torch.testing.assert_close(model(x), y_fused, rtol=1e-5, atol=1e-5)


def test_chrono_gate_biases_function():
    g = torch.Generator().manual_seed(0)
    b_f, b_i = chrono_gate_biases(1000, 10.0, generator=g)
    assert b_f.shape == b_i.shape == (1000,)
    torch.testing.assert_close(b_i, -b_f)
    assert float(b_f.min()) >= 0.0 and float(b_f.max()) <= math.log(9.0) + 1e-6


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"chrono_tmax": 2}, ValueError, "chrono_tmax must be > 2, got 2"),
        ({"chrono_tmax": float("inf")}, ValueError, "chrono_tmax must be finite, got inf"),
        ({"chrono_tmax": "500"}, TypeError, "chrono_tmax must be a real number, got str"),
        ({"chrono_tmax": True}, TypeError, "chrono_tmax must be a real number, got bool"),
        ({"chrono_tmax": 100, "forget_bias": 1.0}, ValueError, "give one"),
        ({"chrono_tmax": 100, "bias": False}, ValueError, "chrono_tmax needs bias=True"),
    ],
)
def test_bad_chrono_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        LSTM(2, 8, 1, **kwargs)


@pytest.mark.parametrize("cls", [GRU, ElmanRNN])
def test_chrono_is_for_lstms_only(cls):
    with pytest.raises(ValueError, match="chrono_tmax is for LSTMs only"):
        cls(2, 8, 1, chrono_tmax=100)


def test_chrono_gate_biases_bad_arguments():
    with pytest.raises(ValueError, match="t_max must be > 2, got 1.5"):
        chrono_gate_biases(8, 1.5)
    with pytest.raises(ValueError, match="hidden_size"):
        chrono_gate_biases(0, 10.0)
