variable "project" {
  description = "Project of the scaled worker pool or service (and of scalebridge)."
  type        = string
}

variable "region" {
  description = "Region of the scaled worker pool or service."
  type        = string
}

variable "name" {
  description = "Name of scalebridge's service or job and service account (6-30 characters)."
  type        = string
  default     = "scalebridge"
}

variable "image" {
  description = "scalebridge image (Artifact Registry)."
  type        = string
}

variable "config_yaml" {
  description = "The scalebridge config (YAML) with its google_monitoring and cloud_run sinks; stored in Secret Manager and passed with --config env:SCALEBRIDGE_CONFIG."
  type        = string
  sensitive   = true
}

variable "target_kind" {
  description = "What scalebridge scales: worker_pool or service."
  type        = string
  default     = "worker_pool"

  validation {
    condition     = contains(["worker_pool", "service"], var.target_kind)
    error_message = "target_kind must be worker_pool or service."
  }
}

variable "target_name" {
  description = "Name of the scaled worker pool or service; the only resource scalebridge may update."
  type        = string
}

variable "deployment" {
  description = "service: an always-on Cloud Run service running `scalebridge run`; job: a Cloud Run job running `scalebridge once` on a schedule."
  type        = string
  default     = "service"

  validation {
    condition     = contains(["service", "job"], var.deployment)
    error_message = "deployment must be service or job."
  }
}

variable "schedule" {
  description = "Cron schedule of the job (deployment = job)."
  type        = string
  default     = "* * * * *"
}

variable "state_bucket" {
  description = "Cloud Storage bucket mounted at /var/lib/scalebridge for state_dir (deployment = job); null for none."
  type        = string
  default     = null
}
