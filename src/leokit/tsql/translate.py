"""Translate one T-SQL statement (no control flow) into DuckDB SQL, with SQL Server's meaning.

    from leokit.tsql.translate import translate
    out = translate(stmt, ctx)       # Translation: .sqls, .returns_rows, .idiom, .skip

``ctx`` is the runner's session: it maps table names, knows the tables' column types and the
values of the variables (see leokit.tsql.runner.Session). Each rewrite below is a place where
running sqlglot's DuckDB output as it stands would give a different answer from SQL Server, or
fail; leokit.tsql's module docstring lists them in words. The rewrites live by what they
touch: leokit.tsql.prepare (the text, before sqlglot parses it), conversions (types and
implicit conversions), expressions (functions, LIKE, names, variables), statements (TOP,
APPLY, SELECT INTO, UPDATE/DELETE ... FROM) and tables (CREATE TABLE, INSERT); this module
runs them in order.
"""

import re

import sqlglot
from sqlglot import exp

from leokit.sqlbase import SqlError, fix_arithmetic
from leokit.tsql.conversions import (
    arithmetic_kind,
    convert_implicitly,
    duck_type,
    fix_datatypes,
    fix_date_adds,
    qualify_shadowed,
)
from leokit.tsql.expressions import (
    map_tables,
    rewrite_collations,
    rewrite_functions,
    rewrite_likes,
    substitute_constants,
)
from leokit.tsql.kinds import Kinds, kind_of_type
from leokit.tsql.prepare import Unsupported, classify_skip, first_words, parse_one, prepare
from leokit.tsql.script import kw
from leokit.tsql.statements import (
    mark_recursive_ctes,
    rewrite_applies,
    rewrite_delete_join,
    rewrite_select_into,
    rewrite_top,
    rewrite_update_from,
    source_items,
)
from leokit.tsql.tables import (
    fill_insert_columns,
    is_temp,
    rewrite_create_table,
    truncate_inserts,
)

__all__ = ["Unsupported", "Translation", "translate", "translate_ast", "parse_one", "duck_type"]


class Translation:
    """What to run for one statement.

    sqls          DuckDB statements, in order (the last one is the statement itself)
    returns_rows  the last one is a result set (a SELECT without INTO)
    idiom         what the statement is, for messages ("UPDATE ... FROM", "SELECT ... INTO #temp")
    skip          set when the statement is accepted but not run (an index): the log line
    ast           the translated statement (sqlglot, DuckDB semantics)
    """

    def __init__(self, sqls=(), returns_rows=False, idiom="", skip=None, ast=None):
        self.sqls = list(sqls)
        self.returns_rows = returns_rows
        self.idiom = idiom
        self.skip = skip
        self.ast = ast


def _describe(ast, stmt):
    """What the statement is, for messages."""
    if isinstance(ast, exp.Select) or isinstance(ast, exp.SetOperation):
        into = ast.args.get("into")
        if into is not None:
            return (
                "SELECT ... INTO #temp"
                if into.this.this.args.get("temporary") or into.this.name.startswith("#")
                else "SELECT ... INTO"
            )
        return "SELECT"
    if isinstance(ast, exp.Insert):
        q = ast.expression
        return "INSERT ... VALUES" if isinstance(q, exp.Values) else "INSERT ... SELECT"
    if isinstance(ast, exp.Update):
        return "UPDATE ... FROM" if ast.args.get("from_") is not None else "UPDATE"
    if isinstance(ast, exp.Delete):
        return "DELETE"
    if isinstance(ast, exp.Create):
        return f"CREATE {ast.args.get('kind') or ''}".strip()
    if isinstance(ast, exp.Drop):
        return f"DROP {ast.args.get('kind') or ''}".strip()
    if isinstance(ast, exp.TruncateTable):
        return "TRUNCATE TABLE"
    if isinstance(ast, exp.Merge):
        return "MERGE"
    if isinstance(ast, exp.Alter):
        return "ALTER TABLE"
    return " ".join(w for w in first_words(stmt.tokens, 2) if w) or "statement"


def _features(ast):
    found = []
    for node in ast.walk():
        if isinstance(node, exp.Lateral) and node.args.get("cross_apply") is not None:
            found.append("CROSS APPLY" if node.args.get("cross_apply") else "OUTER APPLY")
        elif isinstance(node, exp.Limit):
            opts = node.args.get("limit_options")
            if opts is not None and opts.args.get("with_ties"):
                found.append("TOP ... WITH TIES")
            elif opts is not None and opts.args.get("percent"):
                found.append("TOP ... PERCENT")
        elif isinstance(node, exp.Table) and getattr(node.this, "args", {}).get("temporary"):
            found.append("#temp table")
        elif isinstance(node, exp.Anonymous) and str(node.this).upper() == "ISNUMERIC":
            found.append("ISNUMERIC")
    out = []
    for f in found:
        if f not in out:
            out.append(f)
    return out


def translate(stmt, ctx, names):
    """Translation of one Stmt of kind 'sql' (see the module docstring); ``names`` is the
    registry's column kinds (leokit.sql), the fallback for columns the catalog cannot type."""
    skip = classify_skip(stmt.tokens)
    words = [w for w in first_words(stmt.tokens, 3) if w]
    if skip is not None:
        head = first_words(stmt.tokens, 6)
        if "INDEX" in head:
            head = head[: head.index("INDEX") + 1]
        return Translation(idiom=" ".join(w for w in head[:4] if w), skip=skip)
    if words[:2] == ["CREATE", "SCHEMA"]:
        return _create_schema(stmt, ctx)
    if (
        words[:1] == ["CREATE"]
        and len(words) > 1
        and words[1]
        in ("PROCEDURE", "PROC", "FUNCTION", "TRIGGER", "TYPE", "SYNONYM", "ASSEMBLY", "OR")
    ):
        what = "CREATE " + words[1]
        raise Unsupported(what, "stored procedures, functions and triggers are not supported")
    if words[:1] == ["INSERT"] and any(kw(t) in ("EXEC", "EXECUTE") for t in stmt.tokens):
        raise Unsupported("INSERT ... EXEC", "INSERT ... EXEC is not supported")
    text, extra = prepare(stmt)
    ast = parse_one(text, " ".join(words[:2]))
    if isinstance(ast, exp.Delete) and not isinstance(ast.this, exp.Expression):
        tables = ast.args.get("tables") or []
        if len(tables) == 1:  # DELETE t WHERE ... (no FROM)
            ast.set("this", tables[0].pop() if tables[0].parent else tables[0])
            ast.set("tables", None)
    idiom = _describe(ast, stmt)
    features = _features(ast)
    if features:
        idiom += " with " + ", ".join(features)
    idioms = set()
    try:
        out = _translate(ast, ctx, names, extra, idioms)
    except Unsupported as exc:
        if not exc.idiom:
            exc.idiom = idiom
        raise
    out.idiom = idiom
    return out


def translate_ast(ast, ctx, names, idiom="statement"):
    """Translation of a statement the runner built itself (a condition, an assignment)."""
    idioms = set()
    try:
        out = _translate(ast, ctx, names, {"top": None}, idioms)
    except Unsupported as exc:
        if not exc.idiom:
            exc.idiom = idiom
        raise
    out.idiom = idiom
    return out


def _translate(ast, ctx, names, extra, idioms):
    top = None
    if extra.get("top") is not None:
        top = parse_one("SELECT " + extra["top"], "TOP (n)").expressions[0]
    # 1. constants
    substitute_constants(ast, ctx, idioms)
    if top is not None:
        substitute_constants(top, ctx, idioms)
    # 2. names (an UPDATE/DELETE target that is a FROM alias is not a table)
    alias_targets = []
    if isinstance(ast, exp.Update) and ast.args.get("from_") is not None:
        items = source_items(ast.args["from_"], ast.args.get("joins"))
        targets = [ast.this]
    elif isinstance(ast, exp.Delete) and isinstance(ast.this, exp.Table):
        items = [ast.this] + [j.this for j in ast.this.args.get("joins") or []]
        targets = ast.args.get("tables") or []
    else:
        items, targets = [], []
    for t in targets:
        if not t.args.get("db") and any((i.alias or "").lower() == t.name.lower() for i in items):
            alias_targets.append(t)
    map_tables(ast, ctx, alias_targets)
    # 3. SQL Server's conversions, with the statement's own types
    kinds = Kinds(ctx.columns, fallback=names)
    if isinstance(ast, exp.Create) and isinstance(ast.this, exp.Schema):
        coldefs = [c for c in ast.this.expressions if isinstance(c, exp.ColumnDef)]
        own = {c.name.lower(): kind_of_type(c.args.get("kind")) for c in coldefs}
        kinds = Kinds(ctx.columns, names, own)  # a computed column reads its own table
        before = rewrite_create_table(ast, idioms)
    else:
        before = []
    qualify_shadowed(ast, kinds)
    convert_implicitly(ast, kinds, idioms)
    fix_date_adds(ast, kinds)
    if isinstance(ast, exp.Insert):
        fill_insert_columns(ast, ctx, idioms)
        truncate_inserts(ast, ctx, kinds)
    if isinstance(ast, exp.Update):
        for eq in ast.expressions:
            if (
                isinstance(eq, exp.EQ)
                and kinds.of(eq.this) == "int"
                and kinds.of(eq.expression) in ("dec", "real")
            ):
                eq.expression.replace(
                    exp.Anonymous(this="TRUNC", expressions=[eq.expression.copy()])
                )
    text = " ".join(ast.sql("tsql").split())[:300]
    try:
        fix_arithmetic(ast, names, text, "duckdb", kind=arithmetic_kind(kinds, names))
    except SqlError as exc:
        raise Unsupported("integer division", str(exc).split("\n")[0]) from None
    # 4. idioms DuckDB spells differently
    rewrite_functions(ast, idioms)
    rewrite_likes(ast, idioms)
    rewrite_collations(ast, idioms)
    rewrite_applies(ast, idioms)
    mark_recursive_ctes(ast)
    for select in list(ast.find_all(exp.Select)):
        replaced = rewrite_top(select, idioms)
        if select is ast:
            ast = replaced
    if isinstance(ast, exp.Update):
        ast = rewrite_update_from(ast, top, idioms)
    elif isinstance(ast, exp.Delete):
        ast = rewrite_delete_join(ast, top, idioms)
    returns_rows = isinstance(ast, exp.Query) and ast.args.get("into") is None
    if isinstance(ast, exp.Query) and ast.args.get("into") is not None:
        ast = rewrite_select_into(ast, idioms)
    if isinstance(ast, exp.Create):
        props = ast.args.get("properties")
        if is_temp(ast.this.this if isinstance(ast.this, exp.Schema) else ast.this):
            if props is None or not any(
                isinstance(p, exp.TemporaryProperty) for p in props.expressions
            ):
                ast.set("properties", exp.Properties(expressions=[exp.TemporaryProperty()]))
        elif props is not None:
            keep = [p for p in props.expressions if not isinstance(p, exp.TemporaryProperty)]
            ast.set("properties", exp.Properties(expressions=keep) if keep else None)
    fix_datatypes(ast)
    for ident in list(ast.find_all(exp.Identifier)):
        if not ident.quoted and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", ident.name or "_"):
            ident.set("quoted", True)  # fft.wip#sc: '#' inside a name
    for select in list(ast.find_all(exp.Select)):
        select.set("options", None)  # OPTION (MAXDOP 1) and other query hints
    statements = [ast]
    if isinstance(ast, exp.Drop) and len(ast.args.get("tables") or []) > 1:
        statements = []  # DROP TABLE a, b: one DROP each for DuckDB
        for table in ast.args["tables"]:
            one = ast.copy()
            one.set("tables", [table.copy()])
            statements.append(one)
    try:
        final = [s.sql("duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE) for s in statements]
    except sqlglot.errors.UnsupportedError as exc:
        raise Unsupported("", f"DuckDB has no equivalent: {exc}") from None
    if isinstance(ast, exp.TruncateTable):
        final = []
        for table in ast.expressions:
            final += ctx.truncate(table)
    return Translation(before + final, returns_rows=returns_rows, ast=ast)


def _create_schema(stmt, ctx):
    toks = stmt.tokens
    if len(toks) < 3:
        raise Unsupported("CREATE SCHEMA", "CREATE SCHEMA needs a name")
    name = toks[2].text
    rest = [kw(t) for t in toks[3:]]
    if rest and rest[0] != "AUTHORIZATION":
        raise Unsupported("CREATE SCHEMA", "CREATE SCHEMA with objects inside is not supported")
    sql_text = f"CREATE SCHEMA {ctx.work_schema_sql(name)}"
    return Translation([sql_text], idiom="CREATE SCHEMA")
