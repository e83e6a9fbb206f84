"""Reports: self-contained HTML (figures embedded), Markdown, JSON and CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comparisons.report.html import render_html, render_markdown
from comparisons.report.io import atomic_write_text, load_rows, results_csv, results_json
from comparisons.report.summary import summarize


def write_report(rows: list[dict[str, Any]], out_dir: str | Path,
                 title: str = "neurosim comparison", meta: dict[str, Any] | None = None
                 ) -> dict[str, Path]:
    """Write ``index.html``, ``report.md``, ``results.json`` and ``results.csv`` to ``out_dir``.

    Each file is written atomically (temporary file + rename). Returns the paths.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot create report directory {out}: {exc.strerror}") from exc
    paths = {"json": out / "results.json", "csv": out / "results.csv",
             "markdown": out / "report.md", "html": out / "index.html"}
    atomic_write_text(paths["json"], results_json(rows))
    atomic_write_text(paths["csv"], results_csv(rows))
    atomic_write_text(paths["markdown"], render_markdown(rows, title))
    atomic_write_text(paths["html"], render_html(rows, title, meta))
    return paths


__all__ = ["write_report", "render_html", "render_markdown", "results_json", "results_csv",
           "load_rows", "summarize", "atomic_write_text"]
