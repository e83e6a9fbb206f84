"""Writing results: JSON (``{"schema_version": 2, "rows": [...], "summary": {...},
"fair": {...}}``), flattened CSV, atomically. The schema is documented in
``docs/guide/results-schema.md``."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any

from neurosim.atomic import atomic_write_text  # noqa: F401  (re-exported by comparisons.report)

ROW_SCALARS = ("task", "learner", "seed", "config_hash", "status", "task_label",
               "learner_label", "family", "metric", "params", "train_memory_bytes", "wall_s",
               "fit_s", "device", "readout")
ROW_DICTS = ("metrics", "chance", "ops", "train_ops", "energy_j", "energy_compute_j",
             "train_energy_j", "hardware")


def _clean(v: Any) -> Any:
    """JSON-safe value: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row without in-memory artifacts (arrays for figures)."""
    return _clean({k: v for k, v in row.items() if k != "artifacts"})


#: version of the ``results.json`` layout (1: ``{"rows", "memory_vs_length"}`` only)
SCHEMA_VERSION = 2


#: the keys of :func:`comparisons.report.fair.task_fair` that ``results.json`` keeps per
#: task (``target`` and ``matched`` repeat ``levels[0]``)
FAIR_KEYS = ("metric", "higher_is_better", "trivial", "levels", "break_even", "points",
             "sweeps")


def fair_sections(rows: list[dict[str, Any]], summary: dict[str, Any],
                  match: float | dict[str, float] | None = None) -> dict[str, Any]:
    """Per task of ``summary`` with a finished run, the report's "energy where it is fair
    to compare" data (:func:`comparisons.report.fair.task_fair` over every profile), as
    the report computes it."""
    from comparisons.metrics.energy import list_profiles
    from comparisons.report.fair import task_fair

    profiles = list_profiles()
    return {task: task_fair(rows, task, profiles, match) for task, ts in summary.items()
            if any(s["n"] for s in ts["learners"].values())}


def fair_json(fair: dict[str, Any]) -> dict[str, Any]:
    """The fair-comparison sections per task as ``results.json`` stores them (keys
    :data:`FAIR_KEYS`): ``levels`` (per matched level its ``target``: value, rule, the
    qualifying learners; and ``matched``: per learner whether it reaches the target and,
    per profile, the configuration picked on validation with its energy range, validation
    and test means), ``break_even`` (per spiking configuration its measured activity and,
    per profile, the break-even activity), ``points`` (every configuration's validation
    and test means and energy), ``sweeps`` (the size sweeps by family and rule),
    ``metric``, ``higher_is_better`` and ``trivial`` (the baseline that decides which
    learners qualify)."""
    return {task: {k: f.get(k) for k in FAIR_KEYS} for task, f in fair.items()}


def results_json(rows: list[dict[str, Any]], memory: list[dict[str, Any]] | None = None,
                 summary: dict[str, Any] | None = None, fair: dict[str, Any] | None = None,
                 match: float | dict[str, float] | None = None) -> str:
    """``{"schema_version": 2, "rows": [...], "memory_vs_length": [...], "summary": {...},
    "fair": {...}}``.

    ``summary`` is :func:`comparisons.report.summary.task_summaries` of the rows (computed
    when not given): per task each learner's mean, interval and the paired tests. ``fair``
    is the report's "energy where it is fair to compare" data per task
    (:func:`comparisons.report.fair.task_fair`, stored as :func:`fair_json` says; computed
    when not given, with the matched level ``match`` as :class:`~comparisons.report.Report`
    takes it).
    """
    if summary is None:
        from comparisons.report.summary import task_summaries

        summary = task_summaries(rows)
    if fair is None:
        fair = fair_sections(rows, summary, match)
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION,
                            "rows": [public_row(r) for r in rows],
                            "memory_vs_length": _clean(memory or []),
                            "summary": _clean(summary),
                            "fair": _clean(fair_json(fair))}
    return json.dumps(data, indent=1, sort_keys=True)


def artifacts_json(rows: list[dict[str, Any]]) -> str | None:
    """``{config_hash: artifacts}`` of the rows that carry figure data (rasters, weights),
    written next to ``results.json``; ``None`` when no row has any."""
    from comparisons.store import to_jsonable

    arts = {r["config_hash"]: to_jsonable(r["artifacts"]) for r in rows if r.get("artifacts")}
    return json.dumps(arts, separators=(",", ":")) if arts else None


def flatten_row(row: dict[str, Any]) -> dict[str, Any]:
    """One CSV record: scalar fields plus ``group.key`` columns for the dict fields."""
    flat = {k: row.get(k) for k in ROW_SCALARS}
    for group in ROW_DICTS:
        for k, v in (row.get(group) or {}).items():
            if isinstance(v, dict):  # an energy range: group.profile.min / .typical / .max
                for sub, x in v.items():
                    flat[f"{group}.{k}.{sub}"] = x
            else:
                flat[f"{group}.{k}"] = v
    for k, v in (row.get("scorecard") or {}).items():
        flat[f"scorecard.{k}"] = v
    for comp, card in (row.get("scorecard_components") or {}).items():
        for k, v in (card or {}).items():  # a component the learner lacks: no columns
            flat[f"scorecard_components.{comp}.{k}"] = v
    for key in ("task_config", "learner_config"):
        if row.get(key) is not None:
            flat[key] = json.dumps(_clean(row[key]), sort_keys=True)
    code = (row.get("versions") or {}).get("code")
    if code:
        flat["code"] = code
    err = row.get("error")
    flat["error"] = (err.strip().splitlines() or [""])[-1] if err else ""
    return _clean(flat)


def results_csv(rows: list[dict[str, Any]]) -> str:
    flats = [flatten_row(r) for r in rows]
    cols: list[str] = []
    for f in flats:
        cols.extend(c for c in f if c not in cols)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(flats)
    return buf.getvalue()


def load_rows(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read rows back from a ``results.json`` written by :func:`results_json`."""
    return load_results(path)[0]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); was it written completely?") from exc
    except OSError as exc:
        raise OSError(f"cannot read {path}: {exc.strerror}") from exc


def load_results(path: str | os.PathLike) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows (with artifacts from a neighbouring ``artifacts.json``) and memory-probe records
    from a ``results.json`` of either format (schema 2, or the first: rows and memory only).
    """
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ValueError(f"{path} must hold an object {{'rows': [...]}}")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ValueError(f"{path} has schema_version {version!r}; this neurosim reads "
                         f"versions 1 to {SCHEMA_VERSION} (upgrade neurosim)")
    rows = data["rows"]
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise ValueError(f"{path}: rows[{i}] must be an object, got {type(r).__name__}")
        missing = [k for k in ("task", "learner", "seed", "status") if k not in r]
        if missing:
            raise ValueError(f"{path}: rows[{i}] lacks {', '.join(missing)}")
    arts_path = path.with_name("artifacts.json")
    if arts_path.is_file():
        try:
            arts = json.loads(arts_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, OSError):
            arts = {}  # figures only: a damaged artifacts file loses rasters, not results
        for r in rows:
            if r.get("config_hash") in arts:
                r["artifacts"] = arts[r["config_hash"]]
    memory = data.get("memory_vs_length") or data.get("memory") or []
    return rows, memory


def load_fair(path: str | os.PathLike) -> dict[str, Any] | None:
    """The fair-comparison sections per task stored in a ``results.json``
    (:func:`fair_json`; ``None`` for files written before they were stored: compute them
    with :func:`fair_sections`)."""
    data = _read_json(Path(path))
    fair = data.get("fair") if isinstance(data, dict) else None
    return fair if isinstance(fair, dict) else None


def load_summary(path: str | os.PathLike) -> dict[str, Any] | None:
    """The ``summary`` stored in a ``results.json`` (``None`` for the first format, which
    has rows only: compute it with :func:`comparisons.report.summary.task_summaries`)."""
    path = Path(path)
    data = _read_json(path)
    summary = data.get("summary") if isinstance(data, dict) else None
    return summary if isinstance(summary, dict) else None
