"""Bad-input catalogue: opening an extract and reading from it.

Every case is one clear ValueError (leokit.extract.ExtractError) raised by leokit naming the
thing that is wrong, with nothing in the extract folders written or removed: folders that do
not exist or are files, corrupt and truncated files of every format, a CSV or Stata file with a
renamed or missing column, SRS connection settings with wrong keys or types, and read()
arguments of the wrong kind (unknown views, years and columns, `where` values that could
never match).
"""

import os
import warnings

import pytest
from support.bad_input import expect_error

import leokit.extract as lx
from leokit.extract.writer import write_extract
from leokit.schema.sample import sample_world

YEARS = (2012, 2013)


class Folders:
    """The extracts the cases open: good ones in every format, and broken copies."""

    def __init__(self, root):
        self.root = root
        world = sample_world(years=YEARS, n=6, seed=5)
        for fmt in lx.FORMATS:
            write_extract(world, root / fmt, fmt=fmt)
        self.missing = root / "nowhere"
        self.afile = root / "afile.txt"
        self.afile.write_text("not an extract")
        self.duckdb_file = root / "duckdb" / "LEO_i2.duckdb"
        (root / "empty").mkdir()
        (root / "text").mkdir()
        (root / "text" / "notes.txt").write_text("hello")
        (root / "badjson").mkdir()
        (root / "badjson" / "leo_earnings.csv").write_text("Edukey\n")
        (root / "badjson" / "manifest.json").write_text("{not json")
        tmp = root / ".data.tmp-1-0123abcd"
        tmp.mkdir()
        (tmp / ".leokit-writing").write_text('{"pid": 1}')
        (tmp / "leo_earnings.parquet").write_bytes(b"PAR1")
        self.interrupted = tmp
        earnings = world["leo_earnings"]
        self.broken = {}
        for name, write in [
            (
                "truncated_parquet",
                lambda d: _truncate(root / "parquet" / "leo_earnings.parquet", d),
            ),
            ("text_as_parquet", lambda d: (d / "leo_earnings.parquet").write_text("Edukey,x\n")),
            ("latin1_csv", lambda d: (d / "leo_earnings.csv").write_bytes(b"Edukey\n\xe9\xe9\n")),
            ("empty_csv", lambda d: (d / "leo_earnings.csv").write_text("")),
            ("text_as_dta", lambda d: (d / "leo_earnings.dta").write_text("not stata")),
            ("text_as_duckdb", lambda d: (d / "LEO_i2.duckdb").write_text("not duckdb")),
            ("renamed_csv", lambda d: _csv(earnings.rename(columns={"Earnings": "Earning"}), d)),
            ("dropped_csv", lambda d: _csv(earnings.drop(columns=["TaxYear"]), d)),
            ("renamed_dta", lambda d: _dta(earnings.rename(columns={"TaxYear": "Tax_Year"}), d)),
            ("text_in_int_csv", lambda d: _csv(earnings.astype(object).assign(Earnings="12k"), d)),
        ]:
            folder = root / name
            folder.mkdir()
            write(folder)
            self.broken[name] = folder
        self.parquet = lx.open_extract(root / "parquet")
        self.csv = lx.open_extract(root / "csv")
        self.dta = lx.open_extract(root / "dta")

    def file(self, name, fname="leo_earnings"):
        folder = self.broken[name]
        return str([folder / f for f in os.listdir(folder) if f.startswith(fname)][0])


def _truncate(src, folder):
    (folder / "leo_earnings.parquet").write_bytes(src.read_bytes()[:200])


def _csv(df, folder):
    df.to_csv(folder / "leo_earnings.csv", index=False)


def _dta(df, folder):
    with warnings.catch_warnings():  # a long name cut to Stata's 32 characters
        warnings.simplefilter("ignore")
        df.to_stata(folder / "leo_earnings.dta", write_index=False)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    f = Folders(tmp_path_factory.mktemp("bad_extract"))
    yield f
    for ex in (f.parquet, f.csv, f.dta):
        ex.close()


def case(id, call, *names):
    """call(folders) must raise; names: text, or functions of folders giving text."""
    return pytest.param(call, names, id=id)


def _read(name):
    return lambda f: lx.open_extract(f.broken[name]).read("leo_earnings")


CASES = [
    # ---------------------------------------------------------------- opening a folder
    case(
        "folder-missing",
        lambda f: lx.open_extract(f.missing),
        lambda f: f.missing,
        "does not exist",
    ),
    case("folder-is-a-file", lambda f: lx.open_extract(f.afile), lambda f: f.afile, "is a file"),
    case("one-duckdb-file", lambda f: lx.open_extract(f.duckdb_file), "LEO_i2.duckdb", "folder"),
    case("folder-empty", lambda f: lx.open_extract(f.root / "empty"), "empty", "no .parquet"),
    case(
        "folder-of-other-files", lambda f: lx.open_extract(f.root / "text"), "text", "no .parquet"
    ),
    case(
        "manifest-not-json", lambda f: lx.open_extract(f.root / "badjson"), "manifest.json", "JSON"
    ),
    case(
        "interrupted-generation",
        lambda f: lx.open_extract(f.interrupted),
        ".data.tmp-",
        "interrupted",
    ),
    case("source-none", lambda f: lx.open_extract(None), "source", "None"),
    case("source-number", lambda f: lx.open_extract(42), "source", "42"),
    case("source-empty-text", lambda f: lx.open_extract(""), "source", "path"),
    case("schema-number", lambda f: lx.open_extract(f.root / "parquet", schema=2002237), "schema"),
    case(
        "databases-list",
        lambda f: lx.open_extract(f.root / "csv", databases=["LEO_i2"]),
        "databases",
    ),
    case(
        "databases-unknown-key",
        lambda f: lx.open_extract(f.root / "csv", databases={"LEO": "LEO_i2"}),
        "'LEO'",
        "LEO_i2",
    ),
    case(
        "databases-value-number",
        lambda f: lx.open_extract(f.root / "csv", databases={"NPD_i2": 7}),
        "NPD_i2",
        "7",
    ),
    case(
        "chunksize-zero", lambda f: lx.open_extract(f.root / "csv", chunksize=0), "chunksize", "0"
    ),
    case(
        "chunksize-text", lambda f: lx.open_extract(f.root / "csv", chunksize="lots"), "chunksize"
    ),
    # ---------------------------------------------------------------- SRS connection settings
    case("settings-unknown-key", lambda f: lx.open_parameter({"server": "x"}), "server", "odbc"),
    case("settings-no-odbc", lambda f: lx.open_parameter({"schema": "2002237"}), "odbc"),
    case("settings-odbc-number", lambda f: lx.open_parameter({"odbc": 5}), "odbc", "5"),
    case(
        "settings-schema-number",
        lambda f: lx.open_parameter({"odbc": "DSN=srs", "schema": 2002237}),
        "schema",
        "2002237",
    ),
    case(
        "settings-databases-unknown",
        lambda f: lx.open_parameter({"odbc": "DSN=srs", "databases": {"NPD": "NPD_i2"}}),
        "NPD",
    ),
    case("settings-no-pyodbc-here", lambda f: lx.open_parameter({"odbc": "DSN=srs"}), "pyodbc"),
    case("parameter-number", lambda f: lx.open_parameter(3), "extract", "3"),
    case("parameter-empty", lambda f: lx.open_parameter(" "), "extract"),
    # ---------------------------------------------------------------- broken files
    case(
        "truncated-parquet",
        _read("truncated_parquet"),
        lambda f: f.file("truncated_parquet"),
        "not a valid Parquet file",
    ),
    case("text-as-parquet", _read("text_as_parquet"), lambda f: f.file("text_as_parquet")),
    case("csv-not-utf8", _read("latin1_csv"), lambda f: f.file("latin1_csv"), "CSV"),
    case("csv-empty-file", _read("empty_csv"), lambda f: f.file("empty_csv"), "empty"),
    case("text-as-dta", _read("text_as_dta"), lambda f: f.file("text_as_dta"), "Stata"),
    case(
        "text-as-duckdb",
        lambda f: lx.open_extract(f.broken["text_as_duckdb"]),
        lambda f: f.file("text_as_duckdb", "LEO_i2"),
        "DuckDB",
    ),
    case(
        "truncated-parquet-in-chunks",
        lambda f: list(lx.open_extract(f.broken["truncated_parquet"]).chunks("leo_earnings")),
        lambda f: f.file("truncated_parquet"),
    ),
    # ---------------------------------------------------------------- columns not as declared
    case("csv-renamed-column", _read("renamed_csv"), "leo_earnings", "Earnings", "Earning"),
    case("csv-missing-column", _read("dropped_csv"), "leo_earnings", "TaxYear"),
    case("dta-renamed-column", _read("renamed_dta"), "leo_earnings", "TaxYear", "Tax_Year"),
    case("csv-text-in-int-column", _read("text_in_int_csv"), "Earnings", "12k", "int"),
    # ---------------------------------------------------------------- read() arguments
    case("view-unknown", lambda f: f.parquet.read("leo_earnigs"), "leo_earnigs", "leo_earnings"),
    case("view-year-absent", lambda f: f.parquet.read("hesa_2030"), "hesa_2030"),
    case("view-none", lambda f: f.parquet.read(None), "None"),
    case("column-unknown", lambda f: f.csv.read("leo_earnings", columns=["Pay"]), "Pay"),
    case("columns-number", lambda f: f.csv.read("leo_earnings", columns=3), "columns", "3"),
    case("columns-not-text", lambda f: f.csv.read("leo_earnings", columns=[1]), "columns", "1"),
    case(
        "columns-twice",
        lambda f: f.csv.read("leo_earnings", columns=["Edukey", "EDUKEY"]),
        "EDUKEY",
        "twice",
    ),
    case("columns-empty", lambda f: f.csv.read("leo_earnings", columns=[]), "columns", "empty"),
    case("years-text", lambda f: f.parquet.read("hesa", years="2013"), "years", "2013"),
    case("years-fraction", lambda f: f.parquet.read("hesa", years=[2013.5]), "years", "2013.5"),
    case("years-empty", lambda f: f.parquet.read("hesa", years=[]), "years", "empty"),
    case("year-not-there", lambda f: f.parquet.read("hesa", years=[2011]), "2011", "2012, 2013"),
    case(
        "years-on-one-view",
        lambda f: f.parquet.read("leo_earnings", years=[2013]),
        "years",
        "leo_earnings",
    ),
    case(
        "where-sql-on-a-folder",
        lambda f: f.parquet.read("leo_earnings", where="TaxYear > 1"),
        "where",
        "dict",
    ),
    case(
        "where-a-list", lambda f: f.parquet.read("leo_earnings", where=["TaxYear"]), "where", "list"
    ),
    case(
        "where-text-for-int",
        lambda f: f.parquet.read("leo_earnings", where={"TaxYear": "201819"}),
        "TaxYear",
        "'201819'",
        "whole number",
    ),
    case(
        "where-number-for-text",
        lambda f: f.csv.read("leo_earnings", where={"Edukey": 5}),
        "Edukey",
        "text",
    ),
    case(
        "where-bad-date",
        lambda f: f.dta.read("leo_employment", where={"StartDate": "last spring"}),
        "StartDate",
        "last spring",
    ),
    case(
        "where-none",
        lambda f: f.parquet.read("leo_earnings", where={"TaxYear": None}),
        "TaxYear",
        "None",
    ),
    case(
        "where-empty-list",
        lambda f: f.parquet.read("leo_earnings", where={"TaxYear": []}),
        "TaxYear",
        "empty",
    ),
    case(
        "where-unknown-column",
        lambda f: f.csv.read("leo_earnings", where={"Pay": 1}),
        "Pay",
        "leo_earnings",
    ),
    case("where-key-not-text", lambda f: f.csv.read("leo_earnings", where={1: 2}), "where", "1"),
    case(
        "where-value-a-dict",
        lambda f: f.csv.read("leo_earnings", where={"TaxYear": {"a": 1}}),
        "TaxYear",
        "dict",
    ),
    case("between-no-ends", lambda f: lx.between(), "between"),
    case("between-backwards", lambda f: lx.between(5, 1), "hi is below lo"),
    case("between-mixed", lambda f: lx.between("a", 1), "compared"),
    case(
        "between-text-for-int",
        lambda f: f.parquet.read("leo_earnings", where={"TaxYear": lx.between("2018", None)}),
        "TaxYear",
        "'2018'",
    ),
    case(
        "chunks-size-zero",
        lambda f: f.csv.chunks("leo_earnings", chunksize=0),
        "chunksize",
    ),
    case(
        "read-chunksize-text",
        lambda f: f.csv.read("leo_earnings", chunksize="x"),
        "chunksize",
    ),
    case("relation-on-stata", lambda f: f.dta.relation("leo_earnings"), "relation", "dta files"),
    case(
        "duckdb-memory-limit-text",
        lambda f: f.parquet.duckdb(memory_limit="lots"),
        "memory_limit",
        "lots",
    ),
    case("duckdb-threads-text", lambda f: f.parquet.duckdb(threads="x"), "threads", "'x'"),
    # ---------------------------------------------------------------- plain frames
    case(
        "conform-unknown-view",
        lambda f: lx.conform(f.parquet.read("leo_earnings"), "leo_earnigs"),
        "leo_earnigs",
    ),
    case("conform-not-a-frame", lambda f: lx.conform([1, 2], "leo_earnings"), "DataFrame", "list"),
    case(
        "checksum-unknown-view",
        lambda f: lx.content_sha256(f.parquet.read("leo_earnings"), "nope"),
        "nope",
    ),
    # ---------------------------------------------------------------- writing an extract
    case(
        "write-tables-not-a-dict",
        lambda f: write_extract([f.parquet.read("leo_earnings")], f.root / "new"),
        "tables",
        "dict",
    ),
    case(
        "write-table-not-a-frame",
        lambda f: write_extract({"leo_earnings": [1, 2]}, f.root / "new"),
        "leo_earnings",
        "DataFrame",
    ),
    case(
        "write-unknown-view",
        lambda f: write_extract({"leo_earnigs": f.parquet.read("leo_earnings")}, f.root / "new"),
        "leo_earnigs",
    ),
    case(
        "write-over-a-users-folder",
        lambda f: write_extract({}, f.root / "text"),
        "refusing",
        "notes.txt",
    ),
    case(
        "write-extra-file-outside",
        lambda f: write_extract(
            {"leo_earnings": f.parquet.read("leo_earnings")},
            f.root / "new",
            extra_files={"../escape.md": "x"},
        ),
        "../escape.md",
    ),
]


@pytest.mark.parametrize("call, names", CASES)
def test_bad_input_to_extract(folders, call, names):
    names = [n(folders) if callable(n) else n for n in names]
    expect_error(lambda: call(folders), *map(str, names), watch=[folders.root])


def test_the_catalogue_covers_opening_and_reading():
    assert len(CASES) >= 40
