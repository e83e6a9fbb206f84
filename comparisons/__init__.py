"""comparisons: one suite of sequence tasks through spiking/local-learning models and
backprop-trained RNNs, measured the same way (accuracy, op counts, energy, hardware cost).

>>> from comparisons import run_suite, Report                       # doctest: +SKIP
>>> rows = run_suite(["binary_addition"], ["lstm", "lif_reservoir"], seeds=[0, 1],
...                  store="results.sqlite")                          # doctest: +SKIP
>>> Report(rows).write("reports/mine")                                # doctest: +SKIP

Names are imported lazily (on first use) so that ``import comparisons`` stays light: torch,
matplotlib and Dask load only when a learner, a report or a cluster is needed.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "get_learner": "comparisons.learners",
    "list_learners": "comparisons.learners",
    "list_families": "comparisons.learners",
    "list_profiles": "comparisons.metrics.energy",
    "get_task": "comparisons.tasks",
    "list_tasks": "comparisons.tasks",
    "run_cell": "comparisons.runner",
    "measure_train_memory": "comparisons.runner",
    "Report": "comparisons.report",
    "write_report": "comparisons.report",
    "ResultStore": "comparisons.store",
    "StoreError": "comparisons.store",
    "expand": "comparisons.sweep",
    "run_cells": "comparisons.sweep",
    "load_config": "comparisons.config",
    "SweepConfig": "comparisons.config",
}


def run_suite(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """See :func:`comparisons.sweep.run_suite`."""
    from comparisons.sweep import run_suite as _run

    return _run(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'comparisons' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = ["__version__", "run_suite", *_LAZY]
