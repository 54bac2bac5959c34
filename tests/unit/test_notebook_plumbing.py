"""leokit.notebook's flow table, truth lookup, kernel set-up and model summaries."""

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from leokit import extract as lx
from leokit import notebook
from leokit.notebook import kernel, models

ROOT = Path(__file__).resolve().parents[2]
EXTRACT = ROOT / "data_synthetic"


def test_flow_counts_distinct_units_and_releases_them_rounded():
    flow = notebook.Flow()
    frame = pd.DataFrame({"AE_ID": [1, 1, 2] + list(range(10, 30))})
    assert flow.keep("people", frame) is frame
    flow.count("applications", 1234)
    flow.count("few", 7)
    flow.count("people", 22)  # a step again: replaced in place
    assert flow.raw().values.tolist() == [["people", 22], ["applications", 1234], ["few", 7]]
    table = flow.table()
    assert table.people.tolist()[:2] == [20, 1235] and pd.isna(table.people.iloc[2])
    assert len(table.attrs["sdc_report"].suppressed) == 1
    with pytest.raises(KeyError, match="no column 'PMR'"):
        flow.keep("x", frame, unit="PMR")


def test_truth_on_synthetic_and_on_real_data(tmp_path):
    ex = lx.open_extract(EXTRACT)
    planted = json.loads((EXTRACT / "truth.json").read_text())
    assert notebook.truth(ex, "returns_to_he.he_return") == planted["returns_to_he"]["he_return"]
    assert notebook.truth(str(EXTRACT), ("spillovers", "coworker_theta")) == 0.1
    assert notebook.truth({"odbc": "DSN=x", "schema": "1"}, "returns_to_he.he_return") is None
    with pytest.raises(KeyError, match="has no 'he_retrun' under returns_to_he"):
        notebook.truth(ex, "returns_to_he.he_retrun")
    # views exported by hand (no leokit manifest) are real data, even with a truth.json beside
    own = tmp_path / "own"
    own.mkdir()
    shutil.copy(EXTRACT / "lookup_ucas_course.parquet", own)
    shutil.copy(EXTRACT / "truth.json", own)
    assert notebook.truth(lx.open_extract(own), "returns_to_he.he_return") is None
    assert notebook.truth(str(own), "returns_to_he.he_return") is None


def test_setup_limits_threads_and_picks_a_pool(monkeypatch):
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    done = notebook.setup()
    assert done["blas_threads"] == 1 and done["arrow_pool"] in ("jemalloc", "system")
    import os

    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert done["blas_limited"]
    loaded = kernel.loaded_blas_threads()  # numpy's OpenBLAS, loaded by now (Linux)
    assert all(n == 1 for n in loaded)
    kernel.blas_threads(2)
    assert all(n == 2 for n in kernel.loaded_blas_threads())
    kernel.blas_threads(1)
    with pytest.raises(ValueError, match="expected one of"):
        kernel.arrow_memory_pool("tcmalloc")
    notebook.release_memory()  # no error where malloc_trim is missing


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 3000
    d = pd.DataFrame({"x": rng.normal(size=n), "f": rng.integers(0, 400, n),
                      "c": rng.integers(0, 25, n)})  # fmt: skip
    d["y"] = 0.3 * d.x + rng.normal(size=n) + 0.5 * rng.normal(size=25)[d.c]
    return d


def test_statsmodels_summary(data):
    fit = smf.ols("y ~ x", data).fit(cov_type="cluster", cov_kwds={"groups": data.c})
    s = models.summary(fit, "x")
    assert s["coef"] == fit.params["x"] and s["se"] == fit.bse["x"]
    assert s["ci"] == pytest.approx(list(fit.conf_int().loc["x"]))
    assert (s["n"], s["dof"], s["n_clusters"], s["package"]) == (3000, 2998, 25, "statsmodels")
    with pytest.raises(KeyError, match="no coefficient 'z'"):
        models.summary(fit, "z")


def test_linearmodels_summary(data):
    from linearmodels.iv.absorbing import AbsorbingLS

    fit = AbsorbingLS(data.y, data[["x"]], absorb=data[["f"]].astype("category")).fit(
        cov_type="clustered", clusters=data.c.to_numpy(), debiased=True
    )
    s = models.summary(fit, "x")
    assert s["se"] == fit.std_errors["x"] and s["n_clusters"] == 25
    assert (s["n"], s["dof"]) == (3000, fit.df_resid)


def test_pyfixest_summary_matches_its_private_attributes(data):
    pf = pytest.importorskip("pyfixest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols("y ~ x | f", data, vcov={"CRV1": "c"})
        se_before = fit.se()["x"]
        s = models.summary(fit, "x")
        assert fit.se()["x"] == se_before  # the caller's fit keeps its clustered errors
        # private attributes, read here only to check the public route
        assert s["n"] == fit._N and s["n_clusters"] == min(fit._G)
        assert s["dof"] == fit._N - fit._df_k and s["coef"] == fit.coef()["x"]
        hetero = models.summary(pf.feols("y ~ x | f", data, vcov="hetero"), "x")
        assert hetero["n_clusters"] is None and hetero["dof"] == s["dof"]


def test_summary_refuses_other_objects():
    with pytest.raises(TypeError, match="expected a statsmodels, linearmodels or pyfixest"):
        models.summary(object(), "x")
