"""Stage: the planted truth. Structural parameters plus the estimands they imply.

    planted = build(people=people, courses=courses, policies=policies,
                    applicants=applicants, areas=areas, person_years=counts)
    json.dumps(planted)              # what data_synthetic/truth.json holds

For the contextual-offer design the estimands depend on who complies, so they are computed
from potential outcomes: every applicant's placement is re-run with eligibility switched on
and off at the cutoff (same shocks), and expected outcomes are averaged over applicants whose
home area is close to the cutoff.
"""

import numpy as np

from . import config as cfg
from . import hesa as hesa_mod
from . import ucas as ucas_mod

CUTOFF_WINDOW = 0.03  # applicants within this distance of the cutoff stand for "at the cutoff"
# (the estimands barely move with it: latent traits change smoothly with the participation rate)


def _expected(people, applicants, courses, placement, scheme_provider):
    """Expected outcomes of each applicant given where they enrol (no outcome noise)."""
    pid = applicants.person
    course = placement.enrol_course
    he = course >= 0
    c = np.maximum(course, 0)
    higher = (courses.group[c] == "H") & he
    at_scheme = he & scheme_provider[np.arange(len(pid)), courses.provider[c]]
    ability, family = people.ability[pid], people.family_resources[pid]
    ambition = people.ambition[pid]
    sel = courses.sel[c]
    p1 = hesa_mod.p_dropout_y1(ability, family, sel)
    p2 = hesa_mod.p_dropout_y2(ability)
    good = hesa_mod.p_good_given_complete(ability, family, ambition, sel)
    return {
        "enrol_scheme_provider": at_scheme.astype(float),
        "enrol_higher_tariff": higher.astype(float),
        "enrol_any": he.astype(float),
        "dropout_year1": he * p1,
        "continue_year2": he * (1 - p1),
        "good_degree": he * (1 - p1) * (1 - p2) * good,
        "log_earnings": cfg.BETA_HE * he + cfg.BETA_SEL * courses.sel[c] * he,
    }


def scheme_providers(applicants, courses, policies, cut):
    """(applicants x providers): the provider runs a scheme with this cutoff in the applicant's cycle."""
    table = policies.table
    pol = table[
        (table.contextual_scheme == 1) & np.isclose(table.eligibility_cutoff.astype(float), cut)
    ]
    index = {p: j for j, p in enumerate(courses.provider_anon)}
    out = np.zeros((len(applicants), len(courses.provider_anon)), bool)
    for prov, cy in zip(pol.provider_id_anon, pol.application_cycle):
        out[applicants.cycle == cy, index[prov]] = True
    return out


def contextual(people, applicants, courses, policies, areas):
    """Complier averages at each cutoff. Treatment: enrolling at a provider whose scheme uses
    the cutoff (lookup_contextual_policy), the only thing eligibility can change directly."""
    out = {}
    rate = ucas_mod.home_rate(people, areas, applicants)
    cycle = applicants.cycle
    for label, cut in zip(("cutoff_q1", "cutoff_q2"), areas.cutoffs):
        at = scheme_providers(applicants, courses, policies, cut)
        worlds = {}
        for side, shift in (("below", -1e-5), ("above", 1e-5)):
            # every applicant placed just beside the cutoff, all else (shocks) the same
            beside = np.full(len(applicants), cut + shift)
            red = ucas_mod.eligibility(beside, applicants, courses, policies)
            placement = ucas_mod.place(people, applicants, courses, red)
            worlds[side] = (red, _expected(people, applicants, courses, placement, at))
        near = np.abs(rate - cut) < CUTOFF_WINDOW
        era = cycle >= 2010
        red_b = worlds["below"][0]
        red_a = worlds["above"][0]
        # marginal grades: predicted tariff between the contextual and the standard offer at a
        # course whose offer the cutoff changes
        choices = applicants.choices
        course = np.maximum(choices, 0)
        std = courses.std_offer[course]
        changed = (choices >= 0) & (red_b != red_a)
        tp = people.tariff_predicted[applicants.person][:, None]
        marginal = (changed & (tp >= std - (red_b - red_a)) & (tp < std)).any(axis=1)
        rows = np.arange(len(applicants))[:, None]
        applied = ((choices >= 0) & at[rows, courses.provider[course]]).any(axis=1)
        res = {"cutoff_value": round(float(cut), 4)}
        samples = (
            ("all_applicants", near & era),
            ("scheme_applicants", near & era & applied),
            ("marginal_grade", near & era & marginal),
            ("pre_policy_cycles", near & ~era),
        )
        for sample, mask in samples:
            eb, ea = worlds["below"][1], worlds["above"][1]
            dD = eb["enrol_scheme_provider"][mask] - ea["enrol_scheme_provider"][mask]
            fs = float(dD.mean()) if mask.any() else float("nan")
            row = {"n_near_cutoff": int(mask.sum()), "first_stage": round(fs, 4)}
            for k in eb:
                itt = float((eb[k][mask] - ea[k][mask]).mean())
                row[k] = {"itt": round(itt, 5), "late": round(itt / fs, 5) if fs > 0.01 else None}
            res[sample] = row
        out[label] = res
    return out


def build(*, people, courses, policies, applicants, areas, person_years):
    """The truth dictionary; person_years: labour.make's counts of person-years in the
    labour market."""
    return {
        "about": "Planted effects of the synthetic LEO extract. Structural parameters enter the "
        "generator as written; estimands that depend on compliers are computed from "
        "potential outcomes. Outcomes are log full-year pay unless stated.",
        "returns_to_he": {
            "he_return": cfg.BETA_HE,
            "selectivity_return_per_sd": cfg.BETA_SEL,
            "how": "ln pay += BETA_HE*HE + BETA_SEL*sel*HE for person-years after leaving HE. HE = entered a "
            "first degree (HESA instance); sel = the entered course's standard_offer_tariff "
            "(lookup_ucas_course) standardised across courses (unweighted mean 0, SD 1). No fade-out "
            "and no forgone experience: the effects are the same at every age. So the effect of "
            "entering HE is he_return + selectivity_return_per_sd * sel of the course entered: "
            "what an estimator of the return to HE targets is its average over the entrants it "
            "compares (e.g. offer-holders in application sets of two or more), not he_return "
            "alone; the return per SD of course selectivity is the same for everyone. A "
            "provider-average selectivity measure has no planted coefficient.",
            "confounders": "ability, ambition and family resources raise pay "
            f"({cfg.EARN_ABILITY:.2f}, {cfg.EARN_AMBITION:.2f}, {cfg.EARN_FAMILY:.2f} per SD); "
            "ambition also shapes applications and offers (unseen personal statement), so "
            "naive OLS of pay on the selectivity of the course entered is biased up; within an "
            "application-and-offer set the choice among offers is a taste shock independent "
            "of ambition. A naive comparison of entrants with all other applicants has no "
            "fixed sign of bias: it also compares entrants with applicants who had no offer, "
            "and came out below the planted effect on the extracts tried.",
            "take_up": f"placed applicants enrol with probability {cfg.TAKE_UP} at random",
        },
        "contextual_offers": {
            "dropout_year1_per_sd_selectivity": cfg.DROPOUT_PER_SD_SEL,
            "good_degree_logit_per_sd_selectivity": cfg.GOOD_DEGREE_LOGIT_PER_SD_SEL,
            "treatment": "enrolment (a HESA first-degree instance) at a provider whose contextual scheme "
            "uses this cutoff in the applicant's cycle (lookup_contextual_policy)",
            "samples": "all_applicants: UCAS applicants in cycles with schemes (2010+); scheme_applicants: "
            "those who applied to at least one such provider; marginal_grade: predicted tariff "
            "(ucas_qualification) at or above the reduced offer and below the standard offer of "
            "such a course they applied to; pre_policy_cycles: 2008-2009, where every jump is 0.",
            "running_variable": "young_participation_rate of the applicant's home MSOA (lookup_area, via the "
            "KS4-year census LSOA) minus the cutoff",
            "outcomes": "enrol_any: any HE entry; dropout_year1: entered and left in year 1 (0 if never "
            "entered); continue_year2; good_degree: first or 2:1 (0 otherwise); log_earnings: "
            "structural shift in log pay. All coded for every applicant.",
            "estimands": contextual(people, applicants, courses, policies, areas),
        },
        "spillovers": {
            "coworker_theta": cfg.THETA_COWORKER,
            "degree_x_share_kappa": cfg.KAPPA_DEGREE_X_SHARE,
            "neighbour_lambda": cfg.LAMBDA_NEIGHBOUR,
            "how": "ln pay += THETA*S + KAPPA*g*(S - 0.5) + LAMBDA*N for person-years out of education. "
            "S: leave-one-out share of first-degree holders among co-workers with the same "
            "main_enterprise and TaxYear in leo_earnings, counting only rows whose Edukey links through "
            "learner_ae_id_to_edukey_lookup and learner_ae_id_to_pmr_lookup to education records. "
            "Degree holder in tax year t: a HESA instance with HE_XQOBTN01 in (H00, H11, H16, J00, M22) "
            "and HE_ENDDATE before 6 April of t. N: the same share among linked residents of the "
            "same MSOA (leo_geography COA_2011 -> lookup_area MSOA11CD) in t. A model with g as a "
            "regressor recovers KAPPA on g*S exactly (the centring only moves the g coefficient).",
            "confounders": "workers sort into high-pay firms and areas on ability; a firm-year demand shock "
            f"(AR(1), rho {cfg.ETA_RHO:g}, sd {cfg.ETA_SD:g}) raises pay and pulls graduates in; the "
            "placement scheme in lookup_placement_scheme places "
            f"{cfg.PLACED_SHARE:.0%} of degree holders who change or "
            "start jobs at random scheme firms (instrument).",
            "share_of_graduate_person_years": round(
                person_years["degree_holders_in_labour_market"]
                / max(person_years["labour_market"], 1),
                4,
            ),
        },
    }
