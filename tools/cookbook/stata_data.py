"""What the Stata checker knows about the dataset in memory: which variables exist (surely or
maybe) and their kind, and what ``import delimited`` makes of a CSV file.

    from cookbook.stata_data import Dataset, csv_columns
    cols = csv_columns("data_csv/leo_earnings.csv")   # [("Edukey", "str", False), ...]

Kinds: "str", "num", "double" (numeric stored in double), or "?" (unknown). The checker only
reports what it is sure of: a variable is "missing" only when the dataset is ``complete``
(every variable known) and no variable name starts with the reference (Stata accepts
unambiguous abbreviations).
"""

import csv
import functools
import os
import re

_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")


@functools.lru_cache(maxsize=64)
def _columns_cached(path, mtime):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        numeric = [True] * len(header)
        seen = [False] * len(header)
        leading = [False] * len(header)
        for row in reader:
            for i, value in enumerate(row[: len(header)]):
                if value == "":
                    continue
                seen[i] = True
                if numeric[i] and not _NUMBER.match(value):
                    numeric[i] = False
                if numeric[i] and len(value) > 1 and value[0] == "0" and value[1].isdigit():
                    leading[i] = True
    return tuple(
        (name, "num" if numeric[i] else "str", numeric[i] and leading[i] and seen[i])
        for i, name in enumerate(header)
    )


def csv_columns(path):
    """[(header name, 'num' or 'str' as import delimited reads it, has leading zeros)]: a
    column is numeric when every non-empty value is a number (empty ones become missing)."""
    return list(_columns_cached(path, os.path.getmtime(path)))


def stata_name(name, case="lower"):
    """The variable name import delimited gives a header (None if it would rename it)."""
    name = {"lower": name.lower(), "upper": name.upper()}.get(case, name)
    return name if NAME.match(name) else None


class Dataset:
    """The variables in memory. ``vars`` surely exist ({name: kind}); ``maybe`` may exist
    (one branch of an if made them); ``complete`` is False when others may exist too."""

    def __init__(self, variables=None, complete=True):
        self.vars = dict(variables or {})
        self.maybe = {}
        self.complete = complete

    @classmethod
    def unknown(cls):
        return cls({}, complete=False)

    def copy(self):
        d = Dataset(self.vars, self.complete)
        d.maybe = dict(self.maybe)
        return d

    def names(self):
        return set(self.vars) | set(self.maybe)

    def has(self, name):
        """True (exists), False (surely not, even as an abbreviation) or None (cannot tell)."""
        if name in self.vars or name in self.maybe:
            return True
        if any(v.startswith(name) for v in self.names()):
            return None  # an abbreviation, if unambiguous
        return None if not self.complete else False

    def kind(self, name):
        if name in self.vars:
            return self.vars[name]
        if name in self.maybe:
            return self.maybe[name]
        return "?"

    def range(self, first, last):
        """The variables first-last (in dataset order), or None if it cannot be told."""
        a = re.fullmatch(r"(.*?)(\d+)", first)
        b = re.fullmatch(r"(.*?)(\d+)", last)
        if a and b and a.group(1) == b.group(1):
            names = [f"{a.group(1)}{k}" for k in range(int(a.group(2)), int(b.group(2)) + 1)]
            if all(n in self.vars for n in names):
                return names
        order = list(self.vars)
        if self.complete and not self.maybe and first in order and last in order:
            i, j = order.index(first), order.index(last)
            return order[i : j + 1] if i <= j else None
        return None

    def rename(self, old, new):
        """Rename in place, keeping the variable's position."""
        if old in self.vars:
            self.vars = {(new if k == old else k): v for k, v in self.vars.items()}
        elif old in self.maybe:
            self.maybe[new] = self.maybe.pop(old)

    def add(self, name, kind="?"):
        self.maybe.pop(name, None)
        self.vars[name] = kind

    def drop(self, name):
        self.vars.pop(name, None)
        self.maybe.pop(name, None)

    def matching(self, pattern):
        """Known names matching a Stata varlist pattern (*, ?, ~ wildcards)."""
        rx = wildcard_regex(pattern)
        return sorted(n for n in self.names() if rx.fullmatch(n))

    def merge_branches(self, other):
        """The state after one of two branches ran: sure only if sure in both."""
        out = Dataset()
        out.complete = self.complete and other.complete
        for name in set(self.vars) & set(other.vars):
            a, b = self.vars[name], other.vars[name]
            out.vars[name] = a if a == b else "?"
        for side in (self, other):
            for name in side.names():
                if name not in out.vars:
                    out.maybe[name] = side.kind(name)
        return out


def wildcard_regex(pattern):
    """Stata's varlist wildcards as a regex: * any run, ? one character, ~ like *."""
    out = ""
    for ch in pattern:
        out += {"*": ".*", "~": ".*", "?": "."}.get(ch, re.escape(ch))
    return re.compile(out)


def rename_pattern(old, new, names):
    """{old name: new name} for a wildcard rename (rename *_spr10 *), or None if the
    patterns cannot be matched up."""
    groups = re.findall(r"[*?#]", old)
    if re.findall(r"[*?#]", new) and len(re.findall(r"[*?#]", new)) != len(groups):
        return None
    rx = ""
    for ch in old:
        rx += {"*": "(.*)", "?": "(.)", "#": r"(\d+)"}.get(ch, re.escape(ch))
    rx = re.compile(rx)
    out = {}
    for name in sorted(names):
        m = rx.fullmatch(name)
        if not m:
            continue
        parts = iter(m.groups())
        target = "".join(next(parts, "") if ch in "*?#" else ch for ch in new)
        out[name] = target
    return out
