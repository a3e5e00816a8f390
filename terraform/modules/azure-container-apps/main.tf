data "azurerm_client_config" "current" {}

resource "azurerm_user_assigned_identity" "job" {
  name                = "${var.name}-identity"
  resource_group_name = var.resource_group_name
  location            = var.location
}

# The only permission scalebridge needs: publish metrics on the scaled app, and nowhere else.
resource "azurerm_role_assignment" "publish" {
  scope                = var.scaled_app_id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_user_assigned_identity.job.principal_id
  principal_type       = "ServicePrincipal"
}

# KEDA's azure-monitor scaler reads the metric back; read-only, on the same app only.
resource "azurerm_role_assignment" "read" {
  count                = var.scale_rule_reader_principal_id == null ? 0 : 1
  scope                = var.scaled_app_id
  role_definition_name = "Monitoring Reader"
  principal_id         = var.scale_rule_reader_principal_id
}

resource "azurerm_container_app_job" "scalebridge" {
  name                         = var.name
  resource_group_name          = var.resource_group_name
  location                     = var.location
  container_app_environment_id = var.container_app_environment_id
  replica_timeout_in_seconds   = var.replica_timeout_in_seconds
  replica_retry_limit          = 0

  schedule_trigger_config {
    cron_expression          = var.cron_expression
    parallelism              = 1
    replica_completion_count = 1
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.job.id]
  }

  secret {
    name  = "scalebridge-config"
    value = var.config_yaml
  }

  template {
    container {
      name    = "scalebridge"
      image   = var.image
      cpu     = 0.25
      memory  = "0.5Gi"
      command = ["/usr/local/bin/scalebridge"]
      args    = ["once", "--config", "env:SCALEBRIDGE_CONFIG", "--log-format", "json"]

      env {
        name        = "SCALEBRIDGE_CONFIG"
        secret_name = "scalebridge-config"
      }

      # Selects the user-assigned identity among those Container Apps exposes.
      env {
        name  = "AZURE_CLIENT_ID"
        value = azurerm_user_assigned_identity.job.client_id
      }
    }
  }
}

locals {
  scaled_app_parts = split("/", var.scaled_app_id)
  # KEDA azure-monitor scale rule for the scaled app's template (custom_scale_rule block).
  custom_scale_rule = {
    name             = "scalebridge-${lower(var.metric_name)}"
    custom_rule_type = "azure-monitor"
    metadata = merge(
      {
        resourceURI               = "Microsoft.App/containerApps/${var.scaled_app_name}"
        tenantId                  = data.azurerm_client_config.current.tenant_id
        subscriptionId            = local.scaled_app_parts[2]
        resourceGroupName         = local.scaled_app_parts[4]
        metricName                = var.metric_name
        metricNamespace           = var.metric_namespace
        metricAggregationType     = "Maximum"
        metricAggregationInterval = "0:1:0"
        targetValue               = tostring(var.target_value)
      },
      var.metric_filter == "" ? {} : { metricFilter = var.metric_filter },
    )
    authentication = [
      { secret_name = var.scale_rule_reader_client_id_secret, trigger_parameter = "activeDirectoryClientId" },
      { secret_name = var.scale_rule_reader_client_secret_secret, trigger_parameter = "activeDirectoryClientPassword" },
    ]
  }
}
