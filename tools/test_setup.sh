#!/usr/bin/env bash
# System components the test suite needs beyond the Python venv. Idempotent and quiet;
# each test that needs a component skips with a printed reason if this could not install it.
set -u
need=()
# SRS profile: pyenv's Python 3.7 interpreter (present on these machines); nothing to install.
# Browser test (tests/test_browser.py): Debian's Chromium, driven by Playwright from the venv.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}") >/dev/null 2>&1 \
    || echo "tools/test_setup.sh: could not install ${need[*]}; dependent tests will skip" >&2
fi
exit 0
