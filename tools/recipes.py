"""The cookbook's machinery: read recipe pages, check their anatomy, run their code blocks,
compare what they print with their **Expected output**, and write the index.

    python tools/recipes.py data                    # data_csv/: CSV copy of data_synthetic/
    python tools/recipes.py run PAGE [--runtime python,srs,r]
    python tools/recipes.py expected PAGE [--write] # Expected output from the first Python block
    python tools/recipes.py check                   # anatomy of every page
    python tools/recipes.py index                   # rewrite recipes/README.md from front matter

A page is ``recipes/<topic>/<verb_object>.md``: YAML front matter, then the sections of
``REQUIRED_SECTIONS``. Python and R blocks print their result as CSV tables (one or more,
separated by a blank line) and nothing else; the tests parse that and compare it with the
Markdown tables under **Expected output** (numbers to the precision shown there). Blocks run
with the working directory holding ``data_csv/`` (the extract as CSV) and ``recipes/``, which
is how a reader runs them from the repository root after ``make recipe-data``.

Fence options (after the language, ``key=value``): ``srs=no`` a Python block not meant for
the SRS (e.g. it needs linearmodels); ``output=a,b`` the names of the expected tables the
block prints (default: all of them, in order).
"""

import argparse
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from decimal import Decimal, InvalidOperation

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = os.path.join(ROOT, "recipes")
INDEX = os.path.join(RECIPES, "README.md")
TEMPLATE = os.path.join(RECIPES, "_template.md")
EXTRACT = os.path.join(ROOT, "data_synthetic")
DATA_DIR = "data_csv"  # what the blocks read, relative to their working directory
SRS_PYTHON = os.path.join(ROOT, ".srs-venv", "bin", "python")

FRONT_MATTER = {
    "title": str,
    "task": str,
    "topic": str,
    "kind": str,
    "tags": list,
    "views": list,
    "languages": list,
    "srs_ready": bool,
}
OPTIONAL_FRONT_MATTER = {"needs": list, "same_as_derive": list}
KINDS = ("data preparation", "analysis", "output")
LANGUAGES = ("python", "r", "stata", "sql")
TOPICS = {
    "linking": "Linking people across datasets",
    "time": "Time: tax years, academic years, panels and spells",
    "outcomes": "DfE outcome measures",
    "characteristics": "Pupil and applicant characteristics",
    "ucas": "UCAS applications",
    "idbr": "Employers (IDBR)",
    "estimation": "Estimation",
    "output": "Output checking",
    "scale": "Working at scale",
}
#: Section headings (text before any " (") in the order they must appear. SQL is required
#: for data preparation and allowed elsewhere.
REQUIRED_SECTIONS = [
    "Goal",
    "Keep in mind",
    "Python",
    "R",
    "Stata",
    "SQL",
    "Expected output",
    "Known differences",
    "In the SRS",
    "Also consider",
]
CODE_SECTION = {"python": "Python", "r": "R", "stata": "Stata", "sql": "SQL"}
RUNTIMES = ("python", "srs", "r")
RUNTIME_LABEL = {
    "python": "Python (current stack)",
    "srs": "Python (SRS profile: 3.7, pandas 1.0.1, statsmodels 0.11.0)",
    "r": "R (Rscript)",
}


#: what an SQL heading says when leokit.sql runs its block in the tests (DuckDB and Spark)
SQL_EXECUTED = "executed in the tests"


def sql_executed(recipe):
    """Is the page's T-SQL run by tests/recipes/test_recipes_sql.py and test_recipes_spark.py?"""
    return any(k == "SQL" and SQL_EXECUTED in h for k, h, _line in recipe.headings)


class RecipeError(Exception):
    """A page cannot be read at all."""


# ---------------------------------------------------------------------------------------------
# reading a page


class Block:
    def __init__(self, lang, options, code, section, line, number):
        self.lang = lang
        self.options = options
        self.code = code
        self.section = section
        self.line = line
        self.number = number  # 1-based among the page's blocks of this language

    @property
    def srs(self):
        return self.options.get("srs", "yes") != "no"

    def outputs(self, expected_names):
        wanted = self.options.get("output")
        if not wanted:
            return list(expected_names)
        return [w.strip() for w in wanted.split(",") if w.strip()]

    def label(self):
        return f"{self.lang} block {self.number} (line {self.line})"


class Recipe:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        folder = os.path.dirname(self.path)
        stem = os.path.basename(self.path)[: -len(".md")]
        if os.path.abspath(folder) == os.path.abspath(RECIPES):
            self.name = stem
        else:
            self.name = os.path.basename(folder) + "/" + stem
        with open(self.path, encoding="utf-8") as handle:
            self.text = handle.read()
        self.meta, body, self.body_line = _split_front_matter(self.text, self.name)
        self.title, self.sections, self.headings, self.blocks, self.subheadings = _parse_body(
            body, self.body_line
        )
        self.expected = _expected_tables(self)

    def __repr__(self):
        return f"<Recipe {self.name}>"

    def blocks_of(self, lang):
        return [b for b in self.blocks if b.lang == lang]

    def runnable(self, runtime):
        """Blocks this runtime executes."""
        if runtime == "python":
            return self.blocks_of("python")
        if runtime == "srs":
            if not self.meta.get("srs_ready"):
                return []
            return [b for b in self.blocks_of("python") if b.srs]
        if runtime == "r":
            return self.blocks_of("r")
        raise ValueError(f"unknown runtime {runtime!r}: expected one of {RUNTIMES}")


def _split_front_matter(text, name):
    import yaml

    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise RecipeError(f"{name}: the page must start with YAML front matter between '---' lines")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise RecipeError(f"{name}: front matter is not closed by a '---' line") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise RecipeError(f"{name}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise RecipeError(f"{name}: front matter must be a mapping of keys to values")
    return meta, "\n".join(lines[end + 1 :]), end + 2


_FENCE = re.compile(r"^```\s*([A-Za-z0-9_+-]*)\s*(.*?)\s*$")


def _parse_options(text):
    options = {}
    for part in text.split():
        if "=" in part:
            k, v = part.split("=", 1)
            options[k.strip()] = v.strip()
        else:
            options[part.strip()] = "yes"
    return options


def _section_key(heading):
    return heading.split(" (")[0].strip()


def _parse_body(body, first_line):
    title = None
    sections = {}
    headings = []
    subheadings = []
    blocks = []
    counts = {}
    current = None
    fence = None
    lines = body.split("\n")
    for offset, line in enumerate(lines):
        lineno = first_line + offset
        if fence is not None:
            if line.strip() == "```":
                lang, options, start, code = fence
                counts[lang] = counts.get(lang, 0) + 1
                blocks.append(
                    Block(lang, options, "\n".join(code) + "\n", current, start, counts[lang])
                )
                fence = None
            else:
                fence[3].append(line)
            continue
        match = _FENCE.match(line)
        if match:
            fence = (match.group(1).lower(), _parse_options(match.group(2)), lineno, [])
            if current is not None:
                sections[current].append(line)
            continue
        if line.startswith("# ") and title is None:
            title = line[2:].strip()
            continue
        if line.startswith("## "):
            heading = line[3:].strip()
            current = _section_key(heading)
            headings.append((current, heading, lineno))
            sections.setdefault(current, [])
            continue
        if line.startswith("### ") and current is not None:
            subheadings.append((current, line[4:].strip(), lineno))
        if current is not None:
            sections[current].append(line)
    if fence is not None:
        raise RecipeError(f"a code block opened at line {fence[2]} is never closed")
    return (
        title,
        {k: "\n".join(v).strip() for k, v in sections.items()},
        headings,
        blocks,
        subheadings,
    )


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


def _expected_tables(recipe):
    """{name: (header, rows)} in page order; a single unnamed table is called 'result'."""
    text = recipe.sections.get("Expected output", "")
    found = _markdown_tables(text)
    out = {}
    for i, (name, header, rows) in enumerate(found):
        key = name if name else ("result" if len(found) == 1 else f"table {i + 1}")
        out[key] = (header, rows)
    return out


def discover(root=None):
    """Every recipe page under ``root`` (default recipes/): <topic>/<name>.md, sorted."""
    root = root or RECIPES
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            if (
                f.endswith(".md")
                and not f.startswith("_")
                and f != "README.md"
                and os.path.abspath(dirpath) != os.path.abspath(root)
            ):
                found.append(os.path.join(dirpath, f))
    return sorted(found)


def load_all(root=None):
    return [Recipe(p) for p in discover(root)]


# ---------------------------------------------------------------------------------------------
# anatomy


def extract_views():
    """Concrete view names of the committed extract (lower case)."""
    names = set()
    for f in os.listdir(EXTRACT):
        if f.endswith(".parquet"):
            names.add(f[: -len(".parquet")].lower())
    return names


def expand_views(views, available=None):
    """Concrete views for front-matter names; 'hesa_YYYY' means every hesa_<year> view."""
    available = extract_views() if available is None else available
    out = []
    for v in views:
        v = str(v).lower()
        if v.endswith("_yyyy"):
            stem = v[: -len("yyyy")]
            out.extend(sorted(a for a in available if re.fullmatch(re.escape(stem) + r"\d{4}", a)))
        else:
            out.append(v)
    return out


def problems(recipe, available=None):
    """What is wrong with a page's anatomy (empty list if nothing)."""
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
    if out:
        return out
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
    # sections, in order
    wanted = [s for s in REQUIRED_SECTIONS if s != "SQL"]
    if meta["kind"] == "data preparation" or recipe.blocks_of("sql"):
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
    # blocks
    for b in recipe.blocks:
        if b.lang in CODE_SECTION and b.section != CODE_SECTION[b.lang]:
            out.append(f"{b.label()} is under '## {b.section}', not '## {CODE_SECTION[b.lang]}'")
        if b.lang == "python" and re.search(r"^\s*(import|from)\s+leokit\b", b.code, re.M):
            if "leokit" not in meta["tags"]:
                out.append(
                    f"{b.label()} imports leokit: recipes are self-contained; tag the page "
                    "'leokit' if it is about leokit"
                )
    stata = recipe.blocks_of("stata")
    for b in stata:
        first = b.code.strip().split("\n")[0]
        if not (first.startswith("*") and "not executed" in first.lower()):
            out.append(f"{b.label()} must open with a '* ... not executed here' comment")
    # srs
    py = recipe.blocks_of("python")
    if meta["srs_ready"] and py and not any(b.srs for b in py):
        out.append("srs_ready is true but every Python block is marked srs=no")
    if not meta["srs_ready"] and not meta.get("needs"):
        out.append("srs_ready is false: say in 'needs' what the Python needs beyond the SRS")
    if any(not b.srs for b in py) and not meta.get("needs"):
        out.append("a block is marked srs=no: say in 'needs' what it needs beyond the SRS")
    # expected output
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
    # views
    available = extract_views() if available is None else available
    for v in meta["views"]:
        concrete = expand_views([v], available)
        if not concrete or any(c not in available for c in concrete):
            out.append(f"view {v!r} is not in the extract")
            continue
        stem = str(v).lower()[:-5] if str(v).lower().endswith("_yyyy") else str(v).lower()
        code = "".join(b.code.lower() for b in py)
        if stem not in code:
            out.append(f"view {v!r} is listed but no Python block reads it")
    # links
    for target in re.findall(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)", recipe.text):
        if "://" in target:
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(recipe.path), target))
        if not os.path.exists(path):
            out.append(f"link {target!r} points to a missing file")
    for d in meta.get("same_as_derive", []) or []:
        import importlib

        derive = importlib.import_module("leokit.derive")
        if not hasattr(derive, d):
            out.append(f"same_as_derive names {d!r}, which leokit.derive does not have")
    return out


# ---------------------------------------------------------------------------------------------
# running blocks


class Run:
    def __init__(self, recipe, block, runtime, returncode, stdout, stderr, seconds):
        self.recipe = recipe
        self.block = block
        self.runtime = runtime
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    def where(self):
        return f"recipe {self.recipe}: {self.block.label()} on {RUNTIME_LABEL[self.runtime]}"

    def failure(self):
        """'' if it ran; otherwise a message naming the recipe, block and runtime."""
        if self.returncode == 0:
            return ""
        tail = "\n".join((self.stderr or "").strip().split("\n")[-25:])
        return f"{self.where()} failed (exit {self.returncode}):\n{tail}"

    def noise(self):
        """What a Python block wrote to stderr (warnings): it should write nothing. R blocks
        may (package start-up messages go there)."""
        if self.runtime == "r" or self.returncode != 0:
            return ""
        text = (self.stderr or "").strip()
        return f"{self.where()} wrote to stderr (a warning?):\n{text[-3000:]}" if text else ""

    def as_dict(self):
        return {
            "returncode": self.returncode,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "seconds": self.seconds,
        }


def block_env():
    env = dict(os.environ)
    for name in ("PYTHONHOME", "PYTEST_ADDOPTS", "VIRTUAL_ENV", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.path.join(ROOT, "src")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    env["MPLBACKEND"] = "Agg"
    env["LC_ALL"] = "C.UTF-8"
    return env


def command(runtime, script):
    if runtime == "python":
        return [sys.executable, script]
    if runtime == "srs":
        return [SRS_PYTHON, script]
    if runtime == "r":
        return ["Rscript", "--vanilla", script]
    raise ValueError(f"unknown runtime {runtime!r}")


def run_block(recipe, block, runtime, workdir, timeout=600):
    """Run one block with ``workdir`` as the working directory; returns a Run."""
    suffix = ".R" if runtime == "r" else ".py"
    handle, script = tempfile.mkstemp(prefix="recipe-", suffix=suffix)
    with os.fdopen(handle, "w", encoding="utf-8") as f:
        f.write(block.code)
    started = time.time()
    try:
        out = subprocess.run(
            command(runtime, script),
            cwd=workdir,
            env=block_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        code, stdout, stderr = out.returncode, out.stdout, out.stderr
    except subprocess.TimeoutExpired as exc:
        code, stdout, stderr = -9, exc.stdout or "", f"timed out after {timeout} s"
    finally:
        os.unlink(script)
    name = recipe.name if isinstance(recipe, Recipe) else str(recipe)
    return Run(name, block, runtime, code, stdout, stderr, time.time() - started)


def prepare_workdir(workdir, data_dir=None):
    """A working directory as the blocks expect it: data_csv/ and recipes/ (links)."""
    os.makedirs(workdir, exist_ok=True)
    links = {"recipes": RECIPES}
    if data_dir is not None:
        links[DATA_DIR] = data_dir
    for name, target in links.items():
        path = os.path.join(workdir, name)
        if not os.path.lexists(path) and os.path.abspath(target) != os.path.abspath(path):
            os.symlink(target, path)
    return workdir


class _Lock:
    """Inter-process lock (pytest-xdist workers share the work directory and the cache)."""

    def __init__(self, path):
        self.path = path
        self.handle = None

    def __enter__(self):
        self.handle = open(self.path, "w")
        try:
            import fcntl

            fcntl.flock(self.handle, fcntl.LOCK_EX)
        except ImportError:  # no fcntl (Windows): run unlocked
            pass
        return self

    def __exit__(self, *exc):
        self.handle.close()


def ensure_workdir(root, recipes=None):
    """``root``/work with data_csv/ (the views the recipes read, written once) and a link to
    recipes/; safe to call from several processes at once. Returns the work directory."""
    os.makedirs(root, exist_ok=True)
    work = os.path.join(root, "work")
    data = os.path.join(root, "data_csv")
    with _Lock(os.path.join(root, ".data.lock")):
        if not os.path.exists(os.path.join(data, "manifest.json")):
            views = views_needed(recipes if recipes is not None else load_all())
            export_csv(data, views)
        prepare_workdir(work, data)
    return work


def cached_run(recipe, block, runtime, workdir, cache_dir):
    """``run_block`` once per (runtime, code) for all processes sharing ``cache_dir``."""
    import hashlib

    os.makedirs(cache_dir, exist_ok=True)
    key = hashlib.sha1((runtime + "\0" + block.code).encode("utf-8")).hexdigest()
    path = os.path.join(cache_dir, key + ".json")
    with _Lock(path + ".lock"):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            return Run(recipe.name, block, runtime, d["returncode"], d["stdout"], d["stderr"], 0.0)
        run = run_block(recipe, block, runtime, workdir)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(run.as_dict(), f)
        return run


def check_run(recipe, run):
    """Every problem with one run: failure, warnings, or a difference from Expected output."""
    msg = run.failure() or run.noise()
    if msg:
        return [msg]
    names = run.block.outputs(recipe.expected)
    diffs = compare_with_expected(parse_printed(run.stdout), recipe.expected, names)
    return [f"{run.where()}: {d}" for d in diffs]


# ---------------------------------------------------------------------------------------------
# printed tables


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


# ---------------------------------------------------------------------------------------------
# data and index


def export_csv(out, views=None, source=EXTRACT):
    """Write the committed extract (or the named views) as CSV into ``out``, in the format of
    ``leokit synth --format csv``; returns the manifest (checksums equal the Parquet ones)."""
    sys.path.insert(0, os.path.join(ROOT, "src"))
    import leokit.extract as lx
    from leokit.synth.writers import write_extract

    ex = lx.open_extract(source)
    names = ex.views() if views is None else views
    tables = {v: ex.read(v) for v in names}
    return write_extract(tables, out, fmt="csv")


def views_needed(recipes):
    names = set()
    available = extract_views()
    for r in recipes:
        names.update(expand_views(r.meta.get("views", []), available))
    return sorted(names)


def _yes(value):
    return "yes" if value else "no"


def render_index(recipes):
    lines = [
        "# The LEO cookbook",
        "",
        "<!-- Generated by `python tools/recipes.py index` from each page's front matter; "
        "tests/recipes/test_recipes.py checks it is up to date. Do not edit by hand. -->",
        "",
        "One task per page, in Python, R and Stata side by side (and T-SQL for data "
        "preparation). Every Python and R block is run by the tests against the synthetic "
        "extract and its printed result compared with the page's **Expected output**; Python "
        "blocks marked SRS-ready also run under the SRS profile (Python 3.7, pandas 1.0.1, "
        "numpy 1.18.1, statsmodels 0.11.0). Stata blocks are not executed here; T-SQL "
        "blocks whose heading says they are executed in the tests are translated by "
        "`leokit.sql` and run in DuckDB and Spark, and each result set is compared with the "
        "Python block's table (marked *SQL (tested)* below).",
        "",
        "**Running a recipe.** From the repository root, `make recipe-data` writes `data_csv/`, "
        "the synthetic extract as CSV (the format Python 3.7, R and Stata all read without "
        "extra packages); then paste a block into Python or R, or run "
        "`python tools/recipes.py run recipes/<topic>/<page>.md`. In the SRS, replace the "
        "`read_csv`/`fread` lines with a query on the real views (each page's **In the SRS** says how).",
        "",
        "**Adding a recipe** is one file: copy [`_template.md`](_template.md) and see "
        "[CONTRIBUTING](../CONTRIBUTING.md#adding-a-recipe).",
        "",
    ]
    by_topic = {}
    for r in recipes:
        by_topic.setdefault(r.meta["topic"], []).append(r)
    lines.append(
        f"{len(recipes)} recipes. SRS ready: the Python runs as is on the SRS's Python 3.7 "
        '("partly": one of its Python blocks needs a package the SRS lacks).'
    )
    lines.append("")
    for topic, heading in TOPICS.items():
        pages = by_topic.get(topic)
        if not pages:
            continue
        lines += [f"## {heading}", ""]
        lines.append("| recipe | task | views | languages | SRS ready |")
        lines.append("|---|---|---|---|---|")
        for r in sorted(pages, key=lambda p: p.name):
            m = r.meta
            rel = r.name.split("/", 1)[1] + ".md"
            views = ", ".join(f"`{v}`" for v in m["views"]) or "none"
            langs = ", ".join(
                {"python": "Python", "r": "R", "stata": "Stata", "sql": "SQL"}[x]
                for x in LANGUAGES
                if x in [str(y).lower() for y in m["languages"]]
            )
            if sql_executed(r):
                langs = langs.replace("SQL", "SQL (tested)")
            py = r.blocks_of("python")
            srs = "no"
            if m["srs_ready"]:
                srs = "yes" if all(b.srs for b in py) else "partly"
            lines.append(
                f"| [{m['title']}]({topic}/{rel}) | {m['task']} | {views} | {langs} | {srs} |"
            )
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# command line


def _workdir():
    data = os.path.join(ROOT, DATA_DIR)
    if not os.path.isdir(data):
        raise SystemExit(
            f"{data} is missing: run `python tools/recipes.py data` (make recipe-data) first"
        )
    return ROOT


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
    sub.add_parser("check", help="anatomy of every page")
    sub.add_parser("index", help="rewrite recipes/README.md")
    ns = parser.parse_args(argv)
    if ns.command == "data":
        views = None if ns.all else views_needed(load_all())
        manifest = export_csv(ns.out, views)
        print(f"wrote {len(manifest['tables'])} views as CSV to {ns.out}")
        return 0
    if ns.command == "index":
        with open(INDEX, "w", encoding="utf-8") as f:
            f.write(render_index(load_all()))
        print(f"wrote {INDEX}")
        return 0
    if ns.command == "check":
        bad = 0
        for rec in load_all() + [Recipe(TEMPLATE)]:
            for p in problems(rec):
                bad += 1
                print(f"{rec.name}: {p}")
        print("ok" if not bad else f"{bad} problem(s)")
        return 1 if bad else 0
    if ns.command == "run":
        status = 0
        workdir = _workdir()
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
    if ns.command == "expected":
        rec = Recipe(ns.page)
        workdir = _workdir()
        found = {}  # expected table name -> (header, rows), from the first block printing it
        order = list(rec.expected) or ["result"]
        for block in rec.blocks_of("python"):
            names = block.outputs(rec.expected) if rec.expected else []
            if names and all(n in found for n in names):
                continue
            run = run_block(rec, block, "python", workdir)
            if run.returncode:
                print(run.failure())
                return 1
            printed = parse_printed(run.stdout)
            if not names:
                names = (
                    ["result"]
                    if len(printed) == 1
                    else [f"table {i + 1}" for i in range(len(printed))]
                )
                order = names
            if len(names) != len(printed):
                print(f"{block.label()} printed {len(printed)} tables for {names}")
                return 1
            for name, table in zip(names, printed):
                found.setdefault(name, table)
        missing = [n for n in order if n not in found]
        if missing:
            print(f"no Python block prints {missing}")
            return 1
        parts = []
        for name in order:
            table = markdown_table(*found[name])
            parts.append(table if len(order) == 1 else f"### {name}\n\n{table}")
        rendered = "\n\n".join(parts)
        if ns.write:
            _write_expected(rec, rendered)
            print(f"wrote Expected output of {rec.name}")
        else:
            print(rendered)
        return 0
    parser.print_help()
    return 1


def _write_expected(rec, rendered):
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


if __name__ == "__main__":
    sys.exit(main())
