# Every key the config module renders, set at once: terraform/check.sh applies it, runs
# `scalebridge check` on the YAML, and checks that every target, signal, scrape and top-level
# key of docs/configuration.md is in it.
terraform {
  required_version = ">= 1.3.0"
}

module "config" {
  source = "../../modules/scalebridge-config"

  scrape_interval = "30s"
  scrape_timeout  = "5s"
  max_body_bytes  = "8MiB"
  max_concurrent  = 32
  state_dir       = "/var/lib/scalebridge"
  listen          = "127.0.0.1:9464"

  targets = [
    {
      name             = "api"
      url              = "https://api.internal:5000/prometheus"
      headers          = { Authorization = "Bearer $${API_TOKEN:-none}" }
      timeout          = "3s"
      tls              = { insecure_skip_verify = false, ca_file = "/etc/ssl/certs/ca-certificates.crt" }
      format           = "prometheus"
      follow_redirects = false
    },
    { name = "runners", urls = ["http://10.0.0.5:9100/metrics", "http://10.0.0.6:9100/metrics"] },
    {
      name     = "workers"
      discover = { dns = { name = "_metrics._tcp.workers.internal", type = "SRV", nameserver = "10.0.0.2:53", refresh = "30s" }, stale_after = "5m" }
      scheme   = "http"
      path     = "/metrics"
      relabel = [
        { action = "keep", source_labels = ["__meta_dns_srv_record_target"], regex = "worker-.*" },
        { action = "replace", source_labels = ["__meta_dns_srv_record_target"], separator = ";", regex = "(worker-[0-9]+).*", target_label = "pod", replacement = "$1" },
      ]
    },
    {
      name     = "exporters"
      discover = { dns = { name = "exporters.internal", type = "A", port = 9100 } }
    },
    {
      name     = "batch"
      discover = { file = { files = ["/etc/scalebridge/targets/*.json"], refresh = "1m" } }
    },
    {
      name = "fargate-workers"
      discover = { ecs = {
        cluster  = "jobs", service = "queue-worker", container_port = 9100, region = "eu-west-1", refresh = "30s",
        endpoint = "https://ecs.eu-west-1.amazonaws.com/"
      } }
    },
    {
      name     = "batch-tasks"
      discover = { ecs = { cluster = "jobs", family = "nightly-batch", container_port = 9100 } }
    },
    {
      name = "vm-workers"
      discover = { ec2 = {
        filters     = { "tag:Role" = "queue-worker" }, port = 9100, region = "eu-west-1", refresh = "60s",
        endpoint    = "https://ec2.eu-west-1.amazonaws.com/", role_arn = "arn:aws:iam::123456789012:role/discovery",
        external_id = "scalebridge", role_session_name = "scalebridge-discovery", duration = "1h"
      } }
    },
  ]

  sources = [
    {
      name    = "central"
      type    = "prometheus"
      url     = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-123"
      auth    = { type = "sigv4", region = "eu-west-1", service = "aps", profile = "monitoring" }
      headers = { X-Scope-OrgID = "team-a" }
      timeout = "5s"
    },
    { name = "mimir", url = "https://mimir.internal/prometheus", auth = { type = "basic", username = "scalebridge", password = "$${MIMIR_PASSWORD:-secret}" } },
    { name = "thanos", url = "https://thanos.internal", auth = { type = "bearer", token = "$${THANOS_TOKEN:-token}" } },
    { name = "azure", url = "https://workspace.eastus.prometheus.monitor.azure.com", auth = { type = "azure", client_id = "00000000-0000-0000-0000-000000000000" } },
  ]

  signals = [
    {
      name           = "QueuedWorkersRequired"
      expr           = "max(queued_tasks_workers_required)"
      buffer         = 0.3
      min            = 1
      max            = 50
      round          = "ceil"
      labels         = { service = "queue-worker" }
      on_empty       = "fallback"
      on_target_down = "last"
      fallback       = 2
      fallback_after = 3
      max_age        = "2m"
      min_targets_up = "80%"
    },
    { name = "CentralWorkersRequired", expr = "max(queued_tasks_workers_required)", source = "central" },
  ]

  sinks = [
    { type = "stdout", name = "out", format = "json" },
    { type = "cloudwatch", namespace = "Membrane", region = "eu-west-1", dimensions = { ServiceName = "queued-worker" }, storage_resolution = 60 },
  ]
}

output "yaml" {
  value = module.config.yaml
}
