# A queue-worker ECS service scaled on "workers required" from its own metrics: scalebridge
# runs as a sidecar, publishes to CloudWatch, target tracking follows the metric.
terraform {
  required_version = ">= 1.0.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "image" {
  type = string
}

module "config" {
  source = "../../modules/scalebridge-config"

  # awsvpc tasks share the network namespace: the worker is on 127.0.0.1.
  targets = [{ name = "queued-worker", urls = ["http://127.0.0.1:9100/metrics"] }]
  signals = [{ name = "QueuedWorkersRequired", expr = "max(queued_tasks_workers_required)", buffer = 0.3, round = "ceil" }]
  sinks = [{
    type       = "cloudwatch"
    namespace  = "Membrane"
    dimensions = { ServiceName = "queued-worker" }
  }]
}

module "scalebridge" {
  source = "../../modules/aws-ecs"

  cluster_name        = "prod"
  service_name        = "queued-worker"
  task_role_name      = "queued-worker-task"
  execution_role_name = "queued-worker-execution"
  image               = var.image
  region              = var.region
  config_yaml         = module.config.yaml
  namespace           = "Membrane"
  metric_name         = "QueuedWorkersRequired"
  metric_dimensions   = { ServiceName = "queued-worker" }
  scaling_mode        = "workers_required"
  min_capacity        = 1
  max_capacity        = 30
}

# Add this to the service's task definition next to the worker container.
output "sidecar_container_definition" {
  value = jsonencode(module.scalebridge.container_definition)
}
