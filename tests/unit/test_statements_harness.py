"""tests/support/statements.py: the checker of generated statements must catch untrue ones."""

import pytest
from support import statements

from leokit import results
from leokit.notebook import prose


@pytest.fixture(autouse=True)
def clean():
    prose.reset()
    yield
    prose.reset()


def doc(rows):
    return {"estimates": rows, "statements": prose.statements()}


def rows():
    return [
        results.estimate("naive", "e", 0.11, 0.01, (0.09, 0.13), 900, truth=0.03, preferred=True),
        results.estimate("exact", "e", 0.031, 0.01, (0.011, 0.051), 500, truth=0.03),
    ]


def test_true_statements_pass():
    naive, exact = rows()
    prose.say(f"Naive {prose.quote(naive)} is {prose.ratio(naive, exact)} the matched "
              f"{prose.quote(exact)}; {prose.covers(exact)}; {prose.sign(exact)}; "
              f"{prose.compare(naive, exact)}; the first stage is {prose.strength(5.6)}.",
              id="all")  # fmt: skip
    statements.assert_true(doc([naive, exact]), required=["all"])
    assert statements.verdicts(doc([naive, exact]))["all"]["strength"] == "weak"


def test_a_typed_in_number_is_caught():
    naive, exact = rows()
    prose.say(f"The matched estimate {prose.quote(exact)} is close to the true 0.15.", id="a")
    (problem,) = statements.problems(doc([naive, exact]))
    assert "0.15 in the text is none of the statement's numbers" in problem


def test_a_verdict_that_does_not_follow_from_its_numbers_is_caught():
    naive, exact = rows()
    fact = prose.covers(exact)
    prose.say(f"{fact}.", id="a")
    d = doc([naive, exact])
    d["statements"][0]["facts"][0]["code"] = "outside"
    assert statements.problems(d) == ["a: covers says 'outside', the numbers say 'inside'"]


def test_numbers_that_differ_from_results_json_are_caught():
    naive, exact = rows()
    prose.say(f"{prose.sign(exact)}.", id="a")
    exact["ci"] = [0.02, 0.05]  # results.json says otherwise than the sentence
    found = statements.problems(doc([naive, exact]), required=["a", "b"])
    assert "statement 'b' is missing" in found
    assert any("ci = [0.011, 0.051] but exact.ci = [0.02, 0.05]" in p for p in found)


def test_order_and_removed_are_rederived():
    naive, exact = rows()
    exact["se_cr1"] = 0.008
    prose.say(f"{prose.removed(naive, exact)}; the SE {prose.quote(exact, 'se')} is "
              f"{prose.order(exact, exact, field_a='se', field_b='se_cr1')} "
              f"{prose.quote(exact, 'se_cr1')}.", id="a")  # fmt: skip
    statements.assert_true(doc([naive, exact]))
    d = doc([naive, exact])
    d["statements"][0]["facts"][0]["values"]["share"] = 0.5  # a share that 1 - b/a is not
    assert "a: removed says 'share', the numbers say 'wrong share'" in statements.problems(d)


def test_statements_missing_altogether():
    assert statements.problems({"estimates": []}) == ["results.json has no 'statements' list"]
