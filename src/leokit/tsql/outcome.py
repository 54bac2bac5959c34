"""What a run of a T-SQL script gives back: ScriptRun (result sets, log, failures, the
DuckDB connection), Failure, and ScriptError (the first failure, without keep_going).

    with run_script("my_project.sql", "data_synthetic") as run:
        run.results, run.log, run.failures, run.table("#lookup")

Current stack only.
"""

from leokit.sqlbase import SqlError
from leokit.tsql.session import split_name

__all__ = [
    "ScriptError",
    "Failure",
    "ScriptRun",
]


class ScriptError(SqlError):
    """The first statement that failed (without keep_going): its line, first line, idiom
    and the reason, in one message."""

    def __init__(self, failure):
        super().__init__(str(failure))
        self.failure = failure


class Failure:
    """One failed statement."""

    def __init__(self, line, statement, idiom, reason, where=""):
        self.line = line
        self.statement = statement
        self.idiom = idiom
        self.reason = reason
        self.where = where  # e.g. "in the EXEC at line 12"

    def __str__(self):
        where = f" ({self.where})" if self.where else ""
        idiom = f" [{self.idiom}]" if self.idiom else ""
        return f'line {self.line}{where}: "{self.statement}"{idiom}: {self.reason}'


class ScriptRun:
    """The outcome of run_script.

    results      the result sets (pandas DataFrames) in the order they were produced
    result_lines the line of the statement that produced each
    log          (kind, text) pairs: 'note' (skipped idioms, USE), 'print' (PRINT,
                 RAISERROR), 'rows' (rows affected per statement), 'failure'
    statements   how many statements ran (each counted once, however often a loop ran it)
    failures     Failure objects (keep_going)
    con          the DuckDB connection (the script's tables; the work database is ``work``)
    """

    def __init__(self, con, database, echo=None):
        self.con = con
        self.database = database
        self.results = []
        self.result_lines = []
        self.log = _Log(echo)
        self.failures = []
        self._ran = set()
        self._failed = set()

    @property
    def statements(self):
        return len(self._ran)

    @property
    def ok(self):
        return not self.failures

    def summary(self):
        return f"{self.statements} statements, {len(self._failed)} failed"

    def table(self, name):
        """A table the script left, by its T-SQL name ('#lookup', 'fft.earnings',
        'tempdb..#t'), as a DataFrame."""
        parts = split_name(name)
        parts = [None] * (3 - len(parts)) + parts
        cat, schema, tbl = self._session.resolve(parts[0] or None, parts[1] or None, parts[2])
        return self.con.execute(f'SELECT * FROM "{cat}"."{schema}"."{tbl}"').df()

    def close(self):
        if self.con is not None:
            self.con.close()
            self.con = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Log(list):
    """The run's log; ``echo(kind, text)`` sees each entry as it is written."""

    def __init__(self, echo=None):
        super().__init__()
        self.echo = echo

    def append(self, entry):
        super().append(entry)
        if self.echo is not None:
            self.echo(*entry)
