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
  weight updates.
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
