# Renders a scalebridge config from HCL, offline (no provider). The same module feeds the
# cloud examples; `terraform apply` here prints the YAML that `scalebridge check` accepts.
terraform {
  required_version = ">= 1.3.0"
}

module "config" {
  source = "../../modules/scalebridge-config"

  # A sidecar publishing to CloudWatch: one point a minute, as target tracking evaluates.
  scrape_interval = "60s"

  targets = [
    { name = "queued-worker", urls = ["http://127.0.0.1:9100/metrics"] },
  ]
  signals = [
    { name = "QueuedWorkersRequired", expr = "max(queued_tasks_workers_required)", buffer = 0.3, round = "ceil" },
    { name = "InstantWorkersRequired", expr = "(sum(instant_tasks_jobs_active) + sum(instant_tasks_jobs_waiting)) / 5", buffer = 0, round = "ceil" },
  ]
  sinks = [
    { type = "cloudwatch", namespace = "Membrane", dimensions = { ServiceName = "queued-worker" } },
    { type = "stdout" },
  ]
}

output "yaml" {
  value = module.config.yaml
}
