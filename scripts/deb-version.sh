#!/usr/bin/env bash
# deb-version.sh: print the Debian package version of the checked-out commit, derived from
# `git describe --tags --long --always --dirty --abbrev=7` (or from DESCRIBE DATE given as
# arguments, for tests). The rule, so that versions sort the way the commits were made:
#
#   tag v1.2.3, HEAD at the tag         -> 1.2.3
#   3 commits after tag v1.2.3          -> 1.2.3+git20261203.3.abc1234  (after 1.2.3, before 1.2.4)
#   tag v1.3.0-rc1 (a pre-release)      -> 1.3.0~rc1                    (before 1.3.0)
#   no tag at all                       -> 0.0.0~git20261203215900.abc1234
#   uncommitted changes                 -> the above + "+dirty"         (never publish such a build)
#
# DATE is the commit's committer time in UTC (YYYYMMDDhhmmss, the date alone after a tag, where the
# commit count orders builds). A leading "v" is dropped and "-" inside a tag becomes "~". The result
# is checked against Debian's version syntax; anything else is an error, not a package.
set -euo pipefail
if [ $# -eq 2 ]; then
  describe=$1 date=$2
else
  cd "$(dirname "$0")/.."
  describe=$(git describe --tags --long --always --dirty --abbrev=7 2>/dev/null) || {
    echo "deb-version.sh: not a git checkout: cannot derive a version (set DEB_VERSION)" >&2
    exit 1
  }
  date=$(TZ=UTC git log -1 --date=format-local:%Y%m%d%H%M%S --format=%cd)
fi

dirty=""
if [[ $describe == *-dirty ]]; then
  dirty="+dirty"
  describe=${describe%-dirty}
fi

if [[ $describe =~ ^(.+)-([0-9]+)-g([0-9a-f]+)$ ]]; then
  tag=${BASH_REMATCH[1]} count=${BASH_REMATCH[2]} sha=${BASH_REMATCH[3]}
  upstream=${tag#v}
  upstream=${upstream//-/\~}
  if [ "$count" = 0 ]; then
    version=$upstream
  else
    version="$upstream+git${date:0:8}.$count.$sha"
  fi
elif [[ $describe =~ ^[0-9a-f]+$ ]]; then # no tag: describe printed the abbreviated hash
  version="0.0.0~git$date.$describe"
else
  echo "deb-version.sh: cannot read git describe output ${describe@Q}" >&2
  exit 1
fi
version+=$dirty

# Debian policy 5.6.12: the upstream part starts with a digit and holds only [A-Za-z0-9.+~-]; with
# no revision (no "-"), no hyphen at all.
if ! [[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]]; then
  echo "deb-version.sh: ${version@Q} (from ${describe@Q}) is not a valid Debian version" >&2
  exit 1
fi
echo "$version"
