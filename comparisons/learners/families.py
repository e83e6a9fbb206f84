"""Rule-swap families: one network, several learning rules (issue "rule-swap families").

A family fixes the network (neurons, sizes, initial weights for a seed, readout, loss,
optimiser, search space) and varies only the rule that computes the weight updates, so a
difference between its rows is the rule's. Its learners are named ``family:rule``.

``rsnn``: e-prop's recurrent LIF network (Bellec et al. 2020; :mod:`backprop.eprop`, 100
neurons by default, no self-connections, leaky readout, Adam) trained by
:mod:`backprop.rsnn_rules`: ``rsnn:bptt`` (surrogate-gradient BPTT), ``rsnn:tbptt``
(truncated, ``truncation`` steps), ``rsnn:eprop_symmetric``, ``rsnn:eprop_random`` (the
random-feedback online rule; RFLO's spiking form) and ``rsnn:readout`` (input and
recurrent weights frozen: the reservoir control). The readout's loss follows the task
(cross-entropy of one class per sequence over the last steps as in the paper, or per step;
binary cross-entropy; squared error), so the family takes every task kind (the plain
``eprop`` learner keeps the paper's whole-sequence classification). Every rule trains all
three weight matrices except ``readout``, which trains ``W_out`` and ``b_out`` only (said
in its row's readout field). The search space is the optimiser's (learning rate, batch
size); the size is not tuned, so that a family compares rules at one size (sweep ``n_rec``
with a ``learner_grid`` for size curves).

``rnn``: backprop's Elman tanh RNN (one layer, 32 units, learned initial state, linear
readout; the trainer's loss, Adam, clipping and early stopping) trained by
:mod:`backprop.rnn_rules`: ``rnn:bptt``, ``rnn:tbptt``, ``rnn:feedback_alignment`` (through
time), ``rnn:rflo`` (Murray 2019), ``rnn:hessian_free`` (Martens & Sutskever 2011; its
damping is tuned where the others tune Adam's learning rate) and ``rnn:readout``.

Scorecards are declared per rule and per component from what the rule computes: the
representation (the recurrent network: what the rule does) and the readout (the delta rule
for every rule but Hessian-free, whose step mixes all weights through the curvature); the
learner-level card is the weaker of the two (:func:`comparisons.learners.scorecard.combine`;
rubric: ``docs/guide/scorecard.md``). The rate family's ``local_learning`` and
``no_weight_transport`` marks of the representation are measured:
``tests/backprop/test_rnn_rules.py`` perturbs, with the forward trajectory bit-for-bit the
same, a weight only the transpose reads and a third unit's activity, and checks these
declarations against which rules' updates move.
"""

from __future__ import annotations

from typing import Any

from comparisons.learners import LEARNERS, register
from comparisons.learners.rnn import ElmanLearner
from comparisons.learners.scorecard import (
    DELTA_RULE_READOUT,
    Components,
    combine,
    not_learned,
    readout_card,
)
from comparisons.learners.spiking import EPropLearner
from comparisons.metrics.ops import add_memory_traffic, flop_count_macs
from comparisons.space import Choice, Float, Param
from comparisons.validation import check_float, check_int

#: family -> rule -> registered learner name (filled by :func:`_rsnn`)
FAMILIES: dict[str, dict[str, str]] = {}

_RSNN_SPACE: dict[str, Param] = {
    "lr": Float(1e-4, 3e-2, log=True),
    "batch_size": Choice((8, 16, 32, 64, 128)),
}

_BPTT_CARD = {
    # gradients through time and across neurons: the transpose of the forward weights,
    # the derivative of the (surrogate) spike function, a backward phase after the sequence
    "local_learning": False, "no_weight_transport": False, "no_derivative_feedback": False,
    "no_clocked_phases": False, "binary_spikes": True, "no_target_outputs": False,
    "online_in_time": False,
}
_EPROP_CARD = {
    "local_learning": True, "no_weight_transport": True, "no_derivative_feedback": False,
    "no_clocked_phases": True, "binary_spikes": True, "no_target_outputs": False,
    "online_in_time": True,
}


def _parts(representation: dict[str, bool | None]) -> Components:
    """A family rule's components: its representation card, the delta-rule readout (every
    rule here trains the readout by its error times the filtered activity)."""
    return {"representation": representation, "readout": DELTA_RULE_READOUT}


#: rule -> (description, per-component card); the learner-level card is their combination
_RSNN_RULES: dict[str, tuple[str, Components]] = {
    "bptt": ("backpropagation through time with e-prop's pseudo-derivative as surrogate",
             _parts(_BPTT_CARD)),
    "tbptt": ("truncated BPTT: no gradient across windows of `truncation` steps",
              _parts(_BPTT_CARD)),
    "eprop_symmetric": ("e-prop, learning signal through W_out.T (weight transport)",
                        _parts({**_EPROP_CARD, "no_weight_transport": False})),
    "eprop_random": ("e-prop, learning signal through fixed random feedback (RFLO-like)",
                     _parts(_EPROP_CARD)),
    "readout": ("input and recurrent weights frozen; the readout learns (reservoir control)",
                _parts(not_learned(binary_spikes=True))),
}


def _rsnn(rule: str, doc: str, parts: Components) -> type[EPropLearner]:
    name = f"rsnn:{rule}"
    cls = type(f"RSNN_{rule}", (EPropLearner,), {
        "__doc__": f"The ``rsnn`` family's network trained by rule ``{rule}``: {doc}.",
        "__module__": __name__,
        "name": name, "family": "spiking", "rule_family": "rsnn", "rule": rule,
        "all_outputs": True,
        "scorecard": combine(parts), "scorecard_components": parts,
        "search_space": dict(_RSNN_SPACE),
    })
    FAMILIES.setdefault("rsnn", {})[rule] = name
    globals()[cls.__name__] = cls  # importable by name: instances pickle (Dask, copies)
    return register(cls)


for _rule, (_doc, _parts_of_rule) in _RSNN_RULES.items():
    _rsnn(_rule, _doc, _parts_of_rule)


def family_members(family: str) -> dict[str, type[Any]]:
    """``{rule: learner class}`` of a family."""
    return {rule: LEARNERS[name] for rule, name in FAMILIES[family].items()}


__all__ = ["FAMILIES", "family_members"]


# ------------------------------------------------------------------------- the rate RNN
#: ``rnn``: backprop's Elman tanh RNN (one layer, 32 units by default, learned initial
#: state, linear readout), trained by the trainer (loss, Adam, clipping, early stopping)
#: with the backward pass of :mod:`backprop.rnn_rules`.
_RNN_SPACE: dict[str, Param] = {
    "lr": Float(1e-4, 3e-2, log=True),
    "batch_size": Choice((8, 16, 32, 64, 128)),
}
#: Hessian-free takes whole Newton-like steps (its step scale is 1): its search space is
#: its damping instead of a learning rate, with the same number of trials
_HF_SPACE: dict[str, Param] = {
    "damping": Float(1e-3, 10.0, log=True),
    "batch_size": Choice((8, 16, 32, 64, 128)),
}
_RATE_BPTT_CARD = {**_BPTT_CARD, "binary_spikes": False}
_RATE_LOCAL_CARD = {
    "local_learning": True, "no_weight_transport": True, "no_derivative_feedback": False,
    "no_clocked_phases": True, "binary_spikes": False, "no_target_outputs": False,
    "online_in_time": True,
}
#: Hessian-free's step solves for all weights at once through the Gauss-Newton curvature
#: of the whole network (conjugate gradients over the batch, products through W^T and
#: phi'): the readout's update is not its own delta rule
_HF_READOUT = readout_card(
    local_learning=False, no_weight_transport=False, no_derivative_feedback=False,
    no_clocked_phases=False, no_target_outputs=False, online_in_time=False)
#: feedback alignment through time: no weight transport, but the error reaching unit i is
#: a sum over other units' errors through B and back in time, each scaled by that unit's
#: derivative: unit i's update reads the activity of units it is not connected to
#: (measured: tests/backprop/test_rnn_rules.py)
_RATE_FA_CARD = {**_RATE_BPTT_CARD, "no_weight_transport": True}
_RNN_RULES: dict[str, tuple[str, Components]] = {
    "bptt": ("backpropagation through time", _parts(_RATE_BPTT_CARD)),
    "tbptt": ("truncated BPTT: no gradient across windows of `truncation` steps",
              _parts(_RATE_BPTT_CARD)),
    "feedback_alignment": ("feedback alignment through time: fixed random matrices carry "
                           "the error back (no weight transport, still a backward phase)",
                           _parts(_RATE_FA_CARD)),
    "rflo": ("random-feedback local online learning (Murray 2019)",
             _parts(_RATE_LOCAL_CARD)),
    "hessian_free": ("BPTT gradients with the Hessian-free optimiser (Martens & Sutskever "
                     "2011)", {"representation": _RATE_BPTT_CARD, "readout": _HF_READOUT}),
    "readout": ("recurrent and input weights frozen; the readout learns (reservoir "
                "control)", _parts(not_learned(binary_spikes=False))),
}


class RNNRule(ElmanLearner):
    """The ``rnn`` family's Elman network trained by ``rule``.

    Training counts as :class:`~comparisons.learners.rnn.ElmanLearner` (one forward +
    backward pass of the rule per sample per epoch run, with the stored activations'
    traffic), except ``hessian_free``, which counts the work its optimiser recorded
    (:meth:`_count_hessian_free`; the counts and per-sequence costs in
    ``extra["hessian_free"]``).
    """

    def __init__(self, seed: int = 0, device: str = "auto", hidden_size: int = 32,
                 epochs: int = 40, batch_size: int = 64, lr: float = 1e-2,
                 clip_norm: float = 1.0, num_layers: int = 1, truncation: int = 10,
                 damping: float = 1.0) -> None:
        super().__init__(seed=seed, device=device, hidden_size=hidden_size,
                         epochs=epochs, batch_size=batch_size, lr=lr,
                         clip_norm=clip_norm, num_layers=num_layers)
        if self.num_layers != 1:
            raise ValueError(f"{self.name}.num_layers must be 1 (the family's network "
                             f"is one recurrent layer), got {num_layers}")
        #: window of truncated BPTT (steps; the rule "tbptt" only)
        self.truncation = check_int(f"{self.name}.truncation", truncation, low=1)
        #: initial Tikhonov damping of Hessian-free (the rule "hessian_free" only)
        self.damping = check_float(f"{self.name}.damping", damping, low=0.0,
                                   low_open=True)

    def _setup(self, task: Any) -> str:
        from backprop import Trainer
        from backprop.rnn_rules import RuleRNN

        self._task = task
        self._model = self._build(task)
        self._rule_net = RuleRNN(self._model, self.rule, truncation=self.truncation,
                                 seed=self.seed)
        loss = {"binary": "bce", "class": "ce", "real": "mse"}[task.target]
        hf = self.rule == "hessian_free"
        self._trainer = Trainer(self._rule_net, loss=loss,
                                optimizer="hf" if hf else "adam",
                                lr=1.0 if hf else self.lr,
                                clip_norm=None if hf else self.clip_norm,
                                device=self.device, seed=self.seed, progress=False,
                                hf_options={"damping": self.damping} if hf else None)
        self.device_used = str(self._trainer.device)
        return loss

    def _train_macs(self, task: Any, x1: Any, y1: Any, loss: str) -> float:
        """MACs of one forward + backward pass of the rule on one sequence."""
        from backprop.rnn_rules import RuleRNN
        from backprop.train import masked_loss

        twin = RuleRNN(self._twin(task), self.rule, truncation=self.truncation,
                       seed=self.seed)

        def step() -> None:
            masked_loss(loss, twin(x1), y1).backward()

        _, macs = flop_count_macs(step)
        return macs

    def fit(self, task: Any, data: Any) -> Any:
        info = super().fit(task, data)
        info.readout = ("readout (trains the readout layer only; input and recurrent "
                        "weights and the initial state frozen)" if self.rule == "readout"
                        else self.rule)
        if self.rule == "hessian_free":
            self._count_hessian_free(task, data, info)
        return info

    def _count_hessian_free(self, task: Any, data: Any, info: Any) -> None:
        r"""Replace ``info``'s training counts with Hessian-free's whole fit, from the work
        its optimiser recorded (:attr:`backprop.hessian_free.HessianFree.counts`).

        Per training sample (``n`` of them), over every update :math:`s` run (batch of
        :math:`B_s` sequences, :math:`I_s` CG iterations, :math:`G_s` Gauss--Newton
        products -- one per CG iteration, one for the warm-started residual, one for the
        reduction ratio -- and :math:`E_s` loss evaluations of CG backtracking and the line
        search; Martens & Sutskever 2011):

        .. math::

            \text{mac} = \frac1n \sum_s \Big[ B_s (C_g + G_s C_{Gv} + E_s C_f)
                + 5 P I_s \Big]

        with :math:`C_g`, :math:`C_{Gv}`, :math:`C_f` the MACs of one gradient (forward +
        backward), one Gauss--Newton product (forward with the forward-mode product
        :math:`Jv`, backward through the stored activations) and one loss evaluation
        (forward) on one training sequence, measured with ``FlopCounterMode``
        (:meth:`~backprop.hessian_free.HessianFree.op_costs`), and :math:`5P` the vector
        work of one CG iteration on :math:`P` weights (two dot products, three axpys).
        Memory traffic: :func:`~comparisons.metrics.ops.add_memory_traffic` on these MACs,
        plus the activations each gradient stores (``saved`` bytes a sequence, written
        once an update) and that its backward pass and every Gauss--Newton product read
        back. The training memory adds to the stored activations per sample the largest
        set of parameter-sized vectors an update held (shared by the batch).
        """
        import torch

        from backprop.hessian_free import HessianFree
        from backprop.rnn_rules import RuleRNN
        from backprop.train import masked_loss

        counts = dict(self._trainer.optimizer.counts)
        n = max(int(data.train.n_samples), 1)
        loss = {"binary": "bce", "class": "ce", "real": "mse"}[task.target]
        x1 = torch.as_tensor(data.train.x[:, :1])
        y = data.train.y[:, :1] if task.output == "per_step" else data.train.y[:1]
        y1 = torch.as_tensor(y)
        if task.target == "class":
            y1 = y1.long()
        m1 = None
        if task.output == "per_step" and data.train.mask is not None:
            m1 = torch.as_tensor(data.train.mask[:, :1])
        twin = RuleRNN(self._twin(task), self.rule, truncation=self.truncation,
                       seed=self.seed)
        costs = HessianFree(twin).op_costs(
            (x1,), lambda out: masked_loss(loss, out, y1, m1),
            lambda fn: flop_count_macs(fn)[1])
        n_weights = sum(p.numel() for p in twin.parameters() if p.requires_grad)
        macs = (counts["gradient_sequences"] * costs["gradient"]
                + counts["gn_product_sequences"] * costs["gn_product"]
                + counts["loss_eval_sequences"] * costs["loss_eval"]
                + 5.0 * n_weights * counts["cg_iterations"]) / n
        saved = int(info.extra.get("train_memory_per_sample_bytes", info.train_memory_bytes))
        ops = add_memory_traffic({"mac": float(macs)})
        ops["mem_write_bytes"] += saved * counts["gradient_sequences"] / n
        ops["mem_read_bytes"] += saved * (counts["gradient_sequences"]
                                          + counts["gn_product_sequences"]) / n
        info.train_ops = ops
        shared = int(counts["peak_vector_bytes"])
        info.train_memory_bytes = saved + shared
        info.extra.update({
            "train_memory_per_sample_bytes": saved, "train_memory_shared_bytes": shared,
            "hessian_free": {**counts, "macs_per_sequence": costs, "n_weights": n_weights},
        })
        info.extra.pop("train_macs_per_pass", None)  # one BPTT pass: not HF's unit


def _rnn(base: type[Any], rule: str, doc: str, parts: Components) -> type[Any]:
    name = f"rnn:{rule}"
    cls = type(f"RNN_{rule}", (base,), {
        "__doc__": f"The ``rnn`` family's Elman network trained by rule ``{rule}``: {doc}.",
        "__module__": __name__,
        "name": name, "family": "backprop", "rule_family": "rnn", "rule": rule,
        "scorecard": combine(parts), "scorecard_components": parts,
        "search_space": dict(_HF_SPACE if rule == "hessian_free" else _RNN_SPACE),
    })
    FAMILIES.setdefault("rnn", {})[rule] = name
    globals()[cls.__name__] = cls
    return register(cls)


for _rule, (_doc, _parts_of_rule) in _RNN_RULES.items():
    _rnn(RNNRule, _rule, _doc, _parts_of_rule)
