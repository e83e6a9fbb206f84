"""Generated text of the report: the protocol box and a verdict per task.

A verdict says, from a task summary (:func:`comparisons.report.summary.task_summaries`):
which learner has the best mean test value and its interval; which learners are
statistically tied for best (paired tests over seeds, Holm-corrected); which failed to
train and which baseline they did not beat; what the tied-best learners cost (energy per
inference and per training sample under each profile that prices them, training memory);
and the caveats (skipped learners, crashed runs, learners still improving at the end of the
budget, untuned rows, what so few seeds allow a test to show).

Items are ``(kind, text)`` pairs of plain text (the renderers escape them); ``kind`` is one
of ``"best"``, ``"tied"``, ``"fail"``, ``"cost"``, ``"caveat"``.
"""

from __future__ import annotations

from typing import Any

from comparisons.report.markup import fmt, fmt_bytes, fmt_ci, fmt_range
from comparisons.report.summary import SELECTION_RULE

TEST_NAMES = {"ttest": "t-test", "wilcoxon": "Wilcoxon signed-rank test",
              "permutation": "sign-flip permutation test"}
#: tied-best learners whose cost a verdict spells out
MAX_COST = 4


def _names(xs: list[str]) -> str:
    return ", ".join(xs)


def _seeds(seeds: list[Any]) -> str:
    return ", ".join(map(str, seeds))


def _energy_phrase(s: dict[str, Any], key: str, why_key: str, what: str) -> str:
    vals = s.get(key) or {}
    if not vals:
        return f"per {what}: energy not recorded"
    priced = [f"{fmt_range(v)} J on {p}" for p, v in vals.items() if v is not None]
    unpriced = [p for p, v in vals.items() if v is None]
    text = f"per {what} {', '.join(priced) or 'no profile prices it'}"
    if unpriced:
        reasons = {(s.get(why_key) or {}).get(p) for p in unpriced}
        why = next(iter(reasons)) if len(reasons) == 1 else None
        text += (f" (not priced on {_names(unpriced)}: "
                 + (f"{why})" if why else "the energy tables say why)"))
    return text


def cost_sentence(name: str, s: dict[str, Any]) -> str:
    """What one learner costs: energy per inference and per training sample under each
    profile that prices it (and why the others do not), training memory, parameters."""
    parts = [_energy_phrase(s, "energy_j", "energy_unpriced", "inference"),
             _energy_phrase(s, "train_energy_j", "train_energy_unpriced", "training sample")]
    mem = s.get("train_memory_bytes")
    parts.append(f"training memory {fmt_bytes(mem)} per sample" if mem is not None
                 else "training memory not recorded")
    if s.get("params") is not None:
        parts.append(f"{fmt(s['params'])} parameters")
    return f"Cost of {name}: " + "; ".join(parts) + "."


def verdict(ts: dict[str, Any]) -> list[tuple[str, str]]:
    """The verdict items of one task summary (see the module docstring)."""
    m, higher = ts["metric"], ts["higher_is_better"]
    learners = ts["learners"]
    cmp = ts.get("comparison")
    done = {k: s for k, s in learners.items() if s["n"]}
    items: list[tuple[str, str]] = []
    if not done:
        items.append(("fail", f"No learner finished a run on {ts['task']}."))
    else:
        sign = 1.0 if higher else -1.0
        best = cmp["best"] if cmp else max(done, key=lambda k: (sign * done[k]["mean"], k))
        s = learners[best]
        conf = int(round(100 * ts.get("confidence", 0.95)))
        items.append(("best", f"Best mean test {m} ({'higher' if higher else 'lower'} is "
                              f"better): {best}, {fmt_ci(s)} ({conf}% bootstrap interval, "
                              f"{s['method']}) over {s['n']} seed(s)"
                              + (", but it failed to train." if s["failed_to_train"] else
                                 ".")))
        items += _tied_items(ts, cmp)
    failed = {k: s for k, s in learners.items() if s["failed_to_train"]}
    if done and all(s["failed_to_train"] for s in done.values()):
        tb = ts.get("trivial_best") or {}
        base = (f" ('{tb['name']}', {fmt(tb['value'])})" if tb.get("value") is not None
                else "")
        items.append(("fail", f"No learner beats the best trivial baseline{base} on this "
                              "task: the ranking compares learners that did not learn it."))
    if failed:
        items.append(("fail", "Failed to train: " + "; ".join(
            f"{k}: {s['failed_to_train_why']}" for k, s in failed.items()) + "."))
    if done:
        tied = cmp["tied_for_best"] if cmp else [best]
        for k in tied[:MAX_COST]:
            items.append(("cost", cost_sentence(k, learners[k])))
        if len(tied) > MAX_COST:
            items.append(("cost", f"Costs of the other {len(tied) - MAX_COST} tied learners: "
                                  "see the energy and cost tables."))
    items += caveats(ts)
    return items


def _tied_items(ts: dict[str, Any], cmp: dict[str, Any] | None) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    if cmp is None or len(cmp["learners"]) < 2:
        only = f" (only {cmp['best']} has >= 2 finished seeds)" if cmp else ""
        items.append(("tied", f"No paired test: fewer than two learners with >= 2 finished "
                              f"seeds in common{only}."))
    else:
        how = (f"{TEST_NAMES.get(cmp['test'], cmp['test'])} paired by seed over the "
               f"{cmp['n']} seeds every compared learner finished ({_seeds(cmp['seeds'])}), "
               f"Holm-corrected over {len(cmp['comparisons'])} comparison(s), "
               f"alpha = {cmp['alpha']:g}")
        ps = {c["learner"]: c["pvalue_holm"] for c in cmp["comparisons"]}
        tied = cmp["tied_for_best"]
        mark = {k: k + (" (failed to train)" if ts["learners"][k]["failed_to_train"] else "")
                for k in cmp["learners"]}
        if len(tied) == 1:
            items.append(("tied", f"{mark[tied[0]]} is best alone: every other learner is "
                                  f"significantly worse ({how})."))
        else:
            items.append(("tied", f"Statistically tied for best: "
                                  f"{_names([mark[k] for k in tied])} ({how}; "
                                  "Holm p against the best: " + ", ".join(
                                      f"{k} {fmt(ps[k], 3)}" for k in tied[1:]) + ")."))
        worse = [c for c in cmp["comparisons"] if c["significant"]]
        if worse and len(tied) > 1:
            items.append(("tied", f"Significantly worse than {cmp['best']}: " + ", ".join(
                f"{c['learner']} (Holm p {fmt(c['pvalue_holm'], 3)})" for c in worse) + "."))
    if ts.get("not_compared"):
        items.append(("caveat", "Left out of the paired test: " + "; ".join(
            f"{k}: {why}" for k, why in ts["not_compared"].items()) + "."))
    return items


def caveats(ts: dict[str, Any]) -> list[tuple[str, str]]:
    """Skipped learners and why, crashed runs, learners still improving at the end of the
    budget, studies still improving in their last trials, untuned rows, and the smallest
    p-value the number of seeds allows."""
    learners = ts["learners"]
    items: list[tuple[str, str]] = []
    if ts.get("skipped"):
        items.append(("caveat", "Skipped: " + "; ".join(
            f"{k} ({why})" for k, why in ts["skipped"].items()) + "."))
    if ts.get("crashed"):
        items.append(("caveat", "Crashed runs: " + ", ".join(
            f"{k} ({n} of {learners[k]['n_runs']} seeds)" for k, n in ts["crashed"].items())
            + "; their tracebacks are under Failed runs."))
    up = {k: s["flags"].get("still_improving_at_budget", 0) for k, s in learners.items()}
    up = {k: n for k, n in up.items() if n}
    if up:
        items.append(("caveat", "Still improving at the end of the training budget: "
                      + ", ".join(f"{k} ({n} of {learners[k]['n']} seeds)"
                                  for k, n in up.items())
                      + "; more passes may change the ranking."))
    near = {k: s for k, s in learners.items() if s.get("near_trivial")}
    if near:
        items.append(("caveat", "Not distinguishable from the best trivial baseline (the "
                                "mean beats it, but the 95% interval contains its value): "
                      + "; ".join(f"{k} {fmt_ci(s)} vs '{s['trivial_best'][0]}' "
                                  f"{fmt(s['trivial_best'][1])}" for k, s in near.items())
                      + "."))
    late = [k for k, s in learners.items() if s.get("tuning_still_improving")]
    if late:
        items.append(("caveat", "Tuning still improving (the best settings were found in "
                                f"the last third of the trials): {_names(late)}; more "
                                "trials may change the ranking."))
    if ts.get("untuned"):
        items.append(("caveat", f"Untuned (no tuning budget; defaults or the user's "
                                f"settings): {_names(ts['untuned'])}."))
    cmp = ts.get("comparison")
    n = cmp["n"] if cmp else max((s["n"] for s in learners.values()), default=0)
    if n >= 2:
        floor = 2 / 2 ** n
        text = (f"With {n} seeds an exact nonparametric paired test (Wilcoxon signed-rank, "
                f"sign-flip) cannot give p below 2/2^{n} = {floor:.3g}")
        m_cmp = len(cmp["comparisons"]) if cmp else 0
        if m_cmp > 1:
            text += f" ({m_cmp} x that after Holm over {m_cmp} comparisons)"
        if cmp and cmp["test"] == "ttest":
            text += "; the t-test used here has no such floor but assumes roughly normal " \
                    "differences between seeds"
        elif cmp and floor * max(m_cmp, 1) > cmp["alpha"]:
            text += f", so no difference can be significant at alpha = {cmp['alpha']:g} here"
        if n < 10:
            text += ("; bootstrap intervals from so few seeds are too narrow (in a "
                     "simulation, nominal 95% BCa intervals covered the true mean about 85% "
                     "of the time with 5 seeds, 91% with 10)")
        items.append(("caveat", text + "."))
    return items


def _startup(b: dict[str, Any]) -> Any:
    """Random startup trials of a budget (``Budget.n_startup``: ``max(2, trials // 3)``)."""
    if b.get("startup_trials") is not None:
        return b["startup_trials"]
    trials = b.get("trials")
    return max(2, trials // 3) if isinstance(trials, int) else "default"


def protocol_items(rows: list[dict[str, Any]], summaries: dict[str, dict[str, Any]]
                   ) -> list[tuple[str, str]]:
    """The protocol box: budget, tuning, seeds, selection rule, statistics, flags."""
    budgets: list[dict[str, Any]] = []
    tuning: dict[str, Any] = {}
    for r in rows:
        if r.get("budget") is not None and r["budget"] not in budgets:
            budgets.append(r["budget"])
        if r.get("tuning") and not tuning:
            tuning = r["tuning"]
    out: list[tuple[str, str]] = []
    for b in budgets:
        seed = b.get("tune_seed")
        seed = tuning.get("tune_seed") if seed is None else seed
        patience = b.get("patience")
        out.append(("tuning budget (every learner alike)",
                    f"{b.get('trials')} trials x {b.get('passes')} passes over the training "
                    f"split, early stopping patience "
                    f"{'none' if patience is None else patience}, tuning seed "
                    f"{'the first seed' if seed is None else seed}, "
                    f"{_startup(b)} random startup trials, "
                    f"{'median pruning' if b.get('prune') else 'no pruning'}"))
    untuned = sorted({f"{k} on {t}" for t, ts in summaries.items() for k in ts["untuned"]})
    if not budgets:
        out.append(("tuning budget", "none: these rows are untuned (each learner ran with "
                                     "its defaults or the user's settings)"))
    elif untuned:
        out.append(("untuned rows", ", ".join(untuned)))
    if tuning:
        out.append(("tuning", f"Optuna: {tuning.get('sampler', '?')}; pruner "
                              f"{tuning.get('pruner', '?')}; selection: "
                              f"{tuning.get('selection', '?')}"))
    seeds = sorted({r.get("seed") for r in rows if r.get("status") == "ok"}, key=str)
    out.append(("seeds", f"{_seeds(seeds)} ({len(seeds)}); a seed resamples the data "
                         "splits and the initialisation"))
    out.append(("selection rule", SELECTION_RULE))
    any_ts = next(iter(summaries.values()), None)
    if any_ts is not None:
        conf = int(round(100 * any_ts.get("confidence", 0.95)))
        out.append(("statistics",
                    f"{conf}% bootstrap intervals of the mean over seeds (BCa, 9999 "
                    f"resamples); {TEST_NAMES.get(any_ts['test'], any_ts['test'])} paired "
                    f"by seed between the best learner and each of the others, "
                    f"Holm-corrected, alpha = {any_ts['alpha']:g}"))
    out.append(("failed to train", "a learner whose mean test value does not beat its "
                                   "task's best trivial baseline, or with a seed that did "
                                   "not; marked in the tables and the verdicts"))
    return out
