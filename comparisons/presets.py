"""Named run configurations for the CLI (``--preset``), as data.

- ``quick``: what ``make report`` runs: a few minutes on a 2-core CPU.
- ``standard``: every registered learner on every task it supports (the tasks' default,
  CPU-sized settings); cells a learner does not support are skipped and listed in the report.
- ``full``: every learner on every task at the literature-scale settings of
  :data:`comparisons.tasks.FULL_SETTINGS`, five seeds (hours; meant for a GPU or a cluster:
  ``--local-workers N`` / ``--scheduler ADDRESS``).

A preset is validated like a TOML config (:func:`comparisons.config.config_from_dict`), and a
config file can start from one (``preset = "standard"``).
"""

from __future__ import annotations

from typing import Any

from comparisons.validation import check_choice

PRESETS: dict[str, dict[str, Any]] = {
    # A few minutes on a 2-core CPU: `make report` runs this one.
    "quick": {
        "title": "neurosim comparison (quick preset)",
        "tasks": ["binary_addition"],
        "learners": ["lstm", "lif_reservoir"],
        "seeds": [0, 1, 2],
        "task_params": {"binary_addition": {"train_bits": 8, "test_bits": 32,
                                            "n_train": 2000, "n_test": 500}},
        "learner_params": {},
        "memory_lengths": [25, 50, 100],
    },
    "standard": {
        "title": "neurosim comparison (standard preset)",
        "tasks": "all",
        "learners": "all",
        "seeds": [0, 1, 2],
        "memory_lengths": [25, 50, 100],
    },
    "full": {
        "title": "neurosim comparison (full preset)",
        "tasks": "all",
        "learners": "all",
        "seeds": [0, 1, 2, 3, 4],
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
