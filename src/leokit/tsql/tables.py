"""The script's own tables: CREATE TABLE (computed columns, IDENTITY, keys, collations),
INSERT without a column list, values truncated on insert as SQL Server does, temp names.

    before = rewrite_create_table(create, idioms)   # statements to run before it (sequences)

Current stack only (sqlglot).
"""

from sqlglot import exp

__all__ = [
    "is_temp",
    "rewrite_create_table",
    "fill_insert_columns",
    "truncate_inserts",
]


def is_temp(table):
    return table.catalog.lower() == "temp" if isinstance(table, exp.Table) else False


def rewrite_create_table(create, idioms):
    """Computed columns, IDENTITY and PRIMARY KEY clauses of a CREATE TABLE; returns the
    statements to run before it (the IDENTITY sequences)."""
    schema = create.this
    table = schema.this
    before = []
    coldefs = [c for c in schema.expressions if isinstance(c, exp.ColumnDef)]
    temp = is_temp(table)
    for col in coldefs:
        for cons in list(col.constraints):
            k = cons.kind
            if isinstance(k, exp.ComputedColumnConstraint):
                # DuckDB's generated column: AS (expr); PERSISTED has no equivalent
                idioms.add("computed column")
                wrapper = exp.Paren(this=k.this.copy())
                cons.set("kind", exp.ComputedColumnConstraint(this=wrapper))
            elif isinstance(k, exp.GeneratedAsIdentityColumnConstraint):
                idioms.add("IDENTITY column")
                start = k.args.get("start") or exp.Literal.number(1)
                inc = k.args.get("increment") or exp.Literal.number(1)
                seq = exp.Table(
                    this=exp.to_identifier(f"{table.name}__{col.name}__identity", quoted=True),
                    db=exp.to_identifier(table.db, quoted=True),
                    catalog=exp.to_identifier(table.catalog, quoted=True),
                )
                seed, step = start.sql("duckdb"), inc.sql("duckdb")
                before += [
                    f"CREATE OR REPLACE {'TEMP ' if temp else ''}SEQUENCE {seq.sql('duckdb')} "
                    f"START {seed} INCREMENT {step}",
                    # DuckDB keeps the next value as the start: the seed is kept here,
                    # for TRUNCATE TABLE to restart at it
                    f"COMMENT ON SEQUENCE {seq.sql('duckdb')} IS 'IDENTITY({seed}, {step})'",
                ]
                quoted = seq.sql("duckdb").replace("'", "''")
                cons.set(
                    "kind",
                    exp.DefaultColumnConstraint(
                        this=exp.Anonymous(this="nextval", expressions=[exp.Literal.string(quoted)])
                    ),
                )
            elif isinstance(k, exp.PrimaryKeyColumnConstraint):
                idioms.add("PRIMARY KEY")
    for cons in schema.expressions:
        if isinstance(cons, exp.PrimaryKey) or (
            isinstance(cons, exp.Constraint) and cons.find(exp.PrimaryKey)
        ):
            idioms.add("PRIMARY KEY")
    for ordered in list(schema.find_all(exp.Ordered)):
        if isinstance(ordered.parent, exp.PrimaryKey) or ordered.find_ancestor(exp.PrimaryKey):
            ordered.replace(ordered.this.copy())  # no NULLS FIRST in key lists
    return before


def fill_insert_columns(insert, ctx, idioms):
    """INSERT t SELECT ... into a table with IDENTITY or computed columns: SQL Server fills
    the other columns in order, so name them."""
    target = insert.this
    if isinstance(target, exp.Schema):
        return
    cols = ctx.insertable(target)
    if cols is None:
        return
    insert.set(
        "this",
        exp.Schema(
            this=target.copy(), expressions=[exp.to_identifier(c, quoted=True) for c in cols]
        ),
    )
    idioms.add("INSERT into a table with IDENTITY")


def truncate_inserts(insert, ctx, kinds):
    """Inserting 2.7 into an int column stores 2 in SQL Server, 3 in DuckDB."""
    target = insert.this
    table = target.this if isinstance(target, exp.Schema) else target
    cols = ctx.columns(table)
    if not cols:
        return
    names = (
        [c.name.lower() for c in target.expressions]
        if isinstance(target, exp.Schema)
        else (ctx.insertable(table) or list(cols))
    )
    names = [n.lower() for n in names]
    query = insert.expression
    rows = []
    if isinstance(query, exp.Select):
        rows = [query.expressions]
    elif isinstance(query, exp.Values):
        rows = [t.expressions for t in query.expressions]
    for row in rows:
        for name, value in zip(names, list(row)):
            if cols.get(name) == "int" and kinds.of(value) in ("dec", "real"):
                inner = value.this if isinstance(value, exp.Alias) else value
                inner.replace(exp.Anonymous(this="TRUNC", expressions=[inner.copy()]))
