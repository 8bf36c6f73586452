#!/usr/bin/env bash
# check-install.sh: run `make install` into a temporary DESTDIR with PREFIX=/usr and check that the
# unit starts the binary where it was installed, the example config is readable (0644), and the
# bundled policies are installed without their Rego tests. Exit 0 when every check holds, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
make --no-print-directory install DESTDIR="$root" PREFIX=/usr >/dev/null

fail=0
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then echo "check-install: ok: $what"; else echo "check-install: FAILED: $what" >&2; fail=1; fi
}
unit="$root/etc/systemd/system/reaper.service"
check "binary at /usr/bin/reaper" test -x "$root/usr/bin/reaper"
check "unit ExecStart is /usr/bin/reaper" grep -q '^ExecStart=/usr/bin/reaper run ' "$unit"
check "unit names no other reaper binary" bash -c "! grep -q '/usr/local/bin/reaper' '$unit'"
check "example config is 0644" test "$(stat -c %a "$root/etc/reaper/config.example.yaml")" = 644
check "policies installed" test -f "$root/usr/share/reaper/policies/expiry.rego" -a -f "$root/usr/share/reaper/policies/params.json"
check "no Rego tests installed" bash -c "! ls '$root/usr/share/reaper/policies/' | grep -q '_test\.rego$'"
exit $fail
