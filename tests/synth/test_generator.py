"""The generator's code: byte identity beyond the default extract, the pay equation as
documented, and the conventions that keep `leokit.synth` readable.

Byte identity: the default extract is checked against data_synthetic/ by test_synth.py;
here a second scale and seed is checked against checksums recorded in
tests/synth/data/second_world.json, and the extract must not depend on the block sizes the
labour stage uses to bound its memory. After an intended change of behaviour, regenerate
data_synthetic/ and the recorded checksums together:

    python tests/synth/test_generator.py --record
"""

import ast
import dataclasses
import importlib
import json
import pkgutil
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import leokit.synth as synth_pkg
from leokit.extract import content_sha256
from leokit.schema import REGISTRY

SYNTH = Path(synth_pkg.__file__).resolve().parent
RECORDED = Path(__file__).resolve().parent / "data" / "second_world.json"
SECOND = {"scale": 0.003, "seed": 7}  # small and fast, and not the default seed


def _fingerprint(world):
    """Content checksum of every view (as the manifest has them) and the truth, as JSON."""
    sums = {}
    for name, df in world.tables.items():
        view = REGISTRY.view(name)
        sums[name] = content_sha256(df, view, REGISTRY.year_of(name) if view.per_year else None)
    return {"tables": sums, "truth": json.loads(json.dumps(world.truth))}


def _second_world():
    from leokit.synth import generate

    return generate(scale=SECOND["scale"], seed=SECOND["seed"])


def test_second_scale_and_seed_give_the_recorded_bytes():
    recorded = json.loads(RECORDED.read_text())
    assert recorded["parameters"] == SECOND
    got = _fingerprint(_second_world())
    assert set(got["tables"]) == set(recorded["tables"])
    changed = [n for n in recorded["tables"] if got["tables"][n] != recorded["tables"][n]]
    assert not changed, f"views whose bytes changed: {changed}"
    assert got["truth"] == recorded["truth"]


def test_block_sizes_change_nothing(monkeypatch):
    """The labour stage and the keys work a block of rows at a time (memory at national
    scale); with blocks of a few hundred rows every view and the truth must be the same."""
    from leokit.synth import links
    from leokit.synth.labour import rows

    want = _fingerprint(_second_world())
    monkeypatch.setattr(rows, "BLOCK", 997)
    monkeypatch.setattr(rows, "UNIFORM_ROWS", 331)
    monkeypatch.setattr(links, "KEY_BLOCK", 613)
    assert _fingerprint(_second_world()) == want


# ------------------------------------------------------------------------- the pay equation
@pytest.fixture(scope="module")
def labour_inputs():
    """The labour stage's inputs for a small world, built by the stage functions."""
    from leokit.synth import areas as areas_stage
    from leokit.synth import hesa, pupils, ucas
    from leokit.synth import schools as schools_stage
    from leokit.synth.config import Sizes
    from leokit.synth.labour import careers, exposure, firms
    from leokit.synth.links import Keys

    sizes = Sizes(0.002)
    rng = np.random.default_rng(11)
    areas = areas_stage.make(sizes=sizes, rng=rng)
    schools = schools_stage.make(sizes=sizes, areas=areas, rng=rng)
    people = pupils.make(sizes=sizes, areas=areas, schools=schools, rng=rng)
    keys = Keys(len(people), rng)
    courses = ucas.make_courses(sizes=sizes, rng=rng)
    _, applicants, placement = ucas.make(people=people, courses=courses, areas=areas, rng=rng)
    he, _ = hesa.make(people=people, courses=courses, applicants=applicants,
                      placement=placement, keys=keys, rng=rng)  # fmt: skip
    the_firms = firms.make_firms(sizes, areas, rng)
    home = careers.residence(people, areas, rng)
    status = careers.education_status(people, he)
    jobs_by_year, employers = careers.employment(people=people, he=he, status=status,
                                                 firms=the_firms, home=home, areas=areas,
                                                 rng=rng)  # fmt: skip
    jobs = exposure.job_years(jobs_by_year, employers, keys, rng)
    exp, _ = exposure.measure_exposure(jobs=jobs, he=he, status=status, home=home, keys=keys,
                                       rng=rng, n_firms=len(the_firms),
                                       n_msoa=len(areas.msoa_rate))  # fmt: skip
    return dict(
        people=people, he=he, firms=the_firms, areas=areas, jobs=jobs, exposure=exp,
        status=status, rng=rng,
    )  # fmt: skip


def test_log_pay_is_the_documented_equation(labour_inputs, monkeypatch):
    """pay.log_pay against the equation of pay.py's docstring, computed here on whole arrays
    (blocks of 500 rows there: the random terms drawn a block at a time must be the draws of
    one call for all rows, transitory terms first)."""
    from leokit.synth import config as cfg
    from leokit.synth.labour import pay, rows
    from leokit.synth.labour.taxyears import YEAR_START, YEARS

    d = labour_inputs
    people, he, firms, areas, jobs, exp = (d[k] for k in ("people", "he", "firms", "areas",
                                                          "jobs", "exposure"))  # fmt: skip
    n = len(jobs)
    assert n > 2000 and 0 < exp.degree.mean() < 1
    state = d["rng"].bit_generator.state
    monkeypatch.setattr(rows, "BLOCK", 500)
    got = pay.log_pay(people=people, he=he, firms=firms, areas=areas, jobs=jobs, exposure=exp,
                      status=d["status"], rng=d["rng"])  # fmt: skip

    replay = np.random.default_rng()
    replay.bit_generator.state = state
    e_it = replay.normal(0, cfg.SD_TRANSITORY, n)
    student_noise = replay.normal(0, cfg.STUDENT_PAY_SD, n)
    i, ti, j = jobs.person, jobs.year, jobs.employer
    t = YEARS[ti]
    age = t - people.birth_year[i]
    x = np.maximum(age - 18, 0)
    he_it = (he.entered[i] & (he.end[i] < YEAR_START[ti])).astype(float)
    S = np.nan_to_num(exp.coworker_share)
    N = np.nan_to_num(exp.neighbour_share)
    g = exp.degree.astype(float)
    person = (cfg.EARN_ABILITY * people.ability + cfg.EARN_AMBITION * people.ambition
              + cfg.EARN_FAMILY * people.family_resources
              + cfg.SD_PERSON * people.pay_potential)[i]  # fmt: skip
    want = (
        cfg.LOG_PAY_2010 + cfg.PAY_GROWTH * (t - 2010)
        + cfg.PAY_PER_EXPERIENCE_YEAR * x + cfg.PAY_PER_EXPERIENCE_YEAR_SQ * x**2
        + cfg.BETA_HE * he_it + cfg.BETA_SEL * he.selectivity[i] * he_it
        + person
        + firms.psi[j] + firms.eta[j, ti] + areas.msoa_pay[exp.msoa]
        + cfg.THETA_COWORKER * S + cfg.KAPPA_DEGREE_X_SHARE * g * (S - 0.5)
        + cfg.LAMBDA_NEIGHBOUR * N
        + e_it
    )  # fmt: skip
    student = (cfg.STUDENT_LOG_PAY_AT_16 + cfg.STUDENT_PAY_PER_YEAR_OF_AGE * (age - 16)
               + student_noise)  # fmt: skip
    in_labour = d["status"].labour[i, ti]
    assert 0.5 < in_labour.mean() < 1
    want = np.where(in_labour, want, student)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_pay_docstring_names_every_parameter_the_code_reads():
    from leokit.synth.labour import pay

    source = Path(pay.__file__).read_text()
    body = source[source.index("def log_pay") :].split("\ndef ")[0]
    used = set(re.findall(r"cfg\.([A-Z_0-9]+)", body))
    assert {"BETA_HE", "THETA_COWORKER", "SD_TRANSITORY"} <= used
    missing = sorted(u for u in used if u not in pay.__doc__)
    assert not missing, f"log_pay reads {missing}, which pay.py's docstring does not show"


# ------------------------------------------------------------------------- conventions
def _synth_modules():
    names = [synth_pkg.__name__]
    for info in pkgutil.walk_packages(synth_pkg.__path__, synth_pkg.__name__ + "."):
        names.append(info.name)
    return [importlib.import_module(n) for n in names]


def test_stage_state_is_documented_dataclasses():
    """Every dataclass of the generator has spelled-out fields, each described in its
    docstring (a newcomer reads what `people.ambition` is without reading the code)."""
    found = []
    for mod in _synth_modules():
        for obj in vars(mod).values():
            if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
                continue
            if obj.__module__ != mod.__name__:
                continue
            found.append(obj.__name__)
            doc = obj.__doc__ or ""
            for f in dataclasses.fields(obj):
                assert len(f.name) > 1, f"{obj.__name__}.{f.name}: spell the name out"
                assert re.search(rf"\b{f.name}\b", doc), f"{obj.__name__}.{f.name} undocumented"
    expected = {"Areas", "Schools", "People", "Courses", "Policies", "Applicants", "Placement",
                "HE", "Firms", "Residence", "Status", "Careers", "Employers", "JobYears",
                "Exposure", "ResidentYears"}  # fmt: skip
    assert expected <= set(found), expected - set(found)


def _python_files():
    return sorted(SYNTH.rglob("*.py"))


def test_no_private_names_cross_synth_modules():
    """Shared helpers are public (synth/frames.py and the like), imported by name."""
    bad = []
    for path in _python_files():
        tree = ast.parse(path.read_text())
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 1:
                for alias in node.names:
                    if alias.name.startswith("_"):
                        bad.append(f"{path.name}: from {node.module} import {alias.name}")
                    if node.module is None:  # from . import stage
                        modules.add(alias.asname or alias.name)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
            ):
                bad.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not bad, bad


# Float literals a stage module may hold: identities, and these structural numbers.
STRUCTURAL_FLOATS = {
    0.0: "zero",
    1.0: "one",
    ("labour/firms.py", 0.5): "the placement scheme recruits among the bigger half of firms",
    ("labour/pay.py", 0.5): "the centring of the degree x share term",
    ("labour/careers.py", 0.001): "quantiles kept inside (0, 1)",
    ("labour/careers.py", 0.999): "quantiles kept inside (0, 1)",
    ("ucas.py", 0.2): "IMD quintile boundaries",
    ("ucas.py", 0.4): "IMD quintile boundaries",
    ("ucas.py", 0.6): "IMD quintile boundaries",
    ("ucas.py", 0.8): "IMD quintile boundaries",
    ("ids.py", 1.05): "5% spare draws to cover repeated random ids",
}
# config holds the numbers; truth defines estimands; world draws nothing
NOT_STAGES = {"config.py", "truth.py", "world.py"}


def test_behaviour_numbers_live_in_config():
    """Probabilities, coefficients and noise scales are named in config.py, not inlined in
    a stage (fractional literals are the tell; integers there are calendars and codes)."""
    found = []
    for path in _python_files():
        rel = path.relative_to(SYNTH).as_posix()
        if rel in NOT_STAGES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                if node.value in STRUCTURAL_FLOATS or (rel, node.value) in STRUCTURAL_FLOATS:
                    continue
                found.append(f"{rel}:{node.lineno}: {node.value}")
    assert not found, found


def _record():
    world = _second_world()
    RECORDED.parent.mkdir(exist_ok=True)
    out = {"parameters": SECOND, **_fingerprint(world)}
    RECORDED.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {RECORDED}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--record"]:
        _record()
    else:
        sys.exit("usage: python tests/synth/test_generator.py --record")
