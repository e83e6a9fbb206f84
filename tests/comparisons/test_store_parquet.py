"""Results store -> Parquet (pandas + pyarrow, optional extra)."""

import json

import numpy as np
import pytest

from comparisons.store import ResultStore, export_parquet


def _row(i, learner="lstm"):
    return {"task": "adding", "learner": learner, "seed": i, "config_hash": f"h{learner}{i}",
            "status": "ok", "metrics": {"mse": 0.1 * i, "bad": float("nan")},
            "ops": {"mac": np.float64(3.0 * i)}, "curve": [1.0, 0.5 * i],
            "versions": {"torch": "x"}, "device": "cpu",
            "artifacts": {"raster_t": np.arange(4)}}


def test_parquet_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    with ResultStore(tmp_path / "r.sqlite") as st:
        st.put_many([_row(1), _row(2), _row(3, "esn")])
        rows = st.rows(artifacts=False)
    out = export_parquet(tmp_path / "r.sqlite", tmp_path / "out" / "r.parquet")
    df = pd.read_parquet(out)
    assert len(df) == len(rows) == 3
    assert "artifacts" not in " ".join(df.columns)          # arrays are not exported
    for (_, rec), row in zip(df.iterrows(), rows):
        assert rec["config_hash"] == row["config_hash"]
        assert rec["metrics.mse"] == pytest.approx(row["metrics"]["mse"])
        assert rec["ops.mac"] == row["ops"]["mac"]
        assert json.loads(rec["curve"]) == row["curve"]
        assert rec["metrics.bad"] is None or np.isnan(rec["metrics.bad"])   # NaN -> null
    # filtered export from an open store
    with ResultStore(tmp_path / "r.sqlite") as st:
        only = pd.read_parquet(export_parquet(st, tmp_path / "esn.parquet", learner="esn"))
    assert list(only["learner"]) == ["esn"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r.parquet"]


def test_parquet_without_pandas_names_the_extra(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pandas(name, *a, **kw):
        if name in ("pandas", "pyarrow"):
            raise ImportError(name)
        return real(name, *a, **kw)

    with ResultStore(tmp_path / "r.sqlite") as st:
        st.put(_row(1))
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"neurosim\[parquet\]"):
        export_parquet(tmp_path / "r.sqlite", tmp_path / "r.parquet")
