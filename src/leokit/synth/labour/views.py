"""Labour sub-stage 5: the leo_* outcome views and the enterprise lookups, from the rows
and person x year arrays of the earlier sub-stages. Nothing here changes a value the pay
equation or the truth reads; the views draw only record-level messiness (uncertain dates,
benefit claims, self-assessment returns).

    emit({"leo_employment": employment_view(jobs, careers, keys, rng)})
    emit({"leo_self_assessment": self_assessment_view(people, status, keys, rng)})

One function per view: earnings_view (leo_earnings), geography_view (leo_geography),
employment_view (leo_employment), benefit_view (leo_benefit), self_assessment_view
(leo_self_assessment), idbr_view and scheme_view (the enterprise lookups).
earnings_view, geography_view and benefit_view take their many inputs as keywords.

Keyed views (Edukey, TaxYear) keep the first row of each key and year, sorted by key text
(rows.keyed_rows); spell views are sorted by key and start date.
"""

import numpy as np
import pandas as pd

from ...schema import codes as K
from .. import config as cfg
from ..config import tax_year_code
from ..frames import frame, frame_taken, int_or_null
from .columns import NAN_AS_INT64, TextLookup, ViewColumns
from .rows import blocks, index_dtype, keyed_rows, stable_order
from .taxyears import TAX_YEAR_CODE, YEAR_2017, YEAR_DAYS, YEAR_START, YEARS, tax_year_start

LAST_DAY_OF_DATA = np.datetime64("2021-04-05")  # the end of tax year 2020/21
OPEN_END = np.datetime64("9999-12-31", "s")
PIP_FROM = np.datetime64("2013-04-08")  # new disability claims are PIP, not DLA
UC_FROM = 2017  # claims from tax year 2017/18 are Universal Credit
SELF_ASSESSMENT_FROM = 2013  # the first tax year of leo_self_assessment


def earnings_view(*, firms, edukeys, rows, jobs, careers, earnings, compact):
    """leo_earnings from the job rows `rows` (already filtered and in final order);
    edukeys: the TextLookup of EDUKEY codes; earnings: pounds of every job row; compact:
    as ViewColumns. A mover's enterprise earnings are the main stint's share of the year's."""
    n_firms = len(firms)
    # SIC codes: 2019 list below index n_firms, 2020 list from n_firms; compared as codes
    sic_text = np.concatenate([firms.sic, firms.sic_2020])
    sic_code, _ = pd.factorize(sic_text)
    sec_code = np.unique(firms.section, return_inverse=True)[1].reshape(-1)
    entkey = TextLookup(firms.entkey, None)
    section = TextLookup(firms.section.astype(object), None)
    sic = TextLookup(sic_text, None)
    no_firm, no_sic = n_firms, 2 * n_firms  # the None entries
    out = ViewColumns(len(rows), compact)
    # pounds fit int32 by far (enterprise, section and SIC earnings are at most Earnings)
    pounds = np.int32 if len(rows) == 0 or earnings.max() < 2**31 else np.int64
    nulls = "enterprise_earnings"  # NULL without a main employer, as the other nullable ones
    for a, b in blocks(len(rows)):
        r = rows[a:b]
        t_ = jobs.year[r]
        p_ = jobs.person[r]
        earn = earnings[r]
        f1 = jobs.enterprise[r]
        f2 = jobs.second_employer[r]
        md = jobs.move_day[r]
        r0, r1 = careers.first_day[p_, t_], careers.end_day[p_, t_]
        days = (r1 - r0).astype(float)
        two = f2 >= 0
        share_main = np.where(two, np.maximum(r1 - md, md - r0) / np.maximum(days, 1), 1.0)
        has1 = f1 >= 0
        no1 = ~has1
        sy2020 = t_ >= YEAR_2017
        c1 = np.maximum(f1, 0)
        c2 = np.maximum(f2, 0)
        sic_main_i = c1 + n_firms * sy2020
        sic2_i = c2 + n_firms * sy2020
        n_emp = has1.astype(int) + (two & (f2 >= 0)).astype(int)
        ent_earn = np.round(earn * share_main)  # whole pounds (NULL without a main employer)
        n_sec = np.where(has1, 1 + (two & (sec_code[c2] != sec_code[c1])), 0)
        n_sic = np.where(has1, 1 + (two & (sic_code[sic2_i] != sic_code[sic_main_i])), 0)
        firm_i = np.where(no1, no_firm, c1)
        sic_i = np.where(no1, no_sic, sic_main_i)
        out.text("Edukey", edukeys, jobs.edukey[r], a, b)
        out.numbers("TaxYear", TAX_YEAR_CODE[t_], a, b, np.int32)
        out.numbers("Earnings", earn, a, b, pounds)
        out.text("main_enterprise", entkey, firm_i, a, b)
        out.nullable("enterprise_earnings", ent_earn, no1, a, b, NAN_AS_INT64, pounds)
        out.nullable("tied_main_record_enterprise_sic_fg", 0.0, no1, a, b, 1, np.int8, nulls)
        out.numbers("Num_Employments", n_emp, a, b, np.int8)
        out.text("Main_Section", section, firm_i, a, b)
        sec_earn = np.where(n_sec == 1, earn, ent_earn)
        out.nullable("Section_Earnings", sec_earn, no1, a, b, NAN_AS_INT64, pounds, nulls)
        out.nullable("Tied_Main_Section_Flag", 0.0, no1, a, b, 1, np.int8, nulls)
        out.numbers("Num_Sections", n_sec, a, b, np.int8)
        out.text("Main_SIC2007", sic, sic_i, a, b)
        sic_earn = np.where(n_sic == 1, earn, ent_earn)
        out.nullable("SIC_Earnings", sic_earn, no1, a, b, NAN_AS_INT64, pounds, nulls)
        out.nullable("Tied_Main_SIC_Flag", 0.0, no1, a, b, 1, np.int8, nulls)
        out.numbers("Num_SIC", n_sic, a, b, np.int8)
        out.text("main_enterprise_linked_sic2007", sic, sic_i, a, b)
        out.text("main_enterprise_linked_section", section, firm_i, a, b)
    return out.frame("leo_earnings")


def employment_view(jobs, careers, keys, rng):
    """leo_employment: the year pieces of `jobs` merged into spells (abutting pieces join);
    defaults and open ends as in LEO."""
    pp, tt = jobs.person, jobs.year
    d0, d1 = careers.first_day[pp, tt], careers.end_day[pp, tt]
    year_start, ndays = YEAR_START, YEAR_DAYS
    T = len(year_start)
    # a piece continues the previous one when it starts on day 0 and the previous ended at year end
    cont = np.zeros(len(pp), bool)
    if len(pp) > 1:
        cont[1:] = ((pp[1:] == pp[:-1]) & (tt[1:] == tt[:-1] + 1)
                    & (d1[:-1] == ndays[tt[:-1]]) & (d0[1:] == 0))  # fmt: skip
    first = np.flatnonzero(~cont)
    end = year_start[tt] + (d1 - 1).astype("timedelta64[D]")
    if len(first):
        s_end = np.maximum.reduceat(end.view(np.int64), first).view("datetime64[D]")
    else:
        s_end = end[:0]
    del end, cont
    first_t = tt[first]
    s_start = year_start[first_t] + d0[first].astype("timedelta64[D]")
    s_pid = pp[first]
    last_day = year_start[T - 1] + np.timedelta64(int(ndays[T - 1]) - 1, "D")
    open_ = s_end >= last_day
    uncertain_start = rng.random(len(s_pid)) < cfg.UNCERTAIN_START
    s_start = np.where(uncertain_start, year_start[first_t], s_start)
    uncertain_end = ~open_ & (rng.random(len(s_pid)) < cfg.UNCERTAIN_END)
    end_out = s_end.astype("datetime64[s]")
    end_out[open_] = OPEN_END
    key_year = 1970 + (s_start.astype("datetime64[Y]").astype(int))
    code = keys.edukey_codes(s_pid, key_year)
    day = s_start.astype(np.int64)
    day0 = day.min() if len(day) else 0
    order = stable_order(
        keys.edukey_rank()[code], day - day0, (day.max() - day0 + 1) if len(day) else 1
    )
    return frame_taken(
        "leo_employment",
        None,
        {
            "EduKey": keys.edukey_column(code[order]),
            "StartDate": s_start[order].astype("datetime64[s]"),
            "EndDate": end_out[order],
            "UncertainStartDate": uncertain_start[order].astype(np.int64),
            "UncertainEndDate": uncertain_end[order].astype(np.int64),
        },
    )


def benefit_view(*, people, careers, status, keys, rng):
    """leo_benefit: claims by people in the labour market out of work for all or part of a
    year (a claimant keeps one benefit type; Universal Credit types from 2017/18), and long
    in-work disability benefits for a few; claims that overlap or abut are merged."""
    emp, d0, d1, labour = careers.employed, careers.first_day, careers.end_day, status.labour
    ndays = YEAR_DAYS
    N = len(emp)
    rows = []
    YE = YEAR_START
    idle_days = cfg.PART_IDLE_DAYS
    gap = cfg.CLAIM_GAP_DAYS
    # a claimant keeps the same benefit from year to year (so year pieces merge into claims)
    legacy = rng.choice(
        np.array(list(cfg.LEGACY_BENEFIT_SHARE)),
        size=N,
        p=list(cfg.LEGACY_BENEFIT_SHARE.values()),
    )
    uc = rng.choice(
        np.array(list(cfg.UC_BENEFIT_SHARE)), size=N, p=list(cfg.UC_BENEFIT_SHARE.values())
    )
    to_year_end = np.zeros(N, bool)  # claiming on the last day of the previous tax year
    for i, t in enumerate(YEARS):
        lab = labour[:, i]
        e_i = emp[:, i]
        d0_i = d0[:, i].astype(np.int64)
        d1_i = d1[:, i].astype(np.int64)
        idle_all = lab & ~e_i
        idle_part = lab & e_i & ((d0_i > idle_days) | (d1_i < ndays[i] - idle_days))
        claim = (idle_all & (rng.random(N) < cfg.CLAIM_WHEN_IDLE)) | (
            idle_part & (rng.random(N) < cfg.CLAIM_WHEN_PART_IDLE)
        )
        who = np.flatnonzero(claim)
        # the idle days [a, b]: all year, before a late start or after an early end
        late = d0_i[who] > idle_days
        a = np.where(idle_all[who], 0, np.where(late, 0, d1_i[who] + gap))
        b = np.where(idle_all[who], ndays[i] - 1, np.where(late, d0_i[who] - gap, ndays[i] - 1))
        s = a + (rng.random(len(who)) * np.maximum(b - a, 1) * cfg.CLAIM_DELAY).astype(int)
        s = np.where(idle_all[who] & to_year_end[who], 0, s)  # the claim goes on
        e = np.maximum(s + cfg.CLAIM_MIN_DAYS, b)
        to_year_end[:] = False
        to_year_end[who] = e >= ndays[i] - 1
        typ = uc[who] if t >= UC_FROM else legacy[who]
        rows.append(
            (
                who,
                YE[i] + s.astype("timedelta64[D]"),
                YE[i] + np.minimum(e, ndays[i] - 1).astype("timedelta64[D]"),
                typ,
                np.full(len(who), t),
            )
        )
    # in-work disability benefits for a few people, long spells
    dis = np.flatnonzero(rng.random(N) < cfg.DISABILITY_BENEFIT)
    st = YE[0] + rng.integers(0, 365 * 12, len(dis)).astype("timedelta64[D]")
    stt = np.maximum(st, tax_year_start(people.cohort[dis]))
    typ = np.where(stt >= PIP_FROM, "PIP", "DLA")
    rows.append(
        (
            dis,
            stt,
            np.full(len(dis), np.datetime64("9999-12-31", "D")),
            typ,
            1970 + stt.astype("datetime64[Y]").astype(int),
        )
    )
    who = np.concatenate([r[0] for r in rows])
    s = np.concatenate([r[1] for r in rows])
    e = np.concatenate([r[2] for r in rows])
    typ_text = np.concatenate([r[3] for r in rows])
    ky = np.concatenate([r[4] for r in rows])
    who, s, e, typ_text, ky = _merge_claims(who, s, e, typ_text, ky)
    # a claim still running at the end of the data is open
    e = e.astype("datetime64[s]")
    e[e >= LAST_DAY_OF_DATA] = OPEN_END
    code = keys.edukey_codes(who, ky)
    # sorted by (EduKey, StartDate, Benefit_type) as text, stably
    types, typ_rank = np.unique(typ_text, return_inverse=True)
    typ_rank = typ_rank.reshape(-1)
    day = s.astype("datetime64[D]").astype(np.int64)
    day0 = day.min() if len(day) else 0
    minor = (day - day0) * len(types) + typ_rank
    order = stable_order(keys.edukey_rank()[code], minor, (minor.max() + 1) if len(minor) else 1)
    typ = typ_text[order].astype(object)
    return frame_taken(
        "leo_benefit",
        None,
        {
            "EduKey": keys.edukey_column(code[order]),
            "StartDate": s[order].astype("datetime64[s]"),
            "EndDate": e[order],
            "Benefit_type": typ,
            "Out_of_work_benefit": np.isin(typ_text[order], list(K.OUT_OF_WORK_TYPES)).astype(
                np.int64
            ),
        },
    )


def _merge_claims(who, s, e, typ, ky):
    """Join claims of one benefit type that overlap or abut (as the real view does)."""
    types, rank = np.unique(typ, return_inverse=True)
    sd = s.astype("datetime64[D]")
    ed = e.astype("datetime64[D]")
    order = np.lexsort((sd, rank.reshape(-1), who))
    who, sd, ed, rank, ky = who[order], sd[order], ed[order], rank.reshape(-1)[order], ky[order]
    same = np.r_[False, (who[1:] == who[:-1]) & (rank[1:] == rank[:-1])]
    joins = same & np.r_[False, sd[1:] <= ed[:-1] + np.timedelta64(1, "D")]
    group = np.cumsum(~joins) - 1
    first = np.flatnonzero(~joins)
    end = np.full(first.size, np.datetime64("1900-01-01", "D"))
    np.maximum.at(end, group, ed)
    return who[first], sd[first], end, types[rank[first]], ky[first]


def self_assessment_view(people, status, keys, rng):
    """leo_self_assessment: returns of the self-employed from 2013/14."""
    n = len(people)
    se = rng.random(n) < cfg.SELF_EMPLOYED
    yrs = np.flatnonzero(YEARS >= SELF_ASSESSMENT_FROM)
    filed = rng.random((n, len(yrs))) < cfg.SELF_ASSESSMENT_FILED
    pp, tt = np.nonzero(status.active[:, yrs] & se[:, None] & filed)
    t = YEARS[yrs][tt]
    total = np.round(rng.lognormal(*cfg.SELF_EMPLOYMENT_LOG_POUNDS, len(pp))).astype(np.int64)
    ptr = rng.random(len(pp)) < cfg.PARTNERSHIP
    code = keys.edukey_codes(pp, t)
    rows = keyed_rows(code, yrs[tt], keys)
    t, total, ptr = t[rows], total[rows], ptr[rows]
    return frame_taken(
        "leo_self_assessment",
        None,
        {
            "Edukey": keys.edukey_column(code[rows]),
            "TaxYear": tax_year_code(t).astype(np.int64),
            "Self_Employed": np.ones(len(rows), dtype=np.int64),
            "EARNINGS_PTR": int_or_null(total, ~ptr),
            "EARNINGS_SOLE": int_or_null(total, ptr),
            "EARNINGS_SELF_EMPLOYMENT": pd.array(total, dtype="Int64"),
        },
    )


def geography_view(*, residents, home, areas, keys, edukeys, compact):
    """leo_geography from the ResidentYears rows; home: the Residence (OA by person and
    year); edukeys: the TextLookup of EDUKEY codes; compact: as ViewColumns."""
    gp, gt, abroad, geo_key, oa = (
        residents.person,
        residents.year,
        residents.abroad,
        residents.edukey,
        home.oa,
    )
    rows = keyed_rows(geo_key, gt, keys)
    small = index_dtype(len(areas.oa_code))  # MSOA attributes of each row, as small ints
    oa_msoa = areas.oa_msoa.astype(small)
    msoa_la = areas.msoa_la.astype(small)
    msoa_region = areas.msoa_region.astype(small)
    msoa_pcon = areas.msoa_pcon.astype(small)
    coa, laua = TextLookup(areas.oa_code, None), TextLookup(areas.la_anon, None)
    pcon_code, pcon_name = TextLookup(areas.pcon_code, None), TextLookup(areas.pcon_name, None)
    gor, gornm = TextLookup(areas.region_codes, None), TextLookup(list(K.REGIONS.values()), None)
    ctry = TextLookup(["E92000001", "Abroad"])
    ctrynm = TextLookup(["England", "Abroad"])
    out = ViewColumns(len(rows), compact)
    for a, b in blocks(len(rows)):
        r = rows[a:b]
        g_p, g_t, ab = gp[r], gt[r], abroad[r]
        o = oa[g_p, g_t]
        ms = oa_msoa[o]
        pick = np.where  # pick(ab, the lookup's NULL entry, values)
        out.text("Edukey", edukeys, geo_key[r], a, b)
        out.numbers("TaxYear", TAX_YEAR_CODE[g_t], a, b, np.int32)
        out.text("COA_2011", coa, pick(ab, len(coa) - 1, o), a, b)
        out.text("LAUA_anon", laua, pick(ab, len(laua) - 1, msoa_la[ms]), a, b)
        pcon = pick(ab, len(pcon_code) - 1, msoa_pcon[ms])
        out.text("PCON", pcon_code, pcon, a, b)
        out.text("PCONNM", pcon_name, pcon, a, b)
        reg = pick(ab, len(gor) - 1, msoa_region[ms])
        out.text("GOR", gor, reg, a, b)
        out.text("GORNM", gornm, reg, a, b)
        where = ab.astype(np.intp)
        out.text("CTRY", ctry, where, a, b)
        out.text("CTRYNM", ctrynm, where, a, b)
    return out.frame("leo_geography")


MONTHS = np.array(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
)


def idbr_view(firms):
    """idbr_enterprise_lookup: the 2019 and 2020 IDBR snapshots of every firm."""

    def date9(y, m):
        return np.array([f"01{MONTHS[mm - 1]}{yy}" for yy, mm in zip(y, m)], dtype=object)

    rows = []
    in2019 = firms.birth < 2018
    for sy, sel, sic, band in (
        ("2019", in2019, firms.sic, firms.band),
        ("2020", np.ones(len(firms), bool), firms.sic_2020, firms.band_2020),
    ):
        idx = np.flatnonzero(sel)
        dead = firms.death[idx] < (2018 if sy == "2019" else 2021)
        rows.append(
            pd.DataFrame(
                {
                    "ENTKEY": firms.entkey[idx],
                    "SIC2007": sic[idx],
                    "Govt_Region": np.array(list(K.REGIONS), dtype=object)[firms.region[idx]],
                    "legalstatus": firms.legal[idx],
                    "Employees": band[idx],
                    "Birth_month": date9(firms.birth[idx], firms.birth_month[idx]),
                    "Death_month": np.where(
                        dead,
                        date9(np.minimum(firms.death[idx], 9999), firms.death_month[idx]),
                        None,
                    ).astype(object),
                    "SECTIONNAME": firms.section[idx].astype(object),
                    "SourceYear": np.full(len(idx), sy, dtype=object),
                }
            )
        )
    df = pd.concat(rows, ignore_index=True)
    return (
        frame("idbr_enterprise_lookup", None, df.to_dict("series"))
        .sort_values(["ENTKEY", "SourceYear"], kind="mergesort")
        .reset_index(drop=True)
    )


def scheme_view(firms):
    """lookup_placement_scheme: the firms in the placement scheme, by tax year while alive."""
    fi, ti = np.nonzero(firms.scheme)
    year = YEARS[ti]
    alive = (firms.birth[fi] <= year) & (firms.death[fi] > year)
    fi, ti = fi[alive], ti[alive]
    df = frame(
        "lookup_placement_scheme",
        None,
        {
            "ENTKEY": firms.entkey[fi],
            "TaxYear": tax_year_code(YEARS[ti]).astype(np.int64),
            "scheme": np.ones(len(fi), dtype=np.int64),
        },
    )
    return df.sort_values(["ENTKEY", "TaxYear"], kind="mergesort").reset_index(drop=True)
