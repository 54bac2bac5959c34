"""Run a whole SRS T-SQL script against an extract in DuckDB: the interpreter.

    from leokit.tsql import run_script
    with run_script("my_project.sql", "data_synthetic", keep_going=True) as run:
        print(run.summary())             # "41 statements, 0 failed"
        frames = run.results             # the result sets, in order
        run.con.execute("SELECT COUNT(*) FROM fft.earnings").fetchone()

The procedural T-SQL (variables, IF/ELSE, WHILE with BREAK/CONTINUE, EXEC of a string,
PRINT, RAISERROR, transactions, USE) is executed here; each data statement is translated by
leokit.tsql.translate and run by DuckDB. See leokit.tsql for what is and is not supported.
"""

import datetime
import decimal
import os
import re

from sqlglot import exp

from leokit.sql import SqlError
from leokit.tsql import script as S
from leokit.tsql.kinds import kind_of_duckdb, kind_of_type
from leokit.tsql.translate import (
    Unsupported,
    bracket_temp_names,
    parse_one,
    prepare,
    translate,
    translate_ast,
)

__all__ = ["ScriptError", "Failure", "ScriptRun", "run_script", "MAX_ITERATIONS"]

#: a WHILE loop that runs this many times is stopped (SQL Server would run for ever)
MAX_ITERATIONS = 100_000
WORK = "work"

_HARMLESS_OPTIONS = set(
    """
    NOCOUNT ANSI_WARNINGS ANSI_NULLS QUOTED_IDENTIFIER ARITHABORT XACT_ABORT STATISTICS
    TRANSACTION DEADLOCK_PRIORITY LOCK_TIMEOUT ANSI_PADDING ANSI_NULL_DFLT_ON
    CONCAT_NULL_YIELDS_NULL NUMERIC_ROUNDABORT IMPLICIT_TRANSACTIONS NOEXEC FMTONLY
    ANSI_DEFAULTS CURSOR_CLOSE_ON_COMMIT QUERY_GOVERNOR_COST_LIMIT TEXTSIZE
    """.split()
)
#: options whose non-default value changes results: accepted only at their default
_OPTION_DEFAULTS = {
    "ANSI_NULLS": "ON",
    "CONCAT_NULL_YIELDS_NULL": "ON",
    "NOEXEC": "OFF",
    "FMTONLY": "OFF",
    "IMPLICIT_TRANSACTIONS": "OFF",
    "ANSI_DEFAULTS": None,
}


class ScriptError(SqlError):
    """The first statement that failed (without keep_going): its line, first line, idiom
    and the reason, in one message."""

    def __init__(self, failure):
        super().__init__(str(failure))
        self.failure = failure


class Failure:
    """One failed statement."""

    def __init__(self, line, statement, idiom, reason, where=""):
        self.line = line
        self.statement = statement
        self.idiom = idiom
        self.reason = reason
        self.where = where  # e.g. "in the EXEC at line 12"

    def __str__(self):
        where = f" ({self.where})" if self.where else ""
        idiom = f" [{self.idiom}]" if self.idiom else ""
        return f'line {self.line}{where}: "{self.statement}"{idiom}: {self.reason}'


class ScriptRun:
    """The outcome of run_script.

    results      the result sets (pandas DataFrames) in the order they were produced
    result_lines the line of the statement that produced each
    log          (kind, text) pairs: 'note' (skipped idioms, USE), 'print' (PRINT,
                 RAISERROR), 'rows' (rows affected per statement), 'failure'
    statements   how many statements ran (each counted once, however often a loop ran it)
    failures     Failure objects (keep_going)
    con          the DuckDB connection (the script's tables; the work database is ``work``)
    """

    def __init__(self, con, database, echo=None):
        self.con = con
        self.database = database
        self.results = []
        self.result_lines = []
        self.log = _Log(echo)
        self.failures = []
        self._ran = set()
        self._failed = set()

    @property
    def statements(self):
        return len(self._ran)

    @property
    def ok(self):
        return not self.failures

    def summary(self):
        return f"{self.statements} statements, {len(self._failed)} failed"

    def table(self, name):
        """A table the script left, by its T-SQL name ('#lookup', 'fft.earnings',
        'tempdb..#t'), as a DataFrame."""
        parts = _split_name(name)
        parts = [None] * (3 - len(parts)) + parts
        cat, schema, tbl = self._session.resolve(parts[0] or None, parts[1] or None, parts[2])
        return self.con.execute(f'SELECT * FROM "{cat}"."{schema}"."{tbl}"').df()

    def close(self):
        if self.con is not None:
            self.con.close()
            self.con = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Log(list):
    """The run's log; ``echo(kind, text)`` sees each entry as it is written."""

    def __init__(self, echo=None):
        super().__init__()
        self.echo = echo

    def append(self, entry):
        super().append(entry)
        if self.echo is not None:
            self.echo(*entry)


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


# ------------------------------------------------------------------------------ values
def _literal(value, dtype):
    """A T-SQL constant of declared type ``dtype`` holding ``value``."""
    if value is None:
        inner = exp.Null()
    elif isinstance(value, bool):
        inner = exp.Literal.number(int(value))
    elif isinstance(value, (int, decimal.Decimal)):
        inner = exp.Literal.number(str(value))
    elif isinstance(value, float):
        inner = exp.Literal.number(repr(value))
    elif isinstance(value, (datetime.date, datetime.time)):
        text = (
            value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
        )
        inner = exp.Literal.string(text)
    else:
        inner = exp.Literal.string(str(value))
    return exp.Cast(this=inner, to=dtype.copy())


def _string_length(dtype, default):
    """The declared length of a char/varchar type (``default`` when none is written;
    None for MAX and non-text types)."""
    T = exp.DataType.Type
    if dtype.this not in (T.VARCHAR, T.NVARCHAR, T.CHAR, T.NCHAR):
        return None
    if not dtype.expressions:
        return default
    n = dtype.expressions[0].this
    if isinstance(n, exp.Literal) and n.is_int:
        return int(n.name)
    return None  # MAX


def _coerce(value, dtype):
    """SQL Server stores a value assigned to a variable in the variable's type: text is cut
    to the declared length (varchar without a length is varchar(1))."""
    if isinstance(value, str):
        n = _string_length(dtype, 1)
        if n is not None:
            return value[:n]
    if kind_of_type(dtype) == "bit" and value is not None:
        return 1 if value else 0
    return value


class _Frame:
    """The variables of one batch (or of one EXEC'd string)."""

    def __init__(self, declared, where=""):
        self.declared = declared
        self.types = {}
        self.values = {}
        self.where = where
        self.stmt = None


# ------------------------------------------------------------------------------ session
class Session:
    """What the translator asks the runner: names, column types, variable values."""

    def __init__(self, con, extract_dbs, extract_schema, script_schema, run):
        self.con = con
        self.extract_dbs = extract_dbs  # lower -> name
        self.extract_schema = extract_schema
        self.script_schema = script_schema
        self.run = run
        self.current_db = None  # None: the work database
        self.rowcount = 0
        self.trancount = 0
        self.frame = None
        self._cols = {}
        self._notes = set()

    def note(self, key, text):
        if key not in self._notes:
            self._notes.add(key)
            self.run.log.append(("note", text))

    # -- names
    def resolve(self, catalog, db, name, temp=False, tablevar=False):
        """(catalog, schema, table) in DuckDB for a T-SQL name."""
        full = ".".join(p for p in (catalog, db, name) if p is not None)
        if tablevar:
            return "temp", "main", "@" + name
        if temp or name.startswith("#"):
            return "temp", "main", name if name.startswith("#") else "#" + name
        cat = (catalog or "").lower() or self.current_db
        if cat == "tempdb":
            return "temp", "main", name
        if cat in self.extract_dbs:
            schema = (db or "").lower()
            if schema in ("", self.script_schema.lower(), self.extract_schema.lower()):
                return self.extract_dbs[cat], self.extract_schema, name
            raise Unsupported(
                "three-part name",
                f"{full}: the extract's views are in schema {self.extract_schema}, the "
                f"script names schema {db}: give the script's project schema with "
                f"--schema {db} (schema= in Python)",
            )
        if cat is None or cat == WORK:
            schema = db or "main"
            return WORK, "main" if schema.lower() == "dbo" else schema, name
        known = ", ".join(sorted(self.extract_dbs.values()))
        raise Unsupported(
            "three-part name",
            f"{full}: database {catalog} is not in the extract ({known}); the script's own "
            "tables live in one work database: name them schema.table",
        )

    def map_table(self, table):
        this = table.this
        tablevar = isinstance(this, exp.Parameter)
        temp = bool(getattr(this, "args", {}).get("temporary"))
        glob = bool(getattr(this, "args", {}).get("global_"))
        name = this.name
        if glob:
            name = "##" + name
        catalog = table.catalog if table.args.get("catalog") is not None else None
        db = table.db if table.args.get("db") is not None else None
        cat, schema, tbl = self.resolve(catalog, db, name, temp or glob, tablevar)
        table.set("this", exp.to_identifier(tbl, quoted=True))
        table.set("db", exp.to_identifier(schema, quoted=True))
        table.set("catalog", exp.to_identifier(cat, quoted=True))

    def _catalog_rows(self, cat, schema, name):
        key = (cat.lower(), schema.lower(), name.lower())
        if key not in self._cols:
            self._cols[key] = self.con.execute(
                "SELECT column_name, data_type, column_default, is_generated "
                "FROM duckdb_columns() WHERE lower(database_name) = ? AND lower(schema_name) = ? "
                "AND lower(table_name) = ? ORDER BY column_index",
                list(key),
            ).fetchall()
        return self._cols[key]

    def columns(self, table):
        """{column lower: kind} of a (mapped) table, or None if it does not exist."""
        if not isinstance(table, exp.Table) or table.args.get("catalog") is None:
            return None
        rows = self._catalog_rows(table.catalog, table.db, table.name)
        if not rows:
            return None
        return {r[0].lower(): kind_of_duckdb(r[1]) for r in rows}

    def insertable(self, table):
        """The columns an INSERT without a column list fills, if the table has IDENTITY
        columns (else None: DuckDB skips computed columns itself)."""
        if not isinstance(table, exp.Table) or table.args.get("catalog") is None:
            return None
        rows = self._catalog_rows(table.catalog, table.db, table.name)
        if not any((r[2] or "").startswith("nextval(") for r in rows):
            return None
        return [r[0] for r in rows if not (r[2] or "").startswith("nextval(") and not r[3]]

    def truncate(self, table):
        """TRUNCATE TABLE as DuckDB statements: the table dropped and created again from its
        own definition (DuckDB deletes from a primary key's index row by row: minutes for a
        large table), its IDENTITY sequences restarted at their seeds, as SQL Server does."""
        if not isinstance(table, exp.Table) or table.args.get("catalog") is None:
            return [f"TRUNCATE TABLE {table.sql('duckdb')}"]
        cat, schema, name = table.catalog, table.db, table.name
        key = [cat.lower(), schema.lower(), name.lower()]
        row = self.con.execute(
            "SELECT sql FROM duckdb_tables() WHERE lower(database_name) = ? "
            "AND lower(schema_name) = ? AND lower(table_name) = ?",
            key,
        ).fetchone()
        if row is None:  # DuckDB's own message names the table
            return [f"TRUNCATE TABLE {table.sql('duckdb')}"]
        qt = f'"{cat}"."{schema}"."{name}"'
        out = [f"DROP TABLE {qt}"]
        for col, _, default, _ in self._catalog_rows(cat, schema, name):
            if not (default or "").startswith("nextval("):
                continue
            seq = f"{name}__{col}__identity"
            found = self.con.execute(
                "SELECT comment FROM duckdb_sequences() "
                "WHERE lower(database_name) = ? AND lower(schema_name) = ? "
                "AND lower(sequence_name) = ?",
                [cat.lower(), schema.lower(), seq.lower()],
            ).fetchone()
            m = re.match(r"^IDENTITY\((-?\d+), (-?\d+)\)$", (found[0] or "") if found else "")
            if m:
                qs = f'"{cat}"."{schema}"."{seq}"'
                temp = "TEMP " if cat == "temp" else ""
                out += [
                    f"DROP SEQUENCE {qs}",
                    f"CREATE {temp}SEQUENCE {qs} START {m.group(1)} INCREMENT {m.group(2)}",
                    f"COMMENT ON SEQUENCE {qs} IS 'IDENTITY({m.group(1)}, {m.group(2)})'",
                ]
        if cat == "temp":
            return out + [row[0]]
        # the definition names schema.table: create it from its own database
        return out + [f'USE "{cat}"', row[0], f"USE {WORK}"]

    def invalidate(self):
        self._cols = {}

    def work_schema_sql(self, name):
        return f'"{WORK}"."{name}"'

    def object_id(self, name, kind=None):
        """OBJECT_ID: the DuckDB oid of a table or view, or None."""
        if name is None:
            return None
        parts = _split_name(str(name))
        if not parts or len(parts) > 3:
            return None
        parts = [None] * (3 - len(parts)) + parts
        catalog, db, obj = parts
        if (
            obj.startswith("#")
            and (catalog or "").lower() != "tempdb"
            and self.current_db != "tempdb"
        ):
            self.note(
                ("object_id", obj),
                f"OBJECT_ID('{name}') is NULL, as in SQL Server: a temp table is found as "
                f"OBJECT_ID('tempdb..{obj}')",
            )
            return None
        try:
            cat, schema, tbl = self.resolve(catalog or None, db or None, obj)
        except Unsupported:
            return None
        kind = (kind or "").strip().upper() or None
        in_extract = cat.lower() in self.extract_dbs
        want_tables = kind in (None, "U") and not in_extract
        want_views = kind in (None, "V") or (in_extract and kind in (None, "V"))
        args = [cat.lower(), schema.lower(), tbl.lower()]
        where = "lower(database_name) = ? AND lower(schema_name) = ? AND lower({}) = ?"
        if want_tables or (in_extract and kind in (None, "V")):
            row = self.con.execute(
                f"SELECT table_oid FROM duckdb_tables() WHERE {where.format('table_name')}", args
            ).fetchone()
            if row:
                return row[0]
        if want_views:
            row = self.con.execute(
                f"SELECT view_oid FROM duckdb_views() WHERE {where.format('view_name')}", args
            ).fetchone()
            if row:
                return row[0]
        return None

    def schema_id(self, name):
        if name is None:
            return None
        name = str(name)
        cat = self.current_db
        if cat in self.extract_dbs:
            if name.lower() in (self.script_schema.lower(), self.extract_schema.lower()):
                name = self.extract_schema
            cat = self.extract_dbs[cat]
        else:
            cat = WORK
            if name.lower() == "dbo":
                name = "main"
        row = self.con.execute(
            "SELECT oid FROM duckdb_schemas() WHERE lower(database_name) = ? "
            "AND lower(schema_name) = ?",
            [cat.lower(), name.lower()],
        ).fetchone()
        return row[0] if row else None

    def db_id(self, name):
        if name is None:
            return None
        names = ["tempdb", WORK] + sorted(self.extract_dbs)
        low = str(name).lower()
        return names.index(low) + 1 if low in names else None

    # -- values
    def system_variable(self, name):
        if name == "ROWCOUNT":
            return exp.Literal.number(self.rowcount)
        if name == "TRANCOUNT":
            return exp.Literal.number(self.trancount)
        if name == "ERROR":
            return exp.Literal.number(0)
        if name in ("SERVERNAME", "SERVICENAME"):
            return exp.Literal.string("leokit")
        if name == "VERSION":
            return exp.Literal.string("leokit T-SQL runner on DuckDB")
        raise Unsupported(f"@@{name}", f"@@{name} is not supported")

    def variable(self, name):
        key = "@" + name.lower()
        frame = self.frame
        if key not in frame.types:
            decl = frame.declared.get(key)
            if decl is None or (frame.stmt is not None and decl.offset > frame.stmt.offset):
                raise Unsupported(
                    "variables",
                    f"@{name} is not declared before it is used (a variable lasts to the end "
                    "of its batch: GO ends it, and an EXEC'd string has its own)",
                )
            self.declare_types(decl)  # declared in a branch that did not run: NULL
        if frame.types[key] == "table":
            raise Unsupported("table variables", f"@{name} is a table variable: read it in FROM")
        return _literal(frame.values.get(key), frame.types[key])

    def declare_types(self, stmt):
        """Register the types a DECLARE gives (values NULL) without running it."""
        ast = _parse_declare(stmt)
        for item in ast.expressions:
            for param in item.this if isinstance(item.this, list) else [item.this]:
                key = "@" + param.name.lower()
                if isinstance(item.args.get("kind"), exp.DataType):
                    self.frame.types.setdefault(key, item.args["kind"])
                    self.frame.values.setdefault(key, None)

    def constant(self, node):
        """The value of a constant expression (a name given to OBJECT_ID...)."""
        if node is None:
            return None
        if isinstance(node, exp.Cast) and isinstance(node.this, (exp.Literal, exp.Null)):
            node = node.this
        if isinstance(node, exp.Null):
            return None
        if isinstance(node, exp.Literal):
            return node.name if node.is_string else node.name
        if isinstance(node, exp.National):
            return node.name
        row = self.evaluate([node.copy()], "constant")
        return row[0] if row else None

    def evaluate(self, nodes, idiom):
        """Values of T-SQL expressions (one row), computed by DuckDB."""
        select = exp.Select(
            expressions=[exp.alias_(n, f"__leokit_{i}") for i, n in enumerate(nodes)]
        )
        out = translate_ast(select, self, self.run_names, idiom)
        for sql in out.sqls[:-1]:
            self.con.execute(sql)
        return self.con.execute(out.sqls[-1]).fetchone()


def _split_name(text):
    """'LEO_i2."123".leo_earnings', 'tempdb..#t', '[fft].[x]' -> its parts."""
    parts, cur, i, quote = [], [], 0, None
    closing = {"[": "]", '"': '"'}
    while i < len(text):
        c = text[i]
        if quote:
            if c == closing[quote]:
                if text[i + 1 : i + 2] == c:
                    cur.append(c)
                    i += 2
                    continue
                quote = None
            else:
                cur.append(c)
        elif c in closing:
            quote = c
        elif c == ".":
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur).strip())
    return parts


def _parse_declare(stmt):
    text = stmt.text
    if re.search(r"\bcursor\b", text, re.IGNORECASE):
        raise Unsupported(
            "DECLARE CURSOR",
            "cursors are not supported: write a set-based query or a WHILE loop over a key",
        )
    ast = parse_one(text, "DECLARE")
    if not isinstance(ast, exp.Declare):
        raise Unsupported("DECLARE", "cannot read this DECLARE")
    return ast


# ------------------------------------------------------------------------------ the runner
class _Runner:
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
        except _Raised as exc:
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
            frame = _Frame(batch.declared, where)
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

    def do_declare(self, stmt, key):
        ast = _parse_declare(stmt)
        for item in ast.expressions:
            params = item.this if isinstance(item.this, list) else [item.this]
            kind = item.args.get("kind")
            for param in params:
                name = "@" + param.name.lower()
                if isinstance(kind, exp.Schema):
                    self.table_variable(param.name, kind)
                    continue
                self.s.frame.types[name] = kind
                self.s.frame.values.setdefault(name, None)
                default = item.args.get("default")
                if default not in (None, False):
                    self.assign(name, default, "DECLARE")
                    self.s.rowcount = 1

    def table_variable(self, name, schema):
        cols = schema.copy()
        create = exp.Create(
            this=exp.Schema(
                this=exp.Table(this=exp.Parameter(this=exp.Var(this=name))),
                expressions=cols.expressions,
            ),
            kind="TABLE",
        )
        out = translate_ast(create, self.s, self.run_names, "DECLARE @table TABLE")
        self.s.con.execute(f'DROP TABLE IF EXISTS temp.main."@{name}"')
        for sql in out.sqls:
            self.s.con.execute(sql)
        self.s.frame.types["@" + name.lower()] = "table"

    def assign(self, name, value_node, idiom):
        dtype = self.s.frame.types[name]
        row = self.s.evaluate([exp.Cast(this=value_node.copy(), to=dtype.copy())], idiom)
        self.s.frame.values[name] = _coerce(row[0], dtype)

    def do_set(self, stmt, key):
        text, _ = prepare(stmt)
        ast = parse_one(text, "SET @variable")
        item = ast.expressions[0].this if isinstance(ast, exp.Set) and ast.expressions else None
        if not isinstance(item, exp.EQ) or not isinstance(item.this, exp.Parameter):
            raise Unsupported("SET @variable", "expected SET @variable = expression")
        name = "@" + item.this.name.lower()
        if name not in self.s.frame.types:
            self.s.variable(item.this.name)  # raises if undeclared
        self.assign(name, item.expression, "SET @variable")
        self.s.rowcount = 1

    def do_setopt(self, stmt, key):
        words = [t.text.upper() for t in stmt.tokens[1:]]
        option = words[0] if words else ""
        value = words[-1] if len(words) > 1 else ""
        if option == "ROWCOUNT" and value not in ("0",):
            raise Unsupported("SET ROWCOUNT", "SET ROWCOUNT n is not supported: use TOP (n)")
        if option not in _HARMLESS_OPTIONS:
            raise Unsupported(f"SET {option}", f"SET {option} is not supported")
        default = _OPTION_DEFAULTS.get(option, value)
        if option in _OPTION_DEFAULTS and value != default:
            raise Unsupported(
                f"SET {option} {value}",
                f"SET {option} {value} changes results and is not supported",
            )
        self.s.note(
            ("setopt", option),
            f"line {stmt.line}: SET {option} ignored (no effect on results here)",
        )
        self.s.rowcount = 0

    def do_use(self, stmt, key):
        name = stmt.tokens[1].text if len(stmt.tokens) > 1 else ""
        low = name.lower()
        if low in self.s.extract_dbs:
            self.s.current_db = low
        elif low == "tempdb":
            raise Unsupported("USE tempdb", "USE tempdb is not supported")
        else:
            self.s.current_db = None
            self.s.note(
                ("use", low),
                f"line {stmt.line}: USE {name}: the script's own tables go to the work database",
            )
        self.s.rowcount = 0

    def do_transaction(self, stmt, key):
        w = [t.text.upper() for t in stmt.tokens[:2]]
        con = self.s.con
        if w[0] == "BEGIN":
            if self.s.trancount == 0:
                con.execute("BEGIN TRANSACTION")
            self.s.trancount += 1
        elif w[0] == "COMMIT":
            if self.s.trancount == 0:
                raise Unsupported("COMMIT", "COMMIT without BEGIN TRANSACTION")
            self.s.trancount -= 1
            if self.s.trancount == 0:
                con.execute("COMMIT")
        elif w[0] == "ROLLBACK":
            if self.s.trancount == 0:
                raise Unsupported("ROLLBACK", "ROLLBACK without BEGIN TRANSACTION")
            con.execute("ROLLBACK")
            self.s.trancount = 0
        else:
            raise Unsupported(" ".join(w), "savepoints are not supported")
        self.s.rowcount = 0

    def do_print(self, stmt, key):
        text = stmt.text[len(stmt.tokens[0].text) :].strip()
        ast = parse_one(f"SELECT CAST(({text}) AS varchar(max))", "PRINT")
        value = self.s.evaluate([ast.expressions[0]], "PRINT")[0]
        self.run.log.append(("print", "" if value is None else str(value)))
        self.s.rowcount = 0

    def do_raise(self, stmt, key):
        first = stmt.tokens[0].text.upper()
        body = stmt.text[len(stmt.tokens[0].text) :].strip()
        if first == "THROW":
            if not body:
                raise Unsupported(
                    "THROW", "THROW without arguments (in a CATCH block) is not supported"
                )
            args = self.s.evaluate(parse_one(f"SELECT {body}", "THROW").expressions, "THROW")
            raise _Raised(f"THROW {args[0]}: {args[1]}")
        m = re.match(r"^\((.*)\)\s*(with\s+\w+(\s*,\s*\w+)*)?\s*$", body, re.IGNORECASE | re.DOTALL)
        if not m:
            raise Unsupported("RAISERROR", "expected RAISERROR (message, severity, state, ...)")
        exprs = parse_one(f"SELECT {m.group(1)}", "RAISERROR").expressions
        values = self.s.evaluate(exprs, "RAISERROR")
        message = _printf(str(values[0]), list(values[3:]))
        severity = int(values[1]) if len(values) > 1 and values[1] is not None else 16
        self.s.rowcount = 0
        if severity <= 10:
            self.run.log.append(("print", message))
            return
        raise _Raised(f"RAISERROR (severity {severity}): {message}")

    def do_exec(self, stmt, key):
        toks = stmt.tokens
        if len(toks) < 2:
            raise Unsupported("EXEC", "EXEC of nothing")
        second = toks[1]
        base = stmt.offset
        if second.token_type == S.TokenType.L_PAREN:
            close = _close(toks, 1)
            expr_text = stmt.text[toks[2].start - base : toks[close - 1].end - base + 1]
            idiom = "EXEC of dynamic SQL"
        elif second.text.lower() in ("sp_executesql", "sys.sp_executesql") or (
            second.text.lower() == "sys"
            and len(toks) > 3
            and toks[3].text.lower() == "sp_executesql"
        ):
            start = 2 if second.text.lower() != "sys" else 4
            rest = toks[start:]
            depth, top_comma = 0, False
            for t in rest:
                depth += (t.token_type == S.TokenType.L_PAREN) - (
                    t.token_type == S.TokenType.R_PAREN
                )
                top_comma = top_comma or (depth == 0 and t.token_type == S.TokenType.COMMA)
            if top_comma:
                raise Unsupported(
                    "EXEC sp_executesql with parameters",
                    "sp_executesql with parameters is not supported: build the string with its values",
                )
            expr_text = stmt.text[rest[0].start - base :]
            expr_text = re.sub(r"^\s*@stmt\s*=", "", expr_text, flags=re.IGNORECASE)
            idiom = "EXEC sp_executesql"
        else:
            raise Unsupported(
                "EXEC of a stored procedure",
                f"EXEC {second.text}: stored procedures are not supported (only EXEC of a string)",
            )
        ast = parse_one(f"SELECT CAST(({expr_text}) AS varchar(max))", idiom)
        code = self.s.evaluate([ast.expressions[0]], idiom)[0]
        if code is None:
            raise Unsupported(idiom, "the string to EXEC is NULL")
        self.dynamic(code, stmt, key)

    def dynamic(self, code, stmt, key):
        """Run an EXEC'd string: its own variables; its #temp tables are dropped after it."""
        before = set(_temp_tables(self.s.con))
        rowcount = self.s.rowcount
        batch = S.parse_batch(code, line=1)
        where = f"in the EXEC at line {stmt.line}"
        if self.s.frame.where:
            where += f", {self.s.frame.where}"
        saved_db = self.s.current_db
        try:
            self.batch(batch, key, where)
        finally:
            for name in set(_temp_tables(self.s.con)) - before:
                self.s.con.execute(f'DROP TABLE IF EXISTS temp.main."{name}"')
            self.s.current_db = saved_db
        self.s.rowcount = rowcount  # EXEC keeps the @@ROWCOUNT from before it

    def do_sql(self, stmt, key):
        if _is_assignment(stmt):
            return self.select_assign(stmt)
        out = translate(stmt, self.s, self.run_names)
        self.idiom = out.idiom
        if out.skip is not None:
            self.s.note(("skip", key), f"line {stmt.line}: {out.idiom}: {out.skip}")
            self.s.rowcount = 0
            return
        con = self.s.con
        for sql in out.sqls[:-1]:
            con.execute(sql)
        cur = con.execute(out.sqls[-1])
        ast = out.ast
        if out.returns_rows:
            frame = _bits_as_ints(cur.df())
            self.run.results.append(frame)
            self.run.result_lines.append(stmt.line)
            self.s.rowcount = len(frame)
            self.run.log.append(
                (
                    "rows",
                    f"line {stmt.line}: result set {len(self.run.results)}: {len(frame)} rows x {frame.shape[1]} columns",
                )
            )
            return
        counts = isinstance(ast, (exp.Insert, exp.Update, exp.Delete, exp.Merge)) or (
            isinstance(ast, exp.Create) and ast.args.get("expression") is not None
        )
        if counts:
            row = cur.fetchone()
            self.s.rowcount = int(row[0]) if row and row[0] is not None else 0
            self.run.log.append(("rows", f"line {stmt.line}: {out.idiom}: {self.s.rowcount} rows"))
        else:
            self.s.rowcount = 0

    def select_assign(self, stmt):
        """SELECT @a = expr, @b = expr FROM ...: the last row's values (none: unchanged)."""
        text, _ = prepare(stmt)
        ast = parse_one(text, "SELECT @variable = ...")
        targets = []
        for i, proj in enumerate(ast.expressions):
            if not (isinstance(proj, exp.EQ) and isinstance(proj.this, exp.Parameter)):
                raise Unsupported(
                    "SELECT @variable = ...",
                    "a SELECT that assigns variables cannot also return columns",
                )
            name = "@" + proj.this.name.lower()
            if name not in self.s.frame.types:
                self.s.variable(proj.this.name)
            one_row = (
                ast.args.get("group") is None and proj.expression.find(exp.AggFunc) is not None
            )
            if (
                ast.args.get("from_") is not None
                and not one_row
                and any(p.name.lower() == name[1:] for p in proj.expression.find_all(exp.Parameter))
            ):
                raise Unsupported(
                    "SELECT @v = @v + ... FROM",
                    "accumulating a variable row by row (SELECT @v = @v + x FROM t) is not supported: use an aggregate (SUM, STRING_AGG)",
                )
            dtype = self.s.frame.types[name]
            proj.replace(
                exp.alias_(exp.Cast(this=proj.expression.copy(), to=dtype.copy()), f"__leokit_v{i}")
            )
            targets.append((name, dtype))
        out = translate_ast(ast, self.s, self.run_names, "SELECT @variable = ...")
        for sql in out.sqls[:-1]:
            self.s.con.execute(sql)
        rows = self.s.con.execute(out.sqls[-1]).fetchall()
        if rows:
            for (name, dtype), value in zip(targets, rows[-1]):
                self.s.frame.values[name] = _coerce(value, dtype)
        self.s.rowcount = len(rows)


def _engine_message(exc):
    """DuckDB's error, first line, without its DuckDB-only advice."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "Division by zero" in first:
        return "division by zero (SQL Server stops here too)"
    return "DuckDB: " + re.sub(r"\. Use TRY\(.*$", "", first)


class _Raised(Exception):
    """RAISERROR / THROW with an error severity."""


def _close(toks, i):
    depth = 0
    for j in range(i, len(toks)):
        depth += toks[j].token_type == S.TokenType.L_PAREN
        depth -= toks[j].token_type == S.TokenType.R_PAREN
        if depth == 0:
            return j
    raise Unsupported("EXEC", "a '(' is not closed")


def _printf(message, args):
    """RAISERROR's %d / %s substitution."""
    it = iter(args)

    def sub(m):
        if m.group(0) == "%%":
            return "%"
        value = next(it, None)
        return "(null)" if value is None else str(value)

    return re.sub(r"%%|%[-+ 0#]*\d*(?:\.\d+)?(?:I64|h|l)?[disuxXo]", sub, message)


def _is_assignment(stmt):
    toks = stmt.tokens
    if S.kw(toks[0]) != "SELECT":
        return False
    i = 1
    if S.kw(toks[i]) in ("DISTINCT", "ALL"):
        i += 1
    if S.kw(toks[i]) == "TOP":
        return False
    return (
        i + 2 < len(toks)
        and toks[i].token_type == S.TokenType.PARAMETER
        and toks[i + 1].token_type == S.TokenType.VAR
        and i + 2 < len(toks)
        and toks[i + 2].token_type == S.TokenType.EQ
    )


def _temp_tables(con):
    return [
        r[0]
        for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    ]


def _bits_as_ints(frame):
    """bit columns show as 1/0 in SQL Server, not True/False."""
    import pandas as pd

    for col in frame.columns:
        s = frame[col]
        if s.dtype == bool:
            frame[col] = s.astype("int64")
        elif (
            s.dtype == object
            and s.map(lambda v: v is None or isinstance(v, bool)).all()
            and s.notna().any()
            and s.dropna().map(lambda v: isinstance(v, bool)).all()
        ):
            frame[col] = pd.array([None if v is None else int(v) for v in s], dtype="Int64")
    return frame


# ------------------------------------------------------------------------------ entry point
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
    from leokit.sql import _registry_kinds, open_duckdb

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
    runner.run_names = session.run_names = dict(_registry_kinds())
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
