"""Bad-input catalogue: the ``leokit`` command (synth, validate, datacard).

Each case runs the real command in a fresh interpreter and expects exit code 1 or 2, one line
on stderr naming the argument or file and what was expected, no traceback, nothing on stdout,
and nothing under the test's folder written or removed (a user's folder above all).
"""

import json
import os

import pytest
from support.bad_input import expect_cli_error

from leokit.extract.writer import write_extract
from leokit.schema.sample import sample_world


def _extract(tmp, name="data", **kw):
    """A small extract written by leokit (parquet, with a data card like `leokit synth`)."""
    out = tmp / name
    write_extract(sample_world(years=(2013,), n=4, seed=2), out,
                  extra_files={"README.md": "# Synthetic LEO extract: data card\n"}, **kw)  # fmt: skip
    return out


def _folder(tmp, files):
    out = tmp / "mine"
    out.mkdir()
    for name, text in files.items():
        (out / name).write_text(text)
    return out


def _with(tmp, change):
    out = _extract(tmp)
    change(out)
    return out


def _interrupted(tmp):
    folder = tmp / ".data.tmp-999999-0123abcd"
    folder.mkdir()
    (folder / ".leokit-writing").write_text(json.dumps({"pid": 999999}))
    (folder / "leo_earnings.parquet").write_bytes(b"PAR1")
    return folder


def _running(tmp):
    """A temporary folder of a generation this (live) process is writing."""
    folder = tmp / f".data.tmp-{os.getpid()}-0123abcd"
    folder.mkdir()
    (folder / "leo_earnings.parquet").write_bytes(b"PAR1")
    return tmp / "data"


def case(id, make, *names, codes=(1, 2)):
    """make(tmp_path) -> (argv, names that depend on the folder) after setting files up."""
    return pytest.param(make, names, codes, id=id)


def synth(*args):
    return lambda t: (["synth", "--out", str(t / "x"), *args], [])


CASES = [
    # ---------------------------------------------------------------- synth: arguments
    case("scale-zero", synth("--scale", "0"), "--scale", "positive number"),
    case("scale-negative", synth("--scale", "-1"), "--scale", "positive number"),
    case("scale-text", synth("--scale", "abc"), "--scale", "'abc'"),
    case("scale-nan", synth("--scale", "nan"), "--scale"),
    case("scale-infinite", synth("--scale", "inf"), "--scale"),
    case("scale-below-smallest", synth("--scale", "1e-9"), "--scale", "1e-09", "smallest"),
    case("seed-fraction", synth("--seed", "1.5"), "--seed", "whole number"),
    case("seed-negative", synth("--seed", "-3"), "--seed", "'-3'"),
    case("format-unknown", synth("--format", "xlsx"), "--format", "xlsx"),
    case("schema-dotted", synth("--schema", "a.b"), "--schema", "'a.b'"),
    case("option-unknown", synth("--bogus"), "--bogus"),
    case("out-missing", lambda t: (["synth"], []), "--out"),
    case("out-empty", lambda t: (["synth", "--out", ""], []), "--out", "path"),
    case("command-unknown", lambda t: (["synthesise", "--out", str(t)], []), "synthesise"),
    # ---------------------------------------------------------------- synth: --out not ours
    case(
        "out-is-a-file",
        lambda t: _out(_file(t)),
        "--out",
        "is a file",
    ),
    case(
        "out-under-a-file",
        lambda t: _out(_file(t) / "sub"),
        "--out",
        "not a folder",
    ),
    case(
        "out-users-folder",
        lambda t: _out(_folder(t, {"thesis.docx": "precious"})),
        "refusing",
        "no manifest.json",
        "thesis.docx",
    ),
    case(
        "out-unrelated-manifest",
        lambda t: _out(_folder(t, {"manifest.json": '{"name": "app"}', "index.html": "<p>"})),
        "refusing",
        "manifest.json",
        "not an extract manifest",
    ),
    case(
        "out-manifest-not-json",
        lambda t: _out(_folder(t, {"manifest.json": "{oops", "notes.md": "mine"})),
        "refusing",
        "not valid JSON",
    ),
    case(
        "out-manifest-without-signature",
        lambda t: _out(_folder(t, {"manifest.json": '{"tables": {}}', "a.csv": "x"})),
        "refusing",
        "no leokit signature",
    ),
    case(
        "out-extract-with-notes",
        lambda t: _out(_with(t, lambda o: (o / "notes.txt").write_text("mine"))),
        "refusing",
        "notes.txt",
    ),
    case(
        "out-extract-with-edited-card",
        lambda t: _out(_with(t, lambda o: (o / "README.md").write_text("# my edits\n"))),
        "refusing",
        "README.md has changed",
    ),
    case(
        "out-extract-with-a-subfolder",
        lambda t: _out(_with(t, lambda o: (o / "figures").mkdir())),
        "refusing",
        "figures",
    ),
    case(
        "out-extract-with-a-regrown-table",
        lambda t: _out(_with(t, _append_to("leo_earnings.parquet"))),
        "refusing",
        "leo_earnings.parquet has changed",
    ),
    case("out-symlink", lambda t: _out(_symlink(t)), "--out", "symbolic link"),
    case(
        "out-another-run-writing",
        lambda t: _out(_running(t)),
        ".data.tmp-",
        "another run",
    ),
    # ---------------------------------------------------------------- validate
    case("validate-no-folder", lambda t: (["validate"], []), "DIR"),
    case("validate-empty-path", lambda t: (["validate", ""], []), "DIR"),
    case(
        "validate-missing",
        lambda t: (["validate", str(t / "nowhere")], [str(t / "nowhere")]),
        "does not exist",
    ),
    case("validate-a-file", lambda t: (["validate", str(_file(t))], [str(_file(t))]), "is a file"),
    case(
        "validate-no-manifest",
        lambda t: _validate(_with(t, lambda o: (o / "manifest.json").unlink())),
        "no manifest.json",
        "--no-manifest",
    ),
    case(
        "validate-manifest-not-json",
        lambda t: _validate(_with(t, lambda o: (o / "manifest.json").write_text("{"))),
        "manifest.json",
        "JSON",
    ),
    case(
        "validate-unrelated-manifest",
        lambda t: _validate(_with(t, lambda o: (o / "manifest.json").write_text('{"a": 1}'))),
        "manifest.json",
        "not an extract manifest",
    ),
    case(
        "validate-interrupted-generation",
        lambda t: _validate(_interrupted(t)),
        ".data.tmp-999999",
        "interrupted",
    ),
    case("validate-unknown-flag", lambda t: (["validate", "--partial", str(t)], []), "--partial"),
    # ---------------------------------------------------------------- datacard
    case(
        "datacard-missing",
        lambda t: (["datacard", str(t / "nowhere")], [str(t / "nowhere")]),
        "does not exist",
    ),
    case("datacard-empty-folder", lambda t: (["datacard", str(_folder(t, {}))], []), "no .parquet"),
    case(
        "datacard-output-a-users-file",
        lambda t: _card(t, _file(t, "README.md", "# My project\n")),
        "--output",
        "refusing",
        "README.md",
    ),
    case("datacard-output-a-folder", lambda t: _card(t, _folder(t, {})), "--output", "folder"),
    case(
        "datacard-output-no-such-folder",
        lambda t: _card(t, t / "nowhere" / "card.md"),
        "--output",
        "does not exist",
    ),
    case(
        "datacard-truncated-file",
        lambda t: (["datacard", str(_with(t, _truncate("leo_earnings.parquet")))], []),
        "leo_earnings.parquet",
        "not a valid Parquet file",
    ),
]


def _out(folder, sub=None):
    folder = folder / sub if sub else folder
    return ["synth", "--out", str(folder)], [str(folder)]


def _file(tmp, name="afile", text="x"):
    path = tmp / name
    if not path.exists():
        path.write_text(text)
    return path


def _symlink(tmp):
    target = _extract(tmp, "real")
    link = tmp / "link"
    link.symlink_to(target, target_is_directory=True)
    return link


def _append_to(name):
    def change(out):
        with open(out / name, "ab") as f:
            f.write(b"more")

    return change


def _truncate(name):
    def change(out):
        (out / name).write_bytes((out / name).read_bytes()[:100])

    return change


def _validate(folder):
    return ["validate", str(folder)], [str(folder)]


def _card(tmp, output):
    return ["datacard", str(_extract(tmp)), "--output", str(output)], []


@pytest.mark.parametrize("make, names, codes", CASES)
def test_bad_input_to_the_command(tmp_path, make, names, codes):
    argv, more = make(tmp_path)
    expect_cli_error(argv, *names, *more, watch=[tmp_path], codes=codes, cwd=tmp_path)


def test_the_catalogue_covers_every_command():
    assert len(CASES) >= 30
    ids = [p.id for p in CASES]
    assert any(i.startswith("validate") for i in ids) and any(i.startswith("datacard") for i in ids)
