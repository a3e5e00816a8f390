#!/usr/bin/env bash
# Fleet-scale cost next to Prometheus, in one run (bench/fleet.py): 100 listed targets x 1k series
# at 1 s, and 500 file_sd targets x 1k series at 15 s. Needs root (a memory cgroup per daemon),
# Debian's `prometheus` and the release binary (built here as it ships).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v prometheus >/dev/null || apt-get install -y -q prometheus >/dev/null
log="${TMPDIR:-/tmp}/scalebridge-release-build.log"
SCALEBRIDGE_CURL_PKGCONFIG="$(packaging/curl/build.sh 2>"$log" | tail -1)" || { tail -20 "$log" >&2; exit 1; }
export SCALEBRIDGE_CURL_PKGCONFIG
binary="$(packaging/build-release.sh 2>"$log" | tail -1)" || { tail -20 "$log" >&2; exit 1; }
exec python3 bench/fleet.py "$binary"
