"""``Report``: what disclosure control did to a table or found wrong with it, safe to print
and to release beside the table.

    from leokit.sdc import report_of
    print(report_of(table))
"""

import pandas as pd


class Report:
    """What disclosure control did to a table (``suppressed``) or found wrong with it
    (``problems``, from ``check_table``), cell by cell, with the reason.

    Reasons: 'threshold' (fewer than the threshold units, zeros included when zeros are
    disclosive), 'complement' (a rate with fewer than the threshold units with, or without,
    the outcome), 'percentile' (fewer than the threshold units at or below, or at or above,
    a percentile), 'class' (every unit in the cell has the same value), 'dominance' (n,k or
    p% rule), 'secondary' (recoverable by subtraction from a margin), and for checks also
    'rounding', 'integer' (a count that is not a whole number) and 'minmax'.

    ``str(report)`` is plain text with no cell values, safe to print beside the table;
    ``to_frame()`` gives one row per entry; ``to_dict()`` is what an output checker needs to
    clear the table without the microdata.
    """

    #: kinds of released output, as output checkers (and ACRO) classify them
    KINDS = ("frequency", "magnitude", "rate", "percentile", "model", "check")

    def __init__(self, title="", rules="", kind=None, threshold=None, round_base=None):
        if kind is not None and kind not in self.KINDS:
            raise ValueError(f"kind={kind!r} is not one of {self.KINDS}")
        self.title = title
        self.rules = rules
        self.kind = kind
        self.threshold = threshold
        self.round_base = round_base
        self.n_cells = 0
        #: what was counted as a unit: 'rows' or 'distinct <column>'
        self.units = None
        #: the smallest count behind a shown cell, rounded as the table rounds its counts
        #: (exact only when the table shows exact counts); None when no cell is shown
        self.min_count_shown = None
        #: cells shown (not suppressed)
        self.n_shown = None
        #: plain-language notes: missing categories kept or left out, rows outside bins, ...
        self.notes = []
        self.suppressed = []
        self.problems = []

    def add(self, cell, reason, detail):
        """Record a suppressed cell; ``cell`` is a readable label such as 'region=North'."""
        self.suppressed.append({"cell": cell, "reason": reason, "detail": detail})

    def add_problem(self, cell, reason, detail):
        """Record a cell that fails a rule (``check_table``)."""
        self.problems.append({"cell": cell, "reason": reason, "detail": detail})

    def note(self, text):
        """Add a note (no counts in it: the report is released with the table)."""
        if text not in self.notes:
            self.notes.append(text)

    @property
    def ok(self):
        """True when no rule fails (suppressed cells are fine: that is the fix)."""
        return not self.problems

    def counts(self):
        """{reason: number of suppressed cells}."""
        out = {}
        for entry in self.suppressed:
            out[entry["reason"]] = out.get(entry["reason"], 0) + 1
        return out

    def cells(self, reason=None):
        """Labels of the suppressed cells, optionally only those with one reason."""
        return [e["cell"] for e in self.suppressed if reason is None or e["reason"] == reason]

    def to_frame(self):
        """One row per suppressed cell or problem: action, cell, reason, detail."""
        rows = [dict(action="suppressed", **e) for e in self.suppressed]
        rows += [dict(action="problem", **e) for e in self.problems]
        return pd.DataFrame(rows, columns=["action", "cell", "reason", "detail"])

    def to_dict(self):
        """What an output checker needs about this table, with no cell values: safe to release
        beside it (``leokit``'s output-checking report is built from it).

        ``min_count_shown`` is the smallest count behind a shown cell *rounded to
        round_base*, i.e. a number the table itself shows (its ``n`` column or a count cell);
        with the rules it tells the checker that every shown cell has at least ``threshold``
        units without giving away an exact count the table rounds."""
        return {
            "title": self.title,
            "kind": self.kind,
            "rules": self.rules,
            "threshold": self.threshold,
            "round_base": self.round_base,
            "units": self.units,
            "n_cells": int(self.n_cells),
            "n_shown": None if self.n_shown is None else int(self.n_shown),
            "min_count_shown": self.min_count_shown,
            "n_suppressed": len(self.suppressed),
            "suppressed_by_reason": self.counts(),
            "suppressed": [dict(e) for e in self.suppressed],
            "problems": [dict(e) for e in self.problems],
            "notes": list(self.notes),
            "ok": self.ok,
        }

    def __len__(self):
        return len(self.suppressed) + len(self.problems)

    def __str__(self):
        lines = ["Disclosure control" + (": " + self.title if self.title else "")]
        if self.rules:
            lines.append("rules: " + self.rules)
        counts = self.counts()
        summary = f"{self.n_cells} cells, {len(self.suppressed)} suppressed"
        if counts:
            summary += " (" + ", ".join(f"{counts[k]} {k}" for k in sorted(counts)) + ")"
        lines.append(summary)
        for e in self.suppressed:
            lines.append("  suppressed {}: {} ({})".format(e["cell"], e["reason"], e["detail"]))
        for text in self.notes:
            lines.append("note: " + text)
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s): NOT safe to release as it is")
            for e in self.problems:
                lines.append("  problem {}: {} ({})".format(e["cell"], e["reason"], e["detail"]))
        elif self.kind == "check" or self.title.startswith("check"):
            lines.append("no problems found")
        return "\n".join(lines)

    def __repr__(self):
        return f"<Report {self.title!r}: {len(self.suppressed)} suppressed, {len(self.problems)} problems>"


def report_of(table):
    """The ``Report`` that an sdc function attached to ``table`` (``table.attrs``)."""
    report = getattr(table, "attrs", {}).get("sdc_report")
    if report is None:
        raise ValueError(
            "this table carries no disclosure-control report; make it with leokit.sdc "
            "(or pass return_report=True) or run check_table on it"
        )
    return report


def attach_report(table, report, return_report):
    table.attrs["sdc_report"] = report
    if return_report:
        return table, report
    return table
