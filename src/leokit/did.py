"""Staggered difference in differences: Callaway & Sant'Anna (2021) group-time effects.

With staggered adoption (providers start a scheme in different years) the two-way fixed
effects regression compares later adopters with earlier ones and can weight effects
negatively (Goodman-Bacon 2021; de Chaisemartin & D'Haultfoeuille 2020). Callaway and
Sant'Anna instead estimate one clean 2x2 comparison per adoption cohort g and period t,

    ATT(g, t) = [mean_g Y_t - mean_g Y_b] - [mean_C Y_t - mean_C Y_b],

with C the never-treated units (or the not-yet-treated), b the last period before g (and, for
placebo periods t < g, the period before t: the "varying" base), then average them by event
time e = t - g with weights proportional to cohort size.

This is the unconditional estimator (no covariates) on a balanced panel of unit-level values,
for example provider x cycle means. Every ATT is a difference of means across units, so its
influence function is known exactly; standard errors come from it, with the small-sample
factor n/(n-1) within each group (Welch), and the uniform band over event times from a
multiplier (wild) bootstrap over units (Webb weights), as in Callaway and Sant'Anna. Cohort
weights are treated as fixed. Inference rests on the number of units: with a handful of
treated units per cohort, treat the intervals as rough.
"""

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["att_gt", "event_study"]


class GroupTime:
    """Group-time ATTs: ``table`` (one row per cohort x period) and ``influence`` (units x rows),
    so that every linear combination w of the rows has variance w' (influence' influence) w."""

    def __init__(self, table, influence, units, dropped):
        self.table = table
        self.influence = influence
        self.units = units
        self.dropped = dropped

    def __repr__(self):
        return f"<GroupTime: {len(self.table)} group-time effects, {len(self.units)} units>"


def _never(cohort):
    c = pd.to_numeric(cohort, errors="coerce")
    return c.isna() | (c <= 0) | np.isinf(c)


def att_gt(data, outcome, unit, time, cohort, control="never", base="varying"):
    """Callaway-Sant'Anna ATT(g, t) for every adoption cohort g and period t after the first.

    data     one row per unit and period
    cohort   the first period in which the unit is treated; 0, NaN or inf for never treated
    control  'never' (never-treated units) or 'notyet' (also units not yet treated by t)
    base     'varying' (placebo periods compare t with t-1) or 'universal' (every period
             compared with g-1, so event time -1 is 0 by construction and left out)

    Units with a missing outcome in any period are dropped (listed in ``.dropped``): the
    estimator needs a balanced panel. Cohorts treated from the first period have no
    pre-period and are left out.
    """
    if control not in ("never", "notyet"):
        raise ValueError(f"control={control!r}: use 'never' or 'notyet'")
    if base not in ("varying", "universal"):
        raise ValueError(f"base={base!r}: use 'varying' or 'universal'")
    missing = [c for c in (outcome, unit, time, cohort) if c not in data.columns]
    if missing:
        raise ValueError(f"data has no column(s) {missing}")
    if data.duplicated([unit, time]).any():
        raise ValueError(f"data has more than one row for some ({unit}, {time}) pairs")
    if data.groupby(unit)[cohort].nunique(dropna=False).gt(1).any():
        raise ValueError(f"{cohort} must be constant within each {unit}")
    wide = data.pivot(index=unit, columns=time, values=outcome)
    incomplete = wide.isna().any(axis=1)
    dropped = list(wide.index[incomplete])
    wide = wide[~incomplete]
    times = list(wide.columns)
    coh = data.drop_duplicates(unit).set_index(unit)[cohort].reindex(wide.index)
    never = _never(coh).to_numpy()
    g_of = np.where(never, np.inf, pd.to_numeric(coh, errors="coerce").to_numpy(float))
    if never.sum() == 0 and control == "never":
        raise ValueError("no never-treated units: use control='notyet'")
    position = {t: i for i, t in enumerate(times)}
    cohorts = sorted(g for g in set(g_of[~never]) if g in position and position[g] > 0)
    Y = wide.to_numpy(float)
    n_units = len(wide)
    rows, psi = [], []
    for g in cohorts:
        pg = position[g]
        treated = g_of == g
        for pt in range(1, len(times)):
            pb = pg - 1 if (pt >= pg or base == "universal") else pt - 1
            if pt == pb:
                continue
            later = max(pt, pb)
            ctrl = never.copy() if control == "never" else (g_of > times[later]) & ~treated
            n1, n0 = int(treated.sum()), int(ctrl.sum())
            if n1 == 0 or n0 == 0:
                continue
            d = Y[:, pt] - Y[:, pb]
            m1, m0 = d[treated].mean(), d[ctrl].mean()
            p = np.zeros(n_units)
            # Welch: each group's variance with n - 1, so sum(p^2) = s1^2/n1 + s0^2/n0
            p[treated] = (d[treated] - m1) / np.sqrt(n1 * max(n1 - 1, 1))
            p[ctrl] = -(d[ctrl] - m0) / np.sqrt(n0 * max(n0 - 1, 1))
            rows.append(
                {
                    "cohort": times[pg],
                    "time": times[pt],
                    "base": times[pb],
                    "event": pt - pg,
                    "att": m1 - m0,
                    "se": float(np.sqrt(np.sum(p**2))),
                    "n_treated": n1,
                    "n_control": n0,
                }
            )
            psi.append(p)
    if not rows:
        raise ValueError("no group-time effect can be estimated (no cohort with a pre-period)")
    table = pd.DataFrame(rows)
    return GroupTime(table, np.column_stack(psi), list(wide.index), dropped)


def _webb(shape, rng):
    r = np.sqrt([0.5, 1.0, 1.5])
    return rng.choice(np.concatenate([-r, r]), size=shape)


def event_study(gt, reps=999, seed=None, level=0.95, max_event=None, min_event=None):
    """Average the ATT(g, t) of ``gt`` (from ``att_gt``) by event time, weighting cohorts by
    their number of treated units; and the average over event times 0, 1, ... (the post-period
    summary).

    Returns (events, overall): ``events`` a DataFrame with event, estimate, se, ci_low, ci_high
    (pointwise, t with as many degrees of freedom as treated units minus one), band_low,
    band_high (uniform over the event times shown, from ``reps`` multiplier-bootstrap draws
    with Webb weights over units), n_cohorts, n_treated; ``overall`` a dict with the same
    numbers for the post-period average.
    """
    tab = gt.table
    keep = np.ones(len(tab), bool)
    if max_event is not None:
        keep &= tab.event.to_numpy() <= max_event
    if min_event is not None:
        keep &= tab.event.to_numpy() >= min_event
    events = sorted(tab.event[keep].unique())
    W = np.zeros((len(tab), len(events)))
    info = []
    for k, e in enumerate(events):
        rows = np.flatnonzero(keep & (tab.event.to_numpy() == e))
        size = tab.n_treated.to_numpy(float)[rows]
        W[rows, k] = size / size.sum()
        info.append((len(rows), int(size.sum())))
    post = [k for k, e in enumerate(events) if e >= 0]
    est = tab.att.to_numpy() @ W
    psi = gt.influence @ W  # units x events
    se = np.sqrt((psi**2).sum(axis=0))
    rng = np.random.default_rng(seed)
    xi = _webb((reps, psi.shape[0]), rng)
    draws = xi @ psi  # reps x events
    with np.errstate(divide="ignore", invalid="ignore"):
        sup = np.nanmax(np.abs(draws) / np.where(se > 0, se, np.nan), axis=1)
    crit_band = float(np.quantile(sup, level))
    q = np.array([stats.t.ppf(0.5 + level / 2, max(n - 1, 1)) for _, n in info])
    events_df = pd.DataFrame(
        {
            "event": events,
            "estimate": est,
            "se": se,
            "ci_low": est - q * se,
            "ci_high": est + q * se,
            "band_low": est - crit_band * se,
            "band_high": est + crit_band * se,
            "n_cohorts": [c for c, _ in info],
            "n_treated": [n for _, n in info],
        }
    )
    overall = None
    if post:
        w = np.zeros(len(events))
        w[post] = 1 / len(post)
        b = float(est @ w)
        p = psi @ w
        s = float(np.sqrt(np.sum(p**2)))
        n_treated = info[post[0]][1]  # every cohort is seen at its first post event
        qq = stats.t.ppf(0.5 + level / 2, max(n_treated - 1, 1))
        boot = xi @ p
        crit = float(np.quantile(np.abs(boot) / s, level)) if s > 0 else float("nan")
        overall = {
            "estimate": b,
            "se": s,
            "ci": (b - qq * s, b + qq * s),
            "ci_bootstrap": (b - crit * s, b + crit * s),
            "events": [int(events[k]) for k in post],
            "n_treated": n_treated,
            "n_units": len(gt.units),
        }
    return events_df, overall
