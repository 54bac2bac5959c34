"""The runner's session: what the translator asks it (the DuckDB names of the script's
tables and the extract's views, column types, OBJECT_ID and friends) and the variables of
the batch being run, stored in their declared T-SQL types.

    session.resolve("LEO_i2", "leo_synth", "leo_earnings")   # (catalog, schema, table)
    session.variable("cohort")                               # @cohort as a typed constant

Current stack only.
"""

import datetime
import decimal
import re

from sqlglot import exp

from leokit.tsql.kinds import kind_of_duckdb, kind_of_type
from leokit.tsql.prepare import Unsupported, parse_one
from leokit.tsql.translate import translate_ast

__all__ = [
    "WORK",
    "Frame",
    "Session",
    "split_name",
    "parse_declare",
    "coerce_value",
]


WORK = "work"


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


def coerce_value(value, dtype):
    """SQL Server stores a value assigned to a variable in the variable's type: text is cut
    to the declared length (varchar without a length is varchar(1))."""
    if isinstance(value, str):
        n = _string_length(dtype, 1)
        if n is not None:
            return value[:n]
    if kind_of_type(dtype) == "bit" and value is not None:
        return 1 if value else 0
    return value


class Frame:
    """The variables of one batch (or of one EXEC'd string)."""

    def __init__(self, declared, where=""):
        self.declared = declared
        self.types = {}
        self.values = {}
        self.where = where
        self.stmt = None


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
        parts = split_name(str(name))
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
        ast = parse_declare(stmt)
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


def split_name(text):
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


def parse_declare(stmt):
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
