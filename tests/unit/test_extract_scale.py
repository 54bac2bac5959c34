"""leokit.extract for large data: columns and filters pushed to the source (SQL Server, DuckDB,
Parquet), chunked reading with bounded memory, and views as DuckDB relations."""

import datetime
import os

import duckdb
import numpy as np
import pandas as pd
import pytest

import leokit.extract as lx
from leokit.schema import DEFAULT_SCHEMA

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT = os.path.join(ROOT, "data_synthetic")
# the small five-year world and its extract in every format that the other extract tests use
from test_extract import folders, world  # noqa: E402, F401 - fixtures


class Recorder:
    """A DB-API connection that records the SQL, its parameters and each fetchmany."""

    def __init__(self, con):
        self.con, self.log = con, []

    def cursor(self):
        return _RecCursor(self.con.cursor(), self.log)


class _RecCursor:
    def __init__(self, cur, log):
        self.cur, self.log = cur, log

    def execute(self, sql, params=None):
        self.log.append((sql, list(params) if params else None))
        return self.cur.execute(sql, params) if params else self.cur.execute(sql)

    @property
    def description(self):
        return self.cur.description

    def fetchmany(self, n):
        self.log.append(("fetchmany", n))
        return self.cur.fetchmany(n)

    def fetchall(self):
        return self.cur.fetchall()

    def close(self):
        self.cur.close()


@pytest.fixture()
def recorder(folders):
    con = lx.connect_duckdb(folders / "duckdb")
    rec = Recorder(con)
    yield rec
    con.close()


def test_dbapi_sql_is_three_part_and_chunked(recorder):
    ex = lx.open_extract(recorder, chunksize=4)
    df = ex.read("leo_earnings", columns=["Edukey", "Earnings"])
    assert len(df) == 10
    sql = f'SELECT "Edukey", "Earnings" FROM "LEO_i2"."{DEFAULT_SCHEMA}"."leo_earnings"'
    assert (sql, None) in recorder.log
    assert recorder.log.count(("fetchmany", 4)) == 3  # 4 + 4 + 2 rows


def _selects(log):
    """The data queries (not the listing of views or the column probes)."""
    return [
        e for e in log
        if isinstance(e, tuple) and str(e[0]).startswith('SELECT "') and "WHERE 1 = 0" not in e[0]
    ]  # fmt: skip


def _norm(df):
    """Comparable form: numbers as float64, dates as ISO text, text as object/None."""
    out = {}
    for c in df.columns:
        s = df[c]
        if str(s.dtype).startswith("datetime"):
            v = s.dt.strftime("%Y-%m-%d").astype(object)
            out[c] = v.where(s.notna(), None)
        elif s.dtype == object and s.map(lambda v: isinstance(v, datetime.date)).any():
            out[c] = s.map(lambda v: None if v is None else v.isoformat()).astype(object)
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[c] = s.astype(bool)
        elif pd.api.types.is_numeric_dtype(s.dtype):
            out[c] = s.astype("float64")
        else:  # a column of mixed kinds across years (HE_SEX) is text in a relation
            v = s.astype(object).to_numpy(copy=True)
            v[pd.isna(v)] = None
            out[c] = pd.Series([None if x is None else str(x) for x in v], dtype=object)
    return pd.DataFrame(out).reset_index(drop=True)


# ------------------------------------------------------------------------------ SQL Server
def test_dbapi_sends_only_the_columns_and_a_where(recorder, world):
    ex = lx.open_extract(recorder)
    years = sorted(set(world["leo_earnings"]["TaxYear"]))[:2]
    df = ex.read("leo_earnings", columns=["Edukey", "Earnings"], where={"TaxYear": years})
    sql, params = _selects(recorder.log)[-1]
    assert sql == (
        f'SELECT "Edukey", "Earnings" FROM "LEO_i2"."{DEFAULT_SCHEMA}"."leo_earnings" '
        'WHERE "TaxYear" IN (?, ?)'
    )
    assert params == years
    assert list(df.columns) == ["Edukey", "Earnings"]
    expect = world["leo_earnings"][world["leo_earnings"]["TaxYear"].isin(years)]
    assert df["Edukey"].tolist() == expect["Edukey"].tolist()

    lo = datetime.date(2012, 4, 6)
    ex.read("leo_employment", columns=["EduKey"], where={"StartDate": lx.between(lo, None)})
    sql, params = _selects(recorder.log)[-1]
    assert sql.endswith('WHERE ("StartDate" >= ?)') and params == [lo]
    ex.read("leo_employment", columns=["EduKey"], where={"EndDate": lx.between(lo, lo)})
    sql, params = _selects(recorder.log)[-1]
    assert sql.endswith('WHERE ("EndDate" >= ? AND "EndDate" <= ?)') and params == [lo, lo]


def test_dbapi_chunks_are_lazy_and_bounded(recorder, world):
    ex = lx.open_extract(recorder)
    it = ex.chunks("leo_earnings", columns=["Edukey", "TaxYear"], chunksize=4)
    assert not _selects(recorder.log)  # nothing sent before the first chunk is asked for
    first = next(it)
    assert len(first) == 4 and list(first.columns) == ["Edukey", "TaxYear"]
    assert recorder.log.count(("fetchmany", 4)) == 1  # one chunk fetched, not the view
    rest = list(it)
    assert [len(c) for c in rest] == [4, 2]
    whole = pd.concat([first] + rest, ignore_index=True)
    pd.testing.assert_frame_equal(whole, ex.read("leo_earnings", columns=["Edukey", "TaxYear"]))


# ------------------------------------------------------------------------------ chunks
@pytest.mark.parametrize("fmt", ["parquet", "csv", "dta", "duckdb", "dbapi"])
def test_chunks_hold_what_read_gives(folders, fmt):
    if fmt == "dbapi":
        con = lx.connect_duckdb(folders / "duckdb")
        ex = lx.open_extract(Recorder(con))
    else:
        ex = lx.open_extract(folders / fmt)
    cases = [
        ("leo_employment", {}),
        ("leo_earnings", {"columns": ["Edukey", "TaxYear", "Earnings"]}),
        ("hesa", {"columns": ["HE_PUPILMATCHINGREFANONYMOUS", "HE_SEX", "HE_ENDDATE"]}),
        ("spring_census", {"years": [2009, 2016]}),
        ("leo_employment", {"where": {"StartDate": lx.between(datetime.date(2010, 1, 1), None)}}),
    ]
    for view, kw in cases:
        chunks = list(ex.chunks(view, chunksize=3, **kw))
        assert all(len(c) <= 3 for c in chunks), (fmt, view)
        whole = pd.concat(chunks, ignore_index=True)
        pd.testing.assert_frame_equal(
            _norm(whole), _norm(ex.read(view, **kw)), check_exact=True, obj=f"{fmt} {view}"
        )
    # nothing matches: one empty frame with the columns
    none = list(ex.chunks("leo_earnings", columns=["Edukey"], where={"TaxYear": 190001}))
    assert len(none) == 1 and none[0].empty and list(none[0].columns) == ["Edukey"]


def test_chunks_on_the_default_extract_keep_memory_to_a_chunk():
    ex = lx.open_extract(DEFAULT)
    n, biggest = 0, 0
    for ch in ex.chunks("leo_earnings", columns=["Edukey", "Earnings"], chunksize=50_000):
        n += len(ch)
        biggest = max(biggest, len(ch))
    assert n == ex.read("leo_earnings", columns=["Edukey"]).shape[0] and biggest <= 50_000
    with pytest.raises(lx.ExtractError, match="chunksize must be a positive"):
        next(ex.chunks("leo_earnings", chunksize=0))


# ------------------------------------------------------------------------------ Parquet
def test_parquet_filters_are_pushed_to_the_scan(monkeypatch):
    import pyarrow.parquet as pq

    calls = []
    real = pq.read_table

    def spy(*a, **kw):
        calls.append(kw.get("filters"))
        return real(*a, **kw)

    monkeypatch.setattr(pq, "read_table", spy)
    ex = lx.open_extract(DEFAULT)
    everything = ex.read("leo_earnings", columns=["Edukey", "TaxYear", "Earnings"])
    years = [201516, 201617]
    got = ex.read("leo_earnings", columns=["Edukey", "Earnings"], where={"TaxYear": years})
    assert calls[-1] is not None and "is_in" in str(calls[-1]) and "TaxYear" in str(calls[-1])
    expect = everything[everything["TaxYear"].isin(years)][["Edukey", "Earnings"]]
    pd.testing.assert_frame_equal(got, expect.reset_index(drop=True))
    # a range on dates is pushed too, and gives what a pandas filter of everything gives
    lo, hi = datetime.date(2012, 4, 6), datetime.date(2013, 4, 5)
    emp = ex.read("leo_employment")
    got = ex.read(
        "leo_employment", where={"StartDate": lx.between(None, hi), "EndDate": lx.between(lo, None)}
    )
    assert ">=" in str(calls[-1]) and "<=" in str(calls[-1])
    keep = emp["StartDate"].map(lambda d: d <= hi) & emp["EndDate"].map(lambda d: d >= lo)
    pd.testing.assert_frame_equal(got, emp[keep].reset_index(drop=True))
    assert 0 < len(got) < len(emp)
    # a value of another kind could never match: an error, not a silently empty frame
    with pytest.raises(lx.ExtractError, match="TaxYear.*'201516' is not a whole number"):
        ex.read("leo_earnings", columns=["Edukey"], where={"TaxYear": "201516"})


# ------------------------------------------------------------------------------ DuckDB relations
def test_relation_sql_reads_only_the_columns_with_a_where():
    ex = lx.open_extract(DEFAULT)
    cols = ["Edukey", "TaxYear", "Earnings"]
    sql = ex.relation_sql("leo_earnings", columns=cols, where={"TaxYear": [201516, 201617]})
    assert sql.startswith('SELECT "Edukey" AS "Edukey", "TaxYear" AS "TaxYear", "Earnings"')
    assert "main_enterprise" not in sql and sql.endswith('WHERE "TaxYear" IN (201516, 201617)')
    rel = ex.relation("leo_earnings", columns=cols, where={"TaxYear": [201516, 201617]})
    plan = rel.explain()
    scan = plan[plan.index("READ_PARQUET") :]
    assert "TaxYear IN (201516, 201617)" in scan  # the filter reaches the Parquet scan
    assert "main_enterprise" not in plan
    got = rel.df()
    want = ex.read("leo_earnings", columns=cols, where={"TaxYear": [201516, 201617]})
    pd.testing.assert_frame_equal(_norm(got), _norm(want), check_exact=True)
    assert [str(t) for t in rel.types] == ["VARCHAR", "BIGINT", "BIGINT"]


def test_relation_equals_read_on_every_source(folders, world):
    con = duckdb.connect()
    for db, name in (("LEO_i2", "LEO_i2_p1"), ("NPD_i2", "NPD_i2"), ("HESA_i2", "HESA_i2")):
        con.execute(f"ATTACH '{folders / 'duckdb' / (db + '.duckdb')}' AS \"{name}\" (READ_ONLY)")
    server = lx.open_extract(con, schema=DEFAULT_SCHEMA, databases={"LEO_i2": "LEO_i2_p1"})
    ref = lx.open_extract(folders / "parquet")
    lo = datetime.date(2009, 1, 1)
    for ex in (ref, lx.open_extract(folders / "csv"), lx.open_extract(folders / "duckdb"), server):
        for name in ("leo_employment", "leo_earnings", "learner_ae_id_to_pmr_lookup"):
            pd.testing.assert_frame_equal(
                _norm(ex.relation(name).df()), _norm(ref.read(name)), obj=f"{ex.where} {name}"
            )
        kw = {"columns": ["HE_PUPILMATCHINGREFANONYMOUS", "HE_SEX", "HE_ENDDATE", "HE_XLEV601"]}
        pd.testing.assert_frame_equal(
            _norm(ex.relation("hesa", **kw).df()), _norm(ref.read("hesa", **kw)), obj=ex.where
        )
        where = {"HE_SEXID": 2}
        pd.testing.assert_frame_equal(
            _norm(ex.relation("hesa", where=where, **kw).df()),
            _norm(ref.read("hesa", where=where, **kw)),
        )
        w = {"StartDate": lx.between(lo, None)}
        pd.testing.assert_frame_equal(
            _norm(ex.relation("leo_employment", where=w).df()),
            _norm(ref.read("leo_employment", where=w)),
        )
    # SQL text filters on the relation's (registry) names
    rel = ref.relation("leo_earnings", where='"TaxYear" >= 201718')
    assert (rel.df()["TaxYear"] >= 201718).all()
    con.close()


def test_relation_refuses_sources_duckdb_cannot_read(folders, world):
    import sqlite3

    sq = sqlite3.connect(":memory:")
    ex = lx.open_extract(sq, schema=DEFAULT_SCHEMA)
    with pytest.raises(lx.ExtractError, match="relation\\(\\) and duckdb\\(\\) need DuckDB"):
        ex.relation("leo_earnings")
    with pytest.raises(lx.ExtractError, match="need DuckDB or a folder of Parquet or CSV"):
        lx.open_extract(folders / "dta").relation("leo_earnings")


def test_bad_where_values_have_one_clear_message():
    ex = lx.open_extract(DEFAULT)
    with pytest.raises(lx.ExtractError, match="give at least one end"):
        lx.between()
    with pytest.raises(lx.ExtractError, match="hi is below lo"):
        lx.between(201819, 201516)
    with pytest.raises(lx.ExtractError, match="cannot be compared"):
        lx.between(1, "a")
    with pytest.raises(lx.ExtractError, match="got a dict"):
        ex.read("leo_earnings", where={"TaxYear": {"from": 2015}})
    with pytest.raises(lx.ExtractError, match="has no column 'TaxYr'"):
        ex.relation("leo_earnings", where={"TaxYr": 201516})
    with pytest.raises(lx.ExtractError, match="StartDate.*'2015' is not a date"):
        ex.read("leo_employment", where={"StartDate": lx.between("2015", None)})
    # ISO text for a date column is read as the date it names
    text = ex.read("leo_employment", where={"StartDate": lx.between("2015-01-01", None)})
    date = ex.read(
        "leo_employment", where={"StartDate": lx.between(datetime.date(2015, 1, 1), None)}
    )
    pd.testing.assert_frame_equal(text, date)
    assert 0 < len(date)
    assert np.isin(
        ex.read("leo_earnings", columns=["TaxYear"], where={"TaxYear": lx.between(201920, None)})[
            "TaxYear"
        ],
        [201920, 202021],
    ).all()


def test_chunks_bound_the_memory_a_read_takes():
    """tracemalloc sees numpy and Python objects: a chunked pass peaks at a fraction of a read."""
    import tracemalloc

    ex = lx.open_extract(DEFAULT)
    cols = ["Edukey", "TaxYear", "Earnings"]
    tracemalloc.start()
    try:
        whole = ex.read("leo_earnings", columns=cols)
        n_whole = len(whole)
        del whole
        _, peak_read = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        n = 0
        for ch in ex.chunks("leo_earnings", columns=cols, chunksize=20_000):
            n += len(ch)
        _, peak_chunks = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == n_whole
    assert peak_chunks < peak_read / 4, (peak_chunks, peak_read)


SRS_CHUNKS = r"""
import datetime, json, sys
sys.path.insert(0, sys.argv[1])
import leokit.extract as lx
ex = lx.open_extract(sys.argv[2])
lo = datetime.date(2010, 1, 1)
out = {
    "chunks": [len(c) for c in ex.chunks("leo_employment", chunksize=3)],
    "between": [str(d) for d in ex.read(
        "leo_employment", where={"StartDate": lx.between(lo, None)})["StartDate"]],
    "family": [len(c) for c in ex.chunks("hesa", columns=["HE_SEX"], chunksize=4)],
    "ints": ex.read("leo_earnings", columns=["TaxYear"],
                    where={"TaxYear": lx.between(None, 201213)})["TaxYear"].tolist(),
}
print(json.dumps(out))
"""


@pytest.mark.srs
def test_chunks_and_between_on_the_srs_profile(folders, tmp_path):
    """chunks() and between() on the CSV path under Python 3.7 + pandas 1.0.1."""
    import importlib.util
    import json

    path = os.path.join(ROOT, "tools", "srs_profile.py")
    spec = importlib.util.spec_from_file_location("srs_profile", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    try:
        tool.build()
    except (tool.NoInterpreter, tool.PinsUnavailable) as exc:
        pytest.skip(f"SRS profile unavailable: {exc}")
    script = tmp_path / "srs_chunks.py"
    script.write_text(SRS_CHUNKS)
    argv = [str(script), os.path.join(ROOT, "src"), str(folders / "csv")]
    res = tool.run_python(f"import sys; sys.argv = {argv!r}; exec(open({str(script)!r}).read())")
    assert res.returncode == 0, res.stdout[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    ex = lx.open_extract(folders / "csv")
    lo = datetime.date(2010, 1, 1)
    assert got["chunks"] == [len(c) for c in ex.chunks("leo_employment", chunksize=3)]
    emp = ex.read("leo_employment", where={"StartDate": lx.between(lo, None)})
    assert got["between"] == [str(d) for d in emp["StartDate"]] and got["between"]
    assert got["family"] == [len(c) for c in ex.chunks("hesa", columns=["HE_SEX"], chunksize=4)]
    ints = ex.read("leo_earnings", columns=["TaxYear"], where={"TaxYear": lx.between(None, 201213)})
    assert got["ints"] == ints["TaxYear"].tolist()
