"""Read plans: which stored view, columns and rows answer a request, before anything is read.

    planner = Planner(source, REGISTRY)
    plan = planner.plan("hesa", columns=["HE_SEX"], years=[2012, 2013])   # a FamilyPlan
    plan.parts[0].plan.query       # the ReadQuery sent to the source for hesa_2012

A concrete view gives a ReadPlan; a per-year family (``hesa``, ``spring_census``) a FamilyPlan
with one YearPart per year read. Every mistake in the request (an unknown view or column, a
year that is not there, a `where` value of the wrong kind) is found here, as one
ExtractError, before a row is fetched.

SRS-bound: runs on Python 3.7 + pandas 1.0.1.
"""

import difflib
from collections import OrderedDict
from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import pandas as pd

from leokit.extract.convert import Context
from leokit.extract.filters import quote, sql_condition, where_typed, where_values
from leokit.extract.formats import (
    STATA_MAX_NAME,
    ExtractError,
    close_first,
    match_name,
    stata_match,
)
from leokit.extract.sources import ReadQuery

__all__ = ["ReadPlan", "YearPart", "FamilyPlan", "Planner", "check_columns", "check_years"]


@dataclass
class ReadPlan:
    """How one concrete view is read."""

    view: object  # the registry View
    year: Optional[int]  # its year, for a per-year view
    name: str  # the concrete name in registry casing (hesa_2013)
    query: ReadQuery  # what the source is asked for
    pairs: list  # [(registry column or None, stored column)]: the result's columns, in order
    filters: list  # [(registry column or None, stored column, values)] the reader applies
    registered: dict  # {stored column: registry column} of the columns converted on reading
    context: Context  # for error messages


@dataclass
class YearPart:
    """One year of a per-year family."""

    year: int
    plan: ReadPlan
    columns: dict  # {common name: that year's registry column}, for the columns it has


@dataclass
class FamilyPlan:
    """A per-year family: its years stacked, columns under their common names."""

    view: object  # the registry View
    parts: List[YearPart]  # the years read (a year whose `where` column is absent is left out)
    wanted: List[str]  # the common names of the result's columns, after `year`
    kinds_seen: dict  # {common name: set of the kinds it has in the years read}
    common: dict  # {common name: one registry column of that name} (its kind when unread)


def check_columns(view, columns):
    """`columns` as a list of names (or None); ExtractError for anything else."""
    if columns is None or isinstance(columns, str):
        return None if columns is None else [columns]
    if isinstance(columns, (dict, pd.DataFrame)) or not hasattr(columns, "__iter__"):
        raise ExtractError(
            f"view {view}: columns = {columns!r}: expected a list of column names (or None for all)"
        )
    columns = list(columns)
    bad = [c for c in columns if not isinstance(c, str)]
    if bad:
        raise ExtractError(f"view {view}: columns are names as text, got {bad[0]!r}")
    low = [c.lower() for c in columns]
    twice = sorted({c for c, lc in zip(columns, low) if low.count(lc) > 1})
    if twice:
        raise ExtractError(f"view {view}: column {twice[0]!r} is asked for twice in `columns`")
    return columns


def check_years(view, years):
    """`years` as a list of ints (or None); ExtractError for text, fractions, booleans."""
    if years is None:
        return None
    vals = list(years) if isinstance(years, (list, tuple, set, frozenset, range)) else [years]
    if isinstance(years, (pd.Series, pd.Index, np.ndarray)):
        vals = list(years)
    for y in vals:
        if isinstance(y, (bool, np.bool_)) or not isinstance(y, (int, np.integer)):
            raise ExtractError(
                f"view {view}: years = {years!r}: expected whole years such as 2013, got {y!r}"
            )
    if not vals:
        raise ExtractError(f"view {view}: `years` is empty; give at least one year or None")
    return [int(y) for y in vals]


_SKIP = object()  # a year in which a `where` column is absent: no row can match


class Planner:
    """Plans reads of one source against the registry (see the module docstring)."""

    def __init__(self, source, registry):
        self.source = source
        self.registry = registry

    # -- what is there
    def views(self):
        """Concrete view names available, registry order first, then any others."""
        avail = self.source.available()
        out = []
        for name in self.registry.concrete_names():
            if name.lower() in avail:
                out.append(avail[name.lower()])
        known = {n.lower() for n in out}
        out.extend(sorted(v for k, v in avail.items() if k not in known))
        return out

    def registered(self, name):
        """Whether the registry describes view `name`."""
        try:
            self.registry.view(name)
        except KeyError:
            return False
        return True

    def missing_view(self, name, extra=""):
        """The ExtractError for a view that is not there, listing those that are."""
        avail = self.views()
        families = []
        for n in avail:
            try:
                v = self.registry.view(n)
            except KeyError:
                continue
            if v.per_year and v.family not in families:
                families.append(v.family)
        pool = avail + families
        close = difflib.get_close_matches(name, pool, n=6, cutoff=0.5)
        rest = [n for n in avail if n not in close]
        listing = close + rest
        return ExtractError(
            "view {!r} not found in {}{}. Available ({} views{}): {}".format(
                name,
                self.source.where,
                extra,
                len(avail),
                ", close matches first" if close else "",
                ", ".join(listing) if listing else "none",
            )
        )

    def _absent_columns(self, v, year, name, absent, actual_cols):
        """The error for registry columns a view lacks: which, and what the view has instead."""
        known = {c.name_for(year).lower() for c in v.columns_for(year)}
        cut = {k[:STATA_MAX_NAME] for k in known}
        strangers = [
            a
            for a in actual_cols
            if a.lower() not in known and a.lower()[:STATA_MAX_NAME] not in cut
        ]
        hints = []
        for col in absent[:3]:
            close = difflib.get_close_matches(col.lower(), [a.lower() for a in strangers], 1, 0.6)
            if close:
                actual = [a for a in strangers if a.lower() == close[0]][0]
                hints.append(f"{col} (closest: {actual})")
            else:
                hints.append(col)
        more = f" and {len(absent) - 3} more" if len(absent) > 3 else ""
        extra = (
            f"; columns the registry does not know: {', '.join(strangers[:8])}" if strangers else ""
        )
        return ExtractError(
            "view {} in {} lacks column(s) the registry declares{}: {}{}{}. Rename them back, "
            "read only the columns you need (columns=[...]), or pass validate=False to read "
            "what is there".format(
                name,
                self.source.where,
                f" for {year}" if year is not None else "",
                ", ".join(hints),
                more,
                extra,
            )
        )

    def resolve(self, name):
        """(View, year or None, is_family)."""
        if not isinstance(name, str):
            name = getattr(name, "name", str(name))
        try:
            v = self.registry.view(name)
        except KeyError:
            raise self.missing_view(name, " (and the registry has no such view)") from None
        low = name.lower()
        if v.per_year:
            if low in (v.family.lower(), v.name.lower()):
                return v, None, True
            year = self.registry.year_of(name)
            if year is None or (v.years and not v.years[0] <= year <= v.years[1]):
                raise self.missing_view(
                    name, f" ({v.family} exists for years {v.years[0]}-{v.years[1]})"
                )
            return v, year, False
        return v, None, False

    # -- unregistered views
    def unregistered_query(self, name, columns, where):
        """The ReadQuery for a view the registry does not describe (e.g. one you added):
        read as it is stored."""
        if where is not None:
            raise ExtractError(
                f"view {name} is not in the schema registry: read it whole and filter in pandas"
            )
        actual_name = self.source.available()[name.lower()]
        actual_cols = self.source.columns(actual_name)
        if columns is None:
            cols = list(actual_cols)
        else:
            cols = []
            for want in columns:
                hit = match_name(actual_cols, want)
                if hit is None:
                    raise ExtractError(
                        f"view {name} has no column {want!r} (in {self.source.where}). Its columns: {close_first(want, actual_cols)}"
                    )
                cols.append(hit)
        return ReadQuery(name=actual_name, columns=cols)

    # -- registered views
    def plan(self, view, columns=None, years=None, where=None, validate=True):
        """A ReadPlan (a concrete view) or a FamilyPlan (a per-year family)."""
        v, year, family = self.resolve(view)
        columns = check_columns(view, columns)
        years = check_years(view, years)
        if isinstance(where, dict):
            bad = [k for k in where if not isinstance(k, str)]
            if bad:
                raise ExtractError(
                    f"view {view}, where: keys are column names as text, got {bad[0]!r}"
                )
        if columns is not None and family:
            columns = [c for c in columns if c.lower() != "year"]  # always there
        if columns is not None and not list(columns):
            raise ExtractError(f"view {view}: `columns` is empty; give at least one column or None")
        if family and isinstance(where, dict):
            where = OrderedDict(where)
            for key in [k for k in where if k.lower() == "year"]:
                val = where.pop(key)
                wanted = list(val) if isinstance(val, (list, tuple, set, frozenset)) else [val]
                years = [y for y in (years if years is not None else wanted) if y in wanted]
                if not years:
                    raise ExtractError(f"{v.family}: `years` and where['year'] select no year")
            where = where or None
        if not family:
            if years is not None:
                raise ExtractError(
                    f"view {view}: `years` is for a per-year family such as {v.family!r}; {view} is one view"
                )
            return self._plan_one(v, year, columns, where, validate)
        return self._plan_family(v, columns, years, where, validate)

    def _lookup(self, v, year, name, wanted, actual_cols):
        """(registry column or None, actual column) for a requested name; else ExtractError."""
        try:
            col = v.column(wanted, year)
        except KeyError:
            col = None
        if col is not None:
            a = stata_match(actual_cols, col.name_for(year))
            if a is None:
                raise ExtractError(
                    "view {} has no column {!r} in {} (the registry declares it{}). "
                    "Its columns: {}".format(
                        name,
                        col.name_for(year),
                        self.source.where,
                        f" for {year}" if year is not None else "",
                        close_first(col.name_for(year), actual_cols),
                    )
                )
            return col, a
        a = match_name(actual_cols, wanted)
        if a is not None:  # in the source but not in the registry: read as it is
            return None, a
        declared = [c.name_for(year) for c in v.columns_for(year)]
        raise ExtractError(
            f"view {name} has no column {wanted!r} (in {self.source.where}). Its columns: {close_first(wanted, declared)}"
        )

    def _filters(self, v, year, name, actual_cols, where):
        """`where` for one concrete view: (sql text, params, [(col, actual, values)])."""
        if where is None:
            return None, None, []
        if isinstance(where, str):
            if not self.source.takes_sql:
                raise ExtractError(
                    f"where as SQL text works only on a database; on {self.source.where} pass a dict "
                    "{column: value or list of values}"
                )
            return where, None, []
        if not isinstance(where, dict):
            raise ExtractError(
                f"where must be a dict {{column: value, list of values or between(lo, hi)}}, got {type(where).__name__}"
            )
        filters = []
        for key, val in where.items():
            col, a = self._lookup(v, year, name, key, actual_cols)
            filters.append((col, a, where_typed(name, key, col, where_values(name, key, val))))
        if not self.source.takes_sql:
            return None, None, filters
        clauses, params = [], []
        for _, a, vals in filters:
            text, more = sql_condition(quote(a), vals)
            clauses.append(text)
            params.extend(more)
        return " AND ".join(clauses) or None, params, []

    def _plan_one(self, v, year, columns, where, validate=True):
        name = v.name_for(year)
        avail = self.source.available()
        if name.lower() not in avail:
            raise self.missing_view(name)
        actual_name = avail[name.lower()]
        actual_cols = self.source.columns(actual_name)
        pairs = []  # (registry column or None, actual column)
        if columns is None:
            absent = []
            for c in v.columns_for(year):
                a = stata_match(actual_cols, c.name_for(year))
                if a is not None:
                    pairs.append((c, a))
                else:
                    absent.append(c.name_for(year))
            if absent and validate:
                raise self._absent_columns(v, year, name, absent, actual_cols)
            used = {a for _, a in pairs}
            pairs.extend((None, a) for a in actual_cols if a not in used)
        else:
            for want in columns:
                pairs.append(self._lookup(v, year, name, want, actual_cols))
        sql_where, params, filters = self._filters(v, year, name, actual_cols, where)
        registered = OrderedDict(
            (a, c) for c, a in pairs + [(c, a) for c, a, _ in filters] if c is not None
        )
        read_cols = []
        for a in [a for _, a in pairs] + [a for _, a, _ in filters]:
            if a not in read_cols:
                read_cols.append(a)
        query = ReadQuery(
            name=actual_name,
            columns=read_cols,
            kinds=dict((a, c.kind) for a, c in registered.items()),
            where=sql_where,
            params=params,
            filters=[(a, vals) for _, a, vals in filters],
        )
        return ReadPlan(
            view=v,
            year=year,
            name=name,
            query=query,
            pairs=pairs,
            filters=filters,
            registered=registered,
            context=Context(name, self.source.where),
        )

    # -- per-year families
    def _family_years(self, v, years):
        avail = self.source.available()
        have = [y for y in v.all_years() if v.name_for(y).lower() in avail]
        if years is None:
            use = have
        else:
            use = [int(y) for y in years]
            lacking = [y for y in use if y not in have]
            if lacking:
                raise ExtractError(
                    "{}: year(s) {} not available in {}; available years: {}".format(
                        v.family,
                        ", ".join(str(y) for y in lacking),
                        self.source.where,
                        ", ".join(str(y) for y in have) or "none",
                    )
                )
        if not use:
            raise self.missing_view(v.family, f" (no year of {v.name} is present)")
        return use

    def _family_columns(self, v, columns):
        """Common names wanted (registry order when all) and {common name: a column}."""
        common = OrderedDict()
        for c in v.columns:
            common.setdefault(c.common_name(), c)
        if columns is None:
            return list(common), common
        wanted = []
        for w in columns:
            hit = None
            for cn in common:
                if w.lower() == cn.lower():
                    hit = cn
                    break
            if hit is None:
                for c in v.columns:
                    for y in v.all_years():
                        if c.exists_in(y) and w.lower() == c.name_for(y).lower():
                            hit = c.common_name()
            if hit is None:
                raise ExtractError(
                    f"view {v.family} has no column {w!r} in any year. Its columns (common names): "
                    f"{close_first(w, common)}"
                )
            wanted.append(hit)
        return wanted, common

    def _common_of(self, v, key):
        """(common name, the year-specific column when `key` names one, else None)."""
        for c in v.columns:
            if key.lower() == c.common_name().lower():
                return c.common_name(), None
        for c in v.columns:
            for y in v.all_years():
                if c.exists_in(y) and key.lower() == c.name_for(y).lower():
                    return c.common_name(), (c if "{yy}" not in c.name else None)
        raise ExtractError(
            f"view {v.family} has no column {key!r} in any year. Its columns (common names): {close_first(key, OrderedDict((c.common_name(), 1) for c in v.columns))}"
        )

    def _year_columns(self, v, y, wanted, where, validate=True):
        """For one year: ({common name: column present}, where in that year's names or
        _SKIP when a where column is missing that year, actual columns). With `validate`, a
        column the registry declares for that year but the view lacks is an error."""
        avail = self.source.available()
        actual_cols = self.source.columns(avail[v.name_for(y).lower()])
        percol = OrderedDict()
        absent = []
        for cn in wanted:
            cols = [c for c in v.columns_for(y) if c.common_name() == cn]
            if cols and stata_match(actual_cols, cols[0].name_for(y)) is not None:
                percol[cn] = cols[0]
            elif cols:
                absent.append(cols[0].name_for(y))
        if absent and validate:
            raise self._absent_columns(v, y, v.name_for(y), absent, actual_cols)
        ywhere = where
        if isinstance(where, dict):
            ywhere = OrderedDict()
            for key, val in where.items():
                cn, specific = self._common_of(v, key)
                if specific is not None:  # a year-specific name (HE_SEXID): its years only
                    cols = [specific] if specific.exists_in(y) else []
                else:
                    cols = [c for c in v.columns_for(y) if c.common_name() == cn]
                if not cols or stata_match(actual_cols, cols[0].name_for(y)) is None:
                    return percol, _SKIP, actual_cols  # NULL in this year: no row can match
                ywhere[cols[0].name_for(y)] = val
        return percol, ywhere, actual_cols

    def _plan_family(self, v, columns, years, where, validate=True):
        use = self._family_years(v, years)
        wanted, common = self._family_columns(v, columns)
        parts = []
        kinds_seen = OrderedDict((cn, set()) for cn in wanted)
        for y in use:
            percol, ywhere, actual_cols = self._year_columns(v, y, wanted, where, validate)
            if ywhere is _SKIP:
                continue
            names = [c.name_for(y) for c in percol.values()]
            plan = self._plan_one(v, y, names or actual_cols[:1], ywhere, validate)
            for cn, c in percol.items():
                kinds_seen[cn].add(c.kind)
            parts.append(YearPart(year=y, plan=plan, columns=percol))
        return FamilyPlan(view=v, parts=parts, wanted=wanted, kinds_seen=kinds_seen, common=common)
