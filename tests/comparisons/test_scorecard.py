"""The measured scorecard: "online in time" from the training-memory probe, n/a on static
tasks, a disagreement with the declaration said in the cell and in a note."""

from comparisons.report.tables import ONLINE_GROWTH, scorecard_table


def _s(learner, task, online):
    card = {"local_learning": False, "online_in_time": online}
    return {"learner_name": learner, "task_name": task, "n_ok": 1, "scorecard": card}


def _mem(learner, values):
    return [{"learner": learner, "length": T, "train_memory_bytes": v, "status": "ok"}
            for T, v in zip((25, 50, 100), values, strict=True)]


def test_online_in_time_is_measured_from_memory_growth_and_na_on_static_tasks():
    summary = [_s("bptt_like", "adding", False), _s("online", "adding", True),
               _s("claims_online", "adding", True), _s("memory", "associative_recall", True),
               _s("unprobed", "adding", True)]
    memory = (_mem("bptt_like", [1000, 2000, 4000]) + _mem("online", [800, 800, 800])
              + _mem("claims_online", [100, 300, 900]))
    head, body, notes = scorecard_table(summary, memory)
    col = head.index("online_in_time")
    cells = {r[0]: r[col] for r in body}
    assert cells["bptt_like"].startswith("no (measured: memory x4.00, T=25→100)")
    assert cells["online"].startswith("yes (measured: memory x1.00")
    assert cells["claims_online"].endswith("declared yes")
    assert cells["memory"] == "n/a (static tasks only)"
    assert cells["unprobed"] == "yes (declared)"
    assert len(notes) == 1 and "claims_online" in notes[0]
    # the threshold: a fixed-size state; just above it is growth
    growing = _mem("x", [1000, 1000, 1000 * ONLINE_GROWTH * 1.01])
    _, body, _ = scorecard_table([_s("x", "adding", True)], growing)
    assert body[0][col].startswith("no")


def test_three_way_pareto_front_keeps_every_trade_off_and_drops_the_dominated():
    from comparisons.report.figures import pareto_3d

    pts = [(1.0, 0.9, 2),   # cheap and accurate, not plausible
           (2.0, 0.8, 6),   # plausible
           (3.0, 0.7, 1),   # dominated by the first
           (0.5, 0.5, 0),   # cheapest
           (2.0, 0.8, 5),   # dominated by the second (less plausible)
           (float("nan"), 1.0, 7)]  # not priced: left out
    assert sorted(pareto_3d(pts, True)) == [0, 1, 3]
    assert 2 in pareto_3d([(1.0, 0.1, 0), (1.0, 0.2, 0), (3.0, 0.05, 0)], False)


def test_size_figure_renders_a_size_sweep():
    from comparisons.report.figures import size_plausibility_figure

    card = {"local_learning": True, "online_in_time": False}
    summary = [{"task": "t", "n_ok": 2, "higher_is_better": True, "metric": "accuracy",
                "learner_name": "m", "learner": f"m[n={n}]", "family": "backprop",
                "params": n * 10, "mean": 0.5 + n / 100, "energy_j": {"cmos45": n * 1e-9},
                "scorecard": card} for n in (8, 16, 32)]
    png = size_plausibility_figure(summary, "t", "cmos45")
    assert png[:4] == b"\x89PNG" and len(png) > 5000
