#!/usr/bin/env bash
# Builds the libcurl the release binary links: Debian bookworm's own curl source (the same
# version and security patches as the distribution's libcurl4), configured for what scalebridge
# uses and nothing else — HTTP, HTTPS (OpenSSL), file://, gzip (zlib), proxies, the threaded
# resolver — and linked statically. The distribution's libcurl4 pulls ~25 libraries into every
# process (GnuTLS, Kerberos, LDAP, SSH, RTMP, …), which cost the daemon 4 MiB of RSS
# (docs/design/0004-release-link.md).
#
#   packaging/curl/build.sh [DIR]   builds into DIR (default .build-curl), prints the
#                                   directory to put on PKG_CONFIG_PATH
#
# Needs apt (for `apt-get source`, with a private source list: the system's is not touched),
# dpkg-dev, a C compiler, make, libssl-dev and zlib1g-dev (dev/install-deps.sh --release).
# Rebuilds only when Debian's version changes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/.build-curl}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
apt_dir="$out/apt"

# A private deb-src list for bookworm and its security updates (signatures checked against
# the system's Debian keyring, as apt does for binaries).
mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial"
cat > "$apt_dir/sources/debian-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_options=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/sources"
  -o "Dir::State::Lists=$apt_dir/lists" -qq)
# As root, apt would hand the download to its _apt user, who cannot write here.
[ "$(id -u)" = 0 ] && apt_options+=(-o "APT::Sandbox::User=root")

if ! command -v dpkg-source >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
  [ -x "$root/dev/install-deps.sh" ] || { echo "curl: needs dpkg-dev and make (apt-get install dpkg-dev make patch xz-utils)" >&2; exit 1; }
  "$root/dev/install-deps.sh" --release
fi
if ! apt-get "${apt_options[@]}" update >"$out/apt-update.log" 2>&1; then
  if [ -f "$out/current/lib/libscalebridge-curl.a" ]; then
    echo "curl: cannot reach Debian's source index (see $out/apt-update.log); keeping the build in $out/current" >&2
    echo "$out/current/lib/pkgconfig"
    exit 0
  fi
  echo "curl: cannot fetch Debian's curl source index (see $out/apt-update.log)." >&2
  echo "curl: build with the distribution's libcurl instead: packaging/build-release.sh --system-curl" >&2
  exit 1
fi
version="$(apt-get "${apt_options[@]}" source --print-uris curl 2>/dev/null | awk '$2 ~ /^curl_.*\.dsc$/ {print $2; exit}')"
version="${version%.dsc}"
[ -n "$version" ] || { echo "curl: no curl source package in Debian's index" >&2; exit 1; }
prefix="$out/$version"

if [ ! -f "$prefix/lib/libscalebridge-curl.a" ]; then
  echo "curl: building $version (minimal, static) in $prefix" >&2
  work="$out/src"
  rm -rf "$work" && mkdir -p "$work"
  (cd "$work" && apt-get "${apt_options[@]}" source --download-only curl >/dev/null 2>&1 \
    && dpkg-source --no-check -x "$version.dsc" source >/dev/null)
  cd "$work/source"
  # The Swift images have clang but not always a `cc`.
  command -v "${CC:-cc}" >/dev/null 2>&1 || export CC=clang
  # Protocols: http, https and file only. Features off: what the daemon never asks libcurl for
  # (cookies, netrc, HSTS, alt-svc, DoH, NTLM, HTTP/2) and every optional library.
  ./configure --prefix="$prefix" --disable-shared --enable-static --with-pic \
    --with-openssl --with-zlib \
    --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs \
    --enable-threaded-resolver --enable-ipv6 --enable-proxy \
    --disable-ftp --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet \
    --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher \
    --disable-mqtt --disable-manual --disable-docs --disable-ntlm --disable-ntlm-wb \
    --disable-cookies --disable-netrc --disable-hsts --disable-alt-svc --disable-doh \
    --without-gssapi --without-brotli --without-zstd --without-libpsl --without-libidn2 \
    --without-librtmp --without-libssh2 --without-nghttp2 --without-nghttp3 --without-ngtcp2 \
    >"$out/configure.log" 2>&1 || { echo "curl: configure failed (see $out/configure.log)" >&2; exit 1; }
  make -j"$(nproc)" -C lib >"$out/make.log" 2>&1 || { echo "curl: make failed (see $out/make.log)" >&2; exit 1; }
  make -C lib install >/dev/null && make -C include install >/dev/null
  # A name of its own, so a linker search path holding the distribution's libcurl.a or
  # libcurl.so can never shadow it.
  mv "$prefix/lib/libcurl.a" "$prefix/lib/libscalebridge-curl.a"
  rm -f "$prefix/lib/libcurl.la"
  mkdir -p "$prefix/lib/pkgconfig"
  cat > "$prefix/lib/pkgconfig/libcurl.pc" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: libcurl
Description: $version for scalebridge: http, https, file; OpenSSL, zlib; static
Version: ${version#curl_}
Libs: -L\${libdir} -lscalebridge-curl -lssl -lcrypto -lz -lpthread
Cflags: -I\${includedir}
EOF
  rm -rf "$work"
fi
ln -sfn "$prefix" "$out/current"
echo "$prefix/lib/pkgconfig"
