"""leokit.notebook and the checks in leokit.params that need more than one parameter."""

import os

import pytest

from leokit import notebook, params
from leokit.extract import open_extract
from leokit.params import Param, ParameterError

EXTRACT = os.path.join(os.path.dirname(__file__), "..", "..", "data_synthetic")


def test_folders_that_can_be_made_pass_and_nothing_is_created(tmp_path):
    out, work = tmp_path / "a" / "out", tmp_path / "b" / "work"
    assert params.folder_problems(str(out), str(work), EXTRACT) == []
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    "output_dir, work_dir, expected",
    [
        ("{file}/out", "{tmp}/work", "output_dir = '{file}/out' cannot be created: '{file}' is a file"),
        ("{file}", "{tmp}/work", "output_dir = '{file}' is a file, not a folder"),
        ("{tmp}/out", "{file}/w/x", "work_dir = '{file}/w/x' cannot be created"),
        ("{tmp}/out", "{tmp}/out", "work_dir = '{tmp}/out' is output_dir"),
        ("{tmp}/out", "{tmp}/out/work", "or inside it"),
        ("{extract}", "{tmp}/work", "overlap"),
        ("{tmp}", "{tmp}/elsewhere/w", "is output_dir = '{tmp}' or inside it"),
    ],
)  # fmt: skip
def test_folder_problems_name_the_parameter(tmp_path, output_dir, expected, work_dir):
    (tmp_path / "a_file").write_text("x")
    fill = dict(tmp=tmp_path, file=tmp_path / "a_file", extract=EXTRACT)
    problems = params.folder_problems(output_dir.format(**fill), work_dir.format(**fill), EXTRACT)
    assert any(expected.format(**fill) in p for p in problems), problems


def test_extract_around_output_dir_and_work_dir_inside_extract(tmp_path):
    inner = os.path.join(EXTRACT, "sub")
    assert any("overlap" in p for p in params.folder_problems(inner, str(tmp_path / "w"), EXTRACT))
    here = params.folder_problems(str(tmp_path / "o"), os.path.join(EXTRACT, "w"), EXTRACT)
    assert any("work_dir" in p and "inside extract" in p for p in here)
    around = params.folder_problems(
        os.path.dirname(os.path.abspath(EXTRACT)), str(tmp_path), EXTRACT
    )
    assert any("overlap" in p for p in around)


def test_pairs_duplicates_and_refuse():
    assert params.pair_problems("age_range", [20, 30]) == []
    assert "give two values" in params.pair_problems("age_range", [20])[0]
    assert "first <= the last" in params.pair_problems("age_range", [30, 20])[0]
    assert "lists 3 twice" in params.duplicate_problems("ages", [3, 4, 3])[0]
    params.refuse("nb", [])
    with pytest.raises(ParameterError) as one:
        params.refuse("nb", ["x = 1: too small"])
    assert str(one.value) == "bad parameter for nb: x = 1: too small"
    with pytest.raises(ParameterError) as two:
        params.refuse("nb", ["x = 1: too small", "y = 2: too big"])
    assert str(two.value).count("\n  - ") == 2


def test_check_adds_the_folder_checks(tmp_path):
    spec = {"extract": Param(str), "output_dir": Param(str), "work_dir": Param(str)}
    ns = {
        "extract": EXTRACT,
        "output_dir": str(tmp_path / "o"),
        "work_dir": str(tmp_path / "o" / "w"),
    }
    with pytest.raises(ParameterError) as err:
        notebook.check(ns, spec, "nb")
    assert "work_dir" in str(err.value)
    ns["work_dir"] = str(tmp_path / "w")
    assert notebook.check(ns, spec, "nb") == ns
    assert not notebook.show_errors_briefly()  # outside IPython the traceback stays


def test_what_the_extract_holds():
    ex = open_extract(EXTRACT)
    first, last = notebook.tax_year_range(ex)
    assert first < last == 202021
    assert notebook.family_years(ex, "hesa") == list(range(2009, 2018))
    assert notebook.family_years(ex, "spring_census") == list(range(2006, 2013))
