#!/usr/bin/env bash
# System components the test suite needs beyond the Python venv. Idempotent and quiet;
# each test that needs a component skips with a printed reason if this could not install it.
set -u
need=()
# SRS profile: pyenv's Python 3.7 interpreter (present on these machines); nothing to install.
# Browser test (tests/environment/test_browser.py): Debian's Chromium, driven by Playwright from the venv.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Recipes (tests/recipes/): R blocks run with Rscript on Debian's R and these CRAN
# packages (quantreg for estimation/estimate_quantile_regression). Without recommends this is
# about 32 packages and 54 MB (quantreg adds about 55); with them 700 and 1.6 GB.
r_packages=(r-base-core r-cran-data.table r-cran-estimatr r-cran-plm r-cran-haven r-cran-quantreg)
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${r_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      need+=("$p")
    fi
  done
fi
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; fi
  (export DEBIAN_FRONTEND=noninteractive
   $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${need[@]}") \
    >/dev/null 2>&1 \
    || echo "tools/test_setup.sh: could not install ${need[*]}; dependent tests will skip" >&2
fi
# Spark (tests/recipes/test_recipes_spark.py): pyspark into the venv, the test-only extra '.[spark]'.
# pyspark 4.3.0 is a 456 MB source download, ~50 s to build and install on a 2-core machine,
# 491 MB in the venv (measured 2026-11-28); it needs Java 17+, so skip it without Java.
PYTHON="${PYTHON:-.venv/bin/python}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if command -v java >/dev/null 2>&1 && [ -x "$PYTHON" ] \
   && ! "$PYTHON" -c "import pyspark" >/dev/null 2>&1; then
  (cd "$root" && "$PYTHON" -m pip install --quiet -e '.[spark]') >/dev/null 2>&1 \
    || echo "tools/test_setup.sh: could not install pyspark; the Spark tests will skip" >&2
fi
exit 0
