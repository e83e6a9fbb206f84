"""Self-contained HTML and Markdown reports (figures embedded as base64 PNG in the HTML,
saved as files next to the Markdown).

Every user-given string that reaches the HTML is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import math
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np

from comparisons.learners.base import SCORECARD_CRITERIA
from comparisons.metrics.energy import MEMORY_CAVEAT, get_profile, list_profiles
from comparisons.report import figures
from comparisons.report.summary import breakdown, learner_key, summarize, task_key

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1200px;color:#222;padding:0 1em;line-height:1.35}
h2{border-bottom:2px solid #ddd;padding-bottom:0.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:0.85em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f2f2f2}td.l,th.l{text-align:left}
.wrap{overflow-x:auto;max-width:100%}
.caveat{background:#fff6e0;border-left:4px solid #e0a000;padding:0.5em 1em}
.fail{color:#b00}.skip{color:#777}.ok{color:#060}
.figs{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}
.figs img{max-width:100%;height:auto;border:1px solid #eee}
nav ul{columns:2;font-size:0.9em}
pre{background:#f7f7f7;padding:0.5em;overflow-x:auto;font-size:0.8em}
"""


#: spiking learners per task that get a raster / weight histogram
MAX_PER_KIND = 6


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


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


class FigureSet:
    """Figures of one report: PNG bytes by file name (the HTML embeds them, the Markdown
    links to the files)."""

    def __init__(self) -> None:
        self.pngs: dict[str, bytes] = {}
        self.alts: dict[str, str] = {}

    def add(self, name: str, png: bytes, alt: str) -> str:
        name = f"{slug(name)}.png"
        self.pngs[name] = png
        self.alts[name] = alt
        return name

    def img(self, name: str) -> str:
        b64 = base64.b64encode(self.pngs[name]).decode("ascii")
        return f'<img alt="{esc(self.alts[name])}" src="data:image/png;base64,{b64}">'


def _is_text(v: Any) -> bool:
    return isinstance(v, str) and len(v) > 12 and not re.fullmatch(r"[-+0-9.eE –]+", v)


def _table(headers: list[str], rows: list[list[Any]], left: int = 1) -> str:
    text_cols = {i for r in rows for i, c in enumerate(r) if _is_text(c)}
    # long snake_case headers may break after an underscore (narrower tables)
    th = "".join(f'<th class="{"l" if i < left or i in text_cols else ""}">'
                 f'{esc(h).replace("_", "_<wbr>")}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"l" if i < left or _is_text(c) else ""}">'
                         f'{esc(fmt(c))}</td>' for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<div class='wrap'><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody>" \
           "</table></div>"


def _md_text(text: str) -> str:
    """Markdown renderers pass raw HTML through: escape it in user-given strings."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    def cell(v: Any) -> str:
        return _md_text(fmt(v)).replace("|", "\\|").replace("\n", " ")

    return ["| " + " | ".join(cell(h) for h in headers) + " |",
            "|" + "---|" * len(headers)] + ["| " + " | ".join(cell(c) for c in r) + " |"
                                            for r in rows]


def _spread(s: dict[str, Any]) -> str:
    if s["n_ok"] == 0:
        return "–"
    return f"{fmt(s['min'])} – {fmt(s['max'])}"


def accuracy_rows(recs: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    metric = recs[0]["metric"]
    better = "higher" if recs[0]["higher_is_better"] else "lower"
    head = ["learner", "family", f"{metric} mean ({better} is better)", "± std", "min – max",
            "seeds ok", "failed", "chance", "params", "fit s", "train memory B/sample",
            "readout", "other metrics (mean ± std)"]
    body = [[s["learner"], s["family"], s["mean"], s["std"], _spread(s), s["n_ok"],
             s["n_failed"], s["chance"], s["params"], s["fit_s"], s["train_memory_bytes"],
             s["readout"], "; ".join(f"{k} {fmt(m)} ± {fmt(sd)}" for k, (m, sd) in
                                     s.get("other_metrics", {}).items())]
            for s in recs if s["n_ok"] or s["n_failed"]]
    return head, body


def _weights(art: dict[str, Any]) -> dict[str, np.ndarray]:
    w = art.get("weights")
    if w is None:
        return {k[8:]: np.asarray(v) for k, v in art.items() if k.startswith("weights_")}
    if isinstance(w, dict):
        return {str(k): np.asarray(v) for k, v in w.items()}
    return {"weights": np.asarray(w)}


def build(rows: list[dict[str, Any]], memory: list[dict[str, Any]] | None = None
          ) -> tuple[list[dict[str, Any]], FigureSet, dict[str, list[str]]]:
    """Summary, figures, and the figure names per section (task label or "memory")."""
    summary = summarize(rows)
    profiles = list_profiles()
    bd = breakdown(summary, profiles)
    figs = FigureSet()
    where: dict[str, list[str]] = {}
    for task in sorted({task_key(r) for r in rows}):
        names = where.setdefault(task, [])
        recs = [s for s in summary if s["task"] == task and s["n_ok"] > 0]
        if not recs:
            continue
        names.append(figs.add(f"{task}-accuracy", figures.accuracy_figure(summary, task),
                              f"{task}: accuracy per learner"))
        names.append(figs.add(f"{task}-pareto", figures.pareto_figure(summary, task,
                                                                      profiles),
                              f"{task}: accuracy vs energy (Pareto)"))
        names.append(figs.add(f"{task}-energy-breakdown",
                              figures.breakdown_figure(bd, task, profiles),
                              f"{task}: energy breakdown per profile"))
        if any(r.get("history") for r in rows if task_key(r) == task):
            names.append(figs.add(f"{task}-curves", figures.curves_figure(rows, task),
                                  f"{task}: learning curves"))
        task_rows = [r for r in rows if task_key(r) == task and r.get("status") == "ok"]
        firsts: dict[str, dict[str, Any]] = {}  # first finished seed of each learner
        for r in sorted(task_rows, key=lambda r: r["seed"]):
            if r.get("family") == "spiking" and r.get("artifacts"):
                firsts.setdefault(learner_key(r), r)
        for lname, r in list(firsts.items())[:MAX_PER_KIND]:
            a = r["artifacts"]
            if "raster_t" in a and "raster_i" in a:
                names.append(figs.add(
                    f"{task}-{lname}-raster", figures.raster_figure(
                        np.asarray(a["raster_t"]), np.asarray(a["raster_i"]),
                        f"{lname} spikes (seed {r['seed']}, one test sequence)"),
                    f"{task}: {lname} spike raster"))
            w = _weights(a)
            if w:
                names.append(figs.add(f"{task}-{lname}-weights", figures.weight_hist_figure(
                    w, f"{lname} weights (seed {r['seed']})"),
                    f"{task}: {lname} weight histogram"))
    if memory:
        where["memory"] = [figs.add("train-memory-vs-length", figures.memory_figure(memory),
                                    "training memory vs sequence length")]
    return summary, figs, where


def coverage(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]], list[str]]:
    """Task x learner matrix of cell outcomes, and the skip reasons."""
    tasks = sorted({task_key(r) for r in rows})
    learners = sorted({learner_key(r) for r in rows})
    body, notes = [], []
    for t in tasks:
        line: list[Any] = [t]
        for lname in learners:
            rs = [r for r in rows if task_key(r) == t and learner_key(r) == lname]
            if not rs:
                line.append("")
                continue
            ok = sum(r["status"] == "ok" for r in rs)
            fail = sum(r["status"] == "failed" for r in rs)
            skip = [r for r in rs if r["status"] == "skipped"]
            if skip and not ok and not fail:
                line.append("skipped")
                notes.append(f"{lname} on {t}: {skip[0].get('error')}")
            else:
                line.append(f"{ok}/{len(rs)} ok" + (f", {fail} failed" if fail else ""))
        body.append(line)
    return ["task", *learners], body, notes


def memory_table(memory: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    lengths = sorted({m["length"] for m in memory if m.get("status") == "ok"})
    body = []
    for name in sorted({m["learner"] for m in memory}):
        recs = {m["length"]: m for m in memory if m["learner"] == name}
        task = next((m.get("probe_task") for m in recs.values()), None)
        vals = [recs[T]["train_memory_bytes"] if T in recs else None for T in lengths]
        ok = [v for v in vals if v]
        growth = ok[-1] / ok[0] if len(ok) > 1 and ok[0] else None
        body.append([name, task or "–", *vals, growth])
    tmax = lengths[-1] if lengths else 0
    tmin = lengths[0] if lengths else 0
    return ["learner", "probe task", *[f"T={T} [B]" for T in lengths],
            f"ratio T={tmax} / T={tmin}"], body


def render_html(rows: list[dict[str, Any]], title: str = "neurosim comparison",
                meta: dict[str, Any] | None = None,
                memory: list[dict[str, Any]] | None = None,
                built: tuple | None = None) -> str:
    """The whole report as one HTML string (figures embedded)."""
    summary, figs, where = built or build(rows, memory)
    tasks = sorted({task_key(r) for r in rows})
    profiles = list_profiles()
    n_status = {s: sum(r.get("status") == s for r in rows) for s in ("ok", "failed",
                                                                     "skipped")}
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{esc(title)}</h1>",
             f"<p>Generated {esc(datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'))}; "
             f"{len(rows)} runs over {len(tasks)} task(s): <span class='ok'>{n_status['ok']} "
             f"ok</span>, <span class='fail'>{n_status['failed']} failed</span>, "
             f"<span class='skip'>{n_status['skipped']} skipped</span>.</p>"]
    if meta:
        parts.append(_table(["setting", "value"], [[k, v] for k, v in meta.items()]))
    parts.append(f"<p class='caveat'>{esc(MEMORY_CAVEAT)}</p>")
    toc = [f"<li><a href='#task-{esc(slug(t))}'>Task: {esc(t)}</a></li>" for t in tasks]
    toc += ["<li><a href='#coverage'>Coverage (run / skipped cells)</a></li>",
            "<li><a href='#memory'>Training memory vs sequence length</a></li>",
            "<li><a href='#scorecard'>Biological-plausibility scorecard</a></li>",
            "<li><a href='#profiles'>Hardware profiles</a></li>"]
    parts.append("<nav><ul>" + "".join(toc) + "</ul></nav>")
    for task in tasks:
        recs = [s for s in summary if s["task"] == task]
        parts.append(f"<h2 id='task-{esc(slug(task))}'>Task: {esc(task)}</h2>")
        head, body = accuracy_rows(recs)
        if body:
            parts.append(_table(head, body))
        for s in recs:
            if s["n_ok"] == 0 and s["n_skipped"]:
                parts.append(f"<p class='skip'>Skipped {esc(s['learner'])}: "
                             f"{esc(s['skip_reason'])}</p>")
        ok = [s for s in recs if s["n_ok"]]
        if not ok:
            parts.append("<p>No learner finished a run on this task.</p>")
            continue
        parts.append("<div class='figs'>" + "".join(figs.img(n) for n in where.get(task, []))
                     + "</div>")
        parts.append("<h3>Energy per inference [J] (with memory access / compute only)</h3>")
        parts.append(_table(
            ["learner", *[f"{p} (+mem)" for p in profiles],
             *[f"{p} (compute)" for p in profiles]],
            [[s["learner"], *[s["energy_j"].get(p) for p in profiles],
              *[s["energy_compute_j"].get(p) for p in profiles]] for s in ok]))
        op_keys = sorted({k for s in ok for k in s["ops"]})
        parts.append("<h3>Op counts per inference sample</h3>")
        parts.append(_table(["learner", *op_keys],
                            [[s["learner"], *[s["ops"].get(k) for k in op_keys]] for s in ok]))
        hw_keys = sorted({k for s in ok for k in s.get("hardware", {})})
        if hw_keys:
            parts.append("<h3>Hardware cost (NeuroBench definitions; cores per profile)</h3>")
            parts.append(_table(["learner", *hw_keys], [[s["learner"], *[
                s["hardware"].get(k) for k in hw_keys]] for s in ok]))
    head, body, notes = coverage(rows)
    parts.append("<h2 id='coverage'>Coverage: which learner ran on which task</h2>")
    parts.append(_table(head, body))
    if notes:
        parts.append("<ul class='skip'>" + "".join(f"<li>{esc(n)}</li>" for n in notes)
                     + "</ul>")
    parts.append("<h2 id='memory'>Training memory vs sequence length</h2>")
    if memory:
        parts.append("<p>Bytes the learning algorithm keeps per training sample, measured at "
                     "several sequence lengths through each learner's <code>fit</code>: BPTT "
                     "stores every step's activations (grows with T); learners with online "
                     "readouts keep a state of fixed size.</p>")
        head, body = memory_table(memory)
        parts.append(_table(head, body, left=2))
        parts.append("<div class='figs'>" + "".join(figs.img(n) for n in where["memory"])
                     + "</div>")
    else:
        parts.append("<p>Not measured for this report.</p>")
    parts.append("<h2 id='scorecard'>Biological-plausibility scorecard</h2>")
    seen: dict[str, dict[str, bool]] = {}
    for s in summary:
        seen.setdefault(s["learner_name"], s["scorecard"])
    crit = list(SCORECARD_CRITERIA)
    parts.append(_table(["learner", *crit],
                        [[name, *["yes" if sc.get(c) else "no" for c in crit]]
                         for name, sc in sorted(seen.items())]))
    parts.append("<ul>" + "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>"
                                  for k, v in SCORECARD_CRITERIA.items()) + "</ul>")
    parts.append("<h2 id='profiles'>Hardware profiles</h2>")
    for p in profiles:
        prof = get_profile(p)
        parts.append(f"<h4>{esc(prof.name)}: {esc(prof.title)}</h4>")
        parts.append(_table(["op", "pJ", "source"], [[k, v, prof.sources.get(k, "")]
                                                     for k, v in prof.energy_pj.items()]))
    failed = [r for r in rows if r.get("status") == "failed"]
    if failed:
        parts.append("<h2 class='fail'>Failed runs</h2>")
        for r in failed:
            parts.append(f"<h4>{esc(task_key(r))} / {esc(learner_key(r))} / seed "
                         f"{esc(r['seed'])}</h4><pre>{esc(r.get('error'))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def render_markdown(rows: list[dict[str, Any]], title: str = "neurosim comparison",
                    memory: list[dict[str, Any]] | None = None, built: tuple | None = None,
                    figure_dir: str | None = "figures") -> str:
    """A Markdown report: tables per task, coverage, memory, scorecard; figures linked from
    ``figure_dir`` (``None``: no figures)."""
    summary, figs, where = built or build(rows, memory)
    profiles = list_profiles()
    lines = [f"# {_md_text(title)}", "", f"> {MEMORY_CAVEAT}", ""]
    for task in sorted({task_key(r) for r in rows}):
        recs = [s for s in summary if s["task"] == task]
        lines += [f"## {_md_text(task)}", ""]
        head, body = accuracy_rows(recs)
        if body:
            lines += _md_table(head, body) + [""]
        for s in recs:
            if s["n_ok"] == 0 and s["n_skipped"]:
                lines.append(f"- skipped {_md_text(s['learner'])}: "
                             f"{_md_text(s['skip_reason'])}")
        ok = [s for s in recs if s["n_ok"]]
        if ok:
            lines += ["", "Energy per inference [J], with memory access:", ""]
            lines += _md_table(["learner", *profiles],
                               [[s["learner"], *[s["energy_j"].get(p) for p in profiles]]
                                for s in ok])
        if figure_dir is not None:
            lines += [""] + [f"![{figs.alts[n]}]({figure_dir}/{n})" for n in where.get(task,
                                                                                     [])]
        lines.append("")
    head, body, notes = coverage(rows)
    lines += ["## Coverage", ""] + _md_table(head, body) + [""]
    lines += [f"- {_md_text(n)}" for n in notes]
    if memory:
        head, body = memory_table(memory)
        lines += ["", "## Training memory vs sequence length", ""] + _md_table(head, body)
        if figure_dir is not None:
            lines += ["", f"![training memory]({figure_dir}/{where['memory'][0]})"]
    seen: dict[str, dict[str, bool]] = {}
    for s in summary:
        seen.setdefault(s["learner_name"], s["scorecard"])
    crit = list(SCORECARD_CRITERIA)
    lines += ["", "## Biological-plausibility scorecard", ""]
    lines += _md_table(["learner", *crit], [[n, *["yes" if sc.get(c) else "no" for c in crit]]
                                            for n, sc in sorted(seen.items())])
    lines.append("")
    return "\n".join(lines)
