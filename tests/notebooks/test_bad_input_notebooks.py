"""Bad notebook parameters stop in the check cell, before any data are analysed.

Each case in ``CASES`` is a parameter set that must stop with one clear message naming the
parameter (``support.bad_input.expect_error``: a ValueError raised by leokit, short, naming
each thing), with nothing written: output_dir and work_dir are not even created. The checks run
before the data load, so each case runs only the notebook's parameters cell and its check
cells (tagged ``checks``) in-process, with the case's values put in place of the defaults as
papermill would inject them. One papermill run of a notebook cut after its check cell shows
what a user sees: the error as one line, no traceback, and papermill stopping on it.
"""

import os
from pathlib import Path

import jupytext
import pytest
from support.bad_input import expect_error

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
EXTRACT = ROOT / "data_synthetic"
NB = {
    "00": "00_start_here",
    "01": "01_returns_to_he_application_choices",
    "02": "02_contextual_offers",
    "03": "03_coworker_spillovers",
}

# (notebook, parameters, names the message must contain); "{tmp}" is the test's folder and
# "{file}" a plain file inside it
CASES = [
    ("00", {"years_after_graduation": [15]}, ["years_after_graduation[0] = 15"]),
    ("00", {"years_after_graduation": []}, ["years_after_graduation is empty"]),
    ("00", {"years_after_graduation": [1, 1]}, ["years_after_graduation", "twice"]),
    ("00", {"years_after_graduatoin": [1]}, ["years_after_graduatoin", "years_after_graduation"]),
    ("00", {"output_dir": "{file}/out"}, ["output_dir", "is a file"]),
    ("00", {"work_dir": "{tmp}/output/work"}, ["work_dir", "output_dir"]),
    ("00", {"work_dir": "{tmp}/output"}, ["work_dir", "output_dir"]),
    ("00", {"output_dir": str(EXTRACT)}, ["output_dir", "extract"]),
    ("00", {"output_dir": str(EXTRACT / "out")}, ["output_dir", "extract"]),
    ("00", {"work_dir": str(EXTRACT / "work")}, ["work_dir", "extract"]),
    ("00", {"output_dir": ""}, ["output_dir is empty"]),
    ("00", {"extract": "{tmp}/no_such_extract"}, ["no extract at"]),
    ("00", {"extract": 5}, ["extract = 5"]),
    ("00", {"output_dir": "{tmp}/occupied"}, ["output_dir", "notes.txt"]),
    ("01", {"outcome_age": 38}, ["outcome_age = 38", "202021"]),
    ("01", {"fade_ages": [24, 35]}, ["fade_ages[1] = 35"]),
    ("01", {"cohorts": [2015]}, ["cohorts[0] = 2015", "2008"]),
    ("01", {"cohorts": [2008, 2008]}, ["cohorts", "twice"]),
    ("01", {"bootstrap_reps": 50}, ["bootstrap_reps = 50"]),
    ("01", {"outcome": "wages"}, ["outcome = 'wages'"]),
    ("01", {"coarse_bands": 1}, ["coarse_bands = 1"]),
    ("01", {"work_dir": "{file}/work"}, ["work_dir", "is a file"]),
    ("02", {"donut": 8.0}, ["donut = 8.0", "areas"]),
    ("02", {"bandwidth": 2.0, "donut": 2.0}, ["donut = 2.0", "bandwidth"]),
    ("02", {"bandwidth": -1.0}, ["bandwidth = -1.0"]),
    ("02", {"bandwidth": "mse"}, ["bandwidth = 'mse'"]),
    ("02", {"cutoff": 0.25}, ["cutoff = 0.25", "0.2045"]),
    ("02", {"cohorts": [2008, 2009]}, ["cohorts", "no cycle with a scheme"]),
    ("02", {"earnings_ages": [35]}, ["earnings_ages = [35]"]),
    ("02", {"placebo_cutoffs": [12.0]}, ["placebo_cutoffs[0] = 12.0"]),
    ("02", {"placebo_cutoffs": [0.0]}, ["placebo_cutoffs", "real cutoff"]),
    ("02", {"outcomes": ["log_earnings", "log_earnings"]}, ["outcomes", "twice"]),
    ("02", {"kernel": "triangle"}, ["kernel = 'triangle'"]),
    ("03", {"tax_years": [202021, 201011]}, ["tax_years = [202021, 201011]"]),
    ("03", {"tax_years": [201011]}, ["tax_years = [201011]"]),
    ("03", {"tax_years": [202223, 202425]}, ["tax_years = [202223, 202425]", "the data run"]),
    ("03", {"age_range": [45, 64]}, ["age_range = [45, 64]"]),
    ("03", {"age_range": [30, 20]}, ["age_range = [30, 20]"]),
    ("03", {"tax_year": 202020}, ["tax_year = 202020"]),
    ("03", {"share_change": 0.9}, ["share_change = 0.9"]),
    ("03", {"extract": "{no_scheme}"}, ["instrument = True", "lookup_placement_scheme"]),
]


def _cells(name):
    """The code of a notebook's parameters cell and of its check cell."""
    nb = jupytext.read(NOTEBOOKS / f"{name}.py")
    code = {"parameters": [], "checks": []}
    for cell in nb.cells:
        for tag in code:
            if tag in cell.metadata.get("tags", []):
                code[tag].append(cell.source)
    assert code["parameters"] and code["checks"], f"{name}: no parameters or checks cell"
    return "\n".join(code["parameters"]), "\n\n".join(code["checks"])


def _fill(value, tmp):
    if isinstance(value, str):
        return value.format(tmp=tmp, file=tmp / "a_file", no_scheme=tmp / "no_scheme")
    return value


@pytest.fixture
def place(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("someone else's")
    no_scheme = tmp_path / "no_scheme"  # the extract as the real views are: no scheme lookup
    no_scheme.mkdir()
    for f in EXTRACT.iterdir():
        if f.name != "lookup_placement_scheme.parquet":
            os.symlink(f, no_scheme / f.name)
    return tmp_path


@pytest.mark.parametrize(
    "nb, params, names", CASES, ids=[f"{nb}-{'-'.join(map(str, p))}" for nb, p, _ in CASES]
)
def test_bad_parameters_stop_before_the_data_with_one_message(
    nb, params, names, place, monkeypatch
):
    parameters, checks = _cells(NB[nb])
    namespace = {}
    monkeypatch.chdir(NOTEBOOKS)  # the defaults are relative to the notebooks folder
    exec(compile(parameters, "parameters", "exec"), namespace)
    namespace.update(
        extract=str(EXTRACT), output_dir=str(place / "output"), work_dir=str(place / "work")
    )
    namespace.update({k: _fill(v, place) for k, v in params.items()})
    watch = [place, EXTRACT]
    expect_error(lambda: exec(compile(checks, "checks", "exec"), namespace), *names, watch=watch)


def test_each_notebooks_check_cell_passes_with_the_defaults(place, monkeypatch):
    """The other side of CASES: the defaults pass and create only the two folders."""
    monkeypatch.chdir(NOTEBOOKS)
    for name in NB.values():
        parameters, checks = _cells(name)
        namespace = {}
        exec(compile(parameters, "parameters", "exec"), namespace)
        namespace.update(
            extract=str(EXTRACT),
            output_dir=str(place / name / "output"),
            work_dir=str(place / name / "work"),
        )
        exec(compile(checks, "checks", "exec"), namespace)
        assert sorted(os.listdir(place / name)) == ["output", "work"]
        assert os.listdir(place / name / "output") == []


def test_in_a_notebook_the_error_is_one_line_and_papermill_stops(tmp_path):
    pm = pytest.importorskip("papermill")
    import nbformat

    nb = jupytext.read(NOTEBOOKS / "03_coworker_spillovers.py")
    last = max(i for i, c in enumerate(nb.cells) if "checks" in c.metadata.get("tags", []))
    nb.cells = nb.cells[: last + 1]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(tmp_path / "in.ipynb"))
    params = {"extract": str(EXTRACT), "output_dir": str(tmp_path / "output"),
              "work_dir": str(tmp_path / "work"), "age_range": [45, 64]}  # fmt: skip
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"),
                            parameters=params, cwd=str(NOTEBOOKS), progress_bar=False,
                            kernel_name="python3")  # fmt: skip
    assert err.value.ename == "ParameterError" and "age_range = [45, 64]" in err.value.evalue
    done = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    errors = [o for c in done.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert len(errors) == 1
    assert errors[0].traceback == [f"ParameterError: {errors[0].evalue}"]  # no frames
    assert "\n" not in errors[0].evalue  # one problem, one line
    assert not (tmp_path / "output").exists() and not (tmp_path / "work").exists()
