#!/usr/bin/env bash
# bench-cycle.sh: reaper's scale figures (docs/PERFORMANCE.md), measured against the simulator.
#
#   scripts/bench-cycle.sh [inprocess] [plan] [idle]      (default: all three)
#
# inprocess  BenchmarkCycle100k (test/e2e): one dry-run cycle over SIZE simulated instances, every
#            call delayed LATENCY, simulator in the same process. Wall time, peak RSS, peak heap.
# plan       `bin/reaper plan` in a process of its own against a stand-alone simulator of SIZE
#            instances (LATENCY per call), PLAN_RUNS times on the same state: wall time and
#            maximum RSS of reaper alone (/usr/bin/time -v), reports in json and html. Each plan
#            saves the decision cache in the (bbolt) state: run 1 is cold (it only notes the
#            fleet), run 2 analyses it, run 3 on serves from the cache (a plan after a daemon's
#            cycles is like run 3).
# idle       `bin/reaper run` (the daemon, schedule "@every IDLE_INTERVAL") against a simulator of
#            each of IDLE_SIZES: VmRSS before the first cycle and at IDLE_SAMPLES seconds after
#            the first cycle's report appeared (before the second cycle). A sample taken while
#            the daemon used more than 0.1 s of CPU in the second before (a cycle running, its
#            report not yet written) or after a second report is shown but not judged.
#
# Idle enrichment is out of scope in every measurement (policies.params idle.min_age: 1000w, so
# no instance is eligible and no DescribeInstanceTraffic call is made); its cost is measured by
# BenchmarkEnrichRate and BenchmarkCycle100kWarmTraffic (see docs/PERFORMANCE.md).
#
# Environment: GO (go), SIZE (100000), LATENCY (50ms), PLAN_RUNS (3), IDLE_SIZES ("10000 100000"),
# IDLE_INTERVAL (60s), IDLE_SAMPLES ("2 10 20 40"), IDLE_LATENCY (LATENCY).
# Targets: cycle under 10 s, peak RSS under 250 MB, idle daemon under 50 MB RSS.
# Exit status: 0 every target met, 1 a target missed, 2 the measurement could not run.
# Needs Linux (/proc) and GNU time at /usr/bin/time. Only loopback is used.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

GO=${GO:-go}
SIZE=${SIZE:-100000}
LATENCY=${LATENCY:-50ms}
PLAN_RUNS=${PLAN_RUNS:-3}
IDLE_SIZES=${IDLE_SIZES:-10000 100000}
IDLE_INTERVAL=${IDLE_INTERVAL:-60s}
IDLE_SAMPLES=${IDLE_SAMPLES:-2 10 20 40}
IDLE_LATENCY=${IDLE_LATENCY:-$LATENCY}
TARGET_CYCLE_S=10
TARGET_PEAK_MB=250
TARGET_IDLE_MB=50
BIN=${BIN:-$root/bin/reaper}

die() { echo "bench-cycle: $2" >&2; exit "$1"; }
missed=0
verdict() { # verdict NAME VALUE TARGET UNIT
	if awk -v v="$2" -v t="$3" 'BEGIN { exit !(v < t) }'; then
		printf '  %-44s %10s %-3s target < %s %s: ok\n' "$1" "$2" "$4" "$3" "$4"
	else
		printf '  %-44s %10s %-3s target < %s %s: MISSED\n' "$1" "$2" "$4" "$3" "$4"
		missed=1
	fi
}

steps=("$@")
[[ ${#steps[@]} -eq 0 ]] && steps=(inprocess plan idle)
for s in "${steps[@]}"; do
	case $s in inprocess | plan | idle) ;; *) die 2 "unknown step $s (inprocess, plan, idle)" ;; esac
done
[[ -r /proc/self/status ]] || die 2 "needs Linux /proc"

work=$(mktemp -d "${TMPDIR:-/tmp}/reaper-bench.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $($GO version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- in-process benchmark -------------------------------------------------------------------
if [[ " ${steps[*]} " == *" inprocess "* ]]; then
	[[ $SIZE == 100000 && $LATENCY == 50ms ]] ||
		echo "note: BenchmarkCycle100k always uses 100000 instances and 50ms (SIZE, LATENCY apply to plan and idle)"
	echo
	echo "== in-process: BenchmarkCycle100k (simulator in the same process)"
	out=$($GO test -run '^$' -bench '^BenchmarkCycle100k$' -benchtime 1x -timeout 30m ./test/e2e/ 2>&1) ||
		{ echo "$out"; die 2 "BenchmarkCycle100k failed"; }
	line=$(grep '^BenchmarkCycle100k' <<<"$out") || { echo "$out"; die 2 "no benchmark result"; }
	echo "$line"
	metric() { awk -v unit="$1" '{ for (i = 2; i <= NF; i++) if ($i == unit) print $(i-1) }' <<<"$line"; }
	verdict "cycle wall time (in-process)" "$(awk -v ns="$(metric ns/op)" 'BEGIN { printf "%.2f", ns / 1e9 }')" $TARGET_CYCLE_S s
	# The RSS includes the simulator and its fleet, so it is shown, not judged: the plan step
	# measures reaper alone.
	printf '  %-44s %10s MB  (simulator included: %s MB before the cycle)\n' "peak RSS (reaper + simulator)" \
		"$(metric peak-rss-MB)" "$(metric start-rss-MB)"
fi

# --- a stand-alone simulator (the e2e test binary in simulator mode) ------------------------
simbin=$work/e2e.test
build_sim() {
	[[ -x $simbin ]] || $GO test -c -o "$simbin" ./test/e2e/ || die 2 "cannot build the simulator"
}

# start_sim SIZE LATENCY: starts a simulator on a free loopback port; sets sim_pid and endpoint.
start_sim() {
	build_sim
	local log=$work/sim-$1.out
	REAPER_BENCH_SIM_ADDR=127.0.0.1:0 REAPER_BENCH_SIM_SIZE=$1 REAPER_BENCH_SIM_LATENCY=$2 "$simbin" >"$log" 2>&1 &
	sim_pid=$!
	pids+=("$sim_pid")
	endpoint=
	for _ in $(seq 600); do
		endpoint=$(sed -n 's/^endpoint: //p' "$log")
		[[ -n $endpoint ]] && return 0
		kill -0 "$sim_pid" 2>/dev/null || { cat "$log" >&2; die 2 "the simulator exited"; }
		sleep 0.2
	done
	die 2 "the simulator did not start within 120 s"
}

stop_pid() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# write_config DIR ENDPOINT SCHEDULE [LEVEL]: a dry-run config for the simulator, enrichment out
# of scope, logging at LEVEL (info).
write_config() {
	mkdir -p "$1"
	printf '%s\n' "$benchsecret" >"$1/secret"
	chmod 600 "$1/secret"
	cat >"$1/config.yaml" <<-EOF
		zenlayer:
		  endpoint: $2
		  access_key_id: REAPER-SIM-KEY
		  access_key_secret_file: $1/secret
		  requests_per_second: 1000
		schedule: "$3"
		mode: dry-run
		policies:
		  params: {idle: {min_age: 1000w}}
		safety:
		  grace_period: 0s
		  max_terminations_per_run: 1000000
		  max_terminations_percent: 100
		  max_fleet_drop_percent: 50
		state_dir: $1/state
		report: {dir: $1/reports, formats: [json, html]}
		metrics: {listen: ""}
		log: {level: ${4:-info}, format: json}
	EOF
}
benchsecret=reaper-sim-secret # the simulator's, opens nothing but it

need_bin() {
	if [[ ! -x $BIN ]]; then
		echo "building $BIN"
		make -s build >/dev/null || die 2 "make build failed"
	fi
}

# --- reaper plan in its own process ---------------------------------------------------------
if [[ " ${steps[*]} " == *" plan "* ]]; then
	[[ -x /usr/bin/time ]] || die 2 "needs GNU time at /usr/bin/time"
	need_bin
	echo
	echo "== process-separated: bin/reaper plan, $SIZE instances, $LATENCY per call"
	start_sim "$SIZE" "$LATENCY"
	echo "simulator: $endpoint (pid $sim_pid)"
	write_config "$work/plan" "$endpoint" "@every 1h" debug # the policy engine's line is at debug
	for run in $(seq "$PLAN_RUNS"); do
		tv=$work/plan/time-$run.txt
		if ! /usr/bin/time -v -o "$tv" "$BIN" plan --config "$work/plan/config.yaml" \
			>"$work/plan/stdout-$run" 2>"$work/plan/stderr-$run"; then
			cat "$work/plan/stderr-$run" >&2
			die 2 "reaper plan failed"
		fi
		wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.2f", s }' "$tv")
		rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tv")
		cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$tv")
		summary=$(head -1 "$work/plan/stdout-$run")
		[[ $summary == *": ok, $SIZE instances in inventory" ]] ||
			{ cat "$work/plan/stdout-$run"; die 2 "plan did not see the whole fleet: $summary"; }
		rep=$(sed -n 's/^report: //p' "$work/plan/stdout-$run")
		size=$(du -sh "$rep" | cut -f1)
		echo "run $run: wall ${wall} s, cpu ${cpu} s, max RSS ${rss} MB; $summary; report $size"
		# The policy evaluation of the cycle (the engine's debug lines, one per chunk of instances):
		# its time and the decisions the decision cache served.
		grep '"msg":"policy evaluation"' "$work/plan/stderr-$run" |
			sed -n 's/.*"instances":\([0-9]*\),"served_from_cache":\([0-9]*\),.*"duration_seconds":\([0-9.e-]*\).*/\1 \2 \3/p' |
			awk '{ n += $1; s += $2; d += $3 } END { if (n) printf "  policy evaluation: %.2f s (%.1f us per instance), %d of %d decisions served from the decision cache\n", d, d * 1e6 / n, s, n }' || true
		verdict "plan run $run wall time (reaper alone)" "$wall" $TARGET_CYCLE_S s
		verdict "plan run $run max RSS (reaper alone)" "$rss" $TARGET_PEAK_MB MB
	done
	stop_pid "$sim_pid"
fi

# --- the idle daemon ------------------------------------------------------------------------
rss_of() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
# rss_parts PID: the anonymous (heap, stacks) and file-backed (binary, the state store's mmap) parts.
rss_parts() {
	awk '/^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } END { printf "anon %.1f MB, file %.1f MB", a / 1024, f / 1024 }' \
		"/proc/$1/status" 2>/dev/null || echo "?"
}

# cpu_ticks PID: the CPU time (user and system) the process has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# busy_ticks is how many clock ticks of CPU (1/100 s on Linux) a daemon between cycles may use in
# the second before a sample; more means a cycle is running, even one that has not yet written
# its report.
busy_ticks=10

if [[ " ${steps[*]} " == *" idle "* ]]; then
	need_bin
	interval=${IDLE_INTERVAL%s}
	for n in $IDLE_SIZES; do
		echo
		echo "== idle daemon: bin/reaper run, schedule @every $IDLE_INTERVAL, $n instances, $IDLE_LATENCY per call"
		start_sim "$n" "$IDLE_LATENCY"
		dir=$work/idle-$n
		write_config "$dir" "$endpoint" "@every $IDLE_INTERVAL"
		"$BIN" run --config "$dir/config.yaml" >"$dir/stdout" 2>"$dir/stderr" &
		daemon=$!
		pids+=("$daemon")
		sleep 3
		echo "  before the first cycle (+3 s): VmRSS $(rss_of "$daemon") MB ($(rss_parts "$daemon"))"
		deadline=$((SECONDS + interval + 300))
		until compgen -G "$dir/reports/*/report.json" >/dev/null; do
			kill -0 "$daemon" 2>/dev/null || { cat "$dir/stderr" >&2; die 2 "the daemon exited"; }
			((SECONDS < deadline)) || die 2 "no cycle finished within $((interval + 300)) s"
			sleep 0.5
		done
		t0=$SECONDS
		worst=0
		for at in $IDLE_SAMPLES; do
			while ((SECONDS - t0 < at - 1)); do sleep 0.5; done
			c1=$(cpu_ticks "$daemon")
			sleep 1
			r=$(rss_of "$daemon")
			c2=$(cpu_ticks "$daemon")
			cycles=$(compgen -G "$dir/reports/*/report.json" | wc -l)
			note=""
			((c2 - c1 > busy_ticks)) && note=" (busy: $((c2 - c1)) ticks of CPU in the second before, a cycle is running: sample not between cycles)"
			((cycles > 1)) && note=" (a second cycle had already run: sample not between cycles)"
			echo "  +${at} s after the first cycle's report: VmRSS $r MB ($(rss_parts "$daemon"))$note"
			[[ -z $note ]] && worst=$(awk -v a="$worst" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
		done
		echo "  state store: $(du -sh "$dir/state" | cut -f1), reports: $(du -sh "$dir/reports" | cut -f1)"
		verdict "idle daemon RSS, $n instances (max of samples)" "$worst" $TARGET_IDLE_MB MB
		stop_pid "$daemon"
		stop_pid "$sim_pid"
	done
fi

echo
if ((missed)); then
	echo "bench-cycle: a target was missed (see MISSED above)"
	exit 1
fi
echo "bench-cycle: every target met"
