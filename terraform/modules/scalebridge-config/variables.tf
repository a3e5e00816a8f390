variable "targets" {
  description = "Scrape targets: list of objects with name and urls (list of http(s):// or file:// URLs)."
  type = list(object({
    name = string
    urls = list(string)
  }))

  validation {
    condition     = length(var.targets) > 0
    error_message = "At least one target is required."
  }
}

variable "signals" {
  description = "Signals: list of objects with name, expr (PromQL), buffer (0 for none), round (none, ceil, floor or round)."
  type = list(object({
    name   = string
    expr   = string
    buffer = number
    round  = string
  }))

  validation {
    condition     = length(var.signals) > 0 && alltrue([for s in var.signals : contains(["none", "ceil", "floor", "round"], s.round)])
    error_message = "At least one signal is required, and round must be none, ceil, floor or round."
  }
}

variable "sinks" {
  description = "Sinks, each a map as in docs/configuration.md (type plus that sink's keys), e.g. { type = \"cloudwatch\", namespace = \"Membrane\" }."
  type        = any
  default     = [{ type = "stdout" }]
}

variable "scrape_interval" {
  description = "How often a cycle runs (scrape.interval), e.g. 15s."
  type        = string
  default     = "15s"

  validation {
    condition     = can(regex("^[0-9]+(ms|s|m|h)$", var.scrape_interval))
    error_message = "Use a duration such as 500ms, 15s or 1m."
  }
}

variable "state_dir" {
  description = "Directory for history, outbox and scaling windows between runs; null keeps them in memory."
  type        = string
  default     = null
}
