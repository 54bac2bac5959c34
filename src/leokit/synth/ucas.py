"""Stage 5: UCAS. Courses, contextual-offer policies, applications, offers, firm and
insurance choices, results-day placement and enrolment.

The Dale-Krueger structure: ambition m shapes which courses a pupil applies to and (through
the personal statement, unseen by the researcher) which offers arrive, and it raises pay;
given the application-and-offer set, the choice among offers is a taste shock unrelated to
m. Contextual eligibility (home MSOA's young participation rate below a provider's cutoff,
in cycles where the provider runs a scheme) lowers offer conditions by the provider's grade
reduction. `place()` is a pure function of eligibility and pre-drawn shocks, so the truth
stage can re-run placement with eligibility switched on and off (potential outcomes).
"""

import numpy as np
import pandas as pd

from ..schema import codes as K
from .ids import big_ints, binary16_keys
from .npd import _frame, _frame_taken, _int_or_null, _mapped, _repeat

SUBJECT_GROUPS = (
    "Sciences and engineering",
    "Social sciences, law and business",
    "Arts and humanities",
)
SUBJECT_SHARE = np.array([0.40, 0.35, 0.25])
SUBJECT_JACS = (("G", "H", "F", "C"), ("L", "M", "N"), ("V", "W", "Q"))
N_CHOICES = np.array([5, 4, 3, 2, 1])
N_CHOICES_P = np.array([0.75, 0.10, 0.07, 0.05, 0.03])
TAKE_UP = 0.88  # placed applicants who enrol; the rest defer or do not turn up, at random
NEAR_MISS_ACCEPT = 0.35  # providers still confirm an offer missed by one grade
OFFER_NOISE = 0.5  # SD (in attainment units) of what providers see beyond predicted grades
OFFER_SLACK = 8  # offers go to applicants predicted this many tariff points below the condition
CONTEXTUAL_FIRM_PREF = 1.5  # extra utility of firming an offer whose conditions were reduced
CLEARING = 0.6


class Courses:
    pass


def make_courses(sizes, rng):
    C = Courses()
    J = sizes.providers
    q = np.sort(rng.normal(0, 1, J))[::-1]
    C.provider_anon = binary16_keys(rng, J)
    C.provider_group = np.where(
        np.arange(J) < J // 3, "H", np.where(np.arange(J) < 2 * J // 3, "M", "L")
    )
    rows = []
    for p in range(J):
        for g in range(3):
            s = q[p] + 0.25 * rng.standard_normal()
            rows.append((p, g, s))
    C.provider = np.array([r[0] for r in rows])
    C.subject = np.array([r[1] for r in rows])
    latent = np.array([r[2] for r in rows])
    C.std_offer = np.clip(np.round((112 + 18 * latent) / 8) * 8, 64, 160).astype(np.int64)
    # The selectivity measure of the truth file: the published standard offer, standardised
    # across courses (unweighted).
    C.sel = (C.std_offer - C.std_offer.mean()) / C.std_offer.std()
    C.group = C.provider_group[C.provider]
    C.jacs = np.array(
        [SUBJECT_JACS[g][rng.integers(0, len(SUBJECT_JACS[g]))] for g in C.subject], dtype=object
    )
    C.code = np.array([f"{j}{100 + i:03d}" for i, j in enumerate(C.jacs)], dtype=object)
    C.identifier = np.array(
        [C.provider_anon[p][2:14] + "-" + c for p, c in zip(C.provider, C.code)], dtype=object
    )
    C.n = len(rows)
    return C


def make_policies(C, areas, cycles, rng):
    """Contextual schemes: staggered adoption by higher- and medium-tariff providers."""
    J = len(C.provider_anon)
    adopt_p = np.where(C.provider_group == "H", 0.9, np.where(C.provider_group == "M", 0.5, 0.0))
    adopts = rng.random(J) < adopt_p
    start = rng.choice([2010, 2011, 2012], size=J, p=[0.5, 0.3, 0.2])
    cut_q2 = rng.random(J) < 0.2
    cutoff = np.where(cut_q2, areas.cutoffs[1], areas.cutoffs[0])
    reduction = np.where(rng.random(J) < 0.85, 16, 8)
    rows = []
    for p in range(J):
        for cy in cycles:
            on = bool(adopts[p] and cy >= start[p])
            rows.append(
                (
                    C.provider_anon[p],
                    cy,
                    int(on),
                    cutoff[p] if on else None,
                    int(reduction[p]) if on else None,
                )
            )
    df = pd.DataFrame(
        rows,
        columns=[
            "provider_id_anon",
            "application_cycle",
            "contextual_scheme",
            "eligibility_cutoff",
            "grade_reduction_tariff",
        ],
    )
    df["eligibility_cutoff"] = df["eligibility_cutoff"].astype(float).round(4)
    df["grade_reduction_tariff"] = df["grade_reduction_tariff"].astype("Int64")
    return df


class Shocks:
    """Everything random about an applicant's journey, drawn once."""


def apply(P, C, rng):
    """Who applies, where, and the shocks that later decide offers, choices and results."""
    score = 1.3 + 1.0 * P.pred_z + 0.8 * P.m + 0.2 * P.f + rng.standard_normal(P.n)
    applies = P.alevels & (score > 0)
    pid = np.flatnonzero(applies)
    n = len(pid)
    S = Shocks()
    S.pid = pid
    S.subject = rng.choice(3, size=n, p=SUBJECT_SHARE)
    S.k = rng.choice(N_CHOICES, size=n, p=N_CHOICES_P)
    aim = 0.6 * P.pred_z[pid] + 0.5 * P.m[pid] + 0.15 * P.f[pid] + 0.4 * rng.standard_normal(n)
    target = aim + 0.5 * rng.standard_normal(n)
    latent = (C.std_offer - 112) / 18.0
    # A portfolio spans aspiration to safety: one slot per offset around the target (in SDs
    # of the course scale), each taking the nearest course not already chosen.
    offsets = np.array([0.7, 0.35, 0.0, -0.35, -0.9])
    slot_offset = np.where(S.k[:, None] == 1, 0.0, offsets[None, :])
    jitter = 0.15 * rng.standard_normal((n, 5))
    choices = np.full((n, 5), -1, dtype=np.int64)
    for g in range(3):
        idx = np.flatnonzero(S.subject == g)
        cg = np.flatnonzero(C.subject == g)
        taken = np.zeros((len(idx), len(cg)), bool)
        for j in range(5):
            dist = np.abs(
                target[idx, None]
                + slot_offset[idx, j, None]
                + jitter[idx, j, None]
                - latent[None, cg]
            )
            dist[taken] = np.inf
            pick = np.argmin(dist, axis=1)
            use = S.k[idx] > j
            taken[np.arange(len(idx)), pick] |= use
            choices[idx, j] = np.where(use, cg[pick], -1)
    S.choices = choices
    # offer shock (statement and reference: seen by providers, not by researchers)
    S.offer_noise = 24 * (0.3 * P.m[pid][:, None] + OFFER_NOISE * rng.standard_normal((n, 5)))
    S.unconditional = rng.random((n, 5)) < 0.03
    S.taste = rng.gumbel(size=(n, 5))
    S.ins_noise = rng.random((n, 5))
    S.near_miss = rng.random((n, 2)) < NEAR_MISS_ACCEPT
    S.clearing = rng.random(n) < CLEARING
    S.clearing_pick = rng.random(n)
    S.take_up = rng.random(n) < TAKE_UP
    return S


def eligibility(P, S, C, policy, areas, cycle_of):
    """(n, 5) reduction in tariff points each application would get under the policies."""
    pol = policy.set_index(["provider_id_anon", "application_cycle"])
    J = len(C.provider_anon)
    cycles = np.unique(cycle_of)
    red = np.zeros((len(S.pid), 5), dtype=np.int64)
    rate = areas.msoa_rate[P.msoa[S.pid]]
    for cy in cycles:
        on = np.zeros(J, bool)
        cut = np.zeros(J)
        r = np.zeros(J, dtype=np.int64)
        for p in range(J):
            row = pol.loc[(C.provider_anon[p], cy)]
            if row["contextual_scheme"] == 1:
                on[p] = True
                cut[p] = row["eligibility_cutoff"]
                r[p] = row["grade_reduction_tariff"]
        rows = cycle_of == cy
        ch = S.choices[rows]
        prov = C.provider[np.maximum(ch, 0)]
        ok = (ch >= 0) & on[prov] & (rate[rows, None] < cut[prov])
        red[rows] = np.where(ok, r[prov], 0)
    return red


def place(P, S, C, reduction):
    """Offers, firm/insurance replies and results-day placement for given offer reductions."""
    pid = S.pid
    n = len(pid)
    valid = S.choices >= 0
    course = np.maximum(S.choices, 0)
    cond = C.std_offer[course] - reduction
    uncond = S.unconditional & valid & (C.group[course] == "L")
    offer = valid & ((P.tariff_pred[pid][:, None] + S.offer_noise >= cond - OFFER_SLACK) | uncond)
    cond = np.where(uncond, 0, cond)
    # firm: the most selective offer plus taste; insurance: the lowest condition among the rest
    # a reduced (contextual) offer is easier to meet, so it is more often firmed
    u = np.where(
        offer, 0.8 * C.sel[course] + CONTEXTUAL_FIRM_PREF * (reduction > 0) + S.taste, -np.inf
    )
    firm = np.argmax(u, axis=1)
    has_offer = offer.any(axis=1)
    ins_u = np.where(offer, -cond + S.ins_noise, -np.inf)
    ins_u[np.arange(n), firm] = -np.inf
    ins = np.argmax(ins_u, axis=1)
    has_ins = np.isfinite(ins_u.max(axis=1))
    T = P.tariff_ach[pid]
    firm_cond = cond[np.arange(n), firm]
    ins_cond = cond[np.arange(n), ins]
    meet_firm = has_offer & ((T >= firm_cond) | ((T >= firm_cond - 8) & S.near_miss[:, 0]))
    meet_ins = has_ins & ~meet_firm & ((T >= ins_cond) | ((T >= ins_cond - 8) & S.near_miss[:, 1]))
    placed_course = np.full(n, -1, dtype=np.int64)
    route = np.full(n, "", dtype=object)
    placed_course[meet_firm] = course[np.arange(n), firm][meet_firm]
    route[meet_firm] = "1"
    placed_course[meet_ins] = course[np.arange(n), ins][meet_ins]
    route[meet_ins] = "2"
    # clearing: a course in the same subject whose standard offer the grades meet
    go_clear = (placed_course < 0) & S.clearing
    for g in range(3):
        cg = np.flatnonzero(C.subject == g)
        cg = cg[np.argsort(C.std_offer[cg])]
        idx = np.flatnonzero(go_clear & (S.subject == g))
        if len(idx) == 0:
            continue
        n_ok = np.searchsorted(C.std_offer[cg], T[idx] + 8, side="right")
        pick = np.where(
            n_ok > 0, cg[np.minimum((S.clearing_pick[idx] * n_ok).astype(int), len(cg) - 1)], -1
        )
        placed_course[idx] = pick
        route[idx] = np.where(pick >= 0, "3", "")
    out = {
        "offer": offer,
        "cond": cond,
        "uncond": uncond,
        "firm": firm,
        "ins": ins,
        "has_offer": has_offer,
        "has_ins": has_ins,
        "placed": placed_course,
        "route": route,
    }
    out["enrol_course"] = np.where((placed_course >= 0) & S.take_up, placed_course, -1)
    return out


def tables(P, S, C, res, policy, areas, keys, rng):
    """The three UCAS views and the two public lookups."""
    n = len(S.pid)
    pid = S.pid
    cycle = P.cohort[pid] + 2
    app_id = big_ints(rng, n, 10**7, 10**9)
    uid = big_ints(rng, n, 10**9, 10**11)
    placed = res["placed"]
    # applicant
    idaci = areas.lsoa_idaci[P.lsoa[pid]]
    imd_cut = np.quantile(areas.lsoa_idaci, [0.2, 0.4, 0.6, 0.8])
    imd_q = 5 - np.searchsorted(imd_cut, idaci)
    age = np.where(rng.random(n) < 0.005, 0, 18)
    route = res["route"]
    applicant = _frame(
        "ucas_applicant",
        None,
        {
            "applicant_id": app_id,
            "unique_id_cycle": uid,
            "PupilMatchingRefAnonymous": keys.pmr(pid),
            "application_cycle": cycle,
            "applicant_age": age,
            "applicant_gender_code": np.where(P.female[pid], "F", "M").astype(object),
            "applicant_domicile_code": _repeat("826", n),
            "applicant_uk_region_code": np.array(list("ABCDEFGHJ"), dtype=object)[
                areas.msoa_region[P.msoa[pid]]
            ],
            "applicant_polar4_code": areas.msoa_quintile[P.msoa[pid]],
            "applicant_imd_code": imd_q.astype(np.int64),
            "applicant_flag": np.ones(n, dtype=np.int64),
            "accept_flag": (placed >= 0).astype(np.int64),
            "acceptance_route_code": np.where(placed >= 0, route, None).astype(object),
            "acceptance_route": _mapped(
                route, lambda r: K.UCAS_ACCEPTANCE_ROUTE.get(r) if r else None
            ),
            "accepted_course_identifier": np.where(
                placed >= 0, C.identifier[np.maximum(placed, 0)], None
            ).astype(object),
        },
    )
    # applications: main-scheme choices plus a clearing row where placed in clearing
    ii, jj = np.nonzero(S.choices >= 0)
    course = S.choices[ii, jj]
    offer = res["offer"][ii, jj]
    uncond = res["uncond"][ii, jj]
    dec = np.where(~offer, "R", np.where(uncond, "U", "C")).astype(object)
    resp = np.full(len(ii), None, dtype=object)
    resp[offer] = "D"
    is_firm = offer & (jj == res["firm"][ii])
    is_ins = offer & res["has_ins"][ii] & (jj == res["ins"][ii]) & ~is_firm
    resp[is_firm] = "F"
    resp[is_ins] = "I"
    offer_t = np.where(offer & ~uncond, res["cond"][ii, jj], -1)
    cl = np.flatnonzero(route == "3")
    ccourse = placed[cl]
    a_uid = np.concatenate([uid[ii], uid[cl]])
    a_course = np.concatenate([course, ccourse])
    a_cycle = np.concatenate([cycle[ii], cycle[cl]])
    a_choice = np.concatenate([jj + 1, np.full(len(cl), 6)])
    a_route = np.concatenate(
        [np.full(len(ii), "M", dtype=object), np.full(len(cl), "C", dtype=object)]
    )
    a_dec = np.concatenate([dec, np.full(len(cl), "U", dtype=object)])
    a_resp = np.concatenate([resp, np.full(len(cl), "F", dtype=object)])
    a_offer = np.concatenate([offer_t, np.full(len(cl), -1)])
    order = np.lexsort((a_choice, a_uid))
    m = len(a_uid)
    application = _frame_taken(
        "ucas_application",
        None,
        {
            "unique_application_id_cycle": big_ints(rng, m, 10**11, 10**13),
            "unique_id_cycle": a_uid,
            "application_cycle": a_cycle,
            "choice_number": a_choice,
            "course_identifier": C.identifier[a_course],
            "provider_id_anon": C.provider_anon[C.provider[a_course]],
            "entry_year": a_cycle,
            "application_route_code": a_route,
            "main_scheme_application_flag": np.repeat([1, 0], [len(ii), len(cl)]),
            "june30_hep_decision_code": a_dec,
            "provider_decision_june30": _mapped(a_dec, lambda d: K.UCAS_DECISION[d]),
            "june30_app_response_code": a_resp,
            "app_response_june30": _mapped(a_resp, lambda r: K.UCAS_RESPONSE.get(r) if r else None),
            "offer_tariff": _int_or_null(a_offer, a_offer < 0),
            "he_provider_tariff_group": C.group[a_course].astype(object),
            "subject_group_name": np.array(SUBJECT_GROUPS, dtype=object)[C.subject[a_course]],
        },
        order,
    )
    # qualifications: three A levels, predicted (Pending) at application
    grades = tariff_to_grades(P.tariff_pred[pid])
    subj = np.array(
        [
            "Mathematics",
            "English Literature",
            "History",
            "Biology",
            "Chemistry",
            "Economics",
            "Psychology",
            "Geography",
            "Physics",
            "Art and Design",
        ],
        dtype=object,
    )
    q_uid = np.repeat(uid, 3)
    qual = _frame_taken(
        "ucas_qualification",
        None,
        {
            "unique_id_cycle": q_uid,
            "qualification_description": _repeat("GCE Advanced Level", 3 * n),
            "subject_title": subj[np.argsort(rng.random((n, len(subj))), axis=1)[:, :3].ravel()],
            "grade": grades.ravel(),
            "qualification_status": _repeat("Pending", 3 * n),
            "qualification_year": np.repeat(cycle, 3),
        },
        np.argsort(q_uid, kind="stable"),  # an applicant's three rows keep their order
    )
    course_lookup = _frame(
        "lookup_ucas_course",
        None,
        {
            "course_identifier": C.identifier,
            "provider_id_anon": C.provider_anon[C.provider],
            "jacs_area": C.jacs,
            "he_provider_tariff_group": C.group.astype(object),
            "standard_offer_tariff": C.std_offer,
            "standard_offer_grades": np.array(
                ["".join(g) for g in tariff_to_grades(C.std_offer)], dtype=object
            ),
        },
    )
    return {
        "ucas_applicant": applicant.sort_values("unique_id_cycle").reset_index(drop=True),
        "ucas_application": application,
        "ucas_qualification": qual,
        "lookup_ucas_course": course_lookup,
        "lookup_contextual_policy": _frame(
            "lookup_contextual_policy", None, policy.to_dict("series")
        ),
    }


GRADE_OF = {56: "A*", 48: "A", 40: "B", 32: "C", 24: "D", 16: "E"}
_GRADE_BY_POINTS = np.array([GRADE_OF.get(p) for p in range(max(GRADE_OF) + 1)], dtype=object)


def tariff_to_grades(total):
    """Three A-level grades (best first) whose tariff adds up to `total` (a multiple of 8)."""
    total = np.clip(np.asarray(total), 48, 168)
    steps = (total - 48) // 8  # 0..15 steps of one grade above EEE
    base = steps // 3
    extra = steps % 3
    g = np.stack([base + (extra > 0), base + (extra > 1), base], axis=1)
    pts = 16 + 8 * np.minimum(g, 5)
    return _GRADE_BY_POINTS[pts]


def make(P, C, areas, keys, rng):
    cycles = tuple(range(int(P.cohort.min()) + 2, int(P.cohort.max()) + 3))
    policy = make_policies(C, areas, cycles, rng)
    S = apply(P, C, rng)
    cycle_of = P.cohort[S.pid] + 2
    reduction = eligibility(P, S, C, policy, areas, cycle_of)
    res = place(P, S, C, reduction)
    return S, policy, reduction, res, cycle_of
