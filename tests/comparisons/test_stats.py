"""comparisons.stats: expected values from scipy called directly or from theory, never from
the module's own earlier outputs."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.stats as sps
from hypothesis import given, settings
from hypothesis import strategies as st

from comparisons.stats import compare_learners, format_ci, holm, mean_ci, paired_test

SEEDS = (0, 1, 2)


def _mean_diff(x, y, axis=-1):
    return np.mean(x - y, axis=axis)


# --------------------------------------------------------------------------- mean_ci


@pytest.mark.parametrize("method", ["BCa", "percentile", "basic"])
@pytest.mark.parametrize("seed", SEEDS)
def test_mean_ci_equals_scipy_bootstrap_on_same_input_and_seed(method: str, seed: int) -> None:
    x = np.random.default_rng(100 + seed).normal(0.9, 0.02, size=7)
    d = mean_ci(x, confidence=0.9, n_resamples=2000, method=method, seed=seed)
    ref = sps.bootstrap((x,), np.mean, n_resamples=2000, confidence_level=0.9, method=method,
                        rng=np.random.default_rng(seed)).confidence_interval
    assert (d["low"], d["high"]) == (float(ref.low), float(ref.high))
    assert d["low"] <= d["mean"] <= d["high"]
    assert d["mean"] == pytest.approx(np.mean(x))
    assert d["std"] == pytest.approx(np.std(x, ddof=1))
    assert d["n"] == 7 and d["method"] == method


def test_mean_ci_is_deterministic_per_seed_and_does_not_modify_input() -> None:
    x = np.random.default_rng(7).normal(size=12)
    before = x.copy()
    assert mean_ci(x, seed=3) == mean_ci(list(x), seed=3)
    # (with 5 values the resampled means take few distinct values and seeds often agree)
    assert mean_ci(x, seed=3) != mean_ci(x, seed=4)
    np.testing.assert_array_equal(x, before)


def test_mean_ci_wider_at_higher_confidence() -> None:
    x = np.random.default_rng(5).normal(size=12)
    lo = mean_ci(x, confidence=0.8)
    hi = mean_ci(x, confidence=0.99)
    assert hi["low"] < lo["low"] <= lo["high"] < hi["high"]


def test_mean_ci_degenerate_inputs_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = mean_ci([])
        one = mean_ci([0.7])
        same = mean_ci([0.5] * 6)
    assert empty["n"] == 0 and all(math.isnan(empty[k]) for k in ("mean", "low", "high", "std"))
    assert one == {"mean": 0.7, "low": 0.7, "high": 0.7, "n": 1, "std": one["std"],
                   "method": "none (n=1)"}
    assert math.isnan(one["std"])
    assert same["low"] == same["high"] == same["mean"] == 0.5 and same["std"] == 0.0
    assert same["n"] == 6 and same["method"].startswith("none")
    # what the module guards against: scipy's BCa on identical values is NaN with a warning
    with pytest.warns(sps.DegenerateDataWarning), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)  # its a_hat 0/0
        ref = sps.bootstrap((np.full(6, 0.5),), np.mean, rng=0).confidence_interval
    assert math.isnan(ref.low)


def test_mean_ci_falls_back_to_percentile_when_bca_is_nan() -> None:
    # two resamples that both lie above the mean: BCa's bias correction is -inf (NaN bounds)
    x = np.array([0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bca = sps.bootstrap((x,), np.mean, n_resamples=2, rng=np.random.default_rng(4))
        pct = sps.bootstrap((x,), np.mean, n_resamples=2, method="percentile",
                            rng=np.random.default_rng(4))
    assert math.isnan(bca.confidence_interval.low)  # the precondition of this test
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = mean_ci(x, n_resamples=2, seed=4)
    assert d["method"].startswith("percentile (BCa failed")
    assert (d["low"], d["high"]) == (float(pct.confidence_interval.low),
                                     float(pct.confidence_interval.high))


@pytest.mark.parametrize("bad", [[1.0, math.nan, 2.0], [1.0, math.inf]])
def test_mean_ci_rejects_non_finite_values_naming_the_parameter(bad: list[float]) -> None:
    with pytest.raises(ValueError, match=r"^values must be finite, got (nan|inf) at index 1"):
        mean_ci(bad)


def test_mean_ci_argument_errors() -> None:
    with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\), got 1.5"):
        mean_ci([1, 2], confidence=1.5)
    with pytest.raises(ValueError, match=r"unknown method 'bca'; choose from: BCa, basic, "
                                         r"percentile"):
        mean_ci([1, 2], method="bca")
    with pytest.raises(ValueError, match=r"n_resamples must be >= 2, got 1"):
        mean_ci([1, 2], n_resamples=1)
    with pytest.raises(ValueError, match=r"values must be 1-D .* got shape \(2, 2\)"):
        mean_ci([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match=r"values must be a 1-D sequence of numbers"):
        mean_ci(["a", "b"])


def test_format_ci() -> None:
    assert format_ci({"mean": 0.91234, "low": 0.8971, "high": 0.92549, "n": 5}) == \
        "0.912 [0.897, 0.925]"
    assert format_ci({"mean": 0.91234, "low": 0.8971, "high": 0.92549}, digits=1) == \
        "0.9 [0.9, 0.9]"
    assert format_ci(mean_ci([0.25])) == "0.250 (n=1)"
    assert format_ci(mean_ci([])) == "n/a (n=0)"
    with pytest.raises(ValueError, match=r"needs a mean_ci result with 'low'"):
        format_ci({"mean": 1.0})


# --------------------------------------------------------------------------- paired_test


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize("seed", SEEDS)
def test_paired_test_pvalues_equal_scipy(alternative: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(0.8, 0.05, size=8)
    b = a - rng.normal(0.02, 0.03, size=8)
    t = paired_test(a, b, "ttest", alternative)
    ref = sps.ttest_rel(a, b, alternative=alternative)
    assert (t["statistic"], t["pvalue"]) == (float(ref.statistic), float(ref.pvalue))
    w = paired_test(a, b, "wilcoxon", alternative)
    ref = sps.wilcoxon(a, b, alternative=alternative)
    assert (w["statistic"], w["pvalue"]) == (float(ref.statistic), float(ref.pvalue))
    p = paired_test(a, b, "permutation", alternative)
    ref = sps.permutation_test((a, b), _mean_diff, permutation_type="samples",
                               vectorized=True, n_resamples=9999, alternative=alternative)
    assert (p["statistic"], p["pvalue"]) == (float(ref.statistic), float(ref.pvalue))
    for r in (t, w, p):
        assert r["n"] == 8 and r["mean_diff"] == pytest.approx(np.mean(a - b))


def test_exact_permutation_pvalue_with_five_positive_differences_is_two_in_32() -> None:
    a = np.array([0.9, 0.8, 0.85, 0.95, 0.9])
    b = a - np.array([0.1, 0.3, 0.05, 0.2, 0.15])
    # 2**5 equally likely sign patterns; only "all +" is as large, only "all -" as small
    assert paired_test(a, b, "permutation")["pvalue"] == pytest.approx(2 / 32)
    assert paired_test(a, b, "permutation", "greater")["pvalue"] == pytest.approx(1 / 32)
    assert paired_test(a, b, "permutation", "less")["pvalue"] == pytest.approx(1.0)
    assert paired_test(a, b, "wilcoxon")["pvalue"] == pytest.approx(2 / 32)


@pytest.mark.parametrize("n", [2, 3, 5, 6, 10, 13])
def test_exact_tests_min_pvalue_is_two_over_two_to_the_n(n: int) -> None:
    a, b = np.arange(1.0, n + 1) + 10, np.full(n, 10.0)   # all differences positive, distinct
    for test in ("wilcoxon", "permutation"):
        r = paired_test(a, b, test)
        assert r["min_pvalue"] == min(1.0, 2 / 2 ** n)
        assert r["pvalue"] == pytest.approx(r["min_pvalue"])  # the extreme data reach it
        assert paired_test(a, b, test, "greater")["min_pvalue"] == 1 / 2 ** n
    assert paired_test(a, b, "ttest")["min_pvalue"] == 0.0
    # "with 5 seeds an exact nonparametric test cannot go below p = 0.0625"; 6 seeds can
    assert (2 / 2 ** 5, 2 / 2 ** 6) == (0.0625, 0.03125)


def test_min_pvalue_beyond_exact_ranges() -> None:
    n = 60   # wilcoxon: scipy switches to the normal approximation above 50 pairs
    a, b = np.arange(1.0, n + 1), np.zeros(n)
    r = paired_test(a, b, "wilcoxon")
    assert r["min_pvalue"] == pytest.approx(sps.wilcoxon(a, b).pvalue, rel=1e-9)
    assert r["pvalue"] == pytest.approx(r["min_pvalue"], rel=1e-9)
    # permutation with 2**14 > 9999 sign patterns: random flips, p >= 2 / (9999 + 1)
    n = 14
    assert paired_test(np.arange(1.0, n + 1), np.zeros(n), "permutation")["min_pvalue"] == \
        pytest.approx(2 / 10000)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-1, 1), st.floats(-1, 1)), min_size=5, max_size=5),
       st.sampled_from(["wilcoxon", "permutation"]),
       st.sampled_from(["two-sided", "greater", "less"]))
def test_no_pvalue_below_the_floor_with_five_seeds(pairs, test, alternative) -> None:
    a, b = np.array(pairs).T
    r = paired_test(a, b, test, alternative)
    assert r["pvalue"] >= r["min_pvalue"] * (1 - 1e-9)
    assert 0.0 <= r["pvalue"] <= 1.0


@pytest.mark.parametrize("test", ["ttest", "wilcoxon", "permutation"])
def test_all_zero_differences_give_pvalue_one_without_warnings(test: str) -> None:
    a = [0.8, 0.9, 0.7, 0.85]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = paired_test(a, list(a), test)
    assert r["pvalue"] == 1.0 and r["mean_diff"] == 0.0 and r["n"] == 4


def test_constant_nonzero_differences_ttest_matches_scipy_limit() -> None:
    a, b = np.array([2.0, 3.0, 4.0, 5.0]), np.array([1.0, 2.0, 3.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sps.ttest_rel(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = paired_test(a, b, "ttest")
    assert (r["statistic"], r["pvalue"]) == (float(ref.statistic), float(ref.pvalue))
    assert r["statistic"] == math.inf and r["pvalue"] == 0.0


def test_paired_test_errors() -> None:
    with pytest.raises(ValueError, match=r"len\(a\)=5 and len\(b\)=4"):
        paired_test([1, 2, 3, 4, 5], [1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"needs >= 2 pairs \(seeds\), got 1"):
        paired_test([1.0], [2.0])
    with pytest.raises(ValueError, match=r"^b must be finite, got nan at index 2"):
        paired_test([1, 2, 3], [1, 2, math.nan])
    with pytest.raises(ValueError, match=r"unknown test 'sign'; choose from: permutation, "
                                         r"ttest, wilcoxon"):
        paired_test([1, 2], [2, 1], test="sign")
    with pytest.raises(ValueError, match=r"unknown alternative 'bigger'"):
        paired_test([1, 2], [2, 1], alternative="bigger")


# --------------------------------------------------------------------------- holm


def _holm_by_definition(p: list[float]) -> list[float]:
    """Smallest alpha at which Holm's step-down procedure rejects each hypothesis.

    Step-down at level alpha: sort ascending; reject H_(k) while p_(k) <= alpha / (m - k + 1)
    (k = 1..m), stop at the first acceptance. Decisions change only at alpha = (m - k + 1)
    p_(k), so the smallest rejecting alpha is found among those candidates (or is 1).
    """
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    candidates = sorted({min(1.0, (m - k) * p[i]) for k, i in enumerate(order)} | {1.0})
    out = []
    for i in range(m):
        for alpha in candidates:
            rejected = set()
            for k, j in enumerate(order):
                if (m - k) * p[j] <= alpha:   # p_(k) <= alpha / (m - k + 1), 1-based k
                    rejected.add(j)
                else:
                    break
            if i in rejected:
                out.append(alpha)
                break
        else:
            out.append(1.0)
    return out


pvals = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(pvals)
def test_holm_equals_the_step_down_definition(p: list[float]) -> None:
    assert holm(p) == pytest.approx(_holm_by_definition(p), rel=1e-12, abs=0)


@settings(max_examples=200, deadline=None)
@given(pvals, st.randoms(use_true_random=False))
def test_holm_properties(p: list[float], rnd) -> None:
    adj = holm(p)
    m = len(p)
    assert all(a >= r for a, r in zip(adj, p)) and all(a <= 1.0 for a in adj)
    order = sorted(range(m), key=lambda i: p[i])
    ranked = [adj[i] for i in order]
    assert ranked == sorted(ranked)                                     # monotone
    assert ranked[0] == pytest.approx(min(1.0, m * p[order[0]]))         # Bonferroni for min
    perm = list(range(m))
    rnd.shuffle(perm)
    assert holm([p[i] for i in perm]) == [adj[i] for i in perm]         # input order kept


def test_holm_worked_example() -> None:
    # m = 4 tests; sorted: 0.005 < 0.01 < 0.03 < 0.04 with multipliers 4, 3, 2, 1
    p = [0.01, 0.04, 0.03, 0.005]
    s1 = 4 * 0.005             # 0.02
    s2 = max(s1, 3 * 0.01)     # 0.03
    s3 = max(s2, 2 * 0.03)     # 0.06
    s4 = max(s3, 1 * 0.04)     # 0.06: the step-down max carries 0.06 over 0.04
    assert holm(p) == pytest.approx([s2, s4, s3, s1])
    # at alpha = 0.05: 0.005 <= 0.05/4 and 0.01 <= 0.05/3 rejected; 0.03 > 0.05/2 stops
    assert [a <= 0.05 for a in holm(p)] == [True, False, False, True]
    assert holm([0.5, 0.6]) == [1.0, 1.0] and holm([]) == []


def test_holm_rejects_invalid_pvalues() -> None:
    with pytest.raises(ValueError, match=r"pvalues must be in \[0, 1\], got 1.5 at index 1"):
        holm([0.1, 1.5])
    with pytest.raises(ValueError, match=r"^pvalues must be finite"):
        holm([0.1, math.nan])


# --------------------------------------------------------------------------- compare_learners


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("test", ["ttest", "wilcoxon", "permutation"])
def test_clearly_separated_learners_are_not_tied(seed: int, test: str) -> None:
    rng = np.random.default_rng(seed)
    values = {"lstm": 0.95 + 0.01 * rng.standard_normal(10),
              "stdp": 0.60 + 0.01 * rng.standard_normal(10),
              "esn": 0.80 + 0.01 * rng.standard_normal(10)}
    res = compare_learners(values, higher_is_better=True, test=test)
    assert res["best"] == "lstm" and res["tied_for_best"] == ["lstm"]
    assert [c["learner"] for c in res["comparisons"]] == ["esn", "stdp"]
    raw = [paired_test(values["lstm"], values[c["learner"]], test)["pvalue"]
           for c in res["comparisons"]]
    assert [c["pvalue"] for c in res["comparisons"]] == raw
    assert [c["pvalue_holm"] for c in res["comparisons"]] == holm(raw)
    assert all(c["significant"] and c["mean_diff"] > 0 for c in res["comparisons"])


def test_identical_learners_are_tied() -> None:
    v = [0.81, 0.79, 0.85, 0.80, 0.83]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = compare_learners({"b": v, "a": list(v)}, higher_is_better=True)
    assert res["best"] == "a"                          # equal means: the name decides
    assert res["tied_for_best"] == ["a", "b"]
    (c,) = res["comparisons"]
    assert c["pvalue"] == c["pvalue_holm"] == 1.0 and not c["significant"]


def test_lower_is_better_and_single_learner() -> None:
    res = compare_learners({"hi": [3.0, 3.1, 2.9], "lo": [1.0, 1.2, 1.1]},
                           higher_is_better=False)
    assert res["best"] == "lo" and list(res["means"]) == ["lo", "hi"]
    assert res["comparisons"][0]["mean_diff"] == pytest.approx(1.1 - 3.0)
    one = compare_learners({"only": [0.5]}, higher_is_better=True)
    assert one["best"] == "only" and one["comparisons"] == [] and one["tied_for_best"] == ["only"]


def test_five_seeds_cannot_separate_anything_with_exact_tests() -> None:
    # perfectly separated on every seed, yet 3 Holm-adjusted exact tests on 5 seeds give at
    # best 3 * 2 / 2**5 = 0.1875 > 0.05: all learners are reported tied (by design, honestly)
    base = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    values = {"a": base + 3, "b": base + 2, "c": base + 1, "d": base}
    for test in ("wilcoxon", "permutation"):
        res = compare_learners(values, higher_is_better=True, test=test)
        assert res["tied_for_best"] == ["a", "b", "c", "d"]
        assert min(c["pvalue_holm"] for c in res["comparisons"]) == pytest.approx(3 * 2 / 32)
        assert all(c["min_pvalue"] == 2 / 32 for c in res["comparisons"])


def test_compare_learners_errors() -> None:
    with pytest.raises(ValueError, match=r"values\['b'\] has 4 seeds but values\['a'\] has 5; "
                                         r"every learner must be scored on the same seeds"):
        compare_learners({"a": [1, 2, 3, 4, 5], "b": [1, 2, 3, 4]}, higher_is_better=True)
    with pytest.raises(ValueError, match=r"needs >= 2 seeds each, got 1"):
        compare_learners({"a": [1.0], "b": [2.0]}, higher_is_better=True)
    with pytest.raises(ValueError, match=r"^values\['b'\] must be finite, got nan"):
        compare_learners({"a": [1, 2], "b": [1, math.nan]}, higher_is_better=True)
    with pytest.raises(ValueError, match=r"at least one learner"):
        compare_learners({}, higher_is_better=True)
    with pytest.raises(TypeError, match=r"higher_is_better must be a bool"):
        compare_learners({"a": [1, 2]}, higher_is_better="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        compare_learners({"a": [1, 2]}, higher_is_better=True, alpha=0)
