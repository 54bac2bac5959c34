"""The default extract: schema conformance, keys, determinism, calibration (leo_schema.md s.6)."""

import json
from pathlib import Path

import pandas as pd
import pytest
from support.analysis import edukey_to_ae, ks4_one_row, pmr_to_ae, stack_hesa

from leokit import derive
from leokit.extract import content_sha256
from leokit.extract.validate import validate_extract
from leokit.schema import REGISTRY
from leokit.schema.validate import validate_table
from leokit.synth import config as cfg

EXTRACT = Path(__file__).resolve().parents[2] / "data_synthetic"


def test_committed_extract_conforms_to_registry():
    report = validate_extract(str(EXTRACT))
    assert report.ok, report.summary()


def test_generated_tables_conform(world):
    for name, df in world.tables.items():
        validate_table(
            df, name, year=REGISTRY.year_of(name) if "{year}" in REGISTRY.view(name).name else None
        )


def test_regenerating_gives_the_committed_checksums(world):
    manifest = json.loads((EXTRACT / "manifest.json").read_text())
    assert set(manifest["tables"]) == set(world.tables)
    for name, df in world.tables.items():
        v = REGISTRY.view(name)
        year = REGISTRY.year_of(name) if v.per_year else None
        assert content_sha256(df, v, year) == manifest["tables"][name]["sha256"], name
    truth = json.loads((EXTRACT / "truth.json").read_text())
    assert truth == json.loads(json.dumps(world.truth)), "truth.json differs from the generator's"


def test_leokit_synth_writes_the_committed_extract(tmp_path):
    """The command hands each table to the writer as it is made, keys and the biggest views
    in compact columns, and counts the data card's missingness while writing: the extract
    must come out as committed all the same."""
    from leokit.cli import main

    out = tmp_path / "extract"
    assert main(["synth", "--out", str(out)]) == 0
    got, want = (json.loads((d / "manifest.json").read_text()) for d in (out, EXTRACT))
    assert got["tables"] == want["tables"]
    for name in ("truth.json", "README.md"):
        assert (out / name).read_text() == (EXTRACT / name).read_text(), name


def test_outcome_keys_resolve_except_planted_orphans(world):
    t = world.tables
    ek = set(edukey_to_ae(t).EDUKEY)
    keys = pd.Series(t["leo_earnings"].Edukey.unique())
    keys = keys[keys != ""]
    orphan = 1 - keys.isin(ek).mean()
    assert cfg.UNMATCHED_CIS * 0.6 < orphan < cfg.UNMATCHED_CIS * 1.6
    # every lookup EDUKEY maps to one AE_ID; some AE_IDs hold two EDUKEYs / two PMRs
    lk = edukey_to_ae(t)
    assert lk.EDUKEY.is_unique
    multi = lk.AE_ID.value_counts().gt(1).mean()
    assert 0.005 < multi < 0.03
    pm = pmr_to_ae(t)
    assert pm.PMR.is_unique and 0.01 < pm.AE_ID.value_counts().gt(1).mean() < 0.035
    # education PMRs resolve except the orphans
    k4 = t["ks4pupil_2002_to_2014"].KS4_PupilMatchingRefAnonymous
    k4 = k4[k4 != ""]
    assert 0.001 < 1 - k4.isin(set(pm.PMR)).mean() < 0.012


def test_planted_messiness_is_there(world):
    t = world.tables
    ks4 = t["ks4pupil_2002_to_2014"]
    assert ks4.duplicated("KS4_PupilMatchingRefAnonymous").mean() > 0.01
    emp = t["leo_employment"]
    ends = emp.EndDate.astype(str)
    assert (ends == "9999-12-31").mean() > 0.05
    starts = pd.to_datetime(emp.StartDate[emp.UncertainStartDate == 1])
    assert ((starts.dt.month == 4) & (starts.dt.day == 6)).all() and len(starts) > 100
    assert (t["leo_earnings"].Earnings == 0).mean() > 0.005
    assert t["leo_earnings"].main_enterprise.isna().mean() > 0.01
    assert "llsoa_spr09" in t["spring_census_2009"] and "lsoa01_spr10" in t["spring_census_2010"]
    assert "HE_GENDER" in t["hesa_2012"] and "HE_SEXID" in t["hesa_2013"]


def test_calibration_against_public_magnitudes(world):
    t = world.tables
    ks4 = ks4_one_row(t)
    assert 0.12 <= ks4.KS4_FSM.mean() <= 0.17  # FSM on census day, 13-15%
    assert 0.22 <= ks4.KS4_FSM6.mean() <= 0.32  # disadvantaged at KS4, 27%
    h = stack_hesa(t)
    entrants = set(
        h[(h.HE_XLEV601 == 4)]
        .merge(pmr_to_ae(t), left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR")
        .AE_ID
    )
    ks4["he"] = ks4.AE_ID.isin(entrants)
    by = ks4.groupby("KS4_FSM").he.mean()
    assert 0.40 <= ks4.he.mean() <= 0.50  # HE by 19 about 45%
    assert 0.20 <= by[1] <= 0.36 and 0.43 <= by[0] <= 0.55  # FSM 26-29%, non-FSM 47-49%
    app = t["ucas_application"]
    main = app[app.application_route_code == "M"]
    n_app = len(t["ucas_applicant"])
    assert 4.2 <= len(main) / n_app <= 4.8  # about 4.5 choices
    assert (
        0.65 <= main.june30_hep_decision_code.isin(["C", "U"]).mean() <= 0.85
    )  # offer rate 70-80%
    offers = main.june30_hep_decision_code.isin(["C", "U"]).sum() / n_app
    assert 3.0 <= offers <= 3.9, offers  # about 4.5 choices x 70-80% offer rate
    # graduates: median earnings and sustained employment by years after graduation
    grads = h[h.HE_XQOBTN01.isin(["H00", "M22"])].merge(
        pmr_to_ae(t), left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR"
    )
    grads = grads.drop_duplicates("AE_ID")[["AE_ID", "year"]]
    ek = edukey_to_ae(t)
    e = t["leo_earnings"].merge(ek, left_on="Edukey", right_on="EDUKEY").merge(grads, on="AE_ID")
    e["yag"] = derive.years_after_graduation(e.year, e.TaxYear)
    emp = t["leo_employment"].merge(ek, left_on="EduKey", right_on="EDUKEY")
    sus = derive.sustained_employment(
        emp[["AE_ID", "StartDate", "EndDate"]], person="AE_ID", data_end=derive.tax_year_end(202021)
    )
    e = e.merge(sus[["AE_ID", "TaxYear", "sustained"]], on=["AE_ID", "TaxYear"], how="left")
    bands = {1: (15000, 23000), 3: (19000, 28000), 5: (22000, 32000)}
    for yag, (lo, hi) in bands.items():
        s = e[(e.yag == yag) & (e.sustained == True)]  # noqa: E712
        assert lo <= s.Earnings.median() <= hi, (yag, s.Earnings.median())
    g1 = grads.assign(TaxYear=derive.yag_tax_year(grads.year, 1)).merge(
        sus, how="left", on=["AE_ID", "TaxYear"]
    )
    rate = g1.sustained.fillna(False).astype(bool).mean()
    assert 0.50 <= rate <= 0.80, rate  # SFR36: 55% at 1 YAG; more recent cohorts higher


def test_bad_scale_and_seed_are_refused():
    from leokit.synth import generate

    with pytest.raises(ValueError, match="scale"):
        generate(scale=0)
    with pytest.raises(ValueError, match="seed"):
        generate(seed=-1)
