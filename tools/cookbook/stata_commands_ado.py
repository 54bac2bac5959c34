"""Stata 16's documented ado-file commands: every command in Stata 16's base ado folder that
ships with a help file of the same name (an ``.ado`` and a ``.sthlp``), as a second source
for ``cookbook.stata_commands`` beside the hand-written list of built-in (internal)
commands. Names only; nothing else is taken from those files.

    from cookbook.stata_commands_ado import ADO_COMMANDS
    "tabstat" in ADO_COMMANDS   # True
"""

ADO_COMMANDS = frozenset(
    """
adjust adoupdate alpha ameans anova anova_terms aorder append arch areg arfima arima asclogit
asmixlogit asmprobit asroprobit assertnested bayes bayesgraph bayesmh bayespredict bayesstats
bayestest bcal betareg binreg biplot biprobit bitest bitowt boot bootstrap boxcox brier brrstat
bsample bstat ca candisc canon cc centile cf changeeol checkdlgfiles checkhlpfiles churdle ci
ci_14_0 ciwidth classutil clear clogit cloglog clonevar cluster cluster_stop clustermat
cmchoiceset cmclogit cmmixlogit cmmprobit cmrologit cmroprobit cmsample cmset cmsummarize cmtab
cmxtmixlogit cnreg cnsreg codebook coefpath collapse compare conren contract contrast copyright
copysource corc corr2data corrgram coxbase cpoisson cross cs cscript cscript_log ct ctset cttost
cumsp cumul cusum cvplot dataex datasignature db dbeta deff describe destring dfactor dfgls
dfuller diflogistic difmh dirstats discrim discrim_knn discrim_lda discrim_logistic discrim_qda
disp_res docx2pdf dotplot dprobit drawnorm ds dsge dsgenl dslogit dspoisson dsregress dstdize
dta_equal dtaverify dtaversion duplicates dvech dydx dyndoc dyntext egen eintreg eivreg
elasticnet eoprobit eprobit eq eregress esize estat estat_eform estimates estimates_notes
eteffects etpoisson etregress exlogistic expandcl expoisson export factor fcast fcast_compute
fcast_graph fillin findfile findit fit fmm for forecast fp fracpoly fracreg frames frget frlink
frontier fvset genrank glm glogit gmm gphdot gphprint graph grebar greigen grmap grmeanby
gs_fileinfo gs_filetype gs_graphinfo gs_stat gsort h hadimvo hausman heckman heckoprobit
heckpoisson heckprobit help hetoprobit hetprobit hetregress hilite histogram hotel hreg hsearch
html2docx icc icd icd10 icd10cm icd10pcs icd9 icd9_13 icd9p iis import import_dbase
import_delimited import_excel import_fred import_haver import_sas import_sasxport8 import_shp
import_spss impute insobs inten intreg ipolate ir irf irf_create irt irtgraph is_svy isid
ivpoisson ivprobit ivreg ivregress ivtobit jackknife jkstat joinby kappa kdensity ksm ksmirnov
kwallis label labelbook ladder lasso lassocoef lassogof lassoinfo lassoknots lassoselect levels
levelsof leverage lfit lincom line linktest lmbuild lnskew0 logistic logit loneway lookfor
lowess lpoly lrecomp lroc lrtest lsens lstat ltable lv makecns manova margins marginsplot
markdown mat_capp mata_matsave matalabel matlist mca mcc mds mdslong mdsmat mdytoe mean means
mecloglog meglm meintreg melogit menbreg menl meologit meoprobit mepoisson meprobit meqrlogit
meqrpoisson merge merge_10 mestreg meta metobit mfp mfx mgarch mgarch_ccc mgarch_dcc
mgarch_dvech mgarch_vcc mhodds mi minbound misstable mixed mkassert mkmat mkspline ml ml_hold
ml_score mlexp mlogit mlopts mprobit mswitch mvencode mvreg mvtest nbreg nestreg newey nl nlcom
nlinit nlogit nlsur notes npregress nptrend ologit ologitp oprobit opts_exclusive order orthog
ovtest palette parse_dissim pause pca pcorr pctile pergram permute pkcollapse pkcross pkequiv
pkexamine pkshape pksumm poisgof poisson poivregress pologit popoisson poregress postest
postrtoe power pperron prais predict predictnl print probit procrustes profiler proportion
prtest psdensity putexcel putmata pwcompare pwmean qby qreg quadchk range ranksum ratio rcof
recast recode reg3 regress remap rename renpfix repeat reshape roccomp rocfit rocreg rocregplot
roctab rolling rologit rotate rotatemat rreg runtest sample sampsi scatter scobit score
scoreplot screeplot sdtest search sem sem_estat_eqgof sem_estat_eqtest sem_estat_framework
sem_estat_ggof sem_estat_ginvariant sem_estat_gof sem_estat_mindices sem_estat_residuals
sem_estat_scoretests sem_estat_stable sem_estat_stdize sem_estat_teffects separate serrbar
set_defaults signestimationsample signrank simulate sktest slogit smooth snapspan spbalance
spcompress spdistance spearman spgenerate spikeplot spivregress split splitsample spmatrix
spmatrix_userdefined spregress spset spshape2dta spxtregress sqrtlasso ssc ssd sspace st st_is
stack statsby stbase stci stcox stcrreg stcstat stcurve stdescribe stem stepwise stfill stgen
stintreg stir storedresults stphtest stpower stptime strate streg sts stset stsplit stsum
stteffects sttocc sttoct stvary stweib suest sunflower sureg svar svy svy_estat svycal
svydescribe svygen svymarkout svymlog svyopts svyset svytest swcox swilk symmetry sysdescribe
sysuse table tabodds tabstat tebalance teffects test testnl teststd tetrachoric threshold tnbreg
tobit tobit_14 total tpoisson treatreg truncreg tsappend tsfill tsfilter tsline tsreport tsset
tssmooth ttest tutorial twoway__function_gen twoway__histogram_gen twoway__kdensity_gen ucm unab
unabbrev unicode var varbasic varclassify varfcast vargranger varlmar varnorm varsoc varstable
varwle vce vec veclmar vecnorm vecrank vecstable viewsource vl vl_list vl_set vwls webdescribe
webgetsem webseek webuse wntestb wntestq xcorr xi xpoivregress xpologit xpopoisson xporegress
xpose xtabond xtcloglog xtcointtest xtcorr xtdata xtdescribe xtdpd xtdpdsys xtfrontier xtgee
xtgls xthausman xtheckman xthtaylor xtintreg xtivreg xtline xtlogit xtmelogit xtmepoisson
xtmixed xtnbreg xtologit xtoprobit xtpcse xtpoisson xtprobit xtrc xtrchh xtreg xtregar xtset
xtstreg xtsum xttab xttobit xtunitroot zinb zioprobit zip zipfile ztest ztnb ztp
""".split()
)
