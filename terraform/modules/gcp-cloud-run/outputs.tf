output "service_account_email" {
  description = "scalebridge's service account (metricWriter on the project, the scaler role on the target only)."
  value       = google_service_account.scalebridge.email
}

output "scaler_role_id" {
  description = "The custom role bound on the scaled worker pool or service."
  value       = google_project_iam_custom_role.scaler.id
}

output "scaler_permissions" {
  description = "Permissions of that role."
  value       = local.scaler_permissions
}

output "service_name" {
  description = "The always-on service running scalebridge (deployment = service), else null."
  value       = var.deployment == "service" ? google_cloud_run_v2_service.scalebridge[0].name : null
}

output "job_name" {
  description = "The scheduled job running scalebridge once (deployment = job), else null."
  value       = var.deployment == "job" ? google_cloud_run_v2_job.scalebridge[0].name : null
}
