"""``FitInfo.train_ops`` means one thing for every learner: the op counts of the whole fit
per training sample (every pass run, divided by the training samples), and
``train_memory_bytes`` counts what the fit stores (issue 16).

- BPTT learners (lstm / gru / rnn, the rnn family's rules, snn_bptt) count every epoch run:
  three passes cost three times one pass, and a fit stopped early counts the epochs it ran;
- snn_bptt counts its training MACs at all;
- BPTT's memory traffic includes the stored activations, written and read once a pass;
- the ESN stores every reservoir state: its training memory grows with the sequence length;
- a ridge readout's Gram matrices are in the training memory (shared by all samples);
- the STDP reservoir counts its STDP phase's simulation, and the memory traffic of its
  weight updates and of its traces (as Diehl & Cook's triplet traces: every step of every
  STDP presentation);
- Hessian-free counts every gradient, Gauss-Newton product (every CG iteration) and loss
  evaluation its optimiser ran;
- e-prop's traces are read and written every step (traffic grows with T and the synapses;
  the memory does not grow with T);
- e-prop's training counts the forward simulation of every training sequence in every
  epoch run, as inference counts it, from the spikes the training passes emitted;
- the training memory of hopfield, modern_hopfield, rbm and diehl_cook is the bytes of the
  arrays their fits hold, computed again here from the arrays.
"""

from __future__ import annotations

import pytest

from comparisons.learners import get_learner, get_learner_class
from comparisons.tasks import get_task

ADDING = ("adding", {"length": 8, "n_train": 32, "n_test": 8})
SPIKES = ("spike_patterns", {"n_classes": 3, "n_channels": 10, "length": 20, "n_train": 30,
                             "n_test": 6})

BPTT = {
    "lstm": ({"hidden_size": 8, "batch_size": 16}, ADDING),
    "gru": ({"hidden_size": 8, "batch_size": 16}, ADDING),
    "rnn": ({"hidden_size": 8, "batch_size": 16}, ADDING),
    "rnn:tbptt": ({"hidden_size": 8, "batch_size": 16, "truncation": 4}, ADDING),
    "snn_bptt": ({"hidden_size": 16, "batch_size": 16}, SPIKES),
    "rsnn:bptt": ({"n_rec": 16, "batch_size": 16}, SPIKES),
}


def _task(spec):
    name, params = spec
    task = get_task(name, **params)
    return task, task.make(0)


def _fit(name, epochs, stop_at=None):
    params, spec = BPTT[name]
    task, data = _task(spec)
    learner = get_learner_class(name)(seed=0, device="cpu", epochs=epochs, **params)
    if stop_at is not None:
        learner.set_monitor(lambda _l, epoch, _n: epoch >= stop_at)
    return learner.fit(task, data)


@pytest.mark.parametrize("name", sorted(BPTT))
def test_bptt_train_ops_count_every_epoch_run(name):
    one = _fit(name, 1)
    three = _fit(name, 3)
    stopped = _fit(name, 5, stop_at=2)  # early stopping after two of five epochs
    assert one.train_ops["mac"] > 0
    assert len(three.history) == 3 and len(stopped.history) == 2
    for k in ("mac", "mem_read_bytes"):
        assert three.train_ops[k] == pytest.approx(3 * one.train_ops[k], rel=1e-9)
        assert stopped.train_ops[k] == pytest.approx(2 * one.train_ops[k], rel=1e-9)
    assert stopped.extra.get("epochs_run", 2) == 2
    # every pass writes the activations autograd stores for a sample and reads them back
    for info, passes in ((one, 1), (three, 3), (stopped, 2)):
        assert info.train_ops["mem_write_bytes"] == pytest.approx(
            passes * info.train_memory_bytes, rel=1e-9)
        assert info.train_memory_bytes > 0
    # the memory a sample needs does not grow with the number of passes
    assert three.train_memory_bytes == one.train_memory_bytes


@pytest.mark.parametrize("name", ["snn_bptt", "rsnn:bptt", "rsnn:tbptt", "rnn", "gru",
                                  "lstm"])
def test_bptt_train_memory_per_sample_does_not_grow_with_the_training_set(name):
    """The stored activations are measured on one training sequence: a view of the training
    input would count the storage of every training sequence (it did: +322 kB on
    seq_digits)."""
    params, _ = BPTT.get(name, BPTT["rsnn:bptt"])
    params = {**params, **({"truncation": 5} if name == "rsnn:tbptt" else {})}
    params.pop("batch_size", None)
    mem = []
    for n_train in (30, 90):
        task = get_task("spike_patterns", n_classes=3, n_channels=10, length=20,
                        n_train=n_train, n_test=6)
        learner = get_learner_class(name)(seed=0, device="cpu", epochs=1, **params)
        mem.append(learner.fit(task, task.make(0)).train_memory_bytes)
    assert mem[0] == mem[1] > 0


def test_esn_train_memory_is_the_stored_states_and_grows_with_length():
    infos = {}
    for T in (40, 80):
        task = get_task("mackey_glass", length=T, n_train=6, n_test=2, washout=10)
        data = task.make(0)
        learner = get_learner("esn", reservoir_size=30, seed=0, device="cpu")
        infos[T] = (learner.fit(task, data), data.train.n_steps)
    (a, ta), (b, tb) = infos[40], infos[80]
    n = 30
    for info, T in ((a, ta), (b, tb)):
        # at least every reservoir state, float32, per sample
        assert info.extra["train_memory_per_sample_bytes"] >= T * n * 4
        assert info.extra["train_memory_shared_bytes"] >= n * n * 8  # the Gram matrix
        assert info.train_memory_bytes == (info.extra["train_memory_per_sample_bytes"]
                                           + info.extra["train_memory_shared_bytes"])
    assert b.train_memory_bytes - a.train_memory_bytes >= (tb - ta) * n * 4
    assert b.train_memory_bytes > (n + 1) * 4 * 10  # far more than the old (n+1)*4 bytes


@pytest.mark.parametrize("readout", ["ridge", "lms"])
def test_reservoir_train_memory_includes_the_ridge_gram_matrices(readout):
    task = get_task("temporal_xor", n_triples=3, n_train=12, n_test=4)
    data = task.make(0)
    info = get_learner("lif_reservoir", n_neurons=30, steps_per_input=5, readout=readout,
                       seed=0).fit(task, data)
    shared = info.extra["train_memory_shared_bytes"]
    assert shared == (info.extra["gram_bytes"] if readout == "ridge" else 0)
    assert info.train_memory_bytes == info.extra["train_memory_per_sample_bytes"] + shared


def test_stdp_reservoir_counts_its_stdp_phase_and_its_weight_traffic():
    task = get_task("temporal_xor", n_triples=3, n_train=12, n_test=4)
    data = task.make(0)
    kw = {"n_neurons": 30, "steps_per_input": 5, "seed": 0}
    without = get_learner("stdp_reservoir", n_stdp=0, **kw).fit(task, data)
    with_stdp = get_learner("stdp_reservoir", n_stdp=6, **kw).fit(task, data)
    # the STDP phase simulates 6 of the 12 training sequences once more: half a pass of
    # neuron updates per training sample on top of the readout's pass
    assert with_stdp.train_ops["neuron_updates"] == pytest.approx(
        1.5 * without.train_ops["neuron_updates"], rel=1e-9)
    plast = with_stdp.train_ops["plasticity_updates"]
    assert plast > 0
    # every weight update reads and writes one 4-byte weight, on top of the state writes
    assert with_stdp.train_ops["mem_write_bytes"] - without.train_ops["mem_write_bytes"] \
        >= 4 * plast


def _traffic_beyond_ops(ops, state_bytes=4):
    """Memory traffic in ``ops`` beyond what add_memory_traffic gives for its op counts."""
    from comparisons.metrics.ops import add_memory_traffic

    base = add_memory_traffic({k: v for k, v in ops.items() if not k.startswith("mem_")},
                              state_bytes=state_bytes)
    return (ops["mem_read_bytes"] - base["mem_read_bytes"],
            ops["mem_write_bytes"] - base["mem_write_bytes"])


@pytest.mark.parametrize("n_stdp", [0, 6])
def test_stdp_reservoir_counts_its_trace_traffic(n_stdp):
    task = get_task("temporal_xor", n_triples=3, n_train=12, n_test=4)
    data = task.make(0)
    learner = get_learner("stdp_reservoir", n_stdp=n_stdp, n_neurons=30, steps_per_input=5,
                          seed=0)
    info = learner.fit(task, data)
    n, T, F = data.train.n_samples, data.train.n_steps, data.train.x.shape[-1]
    # the pair rule's traces: one per input and one per reservoir neuron, float64, each
    # read and written every simulation step of the STDP phase (6 sequences of T x 5 steps)
    trace_bytes = (F + 30) * 8
    want = n_stdp * T * 5 * trace_bytes / n
    read, write = _traffic_beyond_ops(info.train_ops, learner._state_bytes())
    assert read == pytest.approx(want, rel=1e-12, abs=1e-6)
    assert write == pytest.approx(want, rel=1e-12, abs=1e-6)
    assert info.extra["stdp_trace_steps_per_sample"] == n_stdp * T * 5 / n
    # the traces are held only when there is an STDP phase
    assert info.extra["stdp_trace_bytes"] == (trace_bytes if n_stdp else 0)


@pytest.mark.parametrize("plasticity", [True, False])
def test_diehl_cook_counts_its_stdp_trace_traffic(plasticity):
    task = get_task("seq_digits", n_train=12, n_test=4)
    data = task.make(0)
    learner = get_learner("diehl_cook", n_exc=10, seed=0, plasticity=plasticity)
    info = learner.fit(task, data)
    n, n_in = data.train.n_samples, learner._cfg.n_input
    presentations = learner._model.counters_.as_dict()["presentations"]
    assert presentations >= (n if plasticity else 0)
    # triplet STDP: r1, r2 per input, o1, o2 per excitatory neuron, float64, each read and
    # written every step of every STDP presentation (repeats included)
    trace_bytes = (2 * n_in + 2 * 10) * 8 if plasticity else 0
    want = presentations * learner._cfg.n_steps * trace_bytes / n
    read, write = _traffic_beyond_ops(info.train_ops)
    assert read == pytest.approx(want, rel=1e-12, abs=1e-6)
    assert write == pytest.approx(want, rel=1e-12, abs=1e-6)
    assert info.extra["stdp_trace_steps_per_image"] == presentations * learner._cfg.n_steps / n
    if plasticity:
        assert want > 0


def test_ar_taps_counts_every_lbfgs_iteration_and_the_ridge_gram_matrix():
    task, data = _task(SPIKES)  # class targets: logistic regression by L-BFGS
    learner = get_learner("ar_taps", seed=0)
    info = learner.fit(task, data)
    iters = int(max(learner._model.n_iter_))
    assert iters > 1
    rows = len(data.train.y) / data.train.n_samples  # one row per sample (final output)
    assert info.train_ops["mac"] == pytest.approx(
        2 * iters * learner._macs_per_row() * rows, rel=1e-9)
    task = get_task("mackey_glass", length=60, n_train=6, n_test=2, washout=10)
    learner = get_learner("ar_taps", seed=0)
    info = learner.fit(task, task.make(0))
    d = learner._d_in + 1
    assert info.extra["train_memory_shared_bytes"] == (d * d + d) * 8
    assert info.train_memory_bytes == (info.extra["train_memory_per_sample_bytes"]
                                       + info.extra["train_memory_shared_bytes"])


def test_lds_kalman_train_memory_is_what_its_fit_stores_and_grows_with_length():
    mem = {}
    for T in (40, 80):
        task = get_task("mackey_glass", length=T, n_train=6, n_test=2, washout=10)
        data = task.make(0)
        learner = get_learner("lds_kalman", seed=0)
        mem[T] = (learner.fit(task, data).train_memory_bytes, data.train.n_steps)
    (a, ta), (b, tb) = mem[40], mem[80]
    order = get_learner("lds_kalman").order
    assert a >= ta * order * 8 and b - a >= (tb - ta) * order * 8


# ----------------------------------------------------------------- Hessian-free (issue 16)
def _fit_hf(max_cg, epochs=2):
    """rnn:hessian_free on ADDING with CG capped at ``max_cg`` iterations (the optimiser's
    setting, set on the trainer's optimiser: the learner does not expose it)."""
    cls = get_learner_class("rnn:hessian_free")
    learner = cls(seed=0, device="cpu", epochs=epochs, hidden_size=8, batch_size=16)
    setup = learner._setup

    def capped(task):
        loss = setup(task)
        learner._trainer.optimizer.cg_max_iter = max_cg
        return loss

    learner._setup = capped
    task, data = _task(ADDING)
    return learner.fit(task, data), data.train.n_samples


def test_hessian_free_counts_every_cg_iteration():
    few, n = _fit_hf(2)
    many, _ = _fit_hf(8)
    for info in (few, many):
        hf = info.extra["hessian_free"]
        c = hf["macs_per_sequence"]
        assert c["gradient"] > 0 and c["gn_product"] > c["loss_eval"] > 0
        # 2 epochs of 32 sequences in batches of 16: 4 updates, each one gradient
        assert hf["steps"] == 4 and hf["gradient_sequences"] == 2 * 32
        # a Gauss-Newton product per CG iteration, plus the warm start's residual (all
        # updates but the first) and the reduction ratio's
        assert hf["gn_products"] == hf["cg_iterations"] + (hf["steps"] - 1) + hf["steps"]
        assert hf["gn_product_sequences"] == 16 * hf["gn_products"]
        want = (hf["gradient_sequences"] * c["gradient"]
                + hf["gn_product_sequences"] * c["gn_product"]
                + hf["loss_eval_sequences"] * c["loss_eval"]
                + 5 * hf["n_weights"] * hf["cg_iterations"]) / n
        assert info.train_ops["mac"] == pytest.approx(want, rel=1e-12)
        # the stored activations: written by each gradient, read back by it and by every
        # Gauss-Newton product
        saved = info.extra["train_memory_per_sample_bytes"]
        assert saved > 0
        macs_read = 4 * info.train_ops["mac"]
        assert info.train_ops["mem_write_bytes"] == pytest.approx(
            saved * hf["gradient_sequences"] / n, rel=1e-12)
        assert info.train_ops["mem_read_bytes"] - macs_read == pytest.approx(
            saved * (hf["gradient_sequences"] + hf["gn_product_sequences"]) / n, rel=1e-12)
        assert info.train_memory_bytes == saved + info.extra["train_memory_shared_bytes"]
    # more CG iterations measured, more work counted: the difference is the iterations'
    hf_few, hf_many = few.extra["hessian_free"], many.extra["hessian_free"]
    assert hf_few["cg_iterations"] <= 4 * 2  # capped at 2 per update
    assert hf_many["cg_iterations"] > hf_few["cg_iterations"]
    assert many.train_ops["mac"] > few.train_ops["mac"]
    c = hf_many["macs_per_sequence"]
    assert c == hf_few["macs_per_sequence"]
    d_gv = hf_many["gn_product_sequences"] - hf_few["gn_product_sequences"]
    d_f = hf_many["loss_eval_sequences"] - hf_few["loss_eval_sequences"]
    d_cg = hf_many["cg_iterations"] - hf_few["cg_iterations"]
    assert many.train_ops["mac"] - few.train_ops["mac"] == pytest.approx(
        (d_gv * c["gn_product"] + d_f * c["loss_eval"]
         + 5 * hf_many["n_weights"] * d_cg) / n, rel=1e-9)


# ---------------------------------------------------------- e-prop's traces (issue 16)
def _fit_eprop(name, length, n_rec, epochs=2):
    task = get_task("spike_patterns", n_classes=3, n_channels=10, length=length,
                    n_train=30, n_test=6)
    data = task.make(0)
    learner = get_learner(name, seed=0, device="cpu", n_rec=n_rec, epochs=epochs,
                          batch_size=16)
    return learner.fit(task, data), data.train.n_steps


@pytest.mark.parametrize("name", ["eprop", "rsnn:eprop_random", "rsnn:eprop_symmetric",
                                  "rsnn:readout"])
def test_eprop_trace_traffic_scales_with_length_and_synapses(name):
    n_in = 10
    fits = {(T, n): _fit_eprop(name, T, n) for T, n in ((20, 16), (40, 16), (20, 32))}
    for (_, n), (info, steps) in fits.items():
        # float32 traces (the network's default LIF neurons, no adaptation): presynaptic
        # traces (n_in + N), one filtered eligibility trace per synapse N (n_in + N), the
        # readout's filtered spikes N; the readout rule keeps the last only
        want = 4 * n if name == "rsnn:readout" else 4 * ((n_in + n) + n * (n_in + n) + n)
        assert info.train_memory_bytes == want
        assert sum(info.extra["trace_bytes"].values()) == want
        epochs = info.extra["epochs_run"]
        ops = info.train_ops
        plast = ops["plasticity_updates"]
        assert plast == epochs * steps * (n * 3 if name == "rsnn:readout" else n * (n_in + n))
        # every step reads and writes every trace (on top of the weight updates' traffic
        # and the forward simulation's: weights read per input AC and synaptic event,
        # neuron state read and written per update)
        upd = ops["neuron_updates"]
        assert ops["mem_write_bytes"] == pytest.approx(
            4 * plast + 4 * upd + want * epochs * steps, rel=1e-12)
        assert ops["mem_read_bytes"] == pytest.approx(
            4 * (plast + upd + ops["ac"] + ops["synaptic_events"]) + want * epochs * steps,
            rel=1e-12)
    (a, ta), (b, tb), (c, _) = fits[(20, 16)], fits[(40, 16)], fits[(20, 32)]
    assert tb == 2 * ta
    trace_traffic = {k: v[0].train_ops["mem_write_bytes"] - 4 * (
        v[0].train_ops["plasticity_updates"] + v[0].train_ops["neuron_updates"])
        for k, v in fits.items()}
    # twice the steps, twice the traffic; the memory does not grow with T (online)
    assert trace_traffic[(40, 16)] == pytest.approx(2 * trace_traffic[(20, 16)], rel=1e-12)
    assert b.train_memory_bytes == a.train_memory_bytes
    # more synapses, more trace traffic, in proportion to the trace bytes
    assert trace_traffic[(20, 32)] / trace_traffic[(20, 16)] == pytest.approx(
        c.train_memory_bytes / a.train_memory_bytes, rel=1e-12)
    # the batched form that computes the same gradients holds (T, B, .) arrays: it grows
    held_a, held_b = (a.extra["implementation_held_bytes"],
                      b.extra["implementation_held_bytes"])
    assert held_b["per_sample"] > held_a["per_sample"] > 0


# ------------------------------------ e-prop's training forward simulation (issue 16)
EPROP_TASKS = {"spikes": ("spike_patterns", {"n_classes": 3, "n_channels": 10, "length": 20,
                                             "n_train": 30, "n_test": 6}),
               "digits": ("seq_digits", {"n_train": 40, "n_test": 8})}
FORWARD = ("spikes", "synaptic_events", "neuron_updates")


def _eprop_fit(name, task_key, epochs, stop_at=None, lr=1e-9):
    """One fit of ``name`` with the whole training set in one batch: with a negligible
    learning rate every epoch simulates the same network on the same sequences."""
    task, data = _task(EPROP_TASKS[task_key])
    n = data.train.n_samples
    kw = {"seed": 0, "device": "cpu", "n_rec": 16, "batch_size": n, "lr": lr}
    learner = get_learner(name, epochs=epochs, **kw)
    if stop_at is not None:
        learner.set_monitor(lambda _l, epoch, _n: epoch >= stop_at)
    info = learner.fit(task, data)
    # inference on the training data by the network as it was built (same seed), counted
    # as predict counts it
    fresh = get_learner(name, epochs=1, **kw)
    fresh._build(task, data.train.x.shape[-1])
    fresh.predict(data.train.x)
    return info, fresh.last_inference_ops


@pytest.mark.parametrize("name, task_key", [
    ("eprop", "spikes"), ("eprop", "digits"), ("rsnn:eprop_random", "spikes"),
    ("rsnn:eprop_random", "digits"), ("rsnn:eprop_symmetric", "spikes"),
    ("rsnn:readout", "spikes")])
def test_eprop_train_ops_count_the_forward_simulation_of_every_epoch(name, task_key):
    one, inf = _eprop_fit(name, task_key, 1)
    three, _ = _eprop_fit(name, task_key, 3)
    stopped, _ = _eprop_fit(name, task_key, 5, stop_at=2)
    inp = "ac" if task_key == "spikes" else "mac"  # spike trains: ACs; pixels: MACs
    assert inf[inp] > 0 and inf["spikes"] > 0
    for info, epochs in ((one, 1), (three, 3), (stopped, 2)):
        assert info.extra["epochs_run"] == epochs
        ops = info.train_ops
        # the forward pass of every training sequence in every epoch run, per sample,
        # as inference counts it on the same data
        assert ops[inp] == pytest.approx(epochs * inf[inp], rel=1e-12)
        assert ops["neuron_updates"] == pytest.approx(epochs * inf["neuron_updates"],
                                                      rel=1e-12)
        for k in ("spikes", "synaptic_events"):
            assert ops[k] == pytest.approx(epochs * inf[k], rel=1e-6)
        assert info.extra["train_forward_ops"] == {k: ops[k] for k in (inp, *FORWARD)}
        # on top of the rule's own work and traffic
        assert ops["mem_read_bytes"] > epochs * inf["mem_read_bytes"]
        assert ops["plasticity_updates"] > 0
    # linear in the epochs run
    for k in (inp, *FORWARD):
        assert three.train_ops[k] == pytest.approx(3 * one.train_ops[k], rel=1e-6)
        assert stopped.train_ops[k] == pytest.approx(2 * one.train_ops[k], rel=1e-6)


def test_eprop_train_spikes_are_the_training_passes_own():
    """With learning on, each epoch's network differs: the counted spikes are those the
    training passes emitted (the same forward simulation run again with each batch's
    weights gives the same total), not the trained network's inference spikes."""
    import torch

    from backprop.eprop import rsnn_forward

    task, data = _task(EPROP_TASKS["spikes"])
    learner = get_learner("eprop", seed=0, device="cpu", n_rec=16, batch_size=8,
                          epochs=2, lr=2e-2)
    seen = []
    build = learner._build

    def spying_build(task_, n_in):
        build(task_, n_in)
        step = learner._net.train_step

        def spy(x, y, mask=None):
            with torch.no_grad():
                seen.append(float(rsnn_forward(x, learner._net.weights,
                                               learner._net.params)["z"].sum()))
            return step(x, y, mask)

        learner._net.train_step = spy

    learner._build = spying_build
    info = learner.fit(task, data)
    n = data.train.n_samples
    assert len(seen) == 2 * -(-n // 8)
    assert info.train_ops["spikes"] == pytest.approx(sum(seen) / n, rel=1e-6)
    assert info.train_ops["neuron_updates"] == 2 * data.train.n_steps * 16


# ------------------------------------------- measured training memory (issue 16)
def _recall(n_bits, n_patterns=5):
    task = get_task("associative_recall", n_bits=n_bits, n_patterns=n_patterns, n_train=40,
                    n_test=10, n_val=10)
    return task, task.make(0)


@pytest.mark.parametrize("rule", ["hebbian", "storkey", "pseudo_inverse"])
def test_hopfield_train_memory_is_measured_and_grows_with_size(rule):
    seen = {}
    for n_bits in (32, 64):
        task, data = _recall(n_bits)
        learner = get_learner("hopfield", rule=rule, seed=0, device="cpu")
        info = learner.fit(task, data)
        item = learner._model.weights_.dtype.itemsize
        p = learner._model.patterns_.shape[0]
        # one training pattern as the rule reads it; Storkey's two local-field vectors;
        # the pseudo-inverse X^+ (N x P)
        shared = {"hebbian": 0, "storkey": 2 * n_bits * item,
                  "pseudo_inverse": n_bits * p * item}[rule]
        assert info.extra["train_memory_per_sample_bytes"] == n_bits * item
        assert info.extra["train_memory_shared_bytes"] == shared
        assert info.train_memory_bytes == n_bits * item + shared
        seen[n_bits] = info.train_memory_bytes
    assert seen[64] > seen[32]


def test_modern_hopfield_train_memory_is_the_stored_pattern():
    for n_bits in (32, 64):
        task, data = _recall(n_bits)
        learner = get_learner("modern_hopfield", seed=0, device="cpu")
        info = learner.fit(task, data)
        assert info.train_memory_bytes == learner._model._x_t[0].nbytes == n_bits * 8


def test_rbm_train_memory_is_what_a_cd_step_holds():
    import numpy as np

    mem = {}
    for n_bits, nh in ((32, 16), (64, 16), (32, 32)):
        task, data = _recall(n_bits)
        learner = get_learner("rbm", n_hidden=nh, epochs=2, seed=0, device="cpu")
        info = learner.fit(task, data)
        f32 = np.dtype(np.float32).itemsize
        # per row: ph0a, ha, phka (nh + 1 each) and vka (n_v + 1) of the CD step, and the
        # row with its ones column twice (the data tensor and the epoch's shuffled copy)
        per_row = (3 * (nh + 1) + (n_bits + 1)) * f32 + 2 * (n_bits + 1) * f32
        packed = (n_bits + 1) * (nh + 1) * f32  # the gradient and the momentum buffer
        assert info.extra["train_memory_per_sample_bytes"] == per_row
        assert info.extra["train_memory_shared_bytes"] == 2 * packed
        assert learner._model._velocity.nbytes == packed
        assert info.train_memory_bytes == per_row + 2 * packed
        mem[(n_bits, nh)] = info.train_memory_bytes
    assert mem[(64, 16)] > mem[(32, 16)] and mem[(32, 32)] > mem[(32, 16)]


@pytest.mark.parametrize("kw", [{}, {"plasticity": False}, {"readout": "linear"}])
def test_diehl_cook_train_memory_is_its_traces_and_label_counts(kw):
    from neurosim.learning.diehl_cook import INPUT_EXC, build_network

    task = get_task("seq_digits", n_train=12, n_test=4)
    data = task.make(0)
    mem = {}
    for n_exc in (10, 20):
        learner = get_learner("diehl_cook", n_exc=n_exc, seed=0, **kw)
        info = learner.fit(task, data)
        n_in = learner._cfg.n_input
        # a training network built independently: its plastic state less the weights
        net = build_network(learner._cfg, learner._model.W_, batch=1, learn=True)
        plastic = net.get_state()[f"plastic:{INPUT_EXC}"]
        traces = sum(a.nbytes for k, a in plastic.items() if k != "w")
        assert traces == (2 * n_in + 2 * n_exc) * 8  # triplet rule: r1, r2, o1, o2
        if kw.get("plasticity") is False:
            traces = 0  # nothing is presented for learning
        counts = n_exc * 8 * (2 if kw.get("readout") == "linear" else 1)
        assert info.train_memory_bytes == traces + counts
        assert info.extra["train_memory_per_sample_bytes"] == info.train_memory_bytes
        mem[n_exc] = info.train_memory_bytes
    assert mem[20] > mem[10]


def test_stored_activations_per_sample_leave_parameters_out():
    # a linear layer saves its input (F floats per sample) for the weight gradient, and a
    # masked copy of its weight once per pass: one more sample adds exactly its input
    import torch

    from comparisons.metrics.memory import autograd_saved_bytes, saved_bytes_per_sample

    F, O = 32, 16
    w = torch.randn(O, F, requires_grad=True)
    mask = 1.0 - torch.eye(O, F)

    def fn(x):
        return torch.tanh(x @ (w * mask).T)

    per = saved_bytes_per_sample(fn, lambda b: (torch.randn(b, F),))
    assert per == F * 4 + O * 4          # the input row and the tanh output row
    # the absolute figure also holds one O x F matrix saved once per pass (the masked
    # weight or the mask), never the leaf parameter w as a second one
    assert autograd_saved_bytes(fn, torch.randn(1, F)) == per + O * F * 4
