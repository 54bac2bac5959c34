"""An extract's views as DuckDB relations: SQL over the files or the database, lazily.

    rel = ex.relation("leo_earnings", columns=["Edukey", "TaxYear", "Earnings"])
    ex.relation_sql("hesa", years=[2012, 2013])     # the SELECT ... UNION ALL it runs

Columns come in registry casing with SQL types (BIGINT for ints and flags, DOUBLE, DATE,
VARCHAR); a per-year family is one SELECT per year, UNION ALL, with a `year` column.

SRS-bound in the sense that leokit.extract loads it there; duckdb itself is imported only
when a relation is asked for (the SRS has no DuckDB: use read() or chunks() there).
"""

import numpy as np

from leokit.extract.filters import inline_params, quote, sql_condition, sql_text
from leokit.extract.formats import ExtractError, first_line
from leokit.extract.plans import FamilyPlan
from leokit.extract.sources import close_quietly

__all__ = ["Relations", "DUCK_TYPE", "duck_cast"]

DUCK_TYPE = {
    "int": "BIGINT",
    "flag": "BIGINT",
    "float": "DOUBLE",
    "date": "DATE",
    "str": "VARCHAR",
}


def duck_cast(col_sql, col, stored, how):
    """DuckDB expression giving a stored column its registry kind."""
    if col is None:
        return col_sql
    target = DUCK_TYPE[col.kind]
    if how == "csv":  # every field read as text
        if col.kind == "str":
            # DuckDB reads an empty field as NULL; the read form keeps '' where NULL is not allowed
            return f"NULLIF({col_sql}, '')" if col.nullable else f"COALESCE({col_sql}, '')"
        return f"CAST(NULLIF(TRIM({col_sql}), '') AS {target})"
    if stored == target:
        return col_sql
    if col.kind == "str" and stored == "BLOB":
        return f"upper(hex({col_sql}))"
    return f"CAST({col_sql} AS {target})"


def _family_kind(family, cn):
    """The SQL kind of a common name: its one kind, or text when years disagree."""
    kinds = family.kinds_seen[cn] or {family.common[cn].kind}
    return "str" if len(kinds) > 1 else next(iter(kinds))


class Relations:
    """The DuckDB side of one extract: its connection (made on first use) and the SQL."""

    def __init__(self, source, planner):
        self.source = source
        self.planner = planner
        self._own = None  # the in-memory DuckDB made for a folder
        self._types = {}  # FROM text -> {stored column: DuckDB type}

    def connection(self, memory_limit=None, threads=None):
        """See Extract.duckdb."""
        con = self.source.duck
        if con is None:
            con = self._own
        if con is None:
            if not self.source.scans_in_duckdb:
                raise ExtractError(
                    f"relation() and duckdb() need DuckDB or a folder of Parquet or CSV files; "
                    f"{self.source.where} is neither. Use read(..., where=...) or chunks(), which "
                    "send the columns and filters to the server"
                )
            import duckdb

            con = duckdb.connect()
            self._own = con
        if memory_limit is not None:
            try:
                con.execute(f"SET memory_limit = '{sql_text(memory_limit)}'")
            except Exception as e:  # noqa: BLE001 - DuckDB's error, reported once
                err = ExtractError(
                    f"memory_limit = {memory_limit!r}: expected a size such as '4GB' "
                    f"({first_line(e)})"
                )
            else:
                err = None
            if err is not None:
                raise err
        if threads is not None:
            if (
                isinstance(threads, bool)
                or not isinstance(threads, (int, np.integer))
                or threads < 1
            ):
                raise ExtractError(f"threads = {threads!r}: expected a whole number >= 1")
            con.execute(f"SET threads = {int(threads)}")
        return con

    def close(self):
        if self._own is not None:
            close_quietly(self._own)
            self._own = None

    def relation(self, view, columns=None, years=None, where=None):
        """See Extract.relation."""
        con = self.connection()
        sql = self.sql(view, columns=columns, years=years, where=where)
        try:
            return con.sql(sql)
        except Exception as e:  # noqa: BLE001 - DuckDB's error, reported once
            failed = f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
        raise ExtractError(f"query failed in {self.source.where}: {failed}\n  {sql}")

    def sql(self, view, columns=None, years=None, where=None):
        """See Extract.relation_sql."""
        self.connection()  # refuses sources DuckDB cannot read
        if isinstance(where, str):
            sql_where = where
            where = None
        else:
            sql_where = None
        plan = self.planner.plan(view, columns, years, where)
        if not isinstance(plan, FamilyPlan):
            sql = self._select(plan)
        elif not plan.parts:
            sql = self._empty_family(plan)
        else:
            sql = "\nUNION ALL\n".join(self._select(p.plan, p, plan) for p in plan.parts)
        if sql_where:
            sql = f"SELECT * FROM (\n{sql}\n) AS _v WHERE {sql_where}"
        return sql

    def _stored_types(self, from_sql):
        if from_sql not in self._types:
            rel = self.connection().sql(f"SELECT * FROM {from_sql} LIMIT 0")
            self._types[from_sql] = dict(zip(rel.columns, [str(t) for t in rel.types]))
        return self._types[from_sql]

    def _select(self, plan, part=None, family=None):
        """The SELECT of one concrete view; of one year of `family` when `part` is given."""
        from_sql, how = self.source.duckdb_from(plan.query.name)
        types = self._stored_types(from_sql)
        exprs = []
        if part is not None:
            exprs.append(f"CAST({int(part.year)} AS BIGINT) AS year")
            for cn in family.wanted:
                mixed = len(family.kinds_seen[cn]) > 1
                if cn in part.columns:
                    c = part.columns[cn]
                    a = [a for cc, a in plan.pairs if cc is c][0]
                    expr = duck_cast(quote(a), c, types.get(a), how)
                    if mixed:
                        expr = f"CAST({expr} AS VARCHAR)"
                else:
                    expr = f"CAST(NULL AS {DUCK_TYPE[_family_kind(family, cn)]})"
                exprs.append(f"{expr} AS {quote(cn)}")
        else:
            for c, a in plan.pairs:
                out = c.name_for(plan.year) if c is not None else a
                expr = duck_cast(quote(a), c, types.get(a), how)
                exprs.append(f"{expr} AS {quote(out)}")
        sql = "SELECT {} FROM {}".format(", ".join(exprs), from_sql)
        clauses = []
        for c, a, vals in plan.filters:
            clauses.append(sql_condition(duck_cast(quote(a), c, types.get(a), how), vals, True)[0])
        if plan.query.where:  # a database source renders `where` itself
            clauses.append(inline_params(plan.query.where, plan.query.params))
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return sql

    @staticmethod
    def _empty_family(family):
        exprs = ["CAST(NULL AS BIGINT) AS year"]
        for cn in family.wanted:
            exprs.append(f"CAST(NULL AS {DUCK_TYPE[_family_kind(family, cn)]}) AS {quote(cn)}")
        return "SELECT {} WHERE false".format(", ".join(exprs))
