"""Lecture-like notebooks: short code cells, each after a sentence of prose.

    from support.lecture import cell_problems
    assert not cell_problems("notebooks/01_returns_to_he_application_choices.py")

Reads the jupytext percent source. A code cell may have at most ``max_lines`` lines (blank
lines and comments included: they are read too), and must follow a Markdown cell, or a code
cell tagged ``parameters`` or ``solution`` (an exercise's empty cell and its solution follow
the prompt) or the empty cell of an exercise.
"""

import re
from pathlib import Path

_CELL = re.compile(r"^# %%(.*)$", re.M)


def cells(path):
    """[(kind, tags, lines)] of a py:percent notebook, the header skipped."""
    text = Path(path).read_text()
    marks = list(_CELL.finditer(text))
    out = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = text[m.end() + 1 : end].rstrip("\n").split("\n")
        head = m.group(1)
        kind = "markdown" if "[markdown]" in head else "code"
        tags = re.findall(r'"(\w[\w-]*)"', head.split("tags=")[1]) if "tags=" in head else []
        out.append((kind, tags, [] if body == [""] else body))
    return out


def cell_problems(path, max_lines=25):
    """Each code cell that is too long or has no prose before it."""
    found = []
    previous = None
    for i, (kind, tags, lines) in enumerate(cells(path)):
        if kind == "code":
            first = next((ln for ln in lines if ln.strip()), "")
            label = f"cell {i} ({first.strip()[:40]!r})"
            if len(lines) > max_lines:
                found.append(f"{label}: {len(lines)} lines (at most {max_lines})")
            allowed = previous is not None and (
                previous[0] == "markdown"
                or "solution" in tags
                or (previous[0] == "code" and not previous[2])  # an exercise's empty cell
                or "parameters" in previous[1]
            )
            if not allowed and lines:
                found.append(f"{label}: no sentence before it")
        previous = (kind, tags, lines)
    return found
