"""The leokit command: synth / validate / datacard, and one-line errors for bad input."""

import os

import pytest

import leokit.extract as lx
import leokit.synth
from leokit.cli import main
from leokit.schema.sample import sample_world
from leokit.synth.world import World

TRUTH = {"he_effect": 0.15}


@pytest.fixture()
def fake_generate(monkeypatch):
    calls = []

    def generate(scale, seed, progress=False, sink=None):
        calls.append((scale, seed, progress))
        params = {"scale": scale, "seed": seed, "generator_version": "fake"}
        tables = sample_world(years=(2009, 2013), n=8, seed=seed)
        if sink is not None:  # as the real one: the tables go to the sink, not the world
            for name, df in tables.items():
                sink(name, df)
            tables = {}
        return World(tables, TRUTH, params)

    monkeypatch.setattr(leokit.synth, "generate", generate)
    return calls


def one_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_synth_parquet_writes_extract_manifest_truth_and_card(fake_generate, tmp_path, capsys):
    out = tmp_path / "data"
    code = main(["synth", "--scale", "0.01", "--seed", "5", "--out", str(out)])
    assert code == 0
    assert fake_generate == [(0.01, 5, True)]
    names = sorted(os.listdir(out))
    assert {"manifest.json", "truth.json", "README.md", "leo_earnings.parquet"} <= set(names)
    m = lx.read_manifest(out)
    assert (m["seed"], m["scale"], m["format"]) == (5, 0.01, "parquet")
    card = (out / "README.md").read_text()
    assert "Synthetic data, not real records" in card
    assert "leokit synth --scale 0.01 --seed 5" in card
    assert "observed" in card and "9999-12-31" in card
    assert "- **Rows:** 2009: 8; 2013: 8" in card
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["csv", "dta", "duckdb"])
def test_synth_other_formats(fake_generate, tmp_path, fmt):
    out = tmp_path / fmt
    assert main(["synth", "--scale", "1", "--seed", "0", "--out", str(out), "--format", fmt]) == 0
    assert "README.md" not in os.listdir(out)
    with lx.open(out) as ex:
        assert len(ex.read("hesa")) == 16


def test_synth_schema_name(fake_generate, tmp_path):
    out = tmp_path / "db"
    assert main(["synth", "--out", str(out), "--format", "duckdb", "--schema", "2002237"]) == 0
    con = lx.connect_duckdb(out)
    assert con.execute('SELECT count(*) FROM LEO_i2."2002237".leo_earnings').fetchall() == [(8,)]
    con.close()


@pytest.mark.parametrize(
    "args, argument, expected",
    [
        (["--scale", "-1"], "--scale", "positive number"),
        (["--scale", "0"], "--scale", "positive number"),
        (["--scale", "abc"], "--scale", "positive number"),
        (["--scale", "nan"], "--scale", "positive number"),
        (["--seed", "1.5"], "--seed", "whole number"),
        (["--format", "xlsx"], "--format", "parquet"),
        (["--schema", "a.b"], "--schema", "letters, digits and underscores"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(
    fake_generate, tmp_path, capsys, args, argument, expected
):
    out = tmp_path / "data"
    code = main(["synth", "--out", str(out)] + args)
    assert code == 2
    err = one_line(capsys.readouterr().err)
    assert argument in err and expected in err
    assert not out.exists() and os.listdir(tmp_path) == []
    assert fake_generate == []


def test_unwritable_or_occupied_out(fake_generate, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out, expected in [
        (afile, "is a file"),
        (afile / "sub", "is a file, not a folder"),
    ]:
        assert main(["synth", "--out", str(out)]) == 2
        err = one_line(capsys.readouterr().err)
        assert "--out" in err and expected in err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main(["synth", "--out", str(mine)]) == 2
    err = one_line(capsys.readouterr().err)
    assert "--out" in err and "refusing" in err
    assert os.listdir(mine) == ["notes.txt"]
    assert fake_generate == []
    assert main(["synth"]) == 2
    assert "--out" in one_line(capsys.readouterr().err)


def test_validate_and_datacard_commands(fake_generate, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["synth", "--out", str(out), "--format", "csv"]) == 0
    capsys.readouterr()
    assert main(["validate", str(out)]) == 0
    assert "0 failed" in capsys.readouterr().out
    lines = (out / "leo_benefit.csv").read_text().splitlines()
    fields = lines[1].split(",")
    fields[3] = "XYZ"  # Benefit_type not in the code list
    lines[1] = ",".join(fields)
    (out / "leo_benefit.csv").write_text("\n".join(lines) + "\n")
    assert main(["validate", str(out)]) == 1
    report = capsys.readouterr().out
    assert "leo_benefit" in report and "Benefit_type" in report and "'XYZ'" in report
    assert main(["validate", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in one_line(capsys.readouterr().err)

    assert main(["datacard", str(out)]) == 0
    card = capsys.readouterr().out
    assert card.startswith("# Synthetic LEO extract") and "### leo_benefit" in card
    assert main(["datacard", str(out), "-o", str(tmp_path / "card.md")]) == 0
    assert (tmp_path / "card.md").read_text() == card


def test_no_command_shows_help(capsys):
    assert main([]) == 2
    assert "synth" in capsys.readouterr().err
