"""The cookbook's toolchain (recipes/): pages, checks, runs, expected output, the index, the
Stata checker and the SRS import bundle. The command line is tools/recipes.py.

    import sys; sys.path.insert(0, "tools")
    from cookbook.pages import load_all
    from cookbook import checks, stata
"""
