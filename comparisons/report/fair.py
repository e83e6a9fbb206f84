"""The report's "energy where it is fair to compare" sections, as data and tables: energy
per inference at a matched validation score, accuracy-vs-energy Pareto fronts over each
family's size sweep, and the break-even activity of each spiking configuration.

The numbers come from :mod:`comparisons.metrics.matched` and
:mod:`comparisons.metrics.breakeven` (their docstrings define every quantity); this module
gathers them per task from result rows and lays them out as table contents
(:mod:`comparisons.report.markup` renders them). Nothing is trained here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from comparisons.metrics.breakeven import DAMPFHOFFER_CITATION, DAMPFHOFFER_RANGE, break_even
from comparisons.metrics.matched import (
    TARGET_RULES,
    config_points,
    match_target,
    matched_energy,
    size_text,
    sweep_points,
    trivial_value,
)
from comparisons.metrics.profiles import LEVELS
from comparisons.report.markup import fmt, fmt_range
from comparisons.report.summary import learner_key, pareto_front, task_key
from comparisons.validation import check_float

#: what the matched-accuracy table includes (shown under it)
MATCHED_NOTE = (
    "Energy per inference (memory access included) of each learner at its lowest-energy "
    "configuration whose validation mean reaches the target, with that configuration's "
    "test mean; configurations are the run's variants (size-sweep points), each averaged "
    "over its finished seeds. Validation chooses, the test split is only reported; the "
    "trivial baseline that decides which learners qualify is scored on validation too. "
    "Op counts (hence energies) are measured on the test split: a cost, not a score.")
#: what the Pareto table and figure include
SWEEP_NOTE = (
    "Each family's size sweep: test mean vs energy per inference (typical joules, memory "
    "access included; the figure's bars span [min, max]), one line per rule, points "
    "labelled by size. Pareto front (lower energy, better test mean) over all of the "
    "family's points per profile; it describes the trade-off and chooses nothing.")
#: what the break-even table and figure include
BREAK_EVEN_NOTE = (
    "Activity a = synaptic events per synapse per input step (for a one-step task: spikes "
    "per synapse per inference). Break-even a*: the activity at which the learner's energy "
    "per inference equals that of a dense network of the same synapses under the same "
    "profile (one MAC and one weight read per synapse per input step; a chip without MACs "
    "runs it on its host, 45 nm fp32 CMOS). The spiking energy keeps the learner's "
    "measured activity-independent costs (neuron updates with their state memory, real-"
    "valued input and readout MACs) and scales its synaptic events with their weight "
    "reads and spikes. Included: arithmetic, memory access at the tier that holds the "
    "footprint (cmos45*), whole-core figures (Loihi), chip figures with static power "
    "(TrueNorth). Not included: static power elsewhere, control, off-chip I/O, the dense "
    "network's nonlinearities. Spiking wins where a < a*; a* <= 0: its fixed costs alone "
    "exceed the dense energy. Price ratio c_mac/c_ev: a* without the fixed costs. "
    f"Reference: {DAMPFHOFFER_CITATION}.")


def _mean_level(vals: list[dict[str, float]]) -> dict[str, float] | None:
    if not vals:
        return None
    return {lev: float(np.mean([v[lev] for v in vals])) for lev in LEVELS}


def break_even_points(rows: list[dict[str, Any]], task: str, profiles: list[str]
                      ) -> list[dict[str, Any]]:
    """Per spiking configuration of ``task`` (rows with synaptic events): the measured
    activity and, per profile, the break-even activity (each the mean over the finished
    seeds of :func:`comparisons.metrics.breakeven.break_even`), with the test mean."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        ops = r.get("ops") or {}
        if task_key(r) == task and r.get("status") == "ok" and isinstance(
                ops.get("synaptic_events"), int | float) and ops["synaptic_events"] > 0:
            groups[learner_key(r)].append(r)
    out = []
    for label, rs in sorted(groups.items()):
        metric = rs[0].get("metric")
        per: dict[str, dict[str, Any]] = {}
        acts, steps = [], []
        for p in profiles:
            res = [break_even(r.get("ops") or {}, r.get("hardware") or {}, p,
                              r.get("chosen_params") or {}, str(r["learner"])) for r in rs]
            priced = [b for b in res if b["why"] is None]
            if p == profiles[0] or not acts:
                acts = [b["activity"] for b in res if b["activity"] is not None]
                steps = [b["steps"] for b in res if b["steps"] is not None]
            if len(priced) < len(res):
                per[p] = {"why": next(b["why"] for b in res if b["why"] is not None)}
                continue
            per[p] = {"why": None, "dense_on": priced[0]["dense_on"],
                      **{k: _mean_level([b[k] for b in priced])
                         for k in ("break_even", "ratio", "e_meas", "e_dense")}}
        tests = [(r.get("metrics") or {}).get(metric) for r in rs]
        tests = [float(t) for t in tests if isinstance(t, int | float)]
        out.append({"config": label, "learner": str(rs[0]["learner"]), "n": len(rs),
                    "activity": float(np.mean(acts)) if acts else None,
                    "steps": float(np.mean(steps)) if steps else None,
                    "synapses": float(np.mean([(r.get("hardware") or {}).get("synapses")
                                               or 0 for r in rs])),
                    "test": float(np.mean(tests)) if tests else None,
                    "profiles": per})
    return out


def task_fair(rows: list[dict[str, Any]], task: str, profiles: list[str],
              match: float | dict[str, float] | None = None) -> dict[str, Any]:
    """Everything the fair-energy sections of one task need: ``levels`` (per matched level,
    its ``target`` and ``matched`` records: the declared level, else the weakest and the
    median qualifying learner's, one when they coincide; ``target``/``matched`` are the
    first), ``sweeps``, ``break_even``, ``points``.

    Parameters
    ----------
    match : float or dict, optional
        A declared target validation score (one for every task, or ``{task: score}``);
        default: the rule of :func:`comparisons.metrics.matched.match_target`.
    """
    points = config_points(rows, task, profiles)
    higher = points[0]["higher_is_better"] if points else True
    level = match.get(task) if isinstance(match, dict) else match
    if level is not None:
        level = check_float(f"match level of task {task!r}", level)
    tname, tval = trivial_value(rows, task, "val")
    tsplit = "val"
    if tval is None:   # rows written before validation baselines were stored
        tname, tval = trivial_value(rows, task, "test")
        tsplit = "test"
    rules = ("weakest",) if level is not None else TARGET_RULES
    failed = sorted({str(r["learner"]) for r in rows if task_key(r) == task
                     and r.get("status") == "failed"} - {p["learner"] for p in points})
    levels = []
    for rule in rules:
        target = match_target(points, higher, trivial=tval, match=level, rule=rule)
        if any(lv["target"]["value"] == target["value"] for lv in levels):
            continue   # the median learner is the weakest one: one table
        matched = matched_energy(points, target["value"], profiles, higher)
        matched += [{"learner": name, "kind": "", "reaches": False, "best_val": None,
                     "best_config": None, "per_profile": {p: None for p in profiles},
                     "unpriced": {}, "no_run": True} for name in failed]
        levels.append({"target": target, "matched": matched})
    return {"points": points, "higher_is_better": higher,
            "metric": points[0]["metric"] if points else "",
            "trivial": None if tname is None else {"name": tname, "value": tval,
                                                    "split": tsplit},
            "levels": levels, "target": levels[0]["target"],
            "matched": levels[0]["matched"],
            "sweeps": sweep_points(points),
            "break_even": break_even_points(rows, task, profiles)}


def matched_table(fair: dict[str, Any], profiles: list[str], level: int = 0
                  ) -> tuple[list[str], list[list[Any]]]:
    """One row per (learner, chosen configuration): the configuration's validation and
    test means and, per profile, its energy ``typical [min, max]`` J where it is the
    pick for that profile (``"other config"`` where another configuration is);
    ``does not reach`` rows for learners that never reach the target."""
    m = fair["metric"]
    head = ["learner", "configuration (chosen on validation)", f"val {m}", f"test {m}",
            *[f"{p} [J]" for p in profiles]]
    body: list[list[Any]] = []
    for rec in fair["levels"][level]["matched"]:
        if not rec["reaches"]:
            best = ("no finished run" if rec.get("no_run") else
                    "no validation value" if rec["best_val"] is None else
                    f"best val {fmt(rec['best_val'])} ({rec['best_config']})")
            body.append([rec["learner"], f"does not reach the target: {best}", "–", "–",
                         *["does not reach" for _ in profiles]])
            continue
        configs = list(dict.fromkeys(v["config"] for v in rec["per_profile"].values() if v))
        if not configs:
            body.append([rec["learner"], "reaches the target; priced on no profile", "–",
                         "–", *["n/a" for _ in profiles]])
        for cfg in configs:
            pick = next(v for v in rec["per_profile"].values() if v and v["config"] == cfg)
            cells = []
            for p in profiles:
                v = rec["per_profile"].get(p)
                why = rec["unpriced"].get(p, "not priced")
                cells.append(f"n/a ({why})" if v is None else fmt_range(v["energy"])
                             if v["config"] == cfg else "other config")
            body.append([rec["learner"], f"{cfg} (n={pick['n']})", pick["val"],
                         pick["test"], *cells])
    return head, body


def sweep_tables(fair: dict[str, Any], profiles: list[str]) -> list[dict[str, Any]]:
    """Per family with a size sweep: ``{"family", "head", "body"}``, one row per
    configuration (rule, size, parameters, test and validation means, typical energy per
    profile with ``*`` on the profile's Pareto front of the family)."""
    out = []
    m = fair["metric"]
    for fam, rules in fair["sweeps"].items():
        pts = [p for ps in rules.values() for p in ps]
        on_front: dict[str, set[int]] = {}
        for prof in profiles:
            xy = [((p["energy"].get(prof) or {}).get("typical", np.nan)
                   if p["energy"].get(prof) else np.nan,
                   np.nan if p["test"] is None else p["test"]) for p in pts]
            on_front[prof] = set(pareto_front(xy, fair["higher_is_better"]))
        head = ["rule", "size", "params", f"test {m}", f"val {m}",
                *[f"{p} [J]" for p in profiles]]
        body = []
        for i, p in enumerate(pts):
            body.append([p["rule"], size_text(p), p["params"], p["test"], p["val"],
                         *[(fmt((p["energy"].get(prof) or {}).get("typical"))
                            if p["energy"].get(prof) else "n/a")
                           + (" *" if i in on_front[prof] else "") for prof in profiles]])
        out.append({"family": fam, "head": head, "body": body})
    return out


def break_even_table(fair: dict[str, Any], profiles: list[str]
                     ) -> tuple[list[str], list[list[Any]], list[str]]:
    """One row per spiking configuration: synapses, input steps, measured activity, test
    mean and, per profile, ``a* typical [min, max] (ratio r)`` with whether the measured
    activity is below it (spiking cheaper) or above; unpriced cells cite a note."""
    head = ["configuration", "synapses", "input steps T", "measured activity a",
            f"test {fair['metric']}", *[f"a* {p}" for p in profiles]]
    body, notes = [], []
    for b in fair["break_even"]:
        cells = []
        for p in profiles:
            d = b["profiles"].get(p) or {"why": "not computed"}
            if d["why"] is not None:
                text = f"{p}: {d['why']}"
                if text not in notes:
                    notes.append(text)
                cells.append(f"n/a [{notes.index(text) + 1}]")
                continue
            be = d["break_even"]
            lo, hi = min(be.values()), max(be.values())
            rng = fmt(be["typical"]) if lo == hi else (
                f"{fmt(be['typical'])} [{fmt(lo)}, {fmt(hi)}]")
            verdict = ("" if b["activity"] is None else
                       " spiking cheaper" if b["activity"] < be["typical"] else
                       " dense cheaper")
            host = "" if d["dense_on"] == p else f"; dense on {d['dense_on']}"
            cells.append(f"{rng} (ratio {fmt(d['ratio']['typical'])}{host}){verdict}")
        body.append([b["config"], b["synapses"], b["steps"], b["activity"], b["test"],
                     *cells])
    lo, hi = DAMPFHOFFER_RANGE
    notes = [f"[{i + 1}] {n}" for i, n in enumerate(notes)]
    notes.append(f"For comparison, the published break-even range {lo}-{hi}: "
                 f"{DAMPFHOFFER_CITATION}.")
    return head, body, notes


def target_text(fair: dict[str, Any], level: int = 0) -> str:
    """A sentence naming the target and the rule that set it."""
    t = fair["levels"][level]["target"]
    better = "higher" if fair["higher_is_better"] else "lower"
    if t["value"] is None:
        return f"No matched level: {t['rule']}."
    text = (f"Target: validation {fair['metric']} {fmt(t['value'])} ({better} is better); "
            f"rule: {t['rule']}.")
    tr = fair.get("trivial")
    if tr and tr.get("split") == "test":
        text += (" (These rows predate validation baselines: the trivial baseline deciding "
                 "which learners qualify was scored on the test split.)")
    return text


__all__ = ["BREAK_EVEN_NOTE", "MATCHED_NOTE", "SWEEP_NOTE", "break_even_points",
           "break_even_table", "matched_table", "sweep_tables", "target_text", "task_fair"]
