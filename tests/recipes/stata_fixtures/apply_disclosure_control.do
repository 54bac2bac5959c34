* Not executed here (no Stata in the test environment). Stata 16+.
* Counts: tabulate with totals, then suppress and round by hand (or use the SDC tools your
* project has; ONS's ACRO also has a Stata version).
import delimited using "data_csv/ucas_applicant.csv", clear case(preserve)
keep if application_cycle == 2012
contract applicant_polar4_code applicant_imd_code, freq(n) zero
* ... add row and column totals (e.g. with collapse and append), then
gen shown = cond(n < 10, ., floor(n / 5 + 0.5) * 5)     // threshold, round half up to 5
* secondary suppression: for each row/column with exactly one missing cell, set the smallest
* non-zero other inner cell to missing; repeat until none is left.

* Magnitudes: contributions per enterprise, then the (2, 90%) and p% rules per sector
import delimited using "data_csv/leo_earnings.csv", clear stringcols(1 4) case(preserve)
keep if TaxYear == 201819 & main_enterprise != ""
collapse (sum) x = Earnings, by(Main_Section main_enterprise)
gsort Main_Section -x
by Main_Section: gen rank = _n
by Main_Section: egen total = total(x)
by Main_Section: egen top2 = total(cond(rank <= 2, x, 0))
by Main_Section: egen top1 = max(x)
by Main_Section: gen n = _N
gen byte dominated = top2 > 0.9 * total | (total - top2) < 0.1 * top1
by Main_Section: keep if _n == 1
gen sum = cond(n < 10 | dominated, ., floor(total / 1000 + 0.5) * 1000)
replace n = cond(n < 10, ., floor(n / 5 + 0.5) * 5)
