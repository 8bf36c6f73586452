#!/usr/bin/env bash
# check-deb.sh: build the Debian package (make deb) and check it the way an operator's dpkg would
# see it: control fields, the file list with modes, the conffile, the maintainer scripts, and an
# install into a throwaway root (dpkg --root with an admin dir of its own; the host's dpkg database
# is never touched). Run by CI through `make check-deb`. Without dpkg-deb and dpkg it fails: a
# package nobody inspected is not checked. Exit 0 when every check holds, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in dpkg-deb dpkg; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "check-deb: FAILED: $tool is not installed; the package cannot be checked (apt-get install dpkg)" >&2
    exit 1
  fi
done

fail=0
ok() { echo "check-deb: ok: $1"; }
bad() { echo "check-deb: FAILED: $1" >&2; fail=1; }
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

# The version rule (scripts/deb-version.sh): fixtures, and that they sort as the commits were made.
expect_version() { # DESCRIBE WANT
  local got
  got=$(scripts/deb-version.sh "$1" 20261203215900 2>/dev/null) || got="(error)"
  [ "$got" = "$2" ] || { echo "check-deb: deb-version.sh $1 = $got, want $2" >&2; return 1; }
}
versions_ok() {
  expect_version 0a1b2c3 0.0.0~git20261203215900.0a1b2c3 &&
    expect_version 0a1b2c3-dirty 0.0.0~git20261203215900.0a1b2c3+dirty &&
    expect_version v1.3.0-rc1-0-g0a1b2c3 1.3.0~rc1 &&
    expect_version v1.3.0-0-g0a1b2c3 1.3.0 &&
    expect_version v1.3.0-4-g0a1b2c3 1.3.0+git20261203.4.0a1b2c3 &&
    ! scripts/deb-version.sh "release-x-0-g0a1b2c3" 20261203215900 >/dev/null 2>&1 &&
    dpkg --compare-versions 0.0.0~git20261203215900.0a1b2c3 lt 1.3.0~rc1 &&
    dpkg --compare-versions 1.3.0~rc1 lt 1.3.0 &&
    dpkg --compare-versions 1.3.0 lt 1.3.0+git20261203.4.0a1b2c3 &&
    dpkg --compare-versions 1.3.0+git20261203.4.0a1b2c3 lt 1.3.0+git20261203.5.f0e1d2c &&
    dpkg --compare-versions 1.3.0+git20261203.5.f0e1d2c lt 1.3.1
}
check "version rule: git describe fixtures give valid Debian versions in commit order" versions_ok

version=$(scripts/deb-version.sh)
deb="bin/reaper_${version}_amd64.deb"
host_status=$(md5sum /var/lib/dpkg/status 2>/dev/null || true)
make --no-print-directory deb >/dev/null
check "make deb built $deb" test -s "$deb"
[ -s "$deb" ] || exit 1

# Control fields.
field() { dpkg-deb --field "$deb" "$1"; }
check "Package: reaper" test "$(field Package)" = reaper
check "Version: $version" test "$(field Version)" = "$version"
check "Architecture: amd64" test "$(field Architecture)" = amd64
check "Maintainer and Description set" test -n "$(field Maintainer)" -a -n "$(field Description)"
dpkg-deb --info "$deb" >/dev/null || bad "dpkg-deb --info cannot read the package"

# Files and modes: "MODE PATH" for every file, compared with the list that must be there.
listing=$(dpkg-deb --contents "$deb" | awk '{ print $1, $6 }')
has() { # has MODE PATH
  grep -qxF -- "$1 $2" <<<"$listing" || { echo "check-deb: missing '$1 $2'" >&2; return 1; }
}
check "binary /usr/bin/reaper 0755" has -rwxr-xr-x ./usr/bin/reaper
check "unit in /usr/lib/systemd/system, 0644" has -rw-r--r-- ./usr/lib/systemd/system/reaper.service
check "config /etc/reaper/config.yaml 0644" has -rw-r--r-- ./etc/reaper/config.yaml
check "example config under /usr/share/doc/reaper/examples" has -rw-r--r-- ./usr/share/doc/reaper/examples/config.example.yaml
check "copyright file" has -rw-r--r-- ./usr/share/doc/reaper/copyright
check "bundled policies" has -rw-r--r-- ./usr/share/reaper/policies/expiry.rego
check "policy parameters" has -rw-r--r-- ./usr/share/reaper/policies/params.json
check "bash completion" has -rw-r--r-- ./usr/share/bash-completion/completions/reaper
check "zsh completion" has -rw-r--r-- ./usr/share/zsh/vendor-completions/_reaper
check "fish completion" has -rw-r--r-- ./usr/share/fish/vendor_completions.d/reaper.fish
check "man page reaper(1), gzipped" has -rw-r--r-- ./usr/share/man/man1/reaper.1.gz
check "a man page for every page in bin/man, gzipped" bash -c '
  for f in bin/man/*.1; do grep -qF "./usr/share/man/man1/$(basename "$f").gz" <<<"$1" || exit 1; done' _ "$listing"
check "no uncompressed man page" bash -c '! grep -qE "/man/man1/[^ ]*\.1$" <<<"$1"' _ "$listing"
check "no Rego tests" bash -c '! grep -q "_test\.rego$" <<<"$1"' _ "$listing"
check "nothing under /usr/local or the admin's /etc/systemd" bash -c '! grep -qE " \./(usr/local|etc/systemd)/" <<<"$1"' _ "$listing"
check "every file is owned by root" bash -c '! dpkg-deb --contents "$1" | awk "{print \$2}" | grep -qv "^root/root$"' _ "$deb"
check "the only conffile is /etc/reaper/config.yaml" test "$(dpkg-deb --info "$deb" conffiles)" = /etc/reaper/config.yaml

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Maintainer scripts, run on their own with a recording systemctl first on PATH and DPKG_ROOT unset
# (as on a real install): whether or not this host runs systemd, none of them may start, enable,
# restart or reload the service; postinst may only daemon-reload, prerm (remove) only stop.
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$work"
mkdir "$work/fakebin"
cat >"$work/fakebin/systemctl" <<FAKE
#!/bin/sh
echo "\$*" >>"$work/systemctl.log"
FAKE
chmod +x "$work/fakebin/systemctl"
: >"$work/systemctl.log"
for run in "postinst configure" "postinst configure 0.0.0~git1" "prerm upgrade 9" "prerm remove" "postrm remove" "postrm purge"; do
  set -- $run
  script=$1; shift
  env -u DPKG_ROOT PATH="$work/fakebin:$PATH" sh "$work/$script" "$@" || bad "$script $* failed"
done
check "maintainer scripts never start, enable or restart the service" \
  bash -c '! grep -vxE "(--system daemon-reload|stop reaper.service)" "$1"' _ "$work/systemctl.log"
check "postinst does nothing but daemon-reload" bash -c '
  : >"$1/systemctl.log"; env -u DPKG_ROOT PATH="$1/fakebin:$PATH" sh "$1/postinst" configure &&
  ! grep -vxF -- "--system daemon-reload" "$1/systemctl.log"' _ "$work"

# Install into a throwaway root with its own admin dir. Maintainer scripts run outside a chroot
# (the root has no shell) with DPKG_ROOT set, as dpkg does for such installs; with it they call no
# systemctl at all.
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/var/log"
: >"$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
: >"$work/systemctl.log"
dpkg_root() { PATH="$work/fakebin:$PATH" dpkg --root="$root" --log="$work/dpkg.log" --force-script-chrootless "$@"; }
if ! dpkg_root --install "$deb" >"$work/install.out" 2>&1; then
  cat "$work/install.out" >&2
  bad "dpkg --root install"
  exit 1
fi
ok "dpkg --root install"
check "installed and configured (status ii)" bash -c 'dpkg --root="$1" -l reaper | grep -q "^ii  reaper "' _ "$root"
check "installed binary runs --version" bash -c '"$1/usr/bin/reaper" --version | grep -q .' _ "$root"
execstart=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$root/usr/lib/systemd/system/reaper.service")
check "unit ExecStart ($execstart) is /usr/bin/reaper and exists in the root" \
  test "$execstart" = /usr/bin/reaper -a -x "$root$execstart"
check "unit reads /etc/reaper/config.yaml, which is installed" bash -c \
  'grep -q "^ExecStart=/usr/bin/reaper run --config /etc/reaper/config.yaml" "$1/usr/lib/systemd/system/reaper.service" && test -f "$1/etc/reaper/config.yaml"' _ "$root"
check "no Rego tests installed" bash -c '! find "$1" -name "*_test.rego" | grep -q .' _ "$root"
check "man pages are valid gzip" bash -c 'for f in "$1"/usr/share/man/man1/*.gz; do gzip -t "$f" || exit 1; done' _ "$root"
check "dpkg registered the conffile" bash -c 'dpkg --root="$1" --status reaper | grep -q "^ /etc/reaper/config.yaml "' _ "$root"
check "postinst called no systemctl inside another root" test ! -s "$work/systemctl.log"
check "the service is not enabled" bash -c '! find "$1/etc/systemd" "$1/usr/lib/systemd" -path "*.wants/*" 2>/dev/null | grep -q .' _ "$root"
check "no reaper process was started from the root" bash -c '! pgrep -f "^$1/usr/bin/reaper( |$)" >/dev/null' _ "$root"
check "the host's dpkg database is untouched" test "$(md5sum /var/lib/dpkg/status 2>/dev/null || true)" = "$host_status"
if dpkg_root --purge reaper >"$work/purge.out" 2>&1; then ok "dpkg --root purge"; else cat "$work/purge.out" >&2; bad "dpkg --root purge"; fi
check "purge removed the binary and the conffile" test ! -e "$root/usr/bin/reaper" -a ! -e "$root/etc/reaper/config.yaml"
exit $fail
