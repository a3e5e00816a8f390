output "job_id" {
  description = "ARM id of the Container Apps job."
  value       = azurerm_container_app_job.scalebridge.id
}

output "identity_client_id" {
  description = "Client id of the job's user-assigned identity (set as AZURE_CLIENT_ID in the job)."
  value       = azurerm_user_assigned_identity.job.client_id
}

output "identity_principal_id" {
  description = "Object id of the identity holding Monitoring Metrics Publisher on the scaled app."
  value       = azurerm_user_assigned_identity.job.principal_id
}

output "custom_scale_rule" {
  description = "The scale rule for the scaled app's template: use it in a dynamic custom_scale_rule block (see the example)."
  value       = local.custom_scale_rule
}
