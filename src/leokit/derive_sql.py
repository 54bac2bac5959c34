"""The heavy DfE derivations of leokit.derive as SQL, run inside DuckDB (or Spark).

    import leokit.extract as lx
    from leokit import derive_sql as dsql

    ex = lx.open_extract("data_synthetic")
    emp = ex.relation("leo_employment")                 # nothing read yet
    days = dsql.days_employed(emp, tax_years=[201718, 201819])
    days.df()            # the rows leokit.derive.days_employed(ex.read("leo_employment"), ...) gives

Each function takes DuckDB relations (all on one connection, e.g. from ``Extract.relation``),
or pandas DataFrames (put on ``con``, default DuckDB's default connection), or Spark
DataFrames, and returns a lazy relation (a Spark DataFrame for Spark input) with the same rows,
columns and values as the pandas function of the same name in ``leokit.derive`` (the tests
compare them row by row on the default extract). Rows come ordered by person and TaxYear;
``annualised_earnings`` is the one pandas function that keeps its input order instead.

The definitions (open spells, the October to March months, clipping to the tax years asked
for, the tax year calendar) are those of leokit.derive; its constants are imported, not
copied. A small check query runs first (missing or backwards dates, bad TaxYear codes,
duplicate person-years) and raises the same ValueError the pandas function raises; it also
finds the data window, so the main query is plain SQL that DuckDB and Spark both run
(``dialect`` below). DuckDB and Spark are imported only when given their objects: this
module is for the current stack, not the SRS profile.
"""

import datetime
import itertools

import numpy as np
import pandas as pd

from leokit.derive.checks import (
    check_min_months,
    check_oct_mar_window,
    check_window,
    check_year_ends,
    find_person_column,
    pay_problem,
)
from leokit.derive.dates import NS_MAX, NS_MIN, OPEN_END, day_of, plain_value
from leokit.derive.spells import OCT_MAR
from leokit.derive.years import MAX_YEAR, MIN_YEAR, as_tax_year

__all__ = [
    "days_employed",
    "sustained_employment",
    "annualised_earnings",
    "earnings_panel",
    "merge_spells_sql",
]

_NAMES = itertools.count()
_EPOCH = datetime.date(1970, 1, 1)
_FIRST_DAY = datetime.date(*[int(x) for x in str(NS_MIN).split("-")])
_LAST_DAY = datetime.date(*[int(x) for x in str(NS_MAX).split("-")])


# ---------------------------------------------------------------------------------------------
# engines: where the SQL runs


class _Engine:
    """Registers inputs under fresh names and runs SQL on them."""

    dialect = None

    def q(self, name):
        raise NotImplementedError

    def days_between(self, a, b):
        """b - a in days."""
        raise NotImplementedError


class _DuckDB(_Engine):
    dialect = "duckdb"

    def __init__(self, con=None):
        self.con = con
        self.first = None

    def add(self, obj, what):
        rel = obj
        if isinstance(obj, pd.DataFrame):
            import duckdb

            rel = (self.con if self.con is not None else duckdb).from_df(obj)
        elif not _is_duckdb_relation(obj):
            raise TypeError(
                f"{what}: expected a DuckDB relation (Extract.relation), a pandas DataFrame or a "
                f"Spark DataFrame, got {type(obj).__name__}"
            )
        name = f"_leokit_{next(_NAMES)}"
        rel.create_view(name, replace=True)
        if self.first is None:
            self.first = (rel, name)
        return name, list(rel.columns), [str(t) for t in rel.types]

    def run(self, sql):
        rel, name = self.first
        return rel.query(name, sql)

    def rows(self, sql):
        return [tuple(r) for r in self.run(sql).fetchall()]

    def q(self, name):
        return '"' + str(name).replace('"', '""') + '"'

    def days_between(self, a, b):
        return f"date_diff('day', {a}, {b})"


class _Spark(_Engine):
    dialect = "spark"

    def __init__(self):
        self.spark = None

    def add(self, df, what):
        if not _is_spark_frame(df):
            raise TypeError(f"{what}: expected a Spark DataFrame like the other inputs")
        name = f"_leokit_{next(_NAMES)}"
        df.createOrReplaceTempView(name)
        self.spark = df.sparkSession
        return name, list(df.columns), [t for _, t in df.dtypes]

    def run(self, sql):
        return self.spark.sql(sql)

    def rows(self, sql):
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def q(self, name):
        return "`" + str(name).replace("`", "``") + "`"

    def days_between(self, a, b):
        return f"datediff({b}, {a})"


def _is_duckdb_relation(obj):
    return type(obj).__name__ == "DuckDBPyRelation"


def _is_spark_frame(obj):
    return type(obj).__module__.startswith("pyspark") and hasattr(obj, "createOrReplaceTempView")


def _engine(first, con):
    return _Spark() if _is_spark_frame(first) else _DuckDB(con)


class _Columns:
    """Stands in for a frame where leokit.derive's column helpers want `.columns`."""

    def __init__(self, columns):
        self.columns = columns


def _require(columns, wanted, what):
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ValueError(f"{what} is missing column(s) {missing}; its columns are {list(columns)}")


# ---------------------------------------------------------------------------------------------
# SQL pieces (both dialects)


def _lit(d):
    return f"DATE '{d.isoformat()}'"


def _tax_start_year(d):
    """Start year of the tax year holding date expression d (6 April starts a tax year)."""
    return (
        f"(year({d}) - CASE WHEN month({d}) < 4 OR (month({d}) = 4 AND dayofmonth({d}) < 6) "
        "THEN 1 ELSE 0 END)"
    )


def _month_index(d):
    """Months since January 1970."""
    return f"((year({d}) - 1970) * 12 + month({d}) - 1)"


def _code(y):
    """TaxYear code YYYYyy of start year y."""
    return f"CAST({y} * 100 + ({y} + 1) % 100 AS BIGINT)"


def _values(name, col, values):
    rows = ", ".join(f"({int(v)})" for v in values)
    return f"(SELECT {col} FROM (VALUES {rows}) AS {name}({col}))"


def _apr6(y):
    return datetime.date(int(y), 4, 6)


def _tax_year_end(y):
    return datetime.date(int(y) + 1, 4, 5)


def _start_year_of(d):
    return d.year - (1 if (d.month, d.day) < (4, 6) else 0)


def _wanted(tax_years):
    wanted = sorted(set(int(t) for t in np.asarray(as_tax_year(pd.Series(list(tax_years))))))
    if not wanted:
        raise ValueError("tax_years is empty: give at least one tax year, or None for all")
    return wanted


def _day(d):
    """Day number (days since 1970-01-01) of a date from a query, or None."""
    return None if d is None else (d - _EPOCH).days


def _list_of(tax_years):
    if isinstance(tax_years, (int, np.integer, str)):
        return [tax_years]
    return list(tax_years)


# ---------------------------------------------------------------------------------------------
# spells


class _Spells:
    """The validated spells of one input and the SQL common to the spell derivations."""

    def __init__(self, eng, employment, person, start_col, end_col, data_end, tax_years,
                 window=True, end_name="data_end"):  # fmt: skip
        name, cols, _ = eng.add(employment, "employment")
        self.eng = eng
        self.pcol = find_person_column(_Columns(cols), person)
        _require(cols, [start_col, end_col], "employment spells")
        q = eng.q
        p, s, e = q(self.pcol), f"CAST({q(start_col)} AS DATE)", f"CAST({q(end_col)} AS DATE)"
        self.source = f"SELECT {p} AS p, {s} AS s, {e} AS e0 FROM {name} WHERE {p} IS NOT NULL"
        open_end = _lit(OPEN_END)
        lo, hi = _lit(_FIRST_DAY), _lit(_LAST_DAY)
        closed = f"e0 IS NOT NULL AND e0 < {open_end}"

        def bad(x):
            return f"({x} IS NOT NULL AND {x} < {open_end} AND ({x} < {lo} OR {x} > {hi}))"

        stats = eng.rows(
            "SELECT "
            f"SUM(CASE WHEN p IS NOT NULL AND (s IS NULL OR s >= {open_end}) THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN p IS NOT NULL AND {closed} AND e0 < s THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {bad('s')} OR {bad('e0')} THEN 1 ELSE 0 END), "
            f"MIN(CASE WHEN p IS NOT NULL AND s < {open_end} THEN s END), "
            f"MAX(CASE WHEN p IS NOT NULL AND s < {open_end} THEN s END), "
            f"MAX(CASE WHEN p IS NOT NULL AND {closed} THEN e0 END), "
            f"MIN(CASE WHEN {bad('s')} THEN s WHEN {bad('e0')} THEN e0 END), "
            f"MAX(CASE WHEN p IS NOT NULL AND s < {open_end} AND NOT ({closed}) THEN s END) "
            f"FROM (SELECT {p} AS p, {s} AS s, {e} AS e0 FROM {name}) AS _all"
        )[0]
        no_start, backwards, out_of_range, min_s, max_s, max_e, example, open_s = stats
        if out_of_range:
            raise ValueError(
                f"{start_col}/{end_col}: {int(out_of_range)} value(s) could not be read as dates, "
                f"e.g. {example!r}; expected dates between {_FIRST_DAY} and {_LAST_DAY} "
                f"({OPEN_END} marks an open spell)"
            )
        if no_start:
            raise ValueError(f"{start_col}: {int(no_start)} spell(s) have no start date")
        if backwards:
            raise ValueError(f"{int(backwards)} spell(s) end before they start; fix or drop them")
        self.wanted = None if tax_years is None else _wanted(_list_of(tax_years))
        years = None if not self.wanted else [t // 100 for t in self.wanted]
        self.cut = window and data_end is not None  # closed spells end at data_end too
        if data_end is not None:
            end_day = day_of(data_end, end_name)
            check_window(years, end_day, end_name, _day(min_s), _day(open_s), window)
            window_end = _EPOCH + datetime.timedelta(days=end_day)
        elif years:
            window_end = _tax_year_end(max(years))
        elif min_s is not None:
            window_end = _tax_year_end(_start_year_of(max(max_s, max_e or max_s)))
        else:
            window_end = _EPOCH
        self.window_end = window_end
        self.clip = None if not years else (_apr6(min(years)), _tax_year_end(max(years)))
        # tax start years any spell can touch, for the explode join
        first = _start_year_of(min_s) if min_s is not None else 1970
        last = max(
            _start_year_of(d) for d in (window_end, max_s or window_end, max_e or window_end)
        )
        if years:
            first, last = max(first, min(years)), min(last, max(years))
        self.years = list(range(first, max(last, first) + 1))

    def merged_ctes(self):
        """CTEs ending in `merged` (p, s, e): each person's spells as a union of blocks."""
        eng = self.eng
        closed_end = f"LEAST(e0, {_lit(self.window_end)})" if self.cut else "e0"
        end = (
            f"CASE WHEN e0 IS NULL OR e0 >= {_lit(OPEN_END)} THEN {_lit(self.window_end)} "
            f"ELSE {closed_end} END"
        )
        if self.clip is not None:
            lo, hi = _lit(self.clip[0]), _lit(self.clip[1])
            clipped = f"SELECT p, GREATEST(s, {lo}) AS s, LEAST({end}, {hi}) AS e FROM spells"
        else:
            clipped = f"SELECT p, s, {end} AS e FROM spells"
        window = "PARTITION BY p ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND"
        return [
            ("spells", self.source),
            ("clipped", clipped),
            ("kept", "SELECT p, s, e FROM clipped WHERE s <= e"),
            ("reach", f"SELECT p, s, e, MAX(e) OVER ({window} 1 PRECEDING) AS prev FROM kept"),
            (
                "starts",
                "SELECT p, s, e, CASE WHEN prev IS NULL OR "
                f"{eng.days_between('prev', 's')} > 1 THEN 1 ELSE 0 END AS new_block FROM reach",
            ),
            (
                "blocks",
                f"SELECT p, s, e, SUM(new_block) OVER ({window} CURRENT ROW) AS block FROM starts",
            ),
            ("merged", "SELECT p, MIN(s) AS s, MAX(e) AS e FROM blocks GROUP BY p, block"),
        ]

    def exploded_ctes(self):
        """... then `exploded` (p, s, e, y): one row per merged spell and tax year it touches."""
        return self.merged_ctes() + [
            (
                "spans",
                f"SELECT p, s, e, {_tax_start_year('s')} AS fy, "
                f"{_tax_start_year('e')} AS ly FROM merged",
            ),  # fmt: skip
            ("years", _values("_y", "y", self.years)),
            ("exploded", "SELECT p, s, e, y FROM spans JOIN years ON y >= fy AND y <= ly"),
        ]

    def days_ctes(self):
        """... then `per_year` (p, y, days)."""
        lo = "GREATEST(s, make_date(y, 4, 6))"
        hi = "LEAST(e, make_date(y + 1, 4, 5))"
        return self.exploded_ctes() + [
            (
                "per_year",
                f"SELECT p, y, CAST(SUM({self.eng.days_between(lo, hi)} + 1) AS BIGINT) AS days "
                "FROM exploded GROUP BY p, y",
            )
        ]


def _with(ctes, select):
    return "WITH " + ",\n".join(f"{n} AS (\n{body}\n)" for n, body in ctes) + "\n" + select


def _persons_grid(wanted, extra_persons=None):
    persons = "SELECT DISTINCT p FROM spells"
    if extra_persons:
        persons = f"SELECT p FROM spells UNION {extra_persons}"
    return [
        ("persons", persons),
        ("wanted", _values("_t", "TaxYear", wanted)),
        ("grid", "SELECT p, CAST(TaxYear AS BIGINT) AS TaxYear FROM persons CROSS JOIN wanted"),
    ]


# ---------------------------------------------------------------------------------------------
# the derivations


def days_employed(
    employment,
    tax_years=None,
    person=None,
    data_end=None,
    start_col="StartDate",
    end_col="EndDate",
    con=None,
):
    """leokit.derive.days_employed in SQL: [person, TaxYear, days_employed].

    Days over the union of each person's spells, clipped to each tax year; open spells run to
    ``data_end`` (else the end of the latest of ``tax_years``, else of the tax year of the
    latest date). With ``tax_years``, every person gets every year (0 days where none).
    """
    eng = _engine(employment, con)
    sp = _Spells(eng, employment, person, start_col, end_col, data_end, tax_years)
    pq = eng.q(sp.pcol)
    if sp.wanted is None:
        select = (
            f"SELECT p AS {pq}, {_code('y')} AS TaxYear, days AS days_employed "
            "FROM per_year ORDER BY 1, 2"
        )
        return eng.run(_with(sp.days_ctes(), select))
    ctes = sp.days_ctes() + _persons_grid(sp.wanted)
    select = (
        f"SELECT g.p AS {pq}, g.TaxYear, CAST(COALESCE(d.days, 0) AS BIGINT) AS days_employed "
        f"FROM grid g LEFT JOIN per_year d ON g.p = d.p AND g.TaxYear = {_code('d.y')} "
        "ORDER BY 1, 2"
    )
    return eng.run(_with(ctes, select))


def merge_spells_sql(
    employment, person=None, start_col="StartDate", end_col="EndDate", open_end=None, con=None
):
    """leokit.derive.merge_spells in SQL: [person, start_col, end_col] as DATE, ordered."""
    eng = _engine(employment, con)
    sp = _Spells(eng, employment, person, start_col, end_col, open_end, None, window=False,
                 end_name="open_end")  # fmt: skip
    q = eng.q
    select = (
        f"SELECT p AS {q(sp.pcol)}, s AS {q(start_col)}, e AS {q(end_col)} FROM merged "
        "ORDER BY 1, 2"
    )
    return eng.run(_with(sp.merged_ctes(), select))


def _tax_year_check(eng, name, pcol, ty_col, what):
    """Validate an integer TaxYear column like leokit.derive.as_tax_year; [distinct years]."""
    q = eng.q
    t = q(ty_col)
    start = f"CAST(floor({t} / 100) AS BIGINT)"
    bad = (
        f"{t} IS NULL OR {t} <> floor({t}) OR {t} % 100 <> ({start} + 1) % 100 "
        f"OR {start} < {MIN_YEAR} OR {start} >= {MAX_YEAR}"
    )
    rows = eng.rows(
        f"SELECT SUM(CASE WHEN {t} IS NULL THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {bad} THEN 1 ELSE 0 END), "
        f"MIN(CASE WHEN {t} IS NOT NULL AND ({bad}) THEN {t} END) FROM {name}"
    )[0]
    missing, nbad, example = rows
    if missing:
        raise ValueError(f"TaxYear: {int(missing)} missing value(s) in {what}")
    if nbad:
        raise ValueError(
            "invalid TaxYear {!r}{} in {}: expected an int YYYYyy where yy is the year after "
            "YYYY, e.g. 201819 for 6 Apr 2018 to 5 Apr 2019".format(
                plain_value(example), f" (and {int(nbad) - 1} more)" if nbad > 1 else "", what
            )
        )


def _typed_tax_year(types, cols, ty_col, what):
    kind = types[cols.index(ty_col)].upper()
    if not any(k in kind for k in ("INT", "DECIMAL", "DOUBLE", "FLOAT", "BIGINT", "LONG")):
        raise ValueError(
            f"{what}: TaxYear is {kind}; expected an int such as 201819 (convert text such as "
            "'2018/19' with leokit.derive.as_tax_year first)"
        )


def sustained_employment(
    employment,
    tax_years=None,
    self_assessment=None,
    person=None,
    data_end=None,
    min_months=5,
    start_col="StartDate",
    end_col="EndDate",
    con=None,
):
    """leokit.derive.sustained_employment in SQL (DfE: a day of PAYE work in at least 5 of the
    6 months October to March; an SA record in the tax year also counts when given).

    Columns [person, TaxYear, months_employed_oct_mar, sustained_paye, (sa_record),
    sustained, sustained_via], rows as in leokit.derive.
    """
    check_min_months(min_months)
    eng = _engine(employment, con)
    sp = _Spells(eng, employment, person, start_col, end_col, data_end, tax_years)
    if data_end is not None and sp.wanted is not None:
        check_oct_mar_window(sp.wanted, day_of(data_end, "data_end"))
    q = eng.q
    months = " + ".join(
        f"MAX(CASE WHEN fm <= oct + {k} AND lm >= oct + {k} THEN 1 ELSE 0 END)"
        for k in range(len(OCT_MAR))
    )
    ctes = sp.exploded_ctes() + [
        (
            "flags",
            f"SELECT p, y, {_month_index('s')} AS fm, {_month_index('e')} AS lm, "
            "(y - 1970) * 12 + 9 AS oct FROM exploded",
        ),
        (
            "paye",
            f"SELECT p, {_code('y')} AS TaxYear, CAST({months} AS BIGINT) AS months "
            "FROM flags GROUP BY p, y",
        ),
    ]
    if sp.wanted is not None:
        ctes.append(("paye_w", "SELECT * FROM paye WHERE TaxYear IN ({})".format(
            ", ".join(str(t) for t in sp.wanted))))  # fmt: skip
    else:
        ctes.append(("paye_w", "SELECT * FROM paye"))
    has_sa = self_assessment is not None
    if has_sa:
        sa_name, sa_cols, sa_types = eng.add(self_assessment, "self_assessment")
        sa_p = find_person_column(_Columns(sa_cols), person)
        _require(sa_cols, ["TaxYear"], "self_assessment")
        if eng.dialect == "duckdb":
            _typed_tax_year(sa_types, sa_cols, "TaxYear", "self_assessment")
        _tax_year_check(eng, sa_name, sa_p, "TaxYear", "self_assessment")
        sa_rows = (
            f"SELECT DISTINCT {q(sa_p)} AS p, CAST({q('TaxYear')} AS BIGINT) AS TaxYear "
            f"FROM {sa_name} WHERE {q(sa_p)} IS NOT NULL"
        )
        if sp.wanted is not None:
            sa_rows += " AND CAST({} AS BIGINT) IN ({})".format(
                q("TaxYear"), ", ".join(str(t) for t in sp.wanted)
            )
        ctes.append(("sa", sa_rows))
    if sp.wanted is not None:
        extra = None
        if has_sa:
            extra = f"SELECT {q(sa_p)} AS p FROM {sa_name} WHERE {q(sa_p)} IS NOT NULL"
        ctes += _persons_grid(sp.wanted, extra)
        body = (
            "SELECT g.p AS p, g.TaxYear AS TaxYear, COALESCE(o.months, 0) AS months"
            + (", sa.p IS NOT NULL AS sa_record" if has_sa else "")
            + " FROM grid g LEFT JOIN paye_w o ON g.p = o.p AND g.TaxYear = o.TaxYear"
            + (" LEFT JOIN sa ON g.p = sa.p AND g.TaxYear = sa.TaxYear" if has_sa else "")
        )
    elif has_sa:
        body = (
            "SELECT COALESCE(o.p, sa.p) AS p, COALESCE(o.TaxYear, sa.TaxYear) AS TaxYear, "
            "COALESCE(o.months, 0) AS months, sa.p IS NOT NULL AS sa_record "
            "FROM paye_w o FULL OUTER JOIN sa ON o.p = sa.p AND o.TaxYear = sa.TaxYear"
        )
    else:
        body = "SELECT p, TaxYear, months FROM paye_w"
    ctes.append(("joined", body))
    paye = f"months >= {int(min_months)}"
    sa = "sa_record" if has_sa else "FALSE"
    select = (
        f"SELECT p AS {q(sp.pcol)}, TaxYear, months AS months_employed_oct_mar, "
        f"{paye} AS sustained_paye, "
        + ("sa_record, " if has_sa else "")
        + f"({paye}) OR {sa} AS sustained, "
        f"CASE WHEN ({paye}) AND {sa} THEN 'PAYE+SA' WHEN {paye} THEN 'PAYE' "
        f"WHEN {sa} THEN 'SA' ELSE '' END AS sustained_via "
        "FROM joined ORDER BY 1, 2"
    )
    return eng.run(_with(ctes, select))


_NUMERIC_TYPES = ("INT", "DECIMAL", "DOUBLE", "FLOAT", "REAL", "LONG", "SHORT", "BYTE", "NUMERIC")


def _pay_checks(eng, name, cols, types, col):
    """leokit.derive's checks of the pay column: numbers, none missing or negative."""
    q = eng.q
    c = q(col)
    kind = str(types[cols.index(col)]).upper()
    if "BOOL" in kind:
        raise ValueError(f"{col}: expected pay in pounds, got booleans")
    numeric = any(k in kind for k in _NUMERIC_TYPES)
    if not numeric and eng.dialect != "duckdb":
        raise ValueError(f"{col} is {kind}; expected numbers")
    pay = f"CAST({c} AS DOUBLE)" if numeric else f"TRY_CAST({c} AS DOUBLE)"
    text = f"{c} IS NOT NULL AND {pay} IS NULL"
    row = eng.rows(
        f"SELECT SUM(CASE WHEN {text} THEN 1 ELSE 0 END), MIN(CASE WHEN {text} THEN {c} END), "
        f"SUM(CASE WHEN {c} IS NULL OR isnan({pay}) THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {pay} > 1.7e308 OR {pay} < -1.7e308 THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {pay} < 0 THEN 1 ELSE 0 END), MIN({pay}) FROM {name}"
    )[0]
    n_text, text_example, n_missing, n_inf, n_negative, lowest = row  # sums of no rows: None
    problem = pay_problem(
        col, int(n_text or 0), text_example, int(n_missing or 0), int(n_inf or 0),
        int(n_negative or 0), plain_value(lowest) if n_negative else None,
    )  # fmt: skip
    if problem is not None:
        raise problem


def _earnings_checks(eng, name, cols, types, person, earnings_col):
    pcol = find_person_column(_Columns(cols), person)
    _require(cols, ["TaxYear", earnings_col], "earnings")
    _pay_checks(eng, name, cols, types, earnings_col)
    if eng.dialect == "duckdb":
        _typed_tax_year(types, cols, "TaxYear", "earnings")
    _tax_year_check(eng, name, pcol, "TaxYear", "earnings")
    q = eng.q
    dup = eng.rows(
        f"SELECT p, t, n, SUM(n) OVER () FROM (SELECT {q(pcol)} AS p, {q('TaxYear')} AS t, "
        f"COUNT(*) AS n FROM {name} GROUP BY {q(pcol)}, {q('TaxYear')} HAVING COUNT(*) > 1) "
        "AS _d ORDER BY p, t LIMIT 1"
    )
    if dup:
        p, t, _, total = dup[0]
        raise ValueError(
            f"earnings has {int(total)} rows with a duplicated ({pcol}, TaxYear), e.g. {(plain_value(p), int(t))}; expected one row "
            "per person per tax year"
        )
    return pcol


def annualised_earnings(
    earnings,
    employment,
    person=None,
    data_end=None,
    earnings_col="Earnings",
    start_col="StartDate",
    end_col="EndDate",
    con=None,
):
    """leokit.derive.annualised_earnings in SQL: the earnings rows with days_employed,
    days_in_tax_year and annualised_earnings (Earnings / days employed x days in the tax
    year; NULL without employment days). Ordered by person and TaxYear (pandas keeps the
    input order). Duplicate (person, TaxYear) rows raise ValueError.
    """
    eng = _engine(earnings, con)
    name, cols, types = eng.add(earnings, "earnings")
    pcol = _earnings_checks(eng, name, cols, types, person, earnings_col)
    q = eng.q
    years = [int(r[0]) for r in eng.rows(f"SELECT DISTINCT {q('TaxYear')} FROM {name}")]
    if data_end is not None:
        check_year_ends(years, day_of(data_end, "data_end"))
    select_cols = []
    for c in cols:
        if c == "TaxYear":
            select_cols.append(f"CAST(r.{q(c)} AS BIGINT) AS {q(c)}")
        else:
            select_cols.append(f"r.{q(c)}")
    if not years:
        select = (
            "SELECT {}, CAST(0 AS BIGINT) AS days_employed, CAST(0 AS BIGINT) AS "
            "days_in_tax_year, CAST(NULL AS DOUBLE) AS annualised_earnings FROM {} r"
        ).format(", ".join(select_cols), name)
        return eng.run(select)
    sp = _Spells(eng, employment, person, start_col, end_col, data_end, years)
    y = f"CAST(floor(r.{q('TaxYear')} / 100) AS BIGINT)"
    length = eng.days_between(f"make_date({y}, 4, 6)", f"make_date({y} + 1, 4, 6)")
    worked = "CAST(COALESCE(d.days, 0) AS BIGINT)"
    select = (
        "SELECT {cols}, {worked} AS days_employed, CAST({length} AS BIGINT) AS days_in_tax_year, "
        "CASE WHEN {worked} > 0 THEN CAST(r.{pay} AS DOUBLE) / CAST({worked} AS DOUBLE) * "
        "CAST({length} AS DOUBLE) END AS annualised_earnings "
        "FROM {name} r LEFT JOIN per_year d ON r.{p} = d.p AND CAST(r.{ty} AS BIGINT) = {code} "
        "ORDER BY r.{p}, r.{ty}"
    ).format(
        cols=", ".join(select_cols),
        worked=worked,
        length=length,
        pay=q(earnings_col),
        name=name,
        p=q(pcol),
        ty=q("TaxYear"),
        code=_code("d.y"),
    )
    return eng.run(_with(sp.days_ctes(), select))


def earnings_panel(
    earnings, people, tax_years, person=None, columns=None, earnings_col="Earnings", con=None
):
    """leokit.derive.earnings_panel in SQL: every person in ``people`` x every tax year, with
    Earnings 0 where there is no record, ``has_record``, and extra ``columns`` carried along.

    ``people``: a relation or DataFrame (its first column holds the keys; on the earnings'
    connection) or a list of keys.
    """
    columns = [] if columns is None else [columns] if isinstance(columns, str) else list(columns)
    eng = _engine(earnings, con)
    name, cols, types = eng.add(earnings, "earnings")
    pcol = _earnings_checks(eng, name, cols, types, person, earnings_col)
    _require(cols, columns, "earnings")
    clash = [c for c in columns if c in (pcol, "TaxYear", earnings_col, "has_record")]
    if clash:
        raise ValueError(f"columns= must not repeat {clash}")
    if people is None or isinstance(people, (dict, str)):
        raise ValueError(
            f"people: expected the person keys (a list, a DataFrame or a relation), got "
            f"{type(people).__name__}"
        )
    if tax_years is None:
        raise ValueError("tax_years: expected the tax years of the panel, e.g. [201819, 201920]")
    wanted = _wanted(_list_of(tax_years))
    if not (
        _is_duckdb_relation(people) or _is_spark_frame(people) or isinstance(people, pd.DataFrame)
    ):
        people = pd.DataFrame({"p": pd.Series(list(people), dtype=object)})
    people_name, people_cols, _ = eng.add(people, "people")
    q = eng.q
    n_people = eng.rows(
        f"SELECT COUNT(*) FROM {people_name} WHERE {q(people_cols[0])} IS NOT NULL"
    )[0][0]
    if not n_people:
        raise ValueError("people is empty: the panel would have no rows")
    extra = "".join(f", r.{q(c)}" for c in columns)
    ctes = [
        (
            "persons",
            f"SELECT DISTINCT {q(people_cols[0])} AS p FROM {people_name} "
            f"WHERE {q(people_cols[0])} IS NOT NULL",
        ),  # fmt: skip
        ("wanted", _values("_t", "TaxYear", wanted)),
        ("grid", "SELECT p, CAST(TaxYear AS BIGINT) AS TaxYear FROM persons CROSS JOIN wanted"),
    ]
    select = (
        f"SELECT g.p AS {q(pcol)}, g.TaxYear, CASE WHEN r.{q(pcol)} IS NOT NULL OR "
        f"r.{q('TaxYear')} IS NOT NULL THEN r.{q(earnings_col)} ELSE 0 END AS {q(earnings_col)}, "
        f"r.{q('TaxYear')} IS NOT NULL AS has_record{extra} "
        f"FROM grid g LEFT JOIN {name} r ON g.p = r.{q(pcol)} "
        f"AND g.TaxYear = CAST(r.{q('TaxYear')} AS BIGINT) ORDER BY 1, 2"
    )
    return eng.run(_with(ctes, select))
