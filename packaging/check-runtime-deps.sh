#!/usr/bin/env bash
# Checks the premise of packaging/Dockerfile without a Docker engine: the release binary as it
# ships (packaging/build-release.sh) needs only the shared libraries the runtime stage installs,
# was linked as intended, runs, and its HTTP stack (the minimal libcurl) works end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(packaging/build-release.sh | tail -1)"

# Shared libraries the runtime stage provides: libssl3, zlib1g, libc6 (libgcc-s1 is essential).
# libcurl, libyaml and libstdc++ are linked in (packaging/build-release.sh).
allowed="libssl.so.3 libcrypto.so.3 libz.so.1 libgcc_s.so.1 libm.so.6 libc.so.6 ld-linux-x86-64.so.2"
needed=$(readelf -d "$binary" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
status=0
for library in $needed; do
  case " $allowed " in
    *" $library "*) ;;
    *) echo "packaging: $binary needs $library, which packaging/Dockerfile does not install" >&2; status=1 ;;
  esac
done
for package in libssl3 zlib1g ca-certificates; do
  grep -q "$package" packaging/Dockerfile || { echo "packaging: Dockerfile does not install $package" >&2; status=1; }
done
grep -q '^USER 10001' packaging/Dockerfile || { echo "packaging: the image must not run as root" >&2; status=1; }
for package in 'libcurl4 ' 'libstdc++6'; do
  grep -q "$package" packaging/Dockerfile && { echo "packaging: the runtime stage installs $package, which the binary no longer needs" >&2; status=1; }
done
# The link itself (docs/design/0004-release-link.md): packed relative relocations.
readelf -d "$binary" | grep -q '(RELR)' || { echo "packaging: $binary has no RELR table (was it linked by lld with -z pack-relative-relocs?)" >&2; status=1; }
"$binary" check --config examples/quickstart.yaml >/dev/null
python3 packaging/smoke.py "$binary"
echo "packaging: release binary needs only: $(echo $needed | tr '\n' ' ')"
exit $status
