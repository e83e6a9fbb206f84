"""The Markdown report: the same sections as the HTML one, figures linked as PNG files.

User-given strings are escaped with :func:`comparisons.report.markup.md_text` (Markdown
renderers pass raw HTML through).
"""

from __future__ import annotations

from typing import Any

from comparisons.metrics.energy import MEMORY_CAVEAT, get_profile, list_profiles
from comparisons.report.fair import (
    BREAK_EVEN_NOTE,
    MATCHED_NOTE,
    SWEEP_NOTE,
    break_even_table,
    matched_table,
    sweep_tables,
    target_text,
)
from comparisons.report.html import INFERENCE_COLUMNS, TRAIN_COLUMNS, Built, build
from comparisons.report.markup import md_table, md_text
from comparisons.report.tables import (
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

#: how a verdict item of each kind starts in Markdown
_LEAD = {"fail": "**⚠** ", "caveat": "*Caveat:* "}


def _fair_lines(task: str, built: Built, profiles: list[str], figure_dir: str | None
                ) -> list[str]:
    """Energy at a matched score, size-sweep Pareto tables and break-even activity."""
    fair = built.fair.get(task)
    if not fair:
        return []
    imgs = built.fair_figs.get(task, {})

    def links(kind: str) -> list[str]:
        if figure_dir is None:
            return []
        return [f"![{built.figs.alts[n]}]({figure_dir}/{n})" for n in imgs.get(kind, [])
                ] + [""]
    lines = ["Energy per inference at a matched score:", "", md_text(MATCHED_NOTE), ""]
    for i, lv in enumerate(fair["levels"]):
        lines += [f"**{md_text(target_text(fair, i))}**", ""]
        if lv["target"]["value"] is not None:
            lines += md_table(*matched_table(fair, profiles, i)) + [""]
    lines += ["Accuracy vs energy over each family's size sweep:", ""]
    if fair["sweeps"]:
        lines += [f"{md_text(SWEEP_NOTE)} In the tables, * marks the profile's front.", ""]
        for t in sweep_tables(fair, profiles):
            lines += [f"Family {md_text(t['family'])}:", ""] + md_table(t["head"], t["body"])
            lines.append("")
        lines += links("sweep")
    else:
        lines += ["Omitted: no learner of this task ran at two or more sizes (no size sweep "
                  "in these results).", ""]
    lines += ["Break-even activity of the spiking learners:", ""]
    if fair["break_even"]:
        head, body, notes = break_even_table(fair, profiles)
        lines += [md_text(BREAK_EVEN_NOTE), ""] + md_table(head, body) + [""]
        lines += [f"- {md_text(n)}" for n in notes] + [""]
        lines += links("break_even")
    else:
        lines += ["Omitted: no spiking learner (none records synaptic events) finished on "
                  "this task.", ""]
    return lines


def _task_lines(task: str, ts: dict[str, Any], built: Built, profiles: list[str],
                figure_dir: str | None) -> list[str]:
    lines = [f"## {md_text(task)}", ""]
    lines += [f"- {_LEAD.get(kind, '')}{md_text(text)}" for kind, text in verdict(ts)]
    lines.append("")
    head, body, classes = results_table(ts)
    if body:
        lines += md_table(head, body, classes) + [""]
    head, body = baselines_table(ts)
    if body:
        lines += ["Baselines and published values:", ""] + md_table(head, body) + [""]
    for ab in built.ablations.get(task, []):
        better = "higher" if ab["higher_is_better"] else "lower"
        lines += [f"Ablation of {md_text(ab['learner'])}: {md_text(', '.join(ab['factors']))} "
                  f"({better} is better):", ""] + md_table(ab["head"], ab["body"]) + [""]
        lines += ["Main effect of each factor (change of the test mean against the factor's "
                  "first level, over the combinations of the other factors where both "
                  "variants finished):", ""]
        lines += md_table(ab["effects_head"], ab["effects_body"]) + [""]
    if any(s["n"] for s in ts["learners"].values()):
        for title, cols in (("Energy per inference [J] (with memory access / compute only)",
                             INFERENCE_COLUMNS),
                            ("Energy per training sample [J] (with memory access)",
                             TRAIN_COLUMNS)):
            head, body, notes = energy_table(ts, profiles, cols)
            lines += [f"{title}:", ""] + md_table(head, body) + [""]
            lines += [f"- {md_text(n)}" for n in notes] + ([""] if notes else [])
        board = built.leaderboards.get(task)
        if board:
            lines += ["Beside NeuroBench's leaderboard (closed-loop sMAPE):", "",
                      board["markdown"], "", md_text(board["note"]), ""]
        lines += _fair_lines(task, built, profiles, figure_dir)
        lines += ["Training memory and size:", ""] + md_table(*cost_table(ts)) + [""]
    if figure_dir is not None:
        lines += [f"![{built.figs.alts[n]}]({figure_dir}/{n})"
                  for n in built.where.get(task, [])]
    lines.append("")
    return lines


def render_markdown(rows: list[dict[str, Any]], title: str = "neurosim comparison",
                    memory: list[dict[str, Any]] | None = None, built: Built | None = None,
                    figure_dir: str | None = "figures") -> str:
    """A Markdown report: protocol, per task a verdict, the results, baselines and energy
    tables; coverage, memory, scorecard; figures linked from ``figure_dir`` (``None``: no
    figures)."""
    built = built or build(rows, memory)
    profiles = list_profiles()
    lines = [f"# {md_text(title)}", "", "## Protocol", ""]
    lines += md_table(["setting", "value"], [list(x) for x in protocol_items(rows,
                                                                             built.tasks)])
    lines += ["", f"> {MEMORY_CAVEAT}", ""]
    fams = family_tables(rows, built.tasks)
    if fams:
        lines += ["## Rule-swap families: task x rule", "",
                  "Within a family only the learning rule differs (same network, size, "
                  "initial weights per seed, loss, optimiser and tuning budget). Each cell: "
                  "test mean [confidence interval over seeds]; * the best mean of the row; "
                  "FAILED: did not beat the trivial baseline.", ""]
        for f in fams:
            lines += [f"### Family {md_text(f['family'])}", ""] + md_table(f["head"],
                                                                           f["body"]) + [""]
    for task, ts in built.tasks.items():
        lines += _task_lines(task, ts, built, profiles, figure_dir)
    head, body, notes = coverage(rows)
    lines += ["## Coverage", ""] + md_table(head, body) + [""]
    lines += [f"- {md_text(n)}" for n in notes]
    if memory:
        head, body = memory_table(memory)
        lines += ["", "## Training memory vs sequence length", ""] + md_table(head, body)
        if figure_dir is not None:
            lines += ["", f"![training memory]({figure_dir}/{built.where['memory'][0]})"]
    lines += ["", "## Biological-plausibility scorecard", "",
              "Marks follow the rubric in docs/guide/scorecard.md: declared from what each "
              "rule computes, except \"online in time\", measured from the training-memory "
              "probe where it ran (it reads each learner's reported training memory, a formula "
              "for some learners); n/a where no task has a time axis.", ""]
    head, body, notes = scorecard_table(built.summary, memory)
    lines += md_table(head, body) + [f"- {md_text(n)}" for n in notes]
    head, body, notes = scorecard_components_table(built.summary)
    lines += ["", "### Scorecard by component", "",
              "The same criteria graded for the representation (the network that makes the "
              "states) and the readout (states to outputs) apart; the learner's mark above "
              "is the weaker of the two.", ""]
    lines += (md_table(head, body) + [""] if body else []) + [f"- {md_text(n)}"
                                                                for n in notes]
    lines += ["", "## Hardware profiles", "",
              "Every figure is a range [min, max] around a typical value (pJ) with its source "
              "and what it includes; energies in the tables are typical [min, max] joules. "
              "Memory traffic is priced at the tier that holds the model's footprint.", ""]
    for p in profiles:
        prof = get_profile(p)
        head, body, notes = profile_table(prof)
        lines += [f"### {md_text(p)}: {md_text(prof.title)}", ""] + md_table(head, body)
        lines += [f"- {md_text(n)}" for n in notes] + [""]
    return "\n".join(lines)
