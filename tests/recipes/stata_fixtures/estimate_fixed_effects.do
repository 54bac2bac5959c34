* Not executed here (no Stata in the test environment). Stata 16+ with reghdfe (ssc install reghdfe ftools).
import delimited using "data_csv/leo_earnings.csv", clear stringcols(1 4) case(preserve)
keep if TaxYear >= 201718 & Earnings >= 5000 & main_enterprise != ""
bysort Edukey: drop if _N == 1                     // singletons (reghdfe would drop them too)
gen lny = ln(Earnings)
gen byte mover = Num_Employments == 2
encode Edukey, gen(worker)
reghdfe lny mover i.TaxYear, absorb(worker) vce(cluster worker)
* equivalently: xtset worker; xtreg lny mover i.TaxYear, fe vce(cluster worker)
