"""Open an extract: a folder written by `leokit synth`, a DuckDB extract, or a DB-API
connection (pyodbc to SQL Server inside the SRS).

    ex = open_extract("data_synthetic")
    ex = open_extract(pyodbc_connection, schema="2002237")
    ex = open_parameter(extract)       # a notebook's `extract` parameter: a path or a dict

SRS-bound: runs on Python 3.7 + pandas 1.0.1 (pyodbc and duckdb are imported only for the
sources that need them).
"""

import os
from collections import OrderedDict

from leokit.extract.core import Extract
from leokit.extract.formats import (
    DEFAULT_CHUNKSIZE,
    FILE_SUFFIX,
    FORMATS,
    MANIFEST,
    WRITING_MARK,
    ExtractError,
    first_line,
    read_manifest,
)
from leokit.extract.sources import (
    DuckDBSource,
    FolderSource,
    SqlSource,
    check_chunksize,
    connect_duckdb,
)
from leokit.schema import DATABASES, DEFAULT_SCHEMA, REGISTRY

__all__ = ["open_extract", "open_parameter"]


def _detect(path):
    """(format, file names, manifest or None) of an extract folder; ExtractError when the
    folder is missing, is a file, is being written, or holds no extract."""
    if not os.path.exists(path):
        raise ExtractError(f"no extract at {path}: the folder does not exist")
    if not os.path.isdir(path):
        if path.endswith(".duckdb"):
            raise ExtractError(
                f"{path} is one DuckDB file; give the folder that holds the extract's "
                "LEO_i2.duckdb, NPD_i2.duckdb and HESA_i2.duckdb"
            )
        raise ExtractError(f"{path} is a file; give the extract folder")
    if os.path.exists(os.path.join(path, WRITING_MARK)):
        raise ExtractError(
            f"{path} is the temporary folder of a `leokit synth` that was interrupted or is "
            "still running: not an extract"
        )
    try:
        names = sorted(os.listdir(path))
    except OSError as e:
        raise ExtractError(f"cannot list the extract folder {path}: {e.strerror}") from None
    fmt = None
    mpath = os.path.join(path, MANIFEST)
    manifest = read_manifest(path) if os.path.isfile(mpath) else None
    if manifest is not None and manifest.get("format") in FORMATS:
        fmt = manifest["format"]
    if fmt is None:
        counts = [(sum(1 for n in names if n.endswith(FILE_SUFFIX[f])), f) for f in FORMATS]
        counts.sort(key=lambda t: -t[0])
        if counts[0][0] == 0:
            raise ExtractError(
                f"no extract at {path}: found no .parquet, .csv, .dta or .duckdb files"
            )
        fmt = counts[0][1]
    return fmt, names, manifest


def _check_databases(databases):
    """The `databases` mapping, checked: registry database names to text."""
    if databases is None:
        return {}
    if not isinstance(databases, dict):
        raise ExtractError(
            f"databases = {databases!r}: expected a dict such as {{'LEO_i2': '<actual database>'}}"
        )
    unknown = [k for k in databases if k not in DATABASES]
    if unknown:
        raise ExtractError(
            "databases: unknown database {!r}; expected keys among {}".format(
                unknown[0], ", ".join(DATABASES)
            )
        )
    bad = [k for k, v in databases.items() if not (isinstance(v, str) and v.strip())]
    if bad:
        raise ExtractError(
            f"databases[{bad[0]!r}] = {databases[bad[0]]!r}: expected the actual database name as text"
        )
    return databases


def open_extract(
    source,
    schema=None,
    databases=None,
    registry=REGISTRY,
    chunksize=DEFAULT_CHUNKSIZE,
):
    """Open an extract.

    source     a folder (Parquet, CSV or Stata files, or a DuckDB extract), or a DB-API
               connection to the server (pyodbc in the SRS)
    schema     the project schema (SRS: the project number); default: the manifest's, else
               leokit.schema.DEFAULT_SCHEMA
    databases  registry database -> actual database name, e.g. {"LEO_i2": "LEO_i2"}
    chunksize  rows fetched at a time from a database (the SRS views have no indexes)
    """
    dbmap = dict((d, d) for d in DATABASES)
    dbmap.update(_check_databases(databases))
    if schema is not None and not (isinstance(schema, str) and schema.strip()):
        raise ExtractError(
            f"schema = {schema!r}: expected the project schema's name as text, e.g. '2002237'"
        )
    chunksize = check_chunksize(chunksize)
    if hasattr(source, "cursor") and not isinstance(source, (str, bytes)):
        src = SqlSource(source, schema or DEFAULT_SCHEMA, dbmap, registry, chunksize)
        return Extract(src, registry, None)
    if not isinstance(source, (str, os.PathLike)) or not os.fspath(source):
        raise ExtractError(
            f"source = {source!r}: expected an extract folder (a path) or a DB-API connection "
            "(pyodbc inside the SRS)"
        )
    path = os.fspath(source)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    fmt, names, manifest = _detect(path)
    if schema is None:
        schema = (manifest or {}).get("schema") or DEFAULT_SCHEMA
    if fmt == "duckdb":
        con = connect_duckdb(path)
        label = f"DuckDB extract {path} (schema {schema})"
        src = DuckDBSource(con, schema, dbmap, registry, chunksize, label=label, owned=True)
        return Extract(src, registry, manifest, folder=path)
    suffix = FILE_SUFFIX[fmt]
    files = OrderedDict()
    for n in names:
        if n.endswith(suffix):
            stem = n[: -len(suffix)]
            files[stem.lower()] = (stem, os.path.join(path, n))
    return Extract(FolderSource(path, fmt, files, chunksize), registry, manifest, folder=path)


def open_parameter(extract):
    """Open the extract a notebook's ``extract`` parameter names.

    extract  a path (a synthetic folder, or a DuckDB extract folder), or, inside the SRS, a dict
             {"odbc": "<pyodbc connection string>", "schema": "<project schema>",
             "databases": {"LEO_i2": "<actual database>", ...}} (schema and databases
             optional). pyodbc is imported only for the dict form.
    """
    if isinstance(extract, dict):
        unknown = sorted(str(k) for k in set(extract) - {"odbc", "schema", "databases"})
        if unknown or "odbc" not in extract:
            what = f"unknown key(s) {', '.join(unknown)}" if unknown else "no 'odbc' key"
            raise ExtractError(
                f"extract settings: {what}; expected a dict with 'odbc' (a pyodbc connection "
                "string) and optionally 'schema' and 'databases'"
            )
        odbc = extract["odbc"]
        if not isinstance(odbc, str) or not odbc.strip():
            raise ExtractError(
                f"extract['odbc'] = {odbc!r}: expected a pyodbc connection string such as "
                "'DRIVER={SQL Server};SERVER=...;Trusted_Connection=yes'"
            )
        schema = extract.get("schema")
        if schema is not None and not (isinstance(schema, str) and schema.strip()):
            raise ExtractError(
                f"extract['schema'] = {schema!r}: expected the project schema's name as text"
            )
        databases = _check_databases(extract.get("databases"))
        try:
            import pyodbc
        except ImportError:
            raise ExtractError(
                "extract settings name an ODBC connection, but pyodbc is not installed: the "
                "dict form is for the SRS; elsewhere give the path of an extract folder"
            ) from None
        try:
            con = pyodbc.connect(odbc)
        except Exception as e:  # noqa: BLE001 - the driver's error, reported once
            err = ExtractError(f"extract['odbc']: the connection failed: {first_line(e)}")
        else:
            err = None
        if err is not None:
            raise err
        return open_extract(con, schema=schema, databases=databases)
    if not isinstance(extract, str) or not extract.strip():
        raise ExtractError(
            f"extract = {extract!r}: expected a path (an extract folder) or a dict of SRS "
            "connection settings"
        )
    return open_extract(extract)
