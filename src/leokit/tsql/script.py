"""Split a T-SQL script into batches (``GO``) and a tree of statements (IF, WHILE, BEGIN...END).

    from leokit.tsql.script import parse_script
    for batch in parse_script(text):          # one Batch per GO-separated batch
        for node in batch.nodes: ...          # Stmt, Block, If, While

sqlglot parses single T-SQL statements well but not the control flow around them, and SRS
scripts often leave out the semicolons. So the splitting is done here, over sqlglot's T-SQL
tokens: a statement ends at ``;``, at the keyword that starts the next statement (``SELECT``
after ``INSERT t`` or ``UNION`` continues the statement; a second ``SELECT`` starts a new one),
or at the ``END``/``ELSE`` of the block around it. Each statement keeps its source text and
the line it starts on, which every message quotes.
"""

import re

from sqlglot.dialects.tsql import TSQL
from sqlglot.tokens import TokenType

__all__ = ["ScriptSyntaxError", "Batch", "Stmt", "Block", "If", "While", "parse_script"]


class ScriptSyntaxError(ValueError):
    """The script's structure cannot be read (an unclosed BEGIN, an ELSE without IF...)."""

    def __init__(self, line, message):
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.reason = message


class TsqlTokenizer(TSQL.Tokenizer):
    # sqlglot swallows the rest of a statement after a leading END or PRINT as one 'command'
    # token; the runner needs every token.
    COMMANDS = set()


_TEXT_TOKENS = {
    TokenType.STRING,
    TokenType.NATIONAL_STRING,
    TokenType.IDENTIFIER,
    TokenType.HEX_STRING,
    TokenType.BIT_STRING,
    TokenType.BYTE_STRING,
    TokenType.RAW_STRING,
}

#: keywords that start a statement (a SELECT may also continue one: see _continues)
STARTERS = set(
    """
    SELECT INSERT UPDATE DELETE MERGE CREATE DROP ALTER TRUNCATE DECLARE SET IF WHILE
    BEGIN BREAK CONTINUE RETURN EXEC EXECUTE PRINT RAISERROR THROW USE WITH GOTO COMMIT
    ROLLBACK SAVE GRANT DENY REVOKE WAITFOR DBCC CHECKPOINT OPEN FETCH CLOSE DEALLOCATE
    BULK KILL RECONFIGURE
    """.split()
) | {"UPDATE STATISTICS"}
_DROP_TARGETS = set(
    """
    TABLE VIEW SCHEMA INDEX PROCEDURE PROC FUNCTION SEQUENCE TRIGGER TYPE DATABASE
    STATISTICS SYNONYM USER ROLE COLUMN CONSTRAINT
    """.split()
)
_GO = re.compile(r"^\s*go(?:\s+(\d+))?\s*(?:--.*)?$", re.IGNORECASE)


def kw(token):
    """The upper-case keyword a token spells, or None for strings and quoted names."""
    if token is None or token.token_type in _TEXT_TOKENS:
        return None
    return token.text.upper()


class Stmt:
    """One statement: ``kind`` (sql, declare, set, setopt, exec, print, raise, use,
    transaction, break, continue, return, unsupported), its source ``text`` and ``line``."""

    def __init__(self, kind, text, line, tokens, offset):
        self.kind = kind
        self.text = text
        self.line = line
        self.tokens = tokens
        self.offset = offset  # position in the batch, for DECLARE-before-use

    @property
    def first_line(self):
        first = self.text.strip().splitlines()[0].strip() if self.text.strip() else ""
        return first if len(first) <= 100 else first[:97] + "..."

    def __repr__(self):
        return f"Stmt({self.kind}, line {self.line}: {self.first_line!r})"


class Block:
    def __init__(self, body, line):
        self.body = body
        self.line = line


class If:
    def __init__(self, cond, then, orelse, line, text):
        self.cond = cond  # condition text
        self.then = then
        self.orelse = orelse
        self.line = line
        self.text = text  # 'IF <condition>', for messages

    @property
    def first_line(self):
        return self.text if len(self.text) <= 100 else self.text[:97] + "..."


class While(If):
    def __init__(self, cond, body, line, text):
        super().__init__(cond, body, None, line, text)

    @property
    def body(self):
        return self.then


class Batch:
    """The statements between two GO lines; ``repeat`` is GO's count (``GO 5``)."""

    def __init__(self, nodes, line, repeat, declared):
        self.nodes = nodes
        self.line = line
        self.repeat = repeat
        self.declared = declared  # {variable (lower case, with @): its DECLARE Stmt}


# ------------------------------------------------------------------------------ batches
def split_batches(text):
    """[(batch text, first line number, repeat count)]: GO on a line of its own (optionally
    with a count and a comment), outside strings, quoted names and block comments."""
    lines = text.split("\n")
    out, start, state = [], 0, [0, None]  # [block comment depth, open quote char]
    for i, line in enumerate(lines):
        m = _GO.match(line) if state == [0, None] else None
        if m:
            out.append(("\n".join(lines[start:i]), start + 1, int(m.group(1) or 1)))
            start = i + 1
            continue
        _scan_line(line, state)
    out.append(("\n".join(lines[start:]), start + 1, 1))
    return [b for b in out if b[0].strip()]


def _scan_line(line, state):
    """Advance ``state`` (block comment depth, open quote) over one line."""
    closing = {"'": "'", '"': '"', "[": "]"}
    i, n = 0, len(line)
    while i < n:
        c, two = line[i], line[i : i + 2]
        if state[0]:
            if two == "/*":
                state[0] += 1
                i += 2
                continue
            if two == "*/":
                state[0] -= 1
                i += 2
                continue
            i += 1
            continue
        if state[1] is not None:
            end = closing[state[1]]
            if c == end:
                if line[i + 1 : i + 2] == end:  # doubled: an escaped quote
                    i += 2
                    continue
                state[1] = None
            i += 1
            continue
        if two == "--":
            return
        if two == "/*":
            state[0] += 1
            i += 2
            continue
        if c in closing:
            state[1] = c
        i += 1


# ------------------------------------------------------------------------------ statements
def parse_script(text):
    """The batches of a T-SQL script, each a list of statement nodes."""
    return [_parse_batch(b, line, repeat) for b, line, repeat in split_batches(text)]


def parse_batch(text, line=1):
    """One batch (no GO splitting), e.g. the string given to EXEC."""
    return _parse_batch(text, line, 1)


def _parse_batch(text, line, repeat):
    from sqlglot.errors import TokenError

    try:
        tokens = TsqlTokenizer().tokenize(text)
    except TokenError as exc:
        raise ScriptSyntaxError(line, f"the script cannot be read: {exc}") from None
    parser = _Parser(text, tokens, line)
    nodes = parser.block_until_end()
    return Batch(nodes, line, repeat, parser.declared)


class _Parser:
    def __init__(self, text, tokens, line0):
        self.text = text
        self.toks = tokens
        self.i = 0
        self.line0 = line0
        self.declared = {}

    # -- helpers
    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def line(self, token):
        return self.line0 + token.line - 1

    def skip_semicolons(self):
        while self.peek() is not None and self.peek().token_type == TokenType.SEMICOLON:
            self.i += 1

    def kw_at(self, j):
        """The keyword at token j, unless it is part of a name (#drop, @end, t.end)."""
        t = self.toks[j] if 0 <= j < len(self.toks) else None
        k = kw(t)
        if k is None or j == 0:
            return k
        prev = self.toks[j - 1]
        if (
            prev.token_type in (TokenType.HASH, TokenType.PARAMETER, TokenType.DOT)
            and prev.end + 1 == t.start
        ):
            return None
        return k

    def span(self, a, b):
        """Source text of tokens a..b (inclusive)."""
        return self.text[self.toks[a].start : self.toks[b].end + 1]

    # -- structure
    def block_until_end(self):
        nodes = []
        while True:
            self.skip_semicolons()
            t = self.peek()
            if t is None:
                return nodes
            if kw(t) == "END":
                raise ScriptSyntaxError(self.line(t), "END without a BEGIN")
            if kw(t) == "ELSE":
                raise ScriptSyntaxError(self.line(t), "ELSE without an IF")
            nodes.append(self.statement())

    def statement(self):
        self.skip_semicolons()
        t = self.peek()
        if t is None:
            raise ScriptSyntaxError(self.line(self.toks[-1]), "a statement is missing at the end")
        k, nk = kw(t), kw(self.peek(1))
        if k == "BEGIN" and nk in ("TRY", "CATCH"):
            raise ScriptSyntaxError(
                self.line(t), "BEGIN TRY ... BEGIN CATCH (error handling) is not supported"
            )
        if k == "BEGIN" and nk not in ("TRAN", "TRANSACTION", "DISTRIBUTED", "DIALOG"):
            return self.block()
        if k in ("IF", "WHILE"):
            return self.conditional(k)
        if k in ("BREAK", "CONTINUE"):
            self.i += 1
            return Stmt(k.lower(), t.text, self.line(t), [t], t.start)
        if k == "RETURN":
            self.i += 1
            return Stmt("return", t.text, self.line(t), [t], t.start)
        if k in ("ELSE", "END"):
            raise ScriptSyntaxError(self.line(t), f"{k} where a statement was expected")
        nxt = self.peek(1)
        if t.token_type == TokenType.VAR and nxt is not None and nxt.token_type == TokenType.COLON:
            raise ScriptSyntaxError(self.line(t), "labels and GOTO are not supported")
        return self.simple()

    def block(self):
        begin = self.peek()
        self.i += 1
        body = []
        while True:
            self.skip_semicolons()
            t = self.peek()
            if t is None:
                raise ScriptSyntaxError(self.line(begin), "BEGIN without a matching END")
            if kw(t) == "END":
                self.i += 1
                return Block(body, self.line(begin))
            body.append(self.statement())

    def conditional(self, k):
        start = self.peek()
        self.i += 1
        a = self.i
        depth = case = 0
        while True:
            t = self.peek()
            if t is None:
                raise ScriptSyntaxError(self.line(start), f"{k} without a statement to run")
            tk = self.kw_at(self.i)
            if t.token_type == TokenType.L_PAREN:
                depth += 1
            elif t.token_type == TokenType.R_PAREN:
                depth -= 1
            elif depth == 0 and tk == "CASE":
                case += 1
            elif depth == 0 and tk == "END" and case:
                case -= 1
            elif depth == 0 and not case and (tk in STARTERS or tk in ("ELSE", "END")):
                break
            self.i += 1
        if self.i == a:
            raise ScriptSyntaxError(self.line(start), f"{k} without a condition")
        cond = self.span(a, self.i - 1)
        text = " ".join(f"{start.text.upper()} {cond}".split())
        body = self.statement()
        if k == "WHILE":
            return While(cond, body, self.line(start), text)
        save = self.i
        self.skip_semicolons()
        orelse = None
        if kw(self.peek()) == "ELSE":
            self.i += 1
            orelse = self.statement()
        else:
            self.i = save
        return If(cond, body, orelse, self.line(start), text)

    # -- one statement
    def simple(self):
        a = self.i
        first = kw(self.peek())
        state = {"first": first, "main": None if first == "WITH" else first, "seen": set()}
        self.i += 1
        depth = case = 0
        while self.i < len(self.toks):
            t = self.peek()
            tk = self.kw_at(self.i)
            if t.token_type == TokenType.L_PAREN:
                depth += 1
            elif t.token_type == TokenType.R_PAREN:
                depth -= 1
                if depth < 0:
                    raise ScriptSyntaxError(self.line(t), "a ')' without its '('")
            elif depth == 0:
                if t.token_type == TokenType.SEMICOLON:
                    break
                if tk == "CASE":
                    case += 1
                elif tk == "END" and case:
                    case -= 1
                elif tk in ("END", "ELSE") and not case:
                    break
                elif tk in STARTERS and not self._continues(tk, state):
                    break
                if tk in ("SELECT", "VALUES", "SET", "EXEC", "EXECUTE"):
                    state["seen"].add(tk)
            self.i += 1
        b = self.i - 1
        if depth > 0:
            raise ScriptSyntaxError(self.line(self.toks[a]), "a '(' is not closed")
        kind, names = self._kind(a, b)
        stmt = Stmt(
            kind, self.span(a, b), self.line(self.toks[a]), self.toks[a : b + 1], self.toks[a].start
        )
        for name in names:
            self.declared.setdefault(name, stmt)
        return stmt

    def _continues(self, k, state):
        prev = kw(self.peek(-1))
        nxt = kw(self.peek(1))
        first, main, seen = state["first"], state["main"], state["seen"]
        if main == "MERGE":
            return True
        if prev == "ON" and k in ("DELETE", "UPDATE"):
            return True
        if (
            first == "WITH"
            and main is None
            and k in ("SELECT", "INSERT", "UPDATE", "DELETE", "MERGE")
        ):
            state["main"] = k
            return True
        if k == "SELECT":
            if prev in ("UNION", "ALL", "EXCEPT", "INTERSECT", "FOR"):
                return True
            if main == "INSERT" and not seen & {"SELECT", "VALUES", "EXEC", "EXECUTE"}:
                return True
            return first in ("CREATE", "ALTER") and prev == "AS"
        if k == "SET":
            return (main == "UPDATE" and "SET" not in seen) or first == "ALTER"
        if k == "WITH":
            return not self._cte_start()
        if k in ("DROP", "ALTER") and first == "ALTER":
            return nxt in ("COLUMN", "CONSTRAINT", "INDEX")
        if k == "IF":
            return prev in _DROP_TARGETS
        if k in ("EXEC", "EXECUTE"):
            return main == "INSERT" and not seen & {"SELECT", "VALUES"}
        if k == "FETCH":
            return prev in ("ROW", "ROWS")
        return False

    def _cte_start(self):
        """Is the WITH at the cursor the start of a common table expression?"""
        name, after = self.peek(1), self.peek(2)
        if name is None or name.token_type not in (TokenType.VAR, TokenType.IDENTIFIER):
            return False
        if kw(after) == "AS":
            return True
        if after is None or after.token_type != TokenType.L_PAREN:
            return False
        depth, j = 0, self.i + 2
        while j < len(self.toks):
            tt = self.toks[j].token_type
            depth += tt == TokenType.L_PAREN
            depth -= tt == TokenType.R_PAREN
            if depth == 0:
                return kw(self.toks[j + 1]) == "AS" if j + 1 < len(self.toks) else False
            j += 1
        return False

    def _kind(self, a, b):
        first = kw(self.toks[a])
        second = kw(self.toks[a + 1]) if a + 1 <= b else None
        if first == "DECLARE":
            names, depth = [], 0
            for j in range(a + 1, b):
                tt = self.toks[j].token_type
                depth += (tt == TokenType.L_PAREN) - (tt == TokenType.R_PAREN)
                starts = j == a + 1 or self.toks[j - 1].token_type == TokenType.COMMA
                if depth == 0 and starts and tt == TokenType.PARAMETER:
                    names.append("@" + self.toks[j + 1].text.lower())
            return "declare", names
        if first == "SET":
            kind = "set" if self.toks[a + 1].token_type == TokenType.PARAMETER else "setopt"
            return kind, []
        if first in (
            "SELECT",
            "WITH",
            "INSERT",
            "UPDATE",
            "DELETE",
            "MERGE",
            "CREATE",
            "DROP",
            "ALTER",
            "TRUNCATE",
            "UPDATE STATISTICS",
            "GRANT",
            "DENY",
            "REVOKE",
            "CHECKPOINT",
            "DBCC",
        ):
            return "sql", []
        if first in ("EXEC", "EXECUTE"):
            return "exec", []
        if first == "PRINT":
            return "print", []
        if first in ("RAISERROR", "THROW"):
            return "raise", []
        if first == "USE":
            return "use", []
        if first in ("COMMIT", "ROLLBACK", "SAVE") or (
            first == "BEGIN" and second in ("TRAN", "TRANSACTION", "DISTRIBUTED")
        ):
            return "transaction", []
        if self.toks[a].token_type == TokenType.L_PAREN:
            return "sql", []  # (SELECT ...) UNION (SELECT ...)
        return "unsupported", []
