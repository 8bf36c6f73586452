#!/usr/bin/env bash
# perf-doc.sh: splices the results of a scripts/bench-cycle.sh run into docs/PERFORMANCE.md,
# between the lines "<!-- bench-cycle:begin -->" and "<!-- bench-cycle:end -->", replacing what
# was there. The results carry their own date, commit, machine and load average.
#
#   scripts/perf-doc.sh [RESULTS]     (default: bin/bench-cycle/results.md; make perf-doc)
#
# Environment: DOC (docs/PERFORMANCE.md). Exit status 0 spliced, 2 no results or no markers.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
results=${1:-$root/bin/bench-cycle/results.md}
doc=${DOC:-$root/docs/PERFORMANCE.md}
begin='<!-- bench-cycle:begin -->'
end='<!-- bench-cycle:end -->'

die() {
	echo "perf-doc: $1" >&2
	exit 2
}
[[ -s $results ]] || die "no results at $results: run make bench-cycle first"
grep -q '^Measured ' "$results" || die "$results is not a bench-cycle result (no \"Measured\" line)"
[[ -f $doc ]] || die "no $doc"
nb=$(grep -cxF -- "$begin" "$doc" || true)
ne=$(grep -cxF -- "$end" "$doc" || true)
[[ $nb == 1 && $ne == 1 ]] || die "$doc must hold each of the lines $begin and $end once (has $nb and $ne)"
lb=$(grep -nxF -- "$begin" "$doc" | cut -d: -f1)
le=$(grep -nxF -- "$end" "$doc" | cut -d: -f1)
((lb < le)) || die "$doc has $end before $begin"

tmp=$(mktemp "$doc.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
	head -n "$lb" "$doc"
	echo
	cat "$results"
	echo
	tail -n "+$le" "$doc"
} >"$tmp"
chmod --reference="$doc" "$tmp"
mv "$tmp" "$doc"
trap - EXIT
echo "perf-doc: $doc updated from $results"
