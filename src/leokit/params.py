"""Check a notebook's parameters before anything runs.

papermill only warns about a parameter the notebook does not have and injects it anyway, so
a misspelt ``outcome_age`` would silently leave the default in place. Each notebook declares
its parameters once, as a ``dict`` of ``Param``, and its first code cell after the parameters
calls ``check(globals(), SPEC)``. Every problem (unknown name, wrong type, value not allowed,
out of range) is collected and raised as one ``ParameterError`` naming each parameter and what
was expected.
"""

import difflib
import numbers
import types

__all__ = ["Param", "ParameterError", "check"]

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
        raise ParameterError(
            f"bad parameters for {notebook}:\n  - "
            + "\n  - ".join(problems)
            + "\nParameters: "
            + ", ".join(spec)
        )
    return {name: namespace[name] for name in spec}
