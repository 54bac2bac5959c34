"""The linkage flow: how many units survive each step, released as counts rounded to 5.

    flow = Flow(unit="AE_ID")
    flow.count("UCAS applications (applicant x cycle)", applicants.unique_id_cycle.nunique())
    applicants = flow.keep("people: applicants linked through PMR -> AE_ID", applicants)
    df = flow.keep("... with a KS4 record", df.merge(ks4, on="AE_ID"))
    outputs.show("linkage_flow", flow.table(), checks=[flow.table()])

Nothing is dropped silently: each step records the distinct units (``unit`` column) of the
frame it is given and returns the frame unchanged, so it reads as one line of the pipeline.
``table()`` rounds every count to 5 and suppresses counts under 10
(``leokit.release.round_counts``), the SRS rules for frequencies.
"""

import pandas as pd

from leokit import release

__all__ = ["Flow"]


class Flow:
    """Steps of a linkage and the units kept at each; see the module docstring."""

    def __init__(self, unit="AE_ID", label="people"):
        self.unit = unit
        self.label = label
        self.steps = []  # (step, count)

    def count(self, step, n):
        """Record ``n`` units at ``step`` (a count made by hand); a step named again (a cell run
        twice) replaces the earlier count."""
        n = int(n)
        if n < 0:
            raise ValueError(f"flow step {step!r}: a count cannot be negative ({n})")
        step = str(step)
        names = [s for s, _ in self.steps]
        if step in names:
            self.steps[names.index(step)] = (step, n)
        else:
            self.steps.append((step, n))
        return n

    def keep(self, step, frame, unit=None):
        """Record the distinct ``unit`` values in ``frame`` at ``step``; returns ``frame``."""
        column = unit or self.unit
        if column not in frame.columns:
            raise KeyError(f"flow step {step!r}: the frame has no column {column!r}")
        self.count(step, frame[column].nunique())
        return frame

    def raw(self):
        """The exact counts, for code that needs them (never display or release this)."""
        return pd.DataFrame(self.steps, columns=["step", self.label])

    def table(self, title="units kept at each link"):
        """The flow as a releasable table: counts rounded to 5, under 10 suppressed, with the
        ``sdc`` report in ``attrs`` (pass the table itself as its check)."""
        if not self.steps:
            raise ValueError("the flow has no steps yet")
        return release.round_counts(self.raw(), [self.label], label="step", title=title)
