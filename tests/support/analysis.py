"""Small analysis files built from the extract's views, the way a researcher links them.

Used by the planted-truth tests; deliberately written from the views (keys, lookups,
derive), never from the generator's internals.
"""

import numpy as np
import pandas as pd

from leokit import derive
from leokit.schema.codes import FIRST_DEGREE_QUALS


def stack_hesa(t):
    return pd.concat(
        [v.assign(year=int(n[-4:])) for n, v in t.items() if n.startswith("hesa_")],
        ignore_index=True,
    )


def pmr_to_ae(t):
    return t["learner_ae_id_to_pmr_lookup"].rename(columns={"PUPILMATCHINGREFANONYMOUS": "PMR"})


def edukey_to_ae(t):
    return t["learner_ae_id_to_edukey_lookup"]


def ks4_one_row(t):
    ks4 = t["ks4pupil_2002_to_2014"]
    ks4 = ks4[(ks4.KS4_ENDKS == 1) & (ks4.KS4_PupilMatchingRefAnonymous != "")]
    ks4 = ks4.sort_values("KS4_PTSCNEWE", ascending=False).drop_duplicates(
        "KS4_PupilMatchingRefAnonymous"
    )
    return ks4.merge(
        pmr_to_ae(t), left_on="KS4_PupilMatchingRefAnonymous", right_on="PMR"
    ).drop_duplicates("AE_ID")


def degree_holders(t):
    """AE_ID and the end date of the first degree."""
    h = stack_hesa(t)
    h = h[h.HE_XQOBTN01.isin(FIRST_DEGREE_QUALS)].merge(
        pmr_to_ae(t), left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR"
    )
    return (
        h.groupby("AE_ID", as_index=False)
        .HE_ENDDATE.min()
        .rename(columns={"HE_ENDDATE": "degree_end"})
    )


def full_year_earnings(t):
    """Person (AE_ID) x tax year rows of earners employed every day of the tax year.

    A spell whose start is uncertain was defaulted to 6 April, so it looks full-year in the
    year it began even when the job started later: those person-years are left out.
    """
    ek = edukey_to_ae(t)
    e = t["leo_earnings"].merge(ek, left_on="Edukey", right_on="EDUKEY")
    emp = t["leo_employment"].merge(ek, left_on="EduKey", right_on="EDUKEY")
    days = derive.days_employed(
        emp[["AE_ID", "StartDate", "EndDate"]], person="AE_ID", data_end=derive.tax_year_end(202021)
    )
    days["ndays"] = derive.days_in_tax_year(days.TaxYear)
    full = days[days.days_employed >= days.ndays][["AE_ID", "TaxYear"]]
    defaulted = emp[emp.UncertainStartDate == 1]
    defaulted = pd.DataFrame(
        {
            "AE_ID": defaulted.AE_ID.to_numpy(),
            "TaxYear": derive.tax_year_of(defaulted.StartDate).to_numpy(),
            "defaulted": 1,
        }
    )
    full = full.merge(defaulted.drop_duplicates(), how="left", on=["AE_ID", "TaxYear"])
    full = full[full.defaulted.isna()].drop(columns="defaulted")
    e = e.merge(full, on=["AE_ID", "TaxYear"])
    e = e[e.Earnings > 0].copy()
    e["lny"] = np.log(e.Earnings)
    return e


def birth_years(t):
    c = pd.concat(
        [
            v.iloc[:, [0, 1]].set_axis(["PMR", "yob"], axis=1)
            for n, v in t.items()
            if n.startswith("spring_census_")
        ],
        ignore_index=True,
    )
    return c.merge(pmr_to_ae(t), on="PMR").groupby("AE_ID", as_index=False).yob.min()


def he_periods(t):
    """One row per HE instance: commencement and end (an instance continuing has no end yet)."""
    h = stack_hesa(t).merge(pmr_to_ae(t), left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR")
    h = h.assign(start=pd.to_datetime(h.HE_COMDATE), end=pd.to_datetime(h.HE_ENDDATE))
    inst = h.groupby(["AE_ID", "start"], as_index=False).end.max()
    inst["end"] = inst.end.fillna(pd.Timestamp("2099-01-01"))
    return inst


def q1_file(t):
    """Applicants with their application-and-offer set, placement, entry and pay at age 26."""
    ap = t["ucas_applicant"].merge(
        pmr_to_ae(t), left_on="PupilMatchingRefAnonymous", right_on="PMR"
    )
    app = t["ucas_application"]
    main = app[app.application_route_code == "M"].copy()
    # the exact set: courses applied to, and the offer (with its conditions) from each
    main["item"] = (
        main.course_identifier + ":" + main.june30_hep_decision_code + main.offer_tariff.astype(str)
    )
    sets = (
        main.groupby("unique_id_cycle").item.apply(lambda s: ";".join(sorted(s))).rename("appset")
    )
    ap = ap.merge(sets, on="unique_id_cycle")
    course = t["lookup_ucas_course"]
    sel = (
        course.standard_offer_tariff - course.standard_offer_tariff.mean()
    ) / course.standard_offer_tariff.std(ddof=0)
    course = course.assign(sel=sel)
    ap = ap.merge(
        course[["course_identifier", "sel", "provider_id_anon"]],
        how="left",
        left_on="accepted_course_identifier",
        right_on="course_identifier",
    )
    h = stack_hesa(t)
    first = h[(h.HE_XLEV601 == 4) & (h.HE_YEARSTU == 1)].merge(
        pmr_to_ae(t), left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR"
    )
    ap["he"] = ap.AE_ID.isin(first.AE_ID).astype(int)
    ks4 = ks4_one_row(t)[["AE_ID", "KS4_PTSCNEWE", "KS4_FSM"]]
    ks5 = t["ks5student_2003_to_2014"].merge(
        pmr_to_ae(t), left_on="KS5_PupilMatchingRefAnonymous", right_on="PMR"
    )
    ks5 = ks5.groupby("AE_ID", as_index=False).KS5_TOTPTS.max()
    ap = ap.merge(ks4, on="AE_ID").merge(ks5, on="AE_ID")
    e = full_year_earnings(t)
    e["tys"] = e.TaxYear // 100
    ap["tys"] = ap.application_cycle + 8
    return ap.drop_duplicates("AE_ID").merge(e[["AE_ID", "tys", "lny"]], on=["AE_ID", "tys"])


def q1_sel(t):
    """Selectivity of the course each applicant was placed at (entrants only)."""
    ap = t["ucas_applicant"].merge(
        pmr_to_ae(t), left_on="PupilMatchingRefAnonymous", right_on="PMR"
    )
    c = t["lookup_ucas_course"]
    c = c.assign(
        sel_entered=(c.standard_offer_tariff - c.standard_offer_tariff.mean())
        / c.standard_offer_tariff.std(ddof=0)
    )
    ap = ap.merge(
        c[["course_identifier", "sel_entered"]],
        left_on="accepted_course_identifier",
        right_on="course_identifier",
    )
    return ap.drop_duplicates("AE_ID")[["AE_ID", "sel_entered"]]


def q3_panel(t):
    """Person-year panel with the leave-one-out co-worker and neighbour degree shares."""
    ek = edukey_to_ae(t)
    linked = set(pmr_to_ae(t).AE_ID)
    e = t["leo_earnings"].merge(ek, how="left", left_on="Edukey", right_on="EDUKEY")
    e["visible"] = e.AE_ID.isin(linked)
    deg = degree_holders(t)
    e = e.merge(deg, how="left", on="AE_ID")
    start = derive.tax_year_start(e.TaxYear)
    e["g"] = (pd.to_datetime(e.degree_end) < start).astype(float)
    e = e[e.main_enterprise.notna()]
    v = e[e.visible]
    agg = (
        v.groupby(["main_enterprise", "TaxYear"])
        .agg(n=("g", "size"), sg=("g", "sum"))
        .reset_index()
    )
    e = e.merge(agg, on=["main_enterprise", "TaxYear"], how="left")
    own = e.visible.astype(float)
    e["S"] = (e.sg - own * e.g) / (e.n - own)
    # neighbours: MSOA of residence from leo_geography and the area lookup
    geo = t["leo_geography"].merge(ek, left_on="Edukey", right_on="EDUKEY")
    geo = geo.merge(t["lookup_area"][["OA11CD", "MSOA11CD"]], left_on="COA_2011", right_on="OA11CD")
    geo = geo.merge(deg, how="left", on="AE_ID")
    geo["g"] = (pd.to_datetime(geo.degree_end) < derive.tax_year_start(geo.TaxYear)).astype(float)
    gv = geo[geo.AE_ID.isin(linked)]
    ga = gv.groupby(["MSOA11CD", "TaxYear"]).agg(nn=("g", "size"), ng=("g", "sum")).reset_index()
    geo = geo.merge(ga, on=["MSOA11CD", "TaxYear"])
    gown = geo.AE_ID.isin(linked).astype(float)
    geo["N"] = (geo.ng - gown * geo.g) / (geo.nn - gown)
    full = full_year_earnings(t)[["AE_ID", "TaxYear", "lny"]]
    p = full.merge(
        e[["AE_ID", "TaxYear", "main_enterprise", "S", "g", "n"]], on=["AE_ID", "TaxYear"]
    )
    p = p.merge(
        geo[["AE_ID", "TaxYear", "MSOA11CD", "N"]].drop_duplicates(["AE_ID", "TaxYear"]),
        on=["AE_ID", "TaxYear"],
    )
    # out of education: no HESA instance overlapping the tax year, and 19 or older
    he = he_periods(t)
    p["ty0"] = derive.tax_year_start(p.TaxYear)
    p["ty1"] = derive.tax_year_end(p.TaxYear)
    ov = p[["AE_ID", "TaxYear", "ty0", "ty1"]].merge(he, on="AE_ID")
    busy = ov[(ov.start <= ov.ty1) & (ov.end >= ov.ty0)][["AE_ID", "TaxYear"]].drop_duplicates()
    p = p.merge(busy.assign(busy=1), how="left", on=["AE_ID", "TaxYear"])
    p = p[p.busy.isna()].merge(birth_years(t), on="AE_ID")
    p["age"] = p.TaxYear // 100 - p.yob
    p = p[(p.age >= 19) & p.S.notna() & p.N.notna()].copy()
    heend = he.groupby("AE_ID").end.max().rename("he_end").reset_index()
    p = p.merge(heend, how="left", on="AE_ID")
    p["he_done"] = (p.he_end < p.ty0).astype(float)
    p["x2"] = (p.age - 18) ** 2
    q1 = q1_sel(t)
    p = p.merge(q1, how="left", on="AE_ID")
    p["sel_done"] = p.sel_entered.fillna(0) * p.he_done
    p["gS"] = p.g * p.S
    sch = t["lookup_placement_scheme"].rename(columns={"ENTKEY": "main_enterprise"})
    p = p.merge(
        sch[["main_enterprise", "TaxYear", "scheme"]], how="left", on=["main_enterprise", "TaxYear"]
    )
    p["Z"] = p.scheme.fillna(0)
    return p.drop(columns=["ty0", "ty1", "busy", "scheme"])


def q2_file(t, which=0):
    """UCAS applicants around a contextual-offer cutoff: running variable, treatment, outcomes.

    which: 0 for the lower cutoff in lookup_contextual_policy, 1 for the higher one.
    """
    pol = t["lookup_contextual_policy"]
    cuts = sorted(pol.eligibility_cutoff.dropna().unique())
    cut = cuts[which]
    scheme = pol[(pol.contextual_scheme == 1) & (pol.eligibility_cutoff == cut)]
    # providers that ever use this cutoff: their applicants before the scheme are the placebo group
    ever = pol[pol.provider_id_anon.isin(scheme.provider_id_anon)][
        ["provider_id_anon", "application_cycle"]
    ]
    ap = t["ucas_applicant"].merge(
        pmr_to_ae(t), left_on="PupilMatchingRefAnonymous", right_on="PMR"
    )
    # home area: the LSOA in the spring census of the KS4 year (two years before the cycle)
    census = []
    for name, v in t.items():
        if name.startswith("spring_census_"):
            lsoa = [c for c in v.columns if c.startswith(("llsoa_", "lsoa01_", "lsoa11_"))][0]
            ncy = [c for c in v.columns if c.startswith("ncyearactual_")][0]
            part = v[v[ncy] == "11"][[v.columns[0], lsoa]].set_axis(["PMR", "LSOA11CD"], axis=1)
            census.append(part.assign(census_year=int(name[-4:])))
    census = pd.concat(census).merge(pmr_to_ae(t), on="PMR").drop_duplicates("AE_ID")
    area = t["lookup_area"].drop_duplicates("LSOA11CD")[
        ["LSOA11CD", "MSOA11CD", "young_participation_rate"]
    ]
    ap = ap.merge(census[["AE_ID", "LSOA11CD"]], on="AE_ID").merge(area, on="LSOA11CD")
    ap["x"] = cut - ap.young_participation_rate  # eligible (treated side) when x > 0
    # applications to providers whose scheme uses this cutoff in that cycle
    app = t["ucas_application"]
    reduction = scheme.groupby("provider_id_anon").grade_reduction_tariff.first()
    main = app[app.application_route_code == "M"]
    main = main.merge(
        t["lookup_ucas_course"][["course_identifier", "standard_offer_tariff"]],
        on="course_identifier",
    )
    q = t["ucas_qualification"]
    tariff = {"A*": 56, "A": 48, "B": 40, "C": 32, "D": 24, "E": 16}
    pred = (
        q[q.qualification_status == "Pending"]
        .assign(p=q.grade.map(tariff))
        .groupby("unique_id_cycle")
        .p.sum()
    )
    main = main.merge(pred.rename("pred_tariff"), left_on="unique_id_cycle", right_index=True)
    main["red"] = main.provider_id_anon.map(reduction)
    main["marginal"] = (main.pred_tariff >= main.standard_offer_tariff - main.red) & (
        main.pred_tariff < main.standard_offer_tariff
    )
    # applied to a provider running the scheme that cycle; or one that runs it at some point
    active = main.merge(
        scheme[["provider_id_anon", "application_cycle"]],
        on=["provider_id_anon", "application_cycle"],
    )
    ever_app = main.merge(ever, on=["provider_id_anon", "application_cycle"])
    ap["scheme_applicant"] = ap.unique_id_cycle.isin(active.unique_id_cycle)
    ap["marginal"] = ap.unique_id_cycle.isin(active[active.marginal].unique_id_cycle)
    ap["ever_scheme_applicant"] = ap.unique_id_cycle.isin(ever_app.unique_id_cycle)
    ap["policy_era"] = ap.application_cycle.isin(scheme.application_cycle.unique())
    # enrolment, treatment and year-1 drop-out from HESA
    h = stack_hesa(t)
    first = h[(h.HE_XLEV601 == 4) & (h.HE_YEARSTU == 1)].merge(
        pmr_to_ae(t), left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR"
    )
    first = first.assign(cycle=pd.to_datetime(first.HE_COMDATE).dt.year).drop_duplicates("AE_ID")
    first["dropout_year1"] = (first.HE_ENDDATE.notna() & (first.HE_RSNEND != "01")).astype(int)
    ap = ap.merge(first[["AE_ID", "HE_XINSTID01__ANON", "dropout_year1"]], how="left", on="AE_ID")
    ap["enrol_any"] = ap.HE_XINSTID01__ANON.notna().astype(int)
    fd = h[h.HE_XLEV601 == 4].merge(
        pmr_to_ae(t), left_on="HE_PUPILMATCHINGREFANONYMOUS", right_on="PMR"
    )
    ap["good_degree"] = ap.AE_ID.isin(fd[fd.HE_XCLASS01.isin([1, 2])].AE_ID).astype(int)
    ap["dropout_year1"] = ap.dropout_year1.fillna(0).astype(int)
    key = set(zip(scheme.provider_id_anon, scheme.application_cycle))
    ap["D"] = [int((p, c) in key) for p, c in zip(ap.HE_XINSTID01__ANON, ap.application_cycle)]
    ap["D_ever"] = ap.HE_XINSTID01__ANON.isin(set(scheme.provider_id_anon)).astype(int)
    e = full_year_earnings(t)
    e["tys"] = e.TaxYear // 100
    ap["tys"] = ap.application_cycle + 8
    ap = ap.drop_duplicates("AE_ID").merge(
        e[["AE_ID", "tys", "lny"]], how="left", on=["AE_ID", "tys"]
    )
    ks4 = ks4_one_row(t)[["AE_ID", "KS4_PTSCNEWE", "KS4_FSM"]]
    return ap.merge(ks4, on="AE_ID"), cut
