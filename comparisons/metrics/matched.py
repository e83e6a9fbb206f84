"""Energy where it is fair to compare: energy per inference at a matched score, and the
accuracy-vs-energy points of each family's size sweep.

A *configuration* is one variant of a learner as the run has it (a ``learner_grid`` point,
e.g. ``rnn:bptt[hidden_size=32]``; a learner without a grid has one), averaged over its
finished seeds: validation mean, test mean, energy per inference per profile (the mean
``{"min", "typical", "max"}`` over the seeds, memory access included).

**Matched score** (:func:`match_target`, :func:`matched_energy`).

The target is a validation score. Unless a level is declared (``match``), it is the best
validation mean reached by the *weakest qualifying learner*: for every learner, its best
configuration's validation mean; a learner qualifies when that value beats the task's best
trivial baseline (the rows' ``trivial_best``); the target is the worst of the qualifying
learners' best values, so every qualifying learner reaches it with at least one
configuration and the level is one that a weak but working learner attains. Because a
learner that barely beats the baseline makes that level easy, the report adds a second,
harder level: the median qualifying learner's best value (at least half reach it). Then, per
profile, each learner is reported at its lowest-energy configuration (typical joules)
among those whose *validation* mean reaches the target, with that configuration's *test*
mean; a learner with no such configuration is listed as not reaching the target, with its
best validation mean. Test scores never choose anything: neither the target, nor the
configuration. The trivial baseline that decides which learners qualify is scored on the
validation split too (the rows' ``val_trivial_best``; rows written before it existed fall back
to the test split's ``trivial_best``, and the report says so). Op counts per inference, hence
energies, are measured on the test split (a cost, not a score).

**Size sweeps** (:func:`sweep_points`).

Per family (a rule-swap family ``family:rule``; a plain learner is its own family), the
configurations of each rule ordered by size (the settings of :data:`SIZE_SETTINGS`) with
their test mean and energies. The Pareto front of all the family's points per profile
(:func:`comparisons.report.summary.pareto_front`: lower energy, better test mean) is a
description of the trade-off, not a choice, so it is drawn on test means.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from comparisons.metrics.energy import as_range, mean_range
from comparisons.validation import check_choice, check_float

#: learner settings that set a network's size: their grid points form a size sweep
SIZE_SETTINGS = ("n_rec", "hidden_size", "n_neurons", "n_exc", "n_hidden", "reservoir_size")


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _mean(vals: list[Any]) -> float | None:
    xs = [x for x in map(_num, vals) if x is not None]
    return sum(xs) / len(xs) if xs else None


def _task_key(row: dict[str, Any]) -> str:
    return str(row.get("task_label") or row["task"])


def _label(row: dict[str, Any]) -> str:
    return str(row.get("learner_label") or row["learner"])


def family_rule(learner: str) -> tuple[str, str]:
    """``("rnn", "bptt")`` for ``rnn:bptt``; a plain learner is its own family and rule."""
    fam, sep, rule = learner.partition(":")
    return (fam, rule) if sep else (learner, learner)


def size_of(variant: dict[str, Any]) -> dict[str, Any]:
    """The size settings of a variant (``{"hidden_size": 32}``; ``{}`` without any)."""
    return {k: variant[k] for k in SIZE_SETTINGS if k in (variant or {})}


def _better(a: float, b: float, higher: bool) -> bool:
    return a > b if higher else a < b


def _reaches(v: float, target: float, higher: bool) -> bool:
    return v >= target if higher else v <= target


def config_points(rows: list[dict[str, Any]], task: str, profiles: list[str]
                  ) -> list[dict[str, Any]]:
    """One record per configuration of ``task`` (a task label) with finished seeds.

    Returns
    -------
    list of dict
        ``learner`` (registered name), ``config`` (variant label), ``variant``, ``size``,
        ``family``, ``rule``, ``kind`` (the row's family: backprop, spiking, ...), ``n``
        (finished seeds), ``val`` and ``test`` (means of the headline metric over them;
        ``None`` without values), ``params``, ``energy`` ``{profile: range or None}``
        (mean over the seeds, memory included; ``None`` when any seed is unpriced),
        ``recorded`` (the profiles every seed's row records) and ``metric``/
        ``higher_is_better``.
    """
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if _task_key(r) == task and r.get("status") == "ok":
            groups[_label(r)].append(r)
    out = []
    for label, rs in sorted(groups.items()):
        first = rs[0]
        metric = str(first.get("metric") or "")
        fam, rule = family_rule(str(first["learner"]))
        variant = dict(first.get("learner_variant") or {})
        out.append({
            "learner": str(first["learner"]), "config": label, "variant": variant,
            "size": size_of(variant), "family": fam, "rule": rule,
            "kind": first.get("family", ""), "n": len(rs),
            "val": _mean([(r.get("val_metrics") or {}).get(metric) for r in rs]),
            "test": _mean([(r.get("metrics") or {}).get(metric) for r in rs]),
            "params": _mean([r.get("params") for r in rs]),
            "energy": {p: mean_range([(r.get("energy_j") or {}).get(p) for r in rs])
                       for p in profiles},
            # profiles every seed's row records (older rows lack newer profiles)
            "recorded": [p for p in profiles if all(p in (r.get("energy_j") or {})
                                                    for r in rs)],
            "metric": metric, "higher_is_better": bool(first.get("higher_is_better", True)),
        })
    return out


def trivial_value(rows: list[dict[str, Any]], task: str, split: str = "val"
                  ) -> tuple[str | None, float | None]:
    """The best trivial baseline of ``task`` (name, mean over the seeds) on ``split``: the
    rows' ``val_trivial_best`` for ``"val"`` (older rows without it: None, None), their
    ``trivial_best`` (older rows: ``chance``) for ``"test"``."""
    names, vals = [], []
    seen = set()
    for r in rows:
        if _task_key(r) != task or r.get("status") != "ok" or r.get("seed") in seen:
            continue
        if split == "val":
            tb = r.get("val_trivial_best")
            if tb and len(tb) == 2 and _num(tb[1]) is not None:
                seen.add(r.get("seed"))
                names.append(str(tb[0]))
                vals.append(float(tb[1]))
            continue
        tb = r.get("trivial_best")
        metric = r.get("metric")
        if tb and len(tb) == 2 and _num(tb[1]) is not None:
            seen.add(r.get("seed"))
            names.append(str(tb[0]))
            vals.append(float(tb[1]))
        elif _num((r.get("chance") or {}).get(metric)) is not None:
            seen.add(r.get("seed"))
            names.append("chance")
            vals.append(float(r["chance"][metric]))
    if not vals:
        return None, None
    return max(set(names), key=lambda n: (names.count(n), n)), sum(vals) / len(vals)


#: the rules that set a task's matched level from the learners' validation scores
TARGET_RULES = ("weakest", "median")


def match_target(points: list[dict[str, Any]], higher_is_better: bool = True,
                 trivial: float | None = None, match: float | None = None,
                 rule: str = "weakest") -> dict[str, Any]:
    """The matched validation score of a task (see the module docstring).

    Parameters
    ----------
    points : list of dict
        :func:`config_points` of the task.
    higher_is_better : bool
    trivial : float, optional
        The best trivial baseline's value; without it every learner with a validation
        value qualifies.
    match : float, optional
        A declared level; overrides the rule.
    rule : {"weakest", "median"}
        Which qualifying learner's best validation score is the level: the weakest one's
        (every qualifying learner reaches it), or the median one's (of the best scores
        ordered from worst to best, the one at position ``n // 2``: at least half of the
        qualifying learners reach it, a harder level when a weak learner barely beats the
        baseline).

    Returns
    -------
    dict
        ``value`` (``None``: no learner qualifies), ``rule`` (a sentence), ``set_by`` (the
        learner whose best value it is, or ``None``), ``qualifying`` (learner names).
    """
    rule = check_choice("matched-score rule", rule, TARGET_RULES)
    if match is not None:
        value = check_float("match", match)
        return {"value": value, "set_by": None, "qualifying": [], "kind": "declared",
                "rule": f"declared level: validation score {value:.4g}"}
    best: dict[str, float] = {}
    for p in points:
        v = p["val"]
        if v is not None and (p["learner"] not in best
                              or _better(v, best[p["learner"]], higher_is_better)):
            best[p["learner"]] = v
    qual = {k: v for k, v in best.items()
            if trivial is None or _better(v, trivial, higher_is_better)}
    if not best:
        return {"value": None, "set_by": None, "qualifying": [], "kind": rule,
                "rule": "the rows carry no validation scores (older results)"}
    if not qual:
        return {"value": None, "set_by": None, "qualifying": [], "kind": rule,
                "rule": "no learner's best validation score beats the trivial baseline"
                        + ("" if trivial is None else f" ({trivial:.4g})")}
    sign = 1.0 if higher_is_better else -1.0
    order = sorted(qual, key=lambda k: (sign * qual[k], k))   # worst first
    set_by = order[0] if rule == "weakest" else order[len(order) // 2]
    which = ("the weakest learner" if rule == "weakest" else
             f"the median learner (at least {len(order) - len(order) // 2} of "
             f"{len(order)} reach it)")
    return {"value": qual[set_by], "set_by": set_by, "qualifying": order, "kind": rule,
            "rule": (f"the best validation score of {which} of those that beat the "
                     "trivial baseline" + ("" if trivial is None else f" ({trivial:.4g})")
                     + f": {set_by}, {qual[set_by]:.4g}")}


def matched_energy(points: list[dict[str, Any]], target: float | None, profiles: list[str],
                   higher_is_better: bool = True) -> list[dict[str, Any]]:
    """Per learner, per profile: its lowest-energy configuration whose validation mean
    reaches ``target``.

    Returns
    -------
    list of dict
        One per learner (by name): ``learner``, ``reaches`` (bool), ``best_val`` and
        ``best_config`` (its best validation mean and where), ``per_profile``:
        ``{profile: {"config", "energy" (range), "val", "test", "n"} or None}`` (``None``:
        reaches the target, but no reaching configuration is priced on that profile) and
        ``unpriced`` ``{profile: why}`` for those: ``"not recorded"`` (the rows predate the
        profile) or ``"cannot be priced"`` (e.g. dense MACs on a neuromorphic chip).
        Learners that never reach it have ``reaches=False`` and no picks. Sorted: learners
        that reach first, by the typical energy of their first priced profile.
    """
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in points:
        by[p["learner"]].append(p)
    out = []
    for learner, pts in sorted(by.items()):
        with_val = [p for p in pts if p["val"] is not None]
        sign = -1.0 if higher_is_better else 1.0
        best = min(with_val, key=lambda p: (sign * p["val"], p["config"])) if with_val \
            else None
        ok = [p for p in with_val if target is not None
              and _reaches(p["val"], target, higher_is_better)]
        rec: dict[str, Any] = {
            "learner": learner, "kind": pts[0]["kind"], "reaches": bool(ok),
            "best_val": None if best is None else best["val"],
            "best_config": None if best is None else best["config"], "per_profile": {},
            "unpriced": {}}
        for prof in profiles:
            priced = [p for p in ok if as_range(p["energy"].get(prof)) is not None]
            if not priced:
                rec["per_profile"][prof] = None
                if ok:
                    rec["unpriced"][prof] = ("cannot be priced" if any(
                        prof in p.get("recorded", profiles) for p in ok) else
                        "not recorded")
                continue
            c = min(priced, key=lambda p: (p["energy"][prof]["typical"], sign * p["val"],
                                           p["config"]))
            rec["per_profile"][prof] = {"config": c["config"], "energy": c["energy"][prof],
                                        "val": c["val"], "test": c["test"], "n": c["n"]}
        out.append(rec)

    def order(rec: dict[str, Any]) -> tuple[Any, ...]:
        es = [v["energy"]["typical"] for v in rec["per_profile"].values() if v]
        return (not rec["reaches"], not es, es[0] if es else 0.0, rec["learner"])
    return sorted(out, key=order)


def sweep_points(points: list[dict[str, Any]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """``{family: {rule: [configurations by size]}}`` for the families in which some rule
    was run at two or more sizes (a size sweep); a learner without a sweep is left out."""
    fams: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for p in points:
        fams[p["family"]][p["rule"]].append(p)
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for fam, rules in sorted(fams.items()):
        swept = any(len({repr(sorted(p["size"].items())) for p in ps if p["size"]}) >= 2
                    for ps in rules.values())
        if not swept:
            continue
        out[fam] = {rule: sorted(ps, key=lambda p: (p["params"] or 0.0,
                                                    sorted(p["size"].items()), p["config"]))
                    for rule, ps in sorted(rules.items())}
    return out


def size_text(p: dict[str, Any]) -> str:
    """``hidden_size=32`` (the size settings of a configuration; its label without any)."""
    return ", ".join(f"{k}={v}" for k, v in p["size"].items()) or p["config"]


__all__ = ["SIZE_SETTINGS", "TARGET_RULES", "config_points", "family_rule", "match_target",
           "matched_energy", "size_of", "size_text", "sweep_points", "trivial_value"]
