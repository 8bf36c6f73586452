#!/usr/bin/env bash
# check-systemd.sh: check systemd/reaper.service with systemd-analyze.
#
#   scripts/check-systemd.sh [BINARY]
#
# 1. `systemd-analyze verify` on a copy of the unit whose ExecStart runs
#    BINARY (a built reaper; default /bin/true), because verify insists that
#    the program exists. Any message about the unit fails the check, including
#    the "unknown key" and "failed to parse" warnings that verify itself lets
#    pass. Messages about anything else (common in containers) are shown and
#    ignored.
# 2. `systemd-analyze security --offline=true`: the overall exposure must be
#    at most MAX_EXPOSURE (default 4.9, the top of systemd's "OK" band; 5.0 and
#    above is MEDIUM, EXPOSED, UNSAFE).
#
# Environment: UNIT (default: systemd/reaper.service beside this script),
# MAX_EXPOSURE (default 4.9).
# Needs systemd-analyze from systemd >= 250. When it is missing and this runs
# as root on Debian or Ubuntu, systemd is installed with apt-get.
# Exit status: 0 pass, 1 the unit fails a check, 2 the check cannot run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
unit=${UNIT:-$here/../systemd/reaper.service}
max_exposure=${MAX_EXPOSURE:-4.9}
binary=${1:-/bin/true}
export SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat LC_ALL=C

die() { echo "check-systemd: $2" >&2; exit "$1"; }

[[ -f $unit ]] || die 2 "no unit file at $unit"
[[ $binary == /* ]] || binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
[[ -x $binary ]] || die 2 "ExecStart stand-in $binary is not executable"
[[ $max_exposure =~ ^[0-9]+(\.[0-9])?$ ]] || die 2 "MAX_EXPOSURE must look like 4.9, got $max_exposure"

# --- systemd-analyze ---------------------------------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		echo "check-systemd: installing systemd (for systemd-analyze)"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
	else
		die 2 "systemd-analyze not found; install it with: sudo apt-get install systemd (Debian/Ubuntu) or your distribution's systemd package"
	fi
fi
version=$(systemd-analyze --version | awk 'NR == 1 { print $2 }')
[[ $version =~ ^[0-9]+$ ]] || die 2 "cannot read the systemd version from: $(systemd-analyze --version | head -n1)"
((version >= 250)) || die 2 "systemd-analyze $version is too old: --offline security needs systemd >= 250"
echo "check-systemd: systemd-analyze $version, unit $unit"

# --- verify ------------------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=$(basename "$unit")
copy=$work/$name

# ExecStart runs the stand-in (arguments kept). Any other Exec*= program that
# does not exist on this machine is replaced too, with a note: this host is
# not the bastion.
while IFS= read -r line; do
	if [[ $line =~ ^(Exec[A-Za-z]+=)([-@:+!]*)(/[^[:space:]]+)(.*)$ ]]; then
		key=${BASH_REMATCH[1]} prefix=${BASH_REMATCH[2]} prog=${BASH_REMATCH[3]} rest=${BASH_REMATCH[4]}
		if [[ $key == ExecStart= ]]; then
			line=$key$prefix$binary$rest
		elif [[ ! -x $prog ]]; then
			echo "check-systemd: note: $prog is missing here; verifying $key with $binary instead"
			line=$key$prefix$binary$rest
		fi
	fi
	printf '%s\n' "$line"
done <"$unit" >"$copy"

set +e
verify_out=$(systemd-analyze verify --man=no --recursive-errors=no "$copy" 2>&1)
verify_rc=$?
set -e
ours=$(grep -F -e "$copy" -e "$name:" <<<"$verify_out" || true)
others=$(grep -v -F -e "$copy" -e "$name:" <<<"$verify_out" || true)
if [[ -n $others ]]; then
	echo "check-systemd: verify said things unrelated to $name (ignored):"
	sed 's/^/  /' <<<"$others"
fi
if [[ -n $ours ]]; then
	echo "check-systemd: FAIL: systemd-analyze verify reports problems in $name:" >&2
	sed "s|$work/||; s/^/  /" <<<"$ours" >&2
	exit 1
fi
if ((verify_rc != 0)); then
	echo "check-systemd: note: verify exited $verify_rc without naming $name (environment, not the unit)"
fi
echo "check-systemd: verify OK"

# --- security ----------------------------------------------------------------
threshold=$(awk -v m="$max_exposure" 'BEGIN { printf "%d", m * 10 + 0.5 }')
set +e
security_out=$(systemd-analyze security --offline=true --threshold="$threshold" --no-pager "$unit" 2>&1)
security_rc=$?
set -e
overall=$(grep -E 'Overall exposure level for' <<<"$security_out" | tail -n1 || true)
score=$(sed -nE 's/.*Overall exposure level for [^:]+: ([0-9]+\.[0-9]+) ([A-Z]+).*/\1/p' <<<"$overall")
level=$(sed -nE 's/.*Overall exposure level for [^:]+: ([0-9]+\.[0-9]+) ([A-Z]+).*/\2/p' <<<"$overall")
if [[ -z $score ]]; then
	echo "$security_out" >&2
	die 2 "could not read the exposure level from systemd-analyze security"
fi
echo "check-systemd: settings that still add exposure:"
grep -E '^(✗|- )' <<<"$security_out" | sed -E 's/[[:space:]]{2,}/  /g; s/^/  /' || true
if ((security_rc != 0)) || awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s > m) }'; then
	echo "check-systemd: FAIL: exposure $score $level is above $max_exposure" >&2
	exit 1
fi
echo "check-systemd: security OK: exposure $score $level (limit $max_exposure)"
