"""Tests for backprop.train: learning, truncated BPTT gradients, clipping, NaN handling,
checkpoints/resume, early stopping, bad input."""

import math

import numpy as np
import pytest
import torch

from backprop import GRU, LSTM, ElmanRNN, NonFiniteLossError, Trainer, masked_loss


def delayed_echo(n, T=12, delay=2, seed=0):
    """Output at t = input at t - delay: needs memory, easy for any RNN."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(T, n, 1, generator=g)
    y = torch.zeros_like(x)
    y[delay:] = x[:-delay]
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_reduces_loss_far_below_baseline(seed):
    x, y = delayed_echo(256, seed=seed)
    mask = torch.ones(y.shape[:2])
    mask[:2] = 0  # the first two targets are unknowable
    tr = Trainer(GRU(1, 16, 1, seed=seed), lr=2e-2, seed=seed, progress=False)
    base = float(masked_loss("mse", torch.zeros_like(y), y, mask))
    tr.fit(x, y, epochs=25, batch_size=64, mask=mask)
    assert tr.evaluate(x, y, mask) < 0.1 * base


def test_same_seed_same_run_different_seed_different_run():
    x, y = delayed_echo(64)
    runs = []
    for seed in (0, 0, 1):
        tr = Trainer(LSTM(1, 8, 1, seed=3), lr=1e-2, seed=seed, progress=False)
        runs.append(tr.fit(x, y, epochs=2, batch_size=16).step_loss)
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_fit_leaves_the_callers_random_stream_alone():
    x, y = delayed_echo(32)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    tr = Trainer(LSTM(1, 8, 1, num_layers=2, dropout=0.3, seed=0), seed=5, progress=False)
    tr.fit(x, y, epochs=2, batch_size=16)
    assert torch.equal(torch.get_rng_state(), before)


def test_dropout_stream_carries_over_between_fit_calls():
    # fit(2) then fit(4) equals fit(4) in one go, whatever the caller draws in between
    x, y = delayed_echo(32)

    def trainer():
        return Trainer(LSTM(1, 8, 1, num_layers=2, dropout=0.3, seed=0), lr=1e-2, seed=5,
                       progress=False)

    a = trainer()
    ha = a.fit(x, y, epochs=4, batch_size=16)
    b = trainer()
    b.fit(x, y, epochs=2, batch_size=16)
    torch.rand(1000)  # the caller's own draws
    hb = b.fit(x, y, epochs=4, batch_size=16)
    assert hb.step_loss == ha.step_loss
    # the dropout masks do come from that stream: with the batch order fixed, another
    # training seed changes the losses with dropout and not without it
    def losses(seed, dropout):
        tr = Trainer(LSTM(1, 8, 1, num_layers=2, dropout=dropout, seed=0), lr=1e-2,
                     seed=seed, progress=False)
        return tr.fit(x, y, epochs=2, batch_size=16, shuffle=False).step_loss

    assert losses(5, 0.3) != losses(6, 0.3)
    assert losses(5, 0.0) == losses(6, 0.0)


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_optimizers_step(optimizer):
    x, y = delayed_echo(64)
    tr = Trainer(ElmanRNN(1, 8, 1, seed=0), optimizer=optimizer, lr=1e-2, progress=False)
    h = tr.fit(x, y, epochs=3, batch_size=16)
    assert h.steps == 12 and len(h.loss) == 3 and h.loss[-1] < h.loss[0]


def test_gradient_norm_is_clipped():
    x, y = delayed_echo(32)
    y = y * 1000.0  # huge gradients
    model = ElmanRNN(1, 8, 1, seed=0)
    tr = Trainer(model, optimizer="sgd", lr=1e-3, momentum=0.0, clip_norm=0.5, progress=False)
    before = [p.detach().clone() for p in model.parameters()]
    tr.fit(x, y, epochs=1, batch_size=32, shuffle=False)
    step = torch.sqrt(sum(((p - b) ** 2).sum() for p, b in zip(model.parameters(), before)))
    assert tr.history.grad_norm[0] > 0.5
    assert float(step.detach()) == pytest.approx(1e-3 * 0.5, rel=1e-4)  # |dw| = lr * clip_norm


def _record_grads(model):
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # weights stay fixed
    grads = []
    orig = opt.step

    def step(*a, **k):
        grads.append([None if p.grad is None else p.grad.detach().clone()
                      for p in model.parameters()])
        return orig(*a, **k)

    opt.step = step
    return opt, grads


@pytest.mark.parametrize(("k1", "k2"), [(3, 3), (2, 5), (4, 6), (10, 10)])
def test_truncated_bptt_gradients_match_the_definition(k1, k2):
    """Every k1 steps: the loss on those k1 steps, backpropagated through the last k2 steps."""
    T = 10
    x, y = delayed_echo(4, T=T, seed=1)
    model = LSTM(1, 5, 1, seed=0)
    opt, grads = _record_grads(model)
    tr = Trainer(model, optimizer=opt, tbptt=(k1, k2), clip_norm=None, progress=False)
    tr.fit(x, y, epochs=1, batch_size=4, shuffle=False)
    expected = []
    for t0 in range(0, T, k1):
        t1 = min(t0 + k1, T)
        s = max(0, t1 - k2)
        state = None
        if s > 0:
            with torch.no_grad():
                _, state = model(x[:s], return_state=True)
        out = model(x[s:t1], state)[t0 - s :]
        loss = torch.nn.functional.mse_loss(out, y[t0:t1])
        expected.append(torch.autograd.grad(loss, list(model.parameters()), allow_unused=True))
    assert len(grads) == len(expected) == math.ceil(T / k1)
    for got, want in zip(grads, expected):
        for g, w in zip(got, want):
            if w is None:  # e.g. the learned initial state in a window that starts later
                assert g is None or torch.count_nonzero(g) == 0
            else:
                torch.testing.assert_close(g, w)


def test_truncated_bptt_with_whole_sequence_is_full_bptt():
    x, y = delayed_echo(8, T=10)
    full = Trainer(LSTM(1, 5, 1, seed=0), seed=0, progress=False)
    trunc = Trainer(LSTM(1, 5, 1, seed=0), seed=0, tbptt=(10, 10), progress=False)
    full.fit(x, y, epochs=2, batch_size=4)
    trunc.fit(x, y, epochs=2, batch_size=4)
    for p, q in zip(full.model.parameters(), trunc.model.parameters()):
        torch.testing.assert_close(p, q)


@pytest.mark.parametrize(
    ("tbptt", "exc", "pattern"),
    [
        ((0, 5), ValueError, "tbptt k1 must be >= 1, got 0"),
        ((5, -1), ValueError, "tbptt k2 must be >= 1, got -1"),
        ((2.5, 5), TypeError, r"tbptt k1 must be an int, got float \(2.5\)"),
        ((5, 2), ValueError, "k2 must be >= k1"),
        (5, TypeError, r"tbptt must be a pair \(k1, k2\)"),
    ],
)
def test_bad_truncation_lengths(tbptt, exc, pattern):
    with pytest.raises(exc, match=pattern):
        Trainer(LSTM(1, 4, 1), tbptt=tbptt)


def test_tbptt_needs_per_step_targets():
    x, y = delayed_echo(8)
    tr = Trainer(LSTM(1, 4, 1, output="many_to_one"), tbptt=(2, 2), progress=False)
    with pytest.raises(ValueError, match="tbptt needs per-step targets"):
        tr.fit(x, y[-1], epochs=1)


def test_nan_loss_stops_with_step_and_hint():
    x, y = delayed_echo(32)
    x[5, 20, 0] = float("nan")  # sample 20 lies in the second batch of 16 (no shuffling)
    tr = Trainer(LSTM(1, 4, 1, seed=0), lr=1e-3, clip_norm=None, progress=False)
    with pytest.raises(NonFiniteLossError, match=r"nan at epoch 1, batch 2 \(optimizer step 2\)"
                       r".*smaller learning rate \(lr=0.001\).*clip_norm=None"):
        tr.fit(x, y, epochs=1, batch_size=16, shuffle=False)
    assert all(torch.isfinite(p).all() for p in tr.model.parameters())


def test_divergence_from_a_huge_learning_rate_is_reported():
    x, y = delayed_echo(32)
    tr = Trainer(ElmanRNN(1, 8, 1, seed=0), optimizer="sgd", lr=1e12, clip_norm=None,
                 progress=False)
    with pytest.raises(NonFiniteLossError, match="learning rate"):
        tr.fit(x, y * 1e3, epochs=20, batch_size=8)


def test_checkpoint_resume_equals_uninterrupted_run(tmp_path):
    x, y = delayed_echo(64)
    ck = tmp_path / "ck.pt"
    a = Trainer(GRU(1, 6, 1, seed=0), lr=1e-2, seed=4, progress=False)
    ha = a.fit(x, y, epochs=4, batch_size=16)
    b = Trainer(GRU(1, 6, 1, seed=0), lr=1e-2, seed=4, progress=False)
    b.fit(x, y, epochs=2, batch_size=16, checkpoint=ck)
    torch.manual_seed(999)  # disturb the global RNG; resume must restore it
    c = Trainer(GRU(1, 6, 1, seed=1), lr=1e-2, seed=4, progress=False)  # other init
    hc = c.fit(x, y, epochs=4, batch_size=16, checkpoint=ck, resume=True)
    assert hc.epochs == 4 and hc.loss == pytest.approx(ha.loss, rel=1e-6)
    for p, q in zip(a.model.parameters(), c.model.parameters()):
        torch.testing.assert_close(p, q)


def test_early_stopping_restores_best_weights():
    x, y = delayed_echo(64)
    xv, yv = delayed_echo(64, seed=9)
    yv = torch.randn_like(yv) * 3  # unlearnable validation targets: no steady improvement
    tr = Trainer(GRU(1, 8, 1, seed=0), lr=3e-2, progress=False)
    h = tr.fit(x, y, epochs=200, batch_size=16, validation=(xv, yv), patience=2)
    assert h.stopped_early and h.epochs < 200
    assert h.epochs - h.best_epoch == 2
    assert tr.evaluate(xv, yv) == pytest.approx(h.best_loss, rel=1e-5)


def test_numpy_input_predict_and_ce_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 40, 3)).astype(np.float32)
    y = (x[:, :, 0].sum(0) > 0).astype(np.int64)
    tr = Trainer(LSTM(3, 8, 2, output="many_to_one", seed=0), loss="ce", lr=2e-2, progress=False)
    tr.fit(x, y, epochs=30, batch_size=40)
    pred = tr.predict(x)
    assert pred.shape == (40, 2) and pred.device.type == "cpu"
    assert (pred.argmax(1).numpy() == y).mean() > 0.9


def test_batch_first_hint_when_layout_swapped():
    x = torch.randn(32, 10, 3)  # (B, T, F) given to a time-major model
    y = torch.randn(32, 1)
    tr = Trainer(LSTM(3, 4, 1, output="many_to_one"), progress=False)
    with pytest.raises(ValueError, match=r"looks like \(B, T, F\).*batch_first=True"):
        tr.fit(x, y)
    tr_bf = Trainer(LSTM(3, 4, 1, output="many_to_one", batch_first=True), progress=False)
    assert len(tr_bf.fit(x, y, epochs=1).loss) == 1


def test_bad_trainer_arguments():
    m = LSTM(1, 4, 1)
    with pytest.raises(ValueError, match="Trainer.lr must be > 0, got -1"):
        Trainer(m, lr=-1)
    with pytest.raises(ValueError, match="unknown Trainer.loss 'l2'; choose from: mse, bce, ce"):
        Trainer(m, loss="l2")
    with pytest.raises(ValueError, match="unknown Trainer.optimizer 'lbfgs'; choose from"):
        Trainer(m, optimizer="lbfgs")
    with pytest.raises(ValueError, match="clip_norm must be > 0, got 0"):
        Trainer(m, clip_norm=0)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        Trainer("model")
    x, y = delayed_echo(8)
    with pytest.raises(ValueError, match="Trainer.fit epochs must be >= 1, got 0"):
        Trainer(m, progress=False).fit(x, y, epochs=0)
    with pytest.raises(ValueError, match="needs targets shaped like the outputs"):
        Trainer(m, progress=False).fit(x, y[..., 0])
    with pytest.raises(TypeError, match="integer class targets"):
        Trainer(LSTM(1, 4, 3), loss="ce", progress=False).fit(x, y)


def test_amp_on_cpu_warns_and_runs_float32():
    x, y = delayed_echo(8)
    with pytest.warns(UserWarning, match="amp=True needs a CUDA device"):
        tr = Trainer(LSTM(1, 4, 1), amp=True, device="cpu", progress=False)
    assert tr.fit(x, y, epochs=1).loss[0] > 0


def test_tbptt_batch_first_equals_time_major():
    x, y = delayed_echo(16, T=10)
    tm = Trainer(GRU(1, 5, 1, seed=0), tbptt=(3, 5), progress=False)
    bf = Trainer(GRU(1, 5, 1, seed=0, batch_first=True), tbptt=(3, 5), progress=False)
    h1 = tm.fit(x, y, epochs=2, batch_size=8)
    h2 = bf.fit(x.transpose(0, 1), y.transpose(0, 1), epochs=2, batch_size=8)
    assert h1.step_loss == pytest.approx(h2.step_loss, rel=1e-5)
    torch.testing.assert_close(bf.predict(x.transpose(0, 1)), tm.predict(x).transpose(0, 1))
