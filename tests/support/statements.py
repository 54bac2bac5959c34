"""Checking the sentences a notebook generated against the results it wrote, by rules written here.

    from support import statements
    res = run_notebook(name, tmp, extract=str(fresh_extracts[0]))
    statements.assert_true(res, required=["headline", "first_stage"])

A notebook records each generated sentence with ``leokit.notebook.say`` and writes them into
``results.json`` under ``"statements"``: the text, the numbers it quotes and the verdicts it
draws (``facts``: kind, code, values, sources). ``problems(res)`` lists every way they could be
untrue, without trusting the notebook's own code:

1. each verdict is decided again from its numbers by the rules in ``RULES`` below, written
   apart from ``leokit.notebook.prose`` (a sign from the interval, a strength from F, ...);
2. each number with a source (``"matched_exact.ci"``) is the one in ``results.json``'s
   estimates, so the sentence describes the estimates the notebook reports;
3. every decimal number and percentage in the text is one of the statement's numbers as shown
   (rounded to the decimals printed), so nothing typed in by hand hides in the prose;
4. a verdict's words appear in the text, and every ``required`` statement id is there.

``assert_true`` fails with the list. Fixture ``fresh_extracts`` (tests/notebooks/conftest.py)
gives two extracts generated from seeds other than the default's, once per session.
"""

import math
import re

#: seeds of the two fresh extracts (not the default extract's 20261128)
SEEDS = (101, 202)

#: percentages that are conventions, not data ("95% interval")
CONSTANT_PERCENTAGES = {"95%", "90%", "99%", "5%", "10%"}

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?%|(?<![\w.])-?\d+\.\d+")


def _sign(v):
    low, high = v["ci"]
    null = v.get("null", 0.0)
    if low is None or high is None:
        return None
    if high < null:
        return "negative"
    if low > null:
        return "positive"
    return "unclear"


def _covers(v):
    low, high = v["ci"]
    return "inside" if (low <= v["value"] and v["value"] <= high) else "outside"


def _compare(v):
    low, high = v["ci"]
    if v["a"] < low:
        return "below"
    if v["a"] > high:
        return "above"
    return "inside"


def _ratio(v):
    a, b = v["a"], v["b"]
    if a is None or b is None or a == 0 or b == 0 or (a > 0) != (b > 0):
        return "undefined"
    if v.get("ratio") is None or not math.isclose(v["ratio"], a / b, rel_tol=1e-9):
        return "wrong ratio"
    return "ratio"


def _strength(v):
    return "weak" if v["F"] < v["threshold"] else "strong"


def _order(v):
    scale = 10.0 ** v.get("digits", 3)
    a, b = round(v["a"] * scale), round(v["b"] * scale)
    return "equal" if a == b else ("smaller" if a < b else "larger")


def _removed(v):
    a, b = v["naive"], v["better"]
    if a is None or b is None or a == 0 or not (0 <= b / a <= 1):
        return "none"
    if v.get("share") is None or not math.isclose(v["share"], (a - b) / a, rel_tol=1e-9):
        return "wrong share"
    return "share"


#: verdict kind -> the rule that decides its code from its values
RULES = {
    "value": lambda v: "value",
    "sign": _sign,
    "covers": _covers,
    "compare": _compare,
    "ratio": _ratio,
    "strength": _strength,
    "order": _order,
    "removed": _removed,
}


def _lookup(res, source):
    name, _, field = source.partition(".")
    by_name = {e["name"]: e for e in res["estimates"]}
    if name not in by_name:
        raise KeyError(f"no estimate {name!r} in results.json")
    if field not in by_name[name]:
        raise KeyError(f"estimate {name!r} has no field {field!r}")
    return by_name[name][field]


def _same(a, b):
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b))
        )
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)


def _numbers(values):
    for v in values:
        if isinstance(v, (list, tuple)):
            yield from _numbers(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            yield float(v)


def _shown(token, candidates):
    """Whether a number as printed in the text is one of the candidates rounded as printed."""
    percent = token.endswith("%")
    text = token.rstrip("%")
    decimals = len(text.split(".")[1]) if "." in text else 0
    shown = float(text)
    step = 10.0**-decimals
    for c in candidates:
        c = 100 * c if percent else c
        if abs(c - shown) <= step / 2 + 1e-9 * max(1.0, abs(c)):
            return True
    return False


def problems(res, required=()):
    """Every way the statements in ``res`` (a results.json dict) are untrue; see the module."""
    found = []
    said = res.get("statements")
    if not isinstance(said, list):
        return ["results.json has no 'statements' list"]
    ids = [s.get("id") for s in said]
    found += [f"statement {r!r} is missing" for r in required if r not in ids]
    for s in said:
        sid, text = s.get("id"), s.get("text", "")
        candidates = list(_numbers(s.get("values", {}).values()))
        for fact in s.get("facts", []):
            kind, values = fact.get("kind"), fact.get("values", {})
            candidates += list(_numbers(values.values()))
            if kind not in RULES:
                found.append(f"{sid}: unknown verdict kind {kind!r}")
                continue
            expected = RULES[kind](values)
            if fact.get("code") != expected:
                found.append(
                    f"{sid}: {kind} says {fact.get('code')!r}, the numbers say {expected!r}"
                )
            if fact.get("text") and fact["text"] not in text:
                found.append(f"{sid}: the words of a {kind} verdict are not in the text")
            for key, source in fact.get("sources", {}).items():
                try:
                    reported = _lookup(res, source)
                except KeyError as err:
                    found.append(f"{sid}: {key} from {source}: {err}")
                    continue
                if not _same(values.get(key), reported):
                    found.append(
                        f"{sid}: {key} = {values.get(key)!r} but {source} = {reported!r} in "
                        "results.json"
                    )
        for token in _NUMBER.findall(text):
            if token in CONSTANT_PERCENTAGES:
                continue
            if not _shown(token, candidates):
                found.append(f"{sid}: {token} in the text is none of the statement's numbers")
    return found


def assert_true(res, required=()):
    """Fail with every problem ``problems`` finds."""
    found = problems(res, required)
    assert not found, "untrue statements:\n  " + "\n  ".join(found)


def verdicts(res):
    """{statement id: {kind: code}} (the last fact of each kind), for tests that want to see a
    verdict change between extracts."""
    out = {}
    for s in res.get("statements", []):
        out[s["id"]] = {f["kind"]: f["code"] for f in s.get("facts", [])}
    return out
