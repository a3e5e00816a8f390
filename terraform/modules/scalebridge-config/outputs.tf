output "yaml" {
  description = "The scalebridge config as YAML (pass it to --config env:NAME through a secret or variable)."
  value       = yamlencode(local.config)
}

output "signal_names" {
  description = "Names of the signals, to wire sinks and scale rules without repeating them."
  value       = [for s in var.signals : s.name]
}
