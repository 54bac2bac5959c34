"""Orchestrates the stages of the synthetic England and returns the extract and its truth."""

import time
from collections import OrderedDict

import numpy as np

from ..schema import REGISTRY
from . import areas as areas_mod
from . import hesa, labour, npd, pupils, schools, truth, ucas
from .config import Sizes
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

    A = areas_mod.make(sizes, rngs["areas"])
    step("areas")
    Sch = schools.make(sizes, A, rngs["schools"])
    step("schools")
    P = pupils.make(sizes, A, Sch, rngs["pupils"])
    step("pupils")
    compact = sink is not None
    keys = Keys(P.n, rngs["keys"], compact)
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
    emit(npd.make(P, A, Sch, keys, rngs["npd"]))
    step("npd")
    C = ucas.make_courses(sizes, rngs["ucas"])
    S, policy, reduction, res, cycle_of = ucas.make(P, C, A, keys, rngs["ucas"])
    emit(ucas.tables(P, S, C, res, policy, A, keys, rngs["ucas"]))
    step("ucas")
    H, hesa_tables = hesa.make(P, C, S, res, keys, rngs["hesa"])
    emit(hesa_tables)
    del hesa_tables, res, reduction  # (memory: nothing later reads them)
    keys.forget_pmrs()
    step("hesa")
    F, person_years = labour.make(P, H, A, keys, sizes, rngs["labour"], emit, compact)
    del F, H, keys
    emit({"lookup_area": area_lookup(A)})
    step("labour")
    planted = truth.build(P, S, C, policy, A, cycle_of, person_years)
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
        "cohorts": list(map(int, np.unique(P.cohort))),
    }
    planted["parameters"] = params
    return World(ordered, planted, params)


def area_lookup(A):
    return npd._frame(
        "lookup_area",
        None,
        {
            "OA11CD": A.oa_code,
            "LSOA11CD": A.lsoa_code[A.oa_lsoa],
            "MSOA11CD": A.msoa_code[A.oa_msoa],
            "LAD_anon": A.la_anon[A.msoa_la[A.oa_msoa]],
            "RGN11CD": A.region_codes[A.msoa_region[A.oa_msoa]],
            "young_participation_rate": A.msoa_rate[A.oa_msoa],
            "polar4_quintile": A.msoa_quintile[A.oa_msoa],
            "idaci_score": A.lsoa_idaci[A.oa_lsoa],
        },
    )
