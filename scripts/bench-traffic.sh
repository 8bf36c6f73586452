#!/usr/bin/env bash
# bench-traffic.sh: the cost of idle detection in `reaper plan`, process-separated.
#
# Starts a stand-alone simulator of SIZE generated instances (the e2e test binary in simulator
# mode, no added latency), then runs `bin/reaper plan` with the bundled idle params (idle
# detection on) at RPS requests per second and idle.budget BUDGET:
#   plan 1: cold (an empty state store): at most the budget's calls; the rest are pending.
#   plan 2..PLANS: the same store: each fetches the next most important instances and reuses
#              what was fetched (a refresh costs one call per instance that came due).
# For each plan it prints wall and CPU time, peak RSS, the traffic calls (from reaper's log) and
# the instances pending (from report.json) and the size of the state store. Bills are off, so
# the figures are traffic's and the cycle's own.
#
# Environment: GO (go), SIZE (100000), RPS (1000), BUDGET (60s), PLANS (2), BIN (bin/reaper).
# Needs Linux, GNU time at /usr/bin/time, and jq. Only loopback is used.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

GO=${GO:-go}
SIZE=${SIZE:-100000}
RPS=${RPS:-1000}
BUDGET=${BUDGET:-60s}
PLANS=${PLANS:-2}
BIN=${BIN:-$root/bin/reaper}

die() { echo "bench-traffic: $2" >&2; exit "$1"; }
[[ -x /usr/bin/time ]] || die 2 "needs GNU time at /usr/bin/time"
command -v jq >/dev/null || die 2 "needs jq"

work=$(mktemp -d "${TMPDIR:-/tmp}/reaper-bench-traffic.XXXXXX")
sim_pid=
cleanup() {
	[[ -n $sim_pid ]] && { kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; }
	rm -rf "$work"
}
trap cleanup EXIT

echo "machine: $(nproc) CPUs, $($GO version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
[[ -x $BIN ]] || make -s build >/dev/null || die 2 "make build failed"
$GO test -c -o "$work/e2e.test" ./test/e2e/ || die 2 "cannot build the simulator"

REAPER_BENCH_SIM_ADDR=127.0.0.1:0 REAPER_BENCH_SIM_SIZE=$SIZE REAPER_BENCH_SIM_LATENCY=0s \
	"$work/e2e.test" >"$work/sim.out" 2>&1 &
sim_pid=$!
endpoint=
for _ in $(seq 600); do
	endpoint=$(sed -n 's/^endpoint: //p' "$work/sim.out")
	[[ -n $endpoint ]] && break
	kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.out" >&2; die 2 "the simulator exited"; }
	sleep 0.2
done
[[ -n $endpoint ]] || die 2 "the simulator did not start"

printf '%s\n' reaper-sim-secret >"$work/secret"
chmod 600 "$work/secret"
cat >"$work/config.yaml" <<EOF
zenlayer:
  endpoint: $endpoint
  access_key_id: REAPER-SIM-KEY
  access_key_secret_file: $work/secret
  requests_per_second: $RPS
mode: dry-run
idle: {budget: $BUDGET}
safety:
  grace_period: 0s
  max_terminations_per_run: 1000000
  max_terminations_percent: 100
  max_fleet_drop_percent: 50
pricing: {bills: false}
state_dir: $work/state
report: {dir: $work/reports, formats: [json, html]}
metrics: {listen: ""}
log: {level: debug, format: json}
EOF

echo "== bin/reaper plan, $SIZE instances, idle detection on, $RPS rps, idle.budget $BUDGET"
for run in $(seq "$PLANS"); do
	tv=$work/time-$run.txt
	/usr/bin/time -v -o "$tv" "$BIN" plan --config "$work/config.yaml" >"$work/stdout-$run" 2>"$work/stderr-$run" ||
		{ tail -5 "$work/stderr-$run" >&2; die 2 "reaper plan failed"; }
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.1f", s }' "$tv")
	rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tv")
	cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.1f", u + s }' "$tv")
	calls=$(grep '"msg":"traffic enriched"' "$work/stderr-$run" | jq -r '.traffic_calls' | tail -1)
	eligible=$(grep '"msg":"traffic enriched"' "$work/stderr-$run" | jq -r '"eligible \(.eligible), cached \(.cached), fetched \(.fetched), pending \(.pending), failed \(.failed)"' | tail -1)
	rep=$(sed -n 's/^report: //p' "$work/stdout-$run")
	pending=$(jq '.summary.traffic_pending' "$rep/report.json")
	echo "plan $run: wall ${wall} s, cpu ${cpu} s, max RSS ${rss} MB; traffic calls ${calls:-?} ($eligible); report pending $pending; state $(du -sh "$work/state" | cut -f1); load $(cut -d' ' -f1 /proc/loadavg)"
done
