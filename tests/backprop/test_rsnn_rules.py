"""The rsnn family's rules (backprop.rsnn_rules): BPTT equals autograd through the
reference forward, truncation covering the sequence equals BPTT, e-prop with symmetric
feedback equals BPTT where theory says so, the readout rule leaves the network alone, and
random e-prop's learning signal is the random matrix, not the forward transpose."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from backprop.eprop import EProp, EPropParams, rsnn_forward
from backprop.rsnn_rules import RSNN_RULES, bptt_gradients, rsnn_gradients


def _setup(seed=0, n_adaptive=0, zero_rec=False, T=25):
    p = EPropParams(n_adaptive=n_adaptive, readout_steps=6, tau_a=25.0, beta_a=0.7)
    net = EProp(10, 16, 3, p, seed=seed, device="cpu", dtype=torch.float64)
    w = {k: v.detach().clone() for k, v in net.weights.items()}
    if zero_rec:
        w["w_rec"].zero_()
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(T, 5, 10, generator=g) < 0.3).double()
    y = torch.randint(0, 3, (5,), generator=g)
    return p, net, w, x, y


@pytest.mark.parametrize("n_adaptive", [0, 16])
def test_bptt_equals_autograd_through_the_reference_forward(n_adaptive):
    p, _, w, x, y = _setup(1, n_adaptive)
    ref = {k: v.clone().requires_grad_(True) for k, v in w.items()}
    window = rsnn_forward(x, ref, p)["y"][-p.readout_steps:]
    loss = F.cross_entropy(window.reshape(-1, 3), y.repeat(window.shape[0]))
    g_ref = torch.autograd.grad(loss, list(ref.values()))
    out = bptt_gradients(x, y, w, p)
    assert out["loss"] == pytest.approx(loss.item(), rel=1e-12) and out["rate"] > 0.01
    for k, g in zip(ref, g_ref, strict=True):
        torch.testing.assert_close(out["grads"][k], g, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n_adaptive", [0, 16])
def test_truncation_covering_the_sequence_is_bptt_and_shorter_windows_are_not(n_adaptive):
    p, net, w, x, y = _setup(2, n_adaptive, T=25)
    full = rsnn_gradients("bptt", x, y, w, p, net.feedback)["grads"]
    same = rsnn_gradients("tbptt", x, y, w, p, net.feedback, truncation=25)["grads"]
    short = rsnn_gradients("tbptt", x, y, w, p, net.feedback, truncation=5)["grads"]
    for k in full:
        torch.testing.assert_close(same[k], full[k], rtol=0, atol=0)
    # the readout is outside the network: exact under every truncation
    torch.testing.assert_close(short["w_out"], full["w_out"])
    torch.testing.assert_close(short["b_out"], full["b_out"])
    assert (short["w_in"] - full["w_in"]).abs().max() > 1e-3 * full["w_in"].abs().max()


@pytest.mark.parametrize("seed", [0, 1])
def test_symmetric_eprop_equals_bptt_without_recurrent_weights(seed):
    # no path between neurons: e-prop's eligibility traces carry the whole gradient
    # (Bellec et al. 2020, Methods)
    p, net, w, x, y = _setup(seed, 8, zero_rec=True)
    bptt = rsnn_gradients("bptt", x, y, w, p, net.feedback)["grads"]
    ep = rsnn_gradients("eprop_symmetric", x, y, w, p, net.feedback)["grads"]
    for k in ("w_in", "w_out", "b_out"):
        torch.testing.assert_close(ep[k], bptt[k], rtol=1e-9, atol=1e-12)


def test_random_eprop_broadcasts_through_the_random_matrix_not_the_transpose():
    p, net, w, x, y = _setup(3)
    rnd = rsnn_gradients("eprop_random", x, y, w, p, net.feedback)["grads"]
    sym = rsnn_gradients("eprop_symmetric", x, y, w, p, net.feedback)["grads"]
    as_sym = rsnn_gradients("eprop_random", x, y, w, p, w["w_out"].T.contiguous())["grads"]
    assert not torch.allclose(net.feedback, w["w_out"].T)
    assert (rnd["w_in"] - sym["w_in"]).abs().max() > 1e-6
    torch.testing.assert_close(as_sym["w_in"], sym["w_in"])  # only B differs


def test_readout_rule_trains_only_the_readout():
    p, _, _, x, y = _setup(4)
    net = EProp(10, 16, 3, p, seed=4, device="cpu", dtype=torch.float64, rule="readout")
    before = {k: v.detach().clone() for k, v in net.weights.items()}
    net.fit(x, y, epochs=3, batch_size=5)
    after = net.weights
    assert torch.equal(after["w_in"], before["w_in"])
    assert torch.equal(after["w_rec"], before["w_rec"])
    assert not torch.equal(after["w_out"], before["w_out"])


def test_every_rule_starts_from_the_same_network_for_a_seed():
    nets = [EProp(10, 16, 3, seed=7, device="cpu", rule=r) for r in RSNN_RULES]
    for n in nets[1:]:
        for k, v in nets[0].weights.items():
            assert torch.equal(n.weights[k], v)
        assert torch.equal(n.feedback, nets[0].feedback)


def test_bad_rule_and_truncation():
    with pytest.raises(ValueError, match=r"unknown EProp.rule 'bpt'"):
        EProp(2, 3, 2, device="cpu", rule="bpt")
    with pytest.raises(ValueError, match=r"EProp.truncation must be >= 1, got 0"):
        EProp(2, 3, 2, device="cpu", rule="tbptt", truncation=0)


@pytest.mark.parametrize("loss, per_step", [("mse", False), ("bce", True), ("ce", True),
                                            ("mse", True)])
def test_any_readout_loss_keeps_eprop_equal_to_bptt_without_recurrence(loss, per_step):
    # the learning signal is the loss's exact dE/dy_t at the output units, so the theory
    # (W_rec = 0, symmetric feedback: e-prop = BPTT) holds for every readout loss
    p, net, w, x, _ = _setup(5, 8, zero_rec=True)
    g = torch.Generator().manual_seed(9)
    T, B = x.shape[:2]
    shape = ((T,) if per_step else ()) + (B,)
    if loss == "ce":
        y = torch.randint(0, 3, shape, generator=g)
    else:
        y = torch.rand(*shape, 3, generator=g, dtype=torch.float64)
        y = (y > 0.5).double() if loss == "bce" else y
    mask = (torch.rand(T, B, generator=g) > 0.3).double() if per_step else None
    kw = {"loss": loss, "per_step": per_step, "mask": mask}
    bptt = rsnn_gradients("bptt", x, y, w, p, net.feedback, **kw)
    ep = rsnn_gradients("eprop_symmetric", x, y, w, p, net.feedback, **kw)
    assert ep["loss"] == pytest.approx(bptt["loss"], rel=1e-12)
    assert bptt["grads"]["w_in"].abs().max() > 0
    for k in ("w_in", "w_out", "b_out"):
        torch.testing.assert_close(ep["grads"][k], bptt["grads"][k], rtol=1e-9, atol=1e-12)


def test_targets_of_the_wrong_shape_are_named():
    net = EProp(4, 8, 2, device="cpu", loss="mse", output="per_step")
    x = torch.zeros(5, 3, 4)
    with pytest.raises(ValueError, match=r"expected targets y of shape \(5, 3, 2\), got \(3, 2\)"):
        net.train_step(x, torch.zeros(3, 2))


def test_eprop_updates_are_local_and_bptt_updates_are_not():
    # The scorecard's "local" measured: perturb a weight w[k, m] between two other neurons so
    # slightly that no spike moves. A local rule's update of w[j, i] (j != k) reads only
    # presynaptic activity of i, quantities of j and j's broadcast learning signal, all
    # unchanged: it is bit-for-bit the same. BPTT's update of w[j, i] carries j's influence
    # through k (W^T, k's derivative), so it changes.
    p, net, w, x, y = _setup(6, 0, T=30)
    z = rsnn_gradients("bptt", x, y, w, p, net.feedback)["z"]
    m = int(z.sum((0, 1)).argmax())  # the busiest neuron: its spikes reach k
    k = (m + 1) % 16
    assert z[:, :, m].sum() > 0
    w2 = {key: v.clone() for key, v in w.items()}
    w2["w_rec"][k, m] += 1e-7
    rows = torch.arange(16) != k  # postsynaptic neurons other than k
    moved = {}
    for rule in ("eprop_random", "eprop_symmetric", "bptt"):
        a = rsnn_gradients(rule, x, y, w, p, net.feedback)
        b = rsnn_gradients(rule, x, y, w2, p, net.feedback)
        assert torch.equal(a["z"], b["z"])  # no spike moved
        moved[rule] = float((a["grads"]["w_rec"][rows] - b["grads"]["w_rec"][rows]).abs().max())
        for key in ("w_in", "w_out"):
            moved[rule] = max(moved[rule], float(
                (a["grads"][key][rows if key == "w_in" else slice(None)]
                 - b["grads"][key][rows if key == "w_in" else slice(None)]).abs().max()))
    assert moved["eprop_random"] == 0.0 and moved["eprop_symmetric"] == 0.0
    assert moved["bptt"] > 0.0
