terraform {
  # No provider: this module only renders YAML, so `terraform validate` and `apply` work offline.
  # 1.3 brings optional object attributes, which let every optional config key stay optional.
  required_version = ">= 1.3.0"
}
