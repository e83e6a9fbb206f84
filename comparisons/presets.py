"""Named run configurations for the CLI (``--preset``)."""

from __future__ import annotations

from typing import Any

from comparisons.validation import check_choice

PRESETS: dict[str, dict[str, Any]] = {
    # A few minutes on a 2-core CPU: `make report` runs this one.
    "quick": {
        "tasks": ["binary_addition"],
        "learners": ["lstm", "lif_reservoir"],
        "seeds": [0, 1, 2],
        "task_params": {"binary_addition": {"train_bits": 8, "test_bits": 32,
                                            "n_train": 2000, "n_test": 500}},
        "learner_params": {},
    },
}


def get_preset(name: str) -> dict[str, Any]:
    check_choice("preset", name, PRESETS)
    return PRESETS[name]
