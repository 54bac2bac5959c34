"""The Stata checker: reads every Stata block as Stata would (there is no Stata here) and
reports what would fail or silently go wrong.

    from cookbook import stata
    stata.check_page(page, data_dir="data_csv")      # ["stata block 1 (line 88): ..."]
    stata.check_code(code, stata.Context(data_dir="data_csv"))   # [Finding]

What it checks, each finding named by its rule:

- ``command``: every command is a Stata 16/17 built-in (abbreviations allowed), a program the
  block defines, or a command of an SSC package declared in the page's ``stata_packages``;
  ``ssc-fallback``: an SSC command runs only after ``capture which <command>``, so a built-in
  fallback can follow; ``network``: no ``ssc install``, ``net install``, URLs (no internet in
  the SRS).
- ``file``: what ``use``, ``merge``/``append``/``joinby``/``cross using``, ``import
  delimited`` and ``insheet`` read was made by an earlier ``save``/``export``/``postfile`` on
  the page, or is shipped (``data_csv/<view>.csv`` of a view in front matter, files under
  ``recipes/``).
- ``variable``: variables referenced exist, tracked from the CSV header through generate,
  egen, rename, drop, keep, collapse, contract, merge, append, expand...; ``exists``:
  generate/egen of a variable that exists; ``type``: a string compared with a number or
  passed to a numeric function (and the reverse), merge keys of different types;
  ``leading-zeros``: a code with leading zeros read as a number and then used.
- ``comment``, ``quotes``, ``braces``, ``delimit``, ``semicolon``: the block's text itself.
- ``float-sum``: a large sum stored as float (``gen x = sum()``, ``egen x = total()`` without
  ``double`` or ``set type double``); ``float-id``/``group-type``: row numbers or group ids
  stored as float or an int type (exact only to 16,777,216); ``float-precision``: a value
  computed from a double stored as float; ``encode-key``: ``encode`` of a person or firm key
  (value labels stop at 65,536: use ``egen long id = group(key)``).
- ``expand-numbering``: copies numbered with ``_n`` after ``expand`` by variables that need
  not identify the original rows; ``contract-missing``: ``contract`` without ``nomiss``
  keeps missing codes as a category; ``merge-mm``: ``merge m:m``; ``by-unsorted``: ``by``
  right after a ``gsort`` with a descending key (Stata stops: not sorted); ``file`` also
  covers ``use``/``import`` without ``clear`` after the data changed.

Collapse's ``(sum)`` is not flagged: Stata's collapse.ado stores sums as double whatever the
source type. Loops with literal ranges are followed value by value, macros are filled in
where they can be told, and ``capture confirm file|variable`` guards are honoured.
- page level (``check_page``): ``views``: every front-matter view is read by a Stata block;
  ``output``: every Expected output table is shown by a ``list`` (its columns as Stata
  names, ``strtoname()``); ``packages``: declared SSC packages are known and the page's
  **In the SRS** says how to request them.

It is conservative: a variable is reported missing only when every variable in memory is
known. A finding on a line can be waived with a comment ``// stata-check: ok <rule>`` on
that line, saying why.
"""

import re

from cookbook import stata_commands as commands
from cookbook.pages import ROOT
from cookbook.stata_data import Dataset
from cookbook.stata_lex import parse
from cookbook.stata_rules import Rules
from cookbook.stata_syntax import (
    balanced_parens,
    identifiers,
    numlist,
    split_prefixes,
    waivers,
)

UNKNOWN = "\x00"  # stands for a macro whose value the checker cannot tell
NETWORK_TEXT = re.compile(r"\b(ssc|net)\s+(install|inst|get|from)\b|https?://", re.I)


class Finding:
    def __init__(self, line, rule, message):
        self.line = line
        self.rule = rule
        self.message = message

    def __str__(self):
        return f"line {self.line}: [{self.rule}] {self.message}"

    __repr__ = __str__


class Context:
    """What a block may rely on: the SSC packages declared, where data_csv/ is, the views
    make recipe-data writes (None: any CSV there), files saved by earlier blocks."""

    def __init__(self, data_dir=None, packages=(), views=None, saved=None, root=ROOT):
        self.data_dir = data_dir
        self.packages = set(packages)
        self.views = None if views is None else set(views)
        self.saved = dict(saved or {})
        self.root = root


class Walker(Rules):
    """Walks a block's statements with the macros and the dataset it can know."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.findings = []
        self.locals = {}
        self.globals = {}
        self.data = Dataset.unknown()
        self.files = dict(ctx.saved)  # file key -> Dataset saved there
        self.lists = []  # (line, frozenset of columns) shown by list / export
        self.imported = []  # file keys read (with * for what a macro hid)
        self.guarded = set()  # commands checked with `capture which`
        self.programs = set()
        self.matrices = set()
        self.type_double = False
        self.expanded = False
        self.row_ids = set()
        self.lossy = {}  # variable -> why its values were damaged on import
        self.preserved = []
        self.waivers = {}
        self.dirty = False  # the data changed since it was loaded or saved
        self.rc = None  # _rc after a captured confirm/which, when it can be told
        self.if_taken = None  # whether the last if ran (None: cannot tell)
        self.confirmed = set()  # files a `capture confirm file` tests before reading
        self.capturing = False  # inside a `capture` prefix or block
        self.sorted_gsort_desc = False  # the last sort was a gsort with a descending key

    # ------------------------------------------------------------------ findings
    def report(self, line, rule, message):
        if rule in self.waivers.get(line, ()):
            return
        if self.capturing and rule in ("variable", "exists", "file", "type"):
            return  # `capture` is there to absorb this failure
        key = (line, rule, message)
        if all((f.line, f.rule, f.message) != key for f in self.findings):
            self.findings.append(Finding(line, rule, message))

    # ------------------------------------------------------------------ macros
    def subst(self, text, depth=0):
        """Text with the macros it can resolve replaced; the others become UNKNOWN."""
        if depth > 20:
            return text
        out = re.sub(
            r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)",
            lambda m: self.globals.get(m.group(1) or m.group(2), UNKNOWN),
            text,
        )
        m = re.search(r"`([^`']*)'", out)
        while m:
            inner = m.group(1)
            if inner.startswith("="):
                value = self.evaluate(inner[1:])
                value = UNKNOWN if value is None else value
            elif re.fullmatch(r"\w+", inner):
                value = self.locals.get(inner, UNKNOWN)
            else:
                value = UNKNOWN
            out = out[: m.start()] + value + out[m.end() :]
            m = re.search(r"`([^`']*)'", out)
        return out

    def evaluate(self, expr):
        """The value of a macro expression made of numbers, strings and a few functions, as
        Stata would store it in a local; None if it cannot be told."""
        from cookbook.stata_eval import evaluate

        if UNKNOWN in expr:
            return None
        return evaluate(expr)

    def set_macro(self, kind, name, value):
        (self.locals if kind == "local" else self.globals)[name] = value

    # ------------------------------------------------------------------ walking
    def walk(self, nodes):
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if node.children is None:
                word = node.text.split()[0].lower() if node.text.split() else ""
                if word in ("mata", "mata:", "python", "python:") and node.text.strip().rstrip(
                    ":"
                ) in ("mata", "python"):
                    i = self._skip_to_end(nodes, i)
                    continue
                if re.match(r"^inp(u|ut)?\s", node.text):
                    names = [
                        w
                        for w in node.text.split()[1:]
                        if not re.fullmatch(r"(byte|int|long|float|double|str\d*|strL)", w)
                    ]
                    self.new_data(Dataset({n: "?" for n in names}))
                    i = self._skip_to_end(nodes, i)
                    continue
                if re.match(
                    r"^(program|pr|pro|prog|progr|progra)\s+(define\s+)?", node.text
                ) and not re.match(r"^program\s+(drop|dir|list)\b", node.text):
                    name = node.text.split()[-1]
                    self.programs.add(name)
                    i = self._skip_to_end(nodes, i)
                    continue
                self.statement(node.line, node.text)
            else:
                self.block(node)
            i += 1

    def _skip_to_end(self, nodes, i):
        j = i + 1
        while j < len(nodes) and not (nodes[j].children is None and nodes[j].text.strip() == "end"):
            j += 1
        return j + 1

    def block(self, node):
        header = node.text.strip()
        words = header.split()
        head = words[0].lower() if words else ""
        full = commands.builtin(head) or head
        if full in ("foreach", "forvalues"):
            self.loop(node, full)
        elif full in ("if", "else"):
            decision = None
            if full == "else":
                decision = None if self.if_taken is None else not self.if_taken
            if full == "if" or (full == "else" and len(words) > 1 and words[1] == "if"):
                cond = self.subst(header.split(None, 2 if full == "else" else 1)[-1])
                mine = self.decide(cond)
                if mine is None:
                    self.check_expression(node.line, cond)
                if full == "if":
                    decision = mine
                elif decision is True:
                    decision = mine
            self.if_taken = decision
            self.branch(node.line, decision, lambda: self.walk(node.children))
            self.if_taken = decision
        elif full == "while":
            self.branch(node.line, None, lambda: self.walk(node.children))
        elif full in ("quietly", "noisily"):
            self.walk(node.children)
        elif full == "capture":
            before, was = self.data.copy(), self.capturing
            self.capturing = True
            self.walk(node.children)
            self.capturing = was
            self.data = before.merge_branches(self.data)
        elif full == "program":
            name = words[-1] if len(words) > 1 else ""
            self.programs.add(name)
        else:
            self.report(node.line, "braces", f"'{header[:30]}' does not open a block")

    def loop(self, node, kind):
        header = self.subst(node.text.strip())
        m = re.match(r"^\w+\s+(\w+)\s*(=|in|of)\s*(.*)$", header)
        if not m:
            self.report(node.line, "command", f"cannot read the loop '{header[:40]}'")
            return
        name, how, rest = m.group(1), m.group(2), m.group(3).strip()
        values = None
        if kind == "forvalues" and how == "=" and UNKNOWN not in rest:
            values = numlist(rest)
        elif how == "in" and UNKNOWN not in rest:
            values = [a or b for a, b in re.findall(r'"([^"]*)"|(\S+)', rest)]
        elif how == "of":
            sub = rest.split(None, 1)
            what, items = sub[0], (sub[1] if len(sub) > 1 else "")
            if what.startswith("num") and UNKNOWN not in items:
                values = numlist(items)
            elif what.startswith("var") and self.data.complete:
                names = []
                for item in items.split():
                    found = self.data.matching(item) if any(c in item for c in "*?~") else [item]
                    names.extend(found)
                values = names
            elif what == "local" and self.locals.get(items.strip(), UNKNOWN) != UNKNOWN:
                values = self.locals[items.strip()].split()
        before = self.data.copy()
        saved = self.locals.get(name)
        if values is None or len(values) > 60:
            self.locals[name] = UNKNOWN
            self.branch(node.line, None, lambda: self.walk(node.children))
        else:
            for value in values:
                self.locals[name] = str(value)
                try:
                    self.walk(node.children)
                except _Continue:
                    continue
                except _Break:
                    break
            if not values:
                self.data = before
        if saved is None:
            self.locals.pop(name, None)
        else:
            self.locals[name] = saved

    def statement(self, line, text):
        text = self.subst(text)
        prefixes, by, rest = split_prefixes(text)
        if by is not None:
            self.check_by(line, by)
        if not rest.strip():
            return
        m = re.match(r"^(\S+?)(?=,|\s|$)(.*)$", rest.strip(), re.S)
        word, args = m.group(1), m.group(2)
        if UNKNOWN in word:
            return
        if word == "if":  # if exp command (one line)
            self.one_line_if(line, args, prefixes)
            return
        if word == "else":
            if args.strip():
                self.branch(
                    line,
                    None if self.if_taken is None else not self.if_taken,
                    lambda: self.statement(line, args),
                )
            return
        if word == "continue":
            raise (_Break() if "break" in args else _Continue())
        full = self.command_name(line, word)
        if full is None:
            return
        before = self.data.copy() if "capture" in prefixes else None
        was_capturing = self.capturing
        self.capturing = was_capturing or "capture" in prefixes
        self.rc = None
        if "capture" in prefixes and full in ("confirm", "which"):
            self.rc = self.captured_rc(full, args.strip())
        if full in self.programs:
            self.data.complete = False  # a program of the block: its effects are not followed
        else:
            self.sorting(line, full, args, by, prefixes)
            self.command(line, full, args.strip(), by, prefixes)
        self.capturing = was_capturing
        if before is not None:
            self.data = before.merge_branches(self.data)

    def sorting(self, line, full, args, by, prefixes):
        """`by varlist:` right after a gsort with a descending key: Stata has not marked the
        data as sorted and stops ('not sorted'); bysort sorts for itself."""
        if by is not None and "by" in prefixes and self.sorted_gsort_desc:
            clause = by.split(",")[0]
            if not re.search(r",\s*sort\b", by):
                self.report(
                    line,
                    "by-unsorted",
                    f"by {clause.strip()}: after gsort with a "
                    "descending key, Stata does not know the data are sorted: "
                    "use bysort (with a negated copy of the key)",
                )
        if full == "gsort":
            self.sorted_gsort_desc = bool(re.search(r"(^|\s)-\w", args))
        elif full == "sort" or "bysort" in prefixes or re.search(r",\s*sort\b", by or ""):
            self.sorted_gsort_desc = False

    def captured_rc(self, full, args):
        """_rc after `capture confirm ...` / `capture which ...`, when it can be told."""
        words = args.split()
        if full == "which":
            if words:
                self.guarded.add(words[0].rstrip(","))
            return None
        if len(words) >= 2 and words[0] == "file":
            key = self.file_key(0, args.split(None, 1)[1].strip(), "csv")
            self.confirmed.add(key)
            if "*" in key:
                return None
            path = self.csv_path_quiet(key)
            return 0 if path else 601
        if len(words) >= 2 and words[0] in ("variable", "var", "numeric", "string"):
            found = [self.data.has(w) for w in words[1:] if not w.startswith(("numeric", "string"))]
            if all(f is True for f in found):
                return 0
            if any(f is False for f in found):
                return 111
        return None

    def decide(self, cond):
        """True/False when a condition can be told (on _rc after a captured confirm, or made
        of constants once macros are filled in), else None."""
        c = cond.replace(" ", "")
        if UNKNOWN not in cond and "_rc" not in c and not identifiers(cond):
            value = self.evaluate(cond)
            if value is not None and re.fullmatch(r"-?\d+(\.\d+)?", value):
                return float(value) != 0
        if self.rc is None or not re.fullmatch(r"!?\(?_rc\)?(==0|!=0|~=0|>0)?", c):
            return None
        value = self.rc != 0
        if c.endswith("==0"):
            value = not value
        if c.startswith("!"):
            value = not value
        return value

    def branch(self, line, decision, run):
        if decision is True:
            run()
        elif decision is None:
            before = self.data.copy()
            try:
                run()
            except (_Continue, _Break):
                pass
            self.data = before.merge_branches(self.data)

    def one_line_if(self, line, args, prefixes):
        # split the condition from the command: the command starts at the first word that is
        # a command name after a complete expression; take the shortest split that parses
        words = args.split()
        for k in range(1, len(words)):
            cond, cmd = " ".join(words[:k]), " ".join(words[k:])
            first = words[k].rstrip(",")
            if balanced_parens(cond) and (commands.builtin(first) or first in self.programs):
                if commands.builtin(first) in ("generate", "replace", "egen") and re.search(
                    r"[=<>!]$", cond.strip()
                ):
                    continue
                decision = self.decide(cond)
                if decision is None:
                    self.check_expression(line, cond)
                self.if_taken = decision
                self.branch(line, decision, lambda cmd=cmd: self.statement(line, cmd))
                return
        self.check_expression(line, args)

    def command_name(self, line, word):
        """The full name of a command, reporting unknown and undeclared ones."""
        if word.startswith("#"):
            return None
        full = commands.builtin(word)
        if full:
            return full
        if word in self.programs:
            return word
        pkg = commands.package_of(word)
        if pkg and pkg in self.ctx.packages:
            if word not in self.guarded:
                self.report(
                    line,
                    "ssc-fallback",
                    f"{word} (SSC package {pkg}) runs without 'capture which {word}' before "
                    "it: test for it and give the built-in fallback when it is missing",
                )
            return word
        if pkg:
            self.report(
                line,
                "command",
                f"{word} is not built into Stata: it is in the SSC package {pkg}; declare it in "
                "front matter (stata_packages) with its built-in fallback",
            )
            return None
        self.report(line, "command", f"'{word}' is not a Stata 16/17 command")
        return None


class _Continue(Exception):
    """`continue` in a loop body."""


class _Break(Exception):
    """`continue, break` in a loop body."""


def check_code(code, ctx=None):
    """Findings for one block of Stata code (line numbers within the code)."""
    walker = run_code(code, ctx or Context())
    return walker.findings


def run_code(code, ctx):
    nodes, lexical = parse(code)
    walker = Walker(ctx)
    walker.waivers = waivers(code)
    for line, rule, message in lexical:
        walker.report(line, rule, message)
    for number, raw in enumerate(code.split("\n"), start=1):
        if NETWORK_TEXT.search(raw):
            walker.report(
                number,
                "network",
                "the block tells the reader to install from the "
                "internet (ssc/net install or a URL), which the SRS does not have: "
                "name the package in front matter and request its files instead",
            )
    walker.walk(nodes)
    return walker


# ---------------------------------------------------------------------------------------------
# pages and files (cookbook.stata_pages)


def check_page(recipe, data_dir=None):
    """Every finding for a page's Stata blocks, and the page-level checks, as text."""
    from cookbook.stata_pages import check_page as _check_page

    return _check_page(recipe, data_dir)


def check_do_file(path, data_dir=None):
    """Findings for a .do file of the SRS bundle (its header names the SSC packages)."""
    from cookbook.stata_pages import check_do_file as _check_do_file

    return _check_do_file(path, data_dir)
