#!/usr/bin/env bash
# Unpacks Debian 13's valgrind (3.24) into .tools/valgrind for bench/instructions.py, without
# installing it: Debian 12's valgrind 3.19 gives up on the DWARF 5 in Swift 6 binaries.
# Only apt's own index and package download are used (deb.debian.org), into .tools/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.tools/valgrind"
work="$root/.tools/apt-trixie"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb http://deb.debian.org/debian trixie main" >"$work/sources.list"
options=(
  -o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=-
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
  -o Debug::NoLocking=1 -o "APT::Sandbox::User=$(id -un)"
)
echo "fetching valgrind from Debian trixie into .tools/valgrind" >&2
apt-get "${options[@]}" -qq update
rm -f "$work"/valgrind_*.deb
(cd "$work" && apt-get "${options[@]}" -qq download valgrind)
rm -rf "$dest"
dpkg-deb -x "$work"/valgrind_*.deb "$dest"
VALGRIND_LIB="$dest/usr/libexec/valgrind" "$dest/usr/bin/valgrind.bin" --version
