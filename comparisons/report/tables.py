"""Table contents of the report (headers and rows of plain values); :mod:`.markup` renders
them as HTML or Markdown. Each function reads a task summary
(:func:`comparisons.report.summary.task_summaries`) or rows; none trains anything."""

from __future__ import annotations

import json
from typing import Any

from comparisons.report.markup import fmt, fmt_bytes, fmt_ci, fmt_range
from comparisons.report.summary import learner_key, task_key

#: chosen settings shown in a table cell before "(+N more)"
MAX_SETTINGS = 6


def settings_text(s: dict[str, Any]) -> str:
    """``hidden_size=32*, lr=0.0031*, epochs=20 (+3 at defaults)``: the settings that differ
    from the learner's defaults (``*``: chosen by tuning), then how many are at defaults."""
    params = s.get("chosen_params") or {}
    changed = [k for k in params if k in (s.get("changed_params") or [])]
    tuned = set(s.get("tuned_params") or [])
    shown = [f"{k}={fmt(params[k])}{'*' if k in tuned else ''}" for k in changed[:MAX_SETTINGS]]
    more = len(changed) - len(shown)
    rest = len(params) - len(changed)
    text = ", ".join(shown) or ("defaults" if params else "–")
    if more > 0:
        text += f" (+{more} more changed)"
    if rest > 0 and shown:
        text += f" (+{rest} at defaults)"
    return text


def flags_text(s: dict[str, Any]) -> str:
    out = []
    if s["failed_to_train"]:
        n_bad = s["n_failed_to_train"]
        out.append("FAILED TO TRAIN" + (f" ({n_bad}/{s['n_runs']} seeds)" if n_bad else
                                        " (mean)"))
    elif s.get("near_trivial"):
        out.append("interval contains the trivial baseline")
    n_up = (s.get("flags") or {}).get("still_improving_at_budget", 0)
    if n_up:
        out.append(f"still improving at budget ({n_up}/{s['n']} seeds)")
    if s.get("tuning_still_improving"):
        out.append("tuning still improving")
    if not s.get("tuned"):
        out.append("untuned")
    return "; ".join(out)


def results_table(ts: dict[str, Any]) -> tuple[list[str], list[list[Any]], list[str]]:
    """One row per learner: test mean [CI], validation and training means, every other
    metric (test, val / train), seeds, flags, parameters and the chosen settings. Rows of
    learners that failed to train get the class ``"failed"``."""
    m = ts["metric"]
    better = "higher" if ts["higher_is_better"] else "lower"
    conf = int(round(100 * ts.get("confidence", 0.95)))
    others = [x for x in ts["metrics"] if x != m]
    head = ["learner", "family", f"test {m} mean [{conf}% CI] ({better} is better)",
            f"val {m}", f"train {m}", *[f"{x} test (val / train)" for x in others],
            "seeds ok", "flags", "params", "chosen settings (* tuned)"]
    body, classes = [], []
    for name, s in ts["learners"].items():
        seeds = f"{s['n']}/{s['n_runs']}" + (f", {s['n_failed']} crashed"
                                             if s["n_failed"] else "")
        om = s.get("other_metrics") or {}
        cells = [f"{fmt((om.get(x) or {}).get('test'))} ({fmt((om.get(x) or {}).get('val'))}"
                 f" / {fmt((om.get(x) or {}).get('train'))})" for x in others]
        body.append([name, s["family"], fmt_ci(s), s["val_mean"], s["train_mean"], *cells,
                     seeds, flags_text(s), s["params"], settings_text(s)])
        classes.append("failed" if s["failed_to_train"] else "")
    return head, body, classes


def baselines_table(ts: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Chance, the task's trivial baselines (test mean over seeds), the ceiling where
    known, and the published values with their source."""
    m = ts["metric"]
    others = [x for x in ts["metrics"] if x != m]
    head = ["reference", "kind", f"test {m}", *others, "what it is / source"]
    best = (ts.get("trivial_best") or {}).get("name")
    body: list[list[Any]] = []
    for name, b in ts["baselines"].items():
        kind = ("reference solution" if b.get("reference") else
                "best trivial baseline" if name == best else "trivial baseline")
        body.append([name, kind, b["mean"], *[b["metrics"].get(x) for x in others],
                     b.get("description") or ""])
    if ts.get("ceiling") is not None:
        body.append(["ceiling", "best achievable", ts["ceiling"], *[None] * len(others),
                     "the best value this task allows (Task.ceiling)"])
    for lit in ts.get("literature") or []:
        vals: list[Any] = [None] * (1 + len(others))
        metric = lit.get("metric")
        if metric == m:
            vals[0] = lit.get("value")
        elif metric in others:
            vals[1 + others.index(metric)] = lit.get("value")
        else:
            vals[0] = f"{fmt(lit.get('value'))} ({metric})"
        body.append([lit.get("model", ""), "literature", *vals,
                     f"{lit.get('source', '')}: {lit.get('setting', '')}"])
    return head, body


def energy_table(ts: dict[str, Any], profiles: list[str],
                 columns: tuple[tuple[str, str, str], ...]
                 ) -> tuple[list[str], list[list[Any]], list[str]]:
    """Energy per learner and profile, each cell ``typical [min, max]`` joules
    (:func:`~comparisons.report.markup.fmt_range`); an unpriced cell reads ``n/a [k]`` and
    note ``k`` says why (the same reason shares one note).

    Parameters
    ----------
    columns : tuple of (summary key, reason key, header suffix)
        E.g. ``(("energy_j", "energy_unpriced", "+mem"),)``.
    """
    head = ["learner", *[f"{p} ({suffix})" for _, _, suffix in columns for p in profiles]]
    notes: list[str] = []
    body = []
    for name, s in ts["learners"].items():
        if not s["n"] and not s["n_runs"] - s["n_failed"]:
            continue
        row: list[Any] = [name]
        for key, why_key, _ in columns:
            for p in profiles:
                v = (s.get(key) or {}).get(p)
                if v is not None:
                    row.append(fmt_range(v))
                    continue
                why = (s.get(why_key) or {}).get(p) or "not recorded"
                text = f"{p}: {why}"
                if text not in notes:
                    notes.append(text)
                row.append(f"n/a [{notes.index(text) + 1}]")
        body.append(row)
    return head, body, [f"[{i + 1}] {n}" for i, n in enumerate(notes)]


def profile_table(prof: Any) -> tuple[list[str], list[list[Any]], list[str]]:
    """A hardware profile as a table: one row per priced op kind and memory tier (min,
    typical, max pJ, what it includes, source and note), then notes for the op kinds priced
    inside other figures, those the chip cannot run and what the profile leaves out.

    Parameters
    ----------
    prof : comparisons.metrics.profiles.Profile
    """
    head = ["op", "min pJ", "typical pJ", "max pJ", "includes", "source", "note"]
    body: list[list[Any]] = [[k, f.min, f.typical, f.max, f.includes, f.source, f.note]
                             for k, f in prof.figures.items()]
    for t in prof.memory_tiers:
        cap = "any size" if t.capacity_bytes is None else f"up to {t.capacity_bytes} B"
        f = t.access_pj
        body.append([f"memory: {t.name} ({cap}), per {t.access_bytes}-byte access", f.min,
                     f.typical, f.max, f.includes, f.source, f.note])
    notes = [f"{k}: priced inside other figures ({why})" for k, why in prof.included.items()]
    if prof.memory_included:
        notes.append(f"memory: {prof.memory_included}")
    if prof.memory_tiers and prof.value_bytes != 4:
        notes.append(f"memory traffic and footprint counted at 4 bytes per value are scaled "
                     f"to {prof.value_bytes} byte(s) per value")
    if prof.unsupported:
        notes.append(f"cannot run: {', '.join(prof.unsupported)}" + (
            f" (priced on {prof.fallback} when the learner also has spiking work)"
            if prof.fallback else ""))
    notes += [f"not modelled: {k}: {why}" for k, why in (prof.not_modelled or {}).items()]
    return head, body, notes


def cost_table(ts: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Training memory, parameters, fit time and readout per learner."""
    head = ["learner", "train memory per sample", "params", "fit s (mean)", "readout"]
    body = [[name, fmt_bytes(s.get("train_memory_bytes")), s.get("params"), s.get("fit_s"),
             s.get("readout") or ""] for name, s in ts["learners"].items() if s["n"]]
    return head, body


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


def _level(v: Any) -> str:
    return fmt(v) if isinstance(v, float) else str(v)


def ablation_tables(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per task, one ablation per learner that ran as a grid of variants (a
    ``learner_grid``; each row's ``learner_variant``) with at least two variants.

    The factors are the grid settings that vary. ``head``/``body``: one row per variant
    (its factor levels, test mean ± std over the finished seeds, seeds, and the reason of a
    skipped variant, e.g. a combination without meaning). ``effects_head``/``effects_body``:
    the main effect of each factor in this full factorial design, for each level against
    the factor's first level: the difference of the variants' test means over every
    combination of the other factors where both variants finished (mean, min and max over
    those combinations, and how many there were). The test split informs nothing here: the
    variants were each tuned on validation, as every learner.
    """
    from collections import defaultdict

    import numpy as np

    groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    for r in rows:
        if r.get("learner_variant"):
            groups[(task_key(r), r["learner"])].setdefault(learner_key(r), []).append(r)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (task, learner), variants in sorted(groups.items()):
        if len(variants) < 2:
            continue
        points = {lab: rs[0]["learner_variant"] for lab, rs in variants.items()}
        keys = sorted({k for p in points.values() for k in p})
        factors = [k for k in keys if len({repr(p.get(k)) for p in points.values()}) > 1]
        first = next(iter(variants.values()))[0]
        metric = first.get("metric", "")
        means: dict[str, float] = {}
        head = [*factors, f"test {metric} (mean ± std)", "seeds ok", "note"]
        body = []
        for lab, rs in sorted(variants.items(), key=lambda kv: [repr(points[kv[0]].get(k))
                                                               for k in factors]):
            vals = np.array([(r.get("metrics") or {}).get(metric, np.nan) for r in rs
                             if r.get("status") == "ok"], dtype=float)
            vals = vals[np.isfinite(vals)]
            mean = float(vals.mean()) if vals.size else float("nan")
            means[lab] = mean
            skipped = next((r.get("error") for r in rs if r.get("status") == "skipped"), None)
            failed = sum(r.get("status") == "failed" for r in rs)
            note = (f"skipped: {skipped}" if skipped else
                    f"{failed} crashed" if failed else "")
            spread = f" ± {fmt(float(vals.std(ddof=1)))}" if vals.size > 1 else ""
            body.append([*[_level(points[lab].get(k)) for k in factors],
                         (fmt(mean) + spread) if vals.size else "–",
                         f"{vals.size}/{len(rs)}", note])
        eff_head = ["factor", "change", f"effect on test {metric} (mean)", "min", "max",
                    "combinations compared"]
        eff_body = []
        for f in factors:
            levels: list[Any] = []
            for p in points.values():
                if all(repr(p.get(f)) != repr(v) for v in levels):
                    levels.append(p.get(f))
            levels.sort(key=repr)
            base = levels[0]
            for lev in levels[1:]:
                diffs = []
                for lab, p in points.items():
                    if repr(p.get(f)) != repr(lev):
                        continue
                    twin = next((lb for lb, q in points.items() if repr(q.get(f)) == repr(base)
                                 and all(repr(q.get(k)) == repr(p.get(k))
                                         for k in factors if k != f)), None)
                    if twin is not None and np.isfinite(means[lab]) and np.isfinite(
                            means[twin]):
                        diffs.append(means[lab] - means[twin])
                eff_body.append([f, f"{_level(base)} → {_level(lev)}",
                                 fmt(float(np.mean(diffs))) if diffs else "–",
                                 fmt(float(np.min(diffs))) if diffs else "–",
                                 fmt(float(np.max(diffs))) if diffs else "–", len(diffs)])
        out[task].append({"learner": learner, "factors": factors, "metric": metric,
                          "higher_is_better": first.get("higher_is_better", True),
                          "head": head, "body": body, "effects_head": eff_head,
                          "effects_body": eff_body})
    return dict(out)


def family_tables(rows: list[dict[str, Any]], tasks: dict[str, dict[str, Any]]
                  ) -> list[dict[str, Any]]:
    """One matrix per rule-swap family in ``rows``: a row per task, a column per rule, each
    cell the test mean with its interval over seeds (from ``tasks``, the task summaries),
    ``FAILED`` where the rule failed to train, ``–`` where it did not run. The best mean of
    each row is marked ``*`` (ties: all). Membership comes from the learner registry (a
    learner ``family:rule`` whose class has ``rule_family``)."""
    from comparisons.learners import LEARNERS, _load_builtin

    _load_builtin()
    fams: dict[str, list[str]] = {}
    for r in rows:
        cls = LEARNERS.get(str(r.get("learner")))
        fam = getattr(cls, "rule_family", None)
        if fam is not None and cls.rule not in fams.setdefault(fam, []):
            fams[fam].append(cls.rule)
    out = []
    for fam, rules in sorted(fams.items()):
        rules = sorted(rules)
        body = []
        for task, ts in tasks.items():
            cells, means = [], {}
            for rule in rules:
                s = ts["learners"].get(f"{fam}:{rule}")
                if not s or not s.get("n"):
                    cells.append("–")
                    continue
                means[rule] = s["mean"]
                cells.append(fmt_ci(s) + (" FAILED" if s.get("failed_to_train") else ""))
            if not means:
                continue
            pick = max if ts["higher_is_better"] else min
            best = pick(means.values())
            cells = [c + " *" if means.get(rule) == best else c
                     for c, rule in zip(cells, rules, strict=True)]
            better = "higher" if ts["higher_is_better"] else "lower"
            body.append([task, f"{ts['metric']} ({better} is better)", *cells])
        if body:
            out.append({"family": fam, "head": ["task", "metric", *rules], "body": body})
    return out


#: training memory may grow by at most this factor over the probe's lengths for a learner to
#: count as online in time (a fixed-size state; the probe's T range is 4x)
ONLINE_GROWTH = 1.1


def scorecard_table(summary: list[dict[str, Any]], memory: list[dict[str, Any]] | None
                    ) -> tuple[list[str], list[list[Any]], list[str]]:
    """The plausibility scorecard: one row per learner, one column per criterion
    (:data:`comparisons.learners.base.SCORECARD_CRITERIA`).

    Marks are the learner's declared ones (from what its rule computes; rubric in
    ``docs/guide/scorecard.md``) except where measured: "online in time" is read from the
    training-memory probe (memory per sample at several sequence lengths): ``yes`` when it
    grows by at most :data:`ONLINE_GROWTH` over the probe's lengths, else ``no``, with the
    factor; a disagreement with the declaration is said in the cell. On static tasks only
    (no time axis) the criterion is ``n/a``. Returns header, rows and notes.
    """
    from comparisons.learners.base import SCORECARD_CRITERIA
    from comparisons.tasks import TASKS

    crit = list(SCORECARD_CRITERIA)
    cards: dict[str, dict[str, bool]] = {}
    tasks: dict[str, set[str]] = {}
    for s in summary:
        cards.setdefault(s["learner_name"], s["scorecard"])
        if s["n_ok"]:
            tasks.setdefault(s["learner_name"], set()).add(s["task_name"])
    growth: dict[str, tuple[float, int, int]] = {}
    for name in {m["learner"] for m in memory or []}:
        ok = sorted((m["length"], m["train_memory_bytes"]) for m in memory or []
                    if m["learner"] == name and m.get("status") == "ok"
                    and m.get("train_memory_bytes"))
        if len(ok) > 1:
            growth[name] = (ok[-1][1] / ok[0][1], ok[0][0], ok[-1][0])
    body, notes = [], []
    for name, sc in sorted(cards.items()):
        row: list[Any] = [name]
        for c in crit:
            declared = bool(sc.get(c))
            cell = "yes" if declared else "no"
            if c == "online_in_time":
                ran = tasks.get(name, set())
                if ran and all(getattr(TASKS.get(t), "static", False) for t in ran):
                    cell = "n/a (static tasks only)"
                elif name in growth:
                    g, t0, t1 = growth[name]
                    measured = g <= ONLINE_GROWTH
                    cell = (f"{'yes' if measured else 'no'} (measured: memory x{g:.2f}, "
                            f"T={t0}→{t1})")
                    if measured != declared:
                        cell += f"; declared {'yes' if declared else 'no'}"
                        notes.append(f"{name}: online in time declared "
                                     f"{'yes' if declared else 'no'} but its training "
                                     f"memory grows x{g:.2f} from T={t0} to T={t1}")
                else:
                    cell += " (declared)"
            row.append(cell)
        body.append(row)
    return ["learner", *crit], body, notes


def scorecard_components_table(summary: list[dict[str, Any]]
                               ) -> tuple[list[str], list[list[Any]], list[str]]:
    """The scorecard by component: per learner, one row for its representation and one for
    its readout, one column per criterion (declared marks, rubric in
    ``docs/guide/scorecard.md``; :mod:`comparisons.learners.scorecard`).

    Cells are ``yes``, ``no``, ``n/a`` (the component does not learn, or the criterion does
    not apply to it) and ``—`` (the learner has no such component). "Online in time" is
    ``n/a`` for a learner that ran on static tasks only, as in :func:`scorecard_table`; the
    measured learner-level mark is that table's. Variants of one learner whose settings
    change its components (a readout, plasticity off) get a block each, labelled by variant.
    Records without components (stored before components were graded, or a learner that
    declares none) are named in a note, not guessed. Returns header, rows and notes.
    """
    from comparisons.learners.base import SCORECARD_CRITERIA
    from comparisons.tasks import TASKS

    crit = list(SCORECARD_CRITERIA)
    blocks: dict[str, dict[str, tuple[dict[str, Any], list[str]]]] = {}
    tasks: dict[str, set[str]] = {}
    ungraded: set[str] = set()
    for s in summary:
        name = s["learner_name"]
        if s.get("n_ok"):
            tasks.setdefault(name, set()).add(s["task_name"])
        comps = s.get("scorecard_components")
        if not comps:
            ungraded.add(name)
            continue
        key = json.dumps(comps, sort_keys=True)
        _, labels = blocks.setdefault(name, {}).setdefault(key, (comps, []))
        if s.get("learner", name) not in labels:
            labels.append(s.get("learner", name))
    body: list[list[Any]] = []
    mark = {True: "yes", False: "no", None: "n/a"}
    for name in sorted(blocks):
        ran = tasks.get(name, set())
        static = bool(ran) and all(getattr(TASKS.get(t), "static", False) for t in ran)
        variants = blocks[name]
        for comps, labels in variants.values():
            label = name
            if len(variants) > 1:
                label = labels[0] if len(labels) == 1 else (
                    f"{labels[0]} (+{len(labels) - 1} variants alike)")
            for comp in ("representation", "readout"):
                card = comps.get(comp)
                if card is None:
                    body.append([label, comp, *["—"] * len(crit)])
                    continue
                cells = [mark.get(card.get(c), "n/a") for c in crit]
                if static and card.get("online_in_time") is not None:
                    cells[crit.index("online_in_time")] = "n/a (static tasks only)"
                body.append([label, comp, *cells])
    notes = []
    if body:
        notes.append("n/a: the component does not learn (fixed weights: every learning "
                     "criterion), or the criterion does not apply to it (binary spikes of a "
                     "readout, whose outputs are the answer); —: the learner has no such "
                     "component. The learner-level mark is the weaker of the two.")
    missing = sorted(ungraded - set(blocks))
    if missing:
        notes.append("not graded per component (results stored before components were "
                     "graded, or a learner that declares none; learner-level marks above): "
                     + ", ".join(missing))
    return ["learner", "component", *crit], body, notes
