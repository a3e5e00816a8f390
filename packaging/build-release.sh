#!/usr/bin/env bash
# The release binary as it ships (packaging/Dockerfile, `make release`, bench/compare.sh and the
# CI packaging check all build it here): static Swift stdlib and libstdc++, the minimal static
# libcurl of packaging/curl/build.sh, linked by lld with packed relative relocations. Why each choice:
# docs/design/0004-release-link.md.
#
#   packaging/build-release.sh [--system-curl]   prints the binary's path on the last line
#
# --system-curl links the distribution's libcurl4 instead (no source download; the binary then
# needs libcurl4 and its ~25 libraries at run time, and ~4 MiB more RSS).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${SCALEBRIDGE_RELEASE_SCRATCH:-.build-release}"
flags=(
  # One section per function, so --gc-sections drops what nothing calls.
  -Xswiftc -Xfrontend -Xswiftc -function-sections
  # lld (shipped with the toolchain) for RELR: 25 k relative relocations in 8 KiB instead of
  # 1 MiB that every process start reads and keeps resident. Needs glibc >= 2.36 (bookworm).
  -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs
)
if [ "${1:-}" = "--system-curl" ]; then
  unset PKG_CONFIG_PATH
  scratch="$scratch-system-curl"
else
  pkgconfig="$(packaging/curl/build.sh | tail -1)"
  export PKG_CONFIG_PATH="$pkgconfig"
fi
# SwiftPM keeps pkg-config's answers in its build plan; drop the plan so it asks again.
rm -f "$scratch/release.yaml" "$scratch"/*/release/description.json
# libstdc++ (used only by the Swift runtime) linked in, not loaded as libstdc++.so: ~2 MiB of
# RSS side by side. The swift driver passes a bare -lstdc++ after any flags we can add, so the
# archive goes where the linker looks first: SwiftPM's products directory, searched before the
# compiler's. packaging/check-runtime-deps.sh fails if libstdc++.so is ever linked again.
products="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
cc="${CC:-cc}"; command -v "$cc" >/dev/null 2>&1 || cc=clang
archive="$("$cc" -print-file-name=libstdc++.a)"
[ -f "$archive" ] || { echo "build-release: no libstdc++.a ($cc -print-file-name); install libstdc++-12-dev" >&2; exit 1; }
mkdir -p "$products" && ln -sfn "$archive" "$products/libstdc++.a"
swift build -c release --product scalebridge --static-swift-stdlib --scratch-path "$scratch" "${flags[@]}" >&2
echo "$scratch/release/scalebridge"
