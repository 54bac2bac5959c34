"""leokit.extract: one reader for folders, DuckDB and DB-API servers; stacking; clear errors."""

import datetime
import json
import os
import sys
import textwrap
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

import leokit.extract as lx
from leokit.extract.writer import write_extract
from leokit.schema import DEFAULT_SCHEMA
from leokit.schema.sample import sample_world

YEARS = (2007, 2009, 2012, 2013, 2016)
SRC = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "src"
)


@pytest.fixture(scope="module")
def world():
    return sample_world(years=YEARS, n=10, seed=11)


@pytest.fixture(scope="module")
def folders(world, tmp_path_factory):
    root = tmp_path_factory.mktemp("ex")
    for fmt in ("parquet", "csv", "duckdb", "dta"):
        write_extract(world, root / fmt, fmt=fmt, params={"seed": 1, "scale": 0.1})
    return root


@pytest.fixture()
def server(folders):
    """A DuckDB connection standing in for SQL Server: same three-part names, and the LEO
    database attached under another name to exercise the `databases` mapping."""
    con = duckdb.connect()
    for db, name in (("LEO_i2", "LEO_i2_p1"), ("NPD_i2", "NPD_i2"), ("HESA_i2", "HESA_i2")):
        con.execute(f"ATTACH '{folders / 'duckdb' / (db + '.duckdb')}' AS \"{name}\" (READ_ONLY)")
    yield con
    con.close()


def open_server(con, **kw):
    return lx.open_extract(con, schema=DEFAULT_SCHEMA, databases={"LEO_i2": "LEO_i2_p1"}, **kw)


# ------------------------------------------------------------------------------ paths agree
@pytest.mark.parametrize("fmt", ["csv", "duckdb", "dbapi"])
def test_every_path_reads_the_same_frames(folders, server, world, fmt):
    ref = lx.open_extract(folders / "parquet")
    ex = open_server(server, chunksize=3) if fmt == "dbapi" else lx.open_extract(folders / fmt)
    assert ex.views() == ref.views()
    for name in world:
        pd.testing.assert_frame_equal(ex.read(name), ref.read(name), obj=f"{fmt} {name}")
    for family in ("hesa", "spring_census"):
        pd.testing.assert_frame_equal(ex.read(family), ref.read(family), obj=f"{fmt} {family}")


def test_read_types(folders):
    ex = lx.open_extract(folders / "parquet")
    emp = ex.read("leo_employment")
    assert emp["EndDate"].dtype == object
    assert {type(d) for d in emp["EndDate"]} == {datetime.date}
    assert emp["UncertainStartDate"].dtype == np.int64
    earn = ex.read("leo_earnings")
    assert str(earn["tied_main_record_enterprise_sic_fg"].dtype) == "Int64"
    assert str(earn["enterprise_earnings"].dtype) == "Int64"  # whole pounds, NULL without an ENTKEY
    assert earn["main_enterprise"].dtype == object
    assert None in earn["main_enterprise"].tolist()


def test_columns_case_insensitive_in_registry_casing(folders, server):
    for ex in (lx.open_extract(folders / "csv"), open_server(server)):
        df = ex.read("LEO_EARNINGS", columns=["edukey", "TAXYEAR", "earnings"])
        assert list(df.columns) == ["Edukey", "TaxYear", "Earnings"]
        df = ex.read("spring_census_2009", columns=["FSMELIGIBLE_SPR09", "fsmeligible"])
        assert list(df.columns) == ["fsmeligible_spr09"]  # the same column, once


def test_stacking_renames_and_fills_null(folders, world):
    ex = lx.open_extract(folders / "parquet")
    hesa = ex.read("hesa")
    assert list(hesa.columns[:3]) == ["year", "HE_PUPILMATCHINGREFANONYMOUS", "HE_PROVIDER"]
    assert hesa["year"].tolist() == [y for y in YEARS for _ in range(10)]
    assert "HE_GENDER" not in hesa.columns and "HE_SEXID" not in hesa.columns
    early = hesa[hesa.year <= 2012]["HE_SEX"].dropna()
    late = hesa[hesa.year >= 2013]["HE_SEX"].dropna()
    assert set(early) <= {"M", "F"} and set(late) <= {1, 2}
    # HE_INSTID_ANON (to 2007) and HE_XINSTID01__ANON (2008+) are one column
    assert (
        hesa.loc[hesa.year == 2007, "HE_PROVIDER"].tolist()
        == world["hesa_2007"]["HE_INSTID_ANON"].tolist()
    )
    assert (
        hesa.loc[hesa.year == 2013, "HE_PROVIDER"].tolist()
        == world["hesa_2013"]["HE_XINSTID01__ANON"].tolist()
    )
    # HE_COURSEAIM starts in 2008: NULL in 2007
    assert hesa.loc[hesa.year == 2007, "HE_COURSEAIM"].isna().all()
    assert hesa.loc[hesa.year == 2009, "HE_COURSEAIM"].notna().all()
    # end dates: HE_DATELEFT (to 2007) and HE_ENDDATE (2008+) stacked, 9999 and None kept
    assert {type(d) for d in hesa["HE_ENDDATE"].dropna()} == {datetime.date}

    sc = ex.read(
        "spring_census",
        columns=["PupilMatchingRefAnonymous", "fsmeligible", "lsoa", "everfsm_6"],
        years=[2009, 2016],
    )
    assert list(sc.columns) == [
        "year",
        "pupilmatchingrefanonymous",
        "fsmeligible",
        "lsoa",
        "everfsm_6",
    ]
    assert sc.year.tolist() == [2009] * 10 + [2016] * 10
    # llsoa (to 2009), lsoa01 (2010-13) and lsoa11 (2014+) are one column: lsoa
    llsoa = world["spring_census_2009"]["llsoa_spr09"].tolist()
    assert sc.loc[sc.year == 2009, "lsoa"].tolist() == llsoa
    assert (
        sc.loc[sc.year == 2016, "lsoa"].tolist()
        == world["spring_census_2016"]["lsoa11_spr16"].tolist()
    )
    assert str(sc["everfsm_6"].dtype) == "Int64"
    assert sc.loc[sc.year == 2009, "everfsm_6"].isna().all()
    fsm = world["spring_census_2009"]["fsmeligible_spr09"]
    assert sc.loc[sc.year == 2009, "fsmeligible"].isna().tolist() == fsm.isna().tolist()


def test_family_year_in_columns_and_where(folders):
    ex = lx.open_extract(folders / "csv")
    df = ex.read("hesa", columns=["year", "he_sex"], where={"YEAR": [2012, 2013]})
    assert list(df.columns) == ["year", "HE_SEX"]
    assert df["year"].tolist() == [2012] * 10 + [2013] * 10
    with pytest.raises(lx.ExtractError, match="select no year"):
        ex.read("hesa", years=[2007], where={"year": 2013})
    with pytest.raises(lx.ExtractError, match="columns` is empty"):
        ex.read("leo_earnings", columns=[])


def test_where_filters_on_every_path(folders, server, world):
    years = sorted(set(world["leo_earnings"]["TaxYear"]))[:3]
    expect = world["leo_earnings"][world["leo_earnings"]["TaxYear"].isin(years)]
    for ex in (
        lx.open_extract(folders / "parquet"),
        lx.open_extract(folders / "csv"),
        open_server(server),
    ):
        got = ex.read("leo_earnings", columns=["Edukey"], where={"taxyear": years})
        assert got["Edukey"].tolist() == expect["Edukey"].tolist()
        one = ex.read("hesa", columns=["HE_XLEV601"], where={"HE_XLEV601": 4})
        assert set(one["HE_XLEV601"]) <= {4}
        # a column a year lacks: that year has no matching rows
        sex = ex.read("hesa", columns=["HE_SEX"], where={"HE_SEXID": 2})
        assert set(sex["year"]) <= {2013, 2016} and set(sex["HE_SEX"]) == {2}
    sql = open_server(server).read(
        "leo_earnings",
        columns=["Edukey"],
        where='"TaxYear" IN ({})'.format(", ".join(map(str, years))),
    )
    assert sql["Edukey"].tolist() == expect["Edukey"].tolist()


# ------------------------------------------------------------------------------ errors
def test_missing_view_names_it_where_and_what_is_there(folders, server):
    path = folders / "parquet"
    ex = lx.open_extract(path)
    with pytest.raises(lx.ExtractError) as e:
        ex.read("leo_earnigs")
    msg = str(e.value)
    assert "'leo_earnigs'" in msg and str(path) in msg
    listing = msg.split("Available")[1]
    assert listing.index("leo_earnings") < listing.index("learner_ae_id_to_pmr_lookup")
    with pytest.raises(lx.ExtractError) as e:
        ex.read("hesa_2010")  # a real year the extract lacks
    assert "'hesa_2010'" in str(e.value) and "hesa_2009" in str(e.value)
    with pytest.raises(lx.ExtractError) as e:
        open_server(server).read("hesa_2010")
    assert "schema leo_synth" in str(e.value) and "hesa_2012" in str(e.value)
    with pytest.raises(lx.ExtractError) as e:
        ex.read("hesa", years=[2009, 2011])
    assert "2011" in str(e.value) and "available years: 2007, 2009, 2012, 2013, 2016" in str(
        e.value
    )
    assert e.value.__context__ is None or e.value.__suppress_context__


def test_missing_column_names_view_column_and_columns(folders, server):
    for ex in (lx.open_extract(folders / "csv"), open_server(server)):
        with pytest.raises(lx.ExtractError) as e:
            ex.read("leo_earnings", columns=["Edukey", "Earning"])
        msg = str(e.value)
        assert "leo_earnings" in msg and "'Earning'" in msg and "TaxYear" in msg
        assert msg.split("Its columns: ")[1].startswith("Earnings")
        with pytest.raises(lx.ExtractError) as e:
            ex.read("hesa_2013", columns=["HE_GENDER"])  # exists only to 2012
        assert "hesa_2013" in str(e.value) and "HE_GENDER" in str(e.value)
        with pytest.raises(lx.ExtractError) as e:
            ex.read("hesa", columns=["HE_SHOESIZE"])
        assert "hesa" in str(e.value) and "HE_SHOESIZE" in str(e.value) and "HE_SEX" in str(e.value)


def test_column_the_registry_declares_but_the_view_lacks(folders, world, tmp_path):
    df = world["leo_earnings"].drop(columns=["Num_SIC"])
    os.makedirs(tmp_path / "x")
    df.to_csv(tmp_path / "x" / "leo_earnings.csv", index=False)
    ex = lx.open_extract(tmp_path / "x")
    with pytest.raises(lx.ExtractError) as e:  # never a frame silently short of a column
        ex.read("leo_earnings")
    assert "leo_earnings" in str(e.value) and "Num_SIC" in str(e.value)
    assert "Num_SIC" not in ex.read("leo_earnings", validate=False).columns  # what is there
    assert list(ex.read("leo_earnings", columns=["Edukey", "Earnings"]).columns) == [
        "Edukey",
        "Earnings",
    ]
    with pytest.raises(lx.ExtractError) as e:
        ex.read("leo_earnings", columns=["Num_SIC"])
    assert "Num_SIC" in str(e.value) and "registry declares it" in str(e.value)


@pytest.mark.parametrize("fmt", ["csv", "dta"])
def test_a_renamed_column_is_named_with_its_close_match(world, tmp_path, fmt):
    df = world["leo_earnings"].rename(columns={"Earnings": "Earning"})
    os.makedirs(tmp_path / "x")
    if fmt == "csv":
        df.to_csv(tmp_path / "x" / "leo_earnings.csv", index=False)
    else:
        with warnings.catch_warnings():  # pandas cuts a long name to Stata's 32 characters
            warnings.simplefilter("ignore")
            df.to_stata(tmp_path / "x" / "leo_earnings.dta", write_index=False)
    ex = lx.open_extract(tmp_path / "x")
    with pytest.raises(lx.ExtractError) as e:
        ex.read("leo_earnings")
    msg = str(e.value)
    assert "view leo_earnings" in msg and "Earnings (closest: Earning)" in msg
    with pytest.raises(lx.ExtractError, match="Earnings"):
        list(ex.chunks("leo_earnings"))


def test_wrong_type_names_view_column_expected_and_found(world, tmp_path):
    os.makedirs(tmp_path / "x")
    df = world["leo_employment"].copy()
    df["StartDate"] = df["StartDate"].astype(str)
    df.loc[4, "StartDate"] = "last spring"
    df.to_csv(tmp_path / "x" / "leo_employment.csv", index=False)
    e2 = world["leo_earnings"].astype(object)
    e2.loc[1, "Earnings"] = "12k"
    e2.to_csv(tmp_path / "x" / "leo_earnings.csv", index=False)
    ex = lx.open_extract(tmp_path / "x")
    with pytest.raises(lx.ExtractError) as e:
        ex.read("leo_employment")
    msg = str(e.value)
    assert "leo_employment" in msg and "StartDate" in msg and "expected date (date)" in msg
    assert "'last spring'" in msg and str(tmp_path / "x") in msg
    assert e.value.__context__ is None or e.value.__suppress_context__
    with pytest.raises(
        lx.ExtractError,
        match=r"leo_earnings, column Earnings: expected int \(int\) but found text \(e.g. '12k'\)",
    ):
        ex.read("leo_earnings", columns=["Earnings"])
    # validate=False hands the column back as it is
    raw = ex.read("leo_earnings", columns=["Earnings"], validate=False)
    assert "12k" in raw["Earnings"].tolist()


def test_a_file_the_registry_does_not_know_is_read_as_stored(folders, tmp_path):
    os.makedirs(tmp_path / "x")
    pd.DataFrame({"learner_id": ["a", "b"], "Year": ["2002", "2003"]}).to_csv(
        tmp_path / "x" / "lilr_learners.csv", index=False
    )
    ex = lx.open_extract(tmp_path / "x")
    assert ex.views() == ["lilr_learners"]
    assert ex.read("lilr_learners", columns=["YEAR"])["Year"].tolist() == ["2002", "2003"]
    with pytest.raises(lx.ExtractError, match="lilr_learnrs"):
        ex.read("lilr_learnrs")


def test_where_text_needs_a_database_and_bad_sources(folders, tmp_path):
    with pytest.raises(lx.ExtractError, match="pass a dict"):
        lx.open_extract(folders / "parquet").read("leo_earnings", where="TaxYear > 1")
    with pytest.raises(lx.ExtractError, match="does not exist"):
        lx.open_extract(tmp_path / "nowhere")
    os.makedirs(tmp_path / "empty")
    with pytest.raises(lx.ExtractError, match="found no .parquet"):
        lx.open_extract(tmp_path / "empty")


def test_conform_and_checksum_on_plain_frames(world):
    df = world["hesa_2013"]
    c = lx.conform(df.rename(columns=str.lower), "hesa_2013")
    assert list(c.columns) == list(df.columns)
    assert lx.content_sha256(c, "hesa_2013") == lx.content_sha256(df, "hesa_2013")


# ------------------------------------------------------------------------------ SRS profile
SRS_SCRIPT = textwrap.dedent(
    r"""
    import json, os, re, sqlite3, sys
    sys.path.insert(0, sys.argv[1])
    import pandas as pd
    import leokit.extract as lx

    folder, dbdir = sys.argv[2], sys.argv[3]
    ex = lx.open_extract(folder)
    out = {"pandas": pd.__version__, "python": list(sys.version_info[:2])}
    out["earn"] = ex.read("leo_earnings").astype(object).where(lambda d: d.notna(), None).values.tolist()
    hesa = ex.read("hesa", columns=["HE_SEX", "HE_ENDDATE", "HE_XCLASS01"])
    out["hesa_dtypes"] = [str(t) for t in hesa.dtypes]
    out["hesa"] = [[None if pd.isna(v) else str(v) for v in row] for row in hesa.values.tolist()]

    # a DB-API server on sqlite: rewrite "db"."schema"."view" to "db"."view"
    class Cursor(object):
        def __init__(self, cur):
            self.cur = cur
        def execute(self, sql, params=None):
            sql = re.sub(r'"(\w+)"\."\w+"\."(\w+)"', r'"\1"."\2"', sql)
            if "INFORMATION_SCHEMA" in sql.upper():
                raise RuntimeError("no information schema here")
            return self.cur.execute(sql, params or [])
        def __getattr__(self, name):
            return getattr(self.cur, name)
    class Conn(object):
        def __init__(self, con):
            self.con = con
        def cursor(self):
            return Cursor(self.con.cursor())
    con = sqlite3.connect(":memory:")
    for db in ("LEO_i2", "NPD_i2", "HESA_i2"):
        con.execute("ATTACH '%s' AS \"%s\"" % (os.path.join(dbdir, db + ".sqlite"), db))
    srv = lx.open_extract(Conn(con), chunksize=3)
    out["srv_views"] = srv.views()
    out["srv_earn"] = srv.read("leo_earnings").astype(object).where(lambda d: d.notna(), None).values.tolist()
    out["srv_emp_end"] = [str(d) for d in srv.read("leo_employment")["EndDate"]]
    out["heavy"] = [m for m in ("pyarrow", "duckdb", "pandera", "tqdm") if m in sys.modules]
    print(json.dumps(out, default=str))
    """
)


def _srs_tool():
    """tools/srs_profile.py (builds or reuses .srs-venv: Python 3.7, pandas 1.0.1)."""
    import importlib.util

    path = os.path.join(os.path.dirname(SRC), "tools", "srs_profile.py")
    if not os.path.exists(path):
        pytest.skip("tools/srs_profile.py is not there")
    spec = importlib.util.spec_from_file_location("srs_profile", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    try:
        tool.build()
    except (tool.NoInterpreter, tool.PinsUnavailable) as exc:
        pytest.skip(f"SRS profile unavailable: {exc}")
    return tool


@pytest.mark.srs
def test_csv_and_dbapi_paths_on_the_srs_profile(folders, world, tmp_path):
    """The folder-of-CSV and DB-API paths under Python 3.7 + pandas 1.0.1 read what the
    current stack reads (the DB-API server is sqlite behind a three-part-name shim)."""
    import sqlite3

    from leokit.schema import REGISTRY

    tool = _srs_tool()
    dbdir = tmp_path / "sqlite"
    dbdir.mkdir()
    ex = lx.open_extract(folders / "parquet")
    for db in ("LEO_i2", "NPD_i2", "HESA_i2"):
        con = sqlite3.connect(str(dbdir / (db + ".sqlite")))
        for name in ex.views():
            if REGISTRY.view(name).database == db:
                df = ex.read(name)
                for c in df.columns:
                    if df[c].dtype == object:
                        df[c] = [
                            v.isoformat() if isinstance(v, datetime.date) else v for v in df[c]
                        ]
                df.to_sql(name, con, index=False)
        con.commit()
        con.close()
    script = tmp_path / "srs.py"
    script.write_text(SRS_SCRIPT)
    code = "import sys; sys.argv = {!r}; exec(open({!r}).read())".format(
        [str(script), SRC, str(folders / "csv"), str(dbdir)], str(script)
    )
    res = tool.run_python(code)
    assert res.returncode == 0, res.stdout[-4000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["python"][:2] == [3, 7] and out["pandas"].startswith("1.0")
    earn = ex.read("leo_earnings").astype(object).where(lambda d: d.notna(), None).values.tolist()
    assert json.loads(json.dumps(earn, default=str)) == out["earn"] == out["srv_earn"]
    hesa = ex.read("hesa", columns=["HE_SEX", "HE_ENDDATE", "HE_XCLASS01"])
    assert out["hesa_dtypes"] == [str(t) for t in hesa.dtypes]
    assert out["hesa"] == [
        [None if pd.isna(v) else str(v) for v in row] for row in hesa.values.tolist()
    ]
    assert out["srv_views"] == ex.views()
    assert "9999-12-31" in out["srv_emp_end"]
    assert out["heavy"] == []  # pyarrow, duckdb, pandera are imported only where needed


def test_package_avoids_py38_syntax():
    """The modules `import leokit.extract` loads (all but writer/ and validate.py) must import
    on Python 3.7: compile each with the 3.7 grammar."""
    import ast

    folder = os.path.join(SRC, "leokit", "extract")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".py") and n != "validate.py")
    assert {"__init__.py", "core.py", "sources.py", "plans.py"} <= set(names)
    for name in names:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            source = f.read()
        ast.parse(source, filename=name, feature_version=(3, 7))
        assert ":=" not in source, name
    assert sys.version_info >= (3, 8)  # the check above is only meaningful on a newer parser


SRS_BAD_INPUT = textwrap.dedent(
    r"""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import leokit.extract as lx

    good, renamed = sys.argv[2], sys.argv[3]
    ex = lx.open_extract(good)
    cases = {
        "renamed": lambda: lx.open_extract(renamed).read("leo_earnings"),
        "where-text": lambda: ex.read("leo_earnings", where={"TaxYear": "201819"}),
        "where-none": lambda: ex.read("leo_earnings", where={"TaxYear": None}),
        "columns": lambda: ex.read("leo_earnings", columns=[1]),
        "years": lambda: ex.read("hesa", years=["2013"]),
        "source": lambda: lx.open_extract(None),
        "odbc": lambda: lx.open_parameter({"odbc": 5}),
        "no-pyodbc": lambda: lx.open_parameter({"odbc": "DSN=srs"}),
    }
    out = {}
    for name, call in cases.items():
        try:
            call()
            out[name] = "no error"
        except lx.ExtractError as e:
            out[name] = str(e)
        except Exception as e:
            out[name] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out))
    """
)


@pytest.mark.srs
def test_bad_input_on_the_srs_profile(world, tmp_path):
    """The CSV path's bad-input errors under Python 3.7 + pandas 1.0.1, as on the current stack."""
    tool = _srs_tool()
    write_extract(world, tmp_path / "csv", fmt="csv")
    os.makedirs(tmp_path / "renamed")
    world["leo_earnings"].rename(columns={"Earnings": "Earning"}).to_csv(
        tmp_path / "renamed" / "leo_earnings.csv", index=False
    )
    script = tmp_path / "bad.py"
    script.write_text(SRS_BAD_INPUT)
    code = "import sys; sys.argv = {!r}; exec(open({!r}).read())".format(
        [str(script), SRC, str(tmp_path / "csv"), str(tmp_path / "renamed")], str(script)
    )
    res = tool.run_python(code)
    assert res.returncode == 0, res.stdout[-4000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    expected = {
        "renamed": "Earnings (closest: Earning)",
        "where-text": "'201819' is not a whole number",
        "where-none": "None/NaN cannot be matched",
        "columns": "columns are names as text",
        "years": "expected whole years",
        "source": "source = None",
        "odbc": "extract['odbc'] = 5",
    }
    for name, text in expected.items():
        assert text in out[name], (name, out[name])
    # without pyodbc, or with it and no such data source: one line either way
    assert "pyodbc is not installed" in out["no-pyodbc"] or "connection failed" in out["no-pyodbc"]
