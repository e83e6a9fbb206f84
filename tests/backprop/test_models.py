"""Tests for backprop.models: the fused and the explicit cell path agree, shapes, learned
initial states, bad input."""

import dataclasses

import pytest
import torch

from backprop.models import (
    GRU,
    LSTM,
    ElmanRNN,
    EncoderDecoder,
    RNNConfig,
    elman_cell,
    gru_cell,
    lstm_cell,
)

CLASSES = [LSTM, GRU, ElmanRNN]


def _with_impl(model, impl):
    model.config = dataclasses.replace(model.config, impl=impl)
    return model


def _randomise_initial_state(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        model.h0.copy_(torch.randn(model.h0.shape, generator=g))
        if hasattr(model, "c0"):
            model.c0.copy_(torch.randn(model.c0.shape, generator=g))


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(
    ("bidirectional", "num_layers", "output"),
    [(False, 1, "many_to_many"), (True, 2, "many_to_one"), (True, 1, "many_to_many"),
     (False, 2, "many_to_one")],
)
def test_fused_and_cell_paths_agree(cls, bidirectional, num_layers, output):
    m = cls(3, 6, 2, num_layers=num_layers, bidirectional=bidirectional, output=output, seed=1)
    _randomise_initial_state(m)
    x = torch.randn(9, 4, 3, generator=torch.Generator().manual_seed(2))
    y_fused, s_fused = _with_impl(m, "fused")(x, return_state=True)
    g_fused = torch.autograd.grad(y_fused.square().sum(), list(m.parameters()))
    y_cell, s_cell = _with_impl(m, "cell")(x, return_state=True)
    g_cell = torch.autograd.grad(y_cell.square().sum(), list(m.parameters()))
    torch.testing.assert_close(y_cell, y_fused, rtol=1e-5, atol=1e-5)
    for a, b in zip(s_cell if isinstance(s_cell, tuple) else (s_cell,),
                    s_fused if isinstance(s_fused, tuple) else (s_fused,)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    for a, b in zip(g_cell, g_fused):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls", CLASSES)
def test_output_shapes_and_batch_first(cls):
    x = torch.randn(7, 5, 3)
    m = cls(3, 4, 2, seed=0)
    assert m(x).shape == (7, 5, 2)
    mb = cls(3, 4, 2, seed=0, batch_first=True)
    torch.testing.assert_close(mb(x.transpose(0, 1)), m(x).transpose(0, 1))
    m1 = cls(3, 4, 2, seed=0, output="many_to_one")
    y1 = m1(x)
    assert y1.shape == (5, 2)
    # unidirectional many-to-one = readout of the last step
    torch.testing.assert_close(y1, m1.readout(m1.features(x)[0][-1]))
    assert cls(3, 4, None, seed=0)(x).shape == (7, 5, 4)  # no readout: hidden features
    assert cls(3, 4, None, seed=0, bidirectional=True)(x).shape == (7, 5, 8)


def test_bidirectional_many_to_one_sees_the_whole_sequence():
    # the backward direction's final state has read x[0]: changing x[0] changes the output
    m = GRU(2, 4, 1, bidirectional=True, output="many_to_one", seed=0)
    x = torch.randn(6, 3, 2)
    x2 = x.clone()
    x2[0] += 1.0
    assert not torch.allclose(m(x), m(x2))


def test_pure_cells_match_torch_cells():
    torch.manual_seed(0)
    x, h, c = torch.randn(4, 3), torch.randn(4, 5), torch.randn(4, 5)
    ref = torch.nn.LSTMCell(3, 5)
    h1, c1, gates = lstm_cell(
        torch.nn.functional.linear(x, ref.weight_ih, ref.bias_ih), h, c, ref.weight_hh, ref.bias_hh
    )
    h2, c2 = ref(x, (h, c))
    torch.testing.assert_close(h1, h2)
    torch.testing.assert_close(c1, c2)
    assert gates.shape == (4, 20) and (gates[:, :5] > 0).all() and (gates[:, :5] < 1).all()
    ref = torch.nn.GRUCell(3, 5)
    h1, _ = gru_cell(torch.nn.functional.linear(x, ref.weight_ih, ref.bias_ih), h,
                     ref.weight_hh, ref.bias_hh)
    torch.testing.assert_close(h1, ref(x, h))
    ref = torch.nn.RNNCell(3, 5)
    h1 = elman_cell(torch.nn.functional.linear(x, ref.weight_ih, ref.bias_ih), h,
                    ref.weight_hh, ref.bias_hh)
    torch.testing.assert_close(h1, ref(x, h))


def test_logistic_elman_matches_the_equation():
    m = ElmanRNN(2, 3, None, nonlinearity="logistic", seed=0)
    assert m.impl == "cell"
    x = torch.randn(4, 2, 2)
    w_ih, w_hh = m.core.weight_ih_l0, m.core.weight_hh_l0
    b = m.core.bias_ih_l0 + m.core.bias_hh_l0
    h = m.h0[0].expand(2, 3)
    expected = []
    for t in range(4):
        h = torch.sigmoid(x[t] @ w_ih.T + h @ w_hh.T + b)
        expected.append(h)
    torch.testing.assert_close(m(x), torch.stack(expected))
    assert ((m(x) > 0) & (m(x) < 1)).all()


@pytest.mark.parametrize("cls", CLASSES)
def test_initial_state_is_learned(cls):
    m = cls(2, 4, 1, seed=0)
    names = {n for n, _ in m.named_parameters()}
    assert "h0" in names and (("c0" in names) == (cls is LSTM))
    m(torch.randn(5, 3, 2)).sum().backward()
    assert m.h0.grad is not None and m.h0.grad.abs().sum() > 0
    frozen = cls(2, 4, 1, seed=0, learn_initial_state=False)
    assert "h0" not in {n for n, _ in frozen.named_parameters()}
    assert torch.count_nonzero(frozen.h0) == 0


def test_seed_reproducible_and_global_rng_untouched():
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    a, b = LSTM(3, 4, 2, seed=11), LSTM(3, 4, 2, seed=11)
    assert torch.rand(2).equal(expected)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    c = LSTM(3, 4, 2, seed=12)
    assert not torch.equal(a.core.weight_hh_l0, c.core.weight_hh_l0)


@pytest.mark.parametrize("cls", CLASSES)
def test_float64_agrees_with_float32_and_input_not_modified(cls):
    m = cls(3, 5, 2, seed=0)
    x = torch.randn(6, 2, 3)
    x_copy = x.clone()
    y32 = m(x)
    y64 = m.double()(x.double())
    torch.testing.assert_close(y64.float(), y32, rtol=1e-5, atol=1e-5)
    assert torch.equal(x, x_copy)


def test_state_carry_equals_one_long_run():
    m = LSTM(2, 4, 1, seed=0)
    x = torch.randn(10, 3, 2)
    y_full = m(x)
    y_a, s = m(x[:4], return_state=True)
    y_b = m(x[4:], s)
    torch.testing.assert_close(torch.cat([y_a, y_b]), y_full)


def test_record_gives_per_step_graph_tensors():
    m = LSTM(2, 4, 1, seed=0)
    rec: list = []
    out, _ = m.features(torch.randn(6, 3, 2), record=rec)
    assert len(rec) == 1 and len(rec[0]["h"]) == 6 and rec[0]["gates"][0].shape == (3, 16)
    torch.testing.assert_close(rec[0]["h"][-1], out[-1])


def test_bad_input_shapes():
    m = LSTM(8, 4, 1)
    with pytest.raises(ValueError, match=r"LSTM expected x of shape \(T, B, 8\), got \(5, 3, 2\)"):
        m(torch.zeros(5, 3, 2))
    with pytest.raises(ValueError, match="rank 3"):
        m(torch.zeros(5, 8))
    with pytest.raises(ValueError, match="empty sequence"):
        m(torch.zeros(0, 3, 8))
    mb = LSTM(8, 4, 1, batch_first=True)
    with pytest.raises(ValueError, match=r"expected x of shape \(B, T, 8\)"):
        mb(torch.zeros(5, 8, 3))
    with pytest.raises(ValueError, match=r"expected state h of shape \(1, 3, 4\)"):
        m(torch.zeros(5, 3, 8), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4)))
    with pytest.raises(TypeError, match=r"state as a tuple \(h, c\)"):
        m(torch.zeros(5, 3, 8), torch.zeros(1, 3, 4))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="RNNConfig.hidden_size must be >= 1, got 0"):
        LSTM(3, 0, 1)
    with pytest.raises(TypeError, match=r"RNNConfig.input_size must be an int, got float \(3.0\)"):
        GRU(3.0, 4, 1)
    with pytest.raises(ValueError, match="unknown RNNConfig.output 'one'; choose from"):
        GRU(3, 4, 1, output="one")
    with pytest.raises(ValueError, match="unknown RNNConfig.impl 'cudnn'; choose from: auto"):
        GRU(3, 4, 1, impl="cudnn")
    with pytest.raises(ValueError, match="unknown ElmanRNN.nonlinearity 'relu'"):
        ElmanRNN(3, 4, 1, nonlinearity="relu")
    with pytest.raises(ValueError, match="logistic Elman units run only on impl='cell'"):
        ElmanRNN(3, 4, 1, nonlinearity="logistic", impl="fused")
    with pytest.raises(ValueError, match="RNNConfig.dropout must be in"):
        RNNConfig(cell="lstm", input_size=1, hidden_size=1, dropout=1.5)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        if torch.cuda.is_available():
            raise RuntimeError("CUDA is not available (skipped: CUDA present)")
        LSTM(3, 4, 1, device="cuda")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_encoder_decoder_teacher_forcing_with_own_outputs_equals_free_running(cell):
    m = EncoderDecoder(3, 8, 2, cell=cell, output_steps=5, seed=0)
    x = torch.randn(7, 4, 3)
    y = m(x)
    assert y.shape == (5, 4, 2)
    torch.testing.assert_close(m(x, teacher=y.detach()), y, rtol=1e-5, atol=1e-6)
    assert m(x, steps=3).shape == (3, 4, 2)


@pytest.mark.parametrize("seed", [0, 1])
def test_encoder_decoder_learns_to_reverse(seed):
    from backprop import Trainer

    x = torch.rand(4, 800, 1, generator=torch.Generator().manual_seed(seed))
    y = x.flip(0)
    tr = Trainer(EncoderDecoder(1, 24, 1, cell="gru", seed=seed), lr=2e-2, seed=seed,
                 progress=False)
    tr.fit(x, y, epochs=8, batch_size=40)
    assert tr.evaluate(x, y) < 0.1 * float(y.var())


def test_encoder_decoder_bad_input():
    m = EncoderDecoder(3, 8, 2)
    with pytest.raises(ValueError, match=r"expected teacher of shape \(T_out, 4, 2\)"):
        m(torch.randn(7, 4, 3), teacher=torch.randn(5, 4, 3))
    with pytest.raises(ValueError, match="unknown Seq2SeqConfig.cell 'transformer'"):
        EncoderDecoder(3, 8, 2, cell="transformer")
    with pytest.raises(ValueError, match=r"expected x of shape \(T, B, 3\)"):
        m(torch.randn(7, 4, 2))
