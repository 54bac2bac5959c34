"""R version statements: every R block says the oldest R and package versions it needs, and
gives the older spelling of anything newer than the SRS's oldest R (3.6) and the data.table
of that era.

    from cookbook.rversions import block_problems
    block_problems(code)   # [] or messages such as "fcase() needs data.table >= 1.13.0 ..."

The statement is a comment line at the top of the block::

    # Needs: R >= 3.6.0, data.table >= 1.12.4 (fifelse)
    # data.table < 1.12.4: ifelse() in place of fifelse() (slower; keep the types equal)

``Needs`` names R and every package the block loads, each with ``>=`` and a version. For a
feature newer than ``BASELINE`` (R 3.6.0, the oldest R in the SRS, and data.table 1.12.2, the
release current when R 3.6.0 came out), a ``# <package> < <version>:`` line says how to write
it for older versions. ``FEATURES`` lists the version-sensitive functions and syntax checked,
with the release that introduced each (from the R and data.table NEWS files).
"""

import re

BASELINE = {"R": "3.6.0", "data.table": "1.12.2"}

#: (package, first version, pattern in the code, what it is)
FEATURES = [
    ("R", "4.1.0", r"\|>", "the native pipe |>"),
    ("R", "4.1.0", r"\\\s*\(", "the function shorthand \\(x)"),
    ("R", "4.4.0", r"%\|\|%", "%||% in base R"),
    ("R", "4.0.0", r"\bdeparse1\s*\(", "deparse1()"),
    ("R", "4.0.0", r"\blist2DF\s*\(", "list2DF()"),
    ("R", "3.5.0", r"\bisFALSE\s*\(", "isFALSE()"),
    ("R", "3.3.0", r"\b(startsWith|endsWith)\s*\(", "startsWith()/endsWith()"),
    ("R", "3.2.0", r"\btrimws\s*\(", "trimws()"),
    ("data.table", "1.12.4", r"\bfifelse\s*\(", "fifelse()"),
    ("data.table", "1.12.4", r"\bfcoalesce\s*\(", "fcoalesce()"),
    ("data.table", "1.12.4", r"\b(set)?nafill\s*\(", "nafill()/setnafill()"),
    ("data.table", "1.12.4", r"\bfrollapply\s*\(", "frollapply()"),
    ("data.table", "1.13.0", r"\bfcase\s*\(", "fcase()"),
    ("data.table", "1.15.0", r"%notin%", "%notin%"),
    ("data.table", "1.15.0", r"\byear(mon|qtr)\s*\(", "yearmon()/yearqtr()"),
    ("data.table", "1.17.0", r"\browwiseDT\s*\(", "rowwiseDT()"),
    ("estimatr", "0.10.0", r"\$conf\.(low|high)\b", "the conf.low/conf.high elements"),
    ("plm", "1.5-12", r"type\s*=\s*[\"']sss[\"']", 'vcovHC(type = "sss")'),
]

_NEEDS = re.compile(r"^\s*#\s*Needs:\s*(.*)$")
_ITEM = re.compile(r"^\s*([A-Za-z][A-Za-z0-9.]*)\s*>=\s*([0-9][0-9.\-]*)\s*(\(.*\))?\s*$")
_LIBRARY = re.compile(r"\b(?:library|require|requireNamespace)\s*\(\s*[\"']?([A-Za-z][\w.]*)")
_NAMESPACE = re.compile(r"\b([A-Za-z][\w.]*)::")


def version_key(text):
    """'1.12.4' -> (1, 12, 4); CRAN's '1.5-12' -> (1, 5, 12)."""
    return tuple(int(p) for p in re.split(r"[.\-]", text.strip()) if p != "")


def _split_items(text):
    """Comma-separated items of a Needs line, commas inside parentheses kept."""
    items, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        items.append(current)
    return items


def _code_only(code):
    """The code without comments and string contents (so a comment or a string mentioning
    fcase() does not count as using it)."""
    out = []
    for line in code.split("\n"):
        result, quote, i = "", None, 0
        while i < len(line):
            ch = line[i]
            if quote:
                if ch == "\\":
                    i += 2
                    continue
                if ch == quote:
                    quote = None
                    result += ch
            elif ch in "\"'":
                quote = ch
                result += ch
            elif ch == "#":
                break
            else:
                result += ch
            i += 1
        out.append(result)
    return "\n".join(out)


def statement(code):
    """({package: version}, problems) of the block's ``# Needs:`` line."""
    found = [m.group(1) for m in map(_NEEDS.match, code.split("\n")) if m]
    if not found:
        return {}, [
            "has no '# Needs: R >= x.y.z, <package> >= x.y.z' line stating the oldest R and "
            "package versions it needs"
        ]
    if len(found) > 1:
        return {}, ["has more than one '# Needs:' line"]
    needs, problems = {}, []
    for item in _split_items(found[0]):
        m = _ITEM.match(item)
        if not m:
            problems.append(f"'# Needs:' item {item.strip()!r} is not '<package> >= <version>'")
            continue
        needs[m.group(1)] = m.group(2)
    if "R" not in needs and not problems:
        problems.append("'# Needs:' does not state the R version (R >= x.y.z)")
    return needs, problems


def used_features(code):
    """[(package, version, what)] of the version-sensitive features the code uses."""
    plain = _code_only(code)
    return [(pkg, ver, what) for pkg, ver, pattern, what in FEATURES if re.search(pattern, plain)]


def block_problems(code):
    """What is missing or wrong in one R block's version statement."""
    needs, problems = statement(code)
    if problems:
        return problems
    plain = _code_only(code)
    loaded = set(_LIBRARY.findall(plain)) | set(_NAMESPACE.findall(plain))
    for pkg in sorted(loaded - set(needs)):
        problems.append(f"loads {pkg} but '# Needs:' gives no {pkg} version")
    older = set(re.findall(r"^\s*#\s*([A-Za-z][\w.]*)\s*<\s*([0-9][0-9.\-]*)\s*:", code, re.M))
    for pkg, ver, what in used_features(code):
        stated = needs.get(pkg)
        if stated is None:
            problems.append(f"uses {what} ({pkg} >= {ver}) but '# Needs:' does not name {pkg}")
            continue
        if version_key(stated) < version_key(ver):
            problems.append(
                f"uses {what}, which needs {pkg} >= {ver}, but states {pkg} >= {stated}"
            )
        base = BASELINE.get(pkg)
        if base and version_key(ver) > version_key(base) and (pkg, ver) not in older:
            problems.append(
                f"uses {what} ({pkg} >= {ver}, newer than the SRS-era {pkg} {base}): add a line "
                f"'# {pkg} < {ver}: <the older spelling>'"
            )
    return problems


#: what a "# Needs:" line states for a package no version-sensitive feature raises: the
#: SRS-era baseline for R and data.table, and the oldest versions checked for the others
DEFAULT_NEEDS = dict(BASELINE, estimatr="0.10.0", plm="1.5-12")
#: the older spellings offered for features newer than the baseline
OLDER_SPELLING = {
    "fifelse()": "ifelse() in place of fifelse() (check the types of the two branches)",
    "fcase()": "nested fifelse() (or ifelse() before 1.12.4) in place of fcase()",
    "fcoalesce()": "ifelse(is.na(x), y, x) in place of fcoalesce(x, y)",
    "nafill()/setnafill()": "zoo::na.locf() or a loop in place of nafill()",
    "the native pipe |>": "nested calls (or magrittr's %>%) in place of |>",
    "the function shorthand \\(x)": "function(x) in place of \\(x)",
}


def suggest(code):
    """The '# Needs:' line (and older-spelling lines) for a block, from what it loads and the
    version-sensitive features it uses; a starting point to check by hand."""
    plain = _code_only(code)
    packages = ["R"] + sorted(set(_LIBRARY.findall(plain)) | set(_NAMESPACE.findall(plain)))
    needs = {p: DEFAULT_NEEDS.get(p, "0") for p in packages}
    why = {}
    for pkg, ver, what in used_features(code):
        if version_key(ver) > version_key(needs.get(pkg, "0")):
            needs[pkg], why[pkg] = ver, what
    items = [f"{p} >= {needs[p]}" + (f" ({why[p]})" if p in why else "") for p in packages]
    lines = ["# Needs: " + ", ".join(items)]
    for pkg, ver, what in used_features(code):
        base = BASELINE.get(pkg)
        if base and version_key(ver) > version_key(base):
            older = OLDER_SPELLING.get(what, f"<the older spelling of {what}>")
            line = f"# {pkg} < {ver}: {older}"
            if line not in lines:
                lines.append(line)
    return lines


def page_problems(recipe):
    """Messages for every R block of a page."""
    out = []
    for block in recipe.blocks_of("r"):
        out.extend(f"{block.label()} {p}" for p in block_problems(block.code))
    return out
