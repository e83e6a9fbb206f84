"""Reports: self-contained HTML (figures embedded), Markdown (+ PNG files), JSON and CSV.

>>> from comparisons import Report                                     # doctest: +SKIP
>>> Report.from_store("reports/latest/results.sqlite").write("out/")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from comparisons.report.html import Built, build, render_html
from comparisons.report.io import (
    artifacts_json,
    atomic_write_text,
    load_fair,
    load_results,
    load_rows,
    load_summary,
    results_csv,
    results_json,
)
from comparisons.report.markdown import render_markdown
from comparisons.report.summary import summarize, task_summaries
from neurosim.atomic import atomic_write_bytes


def _write(path: Path, text: str | bytes) -> None:
    try:
        if isinstance(text, bytes):
            atomic_write_bytes(path, text)
        else:
            atomic_write_text(path, text)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise OSError(f"cannot write report file {path}: {why}") from exc


class Report:
    """A comparison report built from result rows.

    Parameters
    ----------
    rows : list of dict
        Result rows (from :func:`comparisons.run_suite`, a store or a ``results.json``).
    title : str
    meta : dict, optional
        Settings shown at the top (preset, seeds, wall time, ...).
    memory : list of dict, optional
        Training-memory-vs-length records (:func:`comparisons.runner.measure_train_memory`).
    test : {"ttest", "wilcoxon", "permutation"}
        The paired test between learners over seeds (:func:`comparisons.stats.paired_test`).
    alpha : float
        Family-wise significance level of the Holm-corrected comparison.
    match : float or dict, optional
        Target validation score of the "energy at a matched score" tables: one level for
        every task or ``{task label: level}``; default: the best validation score of the
        weakest learner that beats the trivial baseline
        (:func:`comparisons.metrics.matched.match_target`).
    """

    def __init__(self, rows: list[dict[str, Any]], title: str = "neurosim comparison",
                 meta: dict[str, Any] | None = None,
                 memory: list[dict[str, Any]] | None = None, test: str = "ttest",
                 alpha: float = 0.05, match: float | dict[str, float] | None = None
                 ) -> None:
        if isinstance(rows, dict) or not all(isinstance(r, dict) for r in rows):
            raise TypeError("Report needs a list of result rows (dicts)")
        if not isinstance(title, str):
            raise TypeError(f"Report.title must be a string, got {title!r}")
        self.rows = list(rows)
        self.title = title
        self.meta = dict(meta or {})
        self.memory = list(memory or [])
        from comparisons.stats import TESTS
        from comparisons.validation import check_choice, check_real

        self.test = check_choice("Report.test", test, TESTS)
        self.alpha = check_real("Report.alpha", alpha, low=0, high=1, low_open=True,
                                high_open=True)
        if isinstance(match, dict):
            self.match: float | dict[str, float] | None = {
                str(k): check_real(f"Report.match[{k!r}]", v) for k, v in match.items()}
        else:
            self.match = check_real("Report.match", match, allow_none=True)

    @classmethod
    def from_store(cls, path: str | os.PathLike, title: str = "neurosim comparison",
                   **kw: Any) -> Report:
        """All rows (and memory probes) of a results store, opened read-only."""
        from comparisons.store import ResultStore

        with ResultStore(path, readonly=True) as st:
            rows, memory = st.rows(), st.probes()
        meta = {"results store": str(path), **kw.pop("meta", {})}
        return cls(rows, title=title, meta=meta, memory=memory, **kw)

    @classmethod
    def from_json(cls, path: str | os.PathLike, title: str = "neurosim comparison",
                  **kw: Any) -> Report:
        """Rows and memory probes of a ``results.json`` (artifacts from ``artifacts.json``)."""
        rows, memory = load_results(path)
        return cls(rows, title=title, memory=memory, **kw)

    def measure_memory(self, lengths: tuple[int, ...] = (25, 50, 100)) -> Report:
        """Measure training memory vs sequence length for the learners in the rows."""
        from comparisons.runner import measure_train_memory

        seen: dict[str, dict[str, Any]] = {}
        for r in self.rows:
            if r.get("status") == "ok":
                seen.setdefault(r["learner"], r.get("learner_config") or {})
        self.memory = [m for name, lp in seen.items()
                       for m in measure_train_memory(name, lengths, lp)]
        return self

    def summary(self) -> list[dict[str, Any]]:
        """One record per (task, learner) variant (see :func:`summarize`)."""
        return summarize(self.rows)

    def task_summaries(self) -> dict[str, dict[str, Any]]:
        """Per task: intervals, paired tests, baselines, flags (see :func:`task_summaries`)."""
        return task_summaries(self.rows, test=self.test, alpha=self.alpha)

    def _build(self) -> Built:
        return build(self.rows, self.memory, test=self.test, alpha=self.alpha,
                     match=self.match)

    def html(self) -> str:
        return render_html(self.rows, self.title, self.meta, self.memory, self._build())

    def markdown(self) -> str:
        return render_markdown(self.rows, self.title, self.memory, self._build(),
                               figure_dir=None)

    def write(self, out_dir: str | os.PathLike) -> dict[str, Path]:
        """Write ``index.html``, ``report.md`` (+ ``figures/*.png``), ``results.json``,
        ``results.csv`` and ``artifacts.json`` to ``out_dir``; each file atomically
        (temporary file + rename). Returns the paths by kind."""
        out = Path(out_dir)
        try:
            (out / "figures").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OSError(f"cannot create report directory {out}: "
                          f"{exc.strerror or exc}") from exc
        built = self._build()
        paths = {"json": out / "results.json", "csv": out / "results.csv",
                 "markdown": out / "report.md", "html": out / "index.html"}
        _write(paths["json"], results_json(self.rows, self.memory, built.tasks,
                                           fair=built.fair))
        _write(paths["csv"], results_csv(self.rows))
        arts = artifacts_json(self.rows)
        if arts is not None:
            paths["artifacts"] = out / "artifacts.json"
            _write(paths["artifacts"], arts)
        for name, png in built.figs.pngs.items():
            _write(out / "figures" / name, png)
        _write(paths["markdown"], render_markdown(self.rows, self.title, self.memory, built))
        _write(paths["html"], render_html(self.rows, self.title, self.meta, self.memory,
                                          built))
        return paths


def write_report(rows: list[dict[str, Any]], out_dir: str | Path,
                 title: str = "neurosim comparison", meta: dict[str, Any] | None = None,
                 memory: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Path]:
    """Write a report (see :meth:`Report.write`; ``kw``: ``test``, ``alpha``, ``match``);
    returns the paths."""
    return Report(rows, title=title, meta=meta, memory=memory, **kw).write(out_dir)


__all__ = ["Report", "write_report", "render_html", "render_markdown", "results_json",
           "results_csv", "load_fair", "load_rows", "load_results", "load_summary", "summarize",
           "task_summaries", "atomic_write_text"]
