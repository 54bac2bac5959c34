import os

# Two pytest workers on two cores, each with notebook kernels: OpenBLAS's own threads then
# fight for the cores and small solves slow down a hundredfold. One BLAS thread per process
# (inherited by kernels and children); set before numpy is imported anywhere.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def world():
    """The default extract, generated in memory once per test session."""
    from leokit.synth import generate

    return generate()
