#!/usr/bin/env bash
# Installs the Debian packages scalebridge needs, only when something is missing.
#   dev/install-deps.sh          build dependencies (libcurl, OpenSSL, zlib headers)
#   dev/install-deps.sh --test   plus the test oracles and tools (Prometheus, openssl, python3)
set -euo pipefail

missing=()
for package in libcurl4-openssl-dev libssl-dev zlib1g-dev pkg-config; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${1:-}" = "--test" ]; then
  # Commands, not packages: python3 may come from elsewhere (pyenv) and that is fine.
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
fi

if [ "${1:-}" = "--test" ] && command -v python3 >/dev/null 2>&1 && ! python3 -c 'import botocore' 2>/dev/null; then
  # botocore's signer is the SigV4 oracle (../shared/tools/sigv4-reference.py).
  echo "installing: botocore (pip)" >&2
  python3 -m pip install --quiet botocore
fi

if [ "${1:-}" = "--test" ] && command -v python3 >/dev/null 2>&1 && ! python3 -c 'import moto.server, flask' 2>/dev/null; then
  # moto is the CloudWatch oracle (../shared/tools/moto-cloudwatch-check.py).
  echo "installing: moto[server] (pip)" >&2
  python3 -m pip install --quiet 'moto[server]'
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

# De-duplicate.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
