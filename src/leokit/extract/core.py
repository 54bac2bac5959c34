"""The Extract: one object to read an opened extract, whatever its source.

    ex = open_extract("data_synthetic")      # leokit.extract.opening builds it
    ex.read("hesa", years=[2012, 2013])
    for frame in ex.chunks("leo_employment", chunksize=100000): ...
    ex.relation("leo_earnings")              # a DuckDB relation

A thin facade: the request is planned (leokit.extract.plans), the rows fetched by the source
(leokit.extract.sources), converted to the read form (leokit.extract.convert), filtered
(leokit.extract.filters) and, for a per-year family, stacked (leokit.extract.stacking);
relations are leokit.extract.relations.

SRS-bound: runs on Python 3.7 + pandas 1.0.1.
"""

from collections import OrderedDict

import numpy as np
import pandas as pd

from leokit.extract.convert import convert, finish_ints
from leokit.extract.filters import filter_mask
from leokit.extract.formats import DEFAULT_CHUNKSIZE, ExtractError
from leokit.extract.plans import FamilyPlan, Planner
from leokit.extract.relations import Relations
from leokit.extract.sources import check_chunksize
from leokit.extract.stacking import stack, year_data
from leokit.schema import REGISTRY

__all__ = ["Extract"]


class Extract:
    """An opened extract; see leokit.extract.open_extract.

    source    where the rows come from (leokit.extract.sources: a folder, a DB-API
              connection or a DuckDB extract)
    registry  the schema registry views are read against
    manifest  the folder's manifest.json as a dict (None for a connection)
    """

    def __init__(self, source, registry=REGISTRY, manifest=None, folder=None):
        self.source = source
        self.registry = registry
        self.manifest = manifest
        self.folder = folder  # the extract's folder or DuckDB file; None for a database connection
        self._planner = Planner(source, registry)
        self._relations = Relations(source, self._planner)

    @property
    def where(self):
        return self.source.where

    def __repr__(self):
        return f"<Extract {self.source.where}>"

    def close(self):
        self._relations.close()
        self.source.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- what is there
    def views(self):
        """Concrete view names available, registry order first, then any others."""
        return self._planner.views()

    def has(self, view):
        return view.lower() in self.source.available()

    def _unregistered(self, view):
        return isinstance(view, str) and not self._planner.registered(view) and self.has(view)

    # -- reading
    def read(self, view, columns=None, years=None, where=None, validate=True, chunksize=None):
        """Read one view, or a family of per-year views stacked into one frame.

        view      a concrete name ("leo_earnings", "hesa_2013") or a per-year family
                  ("hesa", "spring_census"): all available years (or `years`) stacked, with a
                  `year` column and columns under their common names (fsmeligible_spr09 ->
                  fsmeligible); columns a year lacks are NULL there.
        columns   names to read (case-insensitive, returned in registry casing); default all
        where     {column: value, list of values or between(lo, hi)}; on a database also SQL
                  text. Sent to the source: a WHERE on a database, a filter on Parquet files
        validate  check the requested columns exist and each has its registry kind
        chunksize rows fetched at a time from a database; to get the rows a chunk at a time
                  (bounded memory), use `chunks`
        """
        if chunksize is not None:
            chunksize = check_chunksize(chunksize)
        if self._unregistered(view):
            query = self._planner.unregistered_query(view, columns, where)
            frames = self.source.read(query)
            raw = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            return raw.reset_index(drop=True)
        plan = self._planner.plan(view, columns, years, where, validate)
        if not isinstance(plan, FamilyPlan):
            return self._finish(plan, self.source.read(plan.query, chunksize), validate)
        frames = []
        for part in plan.parts:
            frame = self._finish(part.plan, self.source.read(part.plan.query, chunksize), validate)
            frames.append(year_data(part, frame, plan))
        return stack(frames, plan)

    def chunks(self, view, columns=None, years=None, where=None, validate=True, chunksize=None):
        """Read a view (or a per-year family) a chunk at a time: an iterator of frames.

        Arguments as for `read`; each frame has at most `chunksize` rows (default: the
        extract's, 500,000) and the form `read` gives, and the frames together hold what `read`
        returns. Only one chunk (plus the driver's buffer) is in memory at a time: a database
        is fetched with fetchmany, Parquet by record batches, CSV and Stata with pandas'
        chunked readers. Columns and `where` are pushed to the source as in `read`. Integer
        columns are int64 in a chunk without NULLs and Int64 in one with them. When no row
        matches, one empty frame is yielded.
        """
        size = check_chunksize(chunksize, self.source.chunksize or DEFAULT_CHUNKSIZE)
        if self._unregistered(view):
            raise ExtractError(
                f"view {view} is not in the schema registry: chunks() reads registered views; "
                "use read() for it"
            )
        plan = self._planner.plan(view, columns, years, where, validate)
        if not isinstance(plan, FamilyPlan):
            return self._chunks_of(plan, validate, size)
        return self._family_chunks(plan, validate, size)

    def _chunks_of(self, plan, validate, size):
        for raw in self.source.chunks(plan.query, size):
            yield self._finish(plan, [raw], validate)

    def _family_chunks(self, family, validate, size):
        yielded = False
        empty = None
        for part in family.parts:
            for frame in self._chunks_of(part.plan, validate, size):
                stacked = stack([year_data(part, frame, family)], family)
                if len(stacked) or not yielded:
                    if not len(stacked):
                        empty = stacked
                        continue
                    yielded = True
                    yield stacked
        if not yielded:
            if empty is None:
                empty = stack([], family)
            yield empty

    def _finish(self, plan, frames, validate):
        """The source's raw frames of one plan -> one frame in the read form.

        Each frame is converted on its own (integers kept Int64 until the frames are joined),
        then integer columns without NULLs become int64, `where` filters the source could not
        apply are applied, and columns are named and ordered as asked."""
        registered = plan.registered
        converted = [self._convert_frame(f, registered, plan.context, validate) for f in frames]
        if len(converted) > 1:
            df = pd.concat(converted, ignore_index=True, sort=False)
        else:
            df = converted[0]
        for a, c in registered.items():
            if c.kind in ("int", "flag") and str(df[a].dtype) == "Int64":
                df[a] = finish_ints(df[a])
        if plan.filters:
            mask = np.ones(len(df), dtype=bool)
            for _, a, vals in plan.filters:
                mask &= filter_mask(df[a], vals)
            df = df.loc[mask]
        out = OrderedDict()
        for c, a in plan.pairs:
            out[c.name_for(plan.year) if c is not None else a] = df[a].reset_index(drop=True)
        return pd.DataFrame(out)

    def _convert_frame(self, raw, registered, ctx, validate):
        df = raw.copy()
        for a in list(df.columns):
            c = registered.get(a)
            if c is None:
                continue
            s = df[a]
            if self.source.blank_is_null and c.kind == "str" and c.nullable:
                s = s.where(s != "", None).astype(object)
                s[s.isna()] = None
            df[a] = convert(s, c, ctx, validate, final=False)
        return df

    # -- DuckDB
    def duckdb(self, memory_limit=None, threads=None):
        """The DuckDB connection `relation` builds on (created on first use, one per extract).

        For a DuckDB extract, or a DuckDB connection opened as a server, it is that connection;
        for a folder, an in-memory DuckDB that reads the files where they are. memory_limit
        (e.g. "4GB") and threads are DuckDB settings; DuckDB spills to disk beyond the limit.
        """
        return self._relations.connection(memory_limit, threads)

    def relation(self, view, columns=None, years=None, where=None):
        """A view (or a per-year family, years stacked with a `year` column) as a DuckDB relation.

        Nothing is read until the relation is used: DuckDB reads only the columns asked for and
        pushes `where` into the scan, so derivations (leokit.derive_sql) run inside DuckDB on
        data bigger than memory. Arguments as for `read`; `where` may also be DuckDB SQL text.
        Columns come in registry casing with SQL types: BIGINT for ints and flags, DOUBLE,
        DATE (9999-12-31 kept), VARCHAR (binary keys as upper-case hex). CSV blanks are NULL in
        nullable text columns and in every non-text column. `relation_sql` gives the SQL.
        """
        return self._relations.relation(view, columns=columns, years=years, where=where)

    def relation_sql(self, view, columns=None, years=None, where=None):
        """The DuckDB SQL `relation` runs (SELECT of the needed columns, with a WHERE)."""
        return self._relations.sql(view, columns=columns, years=years, where=where)
