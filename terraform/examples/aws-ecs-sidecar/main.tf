# A queue-worker ECS service scaled on "workers required" from its own metrics: scalebridge
# runs as a sidecar, publishes to CloudWatch, target tracking follows the metric.
terraform {
  required_version = ">= 1.3.0"
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

variable "worker_image" {
  type    = string
  default = "public.ecr.aws/docker/library/busybox:stable"
}

variable "account_id" {
  type    = string
  default = "123456789012"
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

# The service's task definition: the worker and the scalebridge sidecar side by side.
resource "aws_ecs_task_definition" "worker" {
  family                   = "queued-worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "512"
  memory                   = "1024"
  task_role_arn            = "arn:aws:iam::${var.account_id}:role/queued-worker-task"
  execution_role_arn       = "arn:aws:iam::${var.account_id}:role/queued-worker-execution"
  container_definitions = jsonencode([
    { name = "worker", image = var.worker_image, essential = true, readonlyRootFilesystem = true, portMappings = [{ containerPort = 9100 }] },
    module.scalebridge.container_definition,
  ])
}

output "sidecar_container_definition" {
  value = jsonencode(module.scalebridge.container_definition)
}
