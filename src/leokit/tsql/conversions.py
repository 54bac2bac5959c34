"""SQL Server's types and implicit conversions in DuckDB: data types, casts, text + number,
comparisons of text with numbers and dates, CASE/ISNULL/COALESCE result types, truncating
casts, integer division typed by the statement's own columns.

    convert_implicitly(ast, kinds, idioms)     # in place; kinds: leokit.tsql.kinds.Kinds

Current stack only (sqlglot).
"""

import re

from sqlglot import exp

from leokit.sqlbase import kind_of
from leokit.tsql.kinds import NUMERIC, higher, kind_of_type
from leokit.tsql.prepare import Unsupported

__all__ = [
    "duck_type",
    "fix_datatypes",
    "cast_to",
    "convert_implicitly",
    "arithmetic_kind",
    "fix_date_adds",
    "qualify_shadowed",
]


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


def fix_datatypes(root):
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


def cast_to(node, kind):
    return exp.Cast(this=node, to=exp.DataType.build(_DUCK_FOR_KIND[kind]))


def _cast_in_place(node, kind, source=None):
    """Replace ``node`` by its conversion to ``kind``; ``source='str'`` applies SQL
    Server's rules for text (see _from_text)."""
    new = _from_text(node.copy(), kind) if source == "str" else cast_to(node.copy(), kind)
    node.replace(new)
    return new


_BASIC_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(.*)$")


def _from_text(node, kind):
    """Text converted as SQL Server converts it: '' and blanks are 0 for numbers and
    1900-01-01 for dates (DuckDB: an error), 'YYYYMMDD' is a date (DuckDB: an error)."""
    if kind not in ("int", "real", "date", "datetime"):
        return cast_to(node, kind)
    blank = exp.Literal.number(0) if kind in ("int", "real") else exp.Literal.string("1900-01-01")
    if isinstance(node, exp.Literal) and node.is_string:
        text = node.name
        if not text.strip():
            return cast_to(blank, kind)
        m = _BASIC_DATE.match(text) if kind in ("date", "datetime") else None
        if m:
            text = f"{m.group(1)}-{m.group(2)}-{m.group(3)}{m.group(4)}"
        return cast_to(exp.Literal.string(text), kind)
    test = exp.EQ(this=exp.Trim(this=node.copy()), expression=exp.Literal.string(""))
    return exp.Case(ifs=[exp.If(this=test, true=cast_to(blank, kind))], default=cast_to(node, kind))


def _looks_numeric(text):
    return re.match(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$", text or "") is not None


_ARITH = (exp.Sub, exp.Mul, exp.Div, exp.Mod)


_COMPARE = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


_DATES = ("date", "datetime", "time")


def convert_implicitly(root, kinds, idioms):
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


def arithmetic_kind(kinds, names):
    """leokit.sql's division and AVG rules, typed by this statement's own resolver."""

    def kind(node):
        k = kinds.of(node)
        if k in ("int", "bit"):
            return "int"
        if k in ("dec", "real", "null"):
            return "real"  # NULL / x is NULL whichever division runs
        return kind_of(node, names)

    return kind


def fix_date_adds(root, kinds):
    """DATEADD on a date gives a date in T-SQL, a timestamp in DuckDB."""
    for node in list(root.find_all(exp.DateAdd)):
        if kinds.of(node.this) == "date" and not isinstance(node.parent, exp.Cast):
            node.replace(exp.Cast(this=node.copy(), to=exp.DataType.build("DATE")))


def qualify_shadowed(root, kinds):
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
