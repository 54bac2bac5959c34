"""Reading Stata code the way Stata does: comments, ``///`` continuations, ``#delimit``,
strings and braces, into a tree of statements.

    from cookbook.stata_lex import parse
    nodes, findings = parse(code)   # [Node(line, text, children)], [(line, rule, message)]

A ``Node`` is one command (``children`` None) or a block opened by a line ending in ``{``
(``if``, ``else``, ``foreach``, ``forvalues``, ``while``, ``quietly``, ``capture``,
``program``...), whose statements are its children. The text has comments removed and
continuations joined; string contents are kept.
"""

import re


class Node:
    def __init__(self, line, text, children=None):
        self.line = line
        self.text = text
        self.children = children

    def __repr__(self):
        kids = "" if self.children is None else f" +{len(self.children)}"
        return f"<Node {self.line}: {self.text[:40]!r}{kids}>"


def _strip_strings(text):
    """``text`` with the contents of "..." and compound `"..."' strings blanked (same length);
    an unclosed quote returns None."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith('`"', i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith('`"', j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("\"'", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                return None
            out.append('`"' + " " * (j - i - 4) + "\"'")
            i = j
        elif text[i] == '"':
            j = text.find('"', i + 1)
            if j < 0:
                return None
            out.append('"' + " " * (j - i - 1) + '"')
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _remove_comments(line, state):
    """One physical line without /* */ and // comments (strings respected). ``state`` carries
    the /* */ depth across lines. Returns (text, continues) where ``continues`` is True when
    the line ended in ``///``."""
    out, i, n = [], 0, len(line)
    quote = 0  # inside "..." (1) or compound quotes (depth)
    compound = 0
    while i < n:
        if state["depth"]:
            if line.startswith("*/", i):
                state["depth"] -= 1
                i += 2
                if not state["depth"]:
                    out.append(" ")
            elif line.startswith("/*", i):
                state["depth"] += 1
                i += 2
            else:
                i += 1
            continue
        if compound:
            if line.startswith('`"', i):
                compound += 1
                out.append('`"')
                i += 2
            elif line.startswith("\"'", i):
                compound -= 1
                out.append("\"'")
                i += 2
            else:
                out.append(line[i])
                i += 1
            continue
        if quote:
            out.append(line[i])
            if line[i] == '"':
                quote = 0
            i += 1
            continue
        if line.startswith('`"', i):
            compound = 1
            out.append('`"')
            i += 2
            continue
        ch = line[i]
        if ch == '"':
            quote = 1
            out.append(ch)
            i += 1
            continue
        if line.startswith("/*", i):
            state["depth"] += 1
            i += 2
            continue
        at_blank = i == 0 or line[i - 1] in " \t"
        if line.startswith("///", i) and at_blank:
            return "".join(out), True
        if line.startswith("//", i) and at_blank:
            return "".join(out), False
        out.append(ch)
        i += 1
    return "".join(out), False


_DELIMIT = re.compile(r"^\s*#d(e(l(i(m(it?)?)?)?)?)?\s+(;|cr)\s*$")


def statements(code):
    """[(line, text)] of the code's commands, and [(line, rule, message)] lexical findings."""
    findings = []
    out = []
    state = {"depth": 0}
    mode = "cr"
    pending, pending_line, star_comment = "", None, False
    semi_text, semi_line = "", None
    for number, raw in enumerate(code.split("\n"), start=1):
        m = _DELIMIT.match(raw) if not state["depth"] and not pending else None
        if m:
            mode = m.group(6)
            continue
        text, continues = _remove_comments(raw, state)
        if mode == ";":
            if semi_line is None and text.strip():
                semi_line = number
            semi_text += " " + text
            while True:
                stripped = _strip_strings(semi_text)
                cut = stripped.find(";") if stripped is not None else -1
                if cut < 0:
                    break
                stmt = semi_text[:cut].strip()
                if stmt and not stmt.startswith("*"):
                    out.append((semi_line, " ".join(stmt.split())))
                semi_text = semi_text[cut + 1 :]
                semi_line = number if semi_text.strip() else None
            continue
        if pending_line is None:
            pending_line = number
            star_comment = text.lstrip().startswith("*")
        pending += " " + text
        if continues:
            continue
        stmt = pending.strip()
        if stmt and not star_comment:
            out.append((pending_line, stmt))
        pending, pending_line, star_comment = "", None, False
    if pending.strip() and not star_comment:
        out.append((pending_line, pending.strip()))
    if state["depth"]:
        findings.append((len(code.split("\n")), "comment", "a /* comment is never closed"))
    if mode == ";":
        findings.append(
            (
                len(code.split("\n")),
                "delimit",
                "'#delimit ;' is never switched back with '#delimit cr'",
            )
        )
        if semi_text.strip():
            findings.append((semi_line, "delimit", "the last command has no closing ';'"))
    return out, findings


def parse(code):
    """(nodes, findings): the statement tree and every lexical or brace problem found."""
    stmts, findings = statements(code)
    root = []
    stack = [(None, root)]
    for line, text in stmts:
        plain = _strip_strings(text)
        if plain is None:
            findings.append((line, "quotes", "a string's quotes are not closed"))
            continue
        plain = re.sub(r"\$\{[^}]*\}", lambda m: " " * len(m.group(0)), plain)
        if ";" in plain and not re.match(r"^\s*mata\b", plain):
            findings.append(
                (
                    line,
                    "semicolon",
                    "';' in a command: Stata has no ';' separator unless '#delimit ;' is in "
                    "force, so it reads it as part of the command",
                )
            )
        if plain.strip() == "}":
            if len(stack) == 1:
                findings.append((line, "braces", "'}' closes no block"))
            else:
                stack.pop()
            continue
        if plain.lstrip().startswith("}"):
            findings.append(
                (
                    line,
                    "braces",
                    "code follows '}' on the same line (Stata "
                    "needs the closing brace alone on its line)",
                )
            )
            continue
        opens = plain.rstrip().endswith("{")
        if "{" in plain.rstrip()[:-1] or "}" in plain:
            findings.append(
                (
                    line,
                    "braces",
                    "a brace inside a line: Stata needs '{' at the "
                    "end of a line and '}' alone on one",
                )
            )
            continue
        if opens:
            node = Node(line, text.rstrip()[:-1].rstrip(), [])
            stack[-1][1].append(node)
            stack.append((node, node.children))
        else:
            stack[-1][1].append(Node(line, text))
    for node, _kids in stack[1:]:
        findings.append(
            (
                node.line,
                "braces",
                f"the block opened here ({node.text[:30]!r}) is never closed with '}}'",
            )
        )
    return root, findings
