output "container_definition" {
  description = "The sidecar's container definition (an object): add it to the service's task definition containerDefinitions."
  value       = local.container_definition
}

output "config_parameter_arn" {
  description = "ARN of the SecureString SSM parameter holding the config."
  value       = aws_ssm_parameter.config.arn
}

output "log_group_name" {
  description = "The sidecar's CloudWatch Logs group."
  value       = aws_cloudwatch_log_group.sidecar.name
}

output "scaling_policy_arn" {
  description = "ARN of the target-tracking policy."
  value       = aws_appautoscaling_policy.track.arn
}

output "task_role_policy_json" {
  description = "The policy added to the task role (PutMetricData on one namespace)."
  value       = data.aws_iam_policy_document.publish.json
}
