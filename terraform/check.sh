#!/usr/bin/env bash
# Offline checks of terraform/ (no network, no cloud account):
#   1. terraform fmt -check (also catches syntax errors in every file)
#   2. terraform validate on the provider-free module and example (no providers can be
#      downloaded here, so modules that need aws/azurerm/google are not schema-checked)
#   3. terraform apply of examples/config-only, and `scalebridge check` on the YAML it renders
#   4. checkov: zero failed checks, zero parsing errors (each skip is justified inline)
#   5. python-hcl2 tests: permissions as narrow as documented, every variable documented
# Usage: terraform/check.sh [path/to/scalebridge]   (tools: dev/install-deps.sh --test)
set -euo pipefail
cd "$(dirname "$0")"
binary="${1:-../.build/debug/scalebridge}"
[[ "$binary" = /* ]] || binary="$PWD/$binary"
checkov="${CHECKOV:-../.venv-checkov/bin/checkov}"
export CHECKPOINT_DISABLE=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/plugins"

# Keep every tool off the network when the kernel lets us.
offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n); fi

step() { printf '== %s\n' "$*"; }

step "terraform fmt -check"
"${offline[@]}" terraform fmt -check -diff -recursive .

for dir in modules/scalebridge-config examples/config-only; do
  step "terraform validate $dir"
  (cd "$dir" && TF_DATA_DIR="$work/${dir//\//_}" "${offline[@]}" terraform init -backend=false -input=false -plugin-dir="$work/plugins" >/dev/null \
    && TF_DATA_DIR="$work/${dir//\//_}" "${offline[@]}" terraform validate -no-color)
done

step "terraform apply examples/config-only, then scalebridge check on its YAML"
(cd examples/config-only && TF_DATA_DIR="$work/examples_config-only" "${offline[@]}" terraform apply -auto-approve -input=false -no-color -state="$work/config.tfstate" >/dev/null)
SCALEBRIDGE_TF_CONFIG="$(terraform output -state="$work/config.tfstate" -raw yaml)" "$binary" check --config env:SCALEBRIDGE_TF_CONFIG >/dev/null
echo "scalebridge check: the rendered config is valid"

step "checkov"
BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=1 "${offline[@]}" "$checkov" -d . --framework terraform --skip-download -o json >"$work/checkov.json" 2>/dev/null || true
python3 - "$work/checkov.json" <<'PY'
import json, sys
reports = json.load(open(sys.argv[1]))
reports = reports if isinstance(reports, list) else [reports]
failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
summary = {k: sum(r["summary"][k] for r in reports) for k in ("passed", "failed", "skipped", "parsing_errors", "resource_count")}
print("checkov:", summary)
for check in failed:
    print(f"  FAILED {check['check_id']} {check['resource']} {check['file_path']}:{check['file_line_range']}")
sys.exit(1 if failed or summary["parsing_errors"] or summary["passed"] == 0 else 0)
PY

step "policy and documentation tests (python-hcl2)"
python3 -m unittest discover -s tests
