# A Cloud Run worker pool whose instance count scalebridge sets from the queue's metrics.
terraform {
  required_version = ">= 1.3.0"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0"
    }
  }
}

variable "project" {
  type = string
}

variable "region" {
  type    = string
  default = "europe-west1"
}

variable "image" {
  type = string
}

provider "google" {
  project = var.project
  region  = var.region
}

module "config" {
  source = "../../modules/scalebridge-config"

  targets = [{ name = "api", urls = ["http://api.internal:5000/prometheus"] }]
  signals = [{ name = "WorkersRequired", expr = "max(queued_tasks_workers_required)", buffer = 0.3, round = "ceil" }]
  sinks = [
    { type = "google_monitoring", project = var.project, resource = { type = "global" }, labels = { service = "queue-worker" } },
    {
      type                = "cloud_run"
      project             = var.project
      region              = var.region
      worker_pool         = "queue-worker"
      signal              = "WorkersRequired"
      target_per_instance = 1
      min_instances       = 1
      max_instances       = 50
    },
  ]
}

module "scalebridge" {
  source = "../../modules/gcp-cloud-run"

  project     = var.project
  region      = var.region
  image       = var.image
  config_yaml = module.config.yaml
  target_kind = "worker_pool"
  target_name = "queue-worker"
  deployment  = "service"
}

output "service_account" {
  value = module.scalebridge.service_account_email
}
