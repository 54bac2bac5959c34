* Not executed here (no Stata in the test environment). Stata 16+.
import delimited using "data_csv/leo_employment.csv", clear stringcols(1 2 3) case(preserve)
drop if trim(EduKey) == ""
gen start = date(StartDate, "YMD")
gen end = cond(EndDate == "9999-12-31", mdy(4, 5, 2021), date(EndDate, "YMD"))
gen long spell = _n
expand 5                                                // tax years 2016/17 ... 2020/21
bysort spell: gen int y = 2015 + _n
forvalues k = 0/5 {                                     // October (k=0) ... March (k=5)
    local m = mod(9 + `k', 12) + 1
    gen byte m`k' = start <= dofm(ym(y + (`k' >= 3), `m') + 1) - 1 & end >= mdy(`m', 1, y + (`k' >= 3))
}
collapse (max) m0-m5, by(EduKey y)
egen byte months_oct_mar = rowtotal(m0-m5)
gen byte sustained_paye = months_oct_mar >= 5
gen long TaxYear = y * 100 + mod(y + 1, 100)
* then merge 1:1 EduKey TaxYear with the SA records (rename Edukey EduKey) and
* gen sustained = sustained_paye | sa_record
