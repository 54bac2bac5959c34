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

from leokit.sqlbase import (
    RECIPE_SCHEMA,
    SqlError,
    extract_manifest,
    fix_arithmetic,
    learn_names,
    manifest_tables,
    open_duckdb,
    registry_kinds,
)

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

DIALECTS = ("duckdb", "spark")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
    names = dict(registry_kinds())
    out = []
    for statement in _parse(tsql):
        text = " ".join(statement.sql("tsql").split())[:300]
        _check_into(statement, text)
        learn_names(statement, names)
        fix_arithmetic(statement, names, text, dialect)
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
    manifest = extract_manifest(path)
    if manifest.get("format") != "parquet":
        raise SqlError(
            f"register_spark_views reads a Parquet extract; {path} is {manifest.get('format')!r}"
        )
    names = []
    for name, entry in manifest_tables(manifest).items():
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
