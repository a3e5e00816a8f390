terraform {
  required_version = ">= 1.3.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # `metrics` blocks (metric math) in target-tracking policies need 5.x.
      version = ">= 5.0"
    }
  }
}
