"""The SRS import bundle (`make srs-bundle`, tools/cookbook/bundle.py): built twice it is the
same bytes; it holds leokit's SRS modules unchanged and every recipe's code as plain files
with a README and SHA-256 checksums; its Python files run on the SRS profile and its R files
with Rscript against data_csv/, printing each page's Expected output; its .do files pass the
Stata checker. A folder holding files the tool did not write is never touched.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
from support.recipes import (
    ROOT,
    assert_ok,
    load_srs_profile,
    recipe_workdir,  # noqa: F401 - fixture
    tool,
)

bundle = tool.bundle


@pytest.fixture(scope="module")
def built(tmp_path_factory, recipe_workdir):  # noqa: F811
    """A bundle in a temporary folder, with data_csv/ beside its files as in a work folder."""
    folder = str(tmp_path_factory.mktemp("bundle") / "srs_bundle")
    info = bundle.build(folder)
    # data_csv/ next to the files, as the README tells a reader to work; not part of the bundle
    os.symlink(os.path.join(recipe_workdir, "data_csv"), os.path.join(folder, "data_csv"))
    return info


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_same_pages_same_bytes(tmp_path):
    one = bundle.build(str(tmp_path / "one" / "srs_bundle"))
    two = bundle.build(str(tmp_path / "two" / "srs_bundle"))
    assert sha256(one["zip"]) == sha256(two["zip"])
    again = bundle.build(one["folder"])  # rebuilding its own folder replaces it
    assert sha256(again["zip"]) == sha256(two["zip"])
    with zipfile.ZipFile(one["zip"]) as zf:
        assert {i.date_time for i in zf.infolist()} == {bundle.ZIP_TIME}
        names = zf.namelist()
    assert names[:-1] == sorted(names[:-1]) and names[-1] == "srs_bundle/" + bundle.SUMS


def test_contents_and_checksums(built):
    folder = built["folder"]
    with open(os.path.join(folder, bundle.SUMS), encoding="utf-8") as f:
        sums = dict(reversed(line.split("  ", 1)) for line in f.read().splitlines())
    for rel, digest in sums.items():
        assert sha256(os.path.join(folder, rel)) == digest, rel
    # leokit: exactly the SRS modules, byte for byte
    for name in bundle.srs_modules():
        source, target = bundle._module_file(name)
        assert target in sums, target
        assert sha256(source) == sums[target], target
    assert not any(p.startswith("leokit/synth") or p == "leokit/sql.py" for p in sums)
    # every block of every page, under its page's name
    for rec in tool.load_all():
        stem = f"recipes/{rec.name}"
        for lang, ext in (("python", ".py"), ("r", ".R")):
            for k, block in enumerate(rec.blocks_of(lang), start=1):
                path = stem + ("" if k == 1 else f"_{k}") + ext
                with open(os.path.join(folder, path), encoding="utf-8") as f:
                    assert block.code in f.read(), path
        for lang, ext in (("stata", ".do"), ("sql", ".sql")):
            if rec.blocks_of(lang):
                assert stem + ext in sums, stem + ext
    assert "recipes/lookups/cpih_annual.csv" in sums
    with open(os.path.join(folder, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for word in (
        "import request",
        "SHA256SUMS",
        "reghdfe",
        "rdrobust",
        "linearmodels",
        "odbc load",
        "leo_synth",
        "data.table",
    ):
        assert word in readme, word


def test_a_folder_with_other_files_is_left_alone(tmp_path):
    folder = tmp_path / "srs_bundle"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(bundle.BundleError, match="not written by this tool"):
        bundle.build(str(folder))
    assert os.listdir(folder) == ["notes.txt"]
    assert not os.path.exists(str(folder) + ".zip")
    built = bundle.build(str(tmp_path / "ok" / "srs_bundle"))
    with open(os.path.join(built["folder"], "recipes", "mine.txt"), "w") as f:
        f.write("added by hand")
    with pytest.raises(bundle.BundleError, match="recipes/mine.txt"):
        bundle.build(built["folder"])
    assert os.path.exists(os.path.join(built["folder"], "recipes", "mine.txt"))
    assert not [p for p in os.listdir(tmp_path / "ok") if p.startswith(".srs_bundle")]


def test_the_command_line_writes_it(tmp_path):
    out = tmp_path / "b" / "srs_bundle"
    cmd = [sys.executable, os.path.join(ROOT, "tools", "recipes.py"), "bundle", "--out", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert os.path.exists(str(out) + ".zip")


def entries(lang, srs_only=False):
    out = []
    for e in bundle.plan():
        if e.lang != lang:
            continue
        if srs_only and not (e.page.meta.get("srs_ready") and e.blocks[0].srs):
            continue
        out.append(pytest.param(e, id=e.path))
    return out


def compare(entry, stdout):
    rec, block = entry.page, entry.blocks[0]
    printed = tool.parse_printed(stdout)
    diffs = tool.compare_with_expected(printed, rec.expected, block.outputs(rec.expected))
    return [f"bundle {entry.path}: {d}" for d in diffs]


@pytest.fixture(scope="module")
def srs_python():
    profile = load_srs_profile()
    try:
        info = profile.build()
    except (profile.NoInterpreter, profile.PinsUnavailable) as exc:
        pytest.skip(f"SRS profile unavailable: {exc}")
    return info["python"]


@pytest.mark.srs
@pytest.mark.parametrize("entry", entries("python", srs_only=True))
def test_python_files_run_on_the_srs_profile(entry, built, srs_python):
    folder = built["folder"]
    env = dict(tool.block_env(), PYTHONPATH=folder)  # leokit from the bundle, not from src/
    run = subprocess.run(
        [srs_python, os.path.join(folder, *entry.path.split("/"))],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, f"{entry.path}:\n{run.stderr[-3000:]}"
    assert not run.stderr.strip(), f"{entry.path} warned:\n{run.stderr[-2000:]}"
    assert_ok(compare(entry, run.stdout))


@pytest.mark.parametrize("entry", entries("r"))
def test_r_files_run_with_rscript(entry, built):
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not found (tools/test_setup.sh installs r-base-core)")
    folder = built["folder"]
    run = subprocess.run(
        ["Rscript", "--vanilla", os.path.join(folder, *entry.path.split("/"))],
        cwd=folder,
        env=tool.block_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, f"{entry.path}:\n{run.stderr[-3000:]}"
    assert_ok(compare(entry, run.stdout))


def test_do_files_pass_the_stata_checker(built):
    folder = built["folder"]
    data = os.path.join(folder, "data_csv")
    found = []
    for e in bundle.plan():
        if e.lang == "stata":
            path = os.path.join(folder, *e.path.split("/"))
            found += [f"{e.path}: {f}" for f in tool.stata.check_do_file(path, data)]
    assert_ok(found)
    # and the checker reads the declared packages from the header: without it reghdfe is unknown
    fe = os.path.join(folder, "recipes", "estimation", "estimate_fixed_effects.do")
    with open(fe, encoding="utf-8") as f:
        text = f.read().replace("SSC packages: reghdfe ftools (", "(")
    stripped = os.path.join(folder, "stripped.do")
    with open(stripped, "w", encoding="utf-8") as f:
        f.write(text)
    try:
        assert any("SSC package reghdfe" in f for f in tool.stata.check_do_file(stripped, data))
    finally:
        os.unlink(stripped)
