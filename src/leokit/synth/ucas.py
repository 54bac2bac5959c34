"""Stage 5: UCAS. Courses, contextual-offer policies, applications, offers, firm and
insurance choices, results-day placement and enrolment.

    courses = make_courses(sizes=sizes, rng=rng)
    policies, applicants, placement = make(people=people, courses=courses, areas=areas, rng=rng)
    views = tables(people=people, applicants=applicants, courses=courses, placement=placement,
                   policies=policies, areas=areas, keys=keys, rng=rng)

The Dale-Krueger structure: ambition shapes which courses a pupil applies to and (through
the personal statement, unseen by the researcher) which offers arrive, and it raises pay;
given the application-and-offer set, the choice among offers is a taste shock unrelated to
ambition. Contextual eligibility (home MSOA's young participation rate below a provider's
cutoff, in cycles where the provider runs a scheme) lowers offer conditions by the
provider's grade reduction. Everything random about an applicant's journey is drawn once
(`Applicants`), so `place()` is a pure function of eligibility: the truth stage re-runs
placement with eligibility switched on and off (potential outcomes).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..schema import codes as K
from . import config as cfg
from .frames import frame, frame_taken, int_or_null, mapped_text, repeat_text
from .ids import big_ints, binary16_keys

SUBJECT_GROUPS = (
    "Sciences and engineering",
    "Social sciences, law and business",
    "Arts and humanities",
)
SUBJECT_SHARE = np.array(cfg.SUBJECT_SHARE)
SUBJECT_JACS = (("G", "H", "F", "C"), ("L", "M", "N"), ("V", "W", "Q"))
N_CHOICES = np.array(list(cfg.N_CHOICES))
N_CHOICES_P = np.array(list(cfg.N_CHOICES.values()))
MAX_CHOICES = 5
GRADE = 8  # tariff points of one A-level grade
A_LEVEL_SUBJECTS = np.array(
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


@dataclass(eq=False)
class Courses:
    """First-degree courses: one per provider and subject group (index 0..len-1).

    provider_anon   (providers,) object: binary(16) provider pseudonym, most selective first
    provider_group  (providers,) str: tariff group H, M or L (thirds by selectivity)
    provider, subject  (courses,) int: provider index and subject group (0..2)
    std_offer       (courses,) int: published standard offer, tariff points
    sel             (courses,) float: std_offer standardised across courses (mean 0, SD 1,
                    unweighted): the selectivity of truth.json
    group           (courses,) str: the provider's tariff group
    jacs, code, identifier  (courses,) object: JACS area, course code, course identifier
    """

    provider_anon: np.ndarray
    provider_group: np.ndarray
    provider: np.ndarray
    subject: np.ndarray
    std_offer: np.ndarray
    sel: np.ndarray
    group: np.ndarray
    jacs: np.ndarray
    code: np.ndarray
    identifier: np.ndarray

    def __len__(self):
        return len(self.provider)


@dataclass(eq=False)
class Policies:
    """Contextual-offer schemes by provider and cycle.

    table   the lookup_contextual_policy view: one row per provider and application
            cycle (contextual_scheme 0/1, eligibility_cutoff on the MSOA young
            participation rate, grade_reduction_tariff in tariff points)
    """

    table: pd.DataFrame

    def in_cycle(self, provider_anon, cycle):
        """(scheme on, cutoff, reduction) of each provider in `provider_anon` in `cycle`:
        bool, float (0 when off) and int tariff points (0 when off), read from the table."""
        by_key = self.table.set_index(["provider_id_anon", "application_cycle"])
        rows = by_key.loc[[(p, cycle) for p in provider_anon]]
        on = rows["contextual_scheme"].to_numpy() == 1
        cutoff = np.where(on, rows["eligibility_cutoff"].to_numpy(dtype=float), 0.0)
        red = rows["grade_reduction_tariff"].to_numpy(dtype=np.int64, na_value=0)
        return on, cutoff, np.where(on, red, 0)


@dataclass(eq=False)
class Applicants:
    """UCAS applicants (index 0..len-1) and everything random about their journey, drawn
    once so that placement can be re-run under other eligibility.

      person          int: the applicant's person index (pupils.People)
      cycle           int: application cycle (KS4 cohort + 2)
      subject         int: subject group applied for (0..2)
      n_choices       int: main-scheme choices used (1..5)
      choices         (n, 5) int: course of each choice, -1 for an unused slot
      offer_noise     (n, 5) float: what providers see beyond predicted grades (statement,
                      reference), tariff points; rises with ambition
      unconditional   (n, 5) bool: an offer would carry no condition (lower-tariff providers)
      taste           (n, 5) float: Gumbel taste shock for firming an offer
      insurance_noise (n, 5) float: uniform tie-break for the insurance choice
      near_miss       (n, 2) bool: firm and insurance providers confirm a one-grade miss
      clearing        bool: looks for a place in clearing when unplaced
      clearing_pick   float: uniform position among the clearing courses the grades meet
      take_up         bool: enrols when placed
    """

    person: np.ndarray
    cycle: np.ndarray
    subject: np.ndarray
    n_choices: np.ndarray
    choices: np.ndarray
    offer_noise: np.ndarray
    unconditional: np.ndarray
    taste: np.ndarray
    insurance_noise: np.ndarray
    near_miss: np.ndarray
    clearing: np.ndarray
    clearing_pick: np.ndarray
    take_up: np.ndarray

    def __len__(self):
        return len(self.person)


@dataclass(eq=False)
class Placement:
    """What happens to each applicant under given offer reductions (see `place`).

    offer           (n, 5) bool: the choice received an offer
    condition       (n, 5) int: its condition, tariff points (0 when unconditional)
    unconditional   (n, 5) bool: the offer is unconditional
    firm, insurance int: slot (0..4) of the firm and insurance choices (meaningful only
                    with has_offer and has_insurance)
    has_offer, has_insurance  bool
    placed_course   int: course placed at on results day (firm, insurance or clearing), -1
    route           object: acceptance route code "1" firm, "2" insurance, "3" clearing, ""
    enrol_course    int: course enrolled at (placed and taken up), -1 for none
    """

    offer: np.ndarray
    condition: np.ndarray
    unconditional: np.ndarray
    firm: np.ndarray
    insurance: np.ndarray
    has_offer: np.ndarray
    has_insurance: np.ndarray
    placed_course: np.ndarray
    route: np.ndarray
    enrol_course: np.ndarray


def make_courses(*, sizes, rng):
    """Providers (sizes.providers) of falling quality, each with a course per subject group."""
    n_prov = sizes.providers
    quality = np.sort(rng.normal(0, 1, n_prov))[::-1]
    provider_anon = binary16_keys(rng, n_prov)
    rank = np.arange(n_prov)
    provider_group = np.where(rank < n_prov // 3, "H", np.where(rank < 2 * n_prov // 3, "M", "L"))
    rows = []
    for p in range(n_prov):
        for g in range(3):
            s = quality[p] + cfg.COURSE_SELECTIVITY_SD * rng.standard_normal()
            rows.append((p, g, s))
    provider = np.array([r[0] for r in rows])
    subject = np.array([r[1] for r in rows])
    latent = np.array([r[2] for r in rows])
    offer = (cfg.STANDARD_OFFER_MEAN + cfg.STANDARD_OFFER_PER_SD * latent) / GRADE
    std_offer = np.clip(np.round(offer) * GRADE, *cfg.STANDARD_OFFER_RANGE).astype(np.int64)
    jacs = np.array(
        [SUBJECT_JACS[g][rng.integers(0, len(SUBJECT_JACS[g]))] for g in subject], dtype=object
    )
    code = np.array([f"{j}{100 + i:03d}" for i, j in enumerate(jacs)], dtype=object)
    return Courses(
        provider_anon=provider_anon,
        provider_group=provider_group,
        provider=provider,
        subject=subject,
        std_offer=std_offer,
        # the selectivity measure of the truth file: the published standard offer,
        # standardised across courses (unweighted)
        sel=(std_offer - std_offer.mean()) / std_offer.std(),
        group=provider_group[provider],
        jacs=jacs,
        code=code,
        identifier=np.array(
            [provider_anon[p][2:14] + "-" + c for p, c in zip(provider, code)], dtype=object
        ),
    )


def make_policies(courses, areas, cycles, rng):
    """Contextual schemes: staggered adoption by higher- and medium-tariff providers."""
    n_prov = len(courses.provider_anon)
    group = courses.provider_group
    adopt_p = np.where(
        group == "H",
        cfg.SCHEME_ADOPTION["H"],
        np.where(group == "M", cfg.SCHEME_ADOPTION["M"], cfg.SCHEME_ADOPTION["L"]),
    )
    adopts = rng.random(n_prov) < adopt_p
    start = rng.choice(list(cfg.SCHEME_START), size=n_prov, p=list(cfg.SCHEME_START.values()))
    second_cutoff = rng.random(n_prov) < cfg.SCHEME_SECOND_CUTOFF
    cutoff = np.where(second_cutoff, areas.cutoffs[1], areas.cutoffs[0])
    two, one = cfg.SCHEME_REDUCTION
    reduction = np.where(rng.random(n_prov) < cfg.SCHEME_TWO_GRADES, two, one)
    rows = []
    for p in range(n_prov):
        for cy in cycles:
            on = bool(adopts[p] and cy >= start[p])
            rows.append(
                (
                    courses.provider_anon[p],
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
    return Policies(df)


def apply(people, courses, rng):
    """Who applies, where, and the shocks that later decide offers, choices and results."""
    score = (
        cfg.APPLY_INTERCEPT
        + cfg.APPLY_PER_PREDICTED * people.predicted_z
        + cfg.APPLY_PER_AMBITION * people.ambition
        + cfg.APPLY_PER_FAMILY * people.family_resources
        + rng.standard_normal(len(people))
    )
    applies = people.takes_alevels & (score > 0)
    pid = np.flatnonzero(applies)
    n = len(pid)
    subject = rng.choice(3, size=n, p=SUBJECT_SHARE)
    n_choices = rng.choice(N_CHOICES, size=n, p=N_CHOICES_P)
    ambition = people.ambition[pid]
    aim = (
        cfg.AIM_PER_PREDICTED * people.predicted_z[pid]
        + cfg.AIM_PER_AMBITION * ambition
        + cfg.AIM_PER_FAMILY * people.family_resources[pid]
        + cfg.AIM_SD * rng.standard_normal(n)
    )
    target = aim + cfg.TARGET_SD * rng.standard_normal(n)
    latent = (courses.std_offer - cfg.STANDARD_OFFER_MEAN) / cfg.STANDARD_OFFER_PER_SD
    # A portfolio spans aspiration to safety: one slot per offset around the target (in SDs
    # of the course scale), each taking the nearest course not already chosen.
    offsets = np.array(cfg.PORTFOLIO_OFFSETS)
    slot_offset = np.where(n_choices[:, None] == 1, 0.0, offsets[None, :])
    jitter = cfg.PORTFOLIO_JITTER_SD * rng.standard_normal((n, MAX_CHOICES))
    choices = np.full((n, MAX_CHOICES), -1, dtype=np.int64)
    for g in range(3):
        idx = np.flatnonzero(subject == g)
        cg = np.flatnonzero(courses.subject == g)
        taken = np.zeros((len(idx), len(cg)), bool)
        for j in range(MAX_CHOICES):
            dist = np.abs(
                target[idx, None]
                + slot_offset[idx, j, None]
                + jitter[idx, j, None]
                - latent[None, cg]
            )
            dist[taken] = np.inf
            pick = np.argmin(dist, axis=1)
            use = n_choices[idx] > j
            taken[np.arange(len(idx)), pick] |= use
            choices[idx, j] = np.where(use, cg[pick], -1)
    # offer shock (statement and reference: seen by providers, not by researchers)
    seen = cfg.OFFER_PER_AMBITION * ambition[:, None]
    seen = seen + cfg.OFFER_NOISE * rng.standard_normal((n, MAX_CHOICES))
    return Applicants(
        person=pid,
        cycle=people.cohort[pid] + 2,
        subject=subject,
        n_choices=n_choices,
        choices=choices,
        offer_noise=cfg.TARIFF_PER_SD * seen,
        unconditional=rng.random((n, MAX_CHOICES)) < cfg.UNCONDITIONAL_OFFER,
        taste=rng.gumbel(size=(n, MAX_CHOICES)),
        insurance_noise=rng.random((n, MAX_CHOICES)),
        near_miss=rng.random((n, 2)) < cfg.NEAR_MISS_ACCEPT,
        clearing=rng.random(n) < cfg.CLEARING,
        clearing_pick=rng.random(n),
        take_up=rng.random(n) < cfg.TAKE_UP,
    )


def eligibility(home_rate, applicants, courses, policies):
    """(applicants, 5) reduction in tariff points each application gets under the policies,
    for applicants whose home MSOA's young participation rate is `home_rate`."""
    red = np.zeros((len(applicants), MAX_CHOICES), dtype=np.int64)
    for cy in np.unique(applicants.cycle):
        on, cut, r = policies.in_cycle(courses.provider_anon, cy)
        rows = applicants.cycle == cy
        ch = applicants.choices[rows]
        prov = courses.provider[np.maximum(ch, 0)]
        ok = (ch >= 0) & on[prov] & (home_rate[rows, None] < cut[prov])
        red[rows] = np.where(ok, r[prov], 0)
    return red


def home_rate(people, areas, applicants):
    """Young participation rate of each applicant's home MSOA (the running variable)."""
    return areas.msoa_rate[people.home_msoa[applicants.person]]


def place(people, applicants, courses, reduction):
    """Offers, firm/insurance replies and results-day placement for given offer reductions."""
    pid = applicants.person
    n = len(pid)
    rows = np.arange(n)
    valid = applicants.choices >= 0
    course = np.maximum(applicants.choices, 0)
    cond = courses.std_offer[course] - reduction
    uncond = applicants.unconditional & valid & (courses.group[course] == "L")
    predicted = people.tariff_predicted[pid][:, None] + applicants.offer_noise
    offer = valid & ((predicted >= cond - cfg.OFFER_SLACK) | uncond)
    cond = np.where(uncond, 0, cond)
    # firm: the most selective offer plus taste; insurance: the lowest condition among the rest
    # a reduced (contextual) offer is easier to meet, so it is more often firmed
    u = np.where(
        offer,
        cfg.FIRM_PER_SD_SEL * courses.sel[course]
        + cfg.CONTEXTUAL_FIRM_PREF * (reduction > 0)
        + applicants.taste,
        -np.inf,
    )
    firm = np.argmax(u, axis=1)
    has_offer = offer.any(axis=1)
    ins_u = np.where(offer, -cond + applicants.insurance_noise, -np.inf)
    ins_u[rows, firm] = -np.inf
    ins = np.argmax(ins_u, axis=1)
    has_ins = np.isfinite(ins_u.max(axis=1))
    achieved = people.tariff_achieved[pid]
    firm_cond = cond[rows, firm]
    ins_cond = cond[rows, ins]
    near = applicants.near_miss
    meet_firm = has_offer & (
        (achieved >= firm_cond) | ((achieved >= firm_cond - GRADE) & near[:, 0])
    )
    meet_ins = (
        has_ins
        & ~meet_firm
        & ((achieved >= ins_cond) | ((achieved >= ins_cond - GRADE) & near[:, 1]))
    )
    placed_course = np.full(n, -1, dtype=np.int64)
    route = np.full(n, "", dtype=object)
    placed_course[meet_firm] = course[rows, firm][meet_firm]
    route[meet_firm] = "1"
    placed_course[meet_ins] = course[rows, ins][meet_ins]
    route[meet_ins] = "2"
    # clearing: a course in the same subject whose standard offer the grades meet (or miss
    # by one grade)
    go_clear = (placed_course < 0) & applicants.clearing
    for g in range(3):
        cg = np.flatnonzero(courses.subject == g)
        cg = cg[np.argsort(courses.std_offer[cg])]
        idx = np.flatnonzero(go_clear & (applicants.subject == g))
        if len(idx) == 0:
            continue
        n_ok = np.searchsorted(courses.std_offer[cg], achieved[idx] + GRADE, side="right")
        at = np.minimum((applicants.clearing_pick[idx] * n_ok).astype(int), len(cg) - 1)
        pick = np.where(n_ok > 0, cg[at], -1)
        placed_course[idx] = pick
        route[idx] = np.where(pick >= 0, "3", "")
    return Placement(
        offer=offer,
        condition=cond,
        unconditional=uncond,
        firm=firm,
        insurance=ins,
        has_offer=has_offer,
        has_insurance=has_ins,
        placed_course=placed_course,
        route=route,
        enrol_course=np.where((placed_course >= 0) & applicants.take_up, placed_course, -1),
    )


def tables(*, people, applicants, courses, placement, policies, areas, keys, rng):
    """The three UCAS views and the two public lookups."""
    n = len(applicants)
    pid = applicants.person
    cycle = applicants.cycle
    app_id = big_ints(rng, n, 10**7, 10**9)
    uid = big_ints(rng, n, 10**9, 10**11)
    placed = placement.placed_course
    # applicant
    idaci = areas.lsoa_idaci[people.home_lsoa[pid]]
    imd_cut = np.quantile(areas.lsoa_idaci, [0.2, 0.4, 0.6, 0.8])
    imd_q = 5 - np.searchsorted(imd_cut, idaci)
    age = np.where(rng.random(n) < cfg.UCAS_AGE_ZERO, 0, 18)
    route = placement.route
    home_msoa = people.home_msoa[pid]
    applicant = frame(
        "ucas_applicant",
        None,
        {
            "applicant_id": app_id,
            "unique_id_cycle": uid,
            "PupilMatchingRefAnonymous": keys.pmr(pid),
            "application_cycle": cycle,
            "applicant_age": age,
            "applicant_gender_code": np.where(people.female[pid], "F", "M").astype(object),
            "applicant_domicile_code": repeat_text("826", n),
            "applicant_uk_region_code": np.array(list("ABCDEFGHJ"), dtype=object)[
                areas.msoa_region[home_msoa]
            ],
            "applicant_polar4_code": areas.msoa_quintile[home_msoa],
            "applicant_imd_code": imd_q.astype(np.int64),
            "applicant_flag": np.ones(n, dtype=np.int64),
            "accept_flag": (placed >= 0).astype(np.int64),
            "acceptance_route_code": np.where(placed >= 0, route, None).astype(object),
            "acceptance_route": mapped_text(
                route, lambda r: K.UCAS_ACCEPTANCE_ROUTE.get(r) if r else None
            ),
            "accepted_course_identifier": np.where(
                placed >= 0, courses.identifier[np.maximum(placed, 0)], None
            ).astype(object),
        },
    )
    # applications: main-scheme choices plus a clearing row where placed in clearing
    ii, jj = np.nonzero(applicants.choices >= 0)
    course = applicants.choices[ii, jj]
    offer = placement.offer[ii, jj]
    uncond = placement.unconditional[ii, jj]
    dec = np.where(~offer, "R", np.where(uncond, "U", "C")).astype(object)
    resp = np.full(len(ii), None, dtype=object)
    resp[offer] = "D"
    is_firm = offer & (jj == placement.firm[ii])
    is_ins = offer & placement.has_insurance[ii] & (jj == placement.insurance[ii]) & ~is_firm
    resp[is_firm] = "F"
    resp[is_ins] = "I"
    offer_t = np.where(offer & ~uncond, placement.condition[ii, jj], -1)
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
    application = frame_taken(
        "ucas_application",
        None,
        {
            "unique_application_id_cycle": big_ints(rng, m, 10**11, 10**13),
            "unique_id_cycle": a_uid,
            "application_cycle": a_cycle,
            "choice_number": a_choice,
            "course_identifier": courses.identifier[a_course],
            "provider_id_anon": courses.provider_anon[courses.provider[a_course]],
            "entry_year": a_cycle,
            "application_route_code": a_route,
            "main_scheme_application_flag": np.repeat([1, 0], [len(ii), len(cl)]),
            "june30_hep_decision_code": a_dec,
            "provider_decision_june30": mapped_text(a_dec, lambda d: K.UCAS_DECISION[d]),
            "june30_app_response_code": a_resp,
            "app_response_june30": mapped_text(
                a_resp, lambda r: K.UCAS_RESPONSE.get(r) if r else None
            ),
            "offer_tariff": int_or_null(a_offer, a_offer < 0),
            "he_provider_tariff_group": courses.group[a_course].astype(object),
            "subject_group_name": np.array(SUBJECT_GROUPS, dtype=object)[courses.subject[a_course]],
        },
        order,
    )
    # qualifications: three A levels, predicted (Pending) at application
    grades = tariff_to_grades(people.tariff_predicted[pid])
    subj = A_LEVEL_SUBJECTS
    q_uid = np.repeat(uid, 3)
    qual = frame_taken(
        "ucas_qualification",
        None,
        {
            "unique_id_cycle": q_uid,
            "qualification_description": repeat_text("GCE Advanced Level", 3 * n),
            "subject_title": subj[np.argsort(rng.random((n, len(subj))), axis=1)[:, :3].ravel()],
            "grade": grades.ravel(),
            "qualification_status": repeat_text("Pending", 3 * n),
            "qualification_year": np.repeat(cycle, 3),
        },
        np.argsort(q_uid, kind="stable"),  # an applicant's three rows keep their order
    )
    course_lookup = frame(
        "lookup_ucas_course",
        None,
        {
            "course_identifier": courses.identifier,
            "provider_id_anon": courses.provider_anon[courses.provider],
            "jacs_area": courses.jacs,
            "he_provider_tariff_group": courses.group.astype(object),
            "standard_offer_tariff": courses.std_offer,
            "standard_offer_grades": np.array(
                ["".join(g) for g in tariff_to_grades(courses.std_offer)], dtype=object
            ),
        },
    )
    return {
        "ucas_applicant": applicant.sort_values("unique_id_cycle").reset_index(drop=True),
        "ucas_application": application,
        "ucas_qualification": qual,
        "lookup_ucas_course": course_lookup,
        "lookup_contextual_policy": frame(
            "lookup_contextual_policy", None, policies.table.to_dict("series")
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


def make(*, people, courses, areas, rng):
    """Policies, applicants (with their shocks) and where they are placed and enrol."""
    cycles = tuple(range(int(people.cohort.min()) + 2, int(people.cohort.max()) + 3))
    policies = make_policies(courses, areas, cycles, rng)
    applicants = apply(people, courses, rng)
    reduction = eligibility(home_rate(people, areas, applicants), applicants, courses, policies)
    placement = place(people, applicants, courses, reduction)
    return policies, applicants, placement
