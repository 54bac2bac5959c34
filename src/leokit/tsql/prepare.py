"""A T-SQL statement before and as sqlglot parses it: the token fixes that let sqlglot read
SQL Server's spellings, the statements that are skipped, and parse_one.

    from leokit.tsql.prepare import prepare, parse_one
    text, extra = prepare(stmt)          # fixed text; extra: what the fixes took out (TOP ...)
    ast = parse_one(text, "statement")   # sqlglot's tree, or Unsupported naming the idiom

Current stack only (sqlglot).
"""

import contextlib
import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from leokit.tsql.script import kw

__all__ = [
    "Unsupported",
    "parse_one",
    "classify_skip",
    "prepare",
    "bracket_temp_names",
    "first_words",
]


class Unsupported(Exception):
    """A T-SQL idiom the runner does not run; ``idiom`` names it, the message says why."""

    def __init__(self, idiom, reason):
        super().__init__(reason)
        self.idiom = idiom
        self.reason = reason


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


def first_words(tokens, n=6):
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
    w = first_words(tokens, 6)
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
    w = first_words(toks, 3)
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
    from leokit.tsql.script import Stmt, TsqlTokenizer

    try:
        toks = TsqlTokenizer().tokenize(text)
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
