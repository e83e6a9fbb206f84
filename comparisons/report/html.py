"""Self-contained HTML and Markdown reports (figures embedded as base64 PNG).

Every user-given string that reaches the HTML is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import math
from datetime import UTC, datetime
from typing import Any

from comparisons.learners.base import SCORECARD_CRITERIA
from comparisons.metrics.energy import MEMORY_CAVEAT, get_profile, list_profiles
from comparisons.report import figures
from comparisons.report.summary import summarize

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:0.9em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2}td.l,th.l{text-align:left}
.caveat{background:#fff6e0;border-left:4px solid #e0a000;padding:0.5em 1em}
.fail{color:#b00}.figs img{max-width:100%;margin:0 1em 1em 0;vertical-align:top}
pre{background:#f7f7f7;padding:0.5em;overflow-x:auto;font-size:0.8em}
"""


def esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def fmt(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, float):
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.3g}"
        return f"{v:.{digits}g}"
    return str(v)


def _img(png: bytes, alt: str) -> str:
    b64 = base64.b64encode(png).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{b64}">'


def _table(headers: list[str], rows: list[list[Any]], left: int = 1) -> str:
    th = "".join(f'<th class="{"l" if i < left else ""}">{esc(h)}</th>'
                 for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{esc(fmt(c))}</td>'
                         for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def render_html(rows: list[dict[str, Any]], title: str = "neurosim comparison",
                meta: dict[str, Any] | None = None) -> str:
    """The whole report as one HTML string."""
    summary = summarize(rows)
    tasks = sorted({r["task"] for r in rows})
    profiles = list_profiles()
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{esc(title)}</h1>",
             f"<p>Generated {esc(datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'))}; "
             f"{len(rows)} runs over {len(tasks)} task(s).</p>"]
    if meta:
        parts.append(_table(["setting", "value"], [[k, v] for k, v in meta.items()]))
    parts.append(f"<p class='caveat'>{esc(MEMORY_CAVEAT)}</p>")
    for task in tasks:
        recs = [s for s in summary if s["task"] == task]
        parts.append(f"<h2>Task: {esc(task)}</h2>")
        metric = recs[0]["metric"]
        parts.append(_table(
            ["learner", "family", f"{metric} mean", "± std", "seeds ok", "failed", "chance",
             "params", "fit s", "train memory B/sample"],
            [[s["learner"], s["family"], s["mean"], s["std"], s["n_ok"], s["n_failed"],
              s["chance"], s["params"], s["fit_s"], s["train_memory_bytes"]] for s in recs]))
        skipped = [s for s in recs if s["n_ok"] == 0 and s["n_skipped"]]
        for s in skipped:
            parts.append(f"<p>Skipped {esc(s['learner'])}: {esc(s['skip_reason'])}</p>")
        figs = [_img(figures.accuracy_figure(summary, task), f"{task} accuracy"),
                _img(figures.pareto_figure(summary, task, "cmos45"), f"{task} pareto cmos45")]
        if any(r.get("history") for r in rows if r["task"] == task):
            figs.append(_img(figures.curves_figure(rows, task), f"{task} learning curves"))
        for r in rows:
            art = r.get("artifacts") or {}
            if r["task"] == task and "raster_t" in art:
                figs.append(_img(figures.raster_figure(
                    art["raster_t"], art["raster_i"],
                    f"{r['learner']} spikes (seed {r['seed']}, one test sequence)"),
                    "spike raster"))
                break
        parts.append("<div class='figs'>" + "".join(figs) + "</div>")
        parts.append("<h3>Energy per inference [J] (with memory access / compute only)</h3>")
        parts.append(_table(
            ["learner", *[f"{p} (+mem)" for p in profiles], *[f"{p} (compute)" for p in
                                                             profiles]],
            [[s["learner"], *[s["energy_j"].get(p) for p in profiles],
              *[s["energy_compute_j"].get(p) for p in profiles]] for s in recs]))
        op_keys = sorted({k for s in recs for k in s["ops"]})
        parts.append("<h3>Op counts per inference sample</h3>")
        parts.append(_table(["learner", *op_keys],
                            [[s["learner"], *[s["ops"].get(k) for k in op_keys]] for s in recs]))
    parts.append("<h2>Biological-plausibility scorecard</h2>")
    learners = sorted({(s["learner"], tuple(sorted(s["scorecard"].items()))) for s in summary})
    crit = list(SCORECARD_CRITERIA)
    parts.append(_table(["learner", *crit],
                        [[name, *["yes" if dict(sc).get(c) else "no" for c in crit]]
                         for name, sc in learners]))
    parts.append("<ul>" + "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>"
                                  for k, v in SCORECARD_CRITERIA.items()) + "</ul>")
    parts.append("<h2>Hardware profiles</h2>")
    for p in profiles:
        prof = get_profile(p)
        parts.append(f"<h4>{esc(prof.name)}: {esc(prof.title)}</h4>")
        parts.append(_table(["op", "pJ", "source"], [[k, v, prof.sources.get(k, "")]
                                                     for k, v in prof.energy_pj.items()]))
    failed = [r for r in rows if r.get("status") == "failed"]
    if failed:
        parts.append("<h2 class='fail'>Failed runs</h2>")
        for r in failed:
            parts.append(f"<h4>{esc(r['task'])} / {esc(r['learner'])} / seed {esc(r['seed'])}"
                         f"</h4><pre>{esc(r.get('error'))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render_markdown(rows: list[dict[str, Any]], title: str = "neurosim comparison") -> str:
    """A Markdown summary: one table per task, and the energy caveat."""
    summary = summarize(rows)
    lines = [f"# {title}", "", f"> {MEMORY_CAVEAT}", ""]
    for task in sorted({s["task"] for s in summary}):
        recs = [s for s in summary if s["task"] == task]
        metric = recs[0]["metric"]
        lines += [f"## {task}", "",
                  f"| learner | {metric} (mean ± std) | chance | seeds | E cmos45 +mem [J] |"
                  " E loihi [J] |", "|---|---|---|---|---|---|"]
        for s in recs:
            lines.append(
                f"| {s['learner']} | {fmt(s['mean'])} ± {fmt(s['std'])} | {fmt(s['chance'])}"
                f" | {s['n_ok']} | {fmt(s['energy_j'].get('cmos45'))} |"
                f" {fmt(s['energy_j'].get('loihi'))} |")
        lines.append("")
    return "\n".join(lines)
