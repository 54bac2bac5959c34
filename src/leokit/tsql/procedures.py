"""The statements the runner executes itself, and the data statements it hands to the
translator: DECLARE, SET @v, SET options, USE, transactions, PRINT, RAISERROR/THROW, EXEC of
a string, SELECT @v = ..., and every other statement through leokit.tsql.translate.

    class Runner(Procedures): ...     # leokit.tsql.runner mixes these methods in

Current stack only.
"""

import re

from sqlglot import exp

from leokit.tsql import script as S
from leokit.tsql.prepare import Unsupported, parse_one, prepare
from leokit.tsql.session import coerce_value, parse_declare
from leokit.tsql.translate import translate, translate_ast

__all__ = [
    "Procedures",
    "Raised",
]


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


class Raised(Exception):
    """RAISERROR / THROW with an error severity."""


class Procedures:
    """The statements the runner executes itself (DECLARE, SET, USE, transactions, PRINT,
    RAISERROR/THROW, EXEC) and the data statements it hands to the translator: the
    ``do_<kind>`` methods of leokit.tsql.runner's runner, which mixes this class in. They use
    the runner's ``s`` (the Session), ``run`` (the ScriptRun), ``run_names``, ``idiom`` and
    ``batch``.
    """

    def do_declare(self, stmt, key):
        ast = parse_declare(stmt)
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
        self.s.frame.values[name] = coerce_value(row[0], dtype)

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
            raise Raised(f"THROW {args[0]}: {args[1]}")
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
        raise Raised(f"RAISERROR (severity {severity}): {message}")

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
                self.s.frame.values[name] = coerce_value(value, dtype)
        self.s.rowcount = len(rows)


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
