variable "name" {
  description = "Name of the Container Apps job (and prefix of the identity)."
  type        = string
  default     = "scalebridge"
}

variable "resource_group_name" {
  description = "Resource group for the job and its identity."
  type        = string
}

variable "location" {
  description = "Azure region of the job (the scaled app's region, where the metric is written)."
  type        = string
}

variable "container_app_environment_id" {
  description = "Container Apps environment the job runs in."
  type        = string
}

variable "image" {
  description = "scalebridge image."
  type        = string
}

variable "config_yaml" {
  description = "The scalebridge config (YAML) with an azure_monitor sink on the scaled app; stored as a job secret and passed with --config env:SCALEBRIDGE_CONFIG."
  type        = string
  sensitive   = true
}

variable "scaled_app_id" {
  description = "ARM id of the scaled Container App: the only scope of the Monitoring Metrics Publisher assignment."
  type        = string
}

variable "scaled_app_name" {
  description = "Name of the scaled Container App (for the scale rule's resourceURI)."
  type        = string
}

variable "cron_expression" {
  description = "When the job runs `scalebridge once` (default every minute)."
  type        = string
  default     = "*/1 * * * *"
}

variable "replica_timeout_in_seconds" {
  description = "Per-run limit; must cover scrape.timeout plus the sinks' retry budget (10 s)."
  type        = number
  default     = 50
}

variable "metric_name" {
  description = "Metric the scale rule reads (the signal name, or its metric_names entry)."
  type        = string
}

variable "metric_namespace" {
  description = "Namespace of the azure_monitor sink (default Scalebridge)."
  type        = string
  default     = "Scalebridge"
}

variable "metric_filter" {
  description = "Optional KEDA metricFilter, e.g. \"Service eq 'queue-worker'\"; empty for none."
  type        = string
  default     = ""
}

variable "target_value" {
  description = "Scale-rule target: 1 when the metric is the number of replicas required."
  type        = number
  default     = 1
}

variable "scale_rule_reader_client_id_secret" {
  description = "Name of the scaled app's secret holding the client id KEDA uses to read Azure Monitor."
  type        = string
  default     = "keda-monitor-client-id"
}

variable "scale_rule_reader_client_secret_secret" {
  description = "Name of the scaled app's secret holding that reader's client secret."
  type        = string
  default     = "keda-monitor-client-secret"
}

variable "scale_rule_reader_principal_id" {
  description = "Object id of the reader KEDA uses; when set it gets Monitoring Reader on the scaled app only."
  type        = string
  default     = null
}
