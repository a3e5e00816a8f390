#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer and the address sanitizer (make fuzz).
#   dev/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]   default: 60 s each, every target
# New inputs that reach new code go to .build-fuzz/corpus/<target> (not committed); a crash
# leaves crash-* in .build-fuzz/artifacts/<target>: minimise it, copy it into
# Tests/Fuzz/Corpus/<target> as a regression case (make test replays it), then fix the code.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(text openmetrics promql config retry-after json sigv4); fi

SCALEBRIDGE_FUZZ=1 swift build -c release --scratch-path .build-fuzz --product scalebridge-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2
binary="$(SCALEBRIDGE_FUZZ=1 swift build -c release --scratch-path .build-fuzz --show-bin-path)/scalebridge-fuzz"

status=0
for target in "${targets[@]}"; do
  work=".build-fuzz/corpus/$target"
  artifacts=".build-fuzz/artifacts/$target/"
  mkdir -p "$work" "$artifacts"
  echo "fuzzing $target for ${seconds}s" >&2
  # The committed seeds are read, never written: new inputs go to the work corpus.
  if ! SB_FUZZ_TARGET="$target" ASAN_OPTIONS=detect_leaks=0 "$binary" "$work" "Tests/Fuzz/Corpus/$target" \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$artifacts" \
      -print_final_stats=1 2> ".build-fuzz/$target.log"; then
    echo "  $target: FAILED, see .build-fuzz/$target.log and $artifacts" >&2
    status=1
  fi
  grep -E "stat::number_of_executed_units|cov:" ".build-fuzz/$target.log" | tail -2 | sed "s/^/  $target: /" >&2
done

# Differential: every page of the grown text corpus our parser accepts must give Prometheus'
# samples (Tests/ExpositionTests/FuzzDifferentialTests.swift; needs Debian's prometheus).
if [[ " ${targets[*]} " == *" text "* ]] && command -v prometheus >/dev/null 2>&1; then
  echo "differential: the text corpus against Prometheus" >&2
  swift build --build-tests >&2
  if ! SB_DIFF_CORPUS="$root/.build-fuzz/corpus/text" swift test --skip-build --filter FuzzDifferentialTests > .build-fuzz/differential.log 2>&1; then
    grep -o "[0-9]* of [0-9]* pages differ.*" .build-fuzz/differential.log | cut -c1-2000 >&2
    status=1
  fi
fi
exit $status
