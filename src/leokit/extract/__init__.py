"""Open a LEO extract: a synthetic folder (Parquet, CSV, Stata), a DuckDB extract, or the SRS.

    import leokit.extract as lx
    ex = lx.open_extract("data_synthetic")                     # folder written by `leokit synth`
    ex = lx.open_extract(pyodbc_connection, schema="2002237")  # in the SRS: SQL Server views
    ex.views()                                                 # concrete views available
    ex.read("leo_earnings", columns=["Edukey", "TaxYear", "Earnings"])
    ex.read("hesa", years=[2012, 2013])                # per-year views stacked, with `year`

Every path returns the same frame: columns in registry casing; dates as ``datetime.date``
objects in an object column (what pyodbc gives; 9999-12-31 survives); ints as int64, or
nullable Int64 when NULLs occur; floats as float64; text as object with None for NULL.

CSV and Stata cannot tell NULL text from '': an empty field reads as NULL in columns the
registry marks nullable, and as '' in the others (blank keys).

The package, one job per module (each imports only modules above it in this list):

    formats    file formats, names, the manifest, ExtractError
    convert    values to the read form (conform)
    checksum   the content checksum every manifest records (content_sha256)
    filters    `where`: checked, rendered as SQL or an Arrow filter, applied in pandas
    sources    a folder, a DB-API server, a DuckDB extract: one interface
    plans      read plans: which columns and rows of which stored view
    stacking   per-year views stacked into one frame
    relations  DuckDB relations and their SQL
    core       the Extract (a thin facade over the above)
    opening    open_extract, open_parameter
    writer     writing extracts (leokit synth): current stack only, not loaded here
    validate   validate_extract (pandera): current stack only, not loaded here

Everything this package loads on import is SRS-bound: it runs on the SRS Python profile
(Python 3.7, pandas 1.0, numpy 1.18) for the CSV-folder and database (DB-API) paths, with no
3.8+ syntax and no pandas > 1.0 API. pyarrow, duckdb and pandas' Stata reader are imported
only inside the functions that need them. `writer` and `validate` are imported by name
(``from leokit.extract.writer import write_extract``) and are not copied into the SRS.
"""

from leokit.extract.checksum import content_sha256
from leokit.extract.convert import conform
from leokit.extract.core import Extract
from leokit.extract.filters import between
from leokit.extract.formats import (
    DEFAULT_CHUNKSIZE,
    FILE_SUFFIX,
    FORMATS,
    MANIFEST,
    STATA_MAX_NAME,
    WRITING_MARK,
    ExtractError,
    read_manifest,
)
from leokit.extract.opening import open_extract, open_parameter
from leokit.extract.sources import connect_duckdb

__all__ = [
    "ExtractError",
    "Extract",
    "open_extract",
    "open_parameter",
    "connect_duckdb",
    "conform",
    "content_sha256",
    "read_manifest",
    "FORMATS",
    "MANIFEST",
    "FILE_SUFFIX",
    "WRITING_MARK",
    "STATA_MAX_NAME",
    "DEFAULT_CHUNKSIZE",
    "between",
]
