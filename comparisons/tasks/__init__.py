"""Sequence tasks, generated offline from a seed; a registry by name."""

from __future__ import annotations

from typing import Any

from comparisons.tasks.base import Split, Task, TaskData
from comparisons.tasks.binary_addition import BinaryAddition
from comparisons.validation import check_choice

TASKS: dict[str, type[Task]] = {
    BinaryAddition.name: BinaryAddition,
}


def list_tasks() -> list[str]:
    """Names of the registered tasks, sorted."""
    return sorted(TASKS)


def get_task(name: str, **params: Any) -> Task:
    """Instantiate a registered task by name (unknown names list the valid ones)."""
    check_choice("task", name, TASKS)
    return TASKS[name](**params)


__all__ = ["Split", "Task", "TaskData", "TASKS", "get_task", "list_tasks", "BinaryAddition"]
