"""Orchestrates the stages of the synthetic England and returns the extract and its truth.

    world = generate(scale=0.017, seed=20261128)
    world.tables["leo_earnings"], world.truth

Each stage has its own random stream (spawned from the seed in the order of STAGES), so a
stage's draws do not depend on how many another stage made; within a stage the order of
draws is part of the output: reordering them changes the bytes of the extract.
"""

import time
from collections import OrderedDict

import numpy as np

from ..schema import REGISTRY
from . import areas as areas_stage
from . import hesa, labour, npd, pupils, truth, ucas
from . import schools as schools_stage
from .config import Sizes
from .frames import frame
from .links import Keys

DEFAULT_SCALE = 0.017
DEFAULT_SEED = 20261128
GENERATOR_VERSION = "0.1.0"
STAGES = ("areas", "schools", "pupils", "keys", "npd", "ucas", "hesa", "labour", "truth")


class World:
    """Result of `generate`: tables keyed by concrete SRS view name, plus the truth."""

    def __init__(self, tables, truth, params):
        self.tables = OrderedDict(tables)
        self.truth = truth
        self.params = params


def _trim():
    """Hand memory freed by a stage back to the system (glibc malloc_trim; elsewhere a no-op),
    so that the peak of the whole run stays near what is live."""
    try:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("c")
        if name:
            ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _progress(enabled):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=len(STAGES), desc="synth", unit="stage")


def generate(scale=DEFAULT_SCALE, seed=DEFAULT_SEED, progress=False, on_stage=None, sink=None):
    """The synthetic world for `scale` (1 = a national cohort) and `seed`.

    on_stage  optional callable(stage name, wall seconds) called as each stage of STAGES
              finishes (tools/bench_synth.py uses it); it never changes what is generated.
    sink      optional callable(view name, frame) given each table as soon as its stage has
              made it, instead of keeping it in the world (whose `tables` is then empty): a
              writer that writes tables as they come need not hold the whole extract, which
              at national scale is more than the generator's own working memory. Its frames
              hold the same values in compact columns (person keys and the text of the two
              biggest views as Categoricals, narrow integers), which is what a writer needs.
    """
    sizes = Sizes(scale)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    streams = np.random.SeedSequence(int(seed)).spawn(len(STAGES))
    rngs = {name: np.random.default_rng(s) for name, s in zip(STAGES, streams)}
    bar = _progress(progress)
    clock = [time.perf_counter()]

    def step(name):
        _trim()
        if bar is not None:
            bar.set_postfix_str(name)
            bar.update(1)
        if on_stage is not None:
            now = time.perf_counter()
            on_stage(name, now - clock[0])
            clock[0] = time.perf_counter()

    areas = areas_stage.make(sizes=sizes, rng=rngs["areas"])
    step("areas")
    schools = schools_stage.make(sizes=sizes, areas=areas, rng=rngs["schools"])
    step("schools")
    people = pupils.make(sizes=sizes, areas=areas, schools=schools, rng=rngs["pupils"])
    step("pupils")
    compact = sink is not None
    keys = Keys(len(people), rngs["keys"], compact)
    step("keys")
    tables = OrderedDict()

    def emit(made):
        """Keep the tables a stage made, or hand them to the sink one by one, letting each
        go before the next (the sink keeps what it needs)."""
        for name in list(made):
            df = made.pop(name)
            if sink is None:
                tables[name] = df
            else:
                sink(name, df)
            del df

    emit({"learner_ae_id_to_pmr_lookup": keys.pmr_lookup()})
    emit({"learner_ae_id_to_edukey_lookup": keys.edukey_lookup()})
    emit(npd.make(people=people, areas=areas, schools=schools, keys=keys, rng=rngs["npd"]))
    step("npd")
    rng = rngs["ucas"]
    courses = ucas.make_courses(sizes=sizes, rng=rng)
    policies, applicants, placement = ucas.make(
        people=people, courses=courses, areas=areas, rng=rng
    )
    emit(
        ucas.tables(
            people=people,
            applicants=applicants,
            courses=courses,
            placement=placement,
            policies=policies,
            areas=areas,
            keys=keys,
            rng=rng,
        )
    )
    step("ucas")
    he, hesa_tables = hesa.make(
        people=people,
        courses=courses,
        applicants=applicants,
        placement=placement,
        keys=keys,
        rng=rngs["hesa"],
    )
    emit(hesa_tables)
    del hesa_tables, placement  # (memory: nothing later reads them)
    keys.forget_pmrs()
    step("hesa")
    person_years = labour.make(
        people=people,
        he=he,
        areas=areas,
        keys=keys,
        sizes=sizes,
        rng=rngs["labour"],
        emit=emit,
        compact=compact,
    )
    del he, keys
    emit({"lookup_area": area_lookup(areas)})
    step("labour")
    planted = truth.build(
        people=people,
        courses=courses,
        policies=policies,
        applicants=applicants,
        areas=areas,
        person_years=person_years,
    )
    step("truth")
    if bar is not None:
        bar.close()
    ordered = OrderedDict()
    for name in REGISTRY.concrete_names():
        if name in tables:
            ordered[name] = tables[name]
    params = {
        "scale": sizes.scale,
        "seed": int(seed),
        "generator_version": GENERATOR_VERSION,
        "pupils_per_cohort": sizes.pupils_per_cohort,
        "cohorts": list(map(int, np.unique(people.cohort))),
    }
    planted["parameters"] = params
    return World(ordered, planted, params)


def area_lookup(areas):
    """lookup_area: one row per output area with its LSOA, MSOA, authority and indices."""
    oa_msoa, oa_lsoa = areas.oa_msoa, areas.oa_lsoa
    return frame(
        "lookup_area",
        None,
        {
            "OA11CD": areas.oa_code,
            "LSOA11CD": areas.lsoa_code[oa_lsoa],
            "MSOA11CD": areas.msoa_code[oa_msoa],
            "LAD_anon": areas.la_anon[areas.msoa_la[oa_msoa]],
            "RGN11CD": areas.region_codes[areas.msoa_region[oa_msoa]],
            "young_participation_rate": areas.msoa_rate[oa_msoa],
            "polar4_quintile": areas.msoa_quintile[oa_msoa],
            "idaci_score": areas.lsoa_idaci[oa_lsoa],
        },
    )
