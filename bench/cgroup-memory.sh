#!/usr/bin/env bash
# The memory a platform bills for the daemon, next to VmRSS: the release binary's `run` on the
# quickstart (stdout sink, 1 s interval) in a memory cgroup of its own, with and without
# dropping start-up pages (design 0005). Reports, after 30 s:
#   VmRSS              what `ps` shows
#   anon               the cgroup's anonymous memory (rss in cgroup v1's memory.stat)
#   usage              memory.usage_in_bytes (v1) / memory.current (v2): what a limit is charged
#   working set        usage - inactive_file: what Kubernetes, Container Apps and ECS report
# Needs root and a memory cgroup hierarchy (v1 at /sys/fs/cgroup/memory, or v2 unified).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
binary="${1:-$(packaging/build-release.sh | tail -1)}"
seconds="${SECONDS_RUN:-30}"
if [ -d /sys/fs/cgroup/memory ]; then base=/sys/fs/cgroup/memory; version=1; else base=/sys/fs/cgroup; version=2; fi

measure() {
  local label="$1"; shift
  local group="$base/scalebridge-bench-$$-$label"
  mkdir -p "$group"
  # A cold page cache, as in a new container: the binary's pages are charged to this cgroup.
  sync; echo 3 > /proc/sys/vm/drop_caches
  sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$group" "$binary" run --config examples/quickstart.yaml --listen "" "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep "$seconds"
  local rss anon usage inactive
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  if [ "$version" = 1 ]; then
    usage=$(cat "$group/memory.usage_in_bytes")
    anon=$(awk '$1=="rss" {print $2}' "$group/memory.stat")
    inactive=$(awk '$1=="total_inactive_file" {print $2}' "$group/memory.stat")
  else
    usage=$(cat "$group/memory.current")
    anon=$(awk '$1=="anon" {print $2}' "$group/memory.stat")
    inactive=$(awk '$1=="inactive_file" {print $2}' "$group/memory.stat")
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rmdir "$group" 2>/dev/null || true
  python3 - "$label" "$rss" "$anon" "$usage" "$inactive" <<'PY'
import sys
label, rss, anon, usage, inactive = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
mib = lambda b: b / 1048576
print(f"| {label} | {rss / 1024:.1f} | {mib(anon):.1f} | {mib(usage):.1f} | {mib(usage - inactive):.1f} |")
PY
}

echo "| run, quickstart, stdout, 1 s | VmRSS MiB | cgroup anon MiB | cgroup usage MiB | working set MiB |"
echo "|---|---|---|---|---|"
measure drop
measure keep --no-drop-startup-pages
