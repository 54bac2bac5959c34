"""The schema registry's building blocks: a column, a view, the registry.

The registry describes the *real* LEO Iteration 2 extract (view names, column names, SQL
types, code lists, missing-value conventions) and knows nothing of the simulation, except
for a free-text `synth` note per column saying how the generator fills it (used by the data
card). It must import on the SRS profile (Python 3.7, pandas 1.0): plain Python only here.
"""

from collections import OrderedDict

# Logical kinds and the pandas dtypes a reader may legitimately hand back for each.
# Strings come back as object (pandas 1.x/2.x) or the string dtype (pandas 3); ints as
# numpy ints, nullable Int64, or float when a column has nulls and was read from CSV.
KINDS = ("str", "int", "float", "date", "flag")


class Column:
    """One column of a view.

    name      column name exactly as in the SRS view (per-year views may use `{yy}` for the
              two-digit year suffix, e.g. ``fsmeligible_spr{yy}``)
    sqltype   SQL Server type as documented (``varchar(14)``, ``int``, ``date`` ...)
    kind      one of KINDS; what a reader should expect
    meaning   one line: what the value is
    codes     mapping code -> label, or None
    nullable  whether NULL occurs
    missing   the missing-value convention in words ('' for blank text, -1, 9999-12-31 ...)
    years     (first, last) collection years in which the column exists, for per-year views
    stem      common name across years when the name changes (HE_GENDER -> HE_SEXID)
    synth     how the synthetic generator makes it (for the data card)
    confirmed False when the name or type is inferred rather than confirmed in a public source
    """

    def __init__(
        self,
        name,
        sqltype,
        kind,
        meaning,
        codes=None,
        nullable=False,
        missing="",
        years=None,
        stem=None,
        synth="",
        confirmed=True,
        lo=None,
        hi=None,
    ):
        if kind not in KINDS:
            raise ValueError(f"column {name!r}: kind must be one of {KINDS}, got {kind!r}")
        self.name = name
        self.sqltype = sqltype
        self.kind = kind
        self.meaning = meaning
        self.codes = OrderedDict(codes) if codes is not None else None
        self.nullable = nullable
        self.missing = missing
        self.years = years
        self.stem = stem
        self.synth = synth
        self.confirmed = confirmed
        self.lo = lo
        self.hi = hi

    def name_for(self, year=None):
        """The column's name in a given collection year (fills `{yy}` / `{year}`)."""
        if year is None:
            return self.name
        return self.name.format(yy=f"{year % 100:02d}", year=year)

    def common_name(self):
        """Name used when a per-year view is stacked across years."""
        if self.stem:
            return self.stem
        return self.name.replace("_spr{yy}", "").replace("{yy}", "").replace("{year}", "")

    def exists_in(self, year):
        if year is None or self.years is None:
            return True
        return self.years[0] <= year <= self.years[1]

    def __repr__(self):
        return f"Column({self.name!r}, {self.sqltype!r})"


class View:
    """One SRS view (or one family of per-year views such as ``hesa_{year}``).

    name      view name; per-year views contain ``{year}`` (``hesa_{year}``)
    database  SRS database (``LEO_i2``, ``NPD_i2``, ``HESA_i2``); lookups that a researcher
              ingests into the project schema say so in `origin`
    grain     what one row is
    key       columns that identify a row (None where duplicates are part of the real data)
    years     (first, last) collection years for per-year views, else None
    origin    'LEO extract', 'public lookup (ingest into the SRS)' or 'synthetic only'
    """

    def __init__(
        self,
        name,
        database,
        grain,
        columns,
        key=None,
        years=None,
        meaning="",
        origin="LEO extract",
        confirmed=True,
        notes="",
    ):
        self.name = name
        self.database = database
        self.grain = grain
        self.columns = list(columns)
        self.key = key
        self.years = years
        self.meaning = meaning
        self.origin = origin
        self.confirmed = confirmed
        self.notes = notes
        names = [c.name for c in self.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"view {name!r} declares columns twice: {dupes}")

    @property
    def per_year(self):
        return "{year}" in self.name

    @property
    def family(self):
        """Name without the year placeholder (``hesa``, ``spring_census``)."""
        return self.name.replace("_{year}", "").replace("{year}", "")

    def name_for(self, year=None):
        if not self.per_year:
            return self.name
        if year is None:
            raise ValueError(f"view {self.name!r} is one view per year: give a year")
        if self.years and not self.years[0] <= year <= self.years[1]:
            raise ValueError(
                f"view {self.name!r} exists for years {self.years[0]}-{self.years[1]}, not {year}"
            )
        return self.name.format(year=year)

    def all_years(self):
        if not self.per_year:
            return [None]
        return list(range(self.years[0], self.years[1] + 1))

    def columns_for(self, year=None):
        """Columns present in the view for a given year (all of them for a single view)."""
        return [c for c in self.columns if c.exists_in(year)]

    def column(self, name, year=None):
        """Find a column by its SRS name, common name or template; case-insensitive like SQL Server."""
        want = name.lower()
        for c in self.columns_for(year):
            if want in (c.name_for(year).lower(), c.common_name().lower(), c.name.lower()):
                return c
        raise KeyError(name)

    def __repr__(self):
        return f"View({self.name!r})"


class Registry:
    def __init__(self, views):
        self._views = OrderedDict()
        for v in views:
            if v.name in self._views:
                raise ValueError(f"view {v.name!r} registered twice")
            self._views[v.name] = v

    def __iter__(self):
        return iter(self._views.values())

    def __len__(self):
        return len(self._views)

    def names(self):
        return list(self._views)

    def view(self, name):
        """Look a view up by its registry name, family name or a concrete per-year name.

        ``registry.view("hesa_2012")`` returns the ``hesa_{year}`` view. Raises a KeyError
        whose message lists the known views.
        """
        if name in self._views:
            return self._views[name]
        low = name.lower()
        for v in self._views.values():
            if low in (v.name.lower(), v.family.lower()):
                return v
            if v.per_year:
                prefix = v.family.lower() + "_"
                tail = low[len(prefix) :]
                if low.startswith(prefix) and tail.isdigit():
                    return v
        raise KeyError(
            "unknown view {!r}; the registry knows: {}".format(
                name, ", ".join(sorted(v.family for v in self._views.values()))
            )
        )

    def resolve(self, view, year=None):
        """(View, concrete name, year) for a View object, a concrete name or a family + year."""
        if isinstance(view, str):
            v = self.view(view)
            if v.per_year and year is None:
                year = self.year_of(view)
            name = view
        else:
            v = view
            name = v.name_for(year) if v.per_year and year is not None else v.name
        return v, name, year

    def year_of(self, concrete_name):
        """The year in a concrete per-year view name (``hesa_2012`` -> 2012), else None."""
        tail = concrete_name.rsplit("_", 1)[-1]
        return int(tail) if tail.isdigit() else None

    def concrete_names(self):
        """Every concrete view name (per-year views expanded)."""
        out = []
        for v in self._views.values():
            for y in v.all_years():
                out.append(v.name_for(y))
        return out
