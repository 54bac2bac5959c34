"""Run a whole SRS T-SQL script against an extract in DuckDB: the interpreter.

    from leokit.tsql import run_script
    with run_script("my_project.sql", "data_synthetic", keep_going=True) as run:
        print(run.summary())             # "41 statements, 0 failed"
        frames = run.results             # the result sets, in order
        run.con.execute("SELECT COUNT(*) FROM fft.earnings").fetchone()

The procedural T-SQL (variables, IF/ELSE, WHILE with BREAK/CONTINUE, EXEC of a string,
PRINT, RAISERROR, transactions, USE) is executed here; each data statement is translated by
leokit.tsql.translate and run by DuckDB. See leokit.tsql for what is and is not supported.

This module is the control flow (batches, blocks, IF, WHILE, BREAK/CONTINUE/RETURN, failures
and keep_going) and the entry point; the statements themselves are leokit.tsql.procedures,
the names and variables leokit.tsql.session, what a run gives back leokit.tsql.outcome.
"""

import os
import re

from leokit.sqlbase import SqlError, open_duckdb, registry_kinds
from leokit.tsql import script as S
from leokit.tsql.outcome import Failure, ScriptError, ScriptRun
from leokit.tsql.prepare import Unsupported, bracket_temp_names, parse_one
from leokit.tsql.procedures import Procedures, Raised
from leokit.tsql.session import WORK, Frame, Session
from leokit.tsql.translate import translate_ast

__all__ = ["ScriptError", "Failure", "ScriptRun", "run_script", "MAX_ITERATIONS"]

#: a WHILE loop that runs this many times is stopped (SQL Server would run for ever)
MAX_ITERATIONS = 100_000


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    pass


class _Failed(Exception):
    """A statement failed (the failure is recorded already)."""

    def __init__(self, failure):
        super().__init__(str(failure))
        self.failure = failure


class _Runner(Procedures):
    def __init__(self, session, run, keep_going, max_iterations):
        self.s = session
        self.run = run
        self.keep_going = keep_going
        self.max_iterations = max_iterations

    # -- failures
    def fail(self, node, idiom, reason, key):
        frame = self.s.frame
        failure = Failure(node.line, node.first_line, idiom, reason, frame.where if frame else "")
        self.run.failures.append(failure)
        self.run._failed.add(key)
        self.run.log.append(("failure", str(failure)))
        if not self.keep_going:
            raise ScriptError(failure)
        raise _Failed(failure)

    def guarded(self, node, key, idiom, action):
        """Run action(); a failure becomes a Failure naming the statement."""
        import duckdb

        self.run._ran.add(key)
        self.idiom = None
        try:
            return action()
        except (_Break, _Continue, _Return, _Failed, ScriptError):
            raise
        except Unsupported as exc:
            self.fail(node, exc.idiom or self.idiom or idiom, f"not supported: {exc.reason}", key)
        except S.ScriptSyntaxError as exc:
            self.fail(node, self.idiom or idiom, exc.reason, key)
        except duckdb.Error as exc:
            self.fail(node, self.idiom or idiom, _engine_message(exc), key)
        except SqlError as exc:
            self.fail(node, self.idiom or idiom, str(exc).splitlines()[0], key)
        except Raised as exc:
            self.fail(node, self.idiom or idiom, str(exc), key)
        except Exception as exc:  # noqa: BLE001 - a runner bug still names the statement
            self.fail(
                node,
                self.idiom or idiom,
                f"the runner failed on this statement ({type(exc).__name__}: {exc}); "
                "please report it with the statement",
                key,
            )

    # -- structure
    def batch(self, batch, bno, where=""):
        for _ in range(batch.repeat):
            frame = Frame(batch.declared, where)
            saved, self.s.frame = self.s.frame, frame
            try:
                for node in batch.nodes:
                    self.node(node, (bno,))
            except _Return:
                pass
            finally:
                self.s.frame = saved
                for name, dtype in frame.types.items():
                    if dtype == "table":  # a table variable ends with its batch
                        self.s.con.execute(f'DROP TABLE IF EXISTS temp.main."{name}"')

    def nodes(self, nodes, path):
        for node in nodes:
            self.node(node, path)

    def node(self, node, path):
        try:
            self._node(node, path)
        except _Failed:
            if not self.keep_going:
                raise

    def _node(self, node, path):
        if isinstance(node, S.Block):
            self.nodes(node.body, path)
            return
        if isinstance(node, S.While):
            self.loop(node, path)
            return
        if isinstance(node, S.If):
            key = path + (node.line, "if")
            if self.condition(node, key, "IF condition"):
                self.node(node.then, path)
            elif node.orelse is not None:
                self.node(node.orelse, path)
            return
        self.statement(node, path + (node.offset,))

    def loop(self, node, path):
        key = path + (node.line, "while")
        n = 0
        while self.condition(node, key, "WHILE condition"):
            n += 1
            if n > self.max_iterations:
                self.fail(
                    node,
                    "WHILE",
                    f"the loop ran {self.max_iterations} times without "
                    "ending: stopped (max_iterations= allows more)",
                    key,
                )
            before = len(self.run.failures)
            try:
                self.node(node.body, path)
            except _Break:
                break
            except _Continue:
                continue
            if len(self.run.failures) > before:  # keep_going: do not repeat a failure
                self.run.log.append(
                    (
                        "note",
                        f"line {node.line}: the WHILE loop is stopped after a failure in its body",
                    )
                )
                break

    def condition(self, node, key, idiom):
        def check():
            self.s.frame.stmt = None
            cond = bracket_temp_names(node.cond)
            ast = parse_one(f"SELECT CASE WHEN {cond} THEN 1 ELSE 0 END", idiom)
            out = translate_ast(ast, self.s, self.run_names, idiom)
            value = self.s.con.execute(out.sqls[-1]).fetchone()[0]
            self.s.rowcount = 0  # SQL Server resets @@ROWCOUNT after IF/WHILE tests it
            return value == 1

        try:
            return bool(self.guarded(node, key, idiom, check))
        except _Failed:
            return False

    # -- statements
    def statement(self, stmt, key):
        self.s.frame.stmt = stmt
        handler = getattr(self, "do_" + stmt.kind)
        idiom = {
            "declare": "DECLARE",
            "set": "SET @variable",
            "setopt": "SET option",
            "exec": "EXEC",
            "print": "PRINT",
            "raise": "RAISERROR/THROW",
            "use": "USE",
            "transaction": "transaction",
            "break": "BREAK",
            "continue": "CONTINUE",
            "return": "RETURN",
            "unsupported": " ".join(t.text.upper() for t in stmt.tokens[:2]),
            "sql": "statement",
        }[stmt.kind]
        self.guarded(stmt, key, idiom, lambda: handler(stmt, key))
        self.s.invalidate()

    def do_break(self, stmt, key):
        raise _Break()

    def do_continue(self, stmt, key):
        raise _Continue()

    def do_return(self, stmt, key):
        raise _Return()

    def do_unsupported(self, stmt, key):
        words = " ".join(t.text.upper() for t in stmt.tokens[:2])
        raise Unsupported(words, f"{words} is not supported")


def _engine_message(exc):
    """DuckDB's error, first line, without its DuckDB-only advice."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "Division by zero" in first:
        return "division by zero (SQL Server stops here too)"
    return "DuckDB: " + re.sub(r"\. Use TRY\(.*$", "", first)


def _read_script(script):
    """(text, where from): a .sql file (UTF-8, or UTF-16 as SSMS saves it, or Windows-1252)
    or the script's text itself."""
    if isinstance(script, os.PathLike):
        script = os.fspath(script)
    if not isinstance(script, str) or not script.strip():
        raise SqlError("the T-SQL script is empty: give a .sql file or the script's text")
    looks_like_path = "\n" not in script and script.strip().lower().endswith(".sql")
    if not os.path.isfile(script):
        if looks_like_path:
            raise SqlError(f"no T-SQL script at {script}")
        return script, "<text>"
    with open(script, "rb") as f:
        raw = f.read()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    if not text.strip():
        raise SqlError(f"the T-SQL script {script} is empty")
    return text, script


def _extract_layout(con):
    dbs = [
        r[0]
        for r in con.execute(
            "SELECT database_name FROM duckdb_databases() WHERE NOT internal "
            "AND database_name NOT IN ('memory', 'temp', 'system')"
        ).fetchall()
    ]
    schemas = sorted(
        {
            r[0]
            for r in con.execute(
                "SELECT schema_name FROM duckdb_schemas() WHERE database_name IN ({}) "
                "AND schema_name NOT IN ('main', 'information_schema', 'pg_catalog')".format(
                    ",".join("?" * len(dbs)) or "''"
                ),
                dbs,
            ).fetchall()
        }
    )
    return {d.lower(): d for d in dbs}, schemas


def run_script(
    script,
    extract,
    keep_going=False,
    schema=None,
    database=None,
    threads=None,
    max_iterations=MAX_ITERATIONS,
    echo=None,
):
    """Run a T-SQL script (a path to a .sql file, or the text) against an extract folder.

    extract         a Parquet or DuckDB extract (data_synthetic/): its views answer to the
                    SRS three-part names LEO_i2.<schema>.<view>, NPD_i2..., HESA_i2...
    keep_going      report every failed statement and carry on (False: stop at the first,
                    raising ScriptError naming its line, first line and idiom)
    schema          the project schema the script's three-part names use (SRS: your project
                    number), if it is not the extract's own (leo_synth)
    database        a DuckDB file for the script's own schemas and tables (created if
                    missing, kept afterwards); None: in memory
    threads         DuckDB threads (1 makes float sums reproducible bit for bit)
    echo            echo(kind, text) is called for each log entry as it is written
    Returns a ScriptRun (close it, or use it in a with block).
    """
    text, _ = _read_script(script)
    if database is not None:
        database = os.fspath(database)
        if os.path.isdir(database):
            raise SqlError(f"database {database} is a folder: give a DuckDB file name")
        parent = os.path.dirname(os.path.abspath(database))
        if not os.path.isdir(parent):
            raise SqlError(f"database {database}: the folder {parent} does not exist")
    if schema is not None and not re.match(r"^[A-Za-z0-9_<> -]+$", str(schema)):
        raise SqlError(f"schema {schema!r}: expected letters, digits and underscores")
    batches = parse_script(text)
    con = open_duckdb(extract, threads=threads)
    try:
        extract_dbs, schemas = _extract_layout(con)
        if not extract_dbs:
            raise SqlError(f"the extract {extract} has no SRS databases (LEO_i2, NPD_i2...)")
        extract_schema = schemas[0] if len(schemas) == 1 else "leo_synth"
        path = os.path.abspath(database).replace("'", "''") if database else ":memory:"
        import duckdb

        try:
            con.execute(f"ATTACH '{path}' AS {WORK}")
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise SqlError(
                f"database {database} cannot be opened as a DuckDB file: {first}"
            ) from None
        con.execute(f"USE {WORK}")
    except Exception:
        con.close()
        raise
    run = ScriptRun(con, database, echo)
    session = Session(con, extract_dbs, extract_schema, schema or extract_schema, run)
    run._session = session
    runner = _Runner(session, run, keep_going, max_iterations)
    runner.run_names = session.run_names = dict(registry_kinds())
    try:
        for bno, batch in enumerate(batches):
            runner.batch(batch, bno)
    except ScriptError:
        run.close()
        raise
    return run


def parse_script(text):
    try:
        return S.parse_script(text)
    except S.ScriptSyntaxError as exc:
        failure = Failure(exc.line, _line_text(text, exc.line), "script structure", exc.reason)
        raise ScriptError(failure) from None


def _line_text(text, line):
    lines = text.split("\n")
    return lines[line - 1].strip()[:100] if 0 < line <= len(lines) else ""
