"""The SRS import bundle: what a researcher asks to have imported into the SRS, as plain files.

    from cookbook import bundle
    info = bundle.build("output/srs_bundle")   # the folder, output/srs_bundle.zip beside it

The folder holds the SRS-bound ``leokit`` modules (copied, not rewritten: the modules of
tests/environment/test_srs_profile.py's SRS_MODULES and REGISTRY_MODULES), every recipe's code
as plain ``.py``, ``.R``, ``.do`` and ``.sql`` files under ``recipes/<topic>/`` named after
the page (a page's second Python block is ``<page>_2.py``), the lookups the recipes read, a
README on the import route and ``SHA256SUMS``. The same pages give the same bytes: files are
written in sorted order and the zip's timestamps are fixed.

Rebuilding replaces a bundle this tool wrote; a folder holding anything else is left alone
and the build stops with a message naming the file.
"""

import ast
import hashlib
import os
import shutil
import tempfile
import zipfile

from cookbook.pages import RECIPES, ROOT, load_all

DEFAULT_OUT = os.path.join(ROOT, "output", "srs_bundle")
SRS_TEST = os.path.join(ROOT, "tests", "environment", "test_srs_profile.py")
SUMS = "SHA256SUMS"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
EXTENSION = {"python": ".py", "r": ".R", "stata": ".do", "sql": ".sql"}
COMMENT = {"python": "#", "r": "#", "stata": "*", "sql": "--"}


class BundleError(Exception):
    """The bundle cannot be written (the message says why and where)."""


class Entry:
    """One file of the bundle: its path inside the bundle and its bytes."""

    def __init__(self, path, data, page=None, lang=None, blocks=()):
        self.path = path
        self.data = data
        self.page = page
        self.lang = lang
        self.blocks = list(blocks)


def srs_modules():
    """leokit's SRS-bound module names, read from tests/environment/test_srs_profile.py."""
    with open(SRS_TEST, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    found = {}
    for node in tree.body:
        for target in getattr(node, "targets", []):
            if getattr(target, "id", None) in ("SRS_MODULES", "REGISTRY_MODULES"):
                found[target.id] = ast.literal_eval(node.value)
    if set(found) != {"SRS_MODULES", "REGISTRY_MODULES"}:
        raise BundleError(f"{SRS_TEST} must define SRS_MODULES and REGISTRY_MODULES")
    return ["leokit"] + found["SRS_MODULES"] + found["REGISTRY_MODULES"]


def _module_file(name):
    parts = name.split(".")
    base = os.path.join(ROOT, "src", *parts)
    if os.path.isdir(base):
        return os.path.join(base, "__init__.py"), "/".join(parts) + "/__init__.py"
    return base + ".py", "/".join(parts) + ".py"


def _imported_at_load(name, source):
    """leokit modules that ``name`` imports at module level (relative or absolute): they load
    with it, so the bundle needs them too. Imports inside functions are optional extras
    (pyarrow, duckdb) and are not followed."""
    is_package = source.endswith("__init__.py")
    package = name if is_package else name.rpartition(".")[0]
    with open(source) as handle:
        tree = ast.parse(handle.read())
    found = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            if not stem.startswith("leokit"):
                continue
            found.append(stem)
            found += [stem + "." + alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("leokit")]
    return found


def bundled_modules():
    """srs_modules() and every leokit module they load with them (e.g. the submodules of a
    package such as leokit.sdc), in a stable order."""
    seen, todo = [], list(srs_modules())
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        source, _ = _module_file(name)
        if not os.path.exists(source):
            continue  # a name imported from a module, not a module
        seen.append(name)
        todo += _imported_at_load(name, source)
    return seen


def _header(rec, lang, blocks):
    c = COMMENT[lang]
    lines = [f"{c} LEO cookbook: {rec.meta['title']} (recipes/{rec.name}.md)"]
    total = len(rec.blocks_of(lang))
    if lang == "python":
        block = blocks[0]
        lines.append(f"{c} Python block {block.number} of {total}.")
        if rec.meta.get("srs_ready") and block.srs:
            lines.append(f"{c} SRS-ready: runs on the SRS's Python 3.7 / pandas 1.0.1.")
        else:
            needs = ", ".join(rec.meta.get("needs") or []) or "packages the SRS lacks"
            lines.append(f"{c} Needs {needs}, which the SRS Anaconda does not have.")
    elif lang == "r":
        lines.append(f"{c} R block {blocks[0].number} of {total}.")
    elif lang == "stata":
        packages = rec.meta.get("stata_packages") or []
        lines.append(
            f"{c} Stata block(s) of the page; built-in commands"
            + (
                f", plus SSC packages: {' '.join(packages)} (each with a built-in "
                "fallback; see README.md)."
                if packages
                else " only."
            )
        )
    else:
        lines.append(f"{c} T-SQL for SQL Server: replace leo_synth with your project's schema.")
    if lang != "sql":
        lines.append(
            f"{c} Reads data_csv/ (the synthetic extract as CSV); in the SRS read the "
            "views instead (README.md)."
        )
    return "\n".join(lines) + "\n\n"


def plan(recipes=None):
    """Every file of the bundle, as Entry objects sorted by path (nothing is written)."""
    recipes = load_all() if recipes is None else recipes
    entries = []
    for name in bundled_modules():
        source, target = _module_file(name)
        with open(source, "rb") as handle:
            entries.append(Entry(target, handle.read()))
    lookups = os.path.join(RECIPES, "lookups")
    for f in sorted(os.listdir(lookups)):
        with open(os.path.join(lookups, f), "rb") as handle:
            entries.append(Entry("recipes/lookups/" + f, handle.read()))
    for rec in recipes:
        for lang in ("python", "r", "stata", "sql"):
            blocks = rec.blocks_of(lang)
            if not blocks:
                continue
            groups = [blocks] if lang in ("stata", "sql") else [[b] for b in blocks]
            for k, group in enumerate(groups, start=1):
                suffix = "" if k == 1 else f"_{k}"
                path = f"recipes/{rec.name}{suffix}{EXTENSION[lang]}"
                code = "\n".join(b.code.rstrip("\n") for b in group) + "\n"
                data = (_header(rec, lang, group) + code).encode("utf-8")
                entries.append(Entry(path, data, rec, lang, group))
    entries.append(Entry("README.md", readme(recipes).encode("utf-8")))
    entries.sort(key=lambda e: e.path)
    return entries


def _checksums(entries):
    lines = [f"{hashlib.sha256(e.data).hexdigest()}  {e.path}" for e in entries]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _written_by_us(folder):
    """The files a previous build wrote there, or raise if the folder holds anything else."""
    sums = os.path.join(folder, SUMS)
    present = []
    for dirpath, _dirs, files in os.walk(folder):
        for f in files:
            present.append(os.path.relpath(os.path.join(dirpath, f), folder).replace(os.sep, "/"))
    if not present:
        return []
    if not os.path.exists(sums):
        raise BundleError(
            f"{folder} exists and was not written by this tool (no {SUMS}): "
            "choose another --out or move it away"
        )
    with open(sums, encoding="utf-8") as handle:
        listed = {line.split("  ", 1)[1] for line in handle.read().splitlines() if "  " in line}
    foreign = sorted(p for p in present if p not in listed and p != SUMS)
    if foreign:
        raise BundleError(
            f"{folder} holds {foreign[0]}, which this tool did not write: "
            "move it away or choose another --out"
        )
    return present


def build(out=DEFAULT_OUT, recipes=None):
    """Write the bundle folder and ``<folder>.zip``; returns {'folder', 'zip', 'files'}."""
    out = os.path.abspath(out)
    entries = plan(recipes)
    sums = _checksums(entries)
    old = _written_by_us(out) if os.path.isdir(out) else []
    if os.path.exists(out) and not os.path.isdir(out):
        raise BundleError(f"{out} exists and is not a folder")
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".srs_bundle-", dir=parent)
    zip_tmp = out + ".zip.tmp"
    try:
        for entry in entries + [Entry(SUMS, sums)]:
            path = os.path.join(staging, *entry.path.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(entry.data)
        with zipfile.ZipFile(zip_tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for entry in entries + [Entry(SUMS, sums)]:
                info = zipfile.ZipInfo("srs_bundle/" + entry.path, date_time=ZIP_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, entry.data, compresslevel=9)
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        if os.path.exists(zip_tmp):
            os.unlink(zip_tmp)
        raise
    for rel in old:  # only files a previous build listed in its SHA256SUMS
        os.unlink(os.path.join(out, *rel.split("/")))
    if os.path.isdir(out):
        for dirpath, _dirs, _files in sorted(os.walk(out), key=lambda w: -len(w[0])):
            if not os.listdir(dirpath):
                os.rmdir(dirpath)
    if os.path.isdir(out):
        raise BundleError(f"{out} could not be emptied")
    os.replace(staging, out)
    os.replace(zip_tmp, out + ".zip")
    return {"folder": out, "zip": out + ".zip", "files": len(entries) + 1}


def readme(recipes):
    """The bundle's README: what to request, where the files go, what to change."""
    from cookbook.bundle_readme import render

    return render(recipes)
