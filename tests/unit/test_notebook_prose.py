"""leokit.notebook.prose: numbers as text, verdicts decided from the numbers, statements."""

import pytest

from leokit import results
from leokit.notebook import prose


@pytest.fixture(autouse=True)
def clean():
    prose.reset()
    yield
    prose.reset()


def row(name="m", est=0.031, ci=(0.01, 0.05), truth=0.03):
    return results.estimate(name, "e", est, 0.01, ci, 100, truth=truth, preferred=True)


def test_numbers_as_text():
    assert prose.num(0.03149) == "0.031"
    assert prose.num(-0.0004) == "0.000"  # no minus zero
    assert prose.num(float("nan")) == "n/a" and prose.num(None) == "n/a"
    assert prose.num(12.345, 1) == "12.3"
    assert prose.pct(0.734) == "73%" and prose.pct(0.7345, 1) == "73.5%"
    assert prose.interval((-0.2041, 0.0339)) == "[-0.204, 0.034]"


@pytest.mark.parametrize(
    "ci, code, words",
    [((0.01, 0.05), "positive", "clearly positive"), ((-0.05, -0.01), "negative", "clearly negative"),
     ((-0.01, 0.05), "unclear", "not distinguishable from zero"), ((0.0, 0.05), "unclear", "zero")],
)  # fmt: skip
def test_sign_follows_the_interval(ci, code, words):
    f = prose.sign(row(ci=ci))
    assert f.code == code and words in f and f.kind == "sign"
    assert f.sources == {"estimate": "m.estimate", "ci": "m.ci"}


def test_covers_reads_the_truth_or_a_value():
    assert prose.covers(row()).code == "inside"
    assert prose.covers(row(truth=0.15)).code == "outside"
    f = prose.covers(row(), value=0.2, label="the naive estimate")
    assert f.code == "outside" and "misses the naive estimate 0.200" in f
    assert "value" not in f.sources  # a value given by hand has no source in results.json
    with pytest.raises(ValueError, match="no truth"):
        prose.covers(row(truth=None))


def test_compare_ratio_strength():
    naive, exact = row("naive", 0.11, (0.09, 0.13)), row("exact", 0.03, (0.01, 0.05))
    assert prose.compare(naive, exact).code == "above"
    assert prose.compare(exact, naive).code == "below"
    assert prose.compare(row("x", 0.04), exact).code == "inside"
    r = prose.ratio(naive, exact)
    assert (
        r.code == "ratio" and r == "about 3.7 times" and r.values["ratio"] == pytest.approx(11 / 3)
    )
    assert prose.ratio(naive, row("neg", -0.01)).code == "undefined"
    assert prose.strength(5.6).code == "weak" and "F = 5.6, below 10" in prose.strength(5.6)
    assert prose.strength(10).code == "strong"
    custom = prose.strength(23.4, words={"strong": "large (F = {F})", "weak": "weak (F = {F})"})
    assert custom == "large (F = 23.4)"


def test_say_records_the_facts_whose_words_it_uses(capsys):
    e = row()
    used, unused = prose.covers(e), prose.sign(row("other", ci=(-1, 1)))
    prose.say(f"The estimate is {prose.quote(e)}; {used}.", id="headline")
    assert "The estimate is 0.031" in capsys.readouterr().out  # printed outside Jupyter
    (s,) = prose.statements()
    assert s["id"] == "headline"
    assert [f["kind"] for f in s["facts"]] == ["value", "covers"]  # in the order of the text
    assert unused.kind == "sign" and all(f["text"] != str(unused) for f in s["facts"])
    # said again (a cell run twice): replaced, not added
    prose.statement(f"Now {prose.quote(e, 'truth')}.", id="headline")
    (s,) = prose.statements()
    assert s["facts"][0]["sources"] == {"value": "m.truth"} and s["text"] == "Now 0.030."
    prose.statement("Plain words.")
    assert [x["id"] for x in prose.statements()] == ["headline", "statement_2"]


def test_statements_go_into_results_json(tmp_path):
    e = row()
    prose.say(f"{prose.covers(e)}", id="a")
    path = results.write(tmp_path, "nb", {}, [e], statements=prose.statements())
    doc = results.read(path)
    assert doc["statements"][0]["facts"][0]["code"] == "inside"
    assert doc["conventions"]["truth"].startswith("the planted value of the estimand")
    with pytest.raises(ValueError, match="unique"):
        results.write(tmp_path, "nb", {}, [e], statements=[{"id": "a", "text": ""}] * 2)


def test_order_removed_and_other_intervals():
    e = dict(row(), se_cr1=0.008, ci_wild_bootstrap=[-0.01, 0.06])
    assert prose.order(e, e, field_a="se", field_b="se_cr1").code == "larger"
    assert prose.order(0.0301, 0.0304).code == "equal"  # the same as printed
    assert prose.order(e, e, field_a="estimate", field_b="truth").sources == {
        "a": "m.estimate", "b": "m.truth"
    }  # fmt: skip
    wild = prose.sign(e, ci_field="ci_wild_bootstrap")
    assert wild.code == "unclear" and wild.sources["ci"] == "m.ci_wild_bootstrap"
    naive = row("naive", 0.11)
    share = prose.removed(naive, e)
    assert share.code == "share" and share == "72% of the naive estimate"
    assert prose.removed(naive, row("x", 0.2)).code == "none"
    assert prose.removed(naive, row("x", -0.01)).code == "none"
