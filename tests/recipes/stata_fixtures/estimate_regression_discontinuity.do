* Not executed here (no Stata in the test environment). Stata 16+ with rdrobust
* (net install rdrobust, from(https://raw.githubusercontent.com/rdpackages/rdrobust/master/stata) replace).
* rd.dta: one row per main-scheme application to a scheme provider: offer z MSOA11CD
use rd, clear
encode MSOA11CD, gen(msoa)
rdrobust offer z, c(0) h(0.05) kernel(triangular) vce(cluster msoa)     // fixed h, as the hand version
rdrobust offer z, c(0) vce(cluster msoa)                                // MSE-optimal h, robust CI
* by hand, one side at a time:
* regress offer z [aweight = 1 - abs(z)/0.05] if z >= 0 & z < 0.05, vce(cluster msoa)
