#!/usr/bin/env bash
# Offline checks of terraform/ (no network, no cloud account):
#   1. terraform fmt -check (also catches syntax errors in every file)
#   2. terraform validate on the provider-free module and examples; with a local mirror of the
#      hashicorp/aws provider (TF_PROVIDER_MIRROR, default /opt/tf-plugins), the aws-ecs module
#      and its example against the provider's real schema, and an offline plan of the example
#      whose task definition's sidecar container is checked (terraform/plan-check.py)
#   3. terraform apply of examples/config-only and examples/config-every-key, `scalebridge
#      check` on the YAML they render, and every documented target, signal, scrape and
#      top-level key present in the every-key YAML
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

step "terraform version (the modules need 1.3 or later)"
terraform version -json | python3 -c 'import json,sys; v=json.load(sys.stdin)["terraform_version"]; t=tuple(map(int,v.split(".")[:2])); print("terraform", v); sys.exit(0 if t >= (1, 3) else 1)' \
  || { echo "Terraform 1.3 or later is required (optional object attributes)" >&2; exit 1; }

for dir in modules/scalebridge-config examples/config-only examples/config-every-key; do
  step "terraform validate $dir"
  (cd "$dir" && TF_DATA_DIR="$work/${dir//\//_}" "${offline[@]}" terraform init -backend=false -input=false -plugin-dir="$work/plugins" >/dev/null \
    && TF_DATA_DIR="$work/${dir//\//_}" "${offline[@]}" terraform validate -no-color)
done

for example in config-only config-every-key; do
  step "terraform apply examples/$example, then scalebridge check on its YAML"
  (cd "examples/$example" && TF_DATA_DIR="$work/examples_$example" "${offline[@]}" terraform apply -auto-approve -input=false -no-color -state="$work/$example.tfstate" >/dev/null)
  terraform output -state="$work/$example.tfstate" -raw yaml >"$work/$example.yaml"
  SCALEBRIDGE_TF_CONFIG="$(cat "$work/$example.yaml")" "$binary" check --config env:SCALEBRIDGE_TF_CONFIG >/dev/null
  echo "scalebridge check: the rendered config is valid"
done

step "the config module renders every documented key"
python3 - "$work/config-every-key.yaml" ../docs/configuration.md <<'PY'
import re, sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
doc = open(sys.argv[2]).read()
def keys_of(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            keys_of(v, out)
    elif isinstance(value, list):
        for v in value:
            keys_of(v, out)
    return out
rendered = keys_of({k: v for k, v in config.items() if k != "sinks"}, set()) | set(config)
missing = []
# Sections whose keys the module renders: top level, scrape, targets (with tls, discover,
# relabel), signals. Sink keys pass through as given (type any).
for section in re.split(r"\n## ", doc)[1:]:
    title = section.split("\n", 1)[0]
    if not (title.startswith("Top level") or title.startswith("`scrape`") or title.startswith("`targets`") or title.startswith("`signals`")):
        continue
    for key in re.findall(r"^\| `([a-z_.]+)` \|", section, re.M):
        leaf = key.split(".")[-1]
        if leaf not in rendered:
            missing.append(f"{title.split()[0]}: {key}")
print(f"rendered keys: {len(rendered)}; documented keys missing from the every-key YAML: {missing or 'none'}")
sys.exit(1 if missing else 0)
PY

mirror="${TF_PROVIDER_MIRROR:-/opt/tf-plugins}"
if [ -d "$mirror/registry.terraform.io/hashicorp/aws" ]; then
  for dir in modules/aws-ecs examples/aws-ecs-sidecar; do
    step "terraform validate $dir against the hashicorp/aws provider ($mirror)"
    (cd "$dir" && TF_DATA_DIR="$work/${dir//\//_}" "${offline[@]}" terraform init -backend=false -input=false -plugin-dir="$mirror" >/dev/null \
      && TF_DATA_DIR="$work/${dir//\//_}" "${offline[@]}" terraform validate -no-color)
  done
  step "terraform plan examples/aws-ecs-sidecar offline, and its task definition's sidecar container"
  cp -r . "$work/tree"
  cat >"$work/tree/examples/aws-ecs-sidecar/offline_override.tf" <<'TF'
provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
}
TF
  (cd "$work/tree/examples/aws-ecs-sidecar" && TF_DATA_DIR="$work/plan" "${offline[@]}" terraform init -backend=false -input=false -plugin-dir="$mirror" >/dev/null \
    && TF_DATA_DIR="$work/plan" "${offline[@]}" terraform plan -refresh=false -input=false -no-color -var image=scalebridge:test -out="$work/plan.bin" >/dev/null \
    && TF_DATA_DIR="$work/plan" "${offline[@]}" terraform show -json "$work/plan.bin" >"$work/plan.json")
  python3 plan-check.py "$work/plan.json"
elif [ "${CI:-}" = "true" ]; then
  echo "no local mirror of hashicorp/aws at $mirror: CI requires the provider schema check" >&2
  exit 1
else
  step "SKIPPED: no local mirror of hashicorp/aws at $mirror (set TF_PROVIDER_MIRROR); the aws-ecs module is not checked against the provider's schema"
fi

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
