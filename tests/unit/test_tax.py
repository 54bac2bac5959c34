"""leokit.tax against figures HMRC publishes. Runs on the SRS profile too (no pytest.approx
features newer than pytest 5, no f-strings needing 3.8).

Sources (GOV.UK, HMRC):
* NIM12027-NIM12028, National Insurance Manual, "Calculating Class 1 NICs for Directors:
  Annual earnings periods: Examples: Regular monthly salary - 2021 to 2022": a director paid
  £3,000 a month (£36,000 a year) owes primary £3,171.84 ((£36,000 - £9,568) x 12%) and
  secondary £3,748.08 ((£36,000 - £8,840) x 13.8%); 2021/22 PT £9,568, ST £8,840, UEL £50,270.
* NIM12029, "... Examples: Fees voted" (2025/26 version): fees of £56,000 owe primary
  £3,130.60 ((£50,270 - £12,570) x 8% + (£56,000 - £50,270) x 2%) and secondary £7,650.00
  ((£56,000 - £5,000) x 15%).
* Directors' annual rates for 2022/23 (HMRC CA44 and the Autumn Statement 2022 rates table):
  annual primary threshold £11,908, 12.73% and 2.73%, secondary 14.53% above £9,100.
* "Income Tax rates and Personal Allowances" (GOV.UK, 2021/22 onwards): the Personal
  Allowance falls by £1 for every £2 over £100,000 and is zero at £125,140.
* HMRC/HM Treasury 2012/13: with the Personal Allowance at £8,105 and the basic rate limit at
  £34,370, "the income point at which higher rate tax becomes payable will remain £42,475".
"""

import numpy as np
import pandas as pd
import pytest

from leokit import tax


def close(a, b, tol=0.005):
    return abs(float(a) - float(b)) <= tol


def test_nim12028_director_2021_22():
    assert close(tax.employee_nics(36000, 202122), 3171.84)
    assert close(tax.employer_nics(36000, 202122), 3748.08)
    # month by month in the example: cumulative £9,000 is below the PT, above the ST
    assert close(tax.employee_nics(9000, 202122), 0.0)
    assert close(tax.employer_nics(9000, 202122), 22.08)
    assert close(tax.employee_nics(12000, 202122), 291.84)
    assert close(tax.employer_nics(12000, 202122), 436.08)


def test_nim12029_director_2025_26():
    assert close(tax.employee_nics(56000, 202526), 3130.60)
    assert close(tax.employer_nics(56000, 202526), 7650.00)


def test_published_thresholds():
    s = tax.schedule(202122)
    assert (s["pt"], s["st"], s["uel"], s["ee"], s["ee2"], s["er"]) == (
        9568, 8840, 50270, 0.12, 0.02, 0.138,
    )  # fmt: skip
    s = tax.schedule("2022/23")
    assert (s["pt"], s["ee"], s["ee2"], s["st"], s["er"]) == (11908, 0.1273, 0.0273, 9100, 0.1453)


def test_published_thresholds_2020_21_and_2024_25():
    """The two schedules notebook 03 uses. HMRC "Rates and thresholds for employers 2020 to
    2021": primary threshold £183 a week (£9,500 a year), secondary £169 (£8,788), upper earnings
    limit £962 (£50,000), 12%, 2% and 13.8%; Personal Allowance £12,500, basic rate band £37,500.
    "... 2024 to 2025": primary threshold £242 a week (£12,570 a year), secondary £175 (£9,100),
    upper earnings limit £967 (£50,270), employee 8% from 6 April 2024 and 2%, employer 13.8%;
    Personal Allowance £12,570, basic rate band £37,700, additional rate from £125,140."""
    s = tax.schedule(202021)
    assert (s["pa"], s["brb"], s["pt"], s["st"], s["uel"]) == (12500, 37500, 9500, 8788, 50000)
    assert (s["ee"], s["ee2"], s["er"]) == (0.12, 0.02, 0.138)
    s = tax.schedule(202425)
    assert (s["pa"], s["brb"], s["art"], s["pt"], s["st"], s["uel"]) == (
        12570, 37700, 125140, 12570, 9100, 50270,
    )  # fmt: skip
    assert (s["ee"], s["ee2"], s["er"]) == (0.08, 0.02, 0.138)


def test_30000_in_2020_21_as_notebook_03_describes_it():
    # income tax 20% x (30,000 - 12,500); employee 12% x (30,000 - 9,500); employer 13.8% x
    # (30,000 - 8,788): about 20% of pay in income tax and employee NICs, 32p of the next pound
    t = tax.tax_and_nics(30000.0, 202021)
    assert close(t.income_tax[0], 3500.00) and close(t.employee_nics[0], 2460.00)
    assert close(t.employer_nics[0], 2927.26)
    assert abs((t.income_tax[0] + t.employee_nics[0]) / 30000.0 - 0.199) < 0.001
    m = tax.marginal_rates(30000.0, 202021)
    assert close(m.income_tax[0] + m.employee_nics[0], 0.32)


def test_personal_allowance_taper_ends_at_125140():
    # above £125,140 every extra pound is taxed at 40% or 45% only (no allowance left)
    assert close(tax.income_tax(125141, 202122) - tax.income_tax(125140, 202122), 0.40)
    # between £100,000 and £125,140 the allowance falls: 40% + half of 40% = 60%
    assert close(tax.income_tax(110001, 202122) - tax.income_tax(110000, 202122), 0.60)
    assert close(tax.income_tax(100000, 202122), 0.2 * 37700 + 0.4 * (100000 - 12570 - 37700))


def test_higher_rate_starts_at_42475_in_2012_13():
    below = tax.income_tax(42475, 201213) - tax.income_tax(42474, 201213)
    above = tax.income_tax(42476, 201213) - tax.income_tax(42475, 201213)
    assert close(below, 0.20) and close(above, 0.40)
    assert close(tax.income_tax(42475, 201213), 0.2 * 34370)


def test_vectorised_over_pay_and_years_keeps_the_index():
    pay = pd.Series([0.0, 15000.0, 60000.0], index=[7, 8, 9])
    out = tax.income_tax(pay, [201011, 201819, 202425])
    assert list(out.index) == [7, 8, 9]
    assert close(out[7], 0.0)
    assert close(out[8], 0.2 * (15000 - 11850))
    table = tax.tax_and_nics(np.array([20000.0, 20000.0]), 201617)
    assert close(table.net_pay[0], 20000 - table.income_tax[0] - table.employee_nics[0])
    assert close(table.to_exchequer[1], table.income_tax[1] + 0.12 * 11940 + 0.138 * 11888)


def test_progressive_schedule_raises_the_exchequer_share_at_the_margin():
    m = tax.marginal_rates([20000.0, 60000.0], 202425)
    assert close(m.income_tax[0], 0.20) and close(m.income_tax[1], 0.40)
    assert m.exchequer_share_of_cost[1] > m.exchequer_share_of_cost[0]


def test_part_year_scales_the_nic_thresholds():
    half = tax.employee_nics(10000, 202425, share_of_year=0.5)
    assert close(half, 0.08 * (10000 - 12570 / 2.0))
    assert close(tax.employee_nics(10000, 202425), 0.0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: tax.income_tax(30000, 200910), "no tax schedule for tax year(s) [200910]"),
        (lambda: tax.income_tax(-1, 201819), "negative"),
        (lambda: tax.income_tax([1.0, float("nan")], 201819), "missing values"),
        (lambda: tax.income_tax([1.0, 2.0, 3.0], [201819, 201920]), "2 values for 3 pay values"),
        (lambda: tax.employee_nics(1.0, 201819, share_of_year=0), "share_of_year"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as err:
        call()
    assert message in str(err.value)


def test_documented_edge_inputs():
    """Empty pay gives an empty result; numbers written as text and nullable integer Series
    without NULLs are read as amounts (index kept)."""
    empty = tax.tax_and_nics([], 201819)
    assert list(empty.columns) == [
        "pay",
        "income_tax",
        "employee_nics",
        "employer_nics",
        "to_exchequer",
        "net_pay",
    ]
    assert len(empty) == 0
    assert close(tax.income_tax("30000", 201819), tax.income_tax(30000, 201819))
    pay = pd.Series([20000, 60000], index=[7, 9], dtype="Int64")
    out = tax.income_tax(pay, "2018/19")
    assert list(out.index) == [7, 9]
    assert close(out[7], tax.income_tax(20000.0, 201819))
    assert close(tax.employee_nics(30000, 201819, share_of_year=[0.5]),
                 tax.employee_nics(30000, 201819, share_of_year=0.5))  # fmt: skip
