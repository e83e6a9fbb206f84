"""Named run configurations for the CLI (``--preset``), as data.

Each preset declares its budget (:class:`comparisons.protocol.Budget`): tuning trials per
(task, learner), training passes per fit and early-stopping patience — the same for every
learner of the preset.

- ``quick``: what ``make report`` runs: 6 tasks (reduced sizes) x 7 learners, 3 seeds,
  4 trials, 20 passes (Mackey–Glass 100); at most 10 minutes on a 2-core CPU.
- ``standard``: every registered learner (outside the rule-swap families) on every task
  it supports at the tasks' default sizes, 5 seeds, 8 trials, 20 passes (Mackey–Glass:
  100, its 64 series are few samples per pass) (about 2.5 hours on 2 cores with
  ``--local-workers 2``); cells a learner does not support are skipped and listed in
  the report.
- ``ablation``: the ``stdp_reservoir`` as a grid, input coding (poisson / latency /
  analog) x plasticity (``n_stdp`` 100 / 0) x readout (lms / ridge), beside
  ``lif_reservoir``, and ``diehl_cook`` as plasticity (on / off) x readout (label
  assignment / logistic regression) on ``seq_digits``; 5 tasks at reduced sizes, sizes
  fixed, 3 seeds, the quick budget; the report adds the ablation table and each factor's
  main effect (analog input with STDP has no input spikes to pair: skipped, with the
  reason).
- ``families``: every rule of the ``rsnn`` and ``rnn`` rule-swap families
  (:mod:`comparisons.learners.families`) on 6 tasks at reduced sizes, 5 seeds, the quick
  budget (``learners = "all"`` leaves family members out; name them, or use this preset).
- ``full``: every learner on every task at the literature-scale settings of
  :data:`comparisons.tasks.FULL_SETTINGS`, 10 seeds, 30 trials, 50 passes (meant for a GPU
  or a cluster: ``--local-workers N`` / ``--scheduler ADDRESS``).

A preset is validated like a TOML config (:func:`comparisons.config.config_from_dict`), and a
config file can start from one (``preset = "standard"``).
"""

from __future__ import annotations

from typing import Any

from comparisons.validation import check_choice

PRESETS: dict[str, dict[str, Any]] = {
    # `make report`: <= 10 minutes on a 2-core CPU, tuning included. Smaller task sizes
    # than the defaults (said in the report); 7 learners, 4 of them reservoir, spiking,
    # local-learning or memory models.
    "quick": {
        "title": "neurosim comparison (quick preset)",
        "tasks": ["adding", "binary_addition", "mackey_glass", "seq_digits",
                  "associative_recall", "temporal_xor"],
        "learners": ["lstm", "rnn", "ar_taps", "esn", "lif_reservoir", "eprop", "hopfield"],
        "seeds": [0, 1, 2],
        "budget": {"trials": 4, "passes": 20, "patience": 4},
        # 32 long series: 20 passes are few optimiser steps; more passes, every learner alike
        "task_budgets": {"mackey_glass": {"passes": 100}},
        "task_params": {
            "adding": {"length": 30, "n_train": 1000, "n_val": 200, "n_test": 300},
            "binary_addition": {"train_bits": 8, "test_bits": 16, "n_train": 1000,
                                "n_val": 200, "n_test": 300},
            "mackey_glass": {"n_train": 32, "n_val": 8, "n_test": 16},
            "seq_digits": {},
            "associative_recall": {"n_train": 200, "n_val": 100, "n_test": 200},
            "temporal_xor": {"n_triples": 10, "n_train": 1000, "n_val": 200, "n_test": 250},
        },
        "learner_params": {"lif_reservoir": {"n_neurons": 200, "steps_per_input": 5}},
        "memory_lengths": [25, 50, 100],
    },
    # Every learner on every task it supports at the tasks' default sizes, 5 seeds, the
    # same tuning budget for all: sized for <= 4 hours on 2 cores (--local-workers 2).
    "standard": {
        "title": "neurosim comparison (standard preset)",
        "tasks": "all",
        "learners": "all",
        "seeds": [0, 1, 2, 3, 4],
        "budget": {"trials": 8, "passes": 20, "patience": 5},
        # 64 long series per pass: more passes, for every learner alike
        "task_budgets": {"mackey_glass": {"passes": 100}},
        "memory_lengths": [25, 50, 100],
    },
    # The stdp_reservoir as a factorial grid (issue "rule-swap families"): input coding x
    # plasticity x readout, each variant tuned alike; lif_reservoir (analog input through
    # signed Gaussian weights, ridge) as the reference row. Reduced task sizes as "quick".
    "ablation": {
        "title": "stdp_reservoir ablation: input coding x plasticity x readout",
        "tasks": ["seq_digits", "temporal_xor", "adding", "mackey_glass", "spike_patterns"],
        "learners": ["stdp_reservoir", "lif_reservoir", "diehl_cook"],
        # the size is fixed (not tuned), so that a factor's effect is not a size change
        "learner_params": {"stdp_reservoir": {"n_neurons": 200},
                           "lif_reservoir": {"n_neurons": 200},
                           "diehl_cook": {"n_exc": 100}},
        "learner_grid": {"stdp_reservoir": {"input_coding": ["poisson", "latency", "analog"],
                                            "n_stdp": [0, 100], "readout": ["lms", "ridge"]},
                         "diehl_cook": {"plasticity": [True, False],
                                        "readout": ["labels", "linear"]}},
        "seeds": [0, 1, 2],
        "budget": {"trials": 4, "passes": 20, "patience": 4},
        "task_budgets": {"mackey_glass": {"passes": 100}},
        "task_params": {
            "adding": {"length": 30, "n_train": 1000, "n_val": 200, "n_test": 300},
            "mackey_glass": {"n_train": 32, "n_val": 8, "n_test": 16},
            "seq_digits": {},
            "temporal_xor": {"n_triples": 10, "n_train": 1000, "n_val": 200, "n_test": 250},
            "spike_patterns": {},
        },
        "memory_lengths": [],
    },
    # The rule-swap families (issue "rule-swap families"): within a family only the rule
    # differs; every rule of both families on the tasks each family's network supports,
    # tuned alike, 5 seeds. Reduced task sizes as "quick"; Hessian-free's passes are the
    # costliest (a pass solves a CG problem per batch).
    "families": {
        "title": "rule-swap families: one network, several learning rules",
        "tasks": ["seq_digits", "spike_patterns", "mnist1d", "adding", "temporal_xor",
                  "binary_addition"],
        "learners": ["rsnn:bptt", "rsnn:tbptt", "rsnn:eprop_symmetric", "rsnn:eprop_random",
                     "rsnn:readout", "rnn:bptt", "rnn:tbptt", "rnn:feedback_alignment",
                     "rnn:rflo", "rnn:hessian_free", "rnn:readout"],
        "seeds": [0, 1, 2, 3, 4],
        "budget": {"trials": 4, "passes": 20, "patience": 4},
        "task_params": {
            "adding": {"length": 30, "n_train": 1000, "n_val": 200, "n_test": 300},
            "binary_addition": {"train_bits": 8, "test_bits": 16, "n_train": 1000,
                                "n_val": 200, "n_test": 300},
            "temporal_xor": {"n_triples": 10, "n_train": 1000, "n_val": 200, "n_test": 250},
            "seq_digits": {}, "spike_patterns": {}, "mnist1d": {},
        },
        "memory_lengths": [],
    },
    # Literature-scale tasks, more trials: for a GPU or a cluster.
    "full": {
        "title": "neurosim comparison (full preset)",
        "tasks": "all",
        "learners": "all",
        "seeds": list(range(10)),
        "budget": {"trials": 30, "passes": 50, "patience": 10},
        "task_budgets": {"mackey_glass": {"passes": 200}},
        "full_task_settings": True,
        "memory_lengths": [50, 100, 200, 400],
    },
}


def get_preset(name: str) -> dict[str, Any]:
    """The preset's settings (a copy), ready for :func:`comparisons.config.config_from_dict`.

    ``"all"`` is left as is (resolved against the registries when validated); the ``full``
    preset's task parameters are filled in from ``FULL_SETTINGS`` here.
    """
    check_choice("preset", name, PRESETS)
    cfg = {k: v for k, v in PRESETS[name].items() if k != "full_task_settings"}
    if PRESETS[name].get("full_task_settings"):
        from comparisons.tasks import FULL_SETTINGS, list_tasks

        names = list_tasks() if cfg["tasks"] == "all" else cfg["tasks"]
        cfg["task_params"] = {t: dict(FULL_SETTINGS.get(t, {})) for t in names
                              if FULL_SETTINGS.get(t)}
    return cfg


__all__ = ["PRESETS", "get_preset"]
