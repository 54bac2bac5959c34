"""Run the T-SQL researchers write in the SRS, whole scripts, on an extract in DuckDB.

    leokit sql run my_project.sql --extract data_synthetic [--keep-going] [--schema 2002237]
                                  [--database work.duckdb]

    from leokit.tsql import run_script              # also leokit.sql.run_script
    with run_script("my_project.sql", "data_synthetic") as run:
        run.results                                   # result sets (DataFrames), in order
        run.con.execute("SELECT COUNT(*) FROM fft.earnings").fetchone()

The script runs batch by batch (``GO`` on its own line, optionally ``GO n``) against a DuckDB
database on which the SRS three-part names of the extract resolve (``LEO_i2.<schema>.
leo_earnings``, ``NPD_i2...``, ``HESA_i2...``; ``--schema`` names the project schema the
script uses if it is not the extract's). The script's own schemas and tables go to a work
database (``--database FILE``, kept for the next run, or in memory); ``#temp`` tables are
DuckDB temporary tables. leokit.sql.run_duckdb still runs the cookbook's own scripts; this
runner covers the procedural T-SQL around them.

Run by the runner itself (leokit.tsql.runner)
- ``DECLARE @v type [= expr]`` (several per statement), ``SET @v = expr``, ``SET @v += expr``
  (and ``-= *= /= %=``), ``SELECT @v = expr [FROM ...]`` (the last row's value; no rows: the
  variable keeps its value). Values are stored in the declared type: ``varchar`` without a
  length is ``varchar(1)``, as in SQL Server. Variables last to the end of the batch.
- ``IF cond stmt [ELSE stmt]``, ``WHILE cond stmt``, ``BEGIN ... END``, ``BREAK``,
  ``CONTINUE``, ``RETURN``; conditions with ``EXISTS``, ``OBJECT_ID(...) IS [NOT] NULL``,
  ``SCHEMA_ID(...)``, ``@@ROWCOUNT``.
- ``OBJECT_ID('db.schema.name' [, 'U' | 'V'])``: tables and views of the work database, temp
  tables as ``OBJECT_ID('tempdb..#t')`` (``OBJECT_ID('#t')`` is NULL, as in SQL Server: the
  log says so), the extract's views (type 'V'). ``SCHEMA_ID('name')``, ``DB_ID('name')``.
- ``@@ROWCOUNT``: rows of the last INSERT, UPDATE, DELETE, MERGE, SELECT INTO or SELECT;
  1 after ``SET @v``; 0 after DDL, PRINT, SET options and transactions, and after an IF or
  WHILE has tested it (as SQL Server does); an EXEC keeps the value from before it.
- ``EXEC ('string')``, ``EXEC (@sql)``, ``EXEC sp_executesql @sql`` (no parameters): the
  string runs as a batch of its own (its own variables; its #temp tables are dropped after
  it, as in SQL Server).
- ``PRINT``, ``RAISERROR (msg, severity, state, args...)`` (severity 10 or less prints;
  more fails the statement), ``THROW n, msg, state``; ``BEGIN TRAN`` / ``COMMIT`` /
  ``ROLLBACK`` (nested BEGIN TRAN counted, as @@TRANCOUNT); ``USE db`` (an extract database
  or the work database); harmless ``SET`` options (NOCOUNT, ANSI_WARNINGS...) are ignored.

Translated (leokit.tsql.translate; sqlglot does the rest of the T-SQL to DuckDB dialect)
- Names: ``#t`` / ``tempdb..#t`` / ``tempdb.dbo.#t`` (temp tables), ``##t``, ``dbo.t`` (the
  work database's ``main``), ``fft.wip#sc`` (``#`` inside a permanent name), three-part
  names of the extract, table variables ``DECLARE @t TABLE (...)``.
- ``CREATE TABLE`` with computed columns (``c AS expr``: DuckDB generated columns;
  PERSISTED dropped), ``IDENTITY(seed, step)`` (a sequence; ``INSERT t SELECT ...`` without a
  column list then fills the other columns, as in SQL Server), ``PRIMARY KEY [CLUSTERED]``
  (enforced), ``COLLATE`` (binary and case-sensitive ones dropped, ``*_CI_*`` as NOCASE),
  ``WITH (DATA_COMPRESSION = ...)`` and ``ON [PRIMARY]`` dropped. Types: ``bit`` is BOOLEAN
  (shown as 1/0 in results), ``float`` DOUBLE, ``money`` DECIMAL(19,4), ``decimal`` without
  precision DECIMAL(18,0), string lengths dropped.
- ``SELECT ... INTO t`` (a permanent table here, unlike leokit.sql.run_duckdb),
  ``INSERT t SELECT`` (INTO optional), ``TRUNCATE TABLE`` (restarts IDENTITY at its seed;
  done as drop-and-create, since DuckDB empties a keyed table row by row),
  ``DROP TABLE [IF EXISTS] a, b``,
  ``CREATE SCHEMA [AUTHORIZATION x]``, ``CREATE VIEW``, ``ALTER TABLE ... ADD``, ``MERGE``.
- ``UPDATE alias SET ... FROM t alias JOIN ...`` (any join kind; if the join gives a
  target row several matches one is taken, as SQL Server does), ``DELETE a FROM t a JOIN
  ...``, ``DELETE FROM t FROM ...``, ``DELETE TOP (n)``, ``UPDATE TOP (n)``.
- ``TOP (n)``, ``TOP (n) WITH TIES`` (RANK over the ORDER BY), ``TOP (n) PERCENT`` (rounded
  up), ``CROSS APPLY`` / ``OUTER APPLY`` (LATERAL joins).
- SQL Server's implicit conversions, typed from the tables' columns, casts, literals and
  the aliases the statement defines: text + number adds (``left(TaxYear, 4) + 1``), text +
  text joins (``+`` becomes ``||``; NULL + text is NULL), text compared with a number or a
  date is converted to it, numbers given to string functions become text, CASE / ISNULL /
  COALESCE branches take the result type (ISNULL the first argument's), blank text is 0 as
  a number and 1900-01-01 as a date (``ISNULL(int_col, '')`` is 0), ``'20150406'`` is a
  date, ``CAST(2.7 AS int)`` and inserting 2.7 into an int column truncate (DuckDB rounds),
  integer ``/`` and ``AVG`` of integers truncate (leokit.sql's rule), DATEADD on a date
  stays a date, ``DATEPART(weekday, d)`` counts from Sunday = 1 (us_english). Where the
  type of a ``+`` or ``/`` operand cannot be told the statement is refused with a message
  asking for a CAST.
- ``LIKE`` patterns with ``[A-Z]``, ``[^0-9]``, ``[%]`` (a regular expression in DuckDB).
- ``ISNUMERIC(x)``: 1 for text that converts to a number (optional sign, digits, one
  decimal point, an exponent with e or d, spaces around), else 0; NULL gives 0.
- ``LEN`` ignores trailing spaces; ``VAR``/``VARP``/``STDEVP``; ``GETDATE()`` is local time;
  ``CHECKSUM`` is a 32-bit hash (other values than SQL Server's: use it to compare rows);
  ``0x7FFF`` is a number; recursive CTEs need no RECURSIVE keyword.
- ``CREATE [UNIQUE] [CLUSTERED] INDEX ... INCLUDE (...)``, ``ALTER TABLE ... REBUILD``,
  ``UPDATE STATISTICS``, GRANT: accepted and skipped (the log says so).

Not supported (each stops with a message naming the statement, its line and the idiom)
- cursors, ``BEGIN TRY ... BEGIN CATCH``, ``GOTO`` and labels, stored procedures, functions
  and triggers (``CREATE PROCEDURE``, ``EXEC proc``), ``INSERT ... EXEC``, ``sp_executesql``
  with parameters, ``SET ROWCOUNT n``, ``SELECT @v = @v + x FROM t`` (row-by-row
  accumulation), savepoints, ``OPENROWSET`` / ``BULK INSERT``, ``FOR XML PATH``,
  ``PATINDEX``, ``STR()``.

Known differences from SQL Server (not copied)
- ISNUMERIC: SQL Server also says 1 for currency symbols (``'$'``, ``'£5'``), thousands
  commas (``'1,000'``), a lone sign or point (``'-'``, ``'.'``) and tabs; here those are 0.
- Text comparison is case-sensitive and counts trailing spaces (SQL Server's default
  collation ignores case, and ``'a' = 'a '`` there); char(n) is not padded.
- Text converted to int that is not a whole number (``'2.5'``) rounds here; SQL Server
  stops with a conversion error. Too-long text is stored whole (SQL Server: an error).
- A UNIQUE index is not checked; float-to-text conversion and datetime-to-text formats
  differ; datetime + number (days) is not translated; SET DATEFIRST, DATEFORMAT and LANGUAGE
  are refused (a server whose language is British English counts weekdays from Monday).
- Division by zero stops the statement, as SQL Server's default; with ANSI_WARNINGS and
  ARITHABORT OFF SQL Server gives NULL instead.
"""

from leokit.tsql.runner import Failure, ScriptError, ScriptRun, run_script

__all__ = ["run_script", "ScriptRun", "ScriptError", "Failure"]
