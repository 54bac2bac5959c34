"""Checks before anything runs, and leokit's errors shown as one line.

    from leokit import notebook
    PARAMETERS = notebook.check(globals(), SPEC, "01_returns_to_he_application_choices")
    first, last = notebook.tax_year_range(ex)      # for checks that need the extract

``check`` first makes leokit's user errors (a bad parameter, a missing view, an output that
cannot be released) show in a notebook as one line naming the problem instead of a long
traceback (papermill still stops on it), then checks the parameters against their spec
(``leokit.params.check``) and the output folders (``leokit.params.folder_problems``: writable,
work_dir outside output_dir, output_dir apart from the extract). Nothing is written.
"""

import re

from leokit import params
from leokit.extract import ExtractError
from leokit.params import ParameterError
from leokit.release import ReleaseError

__all__ = ["USER_ERRORS", "show_errors_briefly", "check", "tax_year_range", "family_years"]

#: errors that mean "the input is wrong", not "the code is wrong": shown without a traceback
USER_ERRORS = (ParameterError, ExtractError, ReleaseError)


def _one_line(shell, etype, value, tb, tb_offset=None):
    text = f"{etype.__name__}: {value}"
    # the kernel sends this as the cell's error output: papermill and nbclient stop on it
    shell._showtraceback(etype, value, [text])
    return [text]


def show_errors_briefly():
    """In IPython (Jupyter, papermill), show USER_ERRORS as their message only. Returns
    whether a handler was installed (False outside IPython: plain Python keeps tracebacks)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc(USER_ERRORS, _one_line)
    return True


def check(namespace, spec, notebook):
    """Check a notebook's parameters (``namespace`` is its ``globals()``) and its folders.

    Installs the one-line error display, then raises one ParameterError listing every problem:
    unknown names, types, allowed values (``leokit.params.check``), and output_dir / work_dir
    that cannot be created or written, work_dir inside output_dir, output_dir overlapping the
    extract folder. Returns the parameters as a dict (for results.json); writes nothing.
    """
    show_errors_briefly()
    found = params.check(namespace, spec, notebook=notebook)
    extract = found.get("extract")
    problems = params.folder_problems(
        found.get("output_dir"),
        found.get("work_dir"),
        extract if isinstance(extract, str) else None,
    )
    params.refuse(notebook, problems)
    return found


def tax_year_range(ex):
    """(first, last) TaxYear in ``leo_earnings`` (one column read)."""
    years = ex.read("leo_earnings", columns=["TaxYear"]).TaxYear
    if years.empty:
        raise ExtractError("leo_earnings has no rows: no tax years to analyse")
    return int(years.min()), int(years.max())


def family_years(ex, family):
    """Sorted years of the per-year views of ``family`` in the extract ('hesa' ->
    [2009, ..., 2017] for hesa_2009 ... hesa_2017); read from the view names only."""
    pattern = re.compile(r"^" + re.escape(family) + r"_(\d{4})$", re.IGNORECASE)
    return sorted(int(m.group(1)) for m in map(pattern.match, ex.views()) if m)
