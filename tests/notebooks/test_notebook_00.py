"""Notebook 00 (start here) with papermill: defaults and another set of years after graduation.

run_notebook also scans every output for record-level data, re-checks each released table from
the microdata kept in work_dir, and compares those tables with ACRO's checks.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import statements
from support.lecture import cell_problems
from support.notebook_runs import run_notebook

NAME = "00_start_here"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    return run_notebook(NAME, tmp_path_factory.mktemp("nb00"))


def _rates_from_microdata(res):
    """Sustained-employment rates by YAG and FSM, from the rate table's own microdata in
    work_dir, as counts rounded to 5 (the rule the released rates follow)."""
    report = json.loads((res["folder"] / "output_check.json").read_text())
    specs = [
        c["spec"]
        for o in report["outputs"]
        for c in o["checks"]
        if (c.get("spec") or {}).get("value") == "sustained"
    ]
    micro = pd.read_csv(res["work"] / specs[0]["microdata"])
    g = micro.groupby(["YAG", "FSM at 16"])
    people = g["AE_ID"].nunique()
    sustained = micro[micro.sustained == 1].groupby(["YAG", "FSM at 16"])["AE_ID"].nunique()

    def r5(x):
        return (x / 5 + 0.5) // 1 * 5

    return (r5(sustained) / r5(people)).to_dict(), people.to_dict()


def test_defaults_estimates_follow_the_released_microdata(default_run):
    rates, people = _rates_from_microdata(default_run)
    names = {e["name"]: e for e in default_run["estimates"]}
    assert len([n for n in names if not n.startswith("sustained_gap")]) == 6
    for (yag, fsm), rate in rates.items():
        label = "fsm" if fsm == "FSM" else "not_fsm"
        est = names[f"sustained_yag{yag}_{label}"]
        assert est["estimate"] == pytest.approx(rate, abs=1e-12)
        assert est["truth"] is None  # a description, not a causal estimate
        assert est["ci_method"] == "binomial normal" and est["truth_basis"] == "none"
        assert abs(est["n"] - people[(yag, fsm)]) <= 2.5  # N as released: rounded to 5


def test_defaults_write_only_checked_outputs(default_run):
    report = json.loads((default_run["folder"] / "output_check.json").read_text())
    listed = {f for o in report["outputs"] for f in o["files"]}
    on_disk = {p.name for p in default_run["folder"].iterdir()}
    assert on_disk - listed == {"output_check.md", "output_check.json"}
    assert all(o["status"] == "pass" for o in report["outputs"])


def test_other_years_after_graduation(tmp_path):
    res = run_notebook(NAME, tmp_path, years_after_graduation=[2, 4])
    assert sorted(e["name"] for e in res["estimates"]) == sorted(
        [f"sustained_yag{y}_{g}" for y in (2, 4) for g in ("fsm", "not_fsm")]
        + [f"sustained_gap_yag{y}" for y in (2, 4)]
    )
    statements.assert_true(res, required=["fsm_gap_yag2", "fsm_gap_yag4"])


def test_gaps_follow_the_released_shares(default_run):
    names = {e["name"]: e for e in default_run["estimates"]}
    for yag in (1, 3, 5):
        gap, a, b = (names[f"sustained_gap_yag{yag}"], names[f"sustained_yag{yag}_fsm"],
                     names[f"sustained_yag{yag}_not_fsm"])  # fmt: skip
        assert gap["estimate"] == pytest.approx(a["estimate"] - b["estimate"], abs=1e-12)
        se = np.sqrt(sum(x * (1 - x) / e["n"] for x, e in ((a["estimate"], a), (b["estimate"], b))))
        assert gap["se"] == pytest.approx(se, rel=1e-9)
        assert gap["truth"] is None and not gap["preferred"]


def test_generated_statements(default_run):
    statements.assert_true(default_run, required=[f"fsm_gap_yag{y}" for y in (1, 3, 5)])


def test_statements_on_fresh_extracts(fresh_extracts, tmp_path_factory):
    for seed, folder in fresh_extracts:
        res = run_notebook(NAME, tmp_path_factory.mktemp(f"nb00_seed{seed}"), extract=str(folder))
        statements.assert_true(res, required=["fsm_gap_yag1"])


def test_cells_are_short_and_introduced():
    assert not cell_problems(ROOT / "notebooks" / f"{NAME}.py")
    text = (ROOT / "notebooks" / f"{NAME}.py").read_text()
    assert "../docs/glossary.md" in text and "../docs/references.md" in text
