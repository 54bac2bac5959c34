"""Statements DuckDB spells differently: TOP (n) [PERCENT | WITH TIES], CROSS/OUTER APPLY,
recursive CTEs, SELECT ... INTO, UPDATE ... FROM and DELETE ... FROM with joins.

    ast = rewrite_update_from(ast, top, idioms)

Current stack only (sqlglot).
"""

from sqlglot import exp

from leokit.tsql.prepare import Unsupported
from leokit.tsql.tables import is_temp

__all__ = [
    "rewrite_top",
    "rewrite_applies",
    "mark_recursive_ctes",
    "rewrite_select_into",
    "source_items",
    "rewrite_update_from",
    "rewrite_delete_join",
]


def rewrite_top(select, idioms):
    """SELECT TOP (n) WITH TIES / PERCENT, which DuckDB's LIMIT cannot say: a RANK (ties) or
    ROW_NUMBER window over the ORDER BY keys, filtered outside."""
    limit = select.args.get("limit")
    opts = limit.args.get("limit_options") if isinstance(limit, exp.Limit) else None
    ties = bool(opts and opts.args.get("with_ties"))
    percent = bool(opts and opts.args.get("percent"))
    if not (ties or percent):
        return select
    order = select.args.get("order")
    if order is None or not order.expressions:
        if ties:
            raise Unsupported("TOP ... WITH TIES", "TOP ... WITH TIES needs an ORDER BY")
        raise Unsupported("TOP ... PERCENT", "TOP ... PERCENT is translated with an ORDER BY only")
    idioms.add("TOP ... WITH TIES" if ties else "TOP ... PERCENT")
    n = limit.expression.copy()
    keys = [_order_key(o, select) for o in order.expressions]
    rank_fn = exp.Rank() if ties else exp.RowNumber()
    window = exp.Window(this=rank_fn, order=exp.Order(expressions=keys))
    inner = select.copy()
    inner.set("limit", None)
    inner.set("order", None)
    into = inner.args.get("into")
    inner.set("into", None)
    with_ = inner.args.get("with_")
    inner.set("with_", None)
    rank = exp.to_identifier("__leokit_rank")
    if inner.args.get("distinct"):
        wrapped = exp.select("*").from_(inner.subquery("__leokit_distinct"))
        wrapped.select(exp.alias_(window, rank), copy=False)
        inner = wrapped
    else:
        inner.select(exp.alias_(window, rank), copy=False)
    cond_n = n
    if percent:
        total = exp.Window(this=exp.Count(this=exp.Star()))
        inner.select(exp.alias_(total, "__leokit_count"), copy=False)
        cond_n = exp.Anonymous(
            this="CEIL",
            expressions=[
                exp.Div(
                    this=exp.Mul(this=exp.column("__leokit_count"), expression=n),
                    expression=exp.Literal.number("100.0"),
                )
            ],
        )
    helpers = [exp.column("__leokit_rank")] + ([exp.column("__leokit_count")] if percent else [])
    outer = exp.Select(expressions=[exp.Star(except_=helpers)])
    outer = outer.from_(inner.subquery("__leokit_top")).where(
        exp.LTE(this=exp.column("__leokit_rank"), expression=cond_n)
    )
    outer = outer.order_by(exp.column("__leokit_rank"))
    if into is not None:
        outer.set("into", into)
    if with_ is not None:
        outer.set("with_", with_)
    select.replace(outer)
    return outer


def rewrite_applies(root, idioms):
    """CROSS APPLY / OUTER APPLY: DuckDB's LATERAL joins need CROSS, or LEFT ... ON TRUE."""
    for join in list(root.find_all(exp.Join)):
        lateral = join.this
        if not isinstance(lateral, exp.Lateral) or lateral.args.get("cross_apply") is None:
            continue
        cross = lateral.args["cross_apply"]
        lateral.set("cross_apply", None)
        if cross:
            join.set("side", None)
            join.set("kind", "CROSS")
            idioms.add("CROSS APPLY")
        else:
            join.set("side", "LEFT")
            join.set("kind", None)
            join.set("on", exp.true())
            idioms.add("OUTER APPLY")


def mark_recursive_ctes(root):
    """A CTE that reads itself is recursive in T-SQL without saying so; DuckDB needs
    WITH RECURSIVE."""
    for with_ in list(root.find_all(exp.With)):
        for cte in with_.expressions:
            name = cte.alias.lower()
            if any(
                t.name.lower() == name and not t.args.get("db")
                for t in cte.this.find_all(exp.Table)
            ):
                with_.set("recursive", True)


def _order_key(ordered, select):
    """An ORDER BY key usable inside a window: select-list aliases and ordinals resolved."""
    key = ordered.copy()
    target = key.this
    projections = select.expressions
    if isinstance(target, exp.Literal) and target.is_int:
        proj = projections[int(target.name) - 1]
        key.set("this", (proj.this if isinstance(proj, exp.Alias) else proj).copy())
    elif isinstance(target, exp.Column) and not target.table:
        for proj in projections:
            if isinstance(proj, exp.Alias) and proj.alias.lower() == target.name.lower():
                if select.args.get("distinct"):
                    key.set("this", exp.column(proj.alias))
                else:
                    key.set("this", proj.this.copy())
    return key


def rewrite_select_into(select, idioms):
    """SELECT ... INTO t: CREATE TABLE t AS SELECT (a TEMP table for #t)."""
    into = select.args.get("into")
    table = into.this
    query = select.copy()
    query.set("into", None)
    temp = is_temp(table)
    idioms.add("SELECT ... INTO #temp" if temp else "SELECT ... INTO")
    props = exp.Properties(expressions=[exp.TemporaryProperty()]) if temp else None
    create = exp.Create(this=table.copy(), kind="TABLE", expression=query, properties=props)
    return create


def source_items(from_node, joins=None):
    items = []
    if from_node is not None:
        items.append(from_node.this)
        items += [j.this for j in from_node.this.args.get("joins") or []]
    items += [j.this for j in joins or []]
    return items


def _find_target(target, items):
    """The FROM item an UPDATE/DELETE target names (by alias, else by table name)."""
    if target.args.get("db") or target.args.get("catalog"):
        name = target.name.lower()
        for item in items:
            if (
                isinstance(item, exp.Table)
                and item.name.lower() == name
                and (item.db.lower() == target.db.lower())
            ):
                return item
        return None
    name = target.name.lower()
    for item in items:
        if (item.alias or "").lower() == name:
            return item
    for item in items:
        if isinstance(item, exp.Table) and not item.alias and item.name.lower() == name:
            return item
    return None


def _target_base(item, statement, what):
    """The base table behind an UPDATE/DELETE target, the expression giving its row id in
    the subquery, and a map from the target's column names to the base table's.

    The target may be a table, or (as SQL Server allows) a derived table or CTE over one
    table: ``UPDATE cd SET x = ... FROM (SELECT x, MIN(y) OVER (...) m FROM t) cd``,
    ``WITH d AS (SELECT *, ROW_NUMBER() OVER (...) rn FROM t) DELETE FROM d WHERE rn > 1``."""
    from leokit.tsql.kinds import find_cte

    alias = item.alias_or_name
    query = None
    if isinstance(item, exp.Subquery):
        query = item.this
    elif isinstance(item, exp.Table):
        cte = None if item.args.get("db") else find_cte(item, item.name)
        if cte is None and statement.args.get("with_") is not None:
            for c in statement.args["with_"].expressions:
                if c.alias.lower() == item.name.lower():
                    cte = c
        if cte is None:
            base = item.copy()
            base.set("joins", None)
            base.set("alias", None)
            return base, exp.column("rowid", table=alias), lambda name: name
        query = cte.this
    if not isinstance(query, exp.Select):
        raise Unsupported(what, "the target is not a table or a query over one table")
    frm = query.args.get("from_")
    base = frm.this if frm is not None else None
    if (
        not isinstance(base, exp.Table)
        or base.args.get("joins")
        or query.args.get("joins")
        or query.args.get("group")
        or query.args.get("distinct")
    ):
        raise Unsupported(
            what,
            "a derived table or CTE is updated only when it reads one table (no joins, GROUP BY or DISTINCT)",
        )
    query.select(
        exp.alias_(exp.column("rowid", table=base.alias_or_name), "__leokit_rid"), copy=False
    )
    names = {}
    star = False
    for proj in query.expressions:
        if isinstance(proj, exp.Star) or (
            isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star)
        ):
            star = True
        elif isinstance(proj, exp.Column):
            names[proj.name.lower()] = proj.name
        elif isinstance(proj, exp.Alias) and isinstance(proj.this, exp.Column):
            names[proj.alias.lower()] = proj.this.name
        elif isinstance(proj, exp.Alias):
            names[proj.alias.lower()] = None

    def colmap(name):
        low = name.lower()
        if low in names:
            if names[low] is None:
                raise Unsupported(
                    what, f"column {name} of the target is computed: it cannot be updated"
                )
            return names[low]
        if star:
            return name
        raise Unsupported(what, f"column {name} is not in the target")

    table = base.copy()
    table.set("alias", None)
    return table, exp.column("__leokit_rid", table=alias), colmap


def rewrite_update_from(update, top, idioms):
    """UPDATE alias SET ... FROM t alias JOIN ...: DuckDB updates one table from a subquery
    that computes, per row id of the target, the new values over the original joins."""
    frm = update.args.get("from_")
    target = update.this
    with_ = update.args.get("with_")
    if frm is None and top is None and with_ is None:
        _strip_set_qualifiers(update)
        return update
    from_node = frm.this.copy() if frm is not None else None
    items = (
        source_items(exp.From(this=from_node), update.args.get("joins")) if frm is not None else []
    )
    found = _find_target(target, items) if frm is not None else None
    if found is None:  # UPDATE t ... FROM s WHERE t.k = s.k: t joins the FROM
        found = target.copy()
        if from_node is not None:
            found.set("joins", [exp.Join(this=from_node, kind="CROSS")])
        from_node = found
    table, rid, colmap = _target_base(found, update, "UPDATE ... FROM")
    idioms.add("UPDATE ... FROM" if frm is not None else "UPDATE TOP (n)")
    sub = exp.Select(expressions=[exp.alias_(rid, "__leokit_rid")])
    sub.set("from_", exp.From(this=from_node))
    sets = []
    for i, eq in enumerate(update.expressions):
        if not isinstance(eq, exp.EQ) or not isinstance(eq.this, exp.Column):
            raise Unsupported("UPDATE ... SET", f"cannot translate the assignment {eq.sql('tsql')}")
        name = f"__leokit_v{i}"
        sub.select(exp.alias_(eq.expression.copy(), name), copy=False)
        sets.append(
            exp.EQ(
                this=exp.column(colmap(eq.this.name)),
                expression=exp.column(name, table="__leokit_src"),
            )
        )
    where = update.args.get("where")
    if where is not None:
        sub.set("where", where.copy())
    if top is not None:
        sub.set("limit", exp.Limit(expression=top))
    if with_ is not None:
        sub.set("with_", with_.copy())
    table.set("alias", exp.TableAlias(this=exp.to_identifier("__leokit_target")))
    return exp.Update(
        this=table,
        expressions=sets,
        from_=exp.From(this=sub.subquery("__leokit_src")),
        where=exp.Where(
            this=exp.EQ(
                this=exp.column("rowid", table="__leokit_target"),
                expression=exp.column("__leokit_rid", table="__leokit_src"),
            )
        ),
    )


def _strip_set_qualifiers(update):
    for eq in update.expressions:
        if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column) and eq.this.table:
            eq.set("this", exp.column(eq.this.name))


def rewrite_delete_join(delete, top, idioms):
    """DELETE a FROM t a JOIN ... (and DELETE through a CTE or derived table over one
    table): delete the base table's row ids that the original FROM selects."""
    targets = delete.args.get("tables") or []
    this = delete.this
    with_ = delete.args.get("with_")
    has_joins = bool(this.args.get("joins")) if isinstance(this, exp.Table) else False
    if not targets and not has_joins and top is None and with_ is None:
        return delete
    items = [this] + [j.this for j in this.args.get("joins") or []]
    found = _find_target(targets[0], items) if targets else this
    if found is None:
        raise Unsupported("DELETE ... FROM", "the DELETE target is not one of the tables joined")
    from_node = this.copy()
    if found is this:
        found = from_node
    else:
        found = _find_target(
            targets[0], [from_node] + [j.this for j in from_node.args.get("joins") or []]
        )
    table, rid, _ = _target_base(found, delete, "DELETE")
    idioms.add(
        "DELETE ... FROM with joins"
        if has_joins
        else "DELETE TOP (n)"
        if top is not None
        else "DELETE through a CTE"
    )
    sub = exp.Select(expressions=[rid])
    sub.set("from_", exp.From(this=from_node))
    where = delete.args.get("where")
    if where is not None:
        sub.set("where", where.copy())
    if top is not None:
        sub.set("limit", exp.Limit(expression=top))
    if with_ is not None:
        sub.set("with_", with_.copy())
    table.set("alias", exp.TableAlias(this=exp.to_identifier("__leokit_target")))
    return exp.Delete(
        this=table,
        where=exp.Where(
            this=exp.In(this=exp.column("rowid", table="__leokit_target"), query=sub.subquery())
        ),
    )
