"""The rnn family's rules (backprop.rnn_rules): the forward pass is the Elman model's, BPTT
and truncation covering the sequence are autograd's, feedback alignment with B = W is
backprop, RFLO is Murray's (2019) update for tau = 1, the readout rule trains only W_out."""

from __future__ import annotations

import pytest
import torch

from backprop.models import ElmanRNN
from backprop.rnn_rules import RNN_RULES, RuleRNN


def _model(output="many_to_one", seed=1):
    return ElmanRNN(3, 8, 2, output=output, seed=seed, impl="cell").double()


def _grads(net, model, x):
    out = net(x)
    loss = (out ** 2).sum()
    ps = [p for p in model.parameters() if p.requires_grad]
    return out, dict(zip([n for n, p in model.named_parameters() if p.requires_grad],
                         torch.autograd.grad(loss, ps, allow_unused=True), strict=True))


@pytest.mark.parametrize("output", ["many_to_one", "many_to_many"])
@pytest.mark.parametrize("rule", RNN_RULES)
def test_forward_is_the_models(rule, output):
    m = _model(output)
    x = torch.randn(12, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    want = m(x)
    torch.testing.assert_close(RuleRNN(m, rule)(x), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("output", ["many_to_one", "many_to_many"])
def test_bptt_and_full_window_tbptt_are_autograd_through_the_model(output):
    m = _model(output)
    x = torch.randn(12, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    _, ref = _grads(m, m, x)
    _, bptt = _grads(RuleRNN(m, "bptt"), m, x)
    _, full = _grads(RuleRNN(m, "tbptt", truncation=12), m, x)
    _, short = _grads(RuleRNN(m, "tbptt", truncation=3), m, x)
    for k in ref:
        torch.testing.assert_close(bptt[k], ref[k], rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(full[k], bptt[k], rtol=0, atol=0)  # the same sums
    torch.testing.assert_close(short["readout.weight"], ref["readout.weight"])
    assert (short["core.weight_hh_l0"] - ref["core.weight_hh_l0"]).abs().max() > 1e-6


def test_feedback_alignment_with_the_forward_weights_as_feedback_is_backprop():
    m = _model("many_to_many")
    x = torch.randn(10, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    _, ref = _grads(m, m, x)
    fa = RuleRNN(m, "feedback_alignment")
    _, g_fa = _grads(fa, m, x)
    # random feedback: the readout's own gradient is local and exact, the rest differs
    torch.testing.assert_close(g_fa["readout.weight"], ref["readout.weight"])
    assert (g_fa["core.weight_ih_l0"] - ref["core.weight_ih_l0"]).abs().max() > 1e-6
    with torch.no_grad():
        fa.b_hh.copy_(m.core.weight_hh_l0)
        fa.b_out.copy_(m.readout.weight)
    _, g_sym = _grads(fa, m, x)
    for k in ref:
        torch.testing.assert_close(g_sym[k], ref[k], rtol=1e-12, atol=1e-12)


def test_rflo_is_murrays_update_for_units_without_leak():
    # many-to-one, loss L = sum(y^2): the error e = 2y reaches the units through B_out;
    # with tau = 1 the eligibility of W_hh[i, j] at the last step is phi'(u_i) h_j(T-1),
    # of W_ih[i, j] phi'(u_i) x_j(T): dW = (B_out^T e) * phi' outer the presynaptic activity
    m = _model("many_to_one")
    x = torch.randn(7, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    net = RuleRNN(m, "rflo", seed=5)
    y, g = _grads(net, m, x)
    with torch.no_grad():
        h = m.initial_state(4)[0]
        hs = [h]
        for t in range(7):
            h = torch.tanh(x[t] @ m.core.weight_ih_l0.T + m.core.bias_ih_l0
                           + h @ m.core.weight_hh_l0.T + m.core.bias_hh_l0)
            hs.append(h)
        delta = (2 * y) @ net.b_out * (1 - hs[-1] ** 2)  # (B, H)
    torch.testing.assert_close(g["core.weight_hh_l0"], delta.T @ hs[-2])
    torch.testing.assert_close(g["core.weight_ih_l0"], delta.T @ x[-1])
    torch.testing.assert_close(g["core.bias_hh_l0"], delta.sum(0))


def test_readout_rule_freezes_the_network_and_bad_settings_are_named():
    m = _model()
    RuleRNN(m, "readout")
    assert [n for n, p in m.named_parameters() if p.requires_grad] == [
        "readout.weight", "readout.bias"]
    with pytest.raises(ValueError, match=r"unknown RuleRNN.rule 'fa'"):
        RuleRNN(_model(), "fa")
    with pytest.raises(ValueError, match=r"RuleRNN.truncation must be >= 1, got 0"):
        RuleRNN(_model(), "tbptt", truncation=0)
    with pytest.raises(ValueError, match=r"one-layer, unidirectional"):
        RuleRNN(ElmanRNN(3, 8, 2, num_layers=2), "bptt")
