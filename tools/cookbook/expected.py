"""Expected output: the Markdown tables under a page's **Expected output**, the CSV tables a
block prints, and how the two are compared.

    from cookbook.expected import parse_printed, compare_with_expected
    diffs = compare_with_expected(parse_printed(stdout), page.expected, ["result"])

A block prints one or more CSV tables separated by a blank line. Each printed number must
agree with the expected one to half a unit of the last digit shown there; two blocks (R and
Python) must agree to a relative 1e-6.
"""

import csv
import io
import re
from decimal import Decimal, InvalidOperation


def _markdown_tables(text):
    """[(name, header, rows)] for the pipe tables in ``text``; ``name`` is the nearest
    preceding ``### heading`` (None if there is none)."""
    tables = []
    name = None
    current = None
    for line in text.split("\n") + [""]:
        stripped = line.strip()
        if stripped.startswith("### "):
            name = stripped[4:].strip()
        if stripped.startswith("|"):
            cells = _split_row(stripped)
            if current is None:
                current = [name, cells, []]
            elif all(re.fullmatch(r":?-{3,}:?", c.replace(" ", "")) for c in cells):
                continue
            else:
                current[2].append(cells)
        elif current is not None:
            tables.append(tuple(current))
            current = None
    return tables


def _split_row(line):
    inner = line.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    cells = re.split(r"(?<!\\)\|", inner)
    return [c.strip().replace("\\|", "|").strip("`") for c in cells]


def expected_tables(text):
    """{name: (header, rows)} of an Expected output section, in page order; a single unnamed
    table is called 'result'."""
    found = _markdown_tables(text)
    out = {}
    for i, (name, header, rows) in enumerate(found):
        key = name if name else ("result" if len(found) == 1 else f"table {i + 1}")
        out[key] = (header, rows)
    return out


def parse_printed(text):
    """The CSV tables a block printed (blank-line separated): [(header, rows)]."""
    chunks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    tables = []
    for chunk in chunks:
        if not chunk.strip():
            continue
        rows = list(csv.reader(io.StringIO(chunk)))
        if rows:
            tables.append((rows[0], rows[1:]))
    return tables


_MISSING = {"", "na", "nan", "<na>", "none", "null"}
_BOOL = {"true": True, "false": False}


def _number(s):
    t = s.strip()
    if t.lower() in _BOOL:
        return None
    try:
        return (
            Decimal(t.replace(",", ""))
            if re.fullmatch(r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?", t, re.I)
            else None
        )
    except InvalidOperation:
        return None


def cell_matches(actual, expected, slack=1.0001):
    """Does a printed cell agree with an expected one? Numbers to half a unit of the last
    digit shown in ``expected``; booleans in any case; missing as '', NA, NaN; text exactly."""
    a, e = actual.strip(), expected.strip()
    if e.lower() in _MISSING:
        return a.lower() in _MISSING
    if e.lower() in _BOOL:
        return a.lower() == e.lower()
    en, an = _number(e), _number(a)
    if en is None or an is None:
        return a == e
    half = Decimal(1).scaleb(en.as_tuple().exponent) / 2
    return abs(float(an) - float(en)) <= float(half) * slack + 1e-12


def compare_with_expected(printed, expected, names):
    """Messages for every difference between the printed tables and the named expected ones."""
    msgs = []
    if len(printed) != len(names):
        return [
            f"printed {len(printed)} table(s) but Expected output has {len(names)} for it ({names})"
        ]
    for (header, rows), name in zip(printed, names):
        if name not in expected:
            msgs.append(f"table {name!r} is not under Expected output")
            continue
        eh, erows = expected[name]
        if [h.strip() for h in header] != eh:
            msgs.append(f"table {name!r}: columns {header} but expected {eh}")
            continue
        if len(rows) != len(erows):
            msgs.append(f"table {name!r}: {len(rows)} rows but expected {len(erows)}")
            continue
        for i, (row, erow) in enumerate(zip(rows, erows)):
            for col, a, e in zip(eh, row, erow):
                if not cell_matches(a, e):
                    msgs.append(
                        f"table {name!r} row {i + 1} column {col!r}: printed {a!r}, expected {e!r}"
                    )
    return msgs


def compare_printed(a, b, rel=1e-6, abs_tol=1e-10):
    """Messages where two blocks' printed tables differ (numbers to ``rel``)."""
    msgs = []
    if len(a) != len(b):
        return [f"{len(a)} table(s) against {len(b)}"]
    for t, ((ha, ra), (hb, rb)) in enumerate(zip(a, b)):
        if ha != hb:
            msgs.append(f"table {t + 1}: columns {ha} against {hb}")
            continue
        if len(ra) != len(rb):
            msgs.append(f"table {t + 1}: {len(ra)} rows against {len(rb)}")
            continue
        for i, (x, y) in enumerate(zip(ra, rb)):
            for col, u, v in zip(ha, x, y):
                nu, nv = _number(u), _number(v)
                if nu is not None and nv is not None:
                    fu, fv = float(nu), float(nv)
                    if abs(fu - fv) > max(abs_tol, rel * max(abs(fu), abs(fv))):
                        msgs.append(f"table {t + 1} row {i + 1} {col!r}: {u} against {v}")
                elif u.strip().lower() in _MISSING and v.strip().lower() in _MISSING:
                    continue
                elif u.strip().lower() != v.strip().lower():
                    msgs.append(f"table {t + 1} row {i + 1} {col!r}: {u!r} against {v!r}")
    return msgs


def format_number(text, digits=6):
    """How a printed value is shown under Expected output: text and integers as printed,
    other numbers to ``digits`` significant digits in fixed-point form, trailing zeros kept
    (87.0 becomes 87.0000, 0.0 becomes 0.000000). The tests then check every number to half
    a unit of the last digit shown."""
    n = _number(text)
    if n is None or re.fullmatch(r"[-+]?\d+", text.strip()):
        return text.strip()
    x = float(n)
    if x == 0:
        return "0." + "0" * digits
    magnitude = int(Decimal(abs(x)).adjusted())
    decimals = max(0, digits - 1 - magnitude)
    return f"{x:.{decimals}f}"


def markdown_table(header, rows):
    def esc(c):
        return str(c).replace("|", "\\|")

    lines = ["| " + " | ".join(esc(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    for r in rows:
        lines.append("| " + " | ".join(esc(format_number(c)) for c in r) + " |")
    return "\n".join(lines)


def write_expected(rec, rendered):
    """Replace the tables (and ### names) of the Expected output section, keeping its prose
    before the first table and after the last."""
    lines = rec.text.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("## Expected output"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    body = lines[start + 1 : end]
    idx = [i for i, ln in enumerate(body) if ln.strip().startswith("|") or ln.startswith("### ")]
    if idx:
        first, last = idx[0], idx[-1]
        new_body = body[:first] + rendered.split("\n") + body[last + 1 :]
    else:
        new_body = ["", rendered, ""] + body
    lines[start + 1 : end] = new_body
    with open(rec.path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
