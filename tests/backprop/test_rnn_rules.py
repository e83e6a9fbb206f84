"""The rnn family's rules (backprop.rnn_rules): the forward pass is the Elman model's, BPTT
and truncation covering the sequence are autograd's, feedback alignment with B = W is
backprop, RFLO is Murray's (2019) update for tau = 1, the readout rule trains only W_out;
locality measured by perturbation (RFLO local; BPTT reads W^T; feedback alignment through
time reads no W^T but a third unit's activity), and the family's declared marks checked
against it."""

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


# ----------------------------------------------------------------- measured locality
# The scorecard's "local" measured (issue "rule-swap families"): a rule is local when the
# update of W[i, j] reads only the presynaptic activity h_j, quantities of the postsynaptic
# unit i and a broadcast signal (here, the output error through a fixed matrix). Two
# perturbations leave the forward trajectory bit-for-bit the same (asserted) and change
# something the update must not read:
#   "transpose": unit I is held silent (no input, recurrent input or bias; h0 = 0, so
#       h_I = tanh(0) = 0 at every step); its outgoing weight W[K, I] (the synapse I -> K,
#       stored at unit K) multiplies 0 and can be changed freely. BPTT's error reaching I
#       is sum_k W[k, I] delta_k: it reads W^T. Measured on I's incoming weights.
#   "third_unit": unit K reaches nothing (W[:, K] = 0, W_out[:, K] = 0); its input weights
#       change, so h_K changes and nothing else does. Measured on the weights between the
#       other units (pre and post != K) and on the readout weights from the other units.
_H, _I, _K = 8, 2, 5


def _locality_model(case, output, perturbed):
    m = _model(output)
    with torch.no_grad():
        c = m.core
        if case == "transpose":
            c.weight_ih_l0[_I] = 0.0
            c.weight_hh_l0[_I] = 0.0
            c.bias_ih_l0[_I] = 0.0
            c.bias_hh_l0[_I] = 0.0
            m.h0[..., _I] = 0.0
            if perturbed:
                c.weight_hh_l0[_K, _I] += 0.5
        else:
            c.weight_hh_l0[:, _K] = 0.0
            m.readout.weight[:, _K] = 0.0
            if perturbed:
                c.weight_ih_l0[_K] += 0.5
                c.bias_ih_l0[_K] += 0.3
    return m


def _states(m, x):
    """The hidden trajectory (T, B, H), recomputed from the weights."""
    c = m.core
    with torch.no_grad():
        h = m.initial_state(x.shape[1])[0]
        hs = []
        for t in range(x.shape[0]):
            h = torch.tanh(x[t] @ c.weight_ih_l0.T + c.bias_ih_l0 + h @ c.weight_hh_l0.T
                           + c.bias_hh_l0)
            hs.append(h)
    return torch.stack(hs)


def _moved(case, rule, output):
    """How far the perturbation of ``case`` moves ``rule``'s updates of the network's
    weights (``None``: the rule does not train them) and of the readout's, with the forward
    trajectory the same."""
    x = torch.randn(12, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    runs = []
    for perturbed in (False, True):
        m = _locality_model(case, output, perturbed)
        out, g = _grads(RuleRNN(m, rule, truncation=4, seed=3), m, x)
        runs.append((out, _states(m, x), g))
    (out_a, h_a, g_a), (out_b, h_b, g_b) = runs
    assert torch.equal(out_a, out_b)  # the outputs, hence the errors, are the same
    others = torch.arange(_H) != _K
    if case == "transpose":
        assert torch.equal(h_a, h_b) and not h_a[..., _I].any()
        rows, cols = torch.tensor([_I]), torch.arange(_H)
    else:
        assert torch.equal(h_a[..., others], h_b[..., others])
        assert not torch.equal(h_a[..., _K], h_b[..., _K])  # only unit K moved
        rows = cols = others.nonzero().ravel()

    def diff(key, index):
        if g_a.get(key) is None:
            return None
        return float((g_a[key][index] - g_b[key][index]).abs().max())

    net = [diff("core.weight_hh_l0", (rows[:, None], cols)), diff("core.weight_ih_l0", rows),
           diff("core.bias_hh_l0", rows)]
    return (None if net[0] is None else max(net),
            diff("readout.weight", (slice(None), cols)))


@pytest.mark.parametrize("output", ["many_to_one", "many_to_many"])
def test_rflo_and_feedback_alignment_updates_do_not_read_the_transpose_bptt_does(output):
    moved = {rule: _moved("transpose", rule, output) for rule in RNN_RULES}
    for rule in ("bptt", "tbptt", "hessian_free"):  # hessian_free: BPTT's gradients
        assert moved[rule][0] > 1e-6, rule
    for rule in ("rflo", "feedback_alignment"):
        assert moved[rule][0] == 0.0, rule  # bit-for-bit
    assert moved["readout"][0] is None  # the network is frozen
    assert all(readout == 0.0 for _, readout in moved.values())  # the delta rule


@pytest.mark.parametrize("output", ["many_to_one", "many_to_many"])
def test_rflo_reads_no_other_unit_and_feedback_alignment_reads_a_third_units_activity(
        output):
    moved = {rule: _moved("third_unit", rule, output) for rule in RNN_RULES}
    assert moved["rflo"][0] == 0.0  # error through B_out times phi'(u_i) h_j: local
    # feedback alignment through time: unit i's error sums B[k, i] delta_k over the other
    # units, each delta_k scaled by phi'(u_k): it reads unit K's activity, though K is not
    # connected to i (no weight transport, but not local)
    assert moved["feedback_alignment"][0] > 1e-6
    # BPTT's error of K is exactly 0 (K reaches nothing), so this probe cannot move it;
    # the transpose probe shows BPTT's non-locality
    for rule in ("bptt", "tbptt", "hessian_free"):
        assert moved[rule][0] == 0.0, rule
    assert all(readout == 0.0 for _, readout in moved.values())


def test_declared_local_marks_of_the_rate_family_are_the_measured_ones():
    # the rnn family's declared marks (comparisons.learners.families) against the two
    # probes: local = neither moves the network's update; no weight transport = the
    # transpose probe does not (None: the rule trains none of the network)
    from comparisons.learners.families import family_members

    members = family_members("rnn")
    assert sorted(members) == sorted(RNN_RULES)
    for rule, cls in members.items():
        probes = [_moved(case, rule, "many_to_many") for case in ("transpose", "third_unit")]
        net = [p[0] for p in probes]
        local = None if net[0] is None else all(v == 0.0 for v in net)
        no_transport = None if net[0] is None else net[0] == 0.0
        parts = cls.scorecard_components
        assert parts["representation"]["local_learning"] is local, rule
        assert parts["representation"]["no_weight_transport"] is no_transport, rule
        # every rule's readout gradient is the delta rule; Hessian-free's step then mixes
        # all weights through the curvature (the optimiser, not probed here), so it
        # declares its readout non-local
        assert all(p[1] == 0.0 for p in probes), rule
        assert parts["readout"]["local_learning"] is (rule != "hessian_free"), rule
