#!/usr/bin/env bash
# fuzz.sh: run every Go fuzz target in the module, one at a time.
#
#   scripts/fuzz.sh [FUZZTIME]
#
# Finds each `func FuzzXxx(f *testing.F)` in the module's *_test.go files and
# runs `go test -run '^$' -fuzz '^FuzzXxx$' -fuzztime FUZZTIME ./pkg/` for it.
# FUZZTIME is anything -fuzztime takes (30s, 5m, 10000x); default 30s. The
# seed corpora under each package's testdata/fuzz/ run first; a failing input
# the fuzzer finds is written there (go test prints the command to re-run it).
#
# Environment: GO (default go).
# Exit status: 0 every target passed; 1 a target failed (stops at the first,
# naming it), no target was found or a required one (the list below) is missing;
# 2 bad usage.
set -euo pipefail

cd "$(dirname "$0")/.."
GO="${GO:-go}"

if [ $# -gt 1 ]; then
  echo "usage: scripts/fuzz.sh [FUZZTIME]" >&2
  exit 2
fi
FUZZTIME="${1:-30s}"
if ! [[ "$FUZZTIME" =~ ^[0-9]+(ns|us|µs|ms|s|m|h|x)$|^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$ ]]; then
  echo "fuzz: FUZZTIME must be a duration (30s, 5m) or a count (1000x), got \"$FUZZTIME\"" >&2
  exit 2
fi

# Lines of "package-dir target", sorted. Hidden directories, testdata and vendor are skipped.
targets=$(
  find . \( -path '*/.*' -o -name testdata -o -name vendor \) -prune -o -name '*_test.go' -type f -print |
    while read -r file; do
      sed -nE 's/^func (Fuzz[A-Za-z0-9_]*)\([A-Za-z_][A-Za-z0-9_]* \*testing\.F\).*/\1/p' "$file" |
        while read -r name; do echo "$(dirname "$file") $name"; done
    done | sort -u
)
if [ -z "$targets" ]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi

# Targets the README's safety table names as proof; a missing one (renamed, deleted) is a failure,
# not a silently smaller run. One per line.
required="FuzzTagDecode FuzzTrafficFigures FuzzRedact FuzzText FuzzDecisionCache"
for name in $required; do
  if ! grep -q " ${name}\$" <<<"$targets"; then
    echo "fuzz: required target $name not found" >&2
    exit 1
  fi
done

# run_target DIR NAME fuzzes one target. Go's fuzzer can end a run with "context deadline exceeded"
# when -fuzztime passes while its workers are starved of CPU (a loaded machine), without finding
# anything: no new input is written. That one case is run again, once; a failure that saved an
# input, or a second such ending, fails.
run_target() {
  local dir=$1 name=$2 corpus="$1/testdata/fuzz/$2" before after log
  before=$(ls "$corpus" 2>/dev/null | wc -l)
  log=$(mktemp)
  if "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir/" </dev/null 2>&1 | tee "$log"; then
    rm -f "$log"
    return 0
  fi
  after=$(ls "$corpus" 2>/dev/null | wc -l)
  if grep -q 'context deadline exceeded' "$log" && [ "$before" = "$after" ]; then
    rm -f "$log"
    echo "fuzz: $name stopped at its deadline without a failing input (a starved worker); running it again once"
    "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir/" </dev/null
    return
  fi
  rm -f "$log"
  return 1
}

count=$(wc -l <<<"$targets")
echo "fuzz: $count targets, $FUZZTIME each"
n=0
while read -r dir name; do
  n=$((n + 1))
  echo "fuzz: [$n/$count] $name in $dir/"
  start=$SECONDS
  if ! run_target "$dir" "$name"; then
    echo "fuzz: FAILED: $name in $dir/ (see above; an input the fuzzer found is saved under $dir/testdata/fuzz/$name/)" >&2
    exit 1
  fi
  echo "fuzz: $name passed in $((SECONDS - start))s"
done <<<"$targets"
echo "fuzz: $count targets passed"
