variable "name" {
  description = "Prefix for the resources this module creates (SSM parameter, log group, policies)."
  type        = string
  default     = "scalebridge"
}

variable "cluster_name" {
  description = "ECS cluster of the scaled service."
  type        = string
}

variable "service_name" {
  description = "ECS service to scale; scalebridge runs as a sidecar in its task."
  type        = string
}

variable "task_role_name" {
  description = "Name of the service's task role; it gets cloudwatch:PutMetricData on the namespace only."
  type        = string
}

variable "execution_role_name" {
  description = "Name of the task execution role; it gets read access to the config parameter only."
  type        = string
}

variable "image" {
  description = "scalebridge image, e.g. <account>.dkr.ecr.<region>.amazonaws.com/scalebridge:1.0."
  type        = string
}

variable "config_yaml" {
  description = "The scalebridge config (YAML), stored as a SecureString SSM parameter and passed with --config env:SCALEBRIDGE_CONFIG."
  type        = string
  sensitive   = true
}

variable "namespace" {
  description = "CloudWatch namespace the config's cloudwatch sink publishes to (the IAM condition pins it)."
  type        = string

  validation {
    condition     = length(var.namespace) > 0 && length(var.namespace) <= 255 && substr(var.namespace, 0, 4) != "AWS/"
    error_message = "The namespace must be 1-255 characters and not start with AWS/."
  }
}

variable "metric_name" {
  description = "Published metric the service scales on (a signal name, or its metric_names entry)."
  type        = string
}

variable "metric_dimensions" {
  description = "Dimensions of that metric, exactly as the sink publishes them."
  type        = map(string)
  default     = {}
}

variable "scaling_mode" {
  description = "workers_required: the metric is an absolute count of tasks needed (metric math divides it by the running tasks, target 1). per_task: the metric is already a per-task load (target = what one task should carry)."
  type        = string
  default     = "workers_required"

  validation {
    condition     = contains(["workers_required", "per_task"], var.scaling_mode)
    error_message = "scaling_mode must be workers_required or per_task."
  }
}

variable "target_value" {
  description = "Target-tracking target: 1 for workers_required; the per-task load for per_task."
  type        = number
  default     = 1
}

variable "min_capacity" {
  description = "Fewest tasks."
  type        = number
  default     = 1
}

variable "max_capacity" {
  description = "Most tasks."
  type        = number
}

variable "scale_out_cooldown" {
  description = "Seconds after a scale-out before another (docs/clouds/aws.md default 60)."
  type        = number
  default     = 60
}

variable "scale_in_cooldown" {
  description = "Seconds after a scale-in before another (default 300, like the HPA's scale-down window)."
  type        = number
  default     = 300
}

variable "region" {
  description = "Region for the awslogs driver and AWS_REGION in the sidecar."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the sidecar's log group."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the config parameter and the log group; null uses AWS-managed keys."
  type        = string
  default     = null
}

variable "memory_reservation" {
  description = "Soft memory limit of the sidecar in MiB (memoryReservation), reserved for task placement; it is not a hard limit."
  type        = number
  default     = 32
}
