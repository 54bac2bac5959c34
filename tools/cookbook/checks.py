"""Named checks of a page's anatomy: ``problems(page)`` lists everything wrong with it.

    from cookbook.checks import problems, CHECKS
    for message in problems(page):
        print(page.name, message)

Each check takes the page (and the extract's view names) and returns messages. The front
matter check runs first; if the front matter is broken the others are not run. What the
Stata blocks do is checked by ``cookbook.stata``, and the R version statements by
``cookbook.rversions`` (one of the checks here).
"""

import importlib
import os
import re

from cookbook import rversions
from cookbook.pages import (
    CODE_SECTION,
    FRONT_MATTER,
    KINDS,
    LANGUAGES,
    OPTIONAL_FRONT_MATTER,
    REQUIRED_SECTIONS,
    SQL_EXECUTED,
    TOPICS,
    expand_views,
    extract_views,
    sql_executed,
)


def check_front_matter(recipe, available):
    out = []
    meta = recipe.meta
    for key, kind in FRONT_MATTER.items():
        if key not in meta:
            out.append(f"front matter lacks {key!r}")
        elif not isinstance(meta[key], kind):
            out.append(f"front matter {key!r} should be a {kind.__name__}, got {meta[key]!r}")
    for key, kind in OPTIONAL_FRONT_MATTER.items():
        if key in meta and not isinstance(meta[key], kind):
            out.append(f"front matter {key!r} should be a {kind.__name__}")
    unknown = sorted(set(meta) - set(FRONT_MATTER) - set(OPTIONAL_FRONT_MATTER))
    if unknown:
        out.append(f"unknown front matter keys {unknown}")
    return out


def check_topic_and_languages(recipe, available):
    out = []
    meta = recipe.meta
    topic = recipe.name.split("/")[0] if "/" in recipe.name else meta["topic"]
    if meta["topic"] != topic:
        out.append(f"front matter topic {meta['topic']!r} but the page is in {topic}/")
    if topic not in TOPICS:
        out.append(f"folder {topic!r} is not a known topic ({', '.join(TOPICS)})")
    if meta["kind"] not in KINDS:
        out.append(f"kind {meta['kind']!r} is not one of {KINDS}")
    if recipe.title != meta["title"]:
        out.append(f"the '# ' title {recipe.title!r} differs from front matter {meta['title']!r}")
    langs = [str(x).lower() for x in meta["languages"]]
    bad = [x for x in langs if x not in LANGUAGES]
    if bad:
        out.append(f"unknown languages {bad}; use {LANGUAGES}")
    present = [lang for lang in LANGUAGES if recipe.blocks_of(lang)]
    if sorted(langs) != sorted(present):
        out.append(f"languages {sorted(langs)} but the page has blocks in {present}")
    for lang in ("python", "r", "stata"):
        if not recipe.blocks_of(lang):
            out.append(f"no {lang} block")
    return out


def check_sections(recipe, available):
    out = []
    wanted = [s for s in REQUIRED_SECTIONS if s != "SQL"]
    if recipe.meta["kind"] == "data preparation" or recipe.blocks_of("sql"):
        wanted.insert(wanted.index("Expected output"), "SQL")
    keys = [h[0] for h in recipe.headings]
    for s in wanted:
        if s not in keys:
            out.append(f"missing section '## {s}'")
        elif not recipe.sections.get(s):
            out.append(f"section '## {s}' is empty")
    order = [k for k in keys if k in wanted]
    if order != [s for s in wanted if s in keys]:
        out.append(f"sections out of order: {order}; expected {wanted}")
    extra = [k for k in keys if k not in REQUIRED_SECTIONS]
    if extra:
        out.append(f"unexpected sections {extra}; the anatomy is {REQUIRED_SECTIONS}")
    for key, heading, _line in recipe.headings:
        if key == "Stata" and "not executed here" not in heading:
            out.append(f"heading '## {heading}' must say '(... not executed here)'")
        if key == "SQL" and "not executed here" not in heading and SQL_EXECUTED not in heading:
            out.append(
                f"heading '## {heading}' must say '(... not executed here)' or "
                f"'(... {SQL_EXECUTED} ...)'"
            )
    if sql_executed(recipe) and len(recipe.blocks_of("sql")) != 1:
        out.append("an executed SQL section has exactly one ```sql block (one script)")
    goal = recipe.sections.get("Goal", "")
    if goal and len([p for p in goal.split("\n\n") if p.strip()]) != 1:
        out.append("Goal should be one line")
    return out


def check_blocks(recipe, available):
    out = []
    for b in recipe.blocks:
        if b.lang in CODE_SECTION and b.section != CODE_SECTION[b.lang]:
            out.append(f"{b.label()} is under '## {b.section}', not '## {CODE_SECTION[b.lang]}'")
        if b.lang == "python" and re.search(r"^\s*(import|from)\s+leokit\b", b.code, re.M):
            if "leokit" not in recipe.meta["tags"]:
                out.append(
                    f"{b.label()} imports leokit: recipes are self-contained; tag the page "
                    "'leokit' if it is about leokit"
                )
    for b in recipe.blocks_of("stata"):
        first = b.code.strip().split("\n")[0]
        if not (first.startswith("*") and "not executed" in first.lower()):
            out.append(f"{b.label()} must open with a '* ... not executed here' comment")
    return out


def check_srs(recipe, available):
    out = []
    meta = recipe.meta
    py = recipe.blocks_of("python")
    if meta["srs_ready"] and py and not any(b.srs for b in py):
        out.append("srs_ready is true but every Python block is marked srs=no")
    if not meta["srs_ready"] and not meta.get("needs"):
        out.append("srs_ready is false: say in 'needs' what the Python needs beyond the SRS")
    if any(not b.srs for b in py) and not meta.get("needs"):
        out.append("a block is marked srs=no: say in 'needs' what it needs beyond the SRS")
    return out


def check_expected(recipe, available):
    out = []
    if not recipe.expected:
        out.append("Expected output has no table")
    used = set()
    for b in recipe.runnable("python") + recipe.runnable("r"):
        for name in b.outputs(recipe.expected):
            used.add(name)
            if name not in recipe.expected:
                out.append(f"{b.label()} names output {name!r}, not in Expected output")
    unused = [n for n in recipe.expected if n not in used]
    if unused:
        out.append(f"expected tables {unused} are printed by no block")
    for name, (header, rows) in recipe.expected.items():
        if not rows:
            out.append(f"expected table {name!r} has no rows")
        for r in rows:
            if len(r) != len(header):
                out.append(
                    f"expected table {name!r}: a row has {len(r)} cells, header {len(header)}"
                )
                break
    return out


def check_views(recipe, available):
    out = []
    code = "".join(b.code.lower() for b in recipe.blocks_of("python"))
    for v in recipe.meta["views"]:
        concrete = expand_views([v], available)
        if not concrete or any(c not in available for c in concrete):
            out.append(f"view {v!r} is not in the extract")
            continue
        stem = str(v).lower()[:-5] if str(v).lower().endswith("_yyyy") else str(v).lower()
        if stem not in code:
            out.append(f"view {v!r} is listed but no Python block reads it")
    return out


def check_links(recipe, available):
    out = []
    for target in re.findall(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)", recipe.text):
        if "://" in target:
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(recipe.path), target))
        if not os.path.exists(path):
            out.append(f"link {target!r} points to a missing file")
    return out


def check_same_as_derive(recipe, available):
    out = []
    names = recipe.meta.get("same_as_derive", []) or []
    if names:
        derive = importlib.import_module("leokit.derive")
        for d in names:
            if not hasattr(derive, d):
                out.append(f"same_as_derive names {d!r}, which leokit.derive does not have")
    return out


def check_r_versions(recipe, available):
    return rversions.page_problems(recipe)


#: (name, check) in the order they run; front matter first (the rest need it intact)
CHECKS = [
    ("front matter", check_front_matter),
    ("topic and languages", check_topic_and_languages),
    ("sections", check_sections),
    ("blocks", check_blocks),
    ("srs", check_srs),
    ("expected output", check_expected),
    ("views", check_views),
    ("links", check_links),
    ("same as derive", check_same_as_derive),
    ("R versions", check_r_versions),
]


def problems(recipe, available=None):
    """What is wrong with a page's anatomy (empty list if nothing)."""
    out = check_front_matter(recipe, available)
    if out:
        return out
    available = extract_views() if available is None else available
    for _name, check in CHECKS[1:]:
        out.extend(check(recipe, available))
    return out
