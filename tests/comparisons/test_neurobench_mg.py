"""NeuroBench's Mackey-Glass task: protocol facts, the fixed integrator, closed-loop scoring
(generic fallback vs stateful stepping), sMAPE, the user's mg_17.npy, the report table."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from comparisons.learners import get_learner
from comparisons.learners.base import FitInfo, Learner
from comparisons.protocol import closed_loop_predict, closed_loop_start, predict_split
from comparisons.tasks import get_task
from comparisons.tasks.neurobench_mackey_glass import (
    DEFAULT_POINTS,
    LEADERBOARD,
    MAXTIME_PTS,
    NeuroBenchMackeyGlass,
    _integrate,
    integrate_series,
    run_offset,
)

NAME = "neurobench_mackey_glass"


@pytest.fixture(scope="module")
def series() -> np.ndarray:
    return integrate_series()


@pytest.fixture(scope="module")
def task() -> NeuroBenchMackeyGlass:
    return get_task(NAME)


# --------------------------------------------------------------------------- integrator
def test_integrator_is_deterministic_and_cached_copy_is_fresh():
    a = np.array(_integrate.__wrapped__(300, 1))  # bypass the cache: a second solve
    b = integrate_series(300)
    assert a.tobytes() == b.tobytes()
    b[0] = -1.0  # callers get a copy, the cached series is untouched
    assert integrate_series(300)[0] == a[0]


def test_integrator_solves_the_dde_to_a_finer_step():
    """RK4 with h = 1/75 and h = 1/150 agree to 1e-9 over the first 400 samples (5.3
    Lyapunov times; chaos amplifies the difference later), h/4 as well."""
    coarse = integrate_series(400)
    assert np.max(np.abs(coarse - integrate_series(400, refine=2))) < 1e-9
    assert np.max(np.abs(coarse[:100] - integrate_series(100, refine=4))) < 1e-10


def test_series_statistics_match_mackey_glass_tau17(series):
    """The attractor's range and quasi-period (~50 time units for tau = 17)."""
    assert series.shape == (DEFAULT_POINTS,)
    assert 0.35 < series.min() < 0.5 and 1.2 < series.max() < 1.4
    assert 0.85 < series.mean() < 1.0
    c = series - series.mean()
    ups = np.flatnonzero((c[:-1] < 0) & (c[1:] >= 0))
    period = np.diff(ups).mean() * 197 / 75
    assert 40 < period < 60


# ------------------------------------------------------------------------ protocol facts
def test_offsets_are_neurobenchs():
    nb = (np.arange(0.0, 15.0, 0.5, dtype=np.float32) * 75).astype(int)  # int(offset)
    assert [run_offset(k) for k in range(30)] == nb.tolist()
    assert nb[:4].tolist() == [0, 37, 75, 112]


def test_split_sizes_and_alignment(task, series):
    d = task.make(1)
    s = series[37: 37 + MAXTIME_PTS]
    assert d.meta["start_offset"] == 37
    assert d.train.x.shape == (750, 1, 1) and d.test.x.shape == (1500, 1, 1)
    np.testing.assert_array_equal(d.train.x[:, 0, 0], s[:750].astype(np.float32))
    np.testing.assert_array_equal(d.train.y[:, 0, 0], s[1:751].astype(np.float32))
    assert not d.train.mask[:45].any() and d.train.mask[45:].all()  # 0.6 Lyapunov times
    assert closed_loop_start(d.test) == 750 and d.test.mask.sum() == 750
    np.testing.assert_array_equal(d.test.y[750:, 0, 0], s[751:1501].astype(np.float32))
    assert d.test.x[750, 0, 0] == np.float32(s[750]) == d.train.y[-1, 0, 0]
    assert closed_loop_start(d.val) == 600 and d.val.mask.sum() == 150
    assert task.closed_loop == ("val", "test")


def test_validation_never_reads_the_test_segment(tmp_path, series):
    """Train and val are the same when every point after s[750] is changed; test is not.
    Inputs after the first closed-loop step repeat the last true one (no information)."""
    off = run_offset(2)
    other = series.copy()
    other[off + 751:] = np.random.default_rng(0).uniform(0.4, 1.3, other.size - off - 751)
    np.save(tmp_path / "a.npy", series)
    np.save(tmp_path / "b.npy", other)
    a = get_task(NAME, file=str(tmp_path / "a.npy")).make(2)
    b = get_task(NAME, file=str(tmp_path / "b.npy")).make(2)
    for name in ("train", "val"):
        for f in ("x", "y"):
            np.testing.assert_array_equal(getattr(a.split(name), f), getattr(b.split(name), f))
    assert not np.array_equal(a.test.y, b.test.y)
    np.testing.assert_array_equal(a.test.x, b.test.x)  # inputs hold nothing of the test
    assert np.all(a.test.x[751:] == a.test.x[750])


def test_smape_by_hand(task):
    d = task.make(0)
    pred = d.test.y.astype(np.float64).copy()
    y = d.test.y[750:, 0, 0].astype(np.float64)
    pred[750:, 0, 0] = y
    pred[750, 0, 0] = 3 * y[0]  # |3y - y| / (3y + y) = 1/2
    pred[751, 0, 0] = -y[1]  # |-y - y| / (y + y) = 1
    want = 200.0 / 750 * (0.5 + 1.0)
    assert task.score(pred, d.test)["smape"] == pytest.approx(want, rel=1e-6)
    pred[:750] = 100.0  # unscored (teacher-forced) steps do not count
    assert task.score(pred, d.test)["smape"] == pytest.approx(want, rel=1e-6)
    pred[900, 0, 0] = np.inf  # a diverged closed loop scores the worst value, as NeuroBench
    assert task.score(pred, d.test)["smape"] == 200.0
    pred[900, 0, 0] = np.nan
    assert task.score(pred, d.test)["smape"] == 200.0


# ---------------------------------------------------------------------------- closed loop
class _Affine(Learner):
    """Causal stub: output = a * input + b at every step (no fit)."""

    name: ClassVar[str] = "affine_stub"
    family: ClassVar[str] = "classical"
    scorecard: ClassVar[dict[str, bool]] = {}

    def __init__(self, a: float = 1.0, b: float = 0.0) -> None:
        super().__init__()
        self.a, self.b, self.calls = a, b, 0

    @classmethod
    def supports(cls, task):
        return True, ""

    def fit(self, task, data):
        return FitInfo()

    def predict(self, x):
        self.calls += 1
        return (self.a * np.asarray(x, np.float64) + self.b).astype(np.float32)

    def param_count(self):
        return 2


def test_closed_loop_feeds_back_the_models_own_output(task):
    d = task.make(0)
    x750 = float(d.test.x[750, 0, 0])
    pred = closed_loop_predict(_Affine(1.0, 0.01), d.test)
    k = np.arange(750)
    np.testing.assert_allclose(pred[750:, 0, 0], x750 + 0.01 * (k + 1), atol=1e-4)
    # teacher forced before the closed loop: the true inputs + 0.01
    np.testing.assert_allclose(pred[:750, 0, 0], d.test.x[:750, 0, 0] + 0.01, atol=1e-6)
    const = closed_loop_predict(_Affine(0.0, 0.7), d.test)
    assert np.all(const[750:] == np.float32(0.7))
    # open loop on the same split would read the held inputs instead: not the same
    assert not np.allclose(_Affine(1.0, 0.01).predict(d.test.x)[750:], pred[750:])
    assert predict_split(task, _Affine(1.0, 0.0), d, "train").shape == d.train.y.shape


def test_fallback_equals_esn_stateful_stepping(task):
    d = task.make(0)
    esn = get_learner("esn", seed=0, device="cpu", reservoir_size=60, spectral_radius=1.1,
                      leak_rate=0.5, ridge=1e-7, input_scaling=0.8)
    esn.count_ops = False
    esn.fit(task, d)
    esn._esn.double()  # float64 reservoir: the two paths differ only by rounding
    prefix = d.test.x[:701]
    stateful = esn.generate(prefix, 50)
    fallback = Learner.generate(esn, prefix, 50)
    assert stateful.shape == fallback.shape == (50, 1, 1)
    np.testing.assert_allclose(stateful, fallback, rtol=0, atol=1e-10)
    assert np.ptp(stateful) > 1e-3  # it moves: the comparison is not between constants


def test_fallback_matches_lstm_stateful_stepping(task):
    d = task.make(0)
    lstm = get_learner("lstm", seed=0, device="cpu", hidden_size=8, epochs=2)
    lstm.count_ops = False
    lstm.fit(task, d)
    prefix = d.test.x[:741]
    np.testing.assert_allclose(lstm.generate(prefix, 10), Learner.generate(lstm, prefix, 10),
                               rtol=0, atol=1e-5)


def test_learners_that_cannot_close_the_loop_are_skipped(task):
    class _Acausal(_Affine):
        causal: ClassVar[bool] = False

    ok, why = _Acausal.supports_closed_loop(task)
    assert not ok and "causal" in why
    # the one check the runner, the tuning sweep and `neurosim-compare list` share
    from comparisons.protocol import learner_supports

    assert learner_supports(_Acausal, task) == (ok, why)
    assert learner_supports(_Acausal, get_task("adding"))[0] == _Acausal.supports(
        get_task("adding"))[0]
    assert _Affine.supports_closed_loop(task) == (True, "")
    enc = get_task(NAME, encoding="rate")
    ok, why = _Affine.supports_closed_loop(enc)
    assert not ok and "spike" in why


def test_run_cell_scores_in_closed_loop_with_neurobench_counts(tmp_path):
    from comparisons.report import Report
    from comparisons.runner import run_cell

    row = run_cell(NAME, "esn", 3, learner_params=dict(reservoir_size=40), device="cpu")
    # the report puts the row beside NeuroBench's leaderboard (Markdown and HTML)
    Report([row]).write(tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "Beside NeuroBench's leaderboard" in md and "13.37" in md and "14.79" in md
    assert "esn (ours)" in md
    assert "Beside NeuroBench&#x27;s leaderboard" in (tmp_path / "index.html").read_text() \
        or "Beside NeuroBench's leaderboard" in (tmp_path / "index.html").read_text()
    assert row["status"] == "ok", row["error"]
    assert row["data"]["start_offset"] == 112
    assert np.isfinite(row["metrics"]["smape"]) and np.isfinite(row["val_metrics"]["smape"])
    for key in ("effective_macs", "dense_ops", "activations", "nonzero_activations"):
        assert row["ops"][key] > 0
    assert set(row["baselines"]) == {"chance", "persistence"}


# ------------------------------------------------------------------------ the user's file
def test_user_file_is_read_and_validated(tmp_path, series):
    good = tmp_path / "mg_17.npy"
    np.save(good, series[:1600])
    t = get_task(NAME, file=str(good))
    np.testing.assert_array_equal(t.make(0).train.x[:, 0, 0], series[:750].astype(np.float32))
    assert t.config()["file"] == str(good) and len(t.config()["file_sha256"]) == 64
    with pytest.raises(ValueError, match=r"NeuroBenchMackeyGlass\.file=.*seed 3 .*needs 1613"):
        t.make(3)
    with pytest.raises(ValueError, match=r"NeuroBenchMackeyGlass\.file=.*no such file"):
        get_task(NAME, file=str(tmp_path / "missing.npy"))
    np.save(tmp_path / "wide.npy", np.zeros((1600, 2)))
    with pytest.raises(ValueError, match=r"NeuroBenchMackeyGlass\.file=.*1-D .*\(1600, 2\)"):
        get_task(NAME, file=str(tmp_path / "wide.npy"))
    np.save(tmp_path / "short.npy", series[:100])
    with pytest.raises(ValueError, match=r">= 1501 points.*\(100,\)"):
        get_task(NAME, file=str(tmp_path / "short.npy"))
    with pytest.raises(TypeError, match=r"NeuroBenchMackeyGlass\.file must be a path"):
        get_task(NAME, file=3)


# --------------------------------------------------------------------------- report table
def test_leaderboard_table_puts_ours_beside_neurobench():
    from comparisons.report.neurobench_mg import leaderboard_table

    rows = [{"task": NAME, "learner": "esn", "seed": s, "status": "ok",
             "metrics": {"smape": v}, "ops": {"dense_ops": 1500.0 * 10, "effective_macs":
                                              1500.0 * 4}, "hardware": {}}
            for s, v in enumerate([10.0, 12.0, 14.0])]
    rows.append({"task": "adding", "learner": "esn", "seed": 0, "status": "ok",
                 "metrics": {"mse": 1.0}, "ops": {}, "hardware": {}})
    table = leaderboard_table(rows)
    ours = {r["model"]: r for r in table["rows"]}
    assert ours["esn (ours)"]["smape"] == pytest.approx(12.0)
    assert ours["esn (ours)"]["n_runs"] == 3
    lo, hi = ours["esn (ours)"]["smape_ci95"]
    assert lo < 12.0 < hi
    assert ours["esn (ours)"]["dense"] == pytest.approx(10.0)  # per step (T = 1500)
    assert ours["ESN (NeuroBench)"]["smape"] == 14.79 == LEADERBOARD[1]["smape"]
    assert ours["LSTM (NeuroBench)"]["smape"] == 13.37
    assert "14.79" in table["markdown"] and "<table" in table["html"]
    assert leaderboard_table([])["rows"][0]["model"] == "LSTM (NeuroBench)"
