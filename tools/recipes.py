"""The cookbook's command line: read recipe pages, check them, run their blocks, compare what
they print with their **Expected output**, write the index and the SRS import bundle.

    python tools/recipes.py data                    # data_csv/: CSV copy of data_synthetic/
    python tools/recipes.py run PAGE [--runtime python,srs,r]
    python tools/recipes.py expected PAGE [--write] # Expected output from the first Python block
    python tools/recipes.py check                   # anatomy and Stata checks of every page
    python tools/recipes.py stata [PAGE ...]        # the Stata checker only (default: every page)
    python tools/recipes.py index                   # rewrite recipes/README.md from front matter
    python tools/recipes.py bundle [--out DIR]      # the SRS import bundle (make srs-bundle)
    python tools/recipes.py rneeds PAGE [--write]   # '# Needs:' lines for R blocks lacking them

The machinery is the package tools/cookbook/ (pages, checks, run, expected, index, stata,
rversions, bundle, lock); this module is its entry point and re-exports what the tests and
``leokit.sql`` use (``Recipe``, ``problems``, ``run_block``, ...).
"""

import argparse
import os
import sys

_TOOLS = os.path.dirname(os.path.abspath(__file__))
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

from cookbook import bundle, rversions, stata  # noqa: E402
from cookbook.checks import CHECKS, problems  # noqa: E402, F401
from cookbook.expected import (  # noqa: E402, F401
    cell_matches,
    compare_printed,
    compare_with_expected,
    expected_tables,
    format_number,
    markdown_table,
    parse_printed,
    write_expected,
)
from cookbook.index import render_index, write_index  # noqa: E402, F401
from cookbook.pages import (  # noqa: E402, F401
    CODE_SECTION,
    DATA_DIR,
    EXTRACT,
    FRONT_MATTER,
    INDEX,
    KINDS,
    LANGUAGES,
    OPTIONAL_FRONT_MATTER,
    RECIPES,
    REQUIRED_SECTIONS,
    ROOT,
    RUNTIMES,
    SQL_EXECUTED,
    TEMPLATE,
    TOPICS,
    Block,
    Recipe,
    RecipeError,
    discover,
    expand_views,
    extract_views,
    load_all,
    sql_executed,
)
from cookbook.run import (  # noqa: E402, F401
    RUNTIME_LABEL,
    SRS_PYTHON,
    Run,
    block_env,
    cached_run,
    check_run,
    ensure_workdir,
    export_csv,
    generate_expected,
    prepare_workdir,
    repo_workdir,
    run_block,
    views_needed,
)


def _run(ns):
    status = 0
    workdir = repo_workdir()
    for page in ns.pages:
        rec = Recipe(page)
        for runtime in ns.runtime.split(","):
            for block in rec.runnable(runtime):
                run = run_block(rec, block, runtime, workdir)
                msg = "\n".join(check_run(rec, run))
                print(f"[{'FAIL' if msg else 'ok'}] {run.where()} {run.seconds:.1f} s")
                if msg:
                    status = 1
                    print(msg)
                    print(run.stdout[-3000:])
    return status


def _expected(ns):
    rec = Recipe(ns.page)
    try:
        rendered = generate_expected(rec, repo_workdir())
    except RuntimeError as exc:
        print(exc)
        return 1
    if ns.write:
        write_expected(rec, rendered)
        print(f"wrote Expected output of {rec.name}")
    else:
        print(rendered)
    return 0


def _check(ns):
    bad = 0
    data = os.path.join(ROOT, DATA_DIR)
    if not os.path.isdir(data):
        print(f"note: {data} is missing, so the Stata checks are skipped (make recipe-data)")
    for rec in load_all() + [Recipe(TEMPLATE)]:
        found = [f"{rec.name}: {p}" for p in problems(rec)]
        if os.path.isdir(data):
            found += [f"{rec.name}: {f}" for f in stata.check_page(rec, data_dir=data)]
        for line in found:
            print(line)
        bad += len(found)
    print("ok" if not bad else f"{bad} problem(s)")
    return 1 if bad else 0


def _stata(ns):
    data = ns.data
    if not os.path.isdir(data):
        print(f"{data} is missing: run `python tools/recipes.py data` (make recipe-data) first")
        return 2
    pages = [Recipe(p) for p in ns.pages] if ns.pages else load_all() + [Recipe(TEMPLATE)]
    bad = 0
    for rec in pages:
        findings = stata.check_page(rec, data_dir=data)
        blocks = len(rec.blocks_of("stata"))
        print(f"[{'FAIL' if findings else 'ok'}] {rec.name}: {blocks} Stata block(s)")
        for f in findings:
            print(f"    {f}")
        bad += len(findings)
    print("ok" if not bad else f"{bad} finding(s)")
    return 1 if bad else 0


def _rneeds(ns):
    """Suggest (or write) the R version statement of every R block that has none."""
    import re

    rec = Recipe(ns.page)
    text = rec.text
    for block in rec.blocks_of("r"):
        if "# Needs:" in block.code:
            continue
        lines = rversions.suggest(block.code)
        print(f"{block.label()}:\n" + "\n".join(lines))
        if ns.write:
            fence = re.compile(r"(```r[^\n]*\n)" + re.escape(block.code))
            new = "\n".join(lines) + "\n" + block.code
            text = fence.sub(lambda m, new=new: m.group(1) + new, text, 1)
    if ns.write and text != rec.text:
        with open(rec.path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {rec.path}: check each statement by hand")
    return 0


def _bundle(ns):
    try:
        info = bundle.build(ns.out)
    except bundle.BundleError as exc:
        print(f"bundle: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {info['files']} files to {info['folder']} and {info['zip']}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    d = sub.add_parser("data", help="write the extract as CSV for the recipes")
    d.add_argument("--out", default=os.path.join(ROOT, DATA_DIR))
    d.add_argument("--all", action="store_true", help="every view, not only those recipes use")
    r = sub.add_parser("run", help="run a page's blocks and compare with Expected output")
    r.add_argument("pages", nargs="+")
    r.add_argument("--runtime", default="python,r", help="comma list of python, srs, r")
    e = sub.add_parser("expected", help="Expected output tables from the first Python block")
    e.add_argument("page")
    e.add_argument("--write", action="store_true", help="replace the tables in the page")
    sub.add_parser("check", help="anatomy and Stata checks of every page")
    s = sub.add_parser("stata", help="the Stata checker on pages (default: every page)")
    s.add_argument("pages", nargs="*")
    s.add_argument("--data", default=os.path.join(ROOT, DATA_DIR), help="the CSV folder")
    sub.add_parser("index", help="rewrite recipes/README.md")
    n = sub.add_parser("rneeds", help="'# Needs:' lines for R blocks that lack them")
    n.add_argument("page")
    n.add_argument("--write", action="store_true", help="put them in the page")
    b = sub.add_parser("bundle", help="write the SRS import bundle and its zip")
    b.add_argument("--out", default=bundle.DEFAULT_OUT, help="folder (default output/srs_bundle)")
    ns = parser.parse_args(argv)
    if ns.command == "data":
        views = None if ns.all else views_needed(load_all())
        manifest = export_csv(ns.out, views)
        print(f"wrote {len(manifest['tables'])} views as CSV to {ns.out}")
        return 0
    if ns.command == "index":
        print(f"wrote {write_index()}")
        return 0
    commands = {"check": _check, "run": _run, "expected": _expected, "stata": _stata}
    commands.update(bundle=_bundle, rneeds=_rneeds)
    if ns.command in commands:
        return commands[ns.command](ns)
    parser.print_help()
    return 1


if __name__ == "__main__":
    sys.exit(main())
