"""Expressions DuckDB spells differently, and the names and constants of a statement:
T-SQL functions (ISNUMERIC, LEN, CHECKSUM...), LIKE patterns, collations, the script's
tables mapped to DuckDB names, variables substituted by their values.

    rewrite_functions(ast, idioms); rewrite_likes(ast, idioms); map_tables(ast, ctx)

Current stack only (sqlglot).
"""

import re

from sqlglot import exp

from leokit.tsql.conversions import cast_to
from leokit.tsql.prepare import Unsupported

__all__ = [
    "rewrite_functions",
    "rewrite_likes",
    "rewrite_collations",
    "map_tables",
    "substitute_constants",
]


_ISNUMERIC = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?\s*$"


def rewrite_functions(root, idioms):
    for node in list(root.find_all(exp.Anonymous)):
        name = str(node.this).upper()
        args = node.expressions
        if name == "ISNUMERIC" and len(args) == 1:
            test = exp.Anonymous(
                this="regexp_full_match",
                expressions=[cast_to(args[0].copy(), "str"), exp.Literal.string(_ISNUMERIC)],
            )
            node.replace(
                exp.Case(
                    ifs=[exp.If(this=test, true=exp.Literal.number(1))],
                    default=exp.Literal.number(0),
                )
            )
            idioms.add("ISNUMERIC")
        elif name in ("VAR", "VARP", "STDEVP"):
            node.set("this", {"VAR": "var_samp", "VARP": "var_pop", "STDEVP": "stddev_pop"}[name])
        elif name in ("CHECKSUM", "BINARY_CHECKSUM") and args:
            # a 32-bit signed hash, as SQL Server's (the values differ: use it to compare)
            h = exp.Anonymous(this="hash", expressions=[a.copy() for a in args])
            node.replace(
                exp.Cast(
                    this=exp.Sub(
                        this=exp.Mod(this=h, expression=exp.Literal.number(4294967296)),
                        expression=exp.Literal.number(2147483648),
                    ),
                    to=exp.DataType.build("BIGINT"),
                )
            )
        elif name == "CHOOSE" and len(args) > 1:
            node.replace(
                exp.Case(
                    this=args[0].copy(),
                    ifs=[
                        exp.If(this=exp.Literal.number(i), true=a.copy())
                        for i, a in enumerate(args[1:], 1)
                    ],
                )
            )
        elif name == "SPACE" and len(args) == 1:
            node.replace(exp.Repeat(this=exp.Literal.string(" "), times=args[0].copy()))
        elif name in ("PATINDEX", "STR", "SOUNDEX", "DIFFERENCE", "NEWSEQUENTIALID"):
            raise Unsupported(f"{name}()", f"the T-SQL function {name}() is not translated")
    for node in list(root.find_all(exp.Extract)):
        if node.this is not None and node.this.name.upper() in ("DAYOFWEEK", "DW", "WEEKDAY"):
            # DATEPART(weekday): Sunday is 1 (SQL Server's us_english DATEFIRST 7); DuckDB: 0
            node.replace(
                exp.Paren(this=exp.Add(this=node.copy(), expression=exp.Literal.number(1)))
            )
            idioms.add("DATEPART(weekday)")
    for node in list(root.find_all(exp.Length)):
        # LEN ignores trailing spaces
        node.set(
            "this",
            exp.Anonymous(
                this="RTRIM",
                expressions=[cast_to(node.this.copy(), "str"), exp.Literal.string(" ")],
            ),
        )
        idioms.add("LEN")
    for node in list(root.find_all(exp.National)):
        node.replace(exp.Literal.string(node.name))
    for node in list(root.find_all(exp.Literal)):
        if not node.is_string and re.match(r"^[\d.]+[eE]$", node.name):
            node.set("this", node.name + "0")  # T-SQL's 0e is the float 0
    for node in list(root.find_all(exp.HexString)):
        digits = node.name
        if 0 < len(digits) <= 15:  # 0x7FFF used as a number: SQL Server converts it
            node.replace(exp.Literal.number(int(digits, 16)))
    for node in list(root.find_all(exp.CurrentTimestamp)):
        if not isinstance(node.parent, exp.Cast):
            node.replace(exp.Cast(this=node.copy(), to=exp.DataType.build("TIMESTAMP")))


def _like_regex(pattern):
    """A T-SQL LIKE pattern with [character classes] as a regular expression (DuckDB's
    LIKE knows only % and _)."""
    out, i = ["(?s)"], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        elif c == "[":
            j = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("^", "]") else i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                neg = body.startswith("^")
                body = body[1:] if neg else body
                if len(body) == 1 and not neg:
                    out.append(re.escape(body))  # [%] and [_] are the characters
                else:
                    body = body.replace("\\", "\\\\").replace("[", "\\[")
                    out.append("[" + ("^" if neg else "") + body + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def rewrite_likes(root, idioms):
    for node in list(root.find_all(exp.Like)):
        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string and "[" in pattern.name):
            continue
        if node.args.get("escape") is not None or isinstance(node.parent, exp.Escape):
            continue
        test = exp.Anonymous(
            this="regexp_full_match",
            expressions=[
                cast_to(node.this.copy(), "str"),
                exp.Literal.string(_like_regex(pattern.name)),
            ],
        )
        node.replace(exp.Not(this=test) if node.args.get("negate") else test)
        idioms.add("LIKE with [character classes]")


def rewrite_collations(root, idioms):
    """Binary and case-sensitive collations are DuckDB's default; *_CI_* ones become NOCASE."""
    for node in list(root.find_all(exp.Collate)):
        name = node.expression.name.upper() if node.expression is not None else ""
        if "_CI" in name:
            node.set("expression", exp.Var(this="NOCASE"))
        else:
            node.replace(node.this.copy())
        idioms.add("COLLATE")
    for node in list(root.find_all(exp.CollateColumnConstraint)):
        name = node.this.name.upper() if node.this is not None else ""
        parent = node.parent
        if "_CI" in name:
            node.set("this", exp.Var(this="NOCASE"))
        elif isinstance(parent, exp.ColumnConstraint):
            parent.pop()


def map_tables(root, ctx, skip_alias_targets=()):
    """Every table reference to its DuckDB name (temp tables, extract databases, schemas)."""
    for table in list(root.find_all(exp.Table)):
        if any(table is t for t in skip_alias_targets):
            continue
        if not table.args.get("db") and not isinstance(table.this, exp.Parameter):
            if _is_cte(table):
                continue
            if not table.name and not table.this:
                continue
        if isinstance(table.this, (exp.Anonymous, exp.Func)) and not isinstance(
            table.this, exp.Parameter
        ):
            continue  # a table-valued function
        in_from = isinstance(table.parent, (exp.From, exp.Join)) or (
            isinstance(table.parent, (exp.Update, exp.Delete)) and table.arg_key == "this"
        )
        if in_from and not table.alias and not isinstance(table.this, exp.Parameter):
            # #t.col and wip#sc.col name the table: keep that name as its alias
            flags = table.this.args if isinstance(table.this, exp.Identifier) else {}
            prefix = "##" if flags.get("global_") else "#" if flags.get("temporary") else ""
            name = table.name if table.name.startswith("#") else prefix + table.name
            table.set("alias", exp.TableAlias(this=exp.to_identifier(name, quoted=True)))
        ctx.map_table(table)


def _is_cte(table):
    from leokit.tsql.kinds import find_cte

    return find_cte(table, table.name) is not None


def substitute_constants(root, ctx, idioms):
    """@variables, @@ROWCOUNT, OBJECT_ID() and SCHEMA_ID() become constants."""
    for node in list(root.find_all(exp.Parameter)):
        if node.parent is None and node is not root:
            continue
        if isinstance(node.parent, exp.Parameter):
            continue
        if isinstance(node.this, exp.Parameter):  # @@name
            name = node.this.name.upper()
            node.replace(ctx.system_variable(name))
            idioms.add(f"@@{name}")
            continue
        if isinstance(node.parent, exp.Table):
            continue  # a table variable
        node.replace(ctx.variable(node.name))
        idioms.add("variables")
    for node in list(root.find_all(exp.ObjectId)):
        name = ctx.constant(node.this)
        kind = ctx.constant(node.expression) if node.expression is not None else None
        node.replace(_int_or_null(ctx.object_id(name, kind)))
        idioms.add("OBJECT_ID")
    for node in list(root.find_all(exp.Anonymous)):
        name = str(node.this).upper()
        if name in ("SCHEMA_ID", "DB_ID") and len(node.expressions) == 1:
            value = ctx.constant(node.expressions[0])
            found = ctx.schema_id(value) if name == "SCHEMA_ID" else ctx.db_id(value)
            node.replace(_int_or_null(found))
            idioms.add(f"{name}")
        elif name in ("SCHEMA_ID", "DB_ID", "OBJECT_NAME", "DB_NAME", "SCHEMA_NAME"):
            raise Unsupported(f"{name}()", f"{name}() is translated with one literal argument only")


def _int_or_null(value):
    return exp.Null() if value is None else exp.Literal.number(int(value))
