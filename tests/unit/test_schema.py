"""Sample frames, pandera validation from the registry, and the data card."""

import datetime

import numpy as np
import pandas as pd
import pytest

import leokit.extract as lx
from leokit.datacard import observed_missingness, render_datacard
from leokit.extract.validate import validate_extract
from leokit.extract.writer import ExtractWriter, write_extract
from leokit.schema import REGISTRY
from leokit.schema.sample import sample_frame, sample_world
from leokit.schema.validate import build_schema, validate_table


# ------------------------------------------------------------------------------ samples
def test_sample_frames_match_the_registry_for_every_view_and_year():
    for v in REGISTRY:
        for year in v.all_years():
            df = sample_frame(v, n=15, year=year, seed=1)
            assert list(df.columns) == [c.name_for(year) for c in v.columns_for(year)]
            assert len(df) == 15
            for c in v.columns_for(year):
                s = df[c.name_for(year)]
                if c.kind == "date":
                    assert str(s.dtype) == "datetime64[s]"
                elif c.kind in ("int", "flag"):
                    assert str(s.dtype) in ("int64", "Int64")
                elif c.kind == "float":
                    assert s.dtype == np.float64
                else:
                    assert s.dtype == object
                if not c.nullable:
                    assert s.notna().all(), (v.name, year, c.name)
            name = v.name_for(year) if v.per_year else v.name
            failures = validate_table(df, name)
            assert failures.empty, (name, failures.head().to_dict("records"))


def test_sample_has_nulls_open_ends_and_is_deterministic():
    a = sample_frame("leo_employment", n=40, seed=5)
    assert (a["EndDate"] == np.datetime64("9999-12-31")).sum() >= 1
    assert a.equals(sample_frame("leo_employment", n=40, seed=5))
    assert not a.equals(sample_frame("leo_employment", n=40, seed=6))
    h = sample_frame("hesa_2013", n=40)
    assert h["HE_XCLASS01"].isna().any() and str(h["HE_XCLASS01"].dtype) == "Int64"
    assert (h["HE_PUPILMATCHINGREFANONYMOUS"] == "").any()
    w = sample_world(years={"hesa": [2004, 2010]}, n=3)  # 2004 is outside hesa's years
    assert "hesa_2010" in w and "hesa_2004" not in w
    assert not any(k.startswith("spring_census_") for k in w)


# ------------------------------------------------------------------------------ validation
def test_validation_catches_a_bad_code_a_bad_range_and_a_duplicate_key():
    df = sample_frame("leo_earnings", n=12, seed=2)
    df.loc[0, "Main_Section"] = "Z"  # not a SIC section
    df.loc[1, "Earnings"] = -5  # lo=0
    df.loc[3, ["Edukey", "TaxYear"]] = df.loc[2, ["Edukey", "TaxYear"]].values  # key twice
    f = validate_table(df, "leo_earnings")
    assert set(f["view"]) == {"leo_earnings"}
    code = f[f["column"] == "Main_Section"]
    assert code["check"].str.startswith("isin").all() and code["failure_case"].tolist() == ["Z"]
    rng = f[f["column"] == "Earnings"]
    assert rng["check"].str.contains("greater_than_or_equal_to|ge|in_range").all()
    assert rng["failure_case"].tolist() == [-5]
    dup = f[f["check"].str.contains("uniqueness|duplicate", regex=True)]
    assert sorted(set(dup["index"])) == [2, 3]
    assert len(f) == len(code) + len(rng) + len(dup)


def test_validation_catches_kind_nulls_and_missing_columns():
    df = sample_frame("hesa_2013", n=10)
    df["HE_XAGEA01"] = df["HE_XAGEA01"].astype(object)
    df.loc[4, "HE_XAGEA01"] = "nineteen"
    df.loc[5, "HE_COMDATE"] = pd.NaT  # not nullable
    df = df.drop(columns=["HE_XDOMUC01"])
    f = validate_table(df, "hesa_2013")
    kind = f[(f["column"] == "HE_XAGEA01") & f["check"].str.startswith("kind_int")]
    assert kind["index"].tolist() == [4]
    assert ((f["column"] == "HE_COMDATE") & (f["check"] == "not_nullable")).sum() == 1
    assert ((f["column"] == "HE_XDOMUC01") & (f["check"] == "column_in_dataframe")).sum() == 1


def test_valid_table_and_blank_codes_and_nullable_codes_pass():
    df = sample_frame("hesa_2013", n=30)
    df.loc[0, "HE_XQOBTN01"] = ""  # '' means no qualification
    df["HE_XCLASS01"] = df["HE_XCLASS01"].astype("Int64")
    df.loc[1, "HE_XCLASS01"] = pd.NA  # nullable code list
    assert validate_table(df, "hesa_2013").empty
    # the same frame read back from CSV-like strings of ints as floats still passes
    df2 = df.copy()
    df2["HE_XCLASS01"] = df2["HE_XCLASS01"].astype("float64")
    assert validate_table(df2, "hesa_2013").empty
    schema = build_schema("hesa_2013")
    assert "HE_SEXID" in schema.columns and "HE_GENDER" not in schema.columns


def test_validate_extract_passes_then_catches_corruption(tmp_path):
    import pyarrow.parquet as pq

    world = sample_world(years=(2012,), n=10)
    write_extract(world, tmp_path / "ex", fmt="parquet")
    report = validate_extract(tmp_path / "ex")
    assert report.ok, str(report)
    assert set(report) == set(world)
    # change one value behind the manifest's back, and break a code
    path = tmp_path / "ex" / "hesa_2012.parquet"
    t = pq.read_table(path).to_pandas(date_as_object=True)
    t.loc[0, "HE_XLEV601"] = 9
    pq.write_table(pq.read_table(path).from_pandas(t, preserve_index=False), path)
    (tmp_path / "ex" / "lookup_area.parquet").unlink()
    report = validate_extract(tmp_path / "ex")
    assert not report.ok
    bad = report["hesa_2012"]
    assert set(bad["check"]) >= {"manifest_sha256"}
    assert any(c.startswith("isin") for c in bad["check"])
    assert report["lookup_area"]["check"].tolist() == ["manifest_table_present"]
    text = report.summary()
    assert "hesa_2012" in text and "HE_XLEV601" in text and "failed" in text


# ------------------------------------------------------------------------------ data card
def test_datacard_describes_every_view_with_observed_missingness():
    world = sample_world(years=(2007, 2013), n=20)
    manifest = {
        "leokit_version": "0.1.0",
        "generator_version": "g1",
        "seed": 42,
        "scale": 0.5,
        "format": "parquet",
        "schema": "leo_synth",
        "tables": {name: {"rows": len(df)} for name, df in world.items()},
    }
    card = render_datacard(REGISTRY, manifest=manifest, tables=world)
    assert card.startswith("# Synthetic LEO extract")
    assert "not real records" in card and "truth.json" in card
    assert "leokit synth --scale 0.5 --seed 42" in card
    for v in REGISTRY:
        assert f"### {v.name}\n" in card
    assert "`HESA_i2.<project schema>.hesa_YYYY`" in card
    assert "- **Rows:** 2007: 20; 2013: 20" in card
    assert "1 first; 2 upper second (2:1)" in card  # short code list
    assert "synthetic only" in card and "inferred [I]" in card
    end = [line for line in card.splitlines() if line.startswith("| `EndDate`")]
    assert end and "9999-12-31 for an ongoing spell; observed" in end[0]
    assert "% 9999-12-31" in end[0]
    sex = [line for line in card.splitlines() if line.startswith("| `HE_SEXID`")][0]
    assert sex.rstrip(" |").endswith("2013-2020")


def test_observed_missingness_counts_across_years():
    world = sample_world(years=(2007, 2013), n=20)
    obs = observed_missingness(REGISTRY.view("hesa_{year}"), world)
    assert obs["HE_COMDATE"][0] == 40
    assert obs["HE_GENDER"][0] == 20 and obs["HE_SEXID"][0] == 20
    n_null = int(
        world["hesa_2013"]["HE_XCLASS01"].isna().sum()
        + world["hesa_2007"]["HE_XCLASS01"].isna().sum()
    )
    assert obs["HE_XCLASS01"][1] == n_null > 0
    read_back = {"leo_employment": lx.conform(world["leo_employment"], "leo_employment")}
    emp = observed_missingness(REGISTRY.view("leo_employment"), read_back)
    direct = observed_missingness(REGISTRY.view("leo_employment"), world)
    assert emp["EndDate"] == direct["EndDate"] and emp["EndDate"][3] > 0
    assert isinstance(read_back["leo_employment"]["EndDate"].iloc[0], datetime.date)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_datacard_from_the_writers_counts_equals_counting_the_tables(tmp_path, fmt):
    world = sample_world(years=(2007, 2013), n=20)
    with ExtractWriter(tmp_path / "x", fmt=fmt, observe=True) as w:
        for name, df in world.items():
            w.add(name, df)
        manifest = w.finish()
    assert render_datacard(REGISTRY, manifest, observed=w.observed) == render_datacard(
        REGISTRY, manifest, tables=world
    )


@pytest.mark.parametrize("name", ["hesa_2013", "leo_earnings"])
def test_kind_check_passes_read_back_frames(tmp_path, name):
    world = {name: sample_frame(name, n=10)}
    write_extract(world, tmp_path / "csv", fmt="csv")
    with lx.open_extract(tmp_path / "csv") as ex:
        assert validate_table(ex.read(name), name).empty
