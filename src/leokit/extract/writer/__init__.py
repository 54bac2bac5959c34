"""Writing extracts (what `leokit synth` writes): see leokit.extract.writer.core.

    from leokit.extract.writer import write_extract, ExtractWriter
    write_extract(tables, "out", fmt="parquet", truth=truth, params=params)

    core     ExtractWriter and write_extract: tables in, manifest out
    encode   each table converted once, for its checksum and its Arrow arrays
    files    one writer per format (Parquet, CSV, Stata, DuckDB); the Parquet writer thread
    target   where an extract may be written, the temporary folder, the swap into place

Current stack only (pyarrow, tqdm, pandas 2): not SRS-bound, and not loaded by
``import leokit.extract``.
"""

from leokit.extract.formats import FORMATS, read_manifest
from leokit.extract.writer.core import ExtractWriter, write_extract
from leokit.extract.writer.files import FILE_WRITERS
from leokit.extract.writer.target import (
    TRUTH,
    WriteError,
    check_target,
    clean_leftovers,
    leftovers,
    not_ours,
    own_files,
)

__all__ = [
    "write_extract",
    "ExtractWriter",
    "read_manifest",
    "check_target",
    "WriteError",
    "FORMATS",
    "TRUTH",
    "FILE_WRITERS",
    "leftovers",
    "clean_leftovers",
    "not_ours",
    "own_files",
]
