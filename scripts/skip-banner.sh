#!/usr/bin/env bash
# skip-banner.sh FILE: the end of `make test`. FILE lists the tests that skipped for want of a
# component (the report's browser tests without chromium, the PostgreSQL tests without initdb), one line each, written by the tests
# through $REAPER_SKIP_FILE. If it is not empty, say so loudly on stderr; the exit status stays 0,
# since locally a skip is allowed. (In CI, CI=true, those tests fail instead of skipping.)
set -euo pipefail
file=$1
[ -s "$file" ] || exit 0
{
  echo
  echo "################################################################################"
  echo "##  NOT EVERYTHING WAS TESTED: these tests were SKIPPED on this machine"
  echo "##"
  sort -u "$file" | sed 's/^/##    /'
  echo "##"
  echo "##  Install what they name (apt-get install chromium postgresql, or set CHROMIUM=path)"
  echo "##  and run make test again. CI (CI=true) fails on this instead of skipping."
  echo "################################################################################"
} >&2
