"""leokit.release: the output log, its report, and what it refuses.

Also run under the SRS profile (Python 3.7, pandas 1.0.1, pytest 7, no matplotlib): keep to
Python 3.7 syntax, import nothing from the test support package, and skip what needs
matplotlib or pyarrow when they are missing.
"""

import json
import os

import numpy as np
import pandas as pd
import pytest

from leokit import release, results, sdc


def people(n_by_group, seed=0):
    """One row per person: a group, a 0/1 outcome and a pay figure."""
    rng = np.random.RandomState(seed)
    rows = []
    for group, n in n_by_group.items():
        for _ in range(n):
            rows.append(
                (len(rows) + 1, group, int(rng.rand() < 0.5), float(rng.lognormal(10, 0.3)))
            )
    return pd.DataFrame(rows, columns=["AE_ID", "group", "employed", "pay"])


@pytest.fixture
def dirs(tmp_path):
    return str(tmp_path / "output"), str(tmp_path / "work")


def files_in(folder):
    return sorted(os.listdir(folder))


class FakeFigure:
    """Stands in for a matplotlib Figure where matplotlib is missing (the SRS profile)."""

    def savefig(self, path, dpi=None):
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\nfake")


def test_a_run_writes_registered_files_and_the_report(dirs):
    out_dir, work_dir = dirs
    df = people({"a": 40, "b": 30, "c": 7})
    out = release.Outputs(out_dir, work_dir, notebook="demo")
    n = out.checked(sdc.safe_counts, df, "group", unit="AE_ID", name="people")
    pay = out.checked(sdc.safe_stat, df, "group", "pay", stat="median", unit="AE_ID")
    table = n.merge(pay[["group", "median"]], on="group")
    out.table("by_group", table, checks=[n, pay], description="people and median pay")
    out.figure("by_group", FakeFigure(), table=table, checks=[n, pay])
    rows = [
        results.estimate("slope", "a slope", 0.1, 0.02, (0.06, 0.14), 70, preferred=True, dof=68)
    ]
    out.results({"x": 1}, rows)
    summary = out.finish()
    assert "nothing else is in output_dir" in summary
    assert files_in(out_dir) == [
        "by_group.csv", "by_group.png", "by_group_data.csv", "output_check.json",
        "output_check.md", "results.json",
    ]  # fmt: skip
    report = json.loads(open(os.path.join(out_dir, "output_check.json")).read())
    listed = sorted(f["file"] for f in report["files"])
    assert listed == ["by_group.csv", "by_group.png", "by_group_data.csv", "results.json"]
    first = report["outputs"][0]
    assert first["status"] == "pass" and first["kind"] == "frequency + percentile"
    # group c (7 people) is suppressed in both checks and says why, with no count
    assert first["n_suppressed"] == 2
    reasons = {e["reason"] for c in first["checks"] for e in c["suppressed"]}
    assert reasons == {"threshold"}
    assert first["smallest_count"] == 30  # as the table shows it (rounded to 5)
    text = open(os.path.join(out_dir, "output_check.md")).read()
    assert "by_group.csv" in text and "group=c" in text and "fewer than 10 units" in text
    about_c = [line for line in text.splitlines() if "group=c" in line]
    assert about_c and not any("7" in line for line in about_c)  # never the small count
    model = report["outputs"][-1]
    assert model["kind"] == "model estimate" and model["models"][0]["n_rounded"] == 70
    # the microdata and the specification behind each check stay in work_dir
    spec = json.loads(open(os.path.join(work_dir, "released", "by_group.csv.json")).read())
    assert [c["function"] for c in spec["checks"]] == ["safe_counts", "safe_stat"]
    assert spec["checks"][1]["value"] == "pay" and spec["checks"][1]["stat"] == "median"
    kept = os.path.join(work_dir, spec["checks"][0]["microdata"])
    micro = pd.read_csv(kept)
    assert list(micro.columns) == ["group", "AE_ID"] and len(micro) == 77


def test_finish_refuses_a_stray_file_naming_it(dirs):
    out_dir, work_dir = dirs
    out = release.Outputs(out_dir, work_dir, notebook="demo")
    df = people({"a": 20})
    n = out.checked(sdc.safe_counts, df, "group", unit="AE_ID")
    out.table("counts", n, checks=[n])
    df.to_csv(os.path.join(out_dir, "estimation_sample.csv"))
    with pytest.raises(release.ReleaseError) as err:
        out.finish()
    assert "estimation_sample.csv" in str(err.value)
    assert "output_check.md" not in files_in(out_dir)  # nothing half-written


def test_finish_refuses_an_output_that_breaks_a_rule(dirs):
    out_dir, work_dir = dirs
    out = release.Outputs(out_dir, work_dir, notebook="demo")
    table = pd.DataFrame({"group": ["a"], "count": [5]})
    check = sdc.check_table(table, columns=["count"])
    assert not check.ok
    out.table("hand_made", table, checks=[check])
    with pytest.raises(release.ReleaseError) as err:
        out.finish()
    assert "hand_made" in str(err.value)
    tiny = [{"name": "tiny_model", "n": 6, "dof": 4}]
    out2 = release.Outputs(out_dir + "2", work_dir + "2", notebook="demo")
    out2.table("estimates", pd.DataFrame({"estimate": [0.1]}), models=tiny)
    with pytest.raises(release.ReleaseError) as err:
        out2.finish()
    assert "tiny_model" in str(err.value)


def test_a_changed_output_is_refused(dirs):
    out_dir, work_dir = dirs
    out = release.Outputs(out_dir, work_dir, notebook="demo")
    n = out.checked(sdc.safe_counts, people({"a": 20}), "group", unit="AE_ID")
    out.table("counts", n, checks=[n])
    with open(os.path.join(out_dir, "counts.csv"), "a") as f:
        f.write("b,3\n")
    with pytest.raises(release.ReleaseError) as err:
        out.finish()
    assert "counts.csv" in str(err.value)


def test_tables_with_key_columns_and_outputs_without_checks_are_refused(dirs):
    out_dir, work_dir = dirs
    out = release.Outputs(out_dir, work_dir, notebook="demo")
    with pytest.raises(release.ReleaseError) as err:
        out.table("rows", people({"a": 20}), public="made up")
    assert "AE_ID" in str(err.value)
    with pytest.raises(release.ReleaseError) as err:
        out.table("nothing", pd.DataFrame({"x": [1]}))
    assert "nothing" in str(err.value) and "checks" in str(err.value)
    assert files_in(out_dir) == []


def test_an_output_dir_with_someone_elses_files_is_refused_before_anything_is_written(dirs):
    out_dir, work_dir = dirs
    os.makedirs(out_dir)
    with open(os.path.join(out_dir, "notes.txt"), "w") as f:
        f.write("mine")
    with pytest.raises(release.ReleaseError) as err:
        release.Outputs(out_dir, work_dir, notebook="demo")
    assert "notes.txt" in str(err.value) and "output_dir" in str(err.value)
    assert files_in(out_dir) == ["notes.txt"] and not os.path.exists(work_dir)


def test_a_second_run_replaces_the_first_runs_files_only(dirs):
    out_dir, work_dir = dirs
    for round_ in range(2):
        out = release.Outputs(out_dir, work_dir, notebook="demo")
        n = out.checked(sdc.safe_counts, people({"a": 20}), "group", unit="AE_ID")
        out.table(f"counts_{round_}", n, checks=[n])
        if round_ == 0:
            out.finish()
    # the first run's counts_0.csv and report were removed; the second run wrote counts_1
    assert files_in(out_dir) == ["counts_1.csv"]
    # an interrupted run (no report) is cleaned up too, from the log in work_dir
    out = release.Outputs(out_dir, work_dir, notebook="demo")
    assert files_in(out_dir) == []


def test_work_dir_inside_output_dir_is_refused(tmp_path):
    with pytest.raises(release.ReleaseError) as err:
        release.Outputs(str(tmp_path / "out"), str(tmp_path / "out" / "work"), notebook="demo")
    assert "work_dir" in str(err.value) and "output_dir" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_round_counts_suppresses_and_reports(dirs):
    flow = pd.DataFrame({"step": ["all", "linked", "odd ones"], "people": [1234, 1229, 3]})
    shown = release.round_counts(flow, ["people"], label="step")
    assert shown.people.tolist()[:2] == [1235, 1230] and pd.isna(shown.people.iloc[2])
    report = sdc.report_of(shown)
    assert report.cells() == ["odd ones, people"] and report.min_count_shown == 1230
    out = release.Outputs(dirs[0], dirs[1], notebook="demo")
    out.show("flow", shown, checks=[shown])
    assert json.loads(open(os.path.join(dirs[1], release.LOG)).read())["written"]


def test_results_from_a_released_table_name_it(dirs):
    out = release.Outputs(dirs[0], dirs[1], notebook="demo")
    row = results.estimate("share", "a share", 0.5, 0.1, (0.3, 0.7), 25, preferred=True,
                           released_from="missing.csv")  # fmt: skip
    with pytest.raises(release.ReleaseError) as err:
        out.results({}, [row])
    assert "missing.csv" in str(err.value)


def test_a_real_matplotlib_figure(dirs):
    plt = pytest.importorskip("matplotlib.pyplot")
    out = release.Outputs(dirs[0], dirs[1], notebook="demo")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    out.figure("line", fig, public="a straight line")
    plt.close(fig)
    with open(os.path.join(dirs[0], "line.png"), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_cell_run_again_replaces_its_output_and_the_report_follows(dirs):
    out_dir, work_dir = dirs
    out = release.Outputs(out_dir, work_dir, notebook="demo")
    df = people({"a": 20, "b": 20})
    for _ in range(2):  # the same cell, run twice
        n = out.checked(sdc.safe_counts, df, "group", unit="AE_ID")
        out.table("counts", n, checks=[n])
    out.finish()
    assert len(out.entries) == 1
    again = out.checked(sdc.safe_counts, df[df.group == "a"], "group", unit="AE_ID")
    out.table("counts", again, checks=[again])  # after the report: it goes until finish()
    assert "output_check.md" not in files_in(out_dir)
    out.finish()
    report = json.loads(open(os.path.join(out_dir, "output_check.json")).read())
    assert report["outputs"][0]["n_cells"] == 1 and len(report["outputs"]) == 1
