"""Splitting a Stata command's arguments: the options after the comma, the ``if``/``in``/
``using``/weight qualifiers, varlists and the variable names in an expression.

    from cookbook.stata_syntax import split_main, parse_options, identifiers
    main, opts = split_main("x y if z > 1, by(g) nogen")   # ("x y if z > 1", "by(g) nogen")
    identifiers("cond(a > 1, ln(b), .) + c[_n - 1]")        # ["a", "b", "c"]
"""

import re

STORAGE_TYPES = {"byte", "int", "long", "float", "double", "strL"}
#: names in expressions that are not variables
RESERVED = {"_n", "_N", "_pi", "_rc", "_cons", "_b", "_se", "in", "if", "using", "with"}
#: functions whose arguments are not expressions over variables
OPAQUE = {
    "r",
    "e",
    "c",
    "s",
    "td",
    "tm",
    "tq",
    "th",
    "ty",
    "tw",
    "tc",
    "tC",
    "d",
    "scalar",
    "matrix",
    "el",
    "rowsof",
    "colsof",
    "rownumb",
    "colnumb",
    "_b",
    "_se",
}


def _blank_strings(text):
    out, quote = [], False
    for ch in text:
        if ch == '"':
            quote = not quote
            out.append(ch)
        else:
            out.append(" " if quote else ch)
    return "".join(out)


def top_level_split(text, sep):
    """Positions of ``sep`` outside strings, parentheses and brackets."""
    plain = _blank_strings(text)
    depth, found = 0, []
    for i, ch in enumerate(plain):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0 and plain.startswith(sep, i):
            found.append(i)
    return found


def split_main(args):
    """(before the first top-level comma, the options after it)."""
    cut = top_level_split(args, ",")
    if not cut:
        return args.strip(), ""
    return args[: cut[0]].strip(), args[cut[0] + 1 :].strip()


def split_qualifiers(main):
    """(varlist part, if expression, in range, using part, weight) of a command's main part."""
    plain = _blank_strings(main)
    weight = None
    m = re.search(r"\[\s*(aw|aweight|fw|fweight|pw|pweight|iw|iweight)\b[^\]]*\]", plain)
    if m:
        weight = main[m.start() : m.end()]
        main = main[: m.start()] + " " * (m.end() - m.start()) + main[m.end() :]
        plain = _blank_strings(main)
    marks = []
    for word in ("if", "in", "using"):
        for pos in top_level_split(main, word):
            before = plain[pos - 1] if pos else " "
            after = plain[pos + len(word)] if pos + len(word) < len(plain) else " "
            if before in " \t" and after in " \t":
                marks.append((pos, word))
                break
    marks.sort()
    parts = {"if": None, "in": None, "using": None}
    head = main if not marks else main[: marks[0][0]]
    for k, (pos, word) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else len(main)
        parts[word] = main[pos + len(word) : end].strip()
    return head.strip(), parts["if"], parts["in"], parts["using"], weight


def parse_options(text):
    """{option name: its text in parentheses, or True}: 'by(a b) nogen keep(3)'."""
    out, i, n = {}, 0, len(text or "")
    text = text or ""
    while i < n:
        m = re.compile(r"\s*([A-Za-z_][\w]*)").match(text, i)
        if not m:
            i += 1
            continue
        name, i = m.group(1), m.end()
        if i < n and text[i] == "(":
            depth, j = 0, i
            while j < n:
                depth += text[j] == "("
                depth -= text[j] == ")"
                if depth == 0:
                    break
                j += 1
            out[name] = text[i + 1 : j]
            i = j + 1
        else:
            out[name] = True
    return out


def option(opts, *names):
    """The value of the first option given under any of ``names`` (Stata abbreviations are
    listed by the caller: ('generate', 'gen', 'g'))."""
    for name in names:
        if name in opts:
            return opts[name]
    return None


def identifiers(expr):
    """Variable names an expression refers to (not functions, not e()/r()/_b[] contents, not
    string contents, not numbers or missing codes like .a)."""
    plain = _blank_strings(expr)
    out = []
    skip_until = -1
    for m in re.finditer(r"[A-Za-z_][A-Za-z0-9_]*", plain):
        start, end, name = m.start(), m.end(), m.group(0)
        if start < skip_until:
            continue
        before = plain[start - 1] if start else ""
        if before == "." or before.isdigit() or before == "`":
            continue
        rest = plain[end:].lstrip()
        if rest.startswith("(") or rest.startswith("["):
            if name in OPAQUE or rest.startswith("[") and name in ("_b", "_se"):
                close = _closing(plain, plain.index(rest[0], end))
                skip_until = close
            if rest.startswith("("):
                continue
        if name in RESERVED:
            continue
        out.append(name)
    return out


def _closing(text, open_at):
    depth = 0
    for i in range(open_at, len(text)):
        depth += text[i] in "(["
        depth -= text[i] in ")]"
        if depth == 0:
            return i
    return len(text)


def varlist_tokens(text):
    """Variable names of a varlist, with time-series and factor-variable operators removed
    (i.x, L2.y, c.a##i.b give x, y, a, b); wildcards and ranges are kept as written."""
    out = []
    for token in (text or "").split():
        for part in re.split(r"#+", token):
            part = re.sub(r"^([A-Za-z]*\d*(\([^)]*\))?\.)+", "", part)
            part = part.strip("()")
            if part and part not in ("=",) and not re.fullmatch(r"-?[\d.]+", part):
                out.append(part)
    return out


_STRING_FUNCS = (
    "string strofreal substr usubstr trim strtrim ltrim rtrim upper lower strupper strlower "
    "subinstr usubinstr strreverse word char uchar proper strproper regexs regexr "
    "ustrregexs ustrregexra strtoname abbrev itrim stritrim ustrtrim ustrupper ustrlower"
).split()


def _top_only(plain):
    """``plain`` with everything inside parentheses blanked."""
    out, depth = [], 0
    for ch in plain:
        if ch == "(":
            depth += 1
            out.append(ch if depth == 1 else " ")
        elif ch == ")":
            out.append(ch if depth == 1 else " ")
            depth -= 1
        else:
            out.append(" " if depth else ch)
    return "".join(out)


def call_arguments(text):
    """The top-level arguments of the call that starts ``text`` ('cond(a, "x", b)' gives
    ['a', '"x"', 'b']), or None."""
    open_at = text.find("(")
    if open_at < 0:
        return None
    close = _closing(text, open_at)
    inner = text[open_at + 1 : close]
    cuts = top_level_split(inner, ",")
    bounds = [-1] + cuts + [len(inner)]
    return [inner[bounds[k] + 1 : bounds[k + 1]].strip() for k in range(len(bounds) - 1)]


def kind_of_expression(expr, kind_of):
    """'str', 'num' or '?' for the value of ``expr``; ``kind_of(name)`` gives a variable's."""
    text = expr.strip()
    plain = _blank_strings(text)
    top = _top_only(plain)
    if re.search(r"(==|!=|~=|>=|<=|[<>]|&|\|)", top):
        return "num"
    m = re.match(r"^cond\s*\(", text)
    if m and _closing(plain, plain.index("(")) == len(plain.rstrip()) - 1:
        args = call_arguments(text) or []
        kinds = {kind_of_expression(a, kind_of) for a in args[1:3]}
        return "str" if "str" in kinds else ("num" if kinds == {"num"} else "?")
    if text.startswith('"') or re.match(r"^(" + "|".join(_STRING_FUNCS) + r")\s*\(", text):
        return "str"
    names = identifiers(text)
    kinds = {kind_of(n) for n in names}
    if "str" in kinds and "+" in top and not re.search(r"[-*/^]", top):
        return "str"
    if kinds == {"str"} and len(names) == 1 and plain.strip() == names[0]:
        return "str"
    if kinds and kinds <= {"num", "double"}:
        return "num"
    if not names and re.fullmatch(r"[\s\d.+\-*/^()eE]*", plain):
        return "num"
    if re.match(
        r"^(floor|ceil|int|ln|log|exp|sqrt|abs|year|month|day|mdy|date|real|max|min|"
        r"round|mod|sum|missing|inlist|inrange|strpos|length|strlen|dofm|ym)\s*\(",
        text,
    ):
        return "num"
    if re.fullmatch(r"\s*_[nN]\s*", text):
        return "num"
    return "?"


_PREFIX_WORDS = {
    "quietly": "quietly",
    "noisily": "noisily",
    "capture": "capture",
    "qui": "quietly",
    "quiet": "quietly",
    "quietl": "quietly",
    "n": "noisily",
    "noi": "noisily",
    "nois": "noisily",
    "noisi": "noisily",
    "noisil": "noisily",
    "cap": "capture",
    "capt": "capture",
    "captu": "capture",
    "captur": "capture",
}
_COLON_PREFIXES = {
    "by",
    "bys",
    "byso",
    "bysor",
    "bysort",
    "version",
    "vers",
    "versi",
    "versio",
    "xi",
    "svy",
    "bootstrap",
    "jackknife",
    "statsby",
    "rolling",
    "simulate",
    "permute",
    "nestreg",
    "stepwise",
    "mi",
    "frame",
    "timer",
    "fvset",
}


def numlist(text):
    """The values of a Stata numlist such as '2014/2018', '1 3 5' or '0(5)20'."""
    out = []
    for part in text.replace(",", " ").split():
        m = re.fullmatch(r"(-?\d+)/(-?\d+)", part)
        step = re.fullmatch(r"(-?\d+)\((-?\d+)\)(-?\d+)", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            out.extend(range(a, b + 1) if a <= b else range(a, b - 1, -1))
        elif step:
            a, s, b = (int(g) for g in step.groups())
            if s == 0:
                return None
            out.extend(range(a, b + (1 if s > 0 else -1), s))
        elif re.fullmatch(r"-?\d+(\.\d+)?", part):
            out.append(part)
        else:
            return None
    return [str(v) for v in out]


def balanced_parens(text):
    depth = 0
    for ch in text:
        depth += ch in "(["
        depth -= ch in ")]"
        if depth < 0:
            return False
    return depth == 0 and text.count('"') % 2 == 0


def split_prefixes(text):
    """(prefixes, by clause or None, the command): 'capture quietly by a: gen x = 1' gives
    (['capture', 'quietly', 'by'], 'a', 'gen x = 1')."""
    prefixes, by = [], None
    rest = text.strip()
    while rest:
        word = rest.split(None, 1)[0]
        bare = word.rstrip(":")
        if bare in _PREFIX_WORDS:
            prefixes.append(_PREFIX_WORDS[bare])
            rest = rest[len(word) :].strip()
            continue
        if bare in _COLON_PREFIXES:
            colon = _top_level_colon(rest)
            if colon is None:
                break
            clause = rest[len(bare) : colon].strip()
            if bare.startswith("by"):
                prefixes.append("by" if bare == "by" else "bysort")
                by = clause
            else:
                prefixes.append(bare)
            rest = rest[colon + 1 :].strip()
            continue
        break
    return prefixes, by, rest


def _top_level_colon(text):
    depth, quote = 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quote = not quote
        elif not quote:
            depth += ch in "(["
            depth -= ch in ")]"
            if ch == ":" and depth == 0:
                return i
    return None


def waivers(code):
    out = {}
    for number, line in enumerate(code.split("\n"), start=1):
        m = re.search(r"stata-check:\s*ok\s+([\w\-, ]+)", line)
        if m:
            out[number] = {r.strip() for r in re.split(r"[,\s]+", m.group(1)) if r.strip()}
    return out
