"""Generation at national scale: row counts grow with the cohort, views validate, the writer's
checksums hold, and how long it takes and how much memory (printed, not asserted).

The national-scale tests are slow (`make test-slow`). They run at scale 0.5 by default: half a
national cohort (1.5M people, about 61M rows): about 50 s to generate, 55 s to write and three
and a half minutes in all (on 2 cores shared with other work), with a peak of about 13 GiB in
the test process: `generate()` keeps every table (8 GiB at this scale) and pandera's
validation of the big views adds to that. Scale 1 doubles all of that, which is more memory
than the 23 GiB machine this was written on has; set LEOKIT_SCALE_TEST=1 to run it at scale 1
on a bigger one. (`leokit synth` writes each table as soon as it is made and needs under
7 GiB at scale 1: tools/bench_synth.py --national times it.) The fast test at the end (not
slow) checks the writer's one-pass checksums against leokit.extract.content_sha256 on awkward
frames.
"""

import datetime
import os
import re
import resource
import time
from collections import Counter

import numpy as np
import pandas as pd
import pytest

import leokit.extract as lx
from leokit.schema import REGISTRY

SCALE = float(os.environ.get("LEOKIT_SCALE_TEST", "0.5"))
TOLERANCE = 0.20
# sized by the areas or the HE providers, not by the cohort
NOT_PER_PERSON = {"lookup_area", "lookup_ucas_course", "lookup_contextual_policy"}
SAMPLE = (
    "leo_earnings",
    "leo_geography",
    "leo_employment",
    "leo_benefit",
    "learner_ae_id_to_edukey_lookup",
    "spring_census_2009",
    "ks4pupil_2002_to_2014",
    "hesa_2012",
    "ucas_application",
    "idbr_enterprise_lookup",
)


def _peak_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def _family(name):
    v = REGISTRY.view(name)
    return v.family if v.per_year else v.name


def _rows_by_family(tables):
    out = Counter()
    for name, df in tables.items():
        out[_family(name)] += len(df)
    return out


@pytest.fixture(scope="module")
def national():
    from leokit.synth import generate

    stages = []
    t0 = time.perf_counter()
    w = generate(scale=SCALE, on_stage=lambda name, s: stages.append((name, s)))
    seconds = time.perf_counter() - t0
    rows = sum(len(df) for df in w.tables.values())
    print(f"\nscale {SCALE:g}: generated {rows:,} rows in {seconds:.1f} s "
          f"({rows / seconds:,.0f} rows/s), peak RSS so far {_peak_rss_gib():.2f} GiB")  # fmt: skip
    print("  " + ", ".join(f"{n} {s:.1f}s" for n, s in stages))
    return w


@pytest.mark.slow
def test_rows_grow_with_the_cohort(world, national):
    from leokit.synth import DEFAULT_SCALE

    small, big = _rows_by_family(world.tables), _rows_by_family(national.tables)
    assert set(small) == set(big)
    expected = SCALE / DEFAULT_SCALE
    off = {}
    for fam in sorted(small):
        if fam in NOT_PER_PERSON:
            continue
        ratio = big[fam] / small[fam] / expected
        print(f"  {fam:36s} {small[fam]:>10,} -> {big[fam]:>12,}  ({ratio:.3f} of the expected)")
        if abs(ratio - 1) > TOLERANCE:
            off[fam] = round(ratio, 3)
    assert not off, f"views whose rows do not grow about {expected:.1f} times: {off}"


@pytest.mark.slow
def test_a_sample_of_views_validates(national):
    from leokit.schema.validate import validate_table

    for name in SAMPLE:
        t0 = time.perf_counter()
        failures = validate_table(national.tables[name], name)
        print(f"  validated {name} ({len(national.tables[name]):,} rows) in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        assert failures.empty, (name, failures.head().to_dict("records"))


@pytest.mark.slow
def test_written_extract_matches_and_timing(national, tmp_path):
    from leokit.extract.writer import write_extract

    t0 = time.perf_counter()
    manifest = write_extract(national.tables, tmp_path / "extract", fmt="parquet",
                             truth=national.truth, params=national.params)  # fmt: skip
    seconds = time.perf_counter() - t0
    rows = sum(t["rows"] for t in manifest["tables"].values())
    print(f"\n  wrote {rows:,} rows (parquet) in {seconds:.1f} s; "
          f"peak RSS of this test process {_peak_rss_gib():.2f} GiB")  # fmt: skip
    for name, df in national.tables.items():
        assert manifest["tables"][name]["rows"] == len(df), name
    for name in ("leo_employment", "hesa_2012", "learner_ae_id_to_pmr_lookup"):
        assert manifest["tables"][name]["sha256"] == lx.content_sha256(national.tables[name], name)
    with lx.open_extract(tmp_path / "extract") as ex:
        back = ex.read("leo_employment")
    assert (
        lx.content_sha256(back, "leo_employment") == manifest["tables"]["leo_employment"]["sha256"]
    )


# ------------------------------------------------------------------------------ fast
def _awkward_frames():
    """Frames in shapes the generator does not make: text as numbers, NULLs of every kind,
    blank keys, one str object per row, dates with NaT, nullable and plain integers."""
    from leokit.schema.sample import sample_frame

    n = 300
    rng = np.random.default_rng(4)
    emp = sample_frame("leo_employment", n=n, seed=2)
    keys = np.array(["K1", "K2", "", None, np.nan, "K3"], dtype=object)
    emp["EduKey"] = keys[rng.integers(0, len(keys), n)]
    emp.loc[::7, "EndDate"] = pd.NaT
    earn = sample_frame("leo_earnings", n=n, seed=3)
    earn["Edukey"] = np.array(["".join(["E", str(i % 40)]) for i in range(n)], dtype=object)
    earn["main_enterprise"] = pd.Series([None if i % 5 else i for i in range(n)], dtype=object)
    earn["Main_Section"] = pd.Series(["G"] * n, dtype="string")  # not object
    earn["Earnings"] = earn["Earnings"].astype("int32")
    earn["Num_SIC"] = earn["Num_SIC"].astype(float)  # whole numbers as floats
    earn = earn.sort_values("Edukey", kind="mergesort").reset_index(drop=True)
    census = sample_frame("spring_census_2009", n=n, seed=5)
    census["academicyear_spr09"] = np.full(n, "2008/2009", dtype=object)  # new object per row
    census["fsmeligible_spr09"] = census["fsmeligible_spr09"].fillna(0).astype(bool)
    census.index = census.index + 1000  # not a RangeIndex from 0
    hesa = sample_frame("hesa_2013", n=n, seed=6)
    hesa["HE_COMDATE"] = hesa["HE_COMDATE"].astype("datetime64[ns]")
    hesa["HE_COMDATE"] = [datetime.date(2012, 9, 1) if i % 3 else None for i in range(n)]
    return {
        "leo_employment": emp,
        "leo_earnings": earn,
        "spring_census_2009": census,
        "hesa_2013": hesa,
    }


def test_writer_checksums_match_content_sha256(tmp_path):
    from leokit.extract.writer import write_extract

    frames = _awkward_frames()
    for fmt in ("parquet", "duckdb"):
        manifest = write_extract(frames, tmp_path / fmt, fmt=fmt)
        for name, df in frames.items():
            assert manifest["tables"][name]["sha256"] == lx.content_sha256(df, name), (fmt, name)
        with lx.open_extract(tmp_path / fmt) as ex:
            for name in frames:
                got = lx.content_sha256(ex.read(name), name)
                assert got == manifest["tables"][name]["sha256"], (fmt, name)


def test_family_names():
    assert _family("hesa_2012") == REGISTRY.view("hesa_2012").family
    assert re.match(r"^leo_earnings$", _family("leo_earnings"))
