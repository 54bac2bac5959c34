* Not executed here (no Stata in the test environment). Stata 16+.
* days.dta: Edukey TaxYear days_employed year_length, from the spells recipe
import delimited using "data_csv/leo_earnings.csv", clear stringcols(1) case(preserve)
keep Edukey TaxYear Earnings
keep if inrange(TaxYear, 201617, 202021)
merge 1:1 Edukey TaxYear using days, keep(master match) nogenerate
gen double annualised = Earnings / days_employed * year_length   // missing without days
gen byte part_year = days_employed < year_length if !missing(days_employed)
collapse (count) records = days_employed (sum) part_year (median) median_earnings = Earnings ///
         median_annualised = annualised (p90) p90_annualised = annualised if !missing(days_employed), by(TaxYear)
