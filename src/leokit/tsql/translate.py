"""Translate one T-SQL statement (no control flow) into DuckDB SQL, with SQL Server's meaning.

    from leokit.tsql.translate import translate
    out = translate(stmt, ctx)       # Translation: .sqls, .returns_rows, .idiom, .skip

``ctx`` is the runner's session: it maps table names, knows the tables' column types and the
values of the variables (see leokit.tsql.runner.Session). Each rewrite below is a place where
running sqlglot's DuckDB output as it stands would give a different answer from SQL Server, or
fail; leokit.tsql's module docstring lists them in words.
"""

import contextlib
import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from leokit.tsql.kinds import NUMERIC, Kinds, higher, kind_of_type
from leokit.tsql.script import kw

__all__ = ["Unsupported", "Translation", "translate", "translate_ast", "parse_one", "duck_type"]


class Unsupported(Exception):
    """A T-SQL idiom the runner does not run; ``idiom`` names it, the message says why."""

    def __init__(self, idiom, reason):
        super().__init__(reason)
        self.idiom = idiom
        self.reason = reason


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


# ------------------------------------------------------------------------------ parsing
@contextlib.contextmanager
def _quiet_sqlglot():
    """sqlglot logs a warning when it falls back to a raw 'Command'; the runner reports
    that itself."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def parse_one(text, idiom):
    """One T-SQL statement as a sqlglot tree, or Unsupported naming ``idiom``."""
    from sqlglot.errors import ParseError, TokenError

    try:
        with _quiet_sqlglot():
            parsed = [e for e in sqlglot.parse(text, read="tsql") if e is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unsupported(idiom, f"T-SQL that cannot be parsed: {first}") from None
    if len(parsed) != 1:
        raise Unsupported(idiom, f"expected one statement, read {len(parsed)}")
    if isinstance(parsed[0], exp.Command):
        raise Unsupported(idiom, "this statement's syntax is not supported")
    return parsed[0]


# ------------------------------------------------------------------------------ token fixes
_SKIP_REASON = {
    "index": "indexes are skipped: DuckDB needs none (a UNIQUE index's uniqueness is not checked)",
    "storage": "storage options (compression, partitions, statistics) are skipped",
    "permission": "permissions are skipped",
}
_OPERATORS = {
    TokenType.PLUS,
    TokenType.DASH,
    TokenType.STAR,
    TokenType.SLASH,
    TokenType.MOD,
    TokenType.AMP,
    TokenType.PIPE,
    TokenType.CARET,
}


def _words(tokens, n=6):
    """The first n keywords (sqlglot reads some pairs, 'CLUSTERED INDEX', as one token)."""
    out = []
    for t in tokens:
        k = kw(t)
        out += k.split() if k else [None]
        if len(out) >= n:
            break
    return out[:n] + [None] * max(0, n - len(out))


def classify_skip(tokens):
    """The reason a statement is skipped (indexes, storage options), or None."""
    w = _words(tokens, 6)
    if w[0] in ("CREATE", "DROP", "ALTER") and "INDEX" in w[1:5]:
        return _SKIP_REASON["index"]
    if w[1] == "STATISTICS" and w[0] in ("UPDATE", "CREATE", "DROP"):
        return _SKIP_REASON["storage"]
    if w[0] in ("CHECKPOINT", "DBCC"):
        return _SKIP_REASON["storage"]
    if w[0] in ("GRANT", "DENY", "REVOKE"):
        return _SKIP_REASON["permission"]
    if w[0] == "ALTER" and w[1] == "TABLE":
        rest = {kw(t) for t in tokens[3:]}
        if "REBUILD" in rest or (w[3] == "SET" and "LOCK_ESCALATION" in rest):
            return _SKIP_REASON["storage"]
    return None


class _Edit:
    """Token-level edits to a statement's text before sqlglot reads it."""

    def __init__(self, stmt):
        self.stmt = stmt
        self.toks = stmt.tokens
        self.drop = set()
        self.before = {}
        self.after = {}

    def text(self):
        base = self.stmt.offset
        src = self.stmt.text
        out, pos = [], 0
        for i, t in enumerate(self.toks):
            a, b = t.start - base, t.end - base + 1
            gap = src[pos:a]
            out.append(gap)  # whitespace and comments stay, so line numbers do
            if i not in self.drop:
                out.append(self.before.get(i, ""))
                out.append(src[a:b])
                out.append(self.after.get(i, ""))
            pos = b
        out.append(src[pos:])
        return "".join(out)


def _matching(toks, i):
    """Index of the ')' closing the '(' at i."""
    depth = 0
    for j in range(i, len(toks)):
        depth += toks[j].token_type == TokenType.L_PAREN
        depth -= toks[j].token_type == TokenType.R_PAREN
        if depth == 0:
            return j
    return len(toks) - 1


def prepare(stmt):
    """(text for sqlglot, {'top': n text or None}) after the token-level fixes:
    compound assignments (``x += 1``), CLUSTERED/NONCLUSTERED and table storage options,
    ``DELETE FROM t FROM ...``, ``DELETE/UPDATE TOP (n)``."""
    toks = stmt.tokens
    ed = _Edit(stmt)
    extra = {"top": None}
    w = _words(toks, 3)
    depth = 0
    in_set = w[0] == "UPDATE"
    set_started = False
    _bracket_temp_names(toks, ed)
    for i, t in enumerate(toks):
        k = kw(t)
        if t.token_type == TokenType.L_PAREN:
            depth += 1
        elif t.token_type == TokenType.R_PAREN:
            depth -= 1
        if k in ("CLUSTERED", "NONCLUSTERED"):
            ed.drop.add(i)
        if w[0] == "CREATE" and w[1] == "TABLE":
            # WITH (DATA_COMPRESSION = PAGE), ON [PRIMARY], TEXTIMAGE_ON x: storage only
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if k == "WITH" and nxt is not None and nxt.token_type == TokenType.L_PAREN:
                ed.drop.update(range(i, _matching(toks, i + 1) + 1))
            if depth == 0 and k in ("ON", "TEXTIMAGE_ON", "FILESTREAM_ON") and i > 3:
                ed.drop.update(range(i, min(i + 2, len(toks))))
        if k == "SET" and depth == 0:
            set_started = True
        # x += e  ->  x = x + (e)
        if (
            t.token_type in _OPERATORS
            and i + 1 < len(toks)
            and toks[i + 1].token_type == TokenType.EQ
            and toks[i + 1].start == t.end + 1
            and (w[0] == "SET" or (in_set and set_started))
        ):
            target = _assignment_target(toks, i)
            if target is not None:
                end = _expression_end(toks, i + 2, w[0] == "SET")
                ed.drop.add(i)
                src = stmt.text
                base = stmt.offset
                tgt = src[toks[target].start - base : toks[i - 1].end - base + 1]
                ed.after[i + 1] = f" {tgt} {t.text} ("
                ed.after[end] = ed.after.get(end, "") + ")"
    if w[0] == "DELETE":
        froms = [i for i, t in enumerate(toks) if kw(t) == "FROM" and _depth_at(toks, i) == 0]
        if len(froms) == 2 and froms[0] == _after_top(toks, 1):
            ed.drop.add(froms[0])
    if w[0] in ("DELETE", "UPDATE") and w[1] == "TOP":
        j = 2
        if toks[j].token_type == TokenType.L_PAREN:
            close = _matching(toks, j)
            extra["top"] = stmt.text[
                toks[j + 1].start - stmt.offset : toks[close - 1].end - stmt.offset + 1
            ]
            ed.drop.update(range(1, close + 1))
        else:
            extra["top"] = toks[j].text
            ed.drop.update({1, 2})
        if kw(toks[_after_top(toks, 1)]) == "PERCENT":
            raise Unsupported(
                f"{w[0]} TOP ... PERCENT", "TOP ... PERCENT is supported in SELECT only"
            )
    return ed.text(), extra


def _bracket_temp_names(toks, ed):
    """#name and ##name as one quoted name, [#name]: sqlglot reads #inner or #order (a
    keyword after the #) as an error, and a column qualified with a temp table's name
    (#t.col) loses its #."""
    i = 0
    while i < len(toks):
        if toks[i].token_type != TokenType.HASH:
            i += 1
            continue
        j = i
        while j < len(toks) and toks[j].token_type == TokenType.HASH and j - i < 2:
            j += 1
        name = toks[j] if j < len(toks) else None
        adjacent = name is not None and name.start == toks[j - 1].end + 1
        if adjacent and name.token_type not in _TEXT_TOKEN_TYPES and re.match(r"^\w+$", name.text):
            ed.drop.update(range(i, j))
            ed.before[j] = "[" + "#" * (j - i)
            ed.after[j] = "]"
        i = j + 1


_TEXT_TOKEN_TYPES = {TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.IDENTIFIER}


def bracket_temp_names(text):
    """The same for a bare expression (an IF or WHILE condition)."""
    from leokit.tsql.script import Stmt, _Tokenizer

    try:
        toks = _Tokenizer().tokenize(text)
    except Exception:  # noqa: BLE001 - sqlglot reports the error when it parses
        return text
    if not toks:
        return text
    stmt = Stmt("sql", text, 1, toks, 0)
    ed = _Edit(stmt)
    _bracket_temp_names(toks, ed)
    return ed.text()


def _after_top(toks, i):
    """Index of the token after an optional TOP (n) starting at i."""
    if kw(toks[i]) != "TOP":
        return i
    if toks[i + 1].token_type == TokenType.L_PAREN:
        return _matching(toks, i + 1) + 1
    return i + 2


def _depth_at(toks, i):
    depth = 0
    for t in toks[:i]:
        depth += t.token_type == TokenType.L_PAREN
        depth -= t.token_type == TokenType.R_PAREN
    return depth


def _assignment_target(toks, i):
    """Start index of the column or @variable assigned by the compound operator at i."""
    j = i - 1
    if j < 0 or toks[j].token_type not in (TokenType.VAR, TokenType.IDENTIFIER):
        return None
    while j - 2 >= 0 and toks[j - 1].token_type == TokenType.DOT:
        j -= 2
    if j - 1 >= 0 and toks[j - 1].token_type == TokenType.PARAMETER:
        j -= 1
    return j


def _expression_end(toks, i, whole):
    """Last index of the expression starting at i (to the next top-level comma, or FROM /
    WHERE / OPTION in an UPDATE; the rest of the statement after SET @v)."""
    depth = case = 0
    last = i
    for j in range(i, len(toks)):
        t = toks[j]
        k = kw(t)
        if t.token_type == TokenType.L_PAREN:
            depth += 1
        elif t.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0:
            if k == "CASE":
                case += 1
            elif k == "END" and case:
                case -= 1
            elif (
                not whole
                and not case
                and (t.token_type == TokenType.COMMA or k in ("FROM", "WHERE", "OPTION"))
            ):
                return last
        last = j
    return last


# ------------------------------------------------------------------------------ types
def duck_type(dt):
    """A T-SQL DataType as DuckDB should see it (a new node)."""
    dt = dt.copy()
    T = exp.DataType.Type
    t = dt.this
    if t == T.BIT:
        return exp.DataType.build("BOOLEAN")
    if t == T.MONEY:
        return exp.DataType.build("DECIMAL(19, 4)")
    if t == T.SMALLMONEY:
        return exp.DataType.build("DECIMAL(10, 4)")
    if t in (T.DECIMAL,) and not dt.expressions:
        return exp.DataType.build("DECIMAL(18, 0)")  # T-SQL's default precision and scale
    if t == T.FLOAT:
        params = dt.expressions
        n = params[0].this if params else None
        if n is None or (isinstance(n, exp.Literal) and n.is_int and int(n.name) > 24):
            return exp.DataType.build("DOUBLE")
        return exp.DataType.build("FLOAT")
    if t in (T.VARCHAR, T.NVARCHAR, T.CHAR, T.NCHAR, T.TEXT):
        return exp.DataType.build("VARCHAR")
    if t == T.XML:
        return exp.DataType.build("VARCHAR")
    if t in (T.BINARY, T.VARBINARY, T.IMAGE):
        return exp.DataType.build("BLOB")
    return dt


def _fix_datatypes(root):
    for dt in list(root.find_all(exp.DataType)):
        if isinstance(dt.parent, exp.DataType):
            continue
        new = duck_type(dt)
        if new.sql("duckdb") != dt.sql("duckdb"):
            dt.replace(new)


_DUCK_FOR_KIND = {
    "int": "BIGINT",
    "dec": "DOUBLE",
    "real": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "time": "TIME",
    "str": "VARCHAR",
    "bit": "INTEGER",
}


def _cast(node, kind):
    return exp.Cast(this=node, to=exp.DataType.build(_DUCK_FOR_KIND[kind]))


def _cast_in_place(node, kind, source=None):
    """Replace ``node`` by its conversion to ``kind``; ``source='str'`` applies SQL
    Server's rules for text (see _from_text)."""
    new = _from_text(node.copy(), kind) if source == "str" else _cast(node.copy(), kind)
    node.replace(new)
    return new


_BASIC_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(.*)$")


def _from_text(node, kind):
    """Text converted as SQL Server converts it: '' and blanks are 0 for numbers and
    1900-01-01 for dates (DuckDB: an error), 'YYYYMMDD' is a date (DuckDB: an error)."""
    if kind not in ("int", "real", "date", "datetime"):
        return _cast(node, kind)
    blank = exp.Literal.number(0) if kind in ("int", "real") else exp.Literal.string("1900-01-01")
    if isinstance(node, exp.Literal) and node.is_string:
        text = node.name
        if not text.strip():
            return _cast(blank, kind)
        m = _BASIC_DATE.match(text) if kind in ("date", "datetime") else None
        if m:
            text = f"{m.group(1)}-{m.group(2)}-{m.group(3)}{m.group(4)}"
        return _cast(exp.Literal.string(text), kind)
    test = exp.EQ(this=exp.Trim(this=node.copy()), expression=exp.Literal.string(""))
    return exp.Case(ifs=[exp.If(this=test, true=_cast(blank, kind))], default=_cast(node, kind))


def _looks_numeric(text):
    return re.match(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$", text or "") is not None


# ------------------------------------------------------------------------------ conversions
_ARITH = (exp.Sub, exp.Mul, exp.Div, exp.Mod)
_COMPARE = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_DATES = ("date", "datetime", "time")


def _convert(root, kinds, idioms):
    """SQL Server's implicit conversions, made explicit for DuckDB (bottom-up)."""
    for node in reversed(list(root.walk())):
        if node.parent is None and node is not root:
            continue  # replaced already
        if isinstance(node, exp.Add):
            _convert_add(node, kinds, idioms)
        elif isinstance(node, _ARITH):
            _convert_arith(node, kinds, idioms)
        elif isinstance(node, _COMPARE):
            _convert_compare(node, node.left, node.right, kinds, idioms)
        elif isinstance(node, exp.In):
            _convert_in(node, kinds, idioms)
        elif isinstance(node, exp.Between):
            for side in ("low", "high"):
                _convert_compare(node, node.this, node.args.get(side), kinds, idioms)
        elif isinstance(node, (exp.Case, exp.If, exp.Coalesce)):
            _unify(node, kinds, idioms)
        elif isinstance(node, (exp.Sum, exp.Avg)) and kinds.of(node.this) == "bit":
            _cast_in_place(node.this, "bit")
        elif isinstance(
            node,
            (
                exp.Left,
                exp.Right,
                exp.Substring,
                exp.Upper,
                exp.Lower,
                exp.Trim,
                exp.Replace,
                exp.Reverse,
                exp.Like,
                exp.Length,
                exp.Repeat,
                exp.Stuff,
            ),
        ):
            _text_argument(node, "this", kinds, idioms)
        elif isinstance(node, exp.StrPosition):
            _text_argument(node, "this", kinds, idioms)
            _text_argument(node, "substr", kinds, idioms)
        elif isinstance(node, (exp.Cast, exp.TryCast)):
            _truncating_cast(node, node.this, "this", kinds, idioms)
        elif isinstance(node, exp.Convert):
            if isinstance(node.this, exp.DataType):
                _truncating_cast(node, node.expression, "expression", kinds, idioms)


def _convert_add(node, kinds, idioms):
    left, right = kinds.of(node.left), kinds.of(node.right)
    pair = {left, right}
    if "str" in pair and pair <= {"str", "null"}:
        node.replace(exp.DPipe(this=node.left.copy(), expression=node.right.copy()))
        idioms.add("+ joining text")
        return
    if "str" in pair and pair & NUMERIC:
        other = left if right == "str" else right
        side = node.left if left == "str" else node.right
        _cast_in_place(side, "int" if other == "bit" else other, "str")
        idioms.add("implicit text-to-number conversion")
        if other == "bit":
            _cast_in_place(node.left if side is node.right else node.right, "bit")
        return
    if "str" in pair and None in pair:
        lit = node.left if left == "str" else node.right
        other = node.right if lit is node.left else node.left
        if isinstance(lit, exp.Literal) and not _looks_numeric(lit.name):
            # SQL Server could not turn this text into a number: '+' must join text
            node.replace(exp.DPipe(this=node.left.copy(), expression=node.right.copy()))
            idioms.add("+ joining text")
            return
        raise Unsupported(
            "+ on text and a value of unknown type",
            f"cannot tell whether '+' in {node.sql('tsql')!r} adds numbers or joins text: "
            f"write CAST({other.sql('tsql')} AS varchar) or CAST(... AS int)",
        )
    _bits_to_int(node, left, right)


def _bits_to_int(node, left, right):
    if left == "bit":
        _cast_in_place(node.left, "bit")
    if right == "bit":
        _cast_in_place(node.right, "bit")


def _convert_arith(node, kinds, idioms):
    left, right = kinds.of(node.left), kinds.of(node.right)
    if "str" in (left, right):
        other = right if left == "str" else left
        if other in NUMERIC:
            side = node.left if left == "str" else node.right
            _cast_in_place(side, "int" if other == "bit" else other, "str")
            idioms.add("implicit text-to-number conversion")
    _bits_to_int(node, left, right)


def _convert_compare(node, a, b, kinds, idioms):
    if a is None or b is None:
        return
    ka, kb = kinds.of(a), kinds.of(b)
    if "str" not in (ka, kb) or ka == kb:
        if {ka, kb} == {"bit", "int"}:
            _cast_in_place(a if ka == "bit" else b, "bit")
        return
    text, other = (a, kb) if ka == "str" else (b, ka)
    if other in NUMERIC:
        _cast_in_place(text, "int" if other == "bit" else other, "str")
        idioms.add("implicit text-to-number conversion")
    elif other in ("date", "datetime"):
        _cast_in_place(text, other, "str")
        idioms.add("implicit text-to-date conversion")


def _convert_in(node, kinds, idioms):
    kx = kinds.of(node.this)
    items = node.expressions
    ks = [kinds.of(e) for e in items]
    if kx == "str":
        nums = [k for k in ks if k in NUMERIC]
        if nums:
            target = higher(*nums) if higher(*nums) != "bit" else "int"
            _cast_in_place(node.this, target, "str")
            idioms.add("implicit text-to-number conversion")
    elif kx in NUMERIC:
        for e, k in zip(list(items), ks):
            if k == "str" and not isinstance(e, exp.Literal):
                _cast_in_place(e, kx)


def _unify(node, kinds, idioms):
    target = kinds.of(node)
    if target in (None, "null"):
        return
    if isinstance(node, exp.Case):
        parts = [i.args.get("true") for i in node.args.get("ifs") or []]
        parts.append(node.args.get("default"))
    elif isinstance(node, exp.If):
        parts = [node.args.get("true"), node.args.get("false")]
    else:
        parts = [node.this] + list(node.expressions)
    for p in parts:
        if p is None:
            continue
        k = kinds.of(p)
        if k in (None, "null", target):
            continue
        if k == "str" or k == "bit" or target == "str":
            _cast_in_place(p, target if target != "bit" else "int", k)
            idioms.add("implicit conversion of CASE/ISNULL/COALESCE results")


def _text_argument(node, arg, kinds, idioms):
    value = node.args.get(arg)
    if value is None:
        return
    k = kinds.of(value)
    if k in NUMERIC or k in _DATES:
        if isinstance(value, exp.Cast) and kind_of_type(value.to) == "str":
            return
        _cast_in_place(value, "str")
        idioms.add("implicit number-to-text conversion")


def _truncating_cast(node, value, arg, kinds, idioms):
    """CAST(2.7 AS int) is 2 in SQL Server (truncation), 3 in DuckDB (rounding); CAST('' AS
    int) is 0 and CAST('20150406' AS date) a date there (see _from_text)."""
    to = node.args.get("to") if arg == "this" else node.this
    target = kind_of_type(to)
    if value is None or target is None:
        return
    source = kinds.of(value)
    if target == "int" and source in ("dec", "real"):
        value.replace(exp.Anonymous(this="TRUNC", expressions=[value.copy()]))
        idioms.add("CAST to int truncates")
    elif source == "str" and target in ("int", "real", "date", "datetime"):
        if isinstance(node, exp.TryCast) or (arg == "expression" and node.args.get("style")):
            return  # TRY_CAST keeps DuckDB's NULL; CONVERT with a style is sqlglot's
        converted = _from_text(value.copy(), target)
        if isinstance(converted, exp.Cast):  # a literal: the cast is the conversion
            value.replace(converted.this)
        else:
            value.replace(converted)


def _arith_kind(kinds, names):
    """leokit.sql's division and AVG rules, typed by this statement's own resolver."""
    from leokit import sql

    def kind(node):
        k = kinds.of(node)
        if k in ("int", "bit"):
            return "int"
        if k in ("dec", "real", "null"):
            return "real"  # NULL / x is NULL whichever division runs
        return sql._kind(node, names)

    return kind


# ------------------------------------------------------------------------------ idioms
_ISNUMERIC = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?\s*$"


def _functions(root, idioms):
    for node in list(root.find_all(exp.Anonymous)):
        name = str(node.this).upper()
        args = node.expressions
        if name == "ISNUMERIC" and len(args) == 1:
            test = exp.Anonymous(
                this="regexp_full_match",
                expressions=[_cast(args[0].copy(), "str"), exp.Literal.string(_ISNUMERIC)],
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
                this="RTRIM", expressions=[_cast(node.this.copy(), "str"), exp.Literal.string(" ")]
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


def _likes(root, idioms):
    for node in list(root.find_all(exp.Like)):
        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string and "[" in pattern.name):
            continue
        if node.args.get("escape") is not None or isinstance(node.parent, exp.Escape):
            continue
        test = exp.Anonymous(
            this="regexp_full_match",
            expressions=[
                _cast(node.this.copy(), "str"),
                exp.Literal.string(_like_regex(pattern.name)),
            ],
        )
        node.replace(exp.Not(this=test) if node.args.get("negate") else test)
        idioms.add("LIKE with [character classes]")


def _date_adds(root, kinds):
    """DATEADD on a date gives a date in T-SQL, a timestamp in DuckDB."""
    for node in list(root.find_all(exp.DateAdd)):
        if kinds.of(node.this) == "date" and not isinstance(node.parent, exp.Cast):
            node.replace(exp.Cast(this=node.copy(), to=exp.DataType.build("DATE")))


def _collations(root, idioms):
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


def _top(select, idioms):
    """SELECT TOP (n) WITH TIES / PERCENT, which DuckDB's LIMIT cannot say: a RANK (ties) or
    ROW_NUMBER window over the ORDER BY keys, filtered outside."""
    limit = select.args.get("limit")
    opts = limit.args.get("limit_options") if isinstance(limit, exp.Limit) else None
    ties = bool(opts and opts.args.get("with_ties"))
    percent = bool(opts and opts.args.get("percent"))
    if not (ties or percent):
        return select
    order = select.args.get("order")
    if order is None or not order.expressions:
        if ties:
            raise Unsupported("TOP ... WITH TIES", "TOP ... WITH TIES needs an ORDER BY")
        raise Unsupported("TOP ... PERCENT", "TOP ... PERCENT is translated with an ORDER BY only")
    idioms.add("TOP ... WITH TIES" if ties else "TOP ... PERCENT")
    n = limit.expression.copy()
    keys = [_order_key(o, select) for o in order.expressions]
    rank_fn = exp.Rank() if ties else exp.RowNumber()
    window = exp.Window(this=rank_fn, order=exp.Order(expressions=keys))
    inner = select.copy()
    inner.set("limit", None)
    inner.set("order", None)
    into = inner.args.get("into")
    inner.set("into", None)
    with_ = inner.args.get("with_")
    inner.set("with_", None)
    rank = exp.to_identifier("__leokit_rank")
    if inner.args.get("distinct"):
        wrapped = exp.select("*").from_(inner.subquery("__leokit_distinct"))
        wrapped.select(exp.alias_(window, rank), copy=False)
        inner = wrapped
    else:
        inner.select(exp.alias_(window, rank), copy=False)
    cond_n = n
    if percent:
        total = exp.Window(this=exp.Count(this=exp.Star()))
        inner.select(exp.alias_(total, "__leokit_count"), copy=False)
        cond_n = exp.Anonymous(
            this="CEIL",
            expressions=[
                exp.Div(
                    this=exp.Mul(this=exp.column("__leokit_count"), expression=n),
                    expression=exp.Literal.number("100.0"),
                )
            ],
        )
    helpers = [exp.column("__leokit_rank")] + ([exp.column("__leokit_count")] if percent else [])
    outer = exp.Select(expressions=[exp.Star(except_=helpers)])
    outer = outer.from_(inner.subquery("__leokit_top")).where(
        exp.LTE(this=exp.column("__leokit_rank"), expression=cond_n)
    )
    outer = outer.order_by(exp.column("__leokit_rank"))
    if into is not None:
        outer.set("into", into)
    if with_ is not None:
        outer.set("with_", with_)
    select.replace(outer)
    return outer


def _applies(root, idioms):
    """CROSS APPLY / OUTER APPLY: DuckDB's LATERAL joins need CROSS, or LEFT ... ON TRUE."""
    for join in list(root.find_all(exp.Join)):
        lateral = join.this
        if not isinstance(lateral, exp.Lateral) or lateral.args.get("cross_apply") is None:
            continue
        cross = lateral.args["cross_apply"]
        lateral.set("cross_apply", None)
        if cross:
            join.set("side", None)
            join.set("kind", "CROSS")
            idioms.add("CROSS APPLY")
        else:
            join.set("side", "LEFT")
            join.set("kind", None)
            join.set("on", exp.true())
            idioms.add("OUTER APPLY")


def _qualify_shadowed(root, kinds):
    """T-SQL never lets a name refer to a select-list alias of the same SELECT (except in
    ORDER BY); DuckDB does. Where a column shares its name with such an alias, qualify it
    with the table it comes from (``SELECT end_date = ISNULL(end_date, ...)``)."""
    for select in list(root.find_all(exp.Select)):
        aliases = {p.alias.lower() for p in select.expressions if isinstance(p, exp.Alias)}
        if not aliases:
            continue
        parts = list(select.expressions)
        for key in ("where", "group", "having"):
            if select.args.get(key) is not None:
                parts.append(select.args[key])
        for part in parts:
            for col in list(part.find_all(exp.Column)):
                if col.table or col.name.lower() not in aliases:
                    continue
                if col.find_ancestor(exp.Select) is not select:
                    continue
                source = kinds.source_of(col)
                if source:
                    col.set("table", exp.to_identifier(source, quoted=True))


def _recursive_ctes(root):
    """A CTE that reads itself is recursive in T-SQL without saying so; DuckDB needs
    WITH RECURSIVE."""
    for with_ in list(root.find_all(exp.With)):
        for cte in with_.expressions:
            name = cte.alias.lower()
            if any(
                t.name.lower() == name and not t.args.get("db")
                for t in cte.this.find_all(exp.Table)
            ):
                with_.set("recursive", True)


def _order_key(ordered, select):
    """An ORDER BY key usable inside a window: select-list aliases and ordinals resolved."""
    key = ordered.copy()
    target = key.this
    projections = select.expressions
    if isinstance(target, exp.Literal) and target.is_int:
        proj = projections[int(target.name) - 1]
        key.set("this", (proj.this if isinstance(proj, exp.Alias) else proj).copy())
    elif isinstance(target, exp.Column) and not target.table:
        for proj in projections:
            if isinstance(proj, exp.Alias) and proj.alias.lower() == target.name.lower():
                if select.args.get("distinct"):
                    key.set("this", exp.column(proj.alias))
                else:
                    key.set("this", proj.this.copy())
    return key


def _select_into(select, idioms):
    """SELECT ... INTO t: CREATE TABLE t AS SELECT (a TEMP table for #t)."""
    into = select.args.get("into")
    table = into.this
    query = select.copy()
    query.set("into", None)
    temp = _is_temp(table)
    idioms.add("SELECT ... INTO #temp" if temp else "SELECT ... INTO")
    props = exp.Properties(expressions=[exp.TemporaryProperty()]) if temp else None
    create = exp.Create(this=table.copy(), kind="TABLE", expression=query, properties=props)
    return create


def _is_temp(table):
    return table.catalog.lower() == "temp" if isinstance(table, exp.Table) else False


def _source_items(from_node, joins=None):
    items = []
    if from_node is not None:
        items.append(from_node.this)
        items += [j.this for j in from_node.this.args.get("joins") or []]
    items += [j.this for j in joins or []]
    return items


def _find_target(target, items):
    """The FROM item an UPDATE/DELETE target names (by alias, else by table name)."""
    if target.args.get("db") or target.args.get("catalog"):
        name = target.name.lower()
        for item in items:
            if (
                isinstance(item, exp.Table)
                and item.name.lower() == name
                and (item.db.lower() == target.db.lower())
            ):
                return item
        return None
    name = target.name.lower()
    for item in items:
        if (item.alias or "").lower() == name:
            return item
    for item in items:
        if isinstance(item, exp.Table) and not item.alias and item.name.lower() == name:
            return item
    return None


def _target_base(item, statement, what):
    """The base table behind an UPDATE/DELETE target, the expression giving its row id in
    the subquery, and a map from the target's column names to the base table's.

    The target may be a table, or (as SQL Server allows) a derived table or CTE over one
    table: ``UPDATE cd SET x = ... FROM (SELECT x, MIN(y) OVER (...) m FROM t) cd``,
    ``WITH d AS (SELECT *, ROW_NUMBER() OVER (...) rn FROM t) DELETE FROM d WHERE rn > 1``."""
    from leokit.tsql.kinds import _find_cte

    alias = item.alias_or_name
    query = None
    if isinstance(item, exp.Subquery):
        query = item.this
    elif isinstance(item, exp.Table):
        cte = None if item.args.get("db") else _find_cte(item, item.name)
        if cte is None and statement.args.get("with_") is not None:
            for c in statement.args["with_"].expressions:
                if c.alias.lower() == item.name.lower():
                    cte = c
        if cte is None:
            base = item.copy()
            base.set("joins", None)
            base.set("alias", None)
            return base, exp.column("rowid", table=alias), lambda name: name
        query = cte.this
    if not isinstance(query, exp.Select):
        raise Unsupported(what, "the target is not a table or a query over one table")
    frm = query.args.get("from_")
    base = frm.this if frm is not None else None
    if (
        not isinstance(base, exp.Table)
        or base.args.get("joins")
        or query.args.get("joins")
        or query.args.get("group")
        or query.args.get("distinct")
    ):
        raise Unsupported(
            what,
            "a derived table or CTE is updated only when it reads one table (no joins, GROUP BY or DISTINCT)",
        )
    query.select(
        exp.alias_(exp.column("rowid", table=base.alias_or_name), "__leokit_rid"), copy=False
    )
    names = {}
    star = False
    for proj in query.expressions:
        if isinstance(proj, exp.Star) or (
            isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star)
        ):
            star = True
        elif isinstance(proj, exp.Column):
            names[proj.name.lower()] = proj.name
        elif isinstance(proj, exp.Alias) and isinstance(proj.this, exp.Column):
            names[proj.alias.lower()] = proj.this.name
        elif isinstance(proj, exp.Alias):
            names[proj.alias.lower()] = None

    def colmap(name):
        low = name.lower()
        if low in names:
            if names[low] is None:
                raise Unsupported(
                    what, f"column {name} of the target is computed: it cannot be updated"
                )
            return names[low]
        if star:
            return name
        raise Unsupported(what, f"column {name} is not in the target")

    table = base.copy()
    table.set("alias", None)
    return table, exp.column("__leokit_rid", table=alias), colmap


def _update_from(update, top, idioms):
    """UPDATE alias SET ... FROM t alias JOIN ...: DuckDB updates one table from a subquery
    that computes, per row id of the target, the new values over the original joins."""
    frm = update.args.get("from_")
    target = update.this
    with_ = update.args.get("with_")
    if frm is None and top is None and with_ is None:
        _strip_set_qualifiers(update)
        return update
    from_node = frm.this.copy() if frm is not None else None
    items = (
        _source_items(exp.From(this=from_node), update.args.get("joins")) if frm is not None else []
    )
    found = _find_target(target, items) if frm is not None else None
    if found is None:  # UPDATE t ... FROM s WHERE t.k = s.k: t joins the FROM
        found = target.copy()
        if from_node is not None:
            found.set("joins", [exp.Join(this=from_node, kind="CROSS")])
        from_node = found
    table, rid, colmap = _target_base(found, update, "UPDATE ... FROM")
    idioms.add("UPDATE ... FROM" if frm is not None else "UPDATE TOP (n)")
    sub = exp.Select(expressions=[exp.alias_(rid, "__leokit_rid")])
    sub.set("from_", exp.From(this=from_node))
    sets = []
    for i, eq in enumerate(update.expressions):
        if not isinstance(eq, exp.EQ) or not isinstance(eq.this, exp.Column):
            raise Unsupported("UPDATE ... SET", f"cannot translate the assignment {eq.sql('tsql')}")
        name = f"__leokit_v{i}"
        sub.select(exp.alias_(eq.expression.copy(), name), copy=False)
        sets.append(
            exp.EQ(
                this=exp.column(colmap(eq.this.name)),
                expression=exp.column(name, table="__leokit_src"),
            )
        )
    where = update.args.get("where")
    if where is not None:
        sub.set("where", where.copy())
    if top is not None:
        sub.set("limit", exp.Limit(expression=top))
    if with_ is not None:
        sub.set("with_", with_.copy())
    table.set("alias", exp.TableAlias(this=exp.to_identifier("__leokit_target")))
    return exp.Update(
        this=table,
        expressions=sets,
        from_=exp.From(this=sub.subquery("__leokit_src")),
        where=exp.Where(
            this=exp.EQ(
                this=exp.column("rowid", table="__leokit_target"),
                expression=exp.column("__leokit_rid", table="__leokit_src"),
            )
        ),
    )


def _strip_set_qualifiers(update):
    for eq in update.expressions:
        if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column) and eq.this.table:
            eq.set("this", exp.column(eq.this.name))


def _delete_join(delete, top, idioms):
    """DELETE a FROM t a JOIN ... (and DELETE through a CTE or derived table over one
    table): delete the base table's row ids that the original FROM selects."""
    targets = delete.args.get("tables") or []
    this = delete.this
    with_ = delete.args.get("with_")
    has_joins = bool(this.args.get("joins")) if isinstance(this, exp.Table) else False
    if not targets and not has_joins and top is None and with_ is None:
        return delete
    items = [this] + [j.this for j in this.args.get("joins") or []]
    found = _find_target(targets[0], items) if targets else this
    if found is None:
        raise Unsupported("DELETE ... FROM", "the DELETE target is not one of the tables joined")
    from_node = this.copy()
    if found is this:
        found = from_node
    else:
        found = _find_target(
            targets[0], [from_node] + [j.this for j in from_node.args.get("joins") or []]
        )
    table, rid, _ = _target_base(found, delete, "DELETE")
    idioms.add(
        "DELETE ... FROM with joins"
        if has_joins
        else "DELETE TOP (n)"
        if top is not None
        else "DELETE through a CTE"
    )
    sub = exp.Select(expressions=[rid])
    sub.set("from_", exp.From(this=from_node))
    where = delete.args.get("where")
    if where is not None:
        sub.set("where", where.copy())
    if top is not None:
        sub.set("limit", exp.Limit(expression=top))
    if with_ is not None:
        sub.set("with_", with_.copy())
    table.set("alias", exp.TableAlias(this=exp.to_identifier("__leokit_target")))
    return exp.Delete(
        this=table,
        where=exp.Where(
            this=exp.In(this=exp.column("rowid", table="__leokit_target"), query=sub.subquery())
        ),
    )


# ------------------------------------------------------------------------------ CREATE TABLE
def _create_table(create, idioms):
    """Computed columns, IDENTITY and PRIMARY KEY clauses of a CREATE TABLE; returns the
    statements to run before it (the IDENTITY sequences)."""
    schema = create.this
    table = schema.this
    before = []
    coldefs = [c for c in schema.expressions if isinstance(c, exp.ColumnDef)]
    temp = _is_temp(table)
    for col in coldefs:
        for cons in list(col.constraints):
            k = cons.kind
            if isinstance(k, exp.ComputedColumnConstraint):
                # DuckDB's generated column: AS (expr); PERSISTED has no equivalent
                idioms.add("computed column")
                wrapper = exp.Paren(this=k.this.copy())
                cons.set("kind", exp.ComputedColumnConstraint(this=wrapper))
            elif isinstance(k, exp.GeneratedAsIdentityColumnConstraint):
                idioms.add("IDENTITY column")
                start = k.args.get("start") or exp.Literal.number(1)
                inc = k.args.get("increment") or exp.Literal.number(1)
                seq = exp.Table(
                    this=exp.to_identifier(f"{table.name}__{col.name}__identity", quoted=True),
                    db=exp.to_identifier(table.db, quoted=True),
                    catalog=exp.to_identifier(table.catalog, quoted=True),
                )
                seed, step = start.sql("duckdb"), inc.sql("duckdb")
                before += [
                    f"CREATE OR REPLACE {'TEMP ' if temp else ''}SEQUENCE {seq.sql('duckdb')} "
                    f"START {seed} INCREMENT {step}",
                    # DuckDB keeps the next value as the start: the seed is kept here,
                    # for TRUNCATE TABLE to restart at it
                    f"COMMENT ON SEQUENCE {seq.sql('duckdb')} IS 'IDENTITY({seed}, {step})'",
                ]
                quoted = seq.sql("duckdb").replace("'", "''")
                cons.set(
                    "kind",
                    exp.DefaultColumnConstraint(
                        this=exp.Anonymous(this="nextval", expressions=[exp.Literal.string(quoted)])
                    ),
                )
            elif isinstance(k, exp.PrimaryKeyColumnConstraint):
                idioms.add("PRIMARY KEY")
    for cons in schema.expressions:
        if isinstance(cons, exp.PrimaryKey) or (
            isinstance(cons, exp.Constraint) and cons.find(exp.PrimaryKey)
        ):
            idioms.add("PRIMARY KEY")
    for ordered in list(schema.find_all(exp.Ordered)):
        if isinstance(ordered.parent, exp.PrimaryKey) or ordered.find_ancestor(exp.PrimaryKey):
            ordered.replace(ordered.this.copy())  # no NULLS FIRST in key lists
    return before


def _insert_columns(insert, ctx, idioms):
    """INSERT t SELECT ... into a table with IDENTITY or computed columns: SQL Server fills
    the other columns in order, so name them."""
    target = insert.this
    if isinstance(target, exp.Schema):
        return
    cols = ctx.insertable(target)
    if cols is None:
        return
    insert.set(
        "this",
        exp.Schema(
            this=target.copy(), expressions=[exp.to_identifier(c, quoted=True) for c in cols]
        ),
    )
    idioms.add("INSERT into a table with IDENTITY")


def _insert_truncation(insert, ctx, kinds):
    """Inserting 2.7 into an int column stores 2 in SQL Server, 3 in DuckDB."""
    target = insert.this
    table = target.this if isinstance(target, exp.Schema) else target
    cols = ctx.columns(table)
    if not cols:
        return
    names = (
        [c.name.lower() for c in target.expressions]
        if isinstance(target, exp.Schema)
        else (ctx.insertable(table) or list(cols))
    )
    names = [n.lower() for n in names]
    query = insert.expression
    rows = []
    if isinstance(query, exp.Select):
        rows = [query.expressions]
    elif isinstance(query, exp.Values):
        rows = [t.expressions for t in query.expressions]
    for row in rows:
        for name, value in zip(names, list(row)):
            if cols.get(name) == "int" and kinds.of(value) in ("dec", "real"):
                inner = value.this if isinstance(value, exp.Alias) else value
                inner.replace(exp.Anonymous(this="TRUNC", expressions=[inner.copy()]))


# ------------------------------------------------------------------------------ names
def _map_tables(root, ctx, skip_alias_targets=()):
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
    from leokit.tsql.kinds import _find_cte

    return _find_cte(table, table.name) is not None


def _substitute(root, ctx, idioms):
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


# ------------------------------------------------------------------------------ describe
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
    return " ".join(w for w in _words(stmt.tokens, 2) if w) or "statement"


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


# ------------------------------------------------------------------------------ main
def translate(stmt, ctx, names):
    """Translation of one Stmt of kind 'sql' (see the module docstring); ``names`` is the
    registry's column kinds (leokit.sql), the fallback for columns the catalog cannot type."""
    skip = classify_skip(stmt.tokens)
    words = [w for w in _words(stmt.tokens, 3) if w]
    if skip is not None:
        head = _words(stmt.tokens, 6)
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
    from leokit import sql

    top = None
    if extra.get("top") is not None:
        top = parse_one("SELECT " + extra["top"], "TOP (n)").expressions[0]
    # 1. constants
    _substitute(ast, ctx, idioms)
    if top is not None:
        _substitute(top, ctx, idioms)
    # 2. names (an UPDATE/DELETE target that is a FROM alias is not a table)
    alias_targets = []
    if isinstance(ast, exp.Update) and ast.args.get("from_") is not None:
        items = _source_items(ast.args["from_"], ast.args.get("joins"))
        targets = [ast.this]
    elif isinstance(ast, exp.Delete) and isinstance(ast.this, exp.Table):
        items = [ast.this] + [j.this for j in ast.this.args.get("joins") or []]
        targets = ast.args.get("tables") or []
    else:
        items, targets = [], []
    for t in targets:
        if not t.args.get("db") and any((i.alias or "").lower() == t.name.lower() for i in items):
            alias_targets.append(t)
    _map_tables(ast, ctx, alias_targets)
    # 3. SQL Server's conversions, with the statement's own types
    kinds = Kinds(ctx.columns, fallback=names)
    if isinstance(ast, exp.Create) and isinstance(ast.this, exp.Schema):
        coldefs = [c for c in ast.this.expressions if isinstance(c, exp.ColumnDef)]
        own = {c.name.lower(): kind_of_type(c.args.get("kind")) for c in coldefs}
        kinds = Kinds(ctx.columns, names, own)  # a computed column reads its own table
        before = _create_table(ast, idioms)
    else:
        before = []
    _qualify_shadowed(ast, kinds)
    _convert(ast, kinds, idioms)
    _date_adds(ast, kinds)
    if isinstance(ast, exp.Insert):
        _insert_columns(ast, ctx, idioms)
        _insert_truncation(ast, ctx, kinds)
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
        sql._fix_arithmetic(ast, names, text, "duckdb", kind=_arith_kind(kinds, names))
    except sql.SqlError as exc:
        raise Unsupported("integer division", str(exc).split("\n")[0]) from None
    # 4. idioms DuckDB spells differently
    _functions(ast, idioms)
    _likes(ast, idioms)
    _collations(ast, idioms)
    _applies(ast, idioms)
    _recursive_ctes(ast)
    for select in list(ast.find_all(exp.Select)):
        replaced = _top(select, idioms)
        if select is ast:
            ast = replaced
    if isinstance(ast, exp.Update):
        ast = _update_from(ast, top, idioms)
    elif isinstance(ast, exp.Delete):
        ast = _delete_join(ast, top, idioms)
    returns_rows = isinstance(ast, exp.Query) and ast.args.get("into") is None
    if isinstance(ast, exp.Query) and ast.args.get("into") is not None:
        ast = _select_into(ast, idioms)
    if isinstance(ast, exp.Create):
        props = ast.args.get("properties")
        if _is_temp(ast.this.this if isinstance(ast.this, exp.Schema) else ast.this):
            if props is None or not any(
                isinstance(p, exp.TemporaryProperty) for p in props.expressions
            ):
                ast.set("properties", exp.Properties(expressions=[exp.TemporaryProperty()]))
        elif props is not None:
            keep = [p for p in props.expressions if not isinstance(p, exp.TemporaryProperty)]
            ast.set("properties", exp.Properties(expressions=keep) if keep else None)
    _fix_datatypes(ast)
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
