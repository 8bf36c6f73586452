#!/usr/bin/env bash
# bench-cycle.sh: reaper's scale figures against the goals of issue 14, in one run, measured
# against the simulator (docs/PERFORMANCE.md).
#
#   scripts/bench-cycle.sh [STEP...]     STEP: policy, plan, idle, inprocess (run in this order)
#                                        (default: $STEPS, or all four in that order)
#
# policy     BenchmarkPolicyVsPlainGo (test/policyref): the policy engine beside the plain-Go
#            reference of the bundled policies, for the same decisions (the benchmark fails when
#            one differs), over POLICY_SIZE instances: warm (a daemon's cycle, decision cache
#            full) and cold (a first cycle, as every one-shot plan). Wall and CPU time,
#            allocations and bytes per instance, and the ratios to plain Go.
# plan       `bin/reaper plan` in a process of its own against a stand-alone simulator, for each
#            of PLAN_SIZES, PLAN_RUNS times on the same state: wall, CPU and maximum RSS of reaper
#            alone (GNU time); the cycle's own duration (its "cycle finished" log line); the
#            record step (from that line to the last report file written: building and writing
#            the reports); the reports' size; garbage collections and the share of CPU they took
#            (GODEBUG=gctrace=1); the load average when the run began. Each plan saves the
#            decision cache in the (bbolt) state: run 1 is cold (it only notes the fleet), run 2
#            analyses it, run 3 on serves from the cache (a plan after a daemon's cycles is like
#            run 3); each run prints its policy evaluation time and the decisions served.
# idle       `bin/reaper run` (the daemon, schedule "@every IDLE_INTERVAL") against a simulator of
#            each of IDLE_SIZES: VmRSS before the first cycle and at IDLE_SAMPLES seconds after
#            the first cycle's report appeared. A sample taken while the daemon used more than
#            0.1 s of CPU in the second before (a cycle running, its report not yet written) or
#            after a second report is shown but not judged.
# inprocess  BenchmarkCycle100k (test/e2e): one dry-run cycle over 100,000 instances, 50 ms per
#            call, simulator in the same process (its RSS is included, so it is shown, not judged).
#
# Idle enrichment is out of scope in plan and idle (policies.params idle.min_age: 1000w: no
# instance is eligible, no DescribeInstanceTraffic call is made).
#
# Goals (issue 14), judged: policy warm <= 10 us and <= 60 allocations per instance; plan at
# 100,000 <= 5 s and <= 150 MB RSS; plan at 300,000 <= 3.3 x the 100,000 wall time and <= 300 MB;
# record step at 100,000 <= 1 s; idle daemon < 50 MB. In-process cycle < 10 s (issue 3's target).
# A goal whose sizes or steps were not run is not judged.
#
# Results: the log on stdout, and OUT/results.md (OUT defaults to bin/bench-cycle): the tables in
# Markdown, with the date, commit, machine and the load average at start and end.
# scripts/perf-doc.sh (make perf-doc) splices that file into docs/PERFORMANCE.md.
#
# Environment: STEPS, GO (go), BIN (bin/reaper, built when missing), OUT (bin/bench-cycle),
# LATENCY (50ms per simulator call), POLICY_SIZE (100000), POLICY_BENCHTIME (3x),
# PLAN_SIZES ("10000 100000 300000"), PLAN_RUNS (3), IDLE_SIZES ("10000 100000"),
# IDLE_INTERVAL (60s), IDLE_SAMPLES ("2 10 20 40"), IDLE_LATENCY (LATENCY), KEEP_WORK (set: keep
# the work directory with the configs, logs and reports, and name it at exit).
# BILLS (true: pricing.bills as shipped; a first plan then reads one bill per candidate, one
# call each at LATENCY, which dominates a cold 100,000-instance plan; false: list prices only).
# A quick subset: STEPS=plan PLAN_SIZES=10000 PLAN_RUNS=1 scripts/bench-cycle.sh
#
# Exit status: 0 every goal judged was met, 1 a goal was missed, 2 the measurement could not run
# (a benchmark, the simulator or a plan failed). Every process it starts is stopped on exit.
# Needs Linux (/proc) and GNU time at /usr/bin/time. Only loopback is used.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

GO=${GO:-go}
LATENCY=${LATENCY:-50ms}
POLICY_SIZE=${POLICY_SIZE:-100000}
POLICY_BENCHTIME=${POLICY_BENCHTIME:-3x}
PLAN_SIZES=${PLAN_SIZES:-10000 100000 300000}
PLAN_RUNS=${PLAN_RUNS:-3}
IDLE_SIZES=${IDLE_SIZES:-10000 100000}
IDLE_INTERVAL=${IDLE_INTERVAL:-60s}
IDLE_SAMPLES=${IDLE_SAMPLES:-2 10 20 40}
IDLE_LATENCY=${IDLE_LATENCY:-$LATENCY}
BIN=${BIN:-$root/bin/reaper}
BILLS=${BILLS:-true}
OUT=${OUT:-$root/bin/bench-cycle}

die() {
	echo "bench-cycle: $2" >&2
	exit "$1"
}

steps=("$@")
[[ ${#steps[@]} -eq 0 ]] && read -r -a steps <<<"${STEPS:-policy plan idle inprocess}"
for s in "${steps[@]}"; do
	case $s in policy | plan | idle | inprocess) ;; *) die 2 "unknown step $s (policy, plan, idle, inprocess)" ;; esac
done
has_step() { [[ " ${steps[*]} " == *" $1 "* ]]; }
[[ -r /proc/self/status ]] || die 2 "needs Linux /proc"
[[ $PLAN_RUNS =~ ^[1-9][0-9]*$ ]] || die 2 "PLAN_RUNS=$PLAN_RUNS is not a positive number"
[[ $BILLS == true || $BILLS == false ]] || die 2 "BILLS=$BILLS is neither true nor false"
for n in $PLAN_SIZES $IDLE_SIZES $POLICY_SIZE; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die 2 "size $n is not a positive number"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/reaper-bench.XXXXXX")
# Every process the script starts runs in a process group of its own (setsid), noted in pids, so
# that cleanup stops it with everything it started (go test's test binary, for one).
pids=()
# spawn CMD...: starts CMD in the background in a new process group; sets spawned to its PID.
spawn() {
	setsid "$@" &
	spawned=$!
	pids+=("$spawned")
}
# run_wait CMD...: runs CMD and waits for it. Waiting in the shell (not in the foreground) lets a TERM
# or INT run the traps, and so the cleanup, at once.
run_wait() {
	spawn "$@"
	wait "$spawned"
}
# stop_pid PID: stops a process started by spawn, and its group.
stop_pid() {
	kill -- "-$1" 2>/dev/null || kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# write_results [WHY]: writes OUT/results.md from what was measured; WHY, when set, says why the
# run is incomplete (cleanup writes it so for a run that stops early).
results_written=
write_results() {
	results_written=1
	load_end=$(loadavg)
	mkdir -p "$OUT"
	{
		echo "Measured $started on $commit by \`make bench-cycle\` (steps: ${steps[*]}): $machine."
		echo "Load average (1, 5, 15 min) at start **$load_start**, at end **$load_end**."
		[[ -z $1 ]] || echo "**Incomplete run**: $1; the tables hold what was measured before."
		if [[ ${#goal_rows[@]} -gt 0 ]]; then
			echo
			echo "| goal (issue 14) | target | measured | verdict |"
			echo "|---|---|---|---|"
			printf '%s\n' "${goal_rows[@]}"
		fi
		if [[ ${#policy_rows[@]} -gt 0 ]]; then
			echo
			echo "Policy evaluation, bundled set, default params, $(thousands "$POLICY_SIZE") instances (\`BenchmarkPolicyVsPlainGo\`, -benchtime $POLICY_BENCHTIME), the same decisions:"
			echo
			echo "| implementation | wall µs/instance | CPU µs/instance | allocs/instance | bytes/instance | wall ÷ plain Go | CPU ÷ plain Go |"
			echo "|---|---:|---:|---:|---:|---:|---:|"
			printf '%s\n' "${policy_rows[@]}"
		fi
		if [[ ${#plan_rows[@]} -gt 0 ]]; then
			echo
			echo "\`reaper plan\` in its own process, $LATENCY per call, reports json and html, pricing.bills $BILLS, enrichment out of scope. Wall, CPU and max RSS are reaper's alone. *cycle*: the \"cycle finished\" log line's duration (listing, guards, policy, plan). *record step*: from that line to the last report file written; *pricing* is its part up to the \"pricing\" log line (bills and list prices asked of the API; the line is logged when a price could not be read); *reports* the rest (building and writing the report files; it includes the pricing, from the state's price cache, where pricing shows —). GCs and their share of CPU from GODEBUG=gctrace=1:"
			echo
			echo "| instances | run | wall s | CPU s | max RSS MB | cycle s | record step s | pricing s | reports s | reports MB | GCs (GC share of CPU) | load (1 min) |"
			echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
			printf '%s\n' "${plan_rows[@]}"
		fi
		if [[ ${#idle_rows[@]} -gt 0 ]]; then
			echo
			echo "Idle daemon (\`reaper run\`, @every $IDLE_INTERVAL), VmRSS in MB:"
			echo
			echo "| instances | before the first cycle | after the first cycle's report | judged (max) |"
			echo "|---:|---:|---|---:|"
			printf '%s\n' "${idle_rows[@]}"
		fi
		if [[ ${#inprocess_rows[@]} -gt 0 ]]; then
			echo
			echo "In-process cycle (\`BenchmarkCycle100k\`, simulator in the process, reports not written):"
			echo
			echo "| wall | peak RSS, simulator included | RSS before the cycle |"
			echo "|---:|---:|---:|"
			printf '%s\n' "${inprocess_rows[@]}"
		fi
	} >"$OUT/results.md.tmp"
		mv "$OUT/results.md.tmp" "$OUT/results.md"
}

cleanup() {
	local status=$? p
	# In a subshell: nothing in it can cut the cleanup short.
	[[ -n $results_written || -z ${machine:-} ]] || (write_results "it stopped with exit status $status") || true
	for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [[ -n ${KEEP_WORK:-} ]]; then echo "bench-cycle: work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Results, as Markdown rows, written to OUT/results.md at the end.
goal_rows=()
policy_rows=()
plan_rows=()
idle_rows=()
inprocess_rows=()
missed=0

# verdict NAME VALUE OP TARGET UNIT: prints and records a goal; OP is "<" or "<=".
verdict() {
	local ok
	if awk -v v="$2" -v t="$4" -v op="$3" 'BEGIN { exit !(op == "<" ? v < t : v <= t) }'; then ok=met; else
		ok=MISSED
		missed=1
	fi
	printf '  %-52s %10s %-3s goal %s %s %s: %s\n' "$1" "$2" "$5" "$3" "$4" "$5" "$ok"
	goal_rows+=("| $1 | $3 $4 $5 | $2 $5 | $([[ $ok == met ]] && echo met || echo '**missed**') |")
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git status --porcelain --untracked-files=no 2>/dev/null) ]] || commit="$commit (with uncommitted changes)"
machine="$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/^MemTotal:/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $($GO version | cut -d' ' -f3)"
echo "bench-cycle: $started, $commit; $machine; steps: ${steps[*]}"
echo "load average at start: $load_start"

# log_time LINE: the "time" of a JSON log line, in seconds since the epoch.
log_time() { date -d "$(sed -n 's/.*"time":"\([^"]*\)".*/\1/p' <<<"$1")" +%s.%N; }
# metric LINE UNIT: the value before UNIT on a benchmark result line.
metric() { awk -v unit="$2" '{ for (i = 2; i <= NF; i++) if ($i == unit) print $(i-1) }' <<<"$1"; }
# thousands N: N with thousands separators (100,000).
thousands() { awk -v n="$1" 'BEGIN { s = sprintf("%d", n); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } print s o }'; }
# fmt2 X: X with two decimals.
fmt2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
# ratio A B: A / B with one decimal.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "?" }'; }

# --- policy engine beside plain Go -----------------------------------------------------------
if has_step policy; then
	echo
	echo "== policy: BenchmarkPolicyVsPlainGo, $POLICY_SIZE instances, -benchtime $POLICY_BENCHTIME"
	run_wait env REAPER_BENCH_POLICY_SIZE="$POLICY_SIZE" $GO test -run '^$' -bench '^BenchmarkPolicyVsPlainGo$' \
		-benchtime "$POLICY_BENCHTIME" -timeout 60m ./test/policyref/ >"$work/policy.out" 2>&1 ||
		{ cat "$work/policy.out"; die 2 "BenchmarkPolicyVsPlainGo failed"; }
	out=$(cat "$work/policy.out")
	declare -A pw pc pa pb
	for impl in plain-go engine-warm engine-cold; do
		line=$(grep "^BenchmarkPolicyVsPlainGo/impl=$impl/" <<<"$out") || { echo "$out"; die 2 "no result for $impl"; }
		echo "$line"
		pw[$impl]=$(metric "$line" ns/instance)
		pc[$impl]=$(metric "$line" cpu-ns/instance)
		pa[$impl]=$(metric "$line" allocs/instance)
		pb[$impl]=$(metric "$line" B/instance)
	done
	for impl in plain-go engine-warm engine-cold; do
		row=$(awk -v w="${pw[$impl]}" -v c="${pc[$impl]}" -v a="${pa[$impl]}" -v b="${pb[$impl]}" \
			-v w0="${pw[plain-go]}" -v c0="${pc[plain-go]}" -v name="$impl" 'BEGIN {
				printf "| %s | %.2f | %.2f | %.1f | %.0f | %.0f× | %.0f× |", name, w / 1000, c / 1000, a, b, w / w0, c / c0 }')
		policy_rows+=("$row")
		echo "  $row"
	done
	verdict "policy, warm, wall per instance" "$(awk -v w="${pw[engine-warm]}" 'BEGIN { printf "%.2f", w / 1000 }')" "<=" 10 µs
	verdict "policy, warm, allocations per instance" "$(awk -v a="${pa[engine-warm]}" 'BEGIN { printf "%.1f", a }')" "<=" 60 allocs
	printf '  %-52s %10s (CPU: %s×; the issue asks for it in PERFORMANCE.md)\n' "policy, warm, wall ratio to plain Go" \
		"$(ratio "${pw[engine-warm]}" "${pw[plain-go]}")×" "$(ratio "${pc[engine-warm]}" "${pc[plain-go]}")"
fi

# --- a stand-alone simulator (the e2e test binary in simulator mode) ------------------------
simbin=$work/e2e.test
build_sim() {
	[[ -x $simbin ]] || run_wait $GO test -c -o "$simbin" ./test/e2e/ || die 2 "cannot build the simulator"
}

# start_sim SIZE LATENCY: starts a simulator on a free loopback port; sets sim_pid and endpoint.
start_sim() {
	build_sim
	local log=$work/sim-$1.out
	spawn env REAPER_BENCH_SIM_ADDR=127.0.0.1:0 REAPER_BENCH_SIM_SIZE="$1" REAPER_BENCH_SIM_LATENCY="$2" "$simbin" >"$log" 2>&1
	sim_pid=$spawned
	endpoint=
	for _ in $(seq 600); do
		endpoint=$(sed -n 's/^endpoint: //p' "$log")
		[[ -n $endpoint ]] && return 0
		kill -0 "$sim_pid" 2>/dev/null || {
			cat "$log" >&2
			die 2 "the simulator exited"
		}
		sleep 0.2
	done
	die 2 "the simulator did not start within 120 s"
}

# sim_alive: fail the measurement when the simulator died under a run.
sim_alive() {
	kill -0 "$sim_pid" 2>/dev/null || {
		cat "$work"/sim-*.out >&2
		die 2 "the simulator exited during the measurement"
	}
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
		pricing: {bills: $BILLS}
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

# --- reaper plan in its own process, at each size -------------------------------------------
declare -A plan_best_wall plan_best_cpu plan_worst_rss plan_best_write
if has_step plan; then
	[[ -x /usr/bin/time ]] || die 2 "needs GNU time at /usr/bin/time"
	need_bin
	for size in $PLAN_SIZES; do
		echo
		echo "== plan: bin/reaper plan, $size instances, $LATENCY per call, $PLAN_RUNS run(s)"
		start_sim "$size" "$LATENCY"
		echo "simulator: $endpoint (pid $sim_pid)"
		dir=$work/plan-$size
		write_config "$dir" "$endpoint" "@every 1h" debug # the policy engine's line is at debug
		for run in $(seq "$PLAN_RUNS"); do
			tv=$dir/time-$run.txt
			load=$(cut -d' ' -f1 /proc/loadavg)
			if ! run_wait env GODEBUG=gctrace=1 /usr/bin/time -v -o "$tv" "$BIN" plan --config "$dir/config.yaml" \
				>"$dir/stdout-$run" 2>"$dir/stderr-$run"; then
				grep -v '^gc ' "$dir/stderr-$run" >&2 || true
				die 2 "reaper plan failed ($size instances, run $run)"
			fi
			sim_alive
			wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.2f", s }' "$tv")
			rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tv")
			cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$tv")
			summary=$(head -1 "$dir/stdout-$run")
			[[ $summary == *": ok, $size instances in inventory" ]] ||
				{
					cat "$dir/stdout-$run"
					die 2 "plan did not see the whole fleet: $summary"
				}
			rep=$(sed -n 's/^report: //p' "$dir/stdout-$run")
			[[ -d $rep ]] || die 2 "plan printed no report directory"
			repsize=$(du -sm "$rep" | cut -f1)
			finished=$(grep '^{' "$dir/stderr-$run" | grep '"msg":"cycle finished"' | tail -1) ||
				die 2 "plan logged no \"cycle finished\""
			cycle_s=$(sed -n 's/.*"duration_seconds":\([0-9.e+-]*\).*/\1/p' <<<"$finished")
			[[ -n $cycle_s ]] || die 2 "no duration_seconds in: $finished"
			finished_at=$(log_time "$finished")
			# The record step prices the instances (list prices from the API, logged as "pricing"
			# when a price could not be read), then builds and writes the reports.
			priced=$(grep '^{' "$dir/stderr-$run" | grep '"msg":"pricing"' | tail -1 || true)
			written_from=$finished_at
			pricing_s=—
			if [[ -n $priced ]]; then
				written_from=$(log_time "$priced")
				pricing_s=$(awk -v a="$finished_at" -v b="$written_from" 'BEGIN { printf "%.2f", b - a }')
			fi
			last_write=$(find "$rep" -type f -printf '%T@\n' | sort -n | tail -1)
			record_s=$(awk -v a="$finished_at" -v b="$last_write" 'BEGIN { printf "%.2f", b - a }')
			write_s=$(awk -v a="$written_from" -v b="$last_write" 'BEGIN { printf "%.2f", b - a }')
			gcs=$(grep -c '^gc ' "$dir/stderr-$run" || true)
			gcshare=$(grep '^gc ' "$dir/stderr-$run" | tail -1 | sed -n 's/^gc [0-9]* @[0-9.]*s \([0-9]*\)%.*/\1/p')
			echo "run $run: wall ${wall} s, cpu ${cpu} s, max RSS ${rss} MB; cycle $(fmt2 "$cycle_s") s, record step ${record_s} s (pricing ${pricing_s} s, reports ${write_s} s); reports ${repsize} MB; ${gcs} GCs (${gcshare:-?} % of CPU); load ${load}"
			echo "  $summary"
			# The policy evaluation of the cycle (the engine's debug lines, one per chunk of
			# instances): its time and the decisions the decision cache served.
			grep '"msg":"policy evaluation"' "$dir/stderr-$run" |
				sed -n 's/.*"instances":\([0-9]*\),"served_from_cache":\([0-9]*\),.*"duration_seconds":\([0-9.e-]*\).*/\1 \2 \3/p' |
				awk '{ n += $1; s += $2; d += $3 } END { if (n) printf "  policy evaluation: %.2f s (%.1f us per instance), %d of %d decisions served from the decision cache\n", d, d * 1e6 / n, s, n }' || true
			plan_rows+=("| $(thousands "$size") | $run | $wall | $cpu | $rss | $(fmt2 "$cycle_s") | $record_s | $pricing_s | $write_s | $repsize | $gcs (${gcshare:-?} %) | $load |")
			plan_best_wall[$size]=$(awk -v a="${plan_best_wall[$size]:-}" -v b="$wall" 'BEGIN { print (a == "" || b < a) ? b : a }')
			plan_best_cpu[$size]=$(awk -v a="${plan_best_cpu[$size]:-}" -v b="$cpu" 'BEGIN { print (a == "" || b < a) ? b : a }')
			plan_worst_rss[$size]=$(awk -v a="${plan_worst_rss[$size]:-0}" -v b="$rss" 'BEGIN { print (b > a) ? b : a }')
			plan_best_write[$size]=$(awk -v a="${plan_best_write[$size]:-}" -v b="$write_s" 'BEGIN { print (a == "" || b < a) ? b : a }')
		done
		stop_pid "$sim_pid"
	done
	echo
	if [[ -n ${plan_best_wall[100000]:-} ]]; then
		verdict "plan, 100,000: wall (best run)" "${plan_best_wall[100000]}" "<=" 5 s
		verdict "plan, 100,000: max RSS (worst run)" "${plan_worst_rss[100000]}" "<=" 150 MB
		verdict "plan, 100,000: reports built and written (best run)" "${plan_best_write[100000]}" "<=" 1 s
	fi
	if [[ -n ${plan_best_wall[300000]:-} ]]; then
		verdict "plan, 300,000: max RSS (worst run)" "${plan_worst_rss[300000]}" "<=" 300 MB
		if [[ -n ${plan_best_wall[100000]:-} ]]; then
			verdict "plan, 300,000: wall / 100,000 wall (best runs)" \
				"$(ratio "${plan_best_wall[300000]}" "${plan_best_wall[100000]}")" "<=" 3.3 ×
			printf '  %-52s %10s ×\n' "plan, 300,000: CPU / 100,000 CPU (best runs)" \
				"$(ratio "${plan_best_cpu[300000]}" "${plan_best_cpu[100000]}")"
		fi
	fi
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

if has_step idle; then
	need_bin
	interval=${IDLE_INTERVAL%s}
	for n in $IDLE_SIZES; do
		echo
		echo "== idle daemon: bin/reaper run, schedule @every $IDLE_INTERVAL, $n instances, $IDLE_LATENCY per call"
		start_sim "$n" "$IDLE_LATENCY"
		dir=$work/idle-$n
		write_config "$dir" "$endpoint" "@every $IDLE_INTERVAL"
		spawn "$BIN" run --config "$dir/config.yaml" >"$dir/stdout" 2>"$dir/stderr"
		daemon=$spawned
		sleep 3
		before=$(rss_of "$daemon")
		echo "  before the first cycle (+3 s): VmRSS $before MB ($(rss_parts "$daemon"))"
		deadline=$((SECONDS + interval + 300))
		until compgen -G "$dir/reports/*/report.json" >/dev/null; do
			kill -0 "$daemon" 2>/dev/null || {
				cat "$dir/stderr" >&2
				die 2 "the daemon exited"
			}
			sim_alive
			((SECONDS < deadline)) || die 2 "no cycle finished within $((interval + 300)) s"
			sleep 0.5
		done
		t0=$SECONDS
		worst=0
		samples=""
		for at in $IDLE_SAMPLES; do
			while ((SECONDS - t0 < at - 1)); do sleep 0.5; done
			c1=$(cpu_ticks "$daemon")
			sleep 1
			r=$(rss_of "$daemon")
			c2=$(cpu_ticks "$daemon")
			kill -0 "$daemon" 2>/dev/null || die 2 "the daemon exited between cycles"
			cycles=$(compgen -G "$dir/reports/*/report.json" | wc -l)
			note=""
			((c2 - c1 > busy_ticks)) && note=" (busy: $((c2 - c1)) ticks of CPU in the second before, a cycle is running: sample not between cycles)"
			((cycles > 1)) && note=" (a second cycle had already run: sample not between cycles)"
			echo "  +${at} s after the first cycle's report: VmRSS $r MB ($(rss_parts "$daemon"))$note"
			samples+="${samples:+, }+${at} s: $r${note:+ (not judged)}"
			[[ -z $note ]] && worst=$(awk -v a="$worst" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
		done
		echo "  state store: $(du -sh "$dir/state" | cut -f1), reports: $(du -sh "$dir/reports" | cut -f1)"
		idle_rows+=("| $(thousands "$n") | $before | $samples | $worst |")
		verdict "idle daemon RSS, $(thousands "$n") instances (max of samples)" "$worst" "<" 50 MB
		stop_pid "$daemon"
		stop_pid "$sim_pid"
	done
fi

# --- in-process benchmark -------------------------------------------------------------------
if has_step inprocess; then
	echo
	echo "== in-process: BenchmarkCycle100k (100,000 instances, 50 ms per call, simulator in the same process)"
	run_wait $GO test -run '^$' -bench '^BenchmarkCycle100k$' -benchtime 1x -timeout 30m ./test/e2e/ >"$work/inprocess.out" 2>&1 ||
		{
			cat "$work/inprocess.out"
			die 2 "BenchmarkCycle100k failed"
		}
	out=$(cat "$work/inprocess.out")
	line=$(grep '^BenchmarkCycle100k' <<<"$out") || {
		echo "$out"
		die 2 "no benchmark result"
	}
	echo "$line"
	wall=$(awk -v ns="$(metric "$line" ns/op)" 'BEGIN { printf "%.2f", ns / 1e9 }')
	inprocess_rows+=("| $wall s | $(metric "$line" peak-rss-MB) MB | $(metric "$line" start-rss-MB) MB |")
	verdict "in-process cycle, 100,000: wall" "$wall" "<" 10 s
fi

# --- results ---------------------------------------------------------------------------------
write_results ""
echo
echo "load average at end: $load_end"
echo "results: $OUT/results.md (make perf-doc splices it into docs/PERFORMANCE.md)"

echo
if ((missed)); then
	echo "bench-cycle: a goal was missed (see MISSED above)"
	exit 1
fi
echo "bench-cycle: every goal judged was met"
