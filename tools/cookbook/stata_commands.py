"""Stata 16/17 built-in command names, with their shortest abbreviations, and the SSC
packages the cookbook knows (which commands each provides).

    from cookbook.stata_commands import builtin, SSC_PACKAGES
    builtin("gen")        # 'generate'
    builtin("reghdfe")    # None: not built in

Written from the command index of the Stata 16/17 documentation (Base Reference, Data
Management, Programming, Graphics, Longitudinal-Data/Panel-Data, Time-Series, Survey,
Multiple-Imputation, Survival, Structural Equation and Multivariate Statistics manuals).
``min:rest`` means the command may be abbreviated down to ``min`` (``g:enerate`` accepts g,
ge, gen, ..., generate), as the manuals underline it; where we were not sure of an
abbreviation only the full name is accepted. Stata 16's documented ado-file commands
(``cookbook.stata_commands_ado``) are accepted too. Commands added after Stata 17
(``dtable``, ``bmaregress``...) are deliberately absent.
"""

from cookbook.stata_commands_ado import ADO_COMMANDS

_BUILTIN = """
alpha anova append areg arch args arima asclogit asmprobit asroprobit assert avplot avplots
bcal betareg binreg biprobit biplot bitest bitesti bootstrap boxcox br:owse brier bsample
bsqreg by bys:ort
ca canon cap:ture cc cci cd centile cf char checksum ci cii clear clogit clonevar cloglog
cls cluster cmdlog cnsreg codebook collapse collect compare compress conf:irm constraint
continue contract copy cor:relate corr2data corrgram cou:nt cross cs csi cumul cusum cwf
d:escribe datasignature dbeta decode destring dfbeta dfgls dfuller di:splay didregress dir
discard discrim do doedit dotplot drawnorm drop ds dstdize duplicates dydx dyndoc dyntext
edit egen eivreg else encode end erase eret:urn error est:imates estat etable etregress exit
expand expandcl export
factor file filefilter fillin findit fmm foreach format forv:alues fp fracpoly fracreg frame
frames frget frlink frontier fvexpand fvset
g:enerate gettoken gl:obal glm glogit gmm gnbreg gprobit gr:aph gsem gsort
hausman heckman heckoprobit heckprobit help hetprobit hexdump hist:ogram hotelling
icc icd10 icd9 if import include infile infix input insheet ins:pect integ intreg ipolate
iqreg ir iri isid ivpoisson ivprobit ivregress ivtobit
jackknife jdbc joinby
kappa kdensity keep ksmirnov ktau kwallis
l:ist la:bel labelbook ladder levelsof lincom line linktest lnskew0 loc:al log logistic
logit loneway lookfor lowess lpoly lroc lrtest ls lsens lstat ltable lv
macro makecns manova mantel margins marginsplot mark markin markout marksample mat:rix
matlist mata mca mds mean median memory menl merge meglm melogit menbreg meologit
meoprobit mepoisson meprobit mestreg mfp mgarch mhodds mi misstable mixed mkdir mkmat
mkspline ml mlexp mlogit more move mprobit mvdecode mvencode mvreg mvtest
n:oisily nbreg nestreg net newey nl nlcom nlogit nlsur notes nptrend numlabel numlist
odbc ologit oneway oprobit order orthog orthpoly outfile outsheet ovtest
pac pause pca pcorr pctile permute pkcollapse pnorm poisson post postclose postfile
postutil power prais predict predictnl preserve pr:ogram probit proportion prtest prtesti
putdocx putexcel putmata putpdf pwcorr pwd pwmean python
qnorm qreg qui:etly query
range ranksum ratio recast recode reg:ress reg3 ren:ame replace reshape restore return
rm rmdir robvar roccomp rocfit rocreg rolling rotate rreg run rvfplot rvpplot
sample save saveold sc:atter sca:lar scobit sdtest search sem separate serrbar set shell
signrank signtest simulate sktest sleep slogit smooth snapshot sort spearman split
splitsample sqreg sreturn ssc st stack statsby stcox stcurve stdescribe stem stepwise stjoin
streg sts stset stsplit stsum stvary su:mmarize sunflower sureg svmat svy svydescribe svyset
swilk symmetry syntax sysdir sysuse
ta:bulate tab1 tab2 tabdisp tabi table tabodds tabstat tempfile tempname tempvar teffects
test testnl testparm tetrachoric timer tnbreg tobit tokenize tostring total tpoisson
translate truncreg tsappend tsfill tsline tsreport tsrevar tsset tssmooth ttest ttesti
tw:oway type
ucm unab unicode unzipfile update use uselabel
var varbasic varsoc vec vecrank vers:ion view vl vwls
webuse which while window winexec
xi xpose xtabond xtcloglog xtdata xtdescribe xtdidregress xtdpd xtdpdsys xtfrontier xtgee
xtgls xtheckman xtile xtintreg xtivreg xtline xtlogit xtmixed xtnbreg xtologit xtoprobit
xtpcse xtpoisson xtprobit xtrc xtreg xtregar xtset xtsum xttab xttobit xtunitroot
zinb zip zipfile
_pctile _rmcoll _robust _predict
"""

#: SSC (or author-hosted) packages: {package: commands it provides}. A page that uses one
#: declares it in front matter (stata_packages) and guards each use with `capture which`.
SSC_PACKAGES = {
    "reghdfe": ["reghdfe"],
    "ftools": ["fegen", "fcollapse", "fmerge", "fisid", "fsort", "join", "flevelsof"],
    "rdrobust": ["rdrobust", "rdbwselect", "rdplot"],
    "rddensity": ["rddensity", "rdplotdensity"],
    "estout": ["esttab", "eststo", "estout", "estadd", "estpost"],
    "ivreg2": ["ivreg2"],
    "ranktest": ["ranktest"],
    "gtools": ["gcollapse", "gegen", "gisid", "glevelsof", "gquantiles", "gtop", "gstats"],
    "distinct": ["distinct"],
    "unique": ["unique"],
    "winsor2": ["winsor2"],
    "outreg2": ["outreg2"],
    "boottest": ["boottest"],
    "parmest": ["parmest"],
    "binscatter": ["binscatter"],
    "coefplot": ["coefplot"],
    "egenmore": [],
    "fre": ["fre"],
}

#: what the SRS calls the way in: an import request of the package's files (.ado, .sthlp, .mata)
IMPORT_NOTE = "an import request of its .ado and .sthlp files"


def _table():
    table = {}
    for entry in _BUILTIN.split():
        if ":" in entry:
            short, rest = entry.split(":", 1)
            full = short + rest
            for i in range(len(short), len(full) + 1):
                table.setdefault(full[:i], full)
        else:
            table.setdefault(entry, entry)
    return table


_TABLE = _table()


def builtin(name):
    """The full name of a built-in command (an abbreviation allowed), or None."""
    if name in _TABLE:
        return _TABLE[name]
    return name if name in ADO_COMMANDS else None


def package_of(command):
    """The SSC package providing ``command``, or None."""
    for pkg, commands in SSC_PACKAGES.items():
        if command in commands:
            return pkg
    return None
