"""Nothing record-level in any notebook output or output folder (rules in support/output_scan.py).

The committed references are scanned here. Every papermill run the notebook tests make (the
defaults, the other parameter sets, the Monte Carlo runs) is scanned by
``support.notebook_runs.run_notebook``, with its output_dir, and so are the student copies'
runs; no extra runs are made for the scan. Those runs also check every released table again
from the microdata and specification kept in work_dir (``output_scan.recheck``, a hand-written
checker independent of leokit.sdc). The tests below show that the scan and the re-check fail on
notebooks, output folders and tables built to leak, one rule at a time.
"""

import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from support import output_scan

ROOT = Path(__file__).resolve().parents[2]
EXTRACT = ROOT / "data_synthetic"
REFERENCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def values():
    return output_scan.key_values(str(EXTRACT))


def test_key_columns_come_from_the_registry():
    keys = output_scan.key_columns()
    # the three person keys, their per-view spellings, UCAS ids and the employer key
    for name in ("AE_ID", "PUPILMATCHINGREFANONYMOUS", "EDUKEY", "Edukey", "EduKey",
                 "HE_PUPILMATCHINGREFANONYMOUS", "KS4_PupilMatchingRefAnonymous",
                 "unique_id_cycle", "ENTKEY", "main_enterprise"):  # fmt: skip
        assert name in keys, name
    # public lookups' keys, years and cycles are not person or employer keys
    for name in ("OA11CD", "course_identifier", "provider_id_anon", "TaxYear", "application_cycle"):
        assert name not in keys, name


@pytest.mark.parametrize("ref", REFERENCES, ids=[p.stem for p in REFERENCES])
def test_committed_references_show_nothing_record_level(ref, values):
    nb = nbformat.read(str(ref), as_version=4)
    assert output_scan.scan_notebook(nb, values) == []


LEAKY_CELLS = {
    # a cell ending with a call that returns the estimation frame (the defect in notebook 01)
    "frame": "import pandas as pd\npd.DataFrame({'AE_ID': ids, 'y': range(len(ids))})",
    # a printed record-level table without any key: too many rows for a summary
    "rows": "print(pd.DataFrame({'y': range(100), 'x': range(100)}).to_string())",
    # a few person keys printed in a sentence
    "values": "print('first people:', ', '.join(pmrs[:3]))",
    # a small displayed table whose column is a key: HTML header rule
    "header": "pd.DataFrame({'EDUKEY': ['k1', 'k2'], 'n': [10, 15]})",
    # a clean summary: must pass
    "clean": "print(pd.DataFrame({'group': ['a', 'b'], 'n': [15, 20]}).to_string())",
}


@pytest.fixture(scope="module")
def leaky_notebook(tmp_path_factory):
    """A notebook built to leak, executed once in a kernel (each cell one rule)."""
    pm = pytest.importorskip("papermill")
    lookup = pd.read_parquet(EXTRACT / "learner_ae_id_to_pmr_lookup.parquet")
    setup = (
        f"ids = {[int(v) for v in lookup.AE_ID.iloc[:100]]}\n"
        f"pmrs = {list(lookup.PUPILMATCHINGREFANONYMOUS.iloc[:3])}\n"
        "import pandas as pd"
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(setup)] + [
        nbformat.v4.new_code_cell(code) for code in LEAKY_CELLS.values()
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    folder = tmp_path_factory.mktemp("leaky")
    nbformat.write(nb, str(folder / "in.ipynb"))
    pm.execute_notebook(str(folder / "in.ipynb"), str(folder / "out.ipynb"), progress_bar=False,
                        kernel_name="python3")  # fmt: skip
    return nbformat.read(str(folder / "out.ipynb"), as_version=4)


@pytest.mark.parametrize(
    "cell, rule",
    [
        ("frame", "a table of 100 rows"),
        ("frame", "HTML table with key column(s) ['AE_ID']"),
        ("frame", "person or employer key value"),
        ("rows", "consecutive table lines"),
        ("values", "shows 3 person or employer key value(s)"),
        ("header", "HTML table with key column(s) ['EDUKEY']"),
    ],
)
def test_the_scan_fails_on_a_notebook_built_to_leak(leaky_notebook, values, cell, rule):
    index = 1 + list(LEAKY_CELLS).index(cell)
    one = nbformat.v4.new_notebook()
    one.cells = [leaky_notebook.cells[index]]
    problems = output_scan.scan_notebook(one, values)
    assert any(rule in p for p in problems), problems


def test_the_scan_passes_a_clean_summary(leaky_notebook, values):
    one = nbformat.v4.new_notebook()
    one.cells = [leaky_notebook.cells[1 + list(LEAKY_CELLS).index("clean")]]
    assert output_scan.scan_notebook(one, values) == []


def test_html_rows_and_truncated_reprs_count():
    many = "<table><thead><tr><th>y</th></tr></thead><tbody>" + "<tr><td>1</td></tr>" * 61
    assert output_scan._html_problems("x", many + "</tbody></table>")
    assert output_scan._html_problems("x", "<p>14230 rows × 43 columns</p>")
    assert output_scan._text_problems("x", "...\n[61 rows x 2 columns]", frozenset())
    assert not output_scan._text_problems("x", "...\n[60 rows x 2 columns]", frozenset())


@pytest.fixture
def released_folder(tmp_path):
    """An output folder written by leokit.release, clean."""
    from leokit import release, sdc

    rng = np.random.RandomState(1)
    df = pd.DataFrame({"AE_ID": np.arange(60), "g": rng.choice(["a", "b"], 60)})
    out = release.Outputs(str(tmp_path / "output"), str(tmp_path / "work"), notebook="demo")
    n = out.checked(sdc.safe_counts, df, "g", unit="AE_ID")
    out.table("counts", n, checks=[n])
    out.finish()
    return tmp_path / "output", df


def test_the_scan_passes_a_released_folder(released_folder, values):
    folder, _ = released_folder
    assert output_scan.scan_output_dir(folder, values) == []


def test_the_scan_fails_on_an_output_folder_built_to_leak(released_folder, values):
    folder, df = released_folder
    df.to_parquet(folder / "estimation_sample.parquet")
    lookup = pd.read_parquet(EXTRACT / "learner_ae_id_to_edukey_lookup.parquet").head(20)
    lookup[["EDUKEY"]].rename(columns={"EDUKEY": "id"}).to_csv(folder / "renamed.csv", index=False)
    pd.DataFrame({"AE_ID": [1, 2]}).to_csv(folder / "keyed.csv", index=False)
    (folder / "keys.json").write_text(json.dumps([{"Edukey": "x"}]))
    problems = output_scan.scan_output_dir(folder, values)
    text = "\n".join(problems)
    assert "estimation_sample.parquet: a Parquet file" in text
    assert "estimation_sample.parquet: key column(s) ['AE_ID']" in text
    assert "estimation_sample.parquet: in output_dir but not in the report" in text
    assert "keyed.csv: key column(s) ['AE_ID']" in text
    assert "renamed.csv: shows 20 person or employer key value(s)" in text
    assert "keys.json: key(s) ['Edukey']" in text
    (folder / "output_check.md").unlink()
    assert any("report is missing" in p for p in output_scan.scan_output_dir(folder, values))


def test_the_recheck_fails_on_a_table_that_shows_a_small_cell(tmp_path):
    """A table registered as checked although a cell rests on 4 people (its check made on
    other data): the re-check from work_dir finds it."""
    from leokit import release, sdc

    df = pd.DataFrame({"AE_ID": np.arange(24), "g": ["a"] * 20 + ["b"] * 4})
    out = release.Outputs(str(tmp_path / "output"), str(tmp_path / "work"), notebook="demo")
    honest = out.checked(sdc.safe_counts, df, "g", unit="AE_ID")
    out.table("honest", honest, checks=[honest])
    fooled = out.checked(sdc.safe_counts, df, "g", unit="AE_ID", threshold=3)
    out.table("fooled", fooled, checks=[fooled])
    out.finish()
    problems = output_scan.recheck(tmp_path / "work", tmp_path / "output")
    assert problems == ["fooled: counts of units (AE_ID) by g: 1 cell(s) under 10 units shown"]
