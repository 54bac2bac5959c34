"""Check a notebook's parameters before anything runs.

papermill only warns about a parameter the notebook does not have and injects it anyway, so
a misspelt ``outcome_age`` would silently leave the default in place. Each notebook declares
its parameters once, as a ``dict`` of ``Param``, and its first code cell after the parameters
calls ``check(globals(), SPEC)``. Every problem (unknown name, wrong type, value not allowed,
out of range) is collected and raised as one ``ParameterError`` naming each parameter and what
was expected.

Checks that need more than one parameter, or the extract, return lists of problems that
``refuse`` raises together: ``folder_problems`` (output_dir and work_dir can be created and
written, work_dir is not inside output_dir, neither is the extract folder), ``pair_problems``
([first, last] ranges), ``duplicate_problems``. Nothing here writes anything.
"""

import difflib
import numbers
import os
import types

__all__ = [
    "Param",
    "ParameterError",
    "check",
    "refuse",
    "folder_problems",
    "pair_problems",
    "duplicate_problems",
]

# Names a kernel or a script defines that are not parameters.
_NOT_PARAMETERS = {"In", "Out", "get_ipython", "exit", "quit", "open"}


class ParameterError(ValueError):
    """One or more notebook parameters are unknown or have a value that is not allowed."""


class Param:
    """What one parameter may be.

    kind      a type or tuple of types (bool is not accepted where int is asked for)
    choices   allowed values
    between   (low, high), inclusive; either may be None
    each      for a list: the Param every element must satisfy
    nonempty  for a list or str: refuse an empty one
    none_ok   None is allowed as well
    help      one line shown in the error message
    """

    def __init__(
        self, kind, choices=None, between=None, each=None, nonempty=False, none_ok=False, help=""
    ):
        self.kind = kind if isinstance(kind, tuple) else (kind,)
        self.choices = None if choices is None else list(choices)
        self.between = between
        self.each = each
        self.nonempty = nonempty
        self.none_ok = none_ok
        self.help = help

    def _kind_ok(self, value):
        if isinstance(value, bool) and bool not in self.kind:
            return False
        if float in self.kind and isinstance(value, numbers.Real) and not isinstance(value, bool):
            return True
        return isinstance(value, self.kind)

    def problems(self, name, value):
        if value is None:
            return [] if self.none_ok else [f"{name} is None; expected {self._expected()}"]
        if not self._kind_ok(value):
            return [
                f"{name} = {value!r} has type {type(value).__name__}; expected {self._expected()}"
            ]
        out = []
        if self.choices is not None and value not in self.choices:
            close = difflib.get_close_matches(str(value), [str(c) for c in self.choices], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(f"{name} = {value!r} is not one of {self.choices}{hint}")
        if self.between is not None:
            low, high = self.between
            if (low is not None and value < low) or (high is not None and value > high):
                out.append(f"{name} = {value!r} is outside {_range_text(low, high)}")
        if self.nonempty and hasattr(value, "__len__") and len(value) == 0:
            out.append(f"{name} is empty; give at least one value")
        if self.each is not None:
            for i, item in enumerate(value):
                out += self.each.problems(f"{name}[{i}]", item)
        return out

    def _expected(self):
        names = " or ".join(_type_name(k) for k in self.kind)
        if self.each is not None:
            names += " of " + " or ".join(_type_name(k) for k in self.each.kind)
        if self.none_ok:
            names += " or None"
        return names + (f" ({self.help})" if self.help else "")


def _type_name(kind):
    return {str: "text", int: "an integer", float: "a number", bool: "True/False"}.get(
        kind, "a " + kind.__name__
    )


def _range_text(low, high):
    if low is None:
        return f"the allowed range (at most {high})"
    if high is None:
        return f"the allowed range (at least {low})"
    return f"the allowed range {low}..{high}"


def _user_names(namespace, spec):
    for name, value in namespace.items():
        if name.startswith("_") or name in _NOT_PARAMETERS or value is spec:
            continue
        if isinstance(value, (types.ModuleType, types.FunctionType, type)) or callable(value):
            continue
        yield name


def check(namespace, spec, notebook="this notebook"):
    """Check the parameters in ``namespace`` (a notebook's ``globals()``) against ``spec``.

    Call it right after the parameters cell, before any other assignment: every other plain
    value in the namespace is taken for a parameter, so a misspelt name passed with papermill
    ``-p`` is caught. Returns the parameters as a dict (for results.json); raises
    ``ParameterError`` listing every problem otherwise.
    """
    problems = []
    for name in _user_names(namespace, spec):
        if name not in spec:
            close = difflib.get_close_matches(name, list(spec), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{name!r} is not a parameter of {notebook}{hint}")
    for name, param in spec.items():
        if name not in namespace:
            problems.append(f"{name!r} is missing (the parameters cell must define it)")
            continue
        problems += param.problems(name, namespace[name])
    if problems:
        listing = ", ".join(spec) if any("not a parameter" in p for p in problems) else None
        refuse(notebook, problems, listing)
    return {name: namespace[name] for name in spec}


def refuse(notebook, problems, parameters=None):
    """Raise one ParameterError listing ``problems`` (each names its parameter), if any."""
    problems = [p for p in problems if p]
    if not problems:
        return
    if len(problems) == 1:
        text = f"bad parameter for {notebook}: {problems[0]}"
    else:
        text = f"bad parameters for {notebook}:\n  - " + "\n  - ".join(problems)
    if parameters:
        text += "\nParameters: " + parameters
    raise ParameterError(text)


def pair_problems(name, value, what="[first, last]"):
    """A [low, high] list: two values, low <= high."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return [f"{name} = {value!r}: give two values, {what}"]
    if value[0] > value[1]:
        return [f"{name} = {list(value)!r}: give {what} with the first <= the last"]
    return []


def duplicate_problems(name, values):
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    return [f"{name} = {list(values)!r} lists {seen[0]!r} twice"] if seen else []


def _nearest_existing(path):
    """The path itself or its closest ancestor that exists."""
    path = os.path.abspath(path)
    while not os.path.lexists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def _folder_problem(name, folder):
    if not isinstance(folder, str) or not folder.strip():
        return None  # the Param check reports it
    path = os.path.abspath(folder)
    if os.path.lexists(path):
        if not os.path.isdir(path):
            return f"{name} = {folder!r} is a file, not a folder"
        if not os.access(path, os.W_OK | os.X_OK):
            return f"{name} = {folder!r} is not writable (no permission)"
        return None
    base = _nearest_existing(path)
    if not os.path.isdir(base):
        return f"{name} = {folder!r} cannot be created: {base!r} is a file, not a folder"
    if not os.access(base, os.W_OK | os.X_OK):
        return f"{name} = {folder!r} cannot be created: no permission to write in {base!r}"
    return None


def _same_or_inside(child, parent):
    child, parent = os.path.realpath(child), os.path.realpath(parent)
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def folder_problems(output_dir, work_dir, extract=None):
    """Problems with the output folders, found before anything runs (nothing is created).

    output_dir (released) and work_dir (record-level, never released) must be folders that
    exist or can be created and are writable; work_dir must not be output_dir or inside it
    (record-level files would go to output checking); output_dir must not be the extract
    folder, inside it or around it; work_dir must not be inside the extract folder."""
    problems = [_folder_problem("output_dir", output_dir), _folder_problem("work_dir", work_dir)]
    problems = [p for p in problems if p]
    both = all(isinstance(f, str) and f.strip() for f in (output_dir, work_dir))
    if both and _same_or_inside(work_dir, output_dir):
        problems.append(
            f"work_dir = {work_dir!r} is output_dir = {output_dir!r} or inside it: record-level "
            "files would go to output checking; choose a work_dir outside output_dir"
        )
    if both and isinstance(extract, str) and extract.strip():
        if _same_or_inside(output_dir, extract) or _same_or_inside(extract, output_dir):
            problems.append(
                f"output_dir = {output_dir!r} and extract = {extract!r} overlap: the extract's "
                "records would go to output checking; choose an output_dir outside the extract"
            )
        if _same_or_inside(work_dir, extract):
            problems.append(
                f"work_dir = {work_dir!r} is inside extract = {extract!r}; keep the extract "
                "folder as it came and choose a work_dir outside it"
            )
    return problems
