"""tools/student_copies.py: student copies keep the exercises, lose every solution, and run."""

import importlib.util
from pathlib import Path

import nbformat
import pytest
from support import output_scan

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _tool():
    spec = importlib.util.spec_from_file_location(
        "student_copies", ROOT / "tools" / "student_copies.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    _tool().build(out)
    return out


@pytest.mark.parametrize("ref", REFERENCES, ids=[p.stem for p in REFERENCES])
def test_no_solution_text_survives(ref, copies):
    tool = _tool()
    original = nbformat.read(str(ref), as_version=4)
    student = nbformat.read(str(copies / ref.name), as_version=4)
    solutions = [c for c in original.cells if tool.is_solution(c)]
    assert len(solutions) >= 2, "each notebook has at least two exercises with solutions"
    text = "\n".join(c.source for c in student.cells)
    # a line that also occurs outside the solutions (a generic groupby, say) gives nothing away
    rest = "\n".join(c.source for c in original.cells if not tool.is_solution(c))
    for cell in solutions:
        for line in cell.source.splitlines():
            line = line.strip()
            if len(line) >= 12 and line not in rest:
                assert line not in text, f"{ref.name}: solution line kept: {line}"
    assert sum("solution-removed" in c.metadata.get("tags", []) for c in student.cells) == len(
        solutions
    )
    assert not any(c.get("outputs") for c in student.cells if c.cell_type == "code")
    # the exercises themselves (prompts and empty answer cells) are still there
    assert [c.source for c in original.cells if c.cell_type == "markdown"] == [
        c.source for c in student.cells if c.cell_type == "markdown"
    ]


@pytest.mark.parametrize("ref", REFERENCES, ids=[p.stem for p in REFERENCES])
def test_student_copy_runs(ref, copies, tmp_path):
    pm = pytest.importorskip("papermill")
    pm.execute_notebook(
        str(copies / ref.name),
        str(tmp_path / ref.name),
        parameters={
            "extract": str(ROOT / "data_synthetic"),
            "output_dir": str(tmp_path / "output"),
            "work_dir": str(tmp_path / "work"),
        },
        cwd=str(copies),
        progress_bar=False,
        kernel_name="python3",
    )
    assert (tmp_path / "output" / "results.json").exists()
    assert (tmp_path / "output" / "output_check.md").exists()
    executed = nbformat.read(str(tmp_path / ref.name), as_version=4)
    values = output_scan.key_values(str(ROOT / "data_synthetic"))
    leaks = output_scan.scan_notebook(executed, values)
    leaks += output_scan.scan_output_dir(tmp_path / "output", values)
    leaks += output_scan.recheck(tmp_path / "work", tmp_path / "output")
    assert not leaks, leaks
