"""tools/run_notebooks.py executes every notebook with papermill, injecting extract and output_dir."""

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("papermill")


def _tool():
    spec = importlib.util.spec_from_file_location(
        "run_notebooks", ROOT / "tools" / "run_notebooks.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _notebook(path, body):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('extract = "nowhere"\noutput_dir = "nowhere"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))


def test_runs_each_notebook_with_the_extract_and_an_output_folder(tmp_path, capsys):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    _notebook(
        nbdir / "01_demo.ipynb",
        (
            "import json, os\nos.makedirs(output_dir, exist_ok=True)\n"
            "json.dump({'extract': extract}, open(os.path.join(output_dir, 'results.json'), 'w'))"
        ),
    )
    out = tmp_path / "out"
    rc = _tool().main(["--extract", "data_synthetic", "--out", str(out), "--notebooks", str(nbdir)])
    assert rc == 0
    assert (out / "01_demo.ipynb").exists()
    res = json.loads((out / "01_demo" / "results.json").read_text())
    assert res["extract"] == str(ROOT / "data_synthetic")
    assert str(out) in capsys.readouterr().out


def test_a_failing_notebook_fails_the_run(tmp_path):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    _notebook(nbdir / "01_bad.ipynb", "raise ValueError('boom')")
    rc = _tool().main(["--out", str(tmp_path / "out"), "--notebooks", str(nbdir)])
    assert rc == 1
