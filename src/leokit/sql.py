"""Run the cookbook's T-SQL outside SQL Server: in DuckDB and in Spark, through sqlglot.

The recipes' SQL is written for the SRS (SQL Server, three-part names such as
``LEO_i2.leo_synth.leo_earnings``, ``#temp`` tables). This module runs it unchanged on the
synthetic extract, so the tests can check that it gives the same tables as the pandas code::

    from leokit import sql

    tsql = sql.recipe_sql("recipes/time/build_earnings_panel.md")
    con = sql.open_duckdb("data_synthetic")          # LEO_i2 / NPD_i2 / HESA_i2 attached
    panel_summary = sql.run_duckdb(con, tsql)         # the script's last result set

    spark = ...                                       # any SparkSession
    sql.register_spark_views(spark, "data_synthetic") # one temp view per extract table
    panel_summary = sql.run_spark(spark, tsql)

``transpile(tsql, "duckdb" | "spark")`` shows the statements that are run. A script is a list
of statements separated by ``;``. Statements that return rows (a ``SELECT`` without ``INTO``)
are result sets, as in SQL Server Management Studio; ``run_*`` return the last one, or all of
them with ``all_results=True``.

What the translation does beyond ``sqlglot.transpile(read="tsql")`` (each one is a place where
sqlglot alone would give a different answer from SQL Server; the recipes' "Known differences"
say the same in words):

- **Three-part names.** DuckDB: ``LEO_i2.<schema>.<view>`` is kept (the databases are attached
  under those names) and ``<schema>`` becomes the ``schema`` argument when one is given. Spark:
  the name becomes the bare view name, registered as a temporary view.
- **Temp tables.** ``SELECT ... INTO #t`` becomes a temporary table in DuckDB (sqlglot does
  this) and ``CACHE TABLE t AS SELECT ...`` in Spark, which has no temporary tables (a
  temporary view computed once); ``DROP TABLE #t`` becomes ``DROP VIEW`` there. Other
  ``INTO`` targets (permanent tables) are refused.
- **``float``** is an 8-byte double in T-SQL; sqlglot reads it as a 4-byte REAL. It becomes
  DOUBLE (so T-SQL ``real``, which sqlglot cannot tell from ``float``, is widened too).
- **Integer division and ``AVG`` of integers** truncate in T-SQL, not in DuckDB or Spark. sqlglot
  knows only literal types, so each ``/`` and ``AVG`` is typed here from the schema registry's
  column kinds, the casts and literals, and the aliases the script itself defines: integer
  over integer becomes truncating division, ``AVG`` of an integer becomes its truncated value,
  and where an operand's type cannot be told the statement is refused with a message asking
  for a ``CAST`` (so nothing is silently computed the other way).
- **``COLLATE Latin1_General_BIN``** (byte-wise key comparison) is dropped: DuckDB and Spark
  compare bytes anyway. String lengths (``varchar(20)``) are dropped: one string type there.
- **``PERCENTILE_CONT``** becomes Spark's exact ``percentile`` (sqlglot writes the approximate
  ``percentile_approx``). DuckDB's ``quantile_cont`` is exact already.

Only what the recipes need is covered here. Whole SRS scripts (``GO`` batches, ``DECLARE``,
``IF``/``WHILE``, ``EXEC``, ``OBJECT_ID`` guards, ``UPDATE ... FROM``, ``TOP ... WITH TIES``...)
run with ``run_script`` (leokit.tsql, ``leokit sql run``), which builds on the rules above.
"""

import os

__all__ = [
    "SqlError",
    "recipe_sql",
    "transpile",
    "open_duckdb",
    "run_duckdb",
    "register_spark_views",
    "run_spark",
    "run_script",
]

#: the project schema the recipes are written with (SRS: your project number)
RECIPE_SCHEMA = "leo_synth"
DIALECTS = ("duckdb", "spark")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class SqlError(ValueError):
    """A script that cannot be read, translated or run; the message names the statement."""


# ------------------------------------------------------------------------------ recipe pages
def _recipe_tool():
    """tools/recipes.py, the cookbook's page parser (recipes live in the repository only)."""
    import importlib.util

    path = os.path.join(ROOT, "tools", "recipes.py")
    if not os.path.exists(path):
        raise SqlError(
            f"recipe pages are read with {path}, which is not here: "
            "use leokit.sql from a checkout of the repository"
        )
    spec = importlib.util.spec_from_file_location("leo_recipes_tool", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recipe_sql(path):
    """The T-SQL script of a recipe page: its one ```sql block under ``## SQL``."""
    if not os.path.isfile(path):
        raise SqlError(f"no recipe page at {path}")
    tool = _recipe_tool()
    try:
        page = tool.Recipe(path)
    except tool.RecipeError as exc:
        raise SqlError(f"recipe {path} cannot be read: {exc}") from None
    blocks = page.blocks_of("sql")
    if not blocks:
        raise SqlError(f"recipe {page.name} has no ```sql block (expected one under '## SQL')")
    if len(blocks) > 1:
        lines = ", ".join(str(b.line) for b in blocks)
        raise SqlError(
            f"recipe {page.name} has {len(blocks)} ```sql blocks (lines {lines}); "
            "expected one script (it may return several result sets)"
        )
    return blocks[0].code


# ------------------------------------------------------------------------------ typing
_COLUMN_KINDS = None


def _registry_kinds():
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


def _kind(node, names):
    """'int', 'real' or None (cannot tell) for a numeric T-SQL expression."""
    from sqlglot import exp

    if isinstance(node, (exp.Paren, exp.Neg, exp.Alias, exp.Window, exp.Abs, exp.Nullif)):
        return _kind(node.this, names)
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
        return _combine([_kind(node.left, names), _kind(node.right, names)])
    if isinstance(node, exp.Count):
        return "int"
    if isinstance(node, (exp.Sum, exp.Min, exp.Max, exp.Avg)):
        return _kind(node.this, names)
    if isinstance(node, exp.Coalesce):
        return _combine([_kind(e, names) for e in [node.this] + list(node.expressions)])
    if isinstance(node, exp.Case):
        parts = [i.args.get("true") for i in node.args.get("ifs") or []]
        if node.args.get("default") is not None:
            parts.append(node.args["default"])
        kinds = [_kind(p, names) for p in parts if not isinstance(p, exp.Null)]
        return _combine(kinds)
    if isinstance(node, (exp.DateDiff, exp.Year, exp.Month, exp.Day)):
        return "int"
    return None


def _learn_names(statement, names):
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
                learn(col.name, _kind(cell, names))
        for select in statement.find_all(exp.Select):
            for proj in select.expressions:
                if isinstance(proj, exp.Alias):
                    learn(proj.alias, _kind(proj.this, names))


def _fix_arithmetic(statement, names, text, dialect, kind=None):
    """Make ``/`` and ``AVG`` follow T-SQL's integer rules (see the module docstring).
    ``kind(node)`` types an operand ('int', 'real' or None); by default from ``names``
    (leokit.tsql passes its own resolver, which knows the script's tables)."""
    from sqlglot import exp

    if kind is None:

        def kind(node):
            return _kind(node, names)

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


def _drop_binary_collations(statement):
    """``x COLLATE Latin1_General_BIN`` (byte-wise comparison, FFT's habit for keys) is what
    DuckDB and Spark do anyway; other collations are left for the engine to refuse."""
    from sqlglot import exp

    for node in list(statement.find_all(exp.Collate)):
        name = node.expression.name if node.expression is not None else ""
        if name.upper().endswith(("_BIN", "_BIN2")):
            node.replace(node.this.copy())


def _fix_types(statement):
    from sqlglot import exp

    for dt in statement.find_all(exp.DataType):
        if dt.this == exp.DType.FLOAT:
            params = dt.expressions
            n = params[0].this if params else None
            if n is None or (n.is_int and int(n.name) > 24):
                dt.replace(exp.DataType.build("DOUBLE"))
            else:
                dt.replace(exp.DataType.build("FLOAT"))
        elif dt.this in (exp.DType.VARCHAR, exp.DType.NVARCHAR, exp.DType.CHAR, exp.DType.NCHAR):
            dt.set("expressions", [])  # DuckDB and Spark: one string type, no length


# ------------------------------------------------------------------------------ translating
def _parse(tsql):
    import sqlglot
    from sqlglot.errors import ParseError

    if not isinstance(tsql, str) or not tsql.strip():
        raise SqlError("the T-SQL script is empty")
    try:
        statements = [s for s in sqlglot.parse(tsql, read="tsql") if s is not None]
    except ParseError as exc:
        raise SqlError(f"T-SQL that sqlglot cannot parse: {exc}") from None
    if not statements:
        raise SqlError("the T-SQL script has no statements")
    return statements


def _returns_rows(statement):
    from sqlglot import exp

    return isinstance(statement, exp.Query) and statement.args.get("into") is None


def _rename_tables(statement, dialect, schema):
    from sqlglot import exp

    for table in statement.find_all(exp.Table):
        if table.this is not None and getattr(table.this, "args", {}).get("temporary"):
            continue
        if dialect == "spark":
            if table.args.get("db") is not None:
                table.set("catalog", None)
                table.set("db", None)
        elif schema and table.args.get("catalog") is not None:
            db = table.args.get("db")
            if db is not None and db.name.lower() == RECIPE_SCHEMA:
                table.set("db", exp.to_identifier(schema))


def _spark_temp_tables(statement):
    """The Spark SQL of one statement, as a list: SELECT ... INTO #t becomes
    ``DROP VIEW IF EXISTS t`` and ``CACHE TABLE t AS SELECT ...`` (a temporary view computed
    once, as a temp table is); DROP TABLE #t becomes DROP VIEW."""
    from sqlglot import exp

    into = statement.args.get("into") if isinstance(statement, exp.Query) else None
    if into is not None:
        query = statement.copy()
        query.set("into", None)
        name = into.this.sql("spark")
        return [f"DROP VIEW IF EXISTS {name}", f"CACHE TABLE {name} AS {query.sql('spark')}"]
    if isinstance(statement, exp.Drop) and (statement.args.get("kind") or "").upper() == "TABLE":
        statement = statement.copy()
        statement.set("kind", "VIEW")
    return [statement.sql("spark")]


def _spark_percentiles(statement):
    from sqlglot import exp

    for node in list(statement.find_all(exp.PercentileCont)):
        group = node.parent if isinstance(node.parent, exp.WithinGroup) else None
        if group is None:
            continue
        order = group.expression
        keys = order.expressions if isinstance(order, exp.Order) else []
        if len(keys) != 1:
            raise SqlError(f"PERCENTILE_CONT needs one ORDER BY column: {group.sql('tsql')}")
        key = keys[0]
        if key.args.get("desc"):
            raise SqlError(f"PERCENTILE_CONT ... ORDER BY DESC is not translated: {group.sql()}")
        group.replace(exp.Anonymous(this="percentile", expressions=[key.this.copy(), node.this]))


def _check_into(statement, text):
    from sqlglot import exp

    into = statement.args.get("into") if isinstance(statement, exp.Query) else None
    if into is None:
        return
    ident = into.this.this if isinstance(into.this, exp.Table) else None
    if not (into.args.get("temporary") or (ident is not None and ident.args.get("temporary"))):
        raise SqlError(f"SELECT ... INTO is translated for #temp tables only\n  in: {text}")


def _translate(tsql, dialect, schema=None):
    """[(sql, returns_rows)] for the engine ``dialect``."""
    if dialect not in DIALECTS:
        raise SqlError(f"unknown dialect {dialect!r}: expected one of {DIALECTS}")
    names = dict(_registry_kinds())
    out = []
    for statement in _parse(tsql):
        text = " ".join(statement.sql("tsql").split())[:300]
        _check_into(statement, text)
        _learn_names(statement, names)
        _fix_arithmetic(statement, names, text, dialect)
        _fix_types(statement)
        _drop_binary_collations(statement)
        _rename_tables(statement, dialect, schema)
        if dialect == "spark":
            _spark_percentiles(statement)
            sqls = _spark_temp_tables(statement)
        else:
            sqls = [statement.sql("duckdb")]
        out += [(sql, False) for sql in sqls[:-1]] + [(sqls[-1], _returns_rows(statement))]
    return out


def transpile(tsql, dialect, schema=None):
    """The statements of a T-SQL script in ``dialect`` ('duckdb' or 'spark'), as run by
    run_duckdb / run_spark. ``schema`` replaces the recipes' project schema (``leo_synth``)
    in three-part names (DuckDB; Spark uses bare view names)."""
    return [sql for sql, _ in _translate(tsql, dialect, schema)]


# ------------------------------------------------------------------------------ DuckDB
def _manifest(path):
    from leokit.extract import ExtractError, read_manifest

    try:
        return read_manifest(os.path.join(path, "manifest.json"))
    except (ExtractError, OSError) as exc:
        raise SqlError(f"no readable extract manifest in {path}: {exc}") from None


def _tables(manifest):
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
    manifest = _manifest(path)
    fmt = manifest.get("format")
    if fmt == "duckdb":
        con = connect_duckdb(path)
    elif fmt == "parquet":
        schema = manifest.get("schema") or RECIPE_SCHEMA
        con = duckdb.connect()
        made = set()
        for name, entry in _tables(manifest).items():
            db = entry.get("database")
            if not db:
                raise SqlError(f"the manifest of {path} gives no database for table {name}")
            if db not in made:
                con.execute(f"ATTACH ':memory:' AS {_q(db)}")
                con.execute(f"CREATE SCHEMA {_q(db)}.{_q(schema)}")
                made.add(db)
            file = os.path.abspath(os.path.join(path, entry.get("file") or name + ".parquet"))
            con.execute(
                "CREATE VIEW {}.{}.{} AS SELECT * FROM read_parquet('{}')".format(
                    _q(db), _q(schema), _q(name), file.replace("'", "''")
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


def _q(ident):
    return '"' + str(ident).replace('"', '""') + '"'


def _execute(run, statements, engine):
    results = []
    for i, (sql, returns_rows) in enumerate(statements, 1):
        try:
            frame = run(sql, returns_rows)
        except Exception as exc:  # noqa: BLE001 - the engine's error, with the statement
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SqlError(
                f"{engine} failed on statement {i} of {len(statements)}: "
                f"{type(exc).__name__}: {first}\n  {sql[:500]}"
            ) from None
        if returns_rows:
            results.append(frame)
    return results


def _pick(results, all_results):
    if all_results:
        return results
    if not results:
        raise SqlError("the script returns no result set (every statement is a SELECT INTO)")
    return results[-1]


def run_duckdb(con, tsql, schema=None, all_results=False):
    """Run a T-SQL script on a DuckDB connection (e.g. from open_duckdb); return the last
    result set as a pandas DataFrame, or every one (a list) with ``all_results=True``.
    Temp tables stay on the connection, as in an SSMS session."""
    statements = _translate(tsql, "duckdb", schema)

    def run(sql, returns_rows):
        cur = con.execute(sql)
        return cur.df() if returns_rows else None

    return _pick(_execute(run, statements, "DuckDB"), all_results)


# ------------------------------------------------------------------------------ Spark
def register_spark_views(spark, path):
    """One Spark temporary view per table of a Parquet extract folder, named as the view
    (``leo_earnings``, ``hesa_2012``); returns the names."""
    path = str(path)
    manifest = _manifest(path)
    if manifest.get("format") != "parquet":
        raise SqlError(
            f"register_spark_views reads a Parquet extract; {path} is {manifest.get('format')!r}"
        )
    names = []
    for name, entry in _tables(manifest).items():
        file = os.path.abspath(os.path.join(path, entry.get("file") or name + ".parquet"))
        spark.read.parquet(file).createOrReplaceTempView(name)
        names.append(name)
    return names


def run_spark(spark, tsql, views=None, all_results=False):
    """Run a T-SQL script on a SparkSession; return the last result set as a pandas
    DataFrame (or every one with ``all_results=True``). Three-part names are read as the
    bare view names: register them first with ``register_spark_views`` or pass ``views``,
    a mapping {view name: Spark DataFrame or Parquet path}. Temp tables become temporary
    views of the session."""
    for name, source in (views or {}).items():
        frame = spark.read.parquet(str(source)) if isinstance(source, str) else source
        frame.createOrReplaceTempView(name)
    statements = _translate(tsql, "spark")

    def run(sql, returns_rows):
        frame = spark.sql(sql)
        return frame.toPandas() if returns_rows else None

    return _pick(_execute(run, statements, "Spark"), all_results)


# ------------------------------------------------------------------------------ whole scripts
def run_script(script, extract, keep_going=False, **kwargs):
    """Run a whole SRS T-SQL script on an extract in DuckDB: see leokit.tsql.run_script."""
    from leokit.tsql import run_script as run

    return run(script, extract, keep_going=keep_going, **kwargs)
