"""Self-contained HTML report (figures embedded as base64 PNG) and the figure set shared
with the Markdown report (:mod:`comparisons.report.markdown`).

Every user-given string that reaches the HTML is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np

from comparisons.learners.base import SCORECARD_CRITERIA
from comparisons.metrics.energy import MEMORY_CAVEAT, get_profile, list_profiles
from comparisons.report import figures
from comparisons.report.fair import (
    BREAK_EVEN_NOTE,
    MATCHED_NOTE,
    SWEEP_NOTE,
    break_even_table,
    matched_table,
    sweep_tables,
    target_text,
    task_fair,
)
from comparisons.report.markup import esc, fmt, html_table, slug
from comparisons.report.summary import (
    breakdown,
    learner_key,
    summarize,
    task_key,
    task_summaries,
)
from comparisons.report.tables import (
    ablation_tables,
    baselines_table,
    cost_table,
    coverage,
    energy_table,
    family_tables,
    memory_table,
    profile_table,
    results_table,
    scorecard_components_table,
    scorecard_table,
)
from comparisons.report.verdict import protocol_items, verdict

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1200px;color:#222;padding:0 1em;line-height:1.35}
h2{border-bottom:2px solid #ddd;padding-bottom:0.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:0.85em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f2f2f2}td.l,th.l{text-align:left}
tr.failed td{background:#fdecec;color:#900}
.wrap{overflow-x:auto;max-width:100%}
.caveat{background:#fff6e0;border-left:4px solid #e0a000;padding:0.5em 1em}
.protocol{background:#eef4fb;border-left:4px solid #3a78c2;padding:0.3em 1em}
.verdict{background:#f6f9f6;border-left:4px solid #3a8a3a;padding:0.3em 1em 0.3em 2em}
.verdict li{margin:0.2em 0}.verdict li.v-fail{color:#b00;font-weight:600}
.verdict li.v-caveat{color:#555}
.notes{font-size:0.8em;color:#444}
.fail{color:#b00}.skip{color:#777}.ok{color:#060}
.figs{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}
.figs img{max-width:100%;height:auto;border:1px solid #eee}
nav ul{columns:2;font-size:0.9em}
pre{background:#f7f7f7;padding:0.5em;overflow-x:auto;font-size:0.8em}
"""

#: spiking learners per task that get a raster / weight histogram
MAX_PER_KIND = 6
#: (summary key, reason key, header) of the energy-per-inference table
INFERENCE_COLUMNS = (("energy_j", "energy_unpriced", "+mem"),
                     ("energy_compute_j", "energy_compute_unpriced", "compute"))
TRAIN_COLUMNS = (("train_energy_j", "train_energy_unpriced", "+mem"),)


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


class Built(NamedTuple):
    """What both renderers need: the per-variant records (:func:`summarize`), the figures,
    the figure names per section (task label or ``"memory"``) and the task summaries
    (:func:`task_summaries`)."""

    summary: list[dict[str, Any]]
    figs: FigureSet
    where: dict[str, list[str]]
    tasks: dict[str, dict[str, Any]]
    #: per task, the ablations of learners run as grids (:func:`ablation_tables`)
    ablations: dict[str, list[dict[str, Any]]] = {}
    #: per task, energy where it is fair to compare
    #: (:func:`comparisons.report.fair.task_fair`): matched score, size sweeps, break-even
    fair: dict[str, dict[str, Any]] = {}
    #: per task, the figure names of the fair-energy sections by kind ("sweep", "break_even")
    fair_figs: dict[str, dict[str, list[str]]] = {}
    #: per task of NeuroBench's leaderboard (``neurobench_mackey_glass``), our figures beside
    #: the leaderboard's (:func:`comparisons.report.neurobench_mg.leaderboard_table`)
    leaderboards: dict[str, dict[str, Any]] = {}


def _weights(art: dict[str, Any]) -> dict[str, np.ndarray]:
    w = art.get("weights")
    if w is None:
        return {k[8:]: np.asarray(v) for k, v in art.items() if k.startswith("weights_")}
    if isinstance(w, dict):
        return {str(k): np.asarray(v) for k, v in w.items()}
    return {"weights": np.asarray(w)}


def tuning_records(rows: list[dict[str, Any]], task: str) -> dict[str, dict[str, Any]]:
    """The tuning record (study) of each learner on ``task`` that has one with a curve."""
    out: dict[str, dict[str, Any]] = {}
    for r in sorted((r for r in rows if task_key(r) == task), key=lambda r: str(r["seed"])):
        t = r.get("tuning")
        if isinstance(t, dict) and (t.get("best_so_far") or t.get("trials")):
            out.setdefault(learner_key(r), t)
    return out


def _fair_figures(fair: dict[str, Any], task: str, profiles: list[str], figs: FigureSet
                  ) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"sweep": [], "break_even": []}
    for fam, sweep in fair["sweeps"].items():
        out["sweep"].append(figs.add(
            f"{task}-sweep-{fam}", figures.sweep_figure(sweep, task, fam, profiles,
                                                        fair["higher_is_better"]),
            f"{task}: family {fam}, test {fair['metric']} vs energy per inference over "
            "its size sweep, Pareto front ringed"))
    if fair["break_even"]:
        out["break_even"].append(figs.add(
            f"{task}-break-even", figures.break_even_figure(fair["break_even"], task,
                                                            profiles),
            f"{task}: measured activity vs break-even activity per profile (log)"))
    return out


def build(rows: list[dict[str, Any]], memory: list[dict[str, Any]] | None = None,
          test: str = "ttest", alpha: float = 0.05,
          match: float | dict[str, float] | None = None) -> Built:
    """Summaries and figures of a report (see :class:`Built`); ``match``: a declared
    target validation score for the matched-energy table (one for all tasks or
    ``{task: score}``; default: :func:`comparisons.metrics.matched.match_target`'s rule)."""
    summary = summarize(rows)
    tasks = task_summaries(rows, test=test, alpha=alpha)
    profiles = list_profiles()
    bd = breakdown(summary, profiles)
    figs = FigureSet()
    where: dict[str, list[str]] = {}
    fair: dict[str, dict[str, Any]] = {}
    fair_figs: dict[str, dict[str, list[str]]] = {}
    for task, ts in tasks.items():
        names = where.setdefault(task, [])
        if not any(s["n"] for s in ts["learners"].values()):
            continue
        fair[task] = task_fair(rows, task, profiles, match)
        fair_figs[task] = _fair_figures(fair[task], task, profiles, figs)
        names.append(figs.add(f"{task}-accuracy", figures.accuracy_figure(ts),
                              f"{task}: test {ts['metric']} per learner with intervals"))
        recs = tuning_records(rows, task)
        if recs:
            names.append(figs.add(f"{task}-tuning", figures.tuning_figure(
                recs, ts["metric"], ts["higher_is_better"], task),
                f"{task}: best validation value vs tuning trials"))
        names.append(figs.add(f"{task}-pareto", figures.pareto_figure(summary, task,
                                                                      profiles),
                              f"{task}: accuracy vs energy (Pareto)"))
        names.append(figs.add(f"{task}-size-plausibility", figures.size_plausibility_figure(
            summary, task, profiles[0]), f"{task}: metric vs parameters (size sweeps) and "
            f"metric x energy ({profiles[0]}) x plausibility"))
        names.append(figs.add(f"{task}-energy-breakdown",
                              figures.breakdown_figure(bd, task, profiles),
                              f"{task}: energy breakdown per profile"))
        if any(r.get("history") for r in rows if task_key(r) == task):
            names.append(figs.add(f"{task}-curves", figures.curves_figure(rows, task),
                                  f"{task}: learning curves"))
        task_rows = [r for r in rows if task_key(r) == task and r.get("status") == "ok"]
        firsts: dict[str, dict[str, Any]] = {}  # first finished seed of each learner
        for r in sorted(task_rows, key=lambda r: str(r["seed"])):
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
    from comparisons.report.neurobench_mg import TASK as NB_TASK
    from comparisons.report.neurobench_mg import leaderboard_table

    keys = {task_key(r) for r in rows if r.get("task") == NB_TASK}
    boards = {k: leaderboard_table([q for q in rows if task_key(q) == k], NB_TASK)
              for k in keys}
    return Built(summary, figs, where, tasks, ablation_tables(rows), fair, fair_figs, boards)


def _notes(notes: list[str]) -> str:
    return ("<ul class='notes'>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>"
            if notes else "")


def _fair_section(task: str, built: Built, profiles: list[str]) -> list[str]:
    """Energy at a matched score, size-sweep Pareto fronts and break-even activity."""
    fair = built.fair.get(task)
    if not fair:
        return []
    imgs = built.fair_figs.get(task, {})
    parts = ["<h3>Energy per inference at a matched score</h3>", f"<p>{esc(MATCHED_NOTE)}</p>"]
    for i, lv in enumerate(fair["levels"]):
        parts.append(f"<p><b>{esc(target_text(fair, i))}</b></p>")
        if lv["target"]["value"] is not None:
            parts.append(html_table(*matched_table(fair, profiles, i)))
    parts.append("<h3>Accuracy vs energy over each family's size sweep</h3>")
    if fair["sweeps"]:
        parts.append(f"<p>{esc(SWEEP_NOTE)} In the table, * marks the profile's front.</p>")
        parts.append("<div class='figs'>" + "".join(built.figs.img(n)
                                                    for n in imgs.get("sweep", [])) + "</div>")
        for t in sweep_tables(fair, profiles):
            parts.append(f"<h4>Family {esc(t['family'])}</h4>")
            parts.append(html_table(t["head"], t["body"]))
    else:
        parts.append("<p>Omitted: no learner of this task ran at two or more sizes (no size "
                     "sweep in these results).</p>")
    parts.append("<h3>Break-even activity of the spiking learners</h3>")
    if fair["break_even"]:
        parts.append(f"<p>{esc(BREAK_EVEN_NOTE)} The figure: measured activity (black) and "
                     "break-even per profile (markers; spiking is cheaper below its "
                     "marker), log scale.</p>")
        parts.append("<div class='figs'>" + "".join(
            built.figs.img(n) for n in imgs.get("break_even", [])) + "</div>")
        head, body, notes = break_even_table(fair, profiles)
        parts += [html_table(head, body), _notes(notes)]
    else:
        parts.append("<p>Omitted: no spiking learner (none records synaptic events) "
                     "finished on this task.</p>")
    return parts


def _task_section(task: str, ts: dict[str, Any], built: Built, profiles: list[str]
                  ) -> list[str]:
    parts = [f"<h2 id='task-{esc(slug(task))}'>Task: {esc(task)}</h2>"]
    parts.append("<ul class='verdict'>" + "".join(
        f"<li class='v-{kind}'>{esc(text)}</li>" for kind, text in verdict(ts)) + "</ul>")
    head, body, classes = results_table(ts)
    if body:
        parts.append("<h3>Results (test split scored once per seed)</h3>")
        parts.append(html_table(head, body, row_classes=classes))
    head, body = baselines_table(ts)
    if body:
        parts.append("<h3>Baselines and published values</h3>")
        parts.append(html_table(head, body))
    for ab in built.ablations.get(task, []):
        better = "higher" if ab["higher_is_better"] else "lower"
        parts.append(f"<h3>Ablation of {esc(ab['learner'])}: {esc(', '.join(ab['factors']))}"
                     f" ({better} is better)</h3>")
        parts.append(html_table(ab["head"], ab["body"]))
        parts.append("<p>Main effect of each factor: the change of the test mean against "
                     "the factor's first level, over the combinations of the other factors "
                     "where both variants finished.</p>")
        parts.append(html_table(ab["effects_head"], ab["effects_body"]))
    recs = [s for s in built.summary if s["task"] == task and s["n_ok"]]
    if not recs:
        parts.append("<p>No learner finished a run on this task.</p>")
        return parts
    parts.append("<div class='figs'>" + "".join(built.figs.img(n)
                                                for n in built.where.get(task, [])) + "</div>")
    parts.append("<h3>Energy per inference [J] (with memory access / compute only)</h3>")
    head, body, notes = energy_table(ts, profiles, INFERENCE_COLUMNS)
    parts += [html_table(head, body), _notes(notes)]
    parts.append("<h3>Energy per training sample [J] (with memory access)</h3>")
    head, body, notes = energy_table(ts, profiles, TRAIN_COLUMNS)
    parts += [html_table(head, body), _notes(notes)]
    board = built.leaderboards.get(task)
    if board:
        parts += ["<h3>Beside NeuroBench's leaderboard (closed-loop sMAPE)</h3>",
                  board["html"], f"<p class='note'>{esc(board['note'])}</p>"]
    parts += _fair_section(task, built, profiles)
    parts.append("<h3>Training memory and size</h3>")
    parts.append(html_table(*cost_table(ts)))
    op_keys = sorted({k for s in recs for k in s["ops"]})
    parts.append("<h3>Op counts per inference sample</h3>")
    parts.append(html_table(["learner", *op_keys],
                            [[s["learner"], *[s["ops"].get(k) for k in op_keys]]
                             for s in recs]))
    hw_keys = sorted({k for s in recs for k in s.get("hardware", {})})
    if hw_keys:
        parts.append("<h3>Hardware cost (NeuroBench definitions; cores per profile)</h3>")
        parts.append(html_table(["learner", *hw_keys], [[s["learner"], *[
            s["hardware"].get(k) for k in hw_keys]] for s in recs]))
    return parts


def render_html(rows: list[dict[str, Any]], title: str = "neurosim comparison",
                meta: dict[str, Any] | None = None,
                memory: list[dict[str, Any]] | None = None,
                built: Built | None = None) -> str:
    """The whole report as one HTML string (figures embedded)."""
    built = built or build(rows, memory)
    tasks = list(built.tasks)
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
        parts.append(html_table(["setting", "value"], [[k, v] for k, v in meta.items()]))
    parts.append("<div class='protocol'><h3>Protocol</h3>" + html_table(
        ["setting", "value"], [list(x) for x in protocol_items(rows, built.tasks)])
        + "</div>")
    parts.append(f"<p class='caveat'>{esc(MEMORY_CAVEAT)}</p>")
    toc = [f"<li><a href='#task-{esc(slug(t))}'>Task: {esc(t)}</a></li>" for t in tasks]
    if family_tables(rows, built.tasks):
        toc.insert(0, "<li><a href='#families'>Rule-swap families: task x rule</a></li>")
    toc += ["<li><a href='#coverage'>Coverage (run / skipped cells)</a></li>",
            "<li><a href='#memory'>Training memory vs sequence length</a></li>",
            "<li><a href='#scorecard'>Biological-plausibility scorecard</a></li>",
            "<li><a href='#profiles'>Hardware profiles</a></li>"]
    parts.append("<nav><ul>" + "".join(toc) + "</ul></nav>")
    fams = family_tables(rows, built.tasks)
    if fams:
        parts.append("<h2 id='families'>Rule-swap families: task x rule</h2>")
        parts.append("<p>Within a family only the learning rule differs (same network, "
                     "size, initial weights per seed, loss, optimiser and tuning budget). "
                     "Each cell: test mean [confidence interval over seeds]; * the best "
                     "mean of the row; FAILED: did not beat the trivial baseline.</p>")
        for f in fams:
            parts.append(f"<h3>Family {esc(f['family'])}</h3>")
            parts.append(html_table(f["head"], f["body"]))
    for task, ts in built.tasks.items():
        parts += _task_section(task, ts, built, profiles)
    head, body, notes = coverage(rows)
    parts.append("<h2 id='coverage'>Coverage: which learner ran on which task</h2>")
    parts.append(html_table(head, body))
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
        parts.append(html_table(head, body, left=2))
        parts.append("<div class='figs'>" + "".join(built.figs.img(n)
                                                    for n in built.where["memory"])
                     + "</div>")
    else:
        parts.append("<p>Not measured for this report.</p>")
    parts.append("<h2 id='scorecard'>Biological-plausibility scorecard</h2>")
    head, body, notes = scorecard_table(built.summary, memory)
    parts.append("<p>Marks follow the rubric of the documentation (docs/guide/scorecard.md): "
                 "declared from what each rule computes, except “online in time”, measured "
                 "from the training-memory probe where it ran (it reads each learner's reported "
                 "training memory, a formula for some learners); n/a where no task has a "
                 "time axis.</p>")
    parts.append(html_table(head, body))
    parts.append(_notes(notes))
    parts.append("<ul>" + "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>"
                                  for k, v in SCORECARD_CRITERIA.items()) + "</ul>")
    head, body, notes = scorecard_components_table(built.summary)
    parts.append("<h3 id='scorecard-components'>Scorecard by component</h3>")
    parts.append("<p>The same criteria graded for the representation (the network that "
                 "makes the states) and the readout (states to outputs) apart; the learner's "
                 "mark above is the weaker of the two.</p>")
    if body:
        parts.append(html_table(head, body, left=2))
    parts.append(_notes(notes))
    parts.append("<h2 id='profiles'>Hardware profiles</h2>")
    parts.append("<p>Every figure is a range [min, max] around a typical value (pJ) with its "
                 "source and what it includes; energies in the tables are typical [min, max]. "
                 "Memory traffic is priced at the tier that holds the model's footprint.</p>")
    for p in profiles:
        head, body, notes = profile_table(get_profile(p))
        parts.append(f"<h4>{esc(p)}: {esc(get_profile(p).title)}</h4>")
        parts.append(html_table(head, body))
        parts.append(_notes(notes))
    failed = [r for r in rows if r.get("status") == "failed"]
    if failed:
        parts.append("<h2 class='fail'>Failed runs</h2>")
        for r in failed:
            parts.append(f"<h4>{esc(task_key(r))} / {esc(learner_key(r))} / seed "
                         f"{esc(r['seed'])}</h4><pre>{esc(r.get('error'))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


__all__ = ["Built", "FigureSet", "build", "render_html", "tuning_records", "fmt"]
