terraform {
  # No provider: this module only renders YAML, so `terraform validate` and `apply` work offline.
  required_version = ">= 1.0.0"
}
