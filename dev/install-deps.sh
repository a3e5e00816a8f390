#!/usr/bin/env bash
# Installs the Debian packages scalebridge needs, only when something is missing.
#   dev/install-deps.sh          build dependencies (libcurl, OpenSSL, zlib, libyaml headers)
#   dev/install-deps.sh --test   plus the test oracles and tools (Prometheus, openssl, python3)
#   dev/install-deps.sh --release   plus what packaging/curl/build.sh needs (dpkg-source, make)
set -euo pipefail

missing=()
for package in libcurl4-openssl-dev libssl-dev zlib1g-dev libyaml-dev pkg-config; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${1:-}" = "--release" ]; then
  for package in dpkg-dev make patch xz-utils; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
fi
if [ "${1:-}" = "--test" ]; then
  # Commands, not packages: python3 may come from elsewhere (pyenv) and that is fine.
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
  [ -x /usr/bin/time ] || missing+=(time)
  # rsvg-convert renders replay's picture in the tests (a real SVG renderer, not a parser).
  command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)
fi

# Python oracles, each installed only when its module is missing:
#   botocore: the SigV4 signer (Tests/Oracles/sigv4-reference.py)
#   moto: the CloudWatch fake with signature checks (moto-cloudwatch-check.py)
#   azure-identity: Microsoft's token clients, to capture the request shapes we must match
#   jwt (PyJWT) + cryptography: verifies our PS256/RS256 assertions
#   google.auth + google.cloud.monitoring_v3: gcp-validate.py (JWTs, timeSeries bodies)
#   yaml (PyYAML): a second YAML implementation the config composer is compared with
#   dnslib: a real DNS server on 127.0.0.1 for DNS discovery (Tests/Oracles/dns-server.py)
#   croniter: the cron reading the schedule floors are compared with (Tests/Oracles/cron-firings.py)
pip_wanted=(
  "botocore:botocore"
  "moto.server, flask:moto[server]"
  "azure.identity:azure-identity"
  "jwt, cryptography:PyJWT cryptography"
  "google.auth, google.cloud.monitoring_v3:google-auth google-cloud-monitoring"
  "hcl2:python-hcl2"
  "yaml:PyYAML"
  "dnslib:dnslib"
  "croniter:croniter"
)
if [ "${1:-}" = "--test" ] && command -v python3 >/dev/null 2>&1; then
  for entry in "${pip_wanted[@]}"; do
    modules="${entry%%:*}"
    packages="${entry#*:}"
    if ! python3 -c "import $modules" 2>/dev/null; then
      echo "installing: $packages (pip)" >&2
      # shellcheck disable=SC2086 # several package names on purpose
      python3 -m pip install --quiet $packages 2>/dev/null || python3 -m pip install --quiet --break-system-packages $packages
    fi
  done
fi

# Terraform checks (terraform/check.sh): Terraform 1.3 or later must be on PATH (the machine
# image ships 1.11 and a filesystem mirror of hashicorp/aws; no registry reached here carries
# either), and checkov goes in its own venv (it pins an old botocore that must not replace the
# one above).
if [ "${1:-}" = "--test" ] && command -v python3 >/dev/null 2>&1; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  command -v terraform >/dev/null 2>&1 || echo "note: terraform (1.3 or later) is not on PATH; the Terraform checks will fail in CI and be skipped elsewhere" >&2
  if [ ! -x "$root/.venv-checkov/bin/checkov" ]; then
    echo "installing: checkov (venv .venv-checkov)" >&2
    python3 -m venv "$root/.venv-checkov"
    "$root/.venv-checkov/bin/pip" install --quiet checkov
  fi
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
