#!/usr/bin/env bash
# Builds the release binary and prints scalebridge's figures next to the alternatives users would
# otherwise pick (bench/compare.py). Needs: promtool (Debian `prometheus`), GNU time, python3 with
# prometheus_client, boto3 and moto[server] (installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
for module in prometheus_client boto3; do
  python3 -c "import $module" 2>/dev/null || python3 -m pip install --quiet "$module" 2>/dev/null || python3 -m pip install --quiet --break-system-packages "$module"
done
python3 -c "import moto.server" 2>/dev/null || bash dev/install-deps.sh --test
command -v promtool >/dev/null && [ -x /usr/bin/time ] || bash dev/install-deps.sh --test
# The minimal libcurl, fetched and built once for the release binary and the floor programs.
log="${TMPDIR:-/tmp}/scalebridge-release-build.log"
SCALEBRIDGE_CURL_PKGCONFIG="$(packaging/curl/build.sh 2>"$log" | tail -1)" || { tail -20 "$log" >&2; exit 1; }
export SCALEBRIDGE_CURL_PKGCONFIG
# The shipped binary, as packaging/Dockerfile builds it.
binary="$(packaging/build-release.sh 2>"$log" | tail -1)" || { tail -20 "$log" >&2; exit 1; }
exec python3 bench/compare.py "$binary"
