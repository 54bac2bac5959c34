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
    with lx.open_extract(out) as ex:
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


# ------------------------------------------------------------------------------ --out: only ours
def _snapshot(folder):
    return {p.name: p.read_bytes() if p.is_file() else "dir" for p in sorted(folder.iterdir())}


def test_synth_replaces_only_an_extract_it_wrote(fake_generate, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["synth", "--seed", "1", "--out", str(out)]) == 0
    assert lx.read_manifest(out)["seed"] == 1
    assert main(["synth", "--seed", "2", "--out", str(out)]) == 0  # ours: replaced
    assert lx.read_manifest(out)["seed"] == 2
    assert sorted(os.listdir(tmp_path)) == ["data"]  # nothing left beside it
    capsys.readouterr()

    def refused(why):
        before = _snapshot(out)
        assert main(["synth", "--seed", "3", "--out", str(out)]) == 2
        err = one_line(capsys.readouterr().err)
        assert "--out" in err and "refusing" in err and str(out) in err and why in err, err
        assert _snapshot(out) == before and sorted(os.listdir(tmp_path)) == ["data"]

    (out / "notes.txt").write_text("my notes on the extract")
    refused("notes.txt")
    (out / "notes.txt").unlink()
    card = (out / "README.md").read_text()
    (out / "README.md").write_text(card + "\nMy notes: the 2013 cohort looks odd.\n")
    refused("README.md has changed")
    (out / "README.md").write_text(card)
    (out / "sub").mkdir()
    refused("sub")
    (out / "sub").rmdir()
    assert main(["synth", "--seed", "4", "--out", str(out)]) == 0  # ours again


def test_synth_refuses_a_folder_with_an_unrelated_manifest(fake_generate, tmp_path, capsys):
    for text, why in [
        ('{"name": "my web app", "version": 3}', "not an extract manifest written by leokit"),
        ('{"tables": {}}', "no leokit signature"),
        ("not json", "not valid JSON"),
    ]:
        out = tmp_path / "app"
        out.mkdir(exist_ok=True)
        (out / "manifest.json").write_text(text)
        (out / "index.html").write_text("<p>precious</p>")
        assert main(["synth", "--out", str(out)]) == 2
        err = one_line(capsys.readouterr().err)
        assert "refusing" in err and why in err, err
        assert sorted(os.listdir(out)) == ["index.html", "manifest.json"]
        assert (out / "manifest.json").read_text() == text
    assert fake_generate == []


def test_synth_replaces_a_leokit_0_1_extract_but_not_its_data_card(fake_generate, tmp_path):
    """Extracts written before manifests listed their files: views and truth.json are
    recognised; a README.md there could hold the user's edits, so it is refused."""
    import json

    out = tmp_path / "data"
    assert main(["synth", "--out", str(out), "--format", "csv"]) == 0
    m = lx.read_manifest(out)
    del m["files"], m["written_by"]
    (out / "manifest.json").write_text(json.dumps(m))
    assert main(["synth", "--out", str(out), "--format", "csv"]) == 0
    assert lx.read_manifest(out)["written_by"] == "leokit"
    m = lx.read_manifest(out)
    del m["files"], m["written_by"]
    (out / "manifest.json").write_text(json.dumps(m))
    (out / "README.md").write_text("# my own notes\n")
    assert main(["synth", "--out", str(out)]) == 2
    assert (out / "README.md").read_text() == "# my own notes\n"


def test_a_file_added_while_writing_is_kept_and_the_new_extract_dropped(tmp_path):
    from leokit.extract import writer

    world = sample_world(years=(2013,), n=5, seed=1)
    out = tmp_path / "data"
    writer.write_extract(world, out, fmt="csv")
    before = _snapshot(out)
    with pytest.raises(writer.WriteError, match="notes.txt"):
        with writer.ExtractWriter(out, fmt="csv") as w:
            for name, df in world.items():
                w.add(name, df)
            (out / "notes.txt").write_text("written meanwhile")
            w.finish()
    after = _snapshot(out)
    assert after.pop("notes.txt") == b"written meanwhile" and after == before
    assert sorted(os.listdir(tmp_path)) == ["data"]


def test_synth_scale_below_the_generators_smallest(fake_generate, tmp_path, capsys):
    from leokit.synth import config

    # 200 pupils per cohort: what any smaller scale would give as well, without a word
    exact = config.Sizes(1e-12).pupils_per_cohort / config.NATIONAL_COHORT
    assert config.Sizes(exact * 0.5).pupils_per_cohort == config.Sizes(exact).pupils_per_cohort
    for scale in ("1e-9", f"{exact * 0.99:.9f}"):
        assert main(["synth", "--scale", scale, "--out", str(tmp_path / "x")]) == 2
        err = one_line(capsys.readouterr().err)
        assert "--scale" in err and "below the smallest" in err and "--scale 0.000334" in err
    assert fake_generate == [] and os.listdir(tmp_path) == []
    assert main(["synth", "--scale", "0.000334", "--out", str(tmp_path / "x")]) == 0
    assert config.Sizes(0.000334).pupils_per_cohort == round(config.NATIONAL_COHORT * 0.000334)


def test_synth_out_of_memory_is_one_line(monkeypatch, tmp_path, capsys):
    def generate(scale, seed, progress=False, sink=None):
        raise MemoryError()

    monkeypatch.setattr(leokit.synth, "generate", generate)
    assert main(["synth", "--scale", "500", "--out", str(tmp_path / "x")]) == 1
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    err = stderr.strip().splitlines()[-1]  # after the progress bar
    assert "not enough memory" in err and "--scale 500" in err
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------ interruptions
SLOW_SYNTH = """
import sys, time
import leokit.synth
from leokit.schema.sample import sample_world
from leokit.synth.world import World

def generate(scale, seed, progress=False, sink=None):
    tables = sample_world(years=(2009, 2013), n=8, seed=seed)
    for i, (name, df) in enumerate(tables.items()):
        sink(name, df)
        if i == 3 and sys.argv[1] != "-":  # some files written: say so and wait to be stopped
            open(sys.argv[1], "w").write("paused")
            time.sleep(120)
    params = {"scale": scale, "seed": seed, "generator_version": "slow"}
    return World({}, {"he_effect": 0.15}, params)

leokit.synth.generate = generate
from leokit.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _slow_synth(tmp_path, out, ready, seed=1):
    import subprocess
    import sys

    script = tmp_path / "slow_synth.py"
    script.write_text(SLOW_SYNTH)
    return subprocess.Popen(
        [sys.executable, str(script), str(ready), "synth", "--seed", str(seed), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path, proc, timeout=120):
    import time

    end = time.monotonic() + timeout
    while not os.path.exists(path):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "the generation never paused"
        time.sleep(0.05)


def _wait_for_a_file(folder, suffix, proc, timeout=60):
    """Until the writer thread has put a file in `folder`."""
    import time

    end = time.monotonic() + timeout
    while not any(n.endswith(suffix) for n in os.listdir(folder)):
        assert proc.poll() is None and time.monotonic() < end, "no file was written"
        time.sleep(0.05)


def _hidden(folder):
    return sorted(n for n in os.listdir(folder.parent) if n.startswith("." + folder.name + "."))


@pytest.mark.parametrize("previous", [False, True])
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_sigterm_and_sigint_leave_the_old_extract_or_nothing(tmp_path, signame, previous):
    import signal

    out = tmp_path / "data"
    if previous:
        proc = _slow_synth(tmp_path, out, "-", seed=7)
        assert proc.wait(timeout=120) == 0, proc.communicate()
        before = _snapshot(out)
    proc = _slow_synth(tmp_path, out, tmp_path / "ready")
    _wait_for(tmp_path / "ready", proc)
    (tmp_dir,) = _hidden(out)  # the generation is writing, beside `out`
    _wait_for_a_file(tmp_path / tmp_dir, ".parquet", proc)
    signum = getattr(signal, signame)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert f"interrupted by {signame}" in last and "left as it was" in last
    assert _hidden(out) == []
    if previous:
        assert _snapshot(out) == before
    else:
        assert not out.exists()


def test_sigkill_leftovers_are_removed_by_the_next_run(tmp_path, capsys):
    import signal

    out = tmp_path / "data"
    proc = _slow_synth(tmp_path, out, "-", seed=7)
    assert proc.wait(timeout=120) == 0
    before = _snapshot(out)
    proc = _slow_synth(tmp_path, out, tmp_path / "ready")
    _wait_for(tmp_path / "ready", proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert _snapshot(out) == before  # the old extract, untouched
    (left,) = _hidden(out)
    assert f"tmp-{proc.pid}-" in left
    assert main(["validate", str(out)]) == 0  # the extract is fine; the leftover is named
    report = capsys.readouterr().out
    assert left in report and "next `leokit synth" in report
    assert main(["validate", str(tmp_path / left)]) == 1  # the half-written folder fails
    assert "interrupted" in one_line(capsys.readouterr().err)
    proc = _slow_synth(tmp_path, out, "-", seed=8)
    assert proc.wait(timeout=120) == 0, proc.communicate()
    assert _hidden(out) == [] and lx.read_manifest(out)["seed"] == 8


def test_a_running_generations_folder_is_named_not_removed(fake_generate, tmp_path, capsys):
    out = tmp_path / "data"
    busy = tmp_path / f".data.tmp-{os.getpid()}-0123abcd"  # this process: alive
    busy.mkdir()
    (busy / "leo_earnings.parquet").write_bytes(b"half")
    assert main(["synth", "--out", str(out)]) == 1
    err = one_line(capsys.readouterr().err)
    assert str(busy) in err and "another run" in err
    assert os.listdir(busy) == ["leo_earnings.parquet"] and not out.exists()


@pytest.mark.slow
def test_sigterm_during_a_real_generation(tmp_path):
    """The real generator and writer threads, stopped while files are being written."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "leokit.cli", "synth", "--scale", "0.005", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    end = time.monotonic() + 300
    while True:
        hidden = _hidden(out)
        if hidden and sum(n.endswith(".parquet") for n in os.listdir(tmp_path / hidden[0])) >= 2:
            break
        assert proc.poll() is None and time.monotonic() < end, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr and "interrupted by SIGTERM" in stderr
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------ validate
def test_validate_needs_the_manifest_and_every_view(fake_generate, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["synth", "--out", str(out)]) == 0
    capsys.readouterr()
    (out / "manifest.json").unlink()
    (out / "leo_benefit.parquet").unlink()
    (out / "lookup_area.parquet").unlink()
    assert main(["validate", str(out)]) == 1
    err = one_line(capsys.readouterr().err)
    assert "no manifest.json" in err and "--no-manifest" in err
    assert main(["validate", "--no-manifest", str(out)]) == 1
    report = capsys.readouterr().out
    assert "leo_benefit: 1 failure(s)" in report and "lookup_area" in report
    assert "registry_view_present" in report
    assert main(["validate", "--no-manifest", "--allow-missing-views", str(out)]) == 0
    report = capsys.readouterr().out
    assert "2 registry view(s) absent (allowed): leo_benefit, lookup_area" in report


def test_validate_names_a_truncated_file_and_a_checksum_that_disagrees(
    fake_generate, tmp_path, capsys
):
    import pyarrow.parquet as pq

    out = tmp_path / "data"
    assert main(["synth", "--out", str(out)]) == 0
    capsys.readouterr()
    path = out / "leo_earnings.parquet"
    path.write_bytes(path.read_bytes()[:300])
    emp = out / "leo_employment.parquet"
    t = pq.read_table(emp)
    pq.write_table(t.slice(1), emp)  # a row fewer, behind the manifest's back
    assert main(["validate", str(out)]) == 1
    report = capsys.readouterr().out
    lines = [line for line in report.splitlines() if "leo_earnings.parquet" in line]
    assert any("not a valid Parquet file" in line and "readable" in line for line in lines)
    assert "Traceback" not in report
    assert "leo_employment" in report and "manifest_sha256" in report
    assert "manifest_rows" in report and "manifest_file_size" in report
    with pytest.raises(lx.ExtractError, match="leo_earnings.parquet.*not a valid Parquet"):
        lx.open_extract(out).read("leo_earnings")


def test_datacard_output_never_replaces_a_users_file(fake_generate, tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["synth", "--out", str(out)]) == 0
    capsys.readouterr()
    mine = tmp_path / "README.md"
    mine.write_text("# My project\n")
    assert main(["datacard", str(out), "-o", str(mine)]) == 2
    assert "refusing" in one_line(capsys.readouterr().err)
    assert mine.read_text() == "# My project\n"
    card = tmp_path / "card.md"
    assert main(["datacard", str(out), "-o", str(card)]) == 0
    assert main(["datacard", str(out), "-o", str(card)]) == 0  # a card it wrote: replaced
    assert sorted(os.listdir(tmp_path)) == ["README.md", "card.md", "data"]


def test_an_older_leokits_leftover_is_named_and_left_alone(fake_generate, tmp_path, capsys):
    """leokit 0.1 left `.DIR.tmp-<random>` folders with nothing saying whose they were."""
    old = tmp_path / ".data.tmp-k2j4x_9q"
    old.mkdir()
    (old / "leo_earnings.parquet").write_bytes(b"half")
    out = tmp_path / "data"
    assert main(["synth", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert str(old) in printed and "older leokit" in printed
    assert os.listdir(old) == ["leo_earnings.parquet"]
    assert main(["validate", str(out)]) == 0
    assert str(old) in capsys.readouterr().out


def test_the_committed_extract_is_one_leokit_may_replace():
    """`make data` regenerates data_synthetic/ when it is broken: leokit must recognise it."""
    from pathlib import Path

    from leokit.extract.writer import not_ours, own_files

    folder = Path(__file__).resolve().parents[2] / "data_synthetic"
    assert not_ours(folder) is None
    assert set(own_files(folder)) == set(os.listdir(folder))
