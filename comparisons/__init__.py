"""comparisons: one suite of sequence tasks through spiking/local-learning models and
backprop-trained RNNs, measured the same way (accuracy, op counts, energy, hardware cost)."""

from __future__ import annotations

__version__ = "0.1.0"

from comparisons.learners import get_learner, list_learners
from comparisons.metrics.energy import list_profiles
from comparisons.tasks import get_task, list_tasks


def run_suite(*args, **kwargs):
    """See :func:`comparisons.runner.run_suite`."""
    from comparisons.runner import run_suite as _run

    return _run(*args, **kwargs)


__all__ = ["__version__", "get_learner", "get_task", "list_learners", "list_profiles",
           "list_tasks", "run_suite"]
