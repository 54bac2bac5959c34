"""The bad-input catalogue as a whole: every module keeps its cases in ``CASES``, and together
they cover at least 100 bad inputs across the command line, opening an extract, the notebooks'
parameters, leokit.sdc, leokit.derive and leokit.tax."""

from support.bad_input import catalogue_modules

MINIMUM = 100


def test_catalogue_has_enough_cases():
    modules = catalogue_modules()
    without = [m.__name__ for m in modules if not hasattr(m, "CASES")]
    assert not without, f"catalogue modules must keep their cases in CASES: {without}"
    sizes = {m.__name__.replace("_tally", ""): len(m.CASES) for m in modules}
    print(sizes)
    assert sum(sizes.values()) >= MINIMUM, sizes
