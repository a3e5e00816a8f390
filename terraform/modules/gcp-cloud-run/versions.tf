terraform {
  required_version = ">= 1.3.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # Cloud Run v2 worker pools and their IAM resources need a recent 6.x.
      version = ">= 6.0"
    }
  }
}
