#!/usr/bin/env bash
# build-deb.sh: build bin/reaper_<version>_amd64.deb with nfpm (NFPM_VERSION, pinned in the
# Makefile; run from the Go module proxy, not a dependency of reaper). `make deb` runs it after
# `make man completions`. It stages the package's files in bin/deb-root the way `make install
# DESTDIR=... PREFIX=/usr` lays them out (the unit's ExecStart is /usr/bin/reaper, no Rego tests),
# gzips the man pages from bin/man (gzip -9n, as Debian wants them), adds the completions from
# bin/completions, and packs what packaging/nfpm.yaml lists. DEB_VERSION overrides the version
# (default: scripts/deb-version.sh); it prints the package's path.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${NFPM_VERSION:?set NFPM_VERSION (make deb does)}"
GO=${GO:-go}
version=${DEB_VERSION:-$(scripts/deb-version.sh)}
maintainer=${DEB_MAINTAINER:-reaper maintainers <$(git log -1 --format=%ce 2>/dev/null || echo root@localhost)>}
out="bin/reaper_${version}_amd64.deb"
root=bin/deb-root

die() { echo "build-deb.sh: $*" >&2; exit 1; }
shopt -s nullglob
man=(bin/man/*.1)
[ ${#man[@]} -gt 0 ] || die "no man pages in bin/man: run make man (make deb does)"
for f in bin/completions/reaper.bash bin/completions/_reaper bin/completions/reaper.fish; do
  [ -s "$f" ] || die "$f is missing or empty: run make completions (make deb does)"
done

rm -rf "$root" bin/deb-bin
# The package's binary is built for linux/amd64 whatever the host, into a directory of its own.
GOOS=linux GOARCH=amd64 make --no-print-directory install DESTDIR="$root" PREFIX=/usr BIN=bin/deb-bin/reaper >/dev/null
install -d -m 0755 "$root/usr/share/man/man1" "$root/usr/share/bash-completion/completions" \
  "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d"
for f in "${man[@]}"; do
  gzip -9n -c "$f" >"$root/usr/share/man/man1/$(basename "$f").gz"
done
install -m 0644 bin/completions/reaper.bash "$root/usr/share/bash-completion/completions/reaper"
install -m 0644 bin/completions/_reaper "$root/usr/share/zsh/vendor-completions/_reaper"
install -m 0644 bin/completions/reaper.fish "$root/usr/share/fish/vendor_completions.d/reaper.fish"

# The files' times in the package are the commit's, so the same commit gives the same package.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
rm -f "$out"
DEB_VERSION=$version DEB_MAINTAINER=$maintainer SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH \
  "$GO" run "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION" package --config packaging/nfpm.yaml \
  --packager deb --target "$out" >&2
echo "$out"
