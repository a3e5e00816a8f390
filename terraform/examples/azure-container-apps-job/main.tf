# A Container App scaled on a custom metric that a scheduled scalebridge job publishes.
terraform {
  required_version = ">= 1.3.0"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 3.90"
    }
  }
}

provider "azurerm" {
  features {}
}

variable "image" {
  type = string
}

variable "worker_image" {
  type = string
}

variable "resource_group_name" {
  type    = string
  default = "rg-queue"
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "environment_id" {
  type = string
}

variable "keda_reader_client_id" {
  description = "App registration KEDA uses to read Azure Monitor."
  type        = string
  sensitive   = true
}

variable "keda_reader_client_secret" {
  type      = string
  sensitive = true
}

variable "keda_reader_principal_id" {
  type = string
}

data "azurerm_subscription" "current" {}

locals {
  app_name = "queue-worker"
  app_id   = "${data.azurerm_subscription.current.id}/resourceGroups/${var.resource_group_name}/providers/Microsoft.App/containerApps/${local.app_name}"
}

module "config" {
  source = "../../modules/scalebridge-config"

  targets = [{ name = "queue-worker", urls = ["http://queue-worker/metrics"] }]
  signals = [{ name = "QueuedWorkersRequired", expr = "max(queued_tasks_workers_required)", buffer = 0.3, round = "ceil" }]
  sinks = [{
    type        = "azure_monitor"
    region      = var.location
    resource_id = local.app_id
    namespace   = "Scalebridge"
  }]
  state_dir = "/var/lib/scalebridge"
}

module "scalebridge" {
  source = "../../modules/azure-container-apps"

  resource_group_name            = var.resource_group_name
  location                       = var.location
  container_app_environment_id   = var.environment_id
  image                          = var.image
  config_yaml                    = module.config.yaml
  scaled_app_id                  = local.app_id
  scaled_app_name                = local.app_name
  metric_name                    = "QueuedWorkersRequired"
  scale_rule_reader_principal_id = var.keda_reader_principal_id
}

resource "azurerm_container_app" "worker" {
  name                         = local.app_name
  resource_group_name          = var.resource_group_name
  container_app_environment_id = var.environment_id
  revision_mode                = "Single"

  secret {
    name  = "keda-monitor-client-id"
    value = var.keda_reader_client_id
  }

  secret {
    name  = "keda-monitor-client-secret"
    value = var.keda_reader_client_secret
  }

  ingress {
    target_port = 9100
    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = 1
    max_replicas = 30

    container {
      name   = "worker"
      image  = var.worker_image
      cpu    = 0.5
      memory = "1Gi"
    }

    custom_scale_rule {
      name             = module.scalebridge.custom_scale_rule.name
      custom_rule_type = module.scalebridge.custom_scale_rule.custom_rule_type
      metadata         = module.scalebridge.custom_scale_rule.metadata

      dynamic "authentication" {
        for_each = module.scalebridge.custom_scale_rule.authentication
        content {
          secret_name       = authentication.value.secret_name
          trigger_parameter = authentication.value.trigger_parameter
        }
      }
    }
  }
}
