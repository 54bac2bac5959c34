"""Fixtures shared by the notebook tests.

``fresh_extracts``: two extracts generated once per test session (per pytest-xdist worker) from
seeds other than the default extract's (``support.statements.SEEDS``), at the default scale.
Each notebook's statements test runs it on both and checks the sentences it generated against
the results it wrote (``support.statements``): prose that was typed in for the default extract
fails there.
"""

import pytest
from support.notebook_runs import synth_extract
from support.statements import SEEDS


@pytest.fixture(scope="session")
def fresh_extracts(tmp_path_factory):
    """[(seed, folder)] for the two seeds, generated with `leokit synth` (about 4 s each)."""
    root = tmp_path_factory.mktemp("fresh_extracts")
    return [(seed, synth_extract(root / f"seed_{seed}", seed)) for seed in SEEDS]
