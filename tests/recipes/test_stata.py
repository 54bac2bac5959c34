"""The Stata checker (tools/cookbook/stata*.py): every page's Stata passes it, it catches the
defects the cookbook's Stata blocks used to have (kept as fixtures in stata_fixtures/), and
each rule fires on a small snippet and stays quiet on its correct twin.

There is no Stata here: the checker reads the code as Stata would and reports only what it
is sure of (see the module docstring for the rules).
"""

import os
import re
import subprocess
import sys
import textwrap

import pytest
from support.recipes import (
    ROOT,
    Unreadable,
    fail_unreadable,
    pages,
    recipe_workdir,  # noqa: F401 - fixture
    tool,
)

stata = tool.stata  # tools/cookbook/stata.py, loaded with the command line

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stata_fixtures")
PAGES = pages(include_template=True)


@pytest.fixture(scope="module")
def data_dir(recipe_workdir):  # noqa: F811
    return os.path.join(recipe_workdir, "data_csv")


@pytest.mark.parametrize("rec", PAGES, ids=[r.name for r in PAGES])
def test_every_page_passes_the_checker(rec, data_dir):
    fail_unreadable(rec)
    findings = stata.check_page(rec, data_dir=data_dir)
    assert not findings, f"recipe {rec.name}:\n" + "\n".join(findings)


def test_every_page_has_stata_and_lists_its_tables():
    for rec in PAGES:
        if isinstance(rec, Unreadable):
            continue
        code = "".join(b.code for b in rec.blocks_of("stata"))
        assert "list" in code and "version 16" in code, rec.name


# ---------------------------------------------------------------------------------------------
# the defects the old blocks had, each caught


def page_with_block(tmp_path, page, code, drop_front_matter=()):
    """A copy of a recipe page whose Stata block is ``code`` (and front matter keys dropped)."""
    with open(os.path.join(ROOT, "recipes", page), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(
        r"(```stata[^\n]*\n).*?(```)",
        lambda m: m.group(1) + code + m.group(2),
        text,
        count=1,
        flags=re.S,
    )
    for key in drop_front_matter:
        text = re.sub(rf"^{key}:.*\n", "", text, count=1, flags=re.M)
    topic = page.split("/")[0]
    folder = tmp_path / topic
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / os.path.basename(page)
    path.write_text(text, encoding="utf-8")
    return tool.Recipe(str(path))


def fixture(name):
    with open(os.path.join(FIXTURES, name + ".do"), encoding="utf-8") as f:
        return f.read()


def rules(findings):
    return {m.group(1) for m in (re.search(r"\[([\w\-]+)\]", f) for f in findings) if m}


def test_annualise_earnings_merged_a_file_no_block_makes(tmp_path, data_dir):
    rec = page_with_block(tmp_path, "outcomes/annualise_earnings.md", fixture("annualise_earnings"))
    findings = stata.check_page(rec, data_dir=data_dir)
    assert any("[file] days.dta is not made" in f for f in findings), findings
    assert any("view 'leo_employment'" in f for f in findings), findings
    assert "output" in rules(findings)


def test_spells_numbered_tax_years_by_start_date_after_expand(tmp_path, data_dir):
    rec = page_with_block(
        tmp_path, "time/clean_employment_spells.md", fixture("clean_employment_spells")
    )
    findings = stata.check_page(rec, data_dir=data_dir)
    assert any("[expand-numbering]" in f and "EduKey start" in f for f in findings), findings


def test_sustained_employment_stopped_before_self_assessment(tmp_path, data_dir):
    rec = page_with_block(
        tmp_path, "outcomes/flag_sustained_employment.md", fixture("flag_sustained_employment")
    )
    findings = stata.check_page(rec, data_dir=data_dir)
    assert any(
        "view 'leo_self_assessment' is in front matter but no Stata block" in f for f in findings
    ), findings
    assert any("[output]" in f and "sa_record" in f for f in findings), findings


def test_fixed_effects_encoded_keys_and_needed_undeclared_ssc(tmp_path, data_dir):
    rec = page_with_block(
        tmp_path,
        "estimation/estimate_fixed_effects.md",
        fixture("estimate_fixed_effects"),
        drop_front_matter=["stata_packages"],
    )
    findings = stata.check_page(rec, data_dir=data_dir)
    assert {"encode-key", "command", "network", "output"} <= rules(findings), findings
    assert any("reghdfe is not built into Stata" in f for f in findings)
    # declared but used without `capture which`: no fallback
    rec = page_with_block(
        tmp_path, "estimation/estimate_fixed_effects.md", fixture("estimate_fixed_effects")
    )
    assert "ssc-fallback" in rules(stata.check_page(rec, data_dir=data_dir))
    # the fallback as a reader would paste it: ';' ends commands only under #delimit ;
    pasted = fixture("estimate_fixed_effects").replace("* equivalently: ", "")
    assert "semicolon" in {f.rule for f in stata.check_code(pasted, stata.Context(data_dir))}


def test_regression_discontinuity_used_a_file_nothing_builds_and_the_internet(tmp_path, data_dir):
    rec = page_with_block(
        tmp_path,
        "estimation/estimate_regression_discontinuity.md",
        fixture("estimate_regression_discontinuity"),
    )
    findings = stata.check_page(rec, data_dir=data_dir)
    assert any("[file] rd.dta is not made" in f for f in findings), findings
    assert {"network", "encode-key", "views", "output"} <= rules(findings), findings


def test_disclosure_control_sums_in_float_missing_codes_and_no_totals(tmp_path, data_dir):
    rec = page_with_block(
        tmp_path, "output/apply_disclosure_control.md", fixture("apply_disclosure_control")
    )
    findings = stata.check_page(rec, data_dir=data_dir)
    assert {"float-sum", "contract-missing", "output"} <= rules(findings), findings
    assert any("egen total() stores the sum as float" in f for f in findings)
    assert any("'counts'" in f for f in findings) and any("'magnitudes'" in f for f in findings)


# ---------------------------------------------------------------------------------------------
# rules, one snippet each (with its correct twin)


def check(code, data_dir=None, **kw):
    ctx = stata.Context(data_dir=data_dir, **kw)
    return stata.check_code(textwrap.dedent(code), ctx)


def found(code, data_dir=None, **kw):
    return {f.rule for f in check(code, data_dir, **kw)}


EARNINGS = (
    'import delimited using "data_csv/leo_earnings.csv", clear case(preserve) stringcols(1 4 12)\n'
)


@pytest.mark.parametrize(
    "bad,good,rule",
    [
        ("tabluate TaxYear\n", "tab TaxYear\nsu Earnings\nreg Earnings TaxYear\n", "command"),
        ("gen x = Earnigns * 2\n", "gen double x = Earn * 2\n", "variable"),
        ("gen TaxYear = 1\n", "replace TaxYear = 1\n", "exists"),
        ("keep if Edukey == 1\n", 'keep if Edukey == "1"\n', "type"),
        ("gen s = trim(TaxYear)\n", "gen s = string(TaxYear)\n", "type"),
        ("egen total = total(Earnings)\n", "egen double total = total(Earnings)\n", "float-sum"),
        ("gen run = sum(Earnings)\n", "gen double run = sum(Earnings)\n", "float-sum"),
        ("egen id = group(Edukey)\n", "egen long id = group(Edukey)\n", "group-type"),
        ("gen row = _n\n", "gen long row = _n\n", "float-id"),
        ("encode Edukey, gen(id)\n", "encode Main_Section, gen(section)\n", "encode-key"),
        ("contract Main_Section\n", "contract Main_Section, nomiss\n", "contract-missing"),
        ("keep Edukey\nmerge m:m Edukey using x\n", "keep Edukey\n", "merge-mm"),
        ("ssc install reghdfe\n", "display 1\n", "network"),
        ("* see https://example.org\n", "* see the README\n", "network"),
        ("list Edukey;\n", "list Edukey\n", "semicolon"),
        ("if 1 {\n  display 1\n", "if 1 {\n  display 1\n}\n", "braces"),
        ('display "open\n', 'display "closed"\n', "quotes"),
        ("#delimit ;\nlist Edukey;\n", "#delimit ;\nlist Edukey;\n#delimit cr\n", "delimit"),
        (
            "gsort Edukey -TaxYear\nby Edukey: keep if _n == 1\n",
            "gen neg = -TaxYear\nbysort Edukey (neg): keep if _n == 1\n",
            "by-unsorted",
        ),
        (
            "expand 2\nbysort Edukey: gen k = _n\n",
            "gen long row = _n\nexpand 2\nbysort row: gen k = _n\n",
            "expand-numbering",
        ),
        (
            "gen double x = Earnings\ngen y = x * 2\n",
            "gen double x = Earnings\ngen double y = x * 2\n",
            "float-precision",
        ),
    ],
)
def test_rule_fires_and_its_twin_passes(bad, good, rule, data_dir):
    assert rule in found(EARNINGS + bad, data_dir), (rule, check(EARNINGS + bad, data_dir))
    assert rule not in found(EARNINGS + good, data_dir), (rule, check(EARNINGS + good, data_dir))


def test_files_must_be_made_on_the_page_or_shipped(data_dir):
    assert "file" in found("use days, clear\n", data_dir)
    assert "file" in found('import delimited using "data_csv/no_such_view.csv", clear\n', data_dir)
    assert "file" in found("tempfile t\nuse `t', clear\n", data_dir)
    ok = "tempfile t\n" + EARNINGS + "save `t'\nuse `t', clear\n"
    assert not check(ok, data_dir)
    lookup = 'import delimited using "recipes/lookups/cpih_annual.csv", clear\n'
    assert not check(lookup, data_dir)
    # a view make recipe-data does not write for this page
    assert "file" in found(EARNINGS, data_dir, views=["leo_employment"])
    # a file saved by an earlier block of the same page
    assert not check(
        "use days, clear\nlist\n", data_dir, saved={"days.dta": stata.Dataset({"x": "num"})}
    )


def test_variables_are_followed_through_the_data_commands(data_dir):
    code = EARNINGS + textwrap.dedent(
        """\
        rename (Edukey Earnings) (person pay)
        collapse (sum) pay (count) n = pay, by(person TaxYear)
        gen double mean = pay / n
        keep person TaxYear mean
        list person TaxYear mean pay
        """
    )
    findings = check(code, data_dir)
    assert [f.message for f in findings] == ["variable 'pay' does not exist at this point"]


def test_uncertain_data_is_not_reported(data_dir):
    # after reshape (or a program) the checker cannot list the variables: it reports nothing
    code = EARNINGS + "reshape wide Earnings, i(Edukey) j(TaxYear)\nlist Earnings2018 whatever\n"
    assert "variable" not in found(code, data_dir)
    code = 'odbc load, exec("SELECT 1 AS a") dsn(x) clear\ngen b = a + c\n'
    assert not check(code, data_dir)


def test_loops_macros_and_captured_confirms_are_followed(data_dir):
    code = textwrap.dedent(
        """\
        forvalues y = 2005/2020 {
            capture confirm file "data_csv/hesa_`y'.csv"
            if _rc continue
            import delimited using "data_csv/hesa_`y'.csv", clear case(preserve) stringcols(_all)
            capture confirm variable HE_SEXID
            if !_rc gen sex = HE_SEXID
            else gen sex = HE_GENDER
            local yy = substr("`y'", 3, 2)
            gen year`yy' = 1
        }
        """
    )
    assert not check(code, data_dir)
    # without the guard the years the project lacks are reported, and HE_GENDER in 2013 on
    unguarded = code.replace(
        '    capture confirm file "data_csv/hesa_`y\'.csv"\n    if _rc continue\n', ""
    )
    unguarded = unguarded.replace(
        "    capture confirm variable HE_SEXID\n    if !_rc gen sex = HE_SEXID\n    else ", "    "
    )
    messages = [f.message for f in check(unguarded, data_dir)]
    assert any("hesa_2005.csv does not exist" in m for m in messages), messages
    assert any("'HE_GENDER' does not exist" in m for m in messages), messages


def test_leading_zeros_read_as_numbers_are_reported_when_used(data_dir):
    idbr = 'import delimited using "data_csv/idbr_enterprise_lookup.csv", clear case(preserve)\n'
    assert "leading-zeros" in found(idbr + "keep if ENTKEY != .\n", data_dir)
    assert "leading-zeros" not in found(idbr + "drop ENTKEY\n", data_dir)
    as_text = idbr.replace("case(preserve)", "case(preserve) stringcols(_all)")
    assert not check(as_text + 'keep if ENTKEY != ""\n', data_dir)


def test_merge_keys_must_have_one_type(data_dir):
    code = textwrap.dedent(
        """\
        import delimited using "data_csv/learner_ae_id_to_edukey_lookup.csv", clear case(preserve)
        tempfile edk
        save `edk'
        import delimited using "data_csv/learner_ae_id_to_pmr_lookup.csv", clear case(preserve) stringcols(_all)
        merge m:1 AE_ID using `edk'
        """
    )
    assert "type" in found(code, data_dir)  # AE_ID is a number in one file, text in the other
    assert "type" not in found(
        code.replace("case(preserve)\n", "case(preserve) stringcols(_all)\n", 1), data_dir
    )


def test_ssc_commands_need_a_declaration_and_a_guard(data_dir):
    code = EARNINGS + "reghdfe Earnings TaxYear, absorb(Edukey)\n"
    assert any("SSC package reghdfe" in f.message for f in check(code, data_dir))
    assert "ssc-fallback" in found(code, data_dir, packages=["reghdfe"])
    guarded = EARNINGS + textwrap.dedent(
        """\
        capture which reghdfe
        if _rc == 0 {
            reghdfe Earnings TaxYear, absorb(Edukey)
        }
        else {
            areg Earnings TaxYear, absorb(Edukey)
        }
        """
    )
    assert not check(guarded, data_dir, packages=["reghdfe"])


def test_a_waiver_names_the_rule_it_silences(data_dir):
    code = EARNINGS + "egen n = total(TaxYear)  // stata-check: ok float-sum (a count, exact)\n"
    assert not check(code, data_dir)
    other = EARNINGS + "egen n = total(TaxYear)  // stata-check: ok group-type\n"
    assert "float-sum" in found(other, data_dir)


def test_use_after_a_change_needs_clear(data_dir):
    code = "tempfile t\n" + EARNINGS + "save `t'\ngen double x = 1\nuse `t'\n"
    assert any("without 'clear'" in f.message for f in check(code, data_dir))
    assert not check(code.replace("use `t'", "use `t', clear"), data_dir)


def test_the_cli_checks_pages_and_fails_on_findings(tmp_path, data_dir):
    bad = page_with_block(tmp_path, "outcomes/annualise_earnings.md", fixture("annualise_earnings"))
    good = os.path.join(ROOT, "recipes", "outcomes", "annualise_earnings.md")
    cmd = [sys.executable, os.path.join(ROOT, "tools", "recipes.py"), "stata", "--data", data_dir]
    env = dict(os.environ)
    ok = subprocess.run(cmd + [good], capture_output=True, text=True, cwd=ROOT, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "[ok] outcomes/annualise_earnings" in ok.stdout
    ko = subprocess.run(cmd + [bad.path], capture_output=True, text=True, cwd=ROOT, env=env)
    assert ko.returncode == 1 and "days.dta" in ko.stdout, ko.stdout + ko.stderr
