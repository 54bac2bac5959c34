"""Orchestrates the stages. (Being written: interface fixed, body in progress.)"""

from collections import OrderedDict

DEFAULT_SCALE = 0.04
DEFAULT_SEED = 20261128
GENERATOR_VERSION = "0.1.0"


class World:
    """Result of `generate`: tables keyed by concrete SRS view name, plus the truth."""

    def __init__(self, tables, truth, params):
        self.tables = OrderedDict(tables)
        self.truth = truth
        self.params = params


def generate(scale=DEFAULT_SCALE, seed=DEFAULT_SEED, progress=False):
    raise NotImplementedError("synth.generate is being written")
