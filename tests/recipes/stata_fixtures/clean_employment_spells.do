* Not executed here (no Stata in the test environment). Stata 16+.
import delimited using "data_csv/leo_employment.csv", clear stringcols(1 2 3) case(preserve)
drop if trim(EduKey) == ""
gen byte open = EndDate == "9999-12-31"
gen start = date(StartDate, "YMD")
gen end = cond(open, mdy(4, 5, 2021), date(EndDate, "YMD"))
format start end %td
gen byte defaulted_start = UncertainStartDate == 1 & month(start) == 4 & day(start) == 6
* one row per spell and tax year it touches
gen int first_ty = year(start) - (start < mdy(4, 6, year(start)))
gen int last_ty  = year(end)   - (end   < mdy(4, 6, year(end)))
expand last_ty - first_ty + 1
bysort EduKey start: gen int ty = first_ty + _n - 1
keep if inrange(ty, 2016, 2020)
gen days = min(end, mdy(4, 5, ty + 1)) - max(start, mdy(4, 6, ty)) + 1
gen byte defaulted_here = defaulted_start & start == mdy(4, 6, ty)
collapse (sum) days_employed = days (max) defaulted_here, by(EduKey ty)
gen byte full_year = days_employed == mdy(4, 5, ty + 1) - mdy(4, 6, ty) + 1
gen long TaxYear = ty * 100 + mod(ty + 1, 100)
