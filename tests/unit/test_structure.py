"""The shape of src/leokit: no import cycles, no private names imported across modules, no
module over 850 lines (the declarative registry aside), dependencies one way, and the
SRS-bound modules named as such. The checker itself is tested on planted packages first."""

import ast
import os
import textwrap

import pytest
from support.structure import (
    cycles,
    import_graph,
    line_counts,
    loaded_with,
    modules_of,
    private_imports,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "src", "leokit")
MAX_LINES = 850
#: declarative data, one entry per view: long by nature, and split by view it would not read
#: better
LONG_ALLOWED = {"leokit.schema.views"}
#: packages whose modules say in their docstrings whether they are SRS-bound
SRS_PACKAGES = ["leokit.extract", "leokit.derive"]


def plant(root, files):
    """Write a package `pkg` under `root`: {relative path: source}."""
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return modules_of(str(root / "pkg"), "pkg")


# ------------------------------------------------------------------------------ the checker
def test_checker_finds_a_planted_cycle(tmp_path):
    mods = plant(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg.b import thing\n",
            "b.py": "def thing():\n    from pkg import c\n",  # a lazy import closes it
            "c.py": "import pkg.a\n",
            "d.py": "from pkg.a import thing\n",  # on no cycle: not reported
        },
    )
    assert cycles(import_graph(mods)) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    # only module-level imports: the lazy one is not followed
    assert cycles(import_graph(mods, top_level=True)) == []


def test_checker_finds_relative_cycles_and_a_package_importing_itself(tmp_path):
    mods = plant(
        tmp_path,
        {
            "__init__.py": "from .core import run\n",
            "core.py": "from . import helpers\n\ndef run():\n    pass\n",
            "helpers.py": "from pkg import run\n",  # back through the package's __init__
            "sub/__init__.py": "",
            "sub/x.py": "from ..sub import y\n",
            "sub/y.py": "from .x import z\n",
        },
    )
    assert cycles(import_graph(mods)) == [
        ["pkg", "pkg.core", "pkg.helpers", "pkg"],
        ["pkg.sub.x", "pkg.sub.y", "pkg.sub.x"],
    ]


def test_checker_accepts_a_package_that_reexports_its_modules(tmp_path):
    mods = plant(
        tmp_path,
        {
            "__init__.py": "from pkg.core import run\nfrom pkg.base import Error\n",
            "base.py": "class Error(Exception):\n    pass\n",
            "core.py": "from pkg.base import Error\n\ndef run():\n    raise Error()\n",
        },
    )
    graph = import_graph(mods)
    assert graph["pkg"] == {"pkg.core", "pkg.base"} and graph["pkg.core"] == {"pkg.base"}
    assert cycles(graph) == []


def test_checker_finds_planted_private_imports(tmp_path):
    mods = plant(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "_SECRET = 1\n__version__ = '1'\n\ndef _helper():\n    return _SECRET\n",
            "b.py": "from pkg.a import _helper, __version__\n",
            "c.py": "from .a import _SECRET as S\n",
            "d.py": "import pkg.a as a\n\nx = a._helper()\ny = a.__version__\n",
            "e.py": "from pkg import a\n\nz = a._SECRET\n",
            "_private.py": "",
            "f.py": "import pkg._private\n",
            "g.py": "import os\n\nw = os._exit\n",  # not ours: not reported
        },
    )
    found = [(os.path.basename(path), text) for path, _, text in private_imports(mods)]
    assert found == [
        ("b.py", "from pkg.a import _helper"),
        ("c.py", "from pkg.a import _SECRET"),
        ("d.py", "pkg.a._helper"),
        ("e.py", "pkg.a._SECRET"),
        ("f.py", "import pkg._private"),
    ]


def test_checker_counts_lines_and_what_loads_with_a_module(tmp_path):
    mods = plant(
        tmp_path,
        {
            "__init__.py": "from pkg import light\n",
            "light.py": "import os\n" * 3 + "def f():\n    from pkg import heavy\n",
            "heavy.py": "x = 1\n" * 900,
        },
    )
    assert line_counts(mods) == {"pkg": 1, "pkg.light": 5, "pkg.heavy": 900}
    assert loaded_with(import_graph(mods, top_level=True), "pkg.light") == {"pkg", "pkg.light"}


# ------------------------------------------------------------------------------ src/leokit
@pytest.fixture(scope="module")
def leokit_modules():
    mods = modules_of(SRC, "leokit")
    assert {"leokit.extract", "leokit.extract.core", "leokit.derive", "leokit.sdc"} <= set(mods)
    return mods


def test_no_import_cycles(leokit_modules):
    found = cycles(import_graph(leokit_modules))
    assert found == [], "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_no_private_names_imported_across_modules(leokit_modules):
    found = private_imports(leokit_modules)
    assert found == [], "private names imported: " + "; ".join(
        f"{os.path.relpath(p, ROOT)}:{line}: {text}" for p, line, text in found
    )


def test_no_module_over_850_lines(leokit_modules):
    counts = line_counts(leokit_modules)
    long = sorted(
        f"{m} ({n} lines)" for m, n in counts.items() if n > MAX_LINES and m not in LONG_ALLOWED
    )
    assert long == [], f"modules over {MAX_LINES} lines (split them by job): {', '.join(long)}"
    assert all(m in counts for m in LONG_ALLOWED)


def test_dependencies_run_one_way(leokit_modules):
    """The registry knows nothing of the rest; what a researcher copies into the SRS never
    needs the generator (DESIGN: schema <- synth; schema <- extract, derive, sdc, tax)."""
    graph = import_graph(leokit_modules)

    def within(m, package):
        return m == package or m.startswith(package + ".")

    bad = []
    for m, deps in graph.items():
        for d in deps:
            if within(m, "leokit.schema") and not within(d, "leokit.schema"):
                bad.append(f"{m} -> {d}")
            srs = any(within(m, p) for p in SRS_PACKAGES + ["leokit.sdc", "leokit.tax"])
            if srs and within(d, "leokit.synth"):
                bad.append(f"{m} -> {d}")
    assert bad == [], "imports against the design's direction: " + ", ".join(sorted(bad))


def _docstring(path):
    with open(path, encoding="utf-8") as f:
        return ast.get_docstring(ast.parse(f.read())) or ""


def _srs_modules():
    """SRS_MODULES of tests/environment/test_srs_profile.py (what the bundle copies)."""
    path = os.path.join(ROOT, "tests", "environment", "test_srs_profile.py")
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SRS_MODULES":
            return ast.literal_eval(node.value)
    raise AssertionError("test_srs_profile.py defines no SRS_MODULES")


@pytest.mark.parametrize("package", SRS_PACKAGES)
def test_srs_bound_modules_say_so(leokit_modules, package):
    """What `import <package>` loads is SRS-bound and says so in its docstring; the modules
    it does not load (leokit.extract.writer, leokit.extract.validate) say they are not. The
    SRS profile test lists every loaded one, so each is imported there on Python 3.7."""
    loaded = loaded_with(import_graph(leokit_modules, top_level=True), package)
    ours = [m for m in leokit_modules if m == package or m.startswith(package + ".")]
    wrong = []
    for m in ours:
        doc = _docstring(leokit_modules[m])
        says_not = "not SRS-bound" in doc
        says_bound = "SRS-bound" in doc.replace("not SRS-bound", "")
        if m == package:
            continue  # the package's docstring describes the whole layout
        if m in loaded and (says_not or not says_bound):
            wrong.append(f"{m} loads with {package} but its docstring does not say SRS-bound")
        if m not in loaded and not says_not:
            wrong.append(
                f"{m} does not load with {package}: its docstring should say not SRS-bound"
            )
    assert wrong == [], "; ".join(wrong)
    listed = set(_srs_modules())
    missing = sorted(m for m in loaded if m in ours and m not in listed)
    assert missing == [], f"SRS_MODULES (tests/environment/test_srs_profile.py) lacks {missing}"
