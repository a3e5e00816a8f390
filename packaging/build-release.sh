#!/usr/bin/env bash
# The release binary as it ships (packaging/Dockerfile, `make release`, bench/compare.sh and the
# CI packaging check all build it here): static Swift stdlib and libstdc++, the minimal static
# libcurl of packaging/curl/build.sh, linked by lld with packed relative relocations. Why each choice:
# docs/design/0004-release-link.md.
#
#   packaging/build-release.sh [--system-curl] [--package-path DIR --product NAME]
#
# Prints the binary's path on the last line. --system-curl links the distribution's libcurl4
# instead (no source download; the binary then needs libcurl4 and its ~25 libraries at run time,
# and ~4 MiB more RSS). --package-path/--product link another package the same way (the RSS
# floor of bench/floor). SCALEBRIDGE_CURL_PKGCONFIG, when set, is packaging/curl/build.sh's
# answer from earlier in the same run; SCALEBRIDGE_RELEASE_SCRATCH picks the scratch directory.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${SCALEBRIDGE_RELEASE_SCRATCH:-.build-release}"
package=.
product=scalebridge
system_curl=false
while [ $# -gt 0 ]; do
  case "$1" in
    --system-curl) system_curl=true ;;
    --package-path) package="$2"; shift ;;
    --product) product="$2"; shift ;;
    *) echo "build-release: unknown argument $1" >&2; exit 64 ;;
  esac
  shift
done
flags=(
  # One section per function, so --gc-sections drops what nothing calls.
  -Xswiftc -Xfrontend -Xswiftc -function-sections
  # lld (shipped with the toolchain) for RELR: 25 k relative relocations in 8 KiB instead of
  # 1 MiB that every process start reads and keeps resident. Needs glibc >= 2.36 (bookworm).
  -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs
)
if $system_curl; then
  unset PKG_CONFIG_PATH
  scratch="$scratch-system-curl"
else
  export PKG_CONFIG_PATH="${SCALEBRIDGE_CURL_PKGCONFIG:-$(packaging/curl/build.sh | tail -1)}"
fi
swift_build=(swift build -c release --package-path "$package" --scratch-path "$scratch")
# SwiftPM keeps pkg-config's answers in its build plan; drop the plan so it asks again.
rm -f "$scratch/release.yaml" "$scratch"/*/release/description.json
# libstdc++ (used only by the Swift runtime) linked in, not loaded as libstdc++.so: ~2 MiB of
# RSS side by side. The swift driver passes a bare -lstdc++ after any flags we can add, so the
# archive goes where the linker looks first: SwiftPM's products directory, searched before the
# compiler's. packaging/check-runtime-deps.sh fails if libstdc++.so is ever linked again.
products="$("${swift_build[@]}" --show-bin-path)"
cc="${CC:-cc}"; command -v "$cc" >/dev/null 2>&1 || cc=clang
archive="$("$cc" -print-file-name=libstdc++.a)"
[ -f "$archive" ] || { echo "build-release: no libstdc++.a ($cc -print-file-name); install libstdc++-12-dev" >&2; exit 1; }
mkdir -p "$products" && ln -sfn "$archive" "$products/libstdc++.a"
"${swift_build[@]}" --product "$product" --static-swift-stdlib "${flags[@]}" >&2
echo "$products/$product"
