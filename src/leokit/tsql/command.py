"""``leokit sql run``: run an SRS T-SQL script on an extract (the handler behind leokit.cli).

    leokit sql run my_project.sql --extract data_synthetic
    leokit sql run my_project.sql --extract data_synthetic --keep-going --schema 2002237 \\
        --database work.duckdb --verbose

Prints what the runner did (skipped indexes, PRINT output, failures), the shape of each
result set (never its rows: the tables stay in --database for you to query) and
"N statements, M failed". Exit code 0: every statement ran; 1: a statement failed; 2: bad
input (no script, no extract, a database path that cannot be used), with one line on stderr.
"""

import argparse
import re
import sys

__all__ = ["add_parser", "run_command"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _schema_name(text):
    if not re.match(r"^[A-Za-z0-9_]+$", text or ""):
        raise argparse.ArgumentTypeError(
            f"expected a schema name of letters, digits and underscores, got {text!r}"
        )
    return text


def _threads(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def add_parser(sub):
    """The ``sql`` command and its ``run`` subcommand, on leokit's subparsers."""
    p = sub.add_parser("sql", help="run SRS T-SQL scripts on an extract (DuckDB)")
    runs = p.add_subparsers(dest="sql_command", metavar="SUBCOMMAND", parser_class=type(p))
    r = runs.add_parser(
        "run",
        help="run a whole T-SQL script (GO batches, IF/WHILE, variables, #temp tables)",
        description="Run an SRS T-SQL script against an extract in DuckDB: the SRS "
        "three-part names (LEO_i2.<schema>.<view>...) resolve to the extract's views and "
        "the script's own schemas and tables go to --database (or memory).",
    )
    r.add_argument("script", metavar="SCRIPT.sql", help="the T-SQL script")
    r.add_argument(
        "--extract",
        required=True,
        metavar="DIR",
        help="extract folder (Parquet or DuckDB), e.g. data_synthetic",
    )
    r.add_argument(
        "--keep-going", action="store_true", help="report every failed statement and carry on"
    )
    r.add_argument(
        "--schema",
        type=_schema_name,
        default=None,
        metavar="NAME",
        help="the project schema the script's three-part names use "
        "(default: the extract's, leo_synth)",
    )
    r.add_argument(
        "--database",
        metavar="FILE",
        default=None,
        help="DuckDB file for the script's own tables (created if missing, "
        "kept); default: in memory",
    )
    r.add_argument(
        "--threads",
        type=_threads,
        default=None,
        metavar="N",
        help="DuckDB threads (1: float sums reproducible bit for bit)",
    )
    r.add_argument(
        "--verbose", "-v", action="store_true", help="also print the rows each statement affected"
    )
    return p


def run_command(args):
    """Handle ``leokit sql ...``; returns the exit code."""
    prog = "leokit sql run"
    if getattr(args, "sql_command", None) != "run":
        sys.stderr.write("leokit sql: error: expected a subcommand: run\n")
        return EXIT_USAGE
    from leokit.sqlbase import SqlError
    from leokit.tsql.runner import ScriptError, run_script

    def echo(kind, text):
        if (kind == "rows" and not args.verbose) or (kind == "failure" and not args.keep_going):
            return  # without --keep-going the failure is the error message
        prefix = {"note": "note: ", "print": "", "failure": "FAILED ", "rows": ""}[kind]
        sys.stdout.write(prefix + text + "\n")
        sys.stdout.flush()

    try:
        run = run_script(
            args.script,
            args.extract,
            keep_going=args.keep_going,
            schema=args.schema,
            database=args.database,
            threads=args.threads,
            echo=echo,
        )
    except ScriptError as exc:
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return EXIT_FAILED
    except SqlError as exc:
        sys.stderr.write(f"{prog}: error: {str(exc).splitlines()[0]}\n")
        return EXIT_USAGE
    with run:
        for i, (frame, line) in enumerate(zip(run.results, run.result_lines), 1):
            cols = ", ".join(str(c) for c in frame.columns)
            if len(cols) > 120:
                cols = cols[:117] + "..."
            print(
                f"result set {i} (line {line}): {len(frame)} rows x {frame.shape[1]} columns: {cols}"
            )
        where = f"; tables kept in {args.database}" if args.database else ""
        print(run.summary() + where)
        return EXIT_OK if run.ok else EXIT_FAILED
