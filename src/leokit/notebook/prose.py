"""Prose generated from the results, so that what a notebook says stays true on other data.

    e = {r["name"]: r for r in rows}
    say(f"Within exact sets the estimate is {quote(e['matched_exact'])} per SD; "
        f"{covers(e['matched_exact'])}.", id="exact_vs_truth")
    outputs.results(PARAMETERS, rows, statements=statements())

``say`` shows Markdown in Jupyter (plain text elsewhere) and records a *statement*: its id, its
text, the numbers it quotes and the verdicts it draws, each with the rule that drew it and, for
numbers taken from an estimate row, where in ``results.json`` they come from (``"sources"``:
``{"estimate": "matched_exact.estimate"}``). ``results.json`` carries the statements under
``"statements"``; ``tests/support/statements.py`` re-derives every verdict from its numbers with
rules written separately and checks each number against the estimates.

Pieces of a sentence are *facts*: strings (use them in f-strings) that remember their numbers
and verdict. A fact made since the last ``say`` is attached to it when its words appear in the
text; the others are dropped.

* ``num``, ``pct``, ``interval``: numbers as text (not recorded: use ``quote`` for a number
  that depends on the data);
* ``quote(row_or_number, field="estimate")``: a number, recorded with its source;
* ``sign(row)``: positive, negative or not distinguishable from zero (the 95% interval);
* ``covers(row, value=None)``: whether the interval holds a value (default: the row's truth);
* ``compare(a, b)``: whether a's estimate lies above, below or inside b's interval;
* ``ratio(a, b)``: how many times b's estimate a's is (undefined across zero);
* ``strength(F, threshold=10)``: a first stage strong or weak by the rule of thumb;
* ``order(a, b)``: a number larger or smaller than another (two SEs, an estimate and a truth);
* ``removed(naive, better)``: the share of a naive estimate a better design removes.

Each verdict function takes ``words=`` (a dict from verdict code to a format string with the
fields of ``values``) to word the sentence for its context; the code is decided from the numbers
alone.
"""

import math
import re

__all__ = [
    "Fact",
    "num",
    "pct",
    "interval",
    "quote",
    "sign",
    "covers",
    "compare",
    "ratio",
    "strength",
    "order",
    "removed",
    "say",
    "statement",
    "statements",
    "reset",
    "VERDICTS",
]

#: every verdict kind, its codes, and the rule that decides among them (tests re-derive these)
VERDICTS = {
    "value": ({"value"}, "a number quoted from the results"),
    "sign": ({"positive", "negative", "unclear"}, "positive if ci low > null, negative if ci high < null, else unclear"),
    "covers": ({"inside", "outside"}, "inside if ci low <= value <= ci high"),
    "compare": ({"above", "below", "inside"}, "a's estimate above b's ci high, below b's ci low, else inside"),
    "ratio": ({"ratio", "undefined"}, "a / b when both are non-zero and of the same sign, else undefined"),
    "strength": ({"strong", "weak"}, "strong if F >= threshold, else weak"),
    "order": ({"larger", "smaller", "equal"}, "equal if a and b print the same at digits, else larger or smaller"),
    "removed": ({"share", "none"}, "share = 1 - better/naive when 0 <= better/naive <= 1, else none"),
}  # fmt: skip

_RECORD = []  # statements said so far in this kernel, in order
_PENDING = []  # facts made since the last say()


def reset():
    """Forget every statement and pending fact (a notebook run starts clean)."""
    del _RECORD[:]
    del _PENDING[:]


# -- numbers as text --------------------------------------------------------------------------


def _finite(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def num(x, digits=3):
    """``x`` rounded to ``digits`` decimals ('0.031', '-0.120'); 'n/a' when missing. Minus zero
    is written as zero."""
    x = _finite(x)
    if x is None:
        return "n/a"
    text = f"{x:.{digits}f}"
    return text[1:] if re.fullmatch(r"-0\.?0*", text) else text


def pct(x, digits=0):
    """A share as a percentage: pct(0.734) == '73%'."""
    x = _finite(x)
    return "n/a" if x is None else f"{num(100 * x, digits)}%"


def interval(ci, digits=3):
    """A confidence interval as '[low, high]'."""
    low, high = ci
    return f"[{num(low, digits)}, {num(high, digits)}]"


# -- facts ------------------------------------------------------------------------------------


class Fact(str):
    """Words that remember the numbers behind them: ``kind`` (a key of VERDICTS), ``code`` (the
    verdict), ``values`` (numbers by name), ``sources`` (value name -> 'estimate_name.field'
    in results.json) and ``digits`` (decimals shown)."""

    def __new__(cls, text, kind, code, values, sources=None, digits=3):
        self = super().__new__(cls, text)
        self.kind, self.code = kind, code
        self.values = {k: _plain(v) for k, v in values.items()}
        self.sources = dict(sources or {})
        self.digits = digits
        _PENDING.append(self)
        return self

    def as_dict(self):
        return {"kind": self.kind, "code": self.code, "values": self.values,
                "sources": self.sources, "text": str(self)}  # fmt: skip


def _plain(v):
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if v is None or isinstance(v, str):
        return v
    return _finite(v)


def _row(x, field="estimate"):
    """(value, ci, name) from an estimate row (a dict from results.estimate) or a number."""
    if isinstance(x, dict):
        if field not in x:
            raise KeyError(f"estimate {x.get('name')!r} has no field {field!r}")
        return x[field], x.get("ci"), x.get("name")
    return x, None, None


def _sources(name, fields):
    return {} if name is None else {k: f"{name}.{f}" for k, f in fields.items()}


def _word(words, default, code, **fields):
    template = (words or {}).get(code, default[code])
    return template.format(**fields)


def quote(x, field="estimate", digits=None, percent=False):
    """A number from the results as text, recorded with its source: ``quote(row)`` is the row's
    estimate, ``quote(row, "truth")`` its planted value, ``quote(0.25, percent=True)`` '25%'.
    ``digits``: decimals shown (3 for a number, 0 for a percentage)."""
    value, _, name = _row(x, field)
    if digits is None:
        digits = 0 if percent else 3
    text = pct(value, digits) if percent else num(value, digits)
    return Fact(text, "value", "value", {"value": value}, _sources(name, {"value": field}),
                digits=digits)  # fmt: skip


def _ci_of(x, ci_field="ci"):
    if isinstance(x, dict):
        if x.get(ci_field) is None:
            raise ValueError(f"estimate {x.get('name')!r} has no interval {ci_field!r}")
        return x["estimate"], x[ci_field], x.get("name")
    estimate, ci = x
    return estimate, ci, None


def sign(x, null=0.0, digits=3, words=None, ci_field="ci"):
    """Positive, negative or unclear: where the 95% interval of ``x`` (an estimate row, or
    (estimate, (low, high))) lies against ``null``. ``ci_field`` names another interval of the
    row ('ci_wild_bootstrap')."""
    estimate, (low, high), name = _ci_of(x, ci_field)
    if low is None or high is None:
        raise ValueError(f"sign: {name or 'the estimate'} has no interval")
    code = "positive" if low > null else "negative" if high < null else "unclear"
    default = {
        "positive": "clearly positive (95% interval {ci})",
        "negative": "clearly negative (95% interval {ci})",
        "unclear": "not distinguishable from {null} (95% interval {ci})",
    }
    text = _word(words, default, code, ci=interval((low, high), digits), null=num(null, digits)
                 if null else "zero", estimate=num(estimate, digits))  # fmt: skip
    return Fact(text, "sign", code, {"estimate": estimate, "ci": [low, high], "null": null},
                _sources(name, {"estimate": "estimate", "ci": ci_field}), digits)  # fmt: skip


def covers(x, value=None, digits=3, words=None, label="the planted value", ci_field="ci"):
    """Whether the 95% interval of ``x`` holds ``value`` (default: the row's ``truth``)."""
    estimate, (low, high), name = _ci_of(x, ci_field)
    fields = {"estimate": "estimate", "ci": ci_field}
    if value is None:
        if not isinstance(x, dict) or x.get("truth") is None:
            raise ValueError(f"covers: {name or 'the estimate'} has no truth to compare with")
        value = x["truth"]
        fields["value"] = "truth"
    code = "inside" if low <= value <= high else "outside"
    default = {
        "inside": "its 95% interval {ci} contains {label} {value}",
        "outside": "its 95% interval {ci} misses {label} {value}",
    }
    text = _word(words, default, code, ci=interval((low, high), digits), label=label,
                 value=num(value, digits), estimate=num(estimate, digits))  # fmt: skip
    return Fact(text, "covers", code, {"estimate": estimate, "ci": [low, high], "value": value},
                _sources(name, fields), digits)  # fmt: skip


def compare(a, b, digits=3, words=None):
    """Where a's estimate lies against b's 95% interval: above, below or inside."""
    ea, _, na = _ci_of(a)
    eb, (low, high), nb = _ci_of(b)
    code = "above" if ea > high else "below" if ea < low else "inside"
    default = {
        "above": "{a} lies above the interval {ci} of {b_estimate}",
        "below": "{a} lies below the interval {ci} of {b_estimate}",
        "inside": "{a} lies inside the interval {ci} of {b_estimate}",
    }
    text = _word(words, default, code, a=num(ea, digits), ci=interval((low, high), digits),
                 b_estimate=num(eb, digits))  # fmt: skip
    sources = _sources(na, {"a": "estimate"})
    sources.update(_sources(nb, {"b": "estimate", "ci": "ci"}))
    return Fact(text, "compare", code, {"a": ea, "b": eb, "ci": [low, high]}, sources, digits)


def ratio(a, b, digits=1, words=None):
    """How many times b's estimate a's estimate is ('about 3.6 times'); undefined when either is
    zero or they differ in sign."""
    ea, _, na = _row(a)
    eb, _, nb = _row(b)
    ok = ea is not None and eb is not None and ea * eb > 0
    code = "ratio" if ok else "undefined"
    value = ea / eb if ok else None
    default = {"ratio": "about {ratio} times", "undefined": "not a multiple (the signs differ)"}
    text = _word(words, default, code, ratio=num(value, digits), a=num(ea), b=num(eb))
    sources = _sources(na, {"a": "estimate"})
    sources.update(_sources(nb, {"b": "estimate"}))
    return Fact(text, "ratio", code, {"a": ea, "b": eb, "ratio": value}, sources, digits)


def order(a, b, digits=3, words=None, field_a="estimate", field_b="estimate"):
    """Whether number a is larger or smaller than b (equal when they print the same): for two
    numbers of different kinds, e.g. an estimate and the truth, or two standard errors
    (``order(row, row, field_a="se", field_b="se_cr1")``)."""
    va, _, na = _row(a, field_a)
    vb, _, nb = _row(b, field_b)
    if num(va, digits) == num(vb, digits):
        code = "equal"
    else:
        code = "larger" if va > vb else "smaller"
    default = {"larger": "larger than {b}", "smaller": "smaller than {b}", "equal": "equal to {b}"}
    text = _word(words, default, code, a=num(va, digits), b=num(vb, digits))
    sources = _sources(na, {"a": field_a})
    sources.update(_sources(nb, {"b": field_b}))
    return Fact(text, "order", code, {"a": va, "b": vb, "digits": digits}, sources, digits)


def removed(naive, better, digits=0, words=None):
    """The share of a naive estimate that a better design removes, 1 - better / naive: defined
    ('share') only when the better estimate lies between zero and the naive one ('none')."""
    a, _, na = _row(naive)
    b, _, nb = _row(better)
    ok = a is not None and b is not None and a != 0 and 0 <= b / a <= 1
    share = 1 - b / a if ok else None
    code = "share" if ok else "none"
    default = {"share": "{share} of the naive estimate", "none": "none of the naive estimate "
               "can be called selection: the better estimate is not between zero and it"}  # fmt: skip
    text = _word(words, default, code, share=pct(share, digits), a=num(a), b=num(b))
    sources = _sources(na, {"naive": "estimate"})
    sources.update(_sources(nb, {"better": "estimate"}))
    return Fact(text, "removed", code, {"naive": a, "better": b, "share": share}, sources, digits)


def strength(F, threshold=10, digits=1, words=None, source=None):
    """A first stage 'strong' (F at least ``threshold``, the Staiger-Stock rule of thumb) or
    'weak'. ``source`` names where F is in results.json ('fs_all.F')."""
    F = _finite(F)
    if F is None:
        raise ValueError("strength: F is missing")
    code = "strong" if F >= threshold else "weak"
    default = {
        "strong": "strong (F = {F}, at least {threshold})",
        "weak": "weak (F = {F}, below {threshold})",
    }
    text = _word(words, default, code, F=num(F, digits), threshold=num(threshold, 0))
    sources = {"F": source} if source else {}
    return Fact(text, "strength", code, {"F": F, "threshold": threshold}, sources, digits)


# -- statements -------------------------------------------------------------------------------


def statement(text, id=None, values=None):  # noqa: A002 - "id" is the statement's field name
    """Record ``text`` as a statement without showing it; returns the record (a dict).

    The facts made since the last statement whose words appear in ``text`` are attached; a
    statement with an ``id`` said again (a cell run twice) replaces the earlier one. ``values``
    adds numbers quoted in the text that are not facts ({name: number})."""
    text = str(text)
    facts = sorted((f for f in _PENDING if str(f) and str(f) in text), key=lambda f: text.find(f))
    del _PENDING[:]
    sid = id or f"statement_{len(_RECORD) + 1}"
    record = {
        "id": sid,
        "text": text,
        "facts": [f.as_dict() for f in facts],
        "values": {k: _plain(v) for k, v in (values or {}).items()},
    }
    for i, old in enumerate(_RECORD):
        if old["id"] == sid:
            _RECORD[i] = record
            break
    else:
        _RECORD.append(record)
    return record


def say(text, id=None, values=None):  # noqa: A002
    """Show ``text`` as Markdown (in Jupyter; printed elsewhere) and record it as a statement
    (see ``statement``). Returns None, so a cell ending with it shows the text once."""
    record = statement(text, id=id, values=values)
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Markdown(record["text"]))
    else:
        print(record["text"])


def statements():
    """The statements recorded so far, for ``results.json`` (a list of dicts, copied)."""
    return [dict(s) for s in _RECORD]
