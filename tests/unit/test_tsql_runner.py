"""leokit.tsql: whole SRS T-SQL scripts run on the committed extract in DuckDB.

Each idiom has a small script written for it, in the style of SRS project code, and the test
checks the tables it leaves (or its result sets) against values worked out by hand from SQL
Server's rules, or against pandas on the extract's Parquet files (an independent
implementation). The cookbook's own SQL goes through the runner in
tests/recipes/test_recipes_tsql.py.
"""

import datetime
import math
import textwrap

import pandas as pd
import pytest
from support.bad_input import ROOT, expect_cli_error, expect_error, run_cli

from leokit import sql
from leokit.tsql import ScriptError, run_script

EXTRACT = str(ROOT / "data_synthetic")


def run(script, **kw):
    return run_script(textwrap.dedent(script), EXTRACT, **kw)


def rows(r, query):
    return r.con.execute(query).fetchall()


def parquet(name, **kw):
    return pd.read_parquet(ROOT / "data_synthetic" / f"{name}.parquet", **kw)


def notes(r, kind="note"):
    return [text for k, text in r.log if k == kind]


# ------------------------------------------------------------------------------ batches
def test_go_ends_variables_keeps_temp_tables_and_repeats_a_batch():
    script = """
        declare @first int = 2
        create table #t (k int)
        insert #t values (@first)
        GO
        insert #t values (3)
        go 2
        select k, count(*) as n from #t group by k order by k
    """
    with run(script) as r:
        assert r.results[0].values.tolist() == [[2, 1], [3, 2]]
        assert r.summary() == "5 statements, 0 failed"
    with pytest.raises(ScriptError, match=r"line 4: .*@first is not declared"):
        run("declare @first int = 2\nselect @first as x\nGO\nselect @first as y\n")


def test_a_script_saved_by_ssms_in_utf16_with_crlf(tmp_path):
    path = tmp_path / "saved_by_ssms.sql"
    path.write_bytes("select 'café' as c\r\nGO\r\nselect 2 as n\r\n".encode("utf-16"))
    with run_script(path, EXTRACT) as r:
        assert [f.iloc[0, 0] for f in r.results] == ["café", 2]


def test_go_inside_a_comment_or_string_does_not_split():
    script = "/* a block comment\nGO\n*/\nselect 'a\nGO\nb' as s\n"
    with run(script) as r:
        assert r.results[0]["s"].iloc[0] == "a\nGO\nb"


def test_statements_without_semicolons_are_split_where_sql_server_splits_them():
    from leokit.tsql.script import Block, If, parse_script

    script = """
        drop table if exists #a
        insert #a (k) select 1 union all select 2
        with c as (select 1 as k) insert #b select k from c
        update t set v = 1 from #a t where t.k in (select k from #b)
        select case when 1 = 1 then 'x' else 'y' end as s select 2 as t
        if object_id('tempdb..#a') is null create table #drop (k int) else truncate table #a
        while @@rowcount > 0 begin delete top (10) from #a end
        merge #a t using #b s on t.k = s.k when matched then update set k = s.k
            when not matched then insert (k) values (s.k);
        alter table #a add j int
        alter table #a drop column j
        select top 1 with ties k from #a order by k
    """
    (batch,) = parse_script(textwrap.dedent(script))
    nodes = batch.nodes
    firsts = [
        n.text.split()[0].lower() if not isinstance(n, (If, Block)) else type(n).__name__
        for n in nodes
    ]  # noqa: E501
    assert firsts == [
        "drop", "insert", "with", "update", "select", "select", "If", "While", "merge",
        "alter", "alter", "select",
    ]  # fmt: skip
    assert nodes[6].then.text == "create table #drop (k int)"
    assert nodes[6].orelse.text == "truncate table #a"
    assert isinstance(nodes[7].body, Block) and nodes[7].body.body[0].text.startswith("delete top")
    assert [n.line for n in nodes[:3]] == [2, 3, 4]


# ------------------------------------------------------------------------------ guards
GUARDED = """
    if schema_id('proj') is null
        exec ('create schema proj;');

    if object_id('proj.cohort') is null
    create table proj.cohort (
        pmr varchar(20) collate Latin1_General_BIN not null primary key,
        cohort_year smallint
        );
    else truncate table proj.cohort;

    insert proj.cohort
    select top 5 KS4_PupilMatchingRefAnonymous, 2010
    from NPD_i2.leo_synth.ks4pupil_2002_to_2014
    where KS4_ACADYR = '2009/2010' and KS4_PupilMatchingRefAnonymous <> ''
    order by KS4_PupilMatchingRefAnonymous;

    if object_id('NPD_i2.leo_synth.ks4pupil_2099') is null
        print 'no 2099 view in this project';

    select
        case when object_id('#x') is null then 1 else 0 end as hash_only_is_null,
        case when object_id('tempdb..#x') is not null then 1 else 0 end as tempdb_found,
        case when object_id('NPD_i2.leo_synth.ks4pupil_2002_to_2014', 'V') is not null
             then 1 else 0 end as view_found,
        case when object_id('NPD_i2.leo_synth.ks4pupil_2002_to_2014', 'U') is null
             then 1 else 0 end as not_a_table,
        case when object_id('proj.cohort', 'U') is not null then 1 else 0 end as own_table
    from (select 1 as one) x
"""


def test_object_id_and_schema_id_guards_make_a_script_rerunnable(tmp_path):
    db = tmp_path / "work.duckdb"
    script = "create table #x (a int);\n" + textwrap.dedent(GUARDED)
    first_pmrs = sorted(
        parquet("ks4pupil_2002_to_2014")
        .query("KS4_ACADYR == '2009/2010'")["KS4_PupilMatchingRefAnonymous"]
        .dropna()
        .loc[lambda s: s != ""]
        .sort_values()
        .head(5)
    )
    for attempt in (1, 2):  # the second run truncates instead of failing on the key
        with run_script(script, EXTRACT, database=str(db)) as r:
            got = sorted(p for (p,) in rows(r, "SELECT pmr FROM proj.cohort"))
            assert got == first_pmrs, attempt
            assert r.results[0].iloc[0].tolist() == [1, 1, 1, 1, 1]
            assert "no 2099 view in this project" in notes(r, "print")
            assert any("OBJECT_ID('#x') is NULL" in n for n in notes(r))


# ------------------------------------------------------------------------------ variables
def test_declare_set_and_select_assignment_follow_sql_server():
    script = """
        declare @a int = 7, @short varchar = 'hello', @v varchar(10) = 'abc',
                @d date = '2020-02-28', @top float, @n int = 0
        set @a += 3
        set @a *= 2
        set @v = @v + 'def'
        set @d = dateadd(day, 1, @d)
        select @top = max(cast(Earnings as float)) from LEO_i2.leo_synth.leo_earnings
        where TaxYear = 201819
        select @a = 999 from LEO_i2.leo_synth.leo_earnings where 1 = 0
        select @n = @@rowcount
        select @a as a, @short as short, @v as v, @d as d, @top as top_pay, @n as n
    """
    with run(script) as r:
        got = r.results[0].iloc[0]
        pay = parquet("leo_earnings")
        assert got["a"] == 20  # (7 + 3) * 2, and the empty SELECT left it alone
        assert got["short"] == "h"  # varchar without a length is varchar(1)
        assert got["v"] == "abcdef"
        assert pd.Timestamp(got["d"]).date() == datetime.date(2020, 2, 29)
        assert got["top_pay"] == pay.loc[pay["TaxYear"] == 201819, "Earnings"].max()
        assert got["n"] == 0  # the SELECT that matched no rows


def test_rowcount_after_set_select_and_if():
    script = """
        declare @after_set int, @after_select int, @after_if int, @x int
        create table #t (a int)
        insert #t values (1), (2), (3)
        set @x = 5
        set @after_set = @@rowcount
        select a from #t
        set @after_select = @@rowcount
        update #t set a = a + 1 where a > 1
        if @@rowcount = 2 set @after_if = @@rowcount
        select @after_set as s, @after_select as q, @after_if as i
    """
    with run(script) as r:
        # SET assigns one row; the IF that tested @@ROWCOUNT resets it (as SQL Server)
        assert r.results[1].iloc[0].tolist() == [1, 3, 0]


# ------------------------------------------------------------------------------ loops
BATCH_LOAD = """
    create table #lookup (ae_id bigint not null, edukey varchar(20) not null)
    declare @last bigint = 0, @batches int = 0

    while 1 = 1
    begin
        insert #lookup
        select top (4000) with ties AE_ID, EDUKEY
        from LEO_i2.leo_synth.learner_ae_id_to_edukey_lookup
        where AE_ID > @last
        group by AE_ID, EDUKEY
        order by AE_ID
        ;
        if @@rowcount < 4000
            break;
        set @batches += 1
        select @last = max(ae_id) from #lookup;
    end

    select @batches as batches, count(*) as n from #lookup
"""


def test_while_loop_loads_in_batches_with_top_with_ties_and_rowcount():
    pairs = (
        parquet("learner_ae_id_to_edukey_lookup")[["AE_ID", "EDUKEY"]]
        .dropna()
        .drop_duplicates()
        .sort_values(["AE_ID", "EDUKEY"])
    )
    # the same loop, in pandas: batches of 4000 rows by AE_ID, widened to whole AE_IDs
    last, batches, loaded = 0, 0, 0
    while True:
        rest = pairs[pairs["AE_ID"] > last]
        if len(rest) > 4000:
            cut = rest["AE_ID"].iloc[3999]
            rest = rest[rest["AE_ID"] <= cut]
        loaded += len(rest)
        if len(rest) < 4000:
            break
        batches += 1
        last = rest["AE_ID"].max()
    with run(BATCH_LOAD) as r:
        assert r.results[0].iloc[0].tolist() == [batches, loaded]
        assert batches >= 10
        got = r.table("#lookup").rename(columns=str.upper)
        assert len(got) == len(pairs) == loaded
        pd.testing.assert_frame_equal(
            got.sort_values(["AE_ID", "EDUKEY"]).reset_index(drop=True),
            pairs.reset_index(drop=True),
            check_dtype=False,
        )


def test_break_and_continue():
    script = """
        declare @i int = 0, @odd int = 0
        create table #seen (i int)
        while @i < 100
        begin
            set @i = @i + 1
            if @i % 2 = 0 continue
            if @i > 9 break
            insert #seen values (@i)
            set @odd += 1
        end
        select @i as i, @odd as odd
    """
    with run(script) as r:
        assert r.results[0].iloc[0].tolist() == [11, 5]
        assert sorted(r.table("#seen")["i"]) == [1, 3, 5, 7, 9]


def test_a_loop_that_never_ends_is_stopped():
    with pytest.raises(ScriptError, match=r"line 2: .*ran 50 times"):
        run("declare @i int = 0\nwhile 1 = 1\n    set @i += 1\n", max_iterations=50)


# ------------------------------------------------------------------------------ TOP, APPLY
SCORES = """
    create table #s (id int, grp varchar(5), score int)
    insert #s values (1, 'a', 10), (2, 'a', 20), (3, 'b', 20), (4, 'b', 30), (5, 'c', 30),
                     (6, 'c', 40)
"""


def test_top_with_ties_percent_and_distinct():
    script = (
        SCORES
        + """
        select top (2) with ties id from #s order by score
        select top 2 id from #s order by score, id
        select top 50 percent id from #s order by id desc
        select top 34 percent with ties id from #s order by score desc
        select distinct top 2 with ties score from #s order by score
    """
    )
    with run(script) as r:
        ids = [sorted(f.iloc[:, 0].tolist()) for f in r.results]
        assert ids[0] == [1, 2, 3]  # 20 ties with the 2nd row
        assert ids[1] == [1, 2]
        assert ids[2] == [4, 5, 6]  # 50 % of 6 rows
        assert ids[3] == [4, 5, 6]  # 34 % of 6 is 2.04: 3 rows, and 30 ties
        assert ids[4] == [10, 20]


def test_cross_apply_and_outer_apply():
    script = (
        SCORES
        + """
        select s.id, best.score as best_in_group
        from #s s
        cross apply (select top 1 t.score from #s t where t.grp = s.grp order by t.score desc) best
        order by s.id

        select s.id, v.k
        from #s s
        cross apply (values (s.score), (s.id)) v(k)
        where s.id <= 2
        order by s.id, v.k

        select s.id, later.n
        from #s s
        outer apply (select count(*) as n from #s t where t.grp = s.grp and t.id > s.id
                     having count(*) > 0) later
        order by s.id
    """
    )
    with run(script) as r:
        assert r.results[0]["best_in_group"].tolist() == [20, 20, 30, 30, 40, 40]
        assert r.results[1].values.tolist() == [[1, 1], [1, 10], [2, 2], [2, 20]]
        later = r.results[2]["n"].tolist()
        assert later[0::2] == [1, 1, 1] and all(pd.isna(v) for v in later[1::2])


# ------------------------------------------------------------------------------ UPDATE, DELETE
def test_update_alias_from_joins():
    script = (
        SCORES
        + """
        create table #bonus (grp varchar(5), extra int)
        insert #bonus values ('a', 5), ('b', 7)

        update s
        set score = s.score + b.extra
        from #s s
        inner join #bonus b on b.grp = s.grp
        where s.id <> 4

        create table #best (grp varchar(5), best int, id int)
        insert #best (grp, id) select grp, id from #s

        update #best
        set best = m.top_score
        from #best
        left join (select grp, max(score) as top_score from #s group by grp having max(score) > 30) m
          on m.grp = #best.grp

        select id, score from #s order by id
        select id, best from #best order by id
    """
    )
    with run(script) as r:
        assert r.results[0]["score"].tolist() == [15, 25, 27, 30, 30, 40]
        best = r.results[1]["best"].tolist()
        assert best[4:] == [40, 40] and all(pd.isna(v) for v in best[:4])  # left join: NULL


def test_update_and_delete_through_a_derived_table_or_cte():
    script = """
        create table #spell (pid int, start_date date, end_date date, dup int)
        insert #spell values (1, '2020-01-01', null, 0), (1, '2020-03-01', null, 0),
                             (1, '2020-03-01', null, 1), (2, '2021-05-01', null, 0)

        ;with d as (
            select *, rn = row_number() over (partition by pid, start_date order by dup)
            from #spell
        )
        delete from d where rn > 1

        -- close each spell the day before the next one starts
        update s
        set end_date = dateadd(day, -1, next_start)
        from (select end_date,
                     next_start = min(start_date) over (partition by pid order by start_date
                                  rows between 1 following and 1 following)
              from #spell) s
        where next_start is not null

        select pid, start_date, end_date from #spell order by pid, start_date
    """
    with run(script) as r:
        got = [
            (p, str(s)[:10], None if pd.isna(e) else str(e)[:10]) for p, s, e in r.results[0].values
        ]
        assert got == [
            (1, "2020-01-01", "2020-02-29"),
            (1, "2020-03-01", None),
            (2, "2021-05-01", None),
        ]


def test_delete_join_and_delete_top_in_batches():
    script = (
        SCORES
        + """
        create table #drop (grp varchar(5))
        insert #drop values ('c')
        delete s from #s s join #drop d on d.grp = s.grp
        delete from #s from #s join #drop d on d.grp = 'c' where #s.id = 1
        update top (2) #s set score = -1 where grp = 'b'

        declare @rounds int = 0
        while 1 = 1
        begin
            delete top (2) from #s where score >= 10
            if @@rowcount = 0 break
            set @rounds += 1
        end
        select @rounds as rounds, (select count(*) from #s) as left_over
    """
    )
    with run(script) as r:
        # c's rows go, then id 1; b's two rows drop below 10: id 2 is left to delete
        assert r.results[0].iloc[0].tolist() == [1, 2]


# ------------------------------------------------------------------------------ conversions
def test_implicit_text_to_number_and_plus_joining_text():
    script = """
        select top 1 left(TaxYear, 4) + 1 as year_end, TaxYear
        from LEO_i2.leo_synth.leo_earnings order by TaxYear desc

        select '2019' + 1 as a, 'ab' + 'cd' as b, 'ab' + null as c, '10' * 3 as d,
               case when '7' = 7 then 1 else 0 end as e, 5 + '5' as f,
               right('0000' + cast(42 as varchar(10)), 6) as g,
               cast(2024 as varchar(4)) + '/' + right(cast(2025 as varchar(4)), 2) as h

        select count(*) as n from NPD_i2.leo_synth.ks4pupil_2002_to_2014 where KS4_ENDKS = '1'
    """
    with run(script) as r:
        first = r.results[0].iloc[0]
        assert first["year_end"] == int(str(first["TaxYear"])[:4]) + 1
        got = r.results[1].iloc[0].tolist()
        assert got[0] == 2020 and got[1] == "abcd" and got[2] is None
        assert got[3:] == [30, 1, 10, "000042", "2024/25"]
        ks4 = parquet("ks4pupil_2002_to_2014")
        assert r.results[2]["n"].iloc[0] == (ks4["KS4_ENDKS"] == 1).sum()


def test_tax_year_arithmetic_matches_pandas():
    script = """
        select left(TaxYear, 4) + 1 as year_end, sum(Earnings) as pay
        from LEO_i2.leo_synth.leo_earnings
        where Earnings > 0
        group by left(TaxYear, 4)
        order by year_end
    """
    pay = parquet("leo_earnings")
    pay = pay[pay["Earnings"] > 0]
    want = pay.groupby(pay["TaxYear"].astype(str).str[:4].astype(int) + 1)["Earnings"].sum()
    with run(script) as r:
        got = r.results[0].set_index("year_end")["pay"]
        assert got.to_dict() == want.to_dict()


def test_case_isnull_and_coalesce_take_sql_servers_result_type():
    script = """
        create table #e (id int, end_date date, expected date, yr smallint)
        insert #e values (1, '1900-01-01', null, 2012), (2, null, '2015-07-31', 2014),
                         (3, '2016-06-30', null, 2015)
        select id,
               isnull(nullif(end_date, '1900-01-01'),
                      isnull(expected, cast(yr as varchar(4)) + '-08-31')) as end_of_year,
               case when id = 1 then 1 else '2' end as mixed
        from #e order by id
    """
    with run(script) as r:
        ends = [str(v)[:10] for v in r.results[0]["end_of_year"]]
        assert ends == ["2012-08-31", "2015-07-31", "2016-06-30"]
        assert r.results[0]["mixed"].tolist() == [1, 2, 2]


def test_blank_text_and_basic_dates_convert_as_in_sql_server():
    script = """
        create table #x (n int, code varchar(10), d date)
        insert #x values (null, '', null), (5, ' 7 ', '2020-01-01')
        select isnull(n, '') as n0, cast(code as int) as c0, isnull(d, '') as d0 from #x order by c0
        select cast('' as float) as f, cast('20150406' as date) as d,
               (select count(*) from #x where d >= '20191231') as later
    """
    with run(script) as r:
        first = r.results[0]
        assert first[["n0", "c0"]].values.tolist() == [[0, 0], [5, 7]]  # '' is 0 for numbers
        assert [str(v)[:10] for v in first["d0"]] == ["1900-01-01", "2020-01-01"]
        f, d, later = r.results[1].iloc[0].tolist()
        assert f == 0 and str(d)[:10] == "2015-04-06" and later == 1


def test_collations_binary_dropped_case_insensitive_kept():
    script = """
        select case when 'abc' collate Latin1_General_BIN = 'ABC' then 1 else 0 end as bin,
               case when 'abc' collate Latin1_General_CI_AS = 'ABC' then 1 else 0 end as ci
    """
    with run(script) as r:
        assert r.results[0].iloc[0].tolist() == [0, 1]


def test_like_with_character_classes():
    script = """
        select code,
               case when code like '[A-Z]%' then 1 else 0 end as letter_first,
               case when code not like '%[^0-9]%' then 1 else 0 end as digits_only,
               case when code like '_[%]' then 1 else 0 end as percent_second,
               case when code not like 'A%' then 1 else 0 end as not_a
        from (values ('A12'), ('123'), ('5%'), ('b-1')) t(code)
        order by code
    """
    with run(script) as r:
        assert r.results[0].values.tolist() == [
            ["123", 0, 1, 0, 1],
            ["5%", 0, 0, 1, 1],
            ["A12", 1, 0, 0, 0],
            ["b-1", 0, 0, 0, 1],  # case-sensitive here; SQL Server's default collation is not
        ]


def test_integer_division_average_and_casts_truncate():
    script = """
        create table #n (i int, d decimal(5, 1))
        insert #n values (1, 2.7), (2, -2.7)
        create table #m (i int)
        insert #m select d from #n
        select 7 / 2 as a, -7 / 2 as b, 7 / 2.0 as c, avg(i) as d, cast(max(d) as int) as e,
               cast(min(d) as int) as f, convert(int, 9.99) as g, (select sum(i) from #m) as h
        from #n
    """
    with run(script) as r:
        got = r.results[0].iloc[0].tolist()
        assert got[:2] == [3, -3] and float(got[2]) == 3.5
        assert got[3:] == [1, 2, -2, 9, 0]  # 2 + (-2): 2.7 and -2.7 stored as int truncate


def test_isnumeric_and_its_documented_edge_cases():
    cases = {
        "12": 1,
        "-1.5": 1,
        "1e3": 1,
        "1d5": 1,
        " 7 ": 1,
        "+.5": 1,
        "abc": 0,
        "": 0,
        "1,000": 0,
        "$5": 0,
        "-": 0,
        ".": 0,  # SQL Server says 1 for these four: not copied
    }
    values = ", ".join(f"('{k}')" for k in cases)
    script = f"""
        create table #c (code varchar(10))
        insert #c values {values}, (null)
        select code, isnumeric(code) as isnum from #c
    """
    with run(script) as r:
        got = {c: v for c, v in r.results[0].values}
        assert got.pop(None) == 0
        assert got == cases


def test_len_ignores_trailing_spaces():
    script = (
        "select len('ab  ') as a, len('  ab') as b, len('') as c, len(null) as d, len(12345) as e"
    )
    with run(script) as r:
        got = r.results[0].iloc[0].tolist()
        assert got[:3] == [2, 4, 0] and pd.isna(got[3]) and got[4] == 5


def test_null_handling():
    script = """
        declare @x int
        if @x = null print 'equal' else print 'not equal'
        if @x is null print 'is null'
        select null + 1 as a, isnull(@x, -1) as b, count(v) as c, count(*) as d, sum(v) as e
        from (values (1), (null), (3)) t(v)
    """
    with run(script) as r:
        assert notes(r, "print") == ["not equal", "is null"]
        got = r.results[0].iloc[0].tolist()
        assert pd.isna(got[0]) and got[1:] == [-1, 2, 3, 4]


# ------------------------------------------------------------------------------ DDL
def test_create_table_computed_column_identity_and_primary_key():
    script = """
        create table #pay (
            row_id int identity(1, 1) not null,
            edukey char(14) collate Latin1_General_BIN not null,
            year smallint not null,
            value decimal(15, 2) not null,
            self_employed bit not null,
            tax_year as cast(year - 1 as varchar(4)) + '/' + right(cast(year as varchar(4)), 2),
            primary key clustered (edukey, year) with (data_compression = page)
        )
        insert #pay select 'K1', 2019, 100.50, 0
        insert #pay select 'K2', 2020, 5, 1
        insert #pay (edukey, year, value, self_employed) values ('K3', 2021, 7, 3)
        insert #pay select 'K1', 2019, 1, 0
        select row_id, edukey, tax_year, self_employed from #pay order by row_id
        truncate table #pay
        insert #pay select 'K4', 2022, 9, 0
        select row_id, tax_year from #pay
    """
    with run(script, keep_going=True) as r:
        assert len(r.failures) == 1
        failure = r.failures[0]
        assert failure.line == 14 and "insert #pay select 'K1', 2019, 1, 0" in str(failure)
        assert "Constraint" in failure.reason  # the primary key holds, as in SQL Server
        got = r.results[0].values.tolist()
        assert got == [
            [1, "K1", "2018/19", 0],
            [2, "K2", "2019/20", 1],
            [3, "K3", "2020/21", 1],  # any non-zero is 1 in a bit
        ]
        assert r.results[1].values.tolist() == [[1, "2021/22"]]  # TRUNCATE restarts IDENTITY


def test_indexes_and_storage_options_are_skipped_and_logged():
    script = """
        create table proj_lookup (ae_id bigint, edukey varchar(20))
        create unique nonclustered index ix_ae on proj_lookup (ae_id) include (edukey)
        create index ix_edukey on proj_lookup (edukey) where edukey is not null
        alter table proj_lookup rebuild partition = all with (data_compression = page)
        update statistics proj_lookup
        insert proj_lookup values (1, 'a')
        select count(*) as n from dbo.proj_lookup
    """
    with run(script) as r:
        assert r.results[0]["n"].iloc[0] == 1
        skipped = notes(r)
        assert len(skipped) == 4
        assert skipped[0].startswith("line 3: CREATE UNIQUE NONCLUSTERED INDEX")
        assert "uniqueness is not checked" in skipped[0]


def test_temp_table_names_and_hash_inside_permanent_names():
    script = """
        create schema proj
        create table proj.wip#sc (pmr varchar(20), yr smallint)
        insert proj.wip#sc values ('P1', 2010), ('P2', 2011)
        select pmr, yr into tempdb..#copy from proj.wip#sc where yr > 2010
        select wip#sc.pmr as p from proj.wip#sc join tempdb.dbo.#copy c on c.pmr = wip#sc.pmr
        if object_id('tempdb..#copy') is not null drop table #copy
        truncate table proj.wip#sc
        select (select count(*) from proj.wip#sc) as n,
               case when object_id('tempdb..#copy') is null then 1 else 0 end as gone
    """
    with run(script) as r:
        assert r.results[0]["p"].tolist() == ["P2"]
        assert r.results[1].iloc[0].tolist() == [0, 1]


def test_select_into_a_permanent_table_and_table_variables(tmp_path):
    db = tmp_path / "proj.duckdb"
    script = """
        declare @years table (yr int primary key)
        insert @years values (201819), (201920)
        select e.TaxYear, count(*) as n
        into dbo.pay_counts
        from LEO_i2.leo_synth.leo_earnings e
        join @years y on y.yr = e.TaxYear
        group by e.TaxYear
    """
    pay = parquet("leo_earnings")
    want = pay[pay["TaxYear"].isin([201819, 201920])].groupby("TaxYear").size().to_dict()
    with run(script, database=str(db)) as r:
        assert r.summary() == "3 statements, 0 failed"
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    assert dict(con.execute("SELECT TaxYear, n FROM main.pay_counts").fetchall()) == want
    con.close()


# ------------------------------------------------------------------------------ EXEC
def test_exec_of_a_string_and_its_own_scope():
    script = """
        declare @n int = 3, @sql varchar(max)
        set @sql = 'select ' + cast(@n as varchar(10)) + ' as n'
        exec (@sql)
        exec sp_executesql @sql
        exec ('create table #inner (a int); insert #inner values (1); select count(*) as c from #inner')
        select case when object_id('tempdb..#inner') is null then 1 else 0 end as dropped
    """
    with run(script) as r:
        assert [f.iloc[0, 0] for f in r.results] == [3, 3, 1, 1]
    with pytest.raises(ScriptError, match=r"line 1 \(in the EXEC at line 2\).*@n is not declared"):
        run("declare @n int = 1\nexec ('select @n as x')\n")


# ------------------------------------------------------------------------------ other
def test_print_raiserror_and_transactions():
    script = """
        create table #t (a int)
        begin tran
        insert #t values (1)
        rollback
        begin transaction
        insert #t values (2)
        commit
        print 'rows: ' + cast(@@rowcount as varchar(10))
        raiserror('loaded %d rows into %s', 0, 1, 5, 'proj.t') with nowait
        select a from #t
    """
    with run(script) as r:
        assert r.results[0]["a"].tolist() == [2]
        assert notes(r, "print") == ["rows: 0", "loaded 5 rows into proj.t"]
    with pytest.raises(ScriptError, match=r"line 1: .*RAISERROR \(severity 16\): stop here"):
        run("raiserror('stop here', 16, 1)")
    with pytest.raises(ScriptError, match=r"line 2: .*THROW 50001: no cohort"):
        run("select 1 as a\nthrow 50001, 'no cohort', 1;")


def test_schema_option_maps_the_scripts_project_schema():
    script = 'select count(*) as n from LEO_i2."2002237".leo_earnings'
    with run(script, schema="2002237") as r:
        assert r.results[0]["n"].iloc[0] == len(parquet("leo_earnings", columns=["Edukey"]))
    with pytest.raises(ScriptError, match=r"schema leo_synth.*--schema 2002237"):
        run(script)


def test_a_duckdb_extract_answers_as_the_parquet_one(tmp_path):
    from leokit.extract.writer import write_extract
    from leokit.schema.sample import sample_world

    world = sample_world(years=(2009, 2013), n=12, seed=3)
    script = """
        if object_id('LEO_i2."9999".leo_earnings') is not null
        select TaxYear, count(*) as n, sum(Earnings) as pay
        from LEO_i2."9999".leo_earnings group by TaxYear order by TaxYear
    """
    got = []
    for fmt in ("parquet", "duckdb"):
        write_extract(world, tmp_path / fmt, fmt=fmt, params={"seed": 3, "scale": 0.1})
        with run_script(textwrap.dedent(script), str(tmp_path / fmt), schema="9999") as r:
            got.append(r.results[0])
    assert len(got[0]) > 0
    pd.testing.assert_frame_equal(got[0], got[1], check_dtype=False)


def test_use_switches_the_database_for_two_part_names():
    script = "use LEO_i2\nselect count(*) as n from leo_synth.leo_benefit\nuse my_project\ncreate table t (a int)\n"
    with run(script) as r:
        assert r.results[0]["n"].iloc[0] == len(parquet("leo_benefit", columns=["EduKey"]))
        assert rows(r, "SELECT count(*) FROM work.main.t") == [(0,)]


def test_datepart_weekday_counts_from_sunday():
    with run(
        "select datepart(dw, cast('2024-06-02' as date)) as sun, datepart(weekday, cast('2024-06-08' as date)) as sat"
    ) as r:
        assert r.results[0].iloc[0].tolist() == [1, 7]


# ------------------------------------------------------------------------------ a whole project
PROJECT = """
    -- Set-up that can run again: our own schema and work tables.
    if schema_id('proj') is null
        exec ('create schema proj');

    if object_id('proj.person') is null
    begin
        create table proj.person (
            person_id int identity(1, 1) not null,
            ae_id bigint not null primary key,
            edukey varchar(20) collate Latin1_General_BIN
        );
        create unique index ix_person_edukey on proj.person (edukey) include (person_id);
    end
    else truncate table proj.person;

    if object_id('proj.pay') is null
    create table proj.pay (
        person_id int not null,
        year_end smallint not null,
        pay bigint not null,
        tax_year as cast(year_end - 1 as varchar(4)) + '-' + right(cast(year_end as varchar(4)), 2),
        primary key (person_id, year_end)
    );
    else truncate table proj.pay;
    GO

    -- The lookup in batches (the views have no index).
    if object_id('tempdb..#keys') is not null drop table #keys;
    create table #keys (ae_id bigint not null, edukey varchar(20) not null);
    declare @from bigint = 0;
    while 1 = 1
    begin
        insert #keys
        select top (5000) with ties AE_ID, EDUKEY
        from LEO_i2.leo_synth.learner_ae_id_to_edukey_lookup
        where AE_ID > @from
        order by AE_ID;
        if @@rowcount < 5000 break;
        select @from = max(ae_id) from #keys;
    end

    -- One EDUKEY per person: the smallest.
    insert proj.person (ae_id)
    select distinct ae_id from #keys;

    update p
    set edukey = k.edukey
    from proj.person p
    join (select ae_id, min(edukey) as edukey from #keys group by ae_id) k on k.ae_id = p.ae_id;

    insert proj.pay
    select p.person_id, left(e.TaxYear, 4) + 1, sum(e.Earnings)
    from LEO_i2.leo_synth.leo_earnings e
    join proj.person p on p.edukey = e.Edukey collate Latin1_General_BIN
    where e.Earnings > 0
    group by p.person_id, left(e.TaxYear, 4);

    select tax_year, count(*) as people, sum(pay) as pay
    from proj.pay
    group by tax_year
    order by tax_year;
"""


def test_a_project_script_gives_what_pandas_gives(tmp_path):
    lookup = parquet("learner_ae_id_to_edukey_lookup")
    first = lookup.groupby("AE_ID")["EDUKEY"].min().rename("Edukey").reset_index()
    pay = parquet("leo_earnings", columns=["Edukey", "TaxYear", "Earnings"])
    pay = pay[pay["Earnings"] > 0].merge(first, on="Edukey")
    pay["year_end"] = pay["TaxYear"] // 100 + 1
    per_person = pay.groupby(["AE_ID", "year_end"], as_index=False)["Earnings"].sum()
    want = per_person.groupby("year_end").agg(people=("AE_ID", "size"), pay=("Earnings", "sum"))
    want.index = [f"{y - 1}-{str(y)[2:]}" for y in want.index]
    db = tmp_path / "proj.duckdb"
    for attempt in range(2):  # and once more over the tables the first run left
        with run(PROJECT, database=str(db)) as r:
            got = r.results[0].set_index("tax_year")
            assert got.index.tolist() == want.index.tolist()
            assert got["people"].tolist() == want["people"].tolist()
            assert got["pay"].tolist() == want["pay"].tolist()
            person = r.table("proj.person")
            assert person["person_id"].tolist() == list(range(1, len(first) + 1))
            assert len(notes(r)) == (1 if attempt == 0 else 0)  # the unique index, skipped


# ------------------------------------------------------------------------------ failures
FAILING = """
    create table #t (a int)
    insert #t values (1)
    select no_such_column from #t
    insert #t values (2)
    declare c cursor for select a from #t
    select a / 0 as boom from #t
    exec dbo.my_procedure 1
    select count(*) as n from #t
"""


def test_keep_going_reports_every_failure_and_counts():
    with run(FAILING, keep_going=True) as r:
        assert [f.line for f in r.failures] == [4, 6, 7, 8]
        assert r.summary() == "8 statements, 4 failed"
        assert r.results[-1]["n"].iloc[0] == 2
        text = [str(f) for f in r.failures]
        assert "no_such_column" in text[0] and "Traceback" not in "".join(text)
        assert "cursors are not supported" in text[1] and "DECLARE CURSOR" in text[1]
        assert "division by zero" in text[2]
        assert "stored procedures are not supported" in text[3]


def test_without_keep_going_the_first_failure_stops_with_one_message():
    with pytest.raises(ScriptError) as info:
        run(FAILING)
    message = str(info.value)
    assert message.startswith('line 4: "select no_such_column from #t" [SELECT')
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize(
    "script, line, idiom",
    [
        ("begin try\n  select 1\nend try\nbegin catch\n  select 2\nend catch", 1, "TRY"),
        ("set rowcount 100", 1, "SET ROWCOUNT"),
        (
            "declare @s varchar(10) = ''\nselect @s = @s + Edukey from LEO_i2.leo_synth.leo_earnings",
            2,
            "row by row",
        ),
        ("insert #t exec dbo.p", 1, "INSERT ... EXEC"),
        ("create procedure dbo.p as select 1", 1, "CREATE PROCEDURE"),
        ("select 1 as a\nif 1 = 1\nbegin\n  select 2 as b\n", 3, "BEGIN without a matching END"),
        ("select * from SomeOtherDb.dbo.t", 1, "SomeOtherDb is not in the extract"),
        ("select patindex('%a%', 'cat') as p", 1, "PATINDEX"),
    ],
)
def test_unsupported_idioms_are_named(script, line, idiom):
    with pytest.raises(ScriptError) as info:
        run(script)
    message = str(info.value)
    assert message.startswith(f"line {line}:") and idiom in message


def test_plus_on_text_and_an_unknown_type_asks_for_a_cast():
    script = "select json_value(j, '$.a') + '1' as s from (select '{\"a\": 1}' as j) x"
    with pytest.raises(ScriptError, match=r"adds numbers or joins text.*CAST"):
        run(script)


# ------------------------------------------------------------------------------ the command
def test_leokit_sql_run(tmp_path):
    script = tmp_path / "proj.sql"
    script.write_text(textwrap.dedent(GUARDED))
    db = tmp_path / "work.duckdb"
    code, out, err = run_cli(["sql", "run", script, "--extract", EXTRACT, "--database", db])
    assert code == 0, err
    lines = out.splitlines()
    assert "no 2099 view in this project" in lines
    line = textwrap.dedent(GUARDED).splitlines().index("select") + 1
    assert lines[-2].startswith(
        f"result set 1 (line {line}): 1 rows x 5 columns: hash_only_is_null"
    )
    assert lines[-1] == f"9 statements, 0 failed; tables kept in {db}"
    assert db.exists()


def test_leokit_sql_run_reports_failures(tmp_path):
    script = tmp_path / "bad.sql"
    script.write_text(textwrap.dedent(FAILING))
    code, out, err = run_cli(["sql", "run", script, "--extract", EXTRACT, "--keep-going"])
    assert code == 1 and not err
    failed = [line for line in out.splitlines() if line.startswith("FAILED line")]
    assert len(failed) == 4 and out.splitlines()[-1] == "8 statements, 4 failed"
    code, out, err = run_cli(["sql", "run", script, "--extract", EXTRACT])
    assert code == 1 and not out
    assert err.strip().startswith('leokit sql run: error: line 4: "select no_such_column')
    assert len(err.strip().splitlines()) == 1


def test_bad_input_names_the_argument_and_writes_nothing(tmp_path):
    script = tmp_path / "ok.sql"
    script.write_text("select 1 as a\n")
    db = tmp_path / "new.duckdb"
    watch = [tmp_path]
    expect_cli_error(
        ["sql", "run", tmp_path / "missing.sql", "--extract", EXTRACT], "missing.sql", watch=watch
    )
    expect_cli_error(
        ["sql", "run", script, "--extract", tmp_path / "nowhere"], "nowhere", watch=watch
    )
    expect_cli_error(["sql", "run", script], "--extract", watch=watch)
    expect_cli_error(
        ["sql", "run", script, "--extract", EXTRACT, "--schema", "a-b"], "--schema", watch=watch
    )
    expect_cli_error(
        ["sql", "run", script, "--extract", EXTRACT, "--database", tmp_path], "folder", watch=watch
    )
    expect_cli_error(
        ["sql", "run", script, "--extract", EXTRACT, "--database", tmp_path / "no" / "x.duckdb"],
        "does not exist",
        watch=watch,
    )
    expect_cli_error(["sql"], "run", watch=watch)
    expect_error(lambda: run_script("  ", EXTRACT), "empty", watch=watch)
    expect_error(lambda: run_script(str(tmp_path / "gone.sql"), EXTRACT), "gone.sql", watch=watch)
    expect_error(
        lambda: run_script(str(script), str(tmp_path), database=str(db)), "manifest", watch=watch
    )
    not_duckdb = tmp_path / "notes.duckdb"
    not_duckdb.write_text("not a database")
    expect_error(
        lambda: run_script(str(script), EXTRACT, database=str(not_duckdb)),
        "notes.duckdb",
        watch=watch,
    )
    assert not db.exists()


def test_run_script_is_reexported_by_leokit_sql():
    with sql.run_script("select 2 as two", EXTRACT) as r:
        assert r.results[0]["two"].iloc[0] == 2
        assert not math.isnan(r.statements)
