#!/usr/bin/env bash
# Checks the premise of packaging/Dockerfile without a Docker engine: a release build with the
# static Swift stdlib needs only the shared libraries the runtime stage installs, and runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-release
swift build -c release --product scalebridge --static-swift-stdlib --scratch-path "$scratch"
binary="$scratch/release/scalebridge"

# Shared libraries the runtime stage provides (Debian bookworm package in brackets).
allowed="libcurl.so.4 libcrypto.so.3 libz.so.1 libstdc++.so.6 libgcc_s.so.1 libm.so.6 libc.so.6 ld-linux-x86-64.so.2"
needed=$(readelf -d "$binary" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
status=0
for library in $needed; do
  case " $allowed " in
    *" $library "*) ;;
    *) echo "packaging: $binary needs $library, which packaging/Dockerfile does not install" >&2; status=1 ;;
  esac
done
for package in libcurl4 libssl3 zlib1g libstdc++6 ca-certificates; do
  grep -q "$package" packaging/Dockerfile || { echo "packaging: Dockerfile does not install $package" >&2; status=1; }
done
grep -q '^USER 10001' packaging/Dockerfile || { echo "packaging: the image must not run as root" >&2; status=1; }
"$binary" check --config examples/quickstart.yaml >/dev/null
echo "packaging: release binary needs only: $(echo $needed | tr '\n' ' ')"
exit $status
