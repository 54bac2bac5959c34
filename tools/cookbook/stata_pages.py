"""Page-level Stata checks and .do files: runs the checker on every Stata block of a page in
order (files saved by one block are there for the next), then checks what the page as a whole
promises: every front-matter view is read, every Expected output table is listed, declared
SSC packages are known and the page says how to request them.

    from cookbook.stata_pages import check_page, check_do_file
    check_page(page, data_dir="data_csv")                  # ["stata block 1 (line 88): ..."]
    check_do_file("output/srs_bundle/recipes/time/build_earnings_panel.do", "data_csv")
"""

import os
import re

from cookbook import stata_commands as commands
from cookbook.pages import DATA_DIR, ROOT, expand_views, extract_views
from cookbook.stata import Context, run_code


def stata_name(header):
    """A column name as Stata's strtoname() makes it: invalid characters become _, a leading
    digit gets a _ in front, at most 32 characters."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", header)
    if not name or name[0].isdigit():
        name = "_" + name
    return name[:32]


def page_context(recipe, data_dir, saved=None):
    views = None
    if recipe.meta.get("views") is not None:
        views = expand_views(recipe.meta.get("views", []), extract_views())
    return Context(
        data_dir=data_dir,
        packages=recipe.meta.get("stata_packages") or [],
        views=views,
        saved=saved,
    )


def check_page(recipe, data_dir=None):
    """Every finding for a page's Stata blocks, and the page-level checks, as text."""
    data_dir = data_dir or os.path.join(ROOT, DATA_DIR)
    out = []
    saved, lists, imported = {}, [], []
    for block in recipe.blocks_of("stata"):
        walker = run_code(block.code, page_context(recipe, data_dir, saved))
        for f in walker.findings:
            out.append(f"{block.label()}: line {block.line + f.line}: [{f.rule}] {f.message}")
        saved.update({k: v for k, v in walker.files.items() if not k.startswith("<tempfile")})
        wanted = block.outputs(recipe.expected)
        lists.append((block, wanted, walker.lists))
        imported.extend(walker.imported)
    if not recipe.blocks_of("stata"):
        return out
    out.extend(_page_findings(recipe, lists, imported))
    return out


def _page_findings(recipe, lists, imported):
    out = []
    available = extract_views()
    for view in recipe.meta.get("views", []) or []:
        concrete = expand_views([view], available)
        if not any(_read(c, imported) for c in concrete):
            out.append(f"[views] view {view!r} is in front matter but no Stata block reads it")
    for block, wanted, shown in lists:
        for name in wanted:
            if name not in recipe.expected:
                continue
            columns = {stata_name(h) for h in recipe.expected[name][0]}
            if any(cols is None for _line, cols in shown):
                continue  # a list whose columns the checker cannot tell: give it the benefit
            if not any(cols == columns for _line, cols in shown):
                out.append(
                    f"[output] {block.label()}: no 'list' shows the columns of expected table "
                    f"{name!r} ({', '.join(sorted(columns))})"
                )
    for pkg in recipe.meta.get("stata_packages") or []:
        if pkg not in commands.SSC_PACKAGES:
            out.append(f"[packages] stata_packages names {pkg!r}, which the checker does not know")
        srs = recipe.sections.get("In the SRS", "")
        if pkg not in srs or "import request" not in srs:
            out.append(
                f"[packages] '## In the SRS' must say how to get {pkg} into the SRS (an "
                "import request of its .ado files)"
            )
    return out


def _read(view, imported):
    target = f"data_csv/{view}.csv"
    for key in imported:
        rx = re.escape(key).replace(re.escape("*"), ".*")
        if re.fullmatch(rx, target):
            return True
    return False


def check_do_file(path, data_dir=None):
    """Findings (text) for a .do file of the SRS bundle, with the SSC packages its header
    names ('... SSC packages: reghdfe ftools (...').."""
    with open(path, encoding="utf-8") as handle:
        code = handle.read()
    m = re.search(r"SSC packages:\s*([\w\s]+?)\s*\(", code)
    packages = m.group(1).split() if m else []
    ctx = Context(data_dir=data_dir or os.path.join(ROOT, DATA_DIR), packages=packages)
    return [str(f) for f in run_code(code, ctx).findings]
