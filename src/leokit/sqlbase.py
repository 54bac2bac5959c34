"""What leokit.sql (the cookbook's T-SQL) and leokit.tsql (whole SRS scripts) share, so that
neither imports the other for it: SqlError, T-SQL's typing of numeric expressions and its
integer arithmetic, and an extract opened in DuckDB under its SRS names.

    from leokit.sqlbase import open_duckdb, fix_arithmetic, registry_kinds
    con = open_duckdb("data_synthetic")            # LEO_i2 / NPD_i2 / HESA_i2 attached

sqlglot and duckdb are imported inside the functions that need them. Current stack only.
"""

import os

__all__ = [
    "RECIPE_SCHEMA",
    "SqlError",
    "registry_kinds",
    "kind_of",
    "learn_names",
    "fix_arithmetic",
    "extract_manifest",
    "manifest_tables",
    "open_duckdb",
    "quote",
]

#: the project schema the recipes are written with (SRS: your project number)
RECIPE_SCHEMA = "leo_synth"


class SqlError(ValueError):
    """A script that cannot be read, translated or run; the message names the statement."""


# ------------------------------------------------------------------------------ typing
_COLUMN_KINDS = None


def registry_kinds():
    """{lower-case column name: 'int' | 'real' | None} from the schema registry; None where
    the same name has different kinds in different views."""
    global _COLUMN_KINDS
    if _COLUMN_KINDS is None:
        from leokit.schema import REGISTRY

        found = {}
        for view in REGISTRY:
            for year in view.all_years():
                for col in view.columns_for(year):
                    kind = {"int": "int", "flag": "int", "float": "real"}.get(col.kind)
                    name = col.name_for(year).lower()
                    if name in found and found[name] != kind:
                        kind = None
                    found[name] = kind
        _COLUMN_KINDS = found
    return _COLUMN_KINDS


def _combine(kinds):
    if "real" in kinds:
        return "real"
    if kinds and all(k == "int" for k in kinds):
        return "int"
    return None


def kind_of(node, names):
    """'int', 'real' or None (cannot tell) for a numeric T-SQL expression."""
    from sqlglot import exp

    if isinstance(node, (exp.Paren, exp.Neg, exp.Alias, exp.Window, exp.Abs, exp.Nullif)):
        return kind_of(node.this, names)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return None
        return "int" if node.is_int else "real"  # 1.5 is numeric in T-SQL: not truncated
    if isinstance(node, exp.Cast):
        to = node.to
        if to.is_type(*exp.DataType.INTEGER_TYPES) or to.is_type(exp.DType.BIT):
            return "int"
        if to.is_type(*exp.DataType.REAL_TYPES):
            return "real"
        return None
    if isinstance(node, exp.Column):
        return names.get(node.name.lower())
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Mod, exp.Div, exp.IntDiv)):
        return _combine([kind_of(node.left, names), kind_of(node.right, names)])
    if isinstance(node, exp.Count):
        return "int"
    if isinstance(node, (exp.Sum, exp.Min, exp.Max, exp.Avg)):
        return kind_of(node.this, names)
    if isinstance(node, exp.Coalesce):
        return _combine([kind_of(e, names) for e in [node.this] + list(node.expressions)])
    if isinstance(node, exp.Case):
        parts = [i.args.get("true") for i in node.args.get("ifs") or []]
        if node.args.get("default") is not None:
            parts.append(node.args["default"])
        kinds = [kind_of(p, names) for p in parts if not isinstance(p, exp.Null)]
        return _combine(kinds)
    if isinstance(node, (exp.DateDiff, exp.Year, exp.Month, exp.Day)):
        return "int"
    return None


def learn_names(statement, names):
    """Add the kinds of the aliases a statement defines (CTE and subquery columns, VALUES
    column lists, temp-table columns) to ``names``; an alias seen with two kinds is unknown."""
    from sqlglot import exp

    def learn(name, kind):
        name = name.lower()
        if name in names and names[name] != kind:
            kind = None
        names[name] = kind

    for _ in range(2):  # inner selects may be found after the outer ones that use them
        for values in statement.find_all(exp.Values):
            alias = values.args.get("alias")
            rows = values.expressions
            if alias is None or not rows or not alias.columns:
                continue
            for col, cell in zip(alias.columns, rows[0].expressions):
                learn(col.name, kind_of(cell, names))
        for select in statement.find_all(exp.Select):
            for proj in select.expressions:
                if isinstance(proj, exp.Alias):
                    learn(proj.alias, kind_of(proj.this, names))


def fix_arithmetic(statement, names, text, dialect, kind=None):
    """Make ``/`` and ``AVG`` follow T-SQL's integer rules (see the module docstring).
    ``kind(node)`` types an operand ('int', 'real' or None); by default from ``names``
    (leokit.tsql passes its own resolver, which knows the script's tables)."""
    from sqlglot import exp

    if kind is None:

        def kind(node):
            return kind_of(node, names)

    def refuse(node, what):
        raise SqlError(
            f"cannot tell whether {what} {node.sql('tsql')!r} works on integers (T-SQL "
            f"truncates) or not: write CAST(... AS float) or CAST(... AS int) on it\n  in: "
            f"{text}"
        )

    for node in list(statement.find_all(exp.Div)):
        left, right = kind(node.left), kind(node.right)
        if "real" in (left, right):
            continue
        if left == right == "int":
            node.replace(exp.IntDiv(this=node.left.copy(), expression=node.right.copy()))
        else:
            refuse(node, "the division")
    for node in list(statement.find_all(exp.Avg)):
        avg_kind = kind(node.this)
        if avg_kind == "int":
            target = node.parent if isinstance(node.parent, exp.Window) else node
            value = target.copy()
            if dialect == "duckdb":  # DuckDB's CAST rounds; Spark's truncates like T-SQL
                value = exp.Anonymous(this="TRUNC", expressions=[value])
            target.replace(exp.Cast(this=value, to=exp.DataType.build("BIGINT")))
        elif avg_kind is None:
            refuse(node, "the average")


# ------------------------------------------------------------------------------ DuckDB
def extract_manifest(path):
    from leokit.extract import ExtractError, read_manifest

    try:
        return read_manifest(os.path.join(path, "manifest.json"))
    except (ExtractError, OSError) as exc:
        raise SqlError(f"no readable extract manifest in {path}: {exc}") from None


def manifest_tables(manifest):
    tables = manifest.get("tables") or {}
    if isinstance(tables, list):
        tables = {t["name"]: t for t in tables}
    return tables


def open_duckdb(path, threads=None):
    """An in-memory DuckDB connection on which the SRS three-part names of an extract folder
    resolve (``LEO_i2.<schema>.leo_earnings``, ``NPD_i2...``, ``HESA_i2.<schema>.hesa_2012``).

    A Parquet extract (the default ``data_synthetic/``) becomes views over its files in
    attached in-memory databases; a DuckDB extract (``leokit synth --format duckdb``) is
    attached read-only. ``threads=1`` makes float sums bit-reproducible."""
    import duckdb

    from leokit.extract import connect_duckdb

    path = str(path)
    manifest = extract_manifest(path)
    fmt = manifest.get("format")
    if fmt == "duckdb":
        con = connect_duckdb(path)
    elif fmt == "parquet":
        schema = manifest.get("schema") or RECIPE_SCHEMA
        con = duckdb.connect()
        made = set()
        for name, entry in manifest_tables(manifest).items():
            db = entry.get("database")
            if not db:
                raise SqlError(f"the manifest of {path} gives no database for table {name}")
            if db not in made:
                con.execute(f"ATTACH ':memory:' AS {quote(db)}")
                con.execute(f"CREATE SCHEMA {quote(db)}.{quote(schema)}")
                made.add(db)
            file = os.path.abspath(os.path.join(path, entry.get("file") or name + ".parquet"))
            con.execute(
                "CREATE VIEW {}.{}.{} AS SELECT * FROM read_parquet('{}')".format(
                    quote(db), quote(schema), quote(name), file.replace("'", "''")
                )
            )
    else:
        raise SqlError(
            f"the extract in {path} is {fmt!r}; open_duckdb reads a Parquet or DuckDB extract "
            "(leokit synth --format parquet|duckdb)"
        )
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def quote(ident):
    return '"' + str(ident).replace('"', '""') + '"'
