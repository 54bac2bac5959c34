"""Recipe pages: front matter, sections and code blocks.

    from cookbook.pages import Recipe, discover
    page = Recipe("recipes/time/build_earnings_panel.md")
    page.meta["views"], page.blocks_of("stata"), page.expected["result"]

A page is ``recipes/<topic>/<verb_object>.md``: YAML front matter between ``---`` lines, a
``# title``, then ``## `` sections (``REQUIRED_SECTIONS``) holding fenced code blocks. Fence
options follow the language as ``key=value``: ``srs=no`` marks a Python block not meant for
the SRS, ``output=a,b`` names the expected tables a block prints.
"""

import os
import re

from cookbook.expected import expected_tables

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TOOLS)
RECIPES = os.path.join(ROOT, "recipes")
INDEX = os.path.join(RECIPES, "README.md")
TEMPLATE = os.path.join(RECIPES, "_template.md")
EXTRACT = os.path.join(ROOT, "data_synthetic")
DATA_DIR = "data_csv"  # what the blocks read, relative to their working directory

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
#: needs: what Python blocks need beyond the SRS; same_as_derive: leokit.derive functions the
#: page reproduces; stata_packages: SSC packages the Stata blocks use (each with a built-in
#: fallback, requested into the SRS as .ado files)
OPTIONAL_FRONT_MATTER = {"needs": list, "same_as_derive": list, "stata_packages": list}
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
#: what each runtime executes: Python on the current stack, Python on the SRS profile, R
RUNTIMES = ("python", "srs", "r")

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
        self.expected = expected_tables(self.sections.get("Expected output", ""))

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
