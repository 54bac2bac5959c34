"""leokit.extract.writer: every format round-trips, manifests are stable, nothing half-written."""

import datetime
import json
import os

import duckdb
import numpy as np
import pandas as pd
import pytest

import leokit.extract as lx
from leokit.extract import writer
from leokit.extract.writer import WriteError, write_extract
from leokit.schema import DEFAULT_SCHEMA, REGISTRY
from leokit.schema.sample import sample_frame, sample_world

YEARS = (2007, 2009, 2012, 2013, 2016)
PARAMS = {"scale": 0.001, "seed": 7, "generator_version": "test"}
TRUTH = {"he_effect": 0.15, "a_first": {"z": 1, "b": 2}}


@pytest.fixture(scope="module")
def world():
    return sample_world(years=YEARS, n=12, seed=3)


@pytest.fixture(scope="module")
def extracts(world, tmp_path_factory):
    """Each format written once: fmt -> (folder, manifest)."""
    root = tmp_path_factory.mktemp("extracts")
    out = {}
    for fmt in lx.FORMATS:
        path = root / fmt
        out[fmt] = (path, write_extract(world, path, fmt=fmt, truth=TRUTH, params=PARAMS))
    return out


def expected_read(df, name, fmt):
    """What reading `df` back must give, built without leokit.extract."""
    v = REGISTRY.view(name)
    year = REGISTRY.year_of(name) if v.per_year else None
    out = {}
    for c in v.columns_for(year):
        col = c.name_for(year)
        s = df[col]
        if c.kind == "date":
            vals = [None if pd.isna(x) else pd.Timestamp(x).date() for x in s]
            out[col] = pd.Series(vals, dtype=object)
        elif c.kind in ("int", "flag"):
            out[col] = s.astype("Int64") if s.isna().any() else s.astype("int64")
        elif c.kind == "float":
            out[col] = s.astype("float64")
        else:
            vals = [None if x is None else x for x in s]
            if fmt in ("csv", "dta") and c.nullable:
                vals = [None if x == "" else x for x in vals]  # CSV/Stata: blank == NULL
            out[col] = pd.Series(vals, dtype=object)
    return pd.DataFrame(out)


@pytest.mark.parametrize("fmt", lx.FORMATS)
def test_round_trip_equals_what_was_written(extracts, world, fmt):
    path, manifest = extracts[fmt]
    with lx.open_extract(path) as ex:
        assert set(ex.views()) == set(world)
        for name, df in world.items():
            got = ex.read(name)
            pd.testing.assert_frame_equal(got, expected_read(df, name, fmt), obj=f"{fmt} {name}")
            assert lx.content_sha256(got, name) == manifest["tables"][name]["sha256"], name


@pytest.mark.parametrize("fmt", lx.FORMATS)
def test_open_spells_nulls_and_blank_keys_survive(extracts, world, fmt):
    path, _ = extracts[fmt]
    with lx.open_extract(path) as ex:
        emp = ex.read("leo_employment")
        hesa = ex.read("hesa_2013")
    written = world["leo_employment"]["EndDate"]
    n_open = int((written == np.datetime64("9999-12-31")).sum())
    assert n_open > 0
    assert sum(d == datetime.date(9999, 12, 31) for d in emp["EndDate"]) == n_open
    assert all(isinstance(d, datetime.date) for d in emp["StartDate"])
    # nullable int with NULLs comes back as Int64 with the same NULLs
    src = world["hesa_2013"]["HE_XCLASS01"]
    assert str(hesa["HE_XCLASS01"].dtype) == "Int64"
    assert hesa["HE_XCLASS01"].isna().tolist() == src.isna().tolist()
    # NULL dates are None, blank keys stay ''
    assert hesa["HE_ENDDATE"].isna().sum() == world["hesa_2013"]["HE_ENDDATE"].isna().sum()
    pmr = world["hesa_2013"]["HE_PUPILMATCHINGREFANONYMOUS"]
    assert (pmr == "").sum() > 0
    assert (hesa["HE_PUPILMATCHINGREFANONYMOUS"] == "").sum() == (pmr == "").sum()


def test_manifest_checksums_same_when_written_twice_and_across_formats(world, extracts, tmp_path):
    again = write_extract(world, tmp_path / "again", fmt="parquet", truth=TRUTH, params=PARAMS)
    first_path, first = extracts["parquet"]
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (
        first_path / "manifest.json"
    ).read_bytes()
    assert again == first
    for name in world:  # deterministic parquet bytes
        a = (tmp_path / "again" / f"{name}.parquet").read_bytes()
        assert a == (first_path / f"{name}.parquet").read_bytes(), name
    sums = {
        fmt: {k: t["sha256"] for k, t in m["tables"].items()} for fmt, (_, m) in extracts.items()
    }
    assert sums["parquet"] == sums["csv"] == sums["dta"] == sums["duckdb"]


def test_checksum_sees_a_changed_value(world):
    df = world["leo_earnings"].copy()
    before = lx.content_sha256(df, "leo_earnings")
    df.loc[3, "Earnings"] += 1
    assert lx.content_sha256(df, "leo_earnings") != before
    df = world["leo_employment"].copy()
    before = lx.content_sha256(df, "leo_employment")
    df.loc[0, "EndDate"] = pd.NaT
    assert lx.content_sha256(df, "leo_employment") != before


def test_manifest_and_truth_contents(extracts, world):
    path, m = extracts["csv"]
    on_disk = lx.read_manifest(path)
    assert on_disk == m
    assert m["format"] == "csv" and m["schema"] == DEFAULT_SCHEMA
    assert (m["seed"], m["scale"], m["generator_version"]) == (7, 0.001, "test")
    assert m["leokit_version"]
    t = m["tables"]["spring_census_2009"]
    assert t["rows"] == 12 and t["database"] == "NPD_i2" and t["year"] == 2009
    assert t["columns"][:2] == ["pupilmatchingrefanonymous_spr09", "yearofbirth_spr09"]
    assert t["srs_name"] == f"NPD_i2.{DEFAULT_SCHEMA}.spring_census_2009"
    text = (path / "truth.json").read_text()
    assert json.loads(text) == TRUTH
    assert text == json.dumps(TRUTH, sort_keys=True, indent=2) + "\n"


def test_parquet_layout(extracts):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path, _ = extracts["parquet"]
    meta = pq.read_metadata(path / "leo_employment.parquet")
    assert meta.row_group(0).column(0).compression == "ZSTD"
    schema = pq.read_schema(path / "leo_employment.parquet")
    assert schema.field("EndDate").type == pa.date32()
    assert schema.field("UncertainStartDate").type == pa.int64()
    assert schema.metadata[b"leokit.view"] == b"leo_employment"
    assert sorted(os.listdir(path)) == sorted(
        ["manifest.json", "truth.json"] + [f"{n}.parquet" for n in extracts["parquet"][1]["tables"]]
    )


def test_csv_layout(extracts):
    path, _ = extracts["csv"]
    lines = (path / "leo_employment.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "EduKey,StartDate,EndDate,UncertainStartDate,UncertainEndDate"
    assert any(",9999-12-31," in line for line in lines[1:])
    hesa = (path / "hesa_2013.csv").read_text(encoding="utf-8").splitlines()
    assert any(",," in line for line in hesa[1:])  # NULLs are empty fields


def test_stata_layout(extracts):
    path, m = extracts["dta"]
    raw = (path / "leo_employment.dta").read_bytes()
    assert b"%td" in raw
    with pd.read_stata(path / "hesa_2013.dta", iterator=True) as reader:
        labels = reader.value_labels()
        names = list(reader.variable_labels())
    assert labels["HE_XLEV601"][4] == "first degree"
    assert all(len(n) <= 32 for n in names)
    with pd.read_stata(path / "leo_earnings.dta", iterator=True) as reader:
        names = list(reader.variable_labels())
    long = "tied_main_record_enterprise_sic_fg"
    assert long[:32] in names
    assert m["tables"]["leo_earnings"]["stata_names"] == {long: long[:32]}
    with lx.open_extract(path) as ex:  # and the reader maps it back
        assert long in ex.read("leo_earnings").columns


def test_duckdb_srs_three_part_names(extracts, world):
    path, _ = extracts["duckdb"]
    assert sorted(f for f in os.listdir(path) if f.endswith(".duckdb")) == [
        "HESA_i2.duckdb",
        "LEO_i2.duckdb",
        "NPD_i2.duckdb",
    ]
    con = lx.connect_duckdb(path)
    try:
        for sql, n in [
            (f"SELECT count(*) FROM LEO_i2.{DEFAULT_SCHEMA}.leo_earnings", 12),
            (f"SELECT count(*) FROM NPD_i2.{DEFAULT_SCHEMA}.spring_census_2009", 12),
            (f'SELECT count(*) FROM "HESA_i2"."{DEFAULT_SCHEMA}"."hesa_2012"', 12),
        ]:
            assert con.execute(sql).fetchall() == [(n,)]
        end = con.execute(
            f"SELECT max(EndDate) FROM LEO_i2.{DEFAULT_SCHEMA}.leo_employment"
        ).fetchall()[0][0]
        assert end == datetime.date(9999, 12, 31)
        with pytest.raises(duckdb.Error, match="(?i)read.only"):  # attached read-only
            con.execute(f"DELETE FROM LEO_i2.{DEFAULT_SCHEMA}.leo_earnings")
    finally:
        con.close()


def test_duckdb_schema_override(world, tmp_path):
    small = {k: world[k] for k in ("leo_earnings", "hesa_2012")}
    write_extract(small, tmp_path / "db", fmt="duckdb", schema="p2002237")
    con = lx.connect_duckdb(tmp_path / "db")
    try:
        assert con.execute("SELECT count(*) FROM LEO_i2.p2002237.leo_earnings").fetchall() == [
            (12,)
        ]
    finally:
        con.close()
    with lx.open_extract(tmp_path / "db") as ex:  # schema comes from the manifest
        assert ex.views() == ["leo_earnings", "hesa_2012"]
        assert len(ex.read("hesa")) == 12


def test_refuses_a_non_empty_folder_that_is_not_an_extract(world, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(WriteError) as e:
        write_extract(world, out, fmt="csv")
    msg = str(e.value)
    assert "refusing" in msg and str(out) in msg and "manifest.json" in msg
    assert os.listdir(out) == ["thesis.docx"]
    assert os.listdir(tmp_path) == ["mine"]


def test_replaces_a_previous_extract_and_accepts_an_empty_folder(world, tmp_path):
    out = tmp_path / "ex"
    out.mkdir()
    write_extract({"leo_earnings": world["leo_earnings"]}, out, fmt="parquet")
    write_extract({"hesa_2012": world["hesa_2012"]}, out, fmt="csv")
    assert sorted(os.listdir(out)) == ["hesa_2012.csv", "manifest.json"]
    assert sorted(os.listdir(tmp_path)) == ["ex"]  # no temporary folders left


def test_extract_writer_leaves_nothing_when_its_caller_fails(world, tmp_path):
    with pytest.raises(RuntimeError, match="generator"):
        with writer.ExtractWriter(tmp_path / "new" / "ex") as w:
            w.add("leo_earnings", world["leo_earnings"])
            raise RuntimeError("generator failed")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("fmt", ["parquet", "duckdb"])
def test_extract_writer_refuses_a_table_twice(world, tmp_path, fmt):
    with pytest.raises(WriteError, match="leo_earnings.*twice"):
        with writer.ExtractWriter(tmp_path / "ex", fmt=fmt) as w:
            w.add("leo_earnings", world["leo_earnings"])
            w.add("leo_earnings", world["leo_earnings"])
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("previous", [False, True])
def test_failure_mid_write_leaves_out_unchanged(world, tmp_path, monkeypatch, previous):
    out = tmp_path / "ex"
    if previous:
        write_extract({"leo_earnings": world["leo_earnings"]}, out, fmt="parquet")
        before = {p: (out / p).read_bytes() for p in os.listdir(out)}
    calls = []
    real = writer.FILE_WRITERS["parquet"]

    def flaky(df, v, year, name, folder):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("disk full (simulated)")
        real(df, v, year, name, folder)

    monkeypatch.setitem(writer.FILE_WRITERS, "parquet", flaky)
    with pytest.raises(OSError, match="simulated"):
        write_extract(world, out, fmt="parquet", truth=TRUTH)
    assert len(calls) == 3
    assert sorted(os.listdir(tmp_path)) == (["ex"] if previous else [])
    if previous:
        assert {p: (out / p).read_bytes() for p in os.listdir(out)} == before


def test_bad_format_and_malformed_tables(world, tmp_path):
    with pytest.raises(WriteError, match="unknown format 'xlsx'.*parquet, csv, dta, duckdb"):
        write_extract(world, tmp_path / "x", fmt="xlsx")
    bad = world["leo_earnings"].drop(columns=["TaxYear"])
    with pytest.raises(WriteError, match="leo_earnings.*missing columns TaxYear"):
        write_extract({"leo_earnings": bad}, tmp_path / "x")
    with pytest.raises(WriteError, match="not a view the schema registry knows"):
        write_extract({"leo_earnigs": world["leo_earnings"]}, tmp_path / "x")
    typed = world["leo_earnings"].copy()
    typed["Earnings"] = typed["Earnings"].astype(object)
    typed.loc[2, "Earnings"] = "lots"
    with pytest.raises(WriteError) as e:
        write_extract({"leo_earnings": typed}, tmp_path / "x")
    assert "Earnings" in str(e.value) and "int" in str(e.value) and "'lots'" in str(e.value)
    assert not (tmp_path / "x").exists()


def test_writes_a_file_target_refused(world, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(WriteError, match="is a file"):
        write_extract({"leo_earnings": world["leo_earnings"]}, target)


def test_extra_files_get_the_manifest(world, tmp_path):
    write_extract(
        {"leo_earnings": sample_frame("leo_earnings", n=5)},
        tmp_path / "ex",
        extra_files={
            "README.md": lambda m: "rows: {}\n".format(m["tables"]["leo_earnings"]["rows"])
        },
    )
    assert (tmp_path / "ex" / "README.md").read_text() == "rows: 5\n"
