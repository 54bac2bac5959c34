import pytest


@pytest.fixture(scope="session")
def world():
    """The default extract, generated in memory once per test session."""
    from leokit.synth import generate

    return generate()
