"""Aggregate result rows over seeds: mean and spread per (task, learner) variant."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from comparisons.metrics.energy import as_range, energy_breakdown, get_profile, mean_range
from comparisons.protocol import tuning_improved_late


def task_key(row: dict[str, Any]) -> str:
    """The task a row belongs to in the report (its grid variant label, else its name)."""
    return str(row.get("task_label") or row["task"])


def learner_key(row: dict[str, Any]) -> str:
    """The learner variant label (``lstm[hidden_size=8]``), else its name."""
    return str(row.get("learner_label") or row["learner"])


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per (task, learner) variant: headline metric mean, std (ddof=1), min, max
    and n over the finished seeds, chance, mean energy per profile (with and without memory;
    ``{"min", "typical", "max"}`` joules, the mean of the priced seeds level by level),
    mean ops, params, memory, times, and status counts."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(task_key(r), learner_key(r))].append(r)
    out = []
    for (task, learner), rs in sorted(groups.items()):
        ok = [r for r in rs if r.get("status") == "ok"]
        metric = rs[0].get("metric", "")
        vals = np.array([(r.get("metrics") or {}).get(metric, np.nan) for r in ok],
                        dtype=float)
        vals = vals[np.isfinite(vals)]
        chance = [(r.get("chance") or {}).get(metric) for r in ok]
        chance = [c for c in chance if c is not None]
        rec: dict[str, Any] = {
            "task": task, "learner": learner, "task_name": rs[0]["task"],
            "learner_name": rs[0]["learner"], "family": rs[0].get("family", ""),
            "metric": metric, "higher_is_better": rs[0].get("higher_is_better", True),
            "n_ok": len(ok), "n_failed": sum(r.get("status") == "failed" for r in rs),
            "n_skipped": sum(r.get("status") == "skipped" for r in rs),
            "mean": float(np.mean(vals)) if len(vals) else float("nan"),
            "std": float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0,
            "min": float(np.min(vals)) if len(vals) else float("nan"),
            "max": float(np.max(vals)) if len(vals) else float("nan"),
            "chance": float(np.mean(chance)) if chance else float("nan"),
            "scorecard": rs[0].get("scorecard", {}),
            # per component (None: a row stored before components were graded)
            "scorecard_components": rs[0].get("scorecard_components"),
            "variant": dict(rs[0].get("learner_variant") or {}),
            "readout": next((r.get("readout") for r in ok if r.get("readout")), ""),
            "skip_reason": next((r.get("error") for r in rs if r.get("status") == "skipped"),
                                None),
        }
        others: dict[str, list[float]] = defaultdict(list)
        for r in ok:
            for k, v in (r.get("metrics") or {}).items():
                if k != metric and isinstance(v, int | float) and np.isfinite(v):
                    others[k].append(float(v))
        rec["other_metrics"] = {
            k: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0)
            for k, v in sorted(others.items())}
        for key in ("energy_j", "energy_compute_j"):
            ranges: dict[str, list[dict[str, float]]] = defaultdict(list)
            for r in ok:
                for k, v in (r.get(key) or {}).items():
                    rng = as_range(v)
                    if rng is not None:
                        ranges[k].append(rng)
            rec[key] = {k: mean_range(v) for k, v in ranges.items()}
        for key in ("ops", "hardware"):
            acc: dict[str, list[float]] = defaultdict(list)
            for r in ok:
                for k, v in (r.get(key) or {}).items():
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        acc[k].append(float(v))
            rec[key] = {k: float(np.mean(v)) for k, v in acc.items()}
        for key in ("params", "train_memory_bytes", "fit_s", "wall_s"):
            v = [r.get(key) for r in ok if r.get(key) is not None]
            rec[key] = float(np.mean(v)) if v else None
        out.append(rec)
    return out


def breakdown(summary: list[dict[str, Any]], profiles: list[str], memory: bool = True
              ) -> list[dict[str, Any]]:
    """Energy per op kind (typical J per inference) for every summary record and profile,
    from the mean op counts and footprint: ``{"task", "learner", "profile", "parts": {op: J}
    or None}``."""
    profs = {p: get_profile(p) for p in profiles}
    out = []
    for s in summary:
        if s["n_ok"] == 0:
            continue
        for p, prof in profs.items():
            out.append({"task": s["task"], "learner": s["learner"], "profile": p,
                        "parts": energy_breakdown(s["ops"], prof, memory=memory,
                                                  footprint_bytes=(s.get("hardware") or {})
                                                  .get("footprint_bytes"))})
    return out


def pareto_front(points: list[tuple[float, float]], higher_is_better: bool = True
                 ) -> list[int]:
    """Indices of the non-dominated points (lower energy, better metric), by energy.

    A point is dominated when another one uses no more energy and scores at least as well,
    and is strictly better in one of the two.
    """
    sign = 1.0 if higher_is_better else -1.0
    idx = [i for i, (e, m) in enumerate(points) if np.isfinite(e) and np.isfinite(m)]
    front = []
    for i in idx:
        e, m = points[i]
        dominated = any(
            points[j][0] <= e and sign * points[j][1] >= sign * m
            and (points[j][0] < e or sign * points[j][1] > sign * m) for j in idx if j != i)
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: points[i][0])


# ----------------------------------------------------------------------- task summaries
#: flags a row may carry (comparisons.protocol)
FLAGS = ("failed_to_train", "still_improving_at_budget")
#: the selection rule every protocol row follows
SELECTION_RULE = ("settings and early stopping on the validation split only; the test split "
                  "scored once per seed with the chosen settings")


def _num(v: Any) -> float | None:
    """``v`` as a finite float, else ``None``."""
    if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer):
        return None
    v = float(v)
    return v if np.isfinite(v) else None


def _mean(values: list[Any]) -> float | None:
    vals = [x for x in map(_num, values) if x is not None]
    return float(np.mean(vals)) if vals else None


def _beats(a: float, b: float, higher: bool) -> bool:
    return a > b if higher else a < b


def _task_class(name: str) -> Any:
    """The registered task class (for literature and baseline descriptions), or ``None``."""
    from comparisons.tasks import TASKS

    return TASKS.get(name)


_DEFAULTS: dict[str, dict[str, Any]] = {}


def learner_defaults(name: str) -> dict[str, Any]:
    """The learner's constructor defaults (``{}`` for a name the registry does not know)."""
    if name not in _DEFAULTS:
        try:
            from comparisons.learners import get_learner_class

            _DEFAULTS[name] = dict(get_learner_class(name).defaults())
        except Exception:  # noqa: BLE001 - unknown or unimportable learner: no defaults
            _DEFAULTS[name] = {}
    return _DEFAULTS[name]


def chosen_settings(row: dict[str, Any]) -> dict[str, Any]:
    """The settings a row ran with, those that differ from the defaults first.

    The tuning record's ``chosen`` merged over ``learner_config`` (the user's and the tuned
    settings), completed by ``chosen_params`` (every setting used, defaults included).

    Returns
    -------
    dict
        ``{"params": {name: value} (changed first: tuned, then the others; then defaults),
        "changed": [names that differ from the learner's defaults: tuned, then the others,
        each alphabetical], "tuned": [names the study chose]}``.
    """
    tuning = row.get("tuning") or {}
    tuned = dict(tuning.get("chosen") or {})
    cfg = {**(row.get("learner_config") or {}), **tuned}
    merged = {**(row.get("chosen_params") or {}), **cfg}
    defaults = dict(learner_defaults(str(row.get("learner"))))
    for t in tuning.get("trials") or []:  # the defaults trial names the searched defaults
        if t.get("defaults"):
            defaults = {**(t.get("params") or {}), **defaults}
    if defaults:
        changed = [k for k in merged if (k in defaults and defaults[k] != merged[k])
                   or (k not in defaults and k in cfg)]
    else:
        changed = list(cfg)
    changed = (sorted(k for k in changed if k in tuned)
               + sorted(k for k in changed if k not in tuned))
    order = changed + sorted(k for k in merged if k not in changed)
    return {"params": {k: merged[k] for k in order}, "changed": changed,
            "tuned": sorted(tuned)}


def _metric_names(rows: list[dict[str, Any]], metric: str) -> list[str]:
    """Every metric of ``Task.score`` in the rows, the headline first."""
    names = [metric] if metric else []
    for r in rows:
        for key in ("metrics", "val_metrics", "train_metrics"):
            for k, v in (r.get(key) or {}).items():
                if k not in names and _num(v) is not None:
                    names.append(k)
    return names


def _energy_means(ok: list[dict[str, Any]], key: str, ops_key: str, profiles: list[str]
                  ) -> tuple[dict[str, dict[str, float] | None], dict[str, str]]:
    """Mean ``{"min", "typical", "max"}`` joules per profile over the seeds (a float of an
    older row counts as min = typical = max), and for unpriced profiles the reason."""
    from comparisons.metrics.energy import energy_unpriced_reason

    means: dict[str, dict[str, float] | None] = {}
    why: dict[str, str] = {}
    for p in profiles:
        if not ok:
            means[p], why[p] = None, "no finished run"
            continue
        vals = [(r.get(key) or {}).get(p) for r in ok]
        means[p] = mean_range(vals)
        if means[p] is not None:
            continue
        bad = next((r for r, v in zip(ok, vals, strict=True) if as_range(v) is None), None)
        ops = (bad or {}).get(ops_key) if bad is not None else None
        if bad is not None and key not in bad:
            why[p] = "not measured by the run that wrote this row (older results)"
        else:
            foot = ((bad or {}).get("hardware") or {}).get("footprint_bytes")
            if ops_key == "train_ops" and foot is not None:
                foot += (bad or {}).get("train_memory_bytes") or 0
            why[p] = energy_unpriced_reason(ops, p, footprint_bytes=foot) or (
                "not recorded in the row (the profile was added after the run; it prices "
                "these op counts: re-run or re-price the row)")
    return means, why


def _trivial(ok: list[dict[str, Any]], metric: str) -> tuple[str | None, float | None]:
    """Name (most frequent) and mean value over ``ok``'s seeds of the best trivial baseline
    (the rows' ``trivial_best``; older rows: chance)."""
    names, vals = [], []
    for r in ok:
        tb = r.get("trivial_best")
        if tb and len(tb) == 2 and _num(tb[1]) is not None:
            names.append(str(tb[0]))
            vals.append(float(tb[1]))
        elif _num((r.get("chance") or {}).get(metric)) is not None:
            names.append("chance")
            vals.append(float(r["chance"][metric]))
    if not vals:
        return None, None
    return max(set(names), key=lambda n: (names.count(n), n)), float(np.mean(vals))


def _learner_summary(rs: list[dict[str, Any]], metric: str, higher: bool,
                     names: list[str], profiles: list[str], confidence: float
                     ) -> dict[str, Any]:
    from comparisons.stats import mean_ci

    ok = [r for r in rs if r.get("status") == "ok"]
    by_seed: dict[Any, dict[str, Any]] = {}
    for r in ok:
        by_seed.setdefault(r.get("seed"), r)
    ok = list(by_seed.values())
    values = {s: _num((r.get("metrics") or {}).get(metric)) for s, r in by_seed.items()}
    finite = {s: v for s, v in values.items() if v is not None}
    try:
        ci = mean_ci(list(finite.values()), confidence=confidence)
    except ValueError as exc:  # a report never fails on an interval: say why it is missing
        vals = list(finite.values())
        ci = {"mean": float(np.mean(vals)), "low": float("nan"), "high": float("nan"),
              "n": len(vals), "std": float(np.std(vals, ddof=1)) if len(vals) > 1 else
              float("nan"), "method": f"none ({exc})"}
    split_means = {m: {split: _mean([(r.get(key) or {}).get(m) for r in ok])
                       for split, key in (("test", "metrics"), ("val", "val_metrics"),
                                          ("train", "train_metrics"))} for m in names}
    flags = {f: sum(f in (r.get("flags") or []) for r in ok) for f in FLAGS}
    flags["failed_to_train"] += sum(v is None and "failed_to_train" not in (
        by_seed[s].get("flags") or []) for s, v in values.items())
    tname, tval = _trivial(ok, metric)
    why = []
    if ci["n"] and tval is not None and not _beats(ci["mean"], tval, higher):
        why.append(f"its mean test {metric} ({ci['mean']:.4g}) does not beat the best "
                   f"trivial baseline '{tname}' ({tval:.4g})")
    if flags["failed_to_train"]:
        why.append(f"{flags['failed_to_train']} of {len(ok)} seeds failed to train (test "
                   "score not better than the trivial baseline, or not a number)")
    # beats the baseline on the mean, but its interval still contains the baseline's value
    near_trivial = bool(ci["n"] and tval is not None and not why and np.isfinite(ci["low"])
                        and np.isfinite(ci["high"]) and ci["low"] <= tval <= ci["high"])
    first = ok[0] if ok else rs[0]
    settings = chosen_settings(first)
    tuning = first.get("tuning") or None
    e_inf, e_inf_why = _energy_means(ok, "energy_j", "ops", profiles)
    e_cmp, e_cmp_why = _energy_means(ok, "energy_compute_j", "ops", profiles)
    e_tr, e_tr_why = _energy_means(ok, "train_energy_j", "train_ops", profiles)
    return {
        "learner_name": first.get("learner"), "family": first.get("family", ""),
        "n": ci["n"], "n_runs": len(rs), "n_failed": sum(r.get("status") == "failed"
                                                        for r in rs),
        "n_skipped": sum(r.get("status") == "skipped" for r in rs),
        "seeds": sorted(finite, key=str), "values": [finite[s] for s in sorted(finite,
                                                                                 key=str)],
        "mean": ci["mean"], "low": ci["low"], "high": ci["high"], "std": ci["std"],
        "method": ci["method"], "confidence": confidence,
        "val_mean": split_means.get(metric, {}).get("val"),
        "train_mean": split_means.get(metric, {}).get("train"),
        "other_metrics": {m: split_means[m] for m in names if m != metric},
        "flags": flags, "n_failed_to_train": flags["failed_to_train"],
        "failed_to_train": bool(why), "failed_to_train_why": "; ".join(why) or None,
        "trivial_best": [tname, tval] if tname is not None else None,
        "near_trivial": near_trivial,
        "tuned": first.get("budget") is not None, "budget": first.get("budget"),
        "tuning_still_improving": bool(tuning) and tuning_improved_late(
            tuning.get("best_so_far") or []),
        "tuning": None if not tuning else {k: tuning.get(k) for k in (
            "study", "n_trials", "n_complete", "n_pruned", "n_failed", "best_value",
            "best_trial", "tune_seed", "sampler", "pruner", "selection")},
        "chosen_params": settings["params"], "changed_params": settings["changed"],
        "tuned_params": settings["tuned"],
        "energy_j": e_inf, "energy_compute_j": e_cmp, "energy_unpriced": e_inf_why,
        "energy_compute_unpriced": e_cmp_why,
        "train_energy_j": e_tr, "train_energy_unpriced": e_tr_why,
        "train_memory_bytes": _mean([r.get("train_memory_bytes") for r in ok]),
        "params": _mean([r.get("params") for r in ok]),
        "fit_s": _mean([r.get("fit_s") for r in ok]),
        "readout": next((r.get("readout") for r in ok if r.get("readout")), ""),
    }


def _pick_seeds(eligible: dict[str, dict[Any, float]]) -> list[Any]:
    """The seed set covered by the most learners (then the larger set): paired tests run on
    these seeds only."""
    cands = sorted({tuple(sorted(v, key=str)) for v in eligible.values()},
                   key=lambda c: [str(s) for s in c])
    return list(max(cands, key=lambda c: (sum(set(c) <= set(v) for v in eligible.values()),
                                          len(c))))


def _comparison(learners: dict[str, dict[str, Any]], higher: bool, test: str, alpha: float
                ) -> tuple[dict[str, Any] | None, dict[str, str]]:
    from comparisons.stats import compare_learners

    eligible = {k: dict(zip(s["seeds"], s["values"], strict=True))
                for k, s in learners.items() if s["n"] >= 2}
    left_out = {k: (f"{s['n']} finished seed" + ("" if s["n"] == 1 else "s")
                    + ", a paired test needs >= 2")
                for k, s in learners.items() if s["n"] < 2 and s["n_runs"] > s["n_skipped"]}
    if not eligible:
        return None, left_out
    seeds = _pick_seeds(eligible)
    used = {k: [v[s] for s in seeds] for k, v in eligible.items() if set(seeds) <= set(v)}
    for k, v in eligible.items():
        if k not in used:
            lacks = [s for s in seeds if s not in v]
            left_out[k] = (f"lacks seed(s) {', '.join(map(str, lacks))} of the compared seeds "
                           f"{', '.join(map(str, seeds))}")
    res = compare_learners(used, higher_is_better=higher, test=test, alpha=alpha)
    return {**res, "seeds": seeds, "learners": list(used)}, left_out


def task_summaries(rows: list[dict[str, Any]], test: str = "ttest", alpha: float = 0.05,
                   confidence: float = 0.95) -> dict[str, dict[str, Any]]:
    """Per task (variant label): every learner's test mean with its bootstrap interval,
    validation and training means, flags, chosen settings and costs; the paired comparison
    (:func:`comparisons.stats.compare_learners`, Holm) over the seeds the learners share;
    the trivial baselines, chance, the task's literature values and the skipped learners.

    Reads rows only (no data is generated, nothing is trained). The schema is documented in
    ``docs/guide/results-schema.md``.
    """
    from comparisons.metrics.energy import list_profiles

    profiles = list_profiles()
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[task_key(r)].append(r)
    out: dict[str, dict[str, Any]] = {}
    for task, trs in sorted(groups.items()):
        first = next((r for r in trs if r.get("metric")), trs[0])
        metric = str(first.get("metric") or "")
        higher = bool(first.get("higher_is_better", True))
        names = _metric_names([r for r in trs if r.get("status") == "ok"], metric)
        cls = _task_class(str(first["task"]))
        by_learner: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in trs:
            by_learner[learner_key(r)].append(r)
        learners, skipped, crashed = {}, {}, {}
        for name, rs in sorted(by_learner.items()):
            if not any(r.get("status") in ("ok", "failed") for r in rs):
                skipped[name] = str(next((r.get("error") for r in rs if r.get("error")),
                                         "skipped"))
                continue
            learners[name] = _learner_summary(rs, metric, higher, names, profiles,
                                              confidence)
            if learners[name]["n_failed"]:
                crashed[name] = learners[name]["n_failed"]
        sign = -1.0 if higher else 1.0  # best mean first, learners without values last
        learners = dict(sorted(learners.items(), key=lambda kv: (
            kv[1]["n"] == 0, sign * kv[1]["mean"] if kv[1]["n"] else 0.0, kv[0])))
        comparison, left_out = _comparison(learners, higher, test, alpha)
        per_seed: dict[Any, dict[str, Any]] = {}
        for r in trs:
            if r.get("status") == "ok" and (r.get("baselines") or r.get("chance")):
                per_seed.setdefault(r.get("seed"), r)
        base: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in per_seed.values():
            bl = dict(r.get("baselines") or {})
            if "chance" not in bl and r.get("chance"):
                bl["chance"] = r["chance"]
            for k, v in bl.items():
                base[k].append(v or {})
        descr = dict(getattr(cls, "baseline_descriptions", {}) or {})
        refs = tuple(getattr(cls, "reference_baselines", ()) or ())
        baselines = {k: {"mean": _mean([v.get(metric) for v in vs]), "n": len(vs),
                         "metrics": {m: _mean([v.get(m) for v in vs]) for m in names
                                     if m != metric},
                         "description": descr.get(k, ""), "reference": k in refs}
                     for k, vs in sorted(base.items())}
        tname, tval = _trivial(list(per_seed.values()), metric)
        budgets = []
        for r in trs:
            if r.get("budget") is not None and r["budget"] not in budgets:
                budgets.append(r["budget"])
        out[task] = {
            "task": task, "task_name": first["task"], "metric": metric,
            "higher_is_better": higher, "metrics": names,
            "seeds": sorted({r.get("seed") for r in trs if r.get("status") == "ok"}, key=str),
            "learners": learners, "comparison": comparison, "not_compared": left_out,
            "baselines": baselines, "chance": (baselines.get("chance") or {}).get("mean"),
            "trivial_best": None if tname is None else {"name": tname, "value": tval},
            "ceiling": _mean([r.get("ceiling") for r in per_seed.values()]),
            "literature": [dict(x) for x in getattr(cls, "literature", ()) or ()],
            "skipped": skipped, "crashed": crashed, "budgets": budgets,
            "untuned": [k for k, s in learners.items() if not s["tuned"]],
            "test": test, "alpha": alpha, "confidence": confidence,
        }
    return out
