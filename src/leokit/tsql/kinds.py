"""The T-SQL data type family of an expression, for the conversions SQL Server does silently.

    from leokit.tsql.kinds import Kinds
    kinds = Kinds(lookup)            # lookup(table node) -> {column: kind} or None
    kinds.of(node)                   # 'int', 'dec', 'real', 'str', 'date', ... or None

SQL Server converts the operand of lower type precedence to the other's type: ``'2019' + 1``
is 2020 (text becomes int), ``'a' + 'b'`` joins text, a varchar column compared with a date
becomes a date. DuckDB does none of this, so the translator needs each operand's type. It
comes from the tables' column types (DuckDB's catalog, via ``lookup``), the casts and
literals, and the aliases of derived tables and CTEs, resolved scope by scope. ``None``
means the type cannot be told; the translator then refuses rather than guess.
"""

from sqlglot import exp

__all__ = ["Kinds", "PRECEDENCE", "kind_of_type", "kind_of_duckdb", "higher"]

#: type families from lowest to highest T-SQL precedence (bit sits below the numbers)
PRECEDENCE = ["null", "bin", "str", "bit", "int", "dec", "real", "time", "date", "datetime"]
NUMERIC = {"bit", "int", "dec", "real"}

_T = exp.DataType.Type


def _types(*names):
    return {getattr(_T, n) for n in names if hasattr(_T, n)}


_INT = _types(
    "TINYINT",
    "UTINYINT",
    "SMALLINT",
    "USMALLINT",
    "INT",
    "UINT",
    "BIGINT",
    "UBIGINT",
    "INT128",
    "HUGEINT",
    "MEDIUMINT",
)
_DEC = _types("DECIMAL", "MONEY", "SMALLMONEY", "BIGDECIMAL", "UDECIMAL")
_REAL = _types("FLOAT", "DOUBLE")
_STR = _types("CHAR", "NCHAR", "VARCHAR", "NVARCHAR", "TEXT", "NAME", "UUID", "XML")
_DATE = _types("DATE", "DATE32")
_DATETIME = _types(
    "DATETIME",
    "DATETIME2",
    "DATETIMEOFFSET",
    "SMALLDATETIME",
    "TIMESTAMP",
    "TIMESTAMPTZ",
    "TIMESTAMPLTZ",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
)
_TIME = _types("TIME", "TIMETZ")
_BIT = _types("BIT", "BOOLEAN")
_BIN = _types("BINARY", "VARBINARY", "BLOB", "IMAGE")


def kind_of_type(dt):
    """Kind of a sqlglot DataType (a CAST target, a column or variable declaration)."""
    if dt is None:
        return None
    t = dt.this
    for kinds, name in (
        (_INT, "int"),
        (_DEC, "dec"),
        (_REAL, "real"),
        (_STR, "str"),
        (_DATE, "date"),
        (_DATETIME, "datetime"),
        (_TIME, "time"),
        (_BIT, "bit"),
        (_BIN, "bin"),
    ):
        if t in kinds:
            return name
    return None


def kind_of_duckdb(type_name):
    """Kind of a DuckDB column type as duckdb_columns() spells it (INTEGER, VARCHAR...)."""
    t = (type_name or "").upper()
    if t.startswith("DECIMAL"):
        return "dec"
    table = {
        "TINYINT": "int",
        "SMALLINT": "int",
        "INTEGER": "int",
        "BIGINT": "int",
        "HUGEINT": "int",
        "UTINYINT": "int",
        "USMALLINT": "int",
        "UINTEGER": "int",
        "UBIGINT": "int",
        "UHUGEINT": "int",
        "FLOAT": "real",
        "DOUBLE": "real",
        "VARCHAR": "str",
        "UUID": "str",
        "DATE": "date",
        "TIME": "time",
        "BOOLEAN": "bit",
        "BLOB": "bin",
    }
    if t in table:
        return table[t]
    if t.startswith("TIMESTAMP"):
        return "datetime"
    return None


def higher(*kinds):
    """The kind SQL Server converts a mix of ``kinds`` to; None if one is unknown."""
    if any(k is None for k in kinds):
        return None
    known = [k for k in kinds if k != "null"]
    if not known:
        return "null"
    return max(known, key=PRECEDENCE.index)


_STRING_FUNCS = (
    exp.Left,
    exp.Right,
    exp.Substring,
    exp.Upper,
    exp.Lower,
    exp.Trim,
    exp.Replace,
    exp.Concat,
    exp.ConcatWs,
    exp.Reverse,
    exp.Repeat,
    exp.Stuff,
    exp.TimeToStr,
    exp.DPipe,
    exp.GroupConcat,
    exp.Initcap,
    exp.Pad,
)
_INT_FUNCS = (
    exp.Count,
    exp.Length,
    exp.StrPosition,
    exp.DateDiff,
    exp.Year,
    exp.Month,
    exp.Day,
    exp.Extract,
    exp.RowNumber,
    exp.Rank,
    exp.DenseRank,
    exp.Ntile,
    exp.ObjectId,
    exp.Sign,
)
_BOOL = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Like,
    exp.ILike,
    exp.In,
    exp.Between,
    exp.Is,
    exp.Exists,
)
_SAME_AS_ARG = (
    exp.Sum,
    exp.Min,
    exp.Max,
    exp.Avg,
    exp.Abs,
    exp.Round,
    exp.Floor,
    exp.Ceil,
    exp.Pow,
    exp.Nullif,
    exp.Neg,
    exp.Paren,
    exp.Alias,
    exp.Window,
    exp.Ordered,
    exp.Distinct,
    exp.Collate,
)
_REAL_FUNCS = (
    exp.Sqrt,
    exp.Exp,
    exp.Ln,
    exp.Log,
    exp.Stddev,
    exp.StddevPop,
    exp.StddevSamp,
    exp.Variance,
    exp.VariancePop,
    exp.Quantile,
    exp.PercentileCont,
)


class Kinds:
    """Kinds of the expressions of one statement (memoised; the statement may be rewritten
    while it is used: new nodes are typed from their own parts)."""

    def __init__(self, lookup, fallback=None, table_columns=None):
        self.lookup = lookup  # Table node -> {column lower: kind} (ordered) or None
        self.fallback = fallback or {}  # column name lower -> 'int' | 'real' | None
        self.table_columns = table_columns or {}  # columns of a CREATE TABLE being typed
        self._memo = {}

    # ------------------------------------------------------------------ expressions
    def of(self, node):
        key = id(node)
        if key in self._memo and self._memo[key][0] is node:
            return self._memo[key][1]
        kind = self._of(node)
        self._memo[key] = (node, kind)
        return kind

    def _of(self, node):
        if node is None:
            return None
        if isinstance(node, exp.Literal):
            if node.is_string:
                return "str"
            text = node.name.lower()
            if node.is_int:
                return "int"
            return "real" if "e" in text else "dec"
        if isinstance(node, exp.National):
            return "str"
        if isinstance(node, exp.Null):
            return "null"
        if isinstance(node, exp.Boolean):
            return "bit"
        if isinstance(node, (exp.Cast, exp.TryCast)):
            return kind_of_type(node.args.get("to"))
        if isinstance(node, exp.Convert):
            return kind_of_type(node.this if isinstance(node.this, exp.DataType) else None)
        if isinstance(node, exp.Column):
            return self.column(node)
        if isinstance(node, exp.Add):
            left, right = self.of(node.left), self.of(node.right)
            if {left, right} <= {"str", "null"} and "str" in (left, right):
                return "str"
            return higher(left, right)
        if isinstance(node, (exp.Sub, exp.Mul, exp.Div, exp.Mod)):
            return higher(self.of(node.left), self.of(node.right))
        if isinstance(node, exp.IntDiv):
            return "int"
        if isinstance(node, _STRING_FUNCS):
            return "str"
        if isinstance(node, _INT_FUNCS):
            return "int"
        if isinstance(node, _BOOL):
            return "bit"
        if isinstance(node, _REAL_FUNCS):
            return "real"
        if isinstance(node, exp.Coalesce):
            args = [node.this] + list(node.expressions)
            if node.args.get("is_null"):  # ISNULL: the type of its first argument
                first = self.of(args[0])
                return first if first != "null" else self.of(args[1])
            return higher(*[self.of(a) for a in args])
        if isinstance(node, exp.Case):
            parts = [i.args.get("true") for i in node.args.get("ifs") or []]
            parts.append(node.args.get("default") or exp.Null())
            return higher(*[self.of(p) for p in parts])
        if isinstance(node, exp.If):
            return higher(self.of(node.args.get("true")), self.of(node.args.get("false")))
        if isinstance(node, _SAME_AS_ARG):
            return self.of(node.this)
        if isinstance(node, exp.DateAdd):
            inner = self.of(node.this)
            return inner if inner in ("date", "datetime", "time") else "datetime"
        if isinstance(node, (exp.CurrentTimestamp, exp.CurrentDatetime)):
            return "datetime"
        if isinstance(node, (exp.CurrentDate, exp.DateFromParts, exp.LastDay)):
            return "date"
        if isinstance(node, exp.TsOrDsToDate):
            return "date"
        if isinstance(node, exp.Subquery):
            outs = self.outputs(node.this)
            return next(iter(outs.values())) if outs else None
        if isinstance(node, exp.Anonymous):
            name = str(node.this).upper()
            if name in ("ISNUMERIC", "SCHEMA_ID", "DB_ID", "CHECKSUM", "BINARY_CHECKSUM"):
                return "int"
            if name in ("STDEVP", "VAR", "VARP"):
                return "real"
            return None
        return None

    # ------------------------------------------------------------------ columns
    def column(self, col):
        name = col.name.lower()
        qualifier = col.table.lower() if col.table else None
        node = col.parent
        while node is not None:
            if isinstance(node, (exp.Select, exp.Update, exp.Delete)):
                found, kind = self._in_scope(node, col, name, qualifier)
                if found:
                    return kind
            node = node.parent
        if name in self.table_columns:  # a computed column's expression: its own table
            return self.table_columns[name]
        return self.fallback.get(name)

    def source_of(self, col):
        """The alias of the FROM item an unqualified column belongs to (searching the
        enclosing queries outwards), or None."""
        name = col.name.lower()
        node = col.parent
        while node is not None:
            if isinstance(node, (exp.Select, exp.Update, exp.Delete)):
                sources = self._visible(node, col)
                hits = [a for a, cols in sources.items() if cols is not None and name in cols]
                if len(hits) == 1:
                    return hits[0]
                if hits or any(cols is None for cols in sources.values()):
                    return None
            node = node.parent
        return None

    def _in_scope(self, scope, col, name, qualifier):
        sources = self._visible(scope, col)
        if qualifier is not None:
            if qualifier in sources:
                cols = sources[qualifier]
                return True, (cols.get(name) if cols is not None else self.fallback.get(name))
            return False, None
        hits = [cols[name] for cols in sources.values() if cols is not None and name in cols]
        if hits:
            return True, (hits[0] if all(h == hits[0] for h in hits) else None)
        if isinstance(scope, exp.Select) and _inside(col, scope.args.get("order")):
            for proj in scope.expressions:
                if isinstance(proj, exp.Alias) and proj.alias.lower() == name:
                    return True, self.of(proj.this)
        if any(cols is None for cols in sources.values()):
            return True, self.fallback.get(name)  # an untyped source may hold it
        return False, None

    def sources(self, scope):
        """{alias lower: {column lower: kind} or None} of a SELECT, UPDATE or DELETE."""
        key = ("sources", id(scope))
        if key in self._memo and self._memo[key][0] is scope:
            return self._memo[key][1]
        out = {}
        nodes = {}
        self._memo[key] = (scope, out)  # guards against cycles
        self._memo[("nodes", id(scope))] = (scope, nodes)
        for item in _source_nodes(scope):
            alias, cols = self._source(item)
            if alias:
                out[alias] = cols
                nodes[alias] = item
        return out

    def _visible(self, scope, col):
        """The sources of ``scope`` a column can see: not the APPLY / derived table that
        the column itself sits in."""
        sources = self.sources(scope)
        nodes = self._memo[("nodes", id(scope))][1]
        return {a: c for a, c in sources.items() if not _inside(col, nodes.get(a))}

    def _source(self, item):
        if isinstance(item, exp.Table):
            alias = (item.alias or item.name or "").lower()
            if isinstance(item.this, exp.Parameter):
                alias = item.alias.lower() if item.alias else "@" + item.this.name.lower()
            cte = None if item.args.get("db") else find_cte(item, item.name)
            if cte is not None:
                return alias, self.outputs(cte.this)
            return alias, self.lookup(item)
        if isinstance(item, (exp.Subquery, exp.Lateral)):
            alias = (item.alias or "").lower()
            inner = item.this
            if isinstance(inner, exp.Subquery):
                inner = inner.this
            cols = self.outputs(inner)
            names = item.args.get("alias").columns if item.args.get("alias") else []
            if names and cols is not None:
                cols = dict(zip([n.name.lower() for n in names], cols.values()))
            return alias, cols
        if isinstance(item, exp.Values):
            alias_node = item.args.get("alias")
            if alias_node is None:
                return None, None
            rows = item.expressions
            first = rows[0].expressions if rows else []
            cols = {c.name.lower(): self.of(v) for c, v in zip(alias_node.columns, first)}
            return alias_node.name.lower(), cols
        alias = getattr(item, "alias", "") or ""
        return alias.lower() or None, None

    def _positional(self, query):
        """Kinds of a query's columns by position (the names of a UNION's later branches
        do not count)."""
        if isinstance(query, exp.Subquery):
            return self._positional(query.this)
        if isinstance(query, exp.Select) and not any(
            isinstance(p, exp.Star) or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star))
            for p in query.expressions
        ):
            return [self.of(p.this if isinstance(p, exp.Alias) else p) for p in query.expressions]
        outs = self.outputs(query)
        return None if outs is None else list(outs.values())

    def outputs(self, query):
        """{output column lower: kind} of a query (None if it cannot be told)."""
        if isinstance(query, exp.Subquery):
            return self.outputs(query.this)
        if isinstance(query, exp.SetOperation):
            left, right = self.outputs(query.left), self._positional(query.right)
            if left is None:
                return None
            if right is None or len(right) != len(left):
                return dict.fromkeys(left, None)
            return {k: higher(a, b) for (k, a), b in zip(left.items(), right)}
        if not isinstance(query, exp.Select):
            return None
        out = {}
        for proj in query.expressions:
            if isinstance(proj, exp.Alias):
                out[proj.alias.lower()] = self.of(proj.this)
            elif isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star):
                cols = self.sources(query).get(proj.table.lower())
                if cols is None:
                    return None
                out.update(cols)
            elif isinstance(proj, exp.Column):
                out[proj.name.lower()] = self.of(proj)
            elif isinstance(proj, exp.Star):
                for cols in self.sources(query).values():
                    if cols is None:
                        return None
                    for k, v in cols.items():
                        out.setdefault(k, v)
        return out


def _inside(node, container):
    if container is None:
        return False
    p = node
    while p is not None:
        if p is container:
            return True
        p = p.parent
    return False


def _source_nodes(scope):
    """The FROM items of a query or DML statement (tables, derived tables, laterals)."""
    items = []
    frm = scope.args.get("from_")
    if isinstance(scope, (exp.Update, exp.Delete)) and isinstance(scope.this, exp.Table):
        items.append(scope.this)
    if frm is not None:
        items.append(frm.this)
    for item in list(items):
        for join in item.args.get("joins") or []:
            items.append(join.this)
    for join in scope.args.get("joins") or []:
        items.append(join.this)
    return items


def find_cte(node, name):
    name = (name or "").lower()
    p = node.parent
    while p is not None:
        w = p.args.get("with_") if hasattr(p, "args") else None
        if w is None and hasattr(p, "args"):
            w = p.args.get("with")
        if w is not None:
            for cte in w.expressions:
                if cte.alias.lower() == name:
                    return cte
        p = p.parent
    return None
