"""Helpers shared by the test layers (importable as ``support``: pytest puts ``tests/`` on the path).

notebook_runs   run a headline notebook with papermill; generate a fresh extract
recipes         discover recipe pages and run their blocks (Python, SRS profile, R)
recipe_sql      run a page's T-SQL through leokit.sql and compare with its Python tables
analysis        small analysis files built from the views, as a researcher links them
"""
