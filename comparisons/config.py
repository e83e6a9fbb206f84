"""Sweep configurations: TOML files (and presets) read as data, validated before anything runs.

A config file is parsed with the standard library's :mod:`tomllib` and only read as data:
nothing in it is evaluated or imported. Every value is checked, and a bad one is reported
with the file, the line and what is allowed::

    # sweep.toml
    title = "LSTM vs reservoir"
    tasks = ["binary_addition", "adding"]     # or "all"
    learners = ["lstm", "lif_reservoir"]      # or "all" (rule-swap families by name or
                                              # the "families" preset): unsupported cells
                                              # are skipped
    seeds = [0, 1, 2]
    device = "auto"                           # auto, cpu or cuda
    threads = 1                               # torch threads per cell
    memory_lengths = [25, 50, 100]            # training memory vs T (empty: skip)

    [budget]                                  # the same for every learner (protocol)
    trials = 8                                # tuning trials per task x learner
    passes = 20                               # passes over the training split per fit
    patience = 5                              # early stopping on validation
    [task_budgets.mackey_glass]               # per task, for every learner alike
    passes = 100

    [task_params.binary_addition]             # fixed parameters per task ...
    train_bits = 8
    [learner_params.lstm]                     # ... and per learner
    epochs = 20
    [learner_grid.lstm]                       # every combination is its own variant
    hidden_size = [8, 16]
    [task_grid.adding]
    length = [50, 100]

A preset (``preset = "quick"``) can be the starting point; the file's settings replace the
preset's.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comparisons.validation import check_choice, check_int

if TYPE_CHECKING:  # for annotations only; cells() imports comparisons.sweep when called
    from comparisons.sweep import Cell

KEYS = ("title", "preset", "tasks", "learners", "seeds", "device", "threads",
        "memory_lengths", "task_params", "learner_params", "task_grid", "learner_grid",
        "budget", "task_budgets")


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class SweepConfig:
    """A validated sweep: what :func:`comparisons.sweep.expand` needs, plus report settings."""

    tasks: tuple[str, ...]
    learners: tuple[str, ...]
    seeds: tuple[int, ...] = (0,)
    task_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    learner_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    task_grid: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    learner_grid: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    device: str = "auto"
    threads: int = 1
    memory_lengths: tuple[int, ...] = (25, 50, 100)
    title: str = "neurosim comparison"
    source: str = "(python)"
    #: the protocol's budget (comparisons.protocol.Budget as a dict); None: untuned
    budget: dict[str, Any] | None = None
    #: per task, budget settings replacing the run's (the same for every learner)
    task_budgets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.tasks:
            raise ConfigError(f"{self.source}: tasks must not be empty")
        if not self.learners:
            raise ConfigError(f"{self.source}: learners must not be empty")

    def cells(self, device: str | None = None) -> list[Cell]:
        from comparisons.sweep import expand

        return expand(self.tasks, self.learners, self.seeds, self.task_params,
                      self.learner_params, self.task_grid, self.learner_grid,
                      device=device or self.device, budget=self.budget,
                      task_budgets=self.task_budgets)

    def meta(self) -> dict[str, Any]:
        """Settings shown at the top of the report."""
        out = {"config": self.source, "tasks": ", ".join(self.tasks),
               "learners": ", ".join(self.learners), "seeds": ", ".join(map(str, self.seeds)),
               "device": self.device, "threads": self.threads}
        if self.budget is not None:
            from comparisons.protocol import Budget

            b = Budget.from_dict(dict(self.budget))
            out["budget"] = (f"{b.trials} tuning trials per task x learner; {b.passes} passes "
                             f"over the training split per fit; early stopping patience "
                             f"{b.patience}; tuning seed "
                             f"{b.tune_seed if b.tune_seed is not None else self.seeds[0]}")
            for t, over in sorted(self.task_budgets.items()):
                out[f"budget of {t}"] = ", ".join(f"{k} = {v}" for k, v in sorted(
                    over.items())) + " (every learner alike)"
        else:
            out["budget"] = "none: untuned, each learner with its own default epochs"
        return out


class _Where:
    """Finds the line of a key in TOML text (for error messages)."""

    _header = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")

    def __init__(self, text: str | None, source: str) -> None:
        self.lines = (text or "").splitlines()
        self.source = source

    def line(self, *path: str) -> int | None:
        table: tuple[str, ...] = ()
        for no, raw in enumerate(self.lines, 1):
            m = self._header.match(raw)
            if m:
                table = tuple(p.strip().strip('"').strip("'") for p in m.group(1).split("."))
                continue
            head = raw.split("=", 1)[0].strip()
            if "=" not in raw or not head:
                continue
            keys = tuple(p.strip().strip('"').strip("'") for p in head.split("."))
            full = table + keys
            if full == tuple(path) or (len(path) > len(full) and full == tuple(
                    path[:len(full)])):
                return no
        if len(path) > 1:
            for no, raw in enumerate(self.lines, 1):
                m = self._header.match(raw)
                if m and tuple(p.strip().strip('"') for p in m.group(1).split(".")) == \
                        tuple(path[:2]):
                    return no
        return None

    def error(self, path: tuple[str, ...], msg: str, exc: type = ConfigError) -> Exception:
        no = self.line(*path) if path else None
        where = f"{self.source}:{no}" if no else self.source
        err = f"{where}: {msg}"
        return ConfigError(err) if exc is ConfigError else exc(err)


def _names(value: Any, key: str, valid: list[str], where: _Where,
           every: list[str] | None = None) -> tuple[str, ...]:
    if value == "all":
        return tuple(valid if every is None else every)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error((key,), f"{key} must be a list of names or \"all\", got {value!r}",
                          TypeError)
    for v in value:
        try:
            check_choice(key[:-1], v, valid)
        except ValueError as exc:
            raise where.error((key,), str(exc)) from None
    if len(set(value)) != len(value):
        raise where.error((key,), f"{key} lists a name twice: {value!r}")
    return tuple(value)


def _int(value: Any, key: str, low: int, where: _Where, name: str | None = None) -> int:
    """:func:`neurosim.validation.check_int` (``value >= low``) with the file and line of
    ``key``: a ``TypeError`` stays one, a bad value is a :class:`ConfigError`."""
    try:
        return check_int(name or key, value, low=low)
    except TypeError as exc:
        raise where.error((key,), str(exc), TypeError) from None
    except ValueError as exc:
        raise where.error((key,), str(exc)) from None


def _ints(value: Any, key: str, low: int, where: _Where) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise where.error((key,), f"{key} must be a list of integers, got {value!r}", TypeError)
    return tuple(_int(v, key, low, where, f"{key}[{i}]") for i, v in enumerate(value))


def _accepted(cls: type) -> list[str]:
    if hasattr(cls, "defaults"):  # a learner: its settings, its parents' included
        return list(cls.defaults())
    sig = inspect.signature(cls.__init__)
    return [n for n, p in sig.parameters.items() if n not in ("self", "seed", "device")
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _task_budgets(value: Any, tasks: tuple[str, ...], where: _Where
                  ) -> dict[str, dict[str, Any]]:
    from comparisons.protocol import Budget

    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise where.error(("task_budgets",), f"task_budgets must be a table, got {value!r}",
                          TypeError)
    out = {}
    for t, over in value.items():
        if t not in tasks:
            continue  # a preset's entry for a task this sweep does not run
        if not isinstance(over, Mapping):
            raise where.error(("task_budgets", t), f"task_budgets.{t} must be a table, got "
                              f"{over!r}", TypeError)
        for k in over:
            if k not in Budget.__dataclass_fields__:
                raise where.error(("task_budgets", t, k), f"task_budgets.{t} has no setting "
                                  f"{k!r}; choose from: "
                                  f"{', '.join(sorted(Budget.__dataclass_fields__))}")
        try:
            Budget.from_dict(dict(over))
        except (TypeError, ValueError) as exc:
            raise where.error(("task_budgets", t), f"task_budgets.{t}: {exc}") from None
        out[t] = dict(over)
    return out


def _budget(value: Any, where: _Where) -> dict[str, Any] | None:
    from comparisons.protocol import Budget

    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise where.error(("budget",), f"budget must be a table, got {value!r}", TypeError)
    for k in value:
        if k not in Budget.__dataclass_fields__:
            raise where.error(("budget", k), f"budget has no setting {k!r}; choose from: "
                              f"{', '.join(sorted(Budget.__dataclass_fields__))}")
    try:
        return Budget.from_dict(dict(value)).to_dict()
    except (TypeError, ValueError) as exc:
        bad = next((k for k in value if k in str(exc)), None)
        raise where.error(("budget", bad) if bad else ("budget",), str(exc),
                          type(exc) if isinstance(exc, TypeError) else ConfigError) from None


def _tables(value: Any, key: str, names: tuple[str, ...], where: _Where,
            grid: bool) -> dict[str, dict[str, Any]]:
    from comparisons.learners import get_learner_class
    from comparisons.tasks import TASKS

    if not isinstance(value, Mapping):
        raise where.error((key,), f"{key} must be a table, got {value!r}", TypeError)
    out: dict[str, dict[str, Any]] = {}
    for name, params in value.items():
        if name not in names:
            raise where.error((key, name), f"{key}.{name}: {name!r} is not in this sweep's "
                              f"{key.split('_')[0]}s; choose from: {', '.join(names)}")
        if not isinstance(params, Mapping):
            raise where.error((key, name), f"{key}.{name} must be a table of parameters, got "
                              f"{params!r}", TypeError)
        cls = TASKS[name] if key.startswith("task") else get_learner_class(name)
        allowed = _accepted(cls)
        for p, v in params.items():
            if p not in allowed:
                raise where.error((key, name, p), f"unknown parameter {p!r} for "
                                  f"{key.split('_')[0]} {name}; choose from: "
                                  f"{', '.join(sorted(allowed))}")
            if grid and (not isinstance(v, list) or not v):
                raise where.error((key, name, p), f"{key}.{name}.{p} must be a non-empty list "
                                  f"of values, got {v!r}", TypeError)
            if isinstance(v, Mapping):
                raise where.error((key, name, p), f"{key}.{name}.{p} must be a value, got a "
                                  "table", TypeError)
        out[name] = dict(params)
    return out


def _try_build(cfg: SweepConfig, where: _Where) -> None:
    """Construct every task and learner once so that bad values fail now, with a line."""
    from comparisons.learners import get_learner_class
    from comparisons.learners.base import SettingsNotApplicable
    from comparisons.sweep import _grid_points
    from comparisons.tasks import get_task

    for kind, names, fixed, grids in (("task", cfg.tasks, cfg.task_params, cfg.task_grid),
                                      ("learner", cfg.learners, cfg.learner_params,
                                       cfg.learner_grid)):
        for name in names:
            for point in _grid_points(grids.get(name), f"{kind}_grid.{name}"):
                params = {**fixed.get(name, {}), **point}
                try:
                    if kind == "task":
                        get_task(name, **params)
                    else:
                        get_learner_class(name)(seed=0, device="cpu", **params)
                except (TypeError, ValueError) as exc:
                    if isinstance(exc, SettingsNotApplicable) and point:
                        continue  # a grid corner without meaning: run as a skipped cell
                    bad = next((p for p in params if p in str(exc)), None)
                    key = f"{kind}_grid" if bad in point else f"{kind}_params"
                    path = (key, name, bad) if bad else (f"{kind}_params", name)
                    raise where.error(path, f"{kind} {name}: {exc}", type(exc)
                                      if isinstance(exc, TypeError) else ConfigError) from None


def config_from_dict(data: Mapping[str, Any], source: str = "(dict)",
                     text: str | None = None) -> SweepConfig:
    """Validate a parsed config (TOML table or preset dict) into a :class:`SweepConfig`.

    Raises ``ConfigError`` (a ``ValueError``) or ``TypeError`` naming ``source``, the line
    (when ``text`` is given) and the allowed values.
    """
    from comparisons.learners import list_learners
    from comparisons.presets import get_preset
    from comparisons.tasks import list_tasks

    where = _Where(text, source)
    if not isinstance(data, Mapping):
        raise TypeError(f"{source}: a config must be a table, got {type(data).__name__}")
    for k in data:
        if k not in KEYS:
            raise where.error((k,), f"unknown setting {k!r}; choose from: "
                              f"{', '.join(sorted(KEYS))}")
    merged: dict[str, Any] = {}
    if "preset" in data:
        if not isinstance(data["preset"], str):
            raise where.error(("preset",), f"preset must be a name, got {data['preset']!r}",
                              TypeError)
        try:
            merged.update(get_preset(data["preset"]))
        except ValueError as exc:
            raise where.error(("preset",), str(exc)) from None
    merged.update({k: v for k, v in data.items() if k != "preset"})
    for req in ("tasks", "learners"):
        if req not in merged:
            raise where.error((), f"missing setting {req!r} (a list of names, or \"all\")")
    tasks = _names(merged["tasks"], "tasks", list_tasks(), where)
    learners = _names(merged["learners"], "learners", list_learners(), where,
                      every=list_learners(families=False))  # "all": no family members
    for key in ("task_params", "learner_params", "task_grid", "learner_grid"):
        if key not in data and isinstance(merged.get(key), Mapping):
            # a preset's tables apply to the names this sweep keeps
            keep = tasks if key.startswith("task") else learners
            merged[key] = {k: v for k, v in merged[key].items() if k in keep}
    seeds = _ints(merged.get("seeds", [0]), "seeds", 0, where)
    if not seeds:
        raise where.error(("seeds",), "seeds must not be empty")
    mem = _ints(merged.get("memory_lengths", [25, 50, 100]), "memory_lengths", 2, where)
    device = merged.get("device", "auto")
    if not isinstance(device, str):
        raise where.error(("device",), f"device must be a string, got {device!r}", TypeError)
    try:
        check_choice("device", device, ["auto", "cpu", "cuda"])
    except ValueError as exc:
        raise where.error(("device",), str(exc)) from None
    threads = _int(merged.get("threads", 1), "threads", 1, where)
    title = merged.get("title", "neurosim comparison")
    if not isinstance(title, str):
        raise where.error(("title",), f"title must be a string, got {title!r}", TypeError)
    cfg = SweepConfig(
        tasks=tasks, learners=learners, seeds=seeds,
        task_params=_tables(merged.get("task_params", {}), "task_params", tasks, where, False),
        learner_params=_tables(merged.get("learner_params", {}), "learner_params", learners,
                               where, False),
        task_grid=_tables(merged.get("task_grid", {}), "task_grid", tasks, where, True),
        learner_grid=_tables(merged.get("learner_grid", {}), "learner_grid", learners, where,
                             True),
        device=device, threads=threads, memory_lengths=mem, title=title, source=source,
        budget=_budget(merged.get("budget"), where),
        task_budgets=_task_budgets(merged.get("task_budgets"), tasks, where),
    )
    if cfg.task_budgets and cfg.budget is None:
        raise where.error(("task_budgets", next(iter(cfg.task_budgets))),
                          "task_budgets need a [budget] (or a preset "
                          "with one); without a budget the learners run untuned")
    if cfg.budget is not None:
        from comparisons.learners import get_learner_class

        for key in ("learner_params", "learner_grid"):
            for name, params in getattr(cfg, key).items():
                bp = get_learner_class(name).budget_param
                if bp is not None and bp in params:
                    raise where.error((key, name, bp), f"{key}.{name}.{bp} is set by the "
                                      f"budget (passes = {cfg.budget['passes']}, the same for "
                                      "every learner); change [budget] instead")
    _try_build(cfg, where)
    return cfg


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None
                ) -> SweepConfig:
    """Read and validate a TOML sweep config (syntax errors give the line and column).

    ``overrides`` (e.g. from command-line flags) replace the file's top-level settings.
    """
    data, text = read_toml(path)
    data.update(overrides or {})
    return config_from_dict(data, source=str(path), text=text)


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file into (data, text); errors name the file, line and column."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise OSError(f"cannot read config {p}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from None
    return data, text


__all__ = ["SweepConfig", "ConfigError", "load_config", "config_from_dict", "read_toml",
           "KEYS"]
