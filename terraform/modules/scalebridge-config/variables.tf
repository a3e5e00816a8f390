variable "targets" {
  description = "Scrape targets, with the keys of docs/configuration.md (targets): name, and url or urls or discover; optional headers, timeout, tls, format, follow_redirects, scheme, path, relabel."
  type = list(object({
    name             = string
    url              = optional(string)
    urls             = optional(list(string))
    headers          = optional(map(string))
    timeout          = optional(string)
    tls              = optional(object({ insecure_skip_verify = optional(bool), ca_file = optional(string) }))
    format           = optional(string)
    follow_redirects = optional(bool)
    discover = optional(object({
      dns = optional(object({
        name       = string
        type       = optional(string)
        port       = optional(number)
        nameserver = optional(string)
        refresh    = optional(string)
      }))
      file = optional(object({ files = list(string), refresh = optional(string) }))
      ec2 = optional(object({
        filters           = optional(map(string))
        port              = number
        region            = optional(string)
        refresh           = optional(string)
        endpoint          = optional(string)
        role_arn          = optional(string)
        external_id       = optional(string)
        role_session_name = optional(string)
        duration          = optional(string)
      }))
      ecs = optional(object({
        cluster           = string
        service           = optional(string)
        family            = optional(string)
        container_port    = number
        region            = optional(string)
        refresh           = optional(string)
        endpoint          = optional(string)
        role_arn          = optional(string)
        external_id       = optional(string)
        role_session_name = optional(string)
        duration          = optional(string)
      }))
      stale_after = optional(string)
    }))
    scheme = optional(string)
    path   = optional(string)
    relabel = optional(list(object({
      action        = optional(string)
      source_labels = optional(list(string))
      separator     = optional(string)
      regex         = optional(string)
      target_label  = optional(string)
      replacement   = optional(string)
    })))
  }))

  validation {
    condition     = length(var.targets) > 0 && alltrue([for t in var.targets : (t.url != null ? 1 : 0) + (t.urls != null ? 1 : 0) + (t.discover != null ? 1 : 0) == 1])
    error_message = "At least one target is required, and each needs exactly one of url, urls or discover."
  }
}

variable "signals" {
  description = "Signals, with the keys of docs/configuration.md (signals): name, expr; optional buffer, min, max, round, labels, on_empty, on_target_down, fallback, fallback_after, max_age, min_targets_up."
  type = list(object({
    name           = string
    expr           = string
    buffer         = optional(number)
    min            = optional(number)
    max            = optional(number)
    round          = optional(string)
    labels         = optional(map(string))
    on_empty       = optional(string)
    on_target_down = optional(string)
    fallback       = optional(number)
    fallback_after = optional(number)
    max_age        = optional(string)
    min_targets_up = optional(string)
    source         = optional(string)
  }))

  validation {
    condition     = length(var.signals) > 0 && alltrue([for s in var.signals : s.round == null || contains(["none", "ceil", "floor", "round"], coalesce(s.round, "none"))])
    error_message = "At least one signal is required, and round must be none, ceil, floor or round."
  }
}

variable "sources" {
  description = "Prometheus-compatible servers that evaluate the signals naming them (docs/configuration.md, sources): name, url; optional type, auth, headers, timeout."
  type = list(object({
    name = string
    type = optional(string)
    url  = string
    auth = optional(object({
      type      = string
      username  = optional(string)
      password  = optional(string)
      token     = optional(string)
      region    = optional(string)
      service   = optional(string)
      profile   = optional(string)
      client_id = optional(string)
    }))
    headers = optional(map(string))
    timeout = optional(string)
  }))
  default = []
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

variable "scrape_timeout" {
  description = "Per-target time limit for one scrape (scrape.timeout); null: scalebridge's default, 5s."
  type        = string
  default     = null
}

variable "max_body_bytes" {
  description = "Largest page accepted from one target (scrape.max_body_bytes), e.g. 10MiB; null: the default."
  type        = string
  default     = null
}

variable "max_concurrent" {
  description = "Transfers in flight at once (scrape.max_concurrent); null: the default, 64."
  type        = number
  default     = null
}

variable "state_dir" {
  description = "Directory for history, outbox and scaling windows between runs; null keeps them in memory."
  type        = string
  default     = null
}

variable "listen" {
  description = "Where `run` serves /metrics, /healthz, /readyz and /status (listen); \"\" turns it off; null: 127.0.0.1:9464."
  type        = string
  default     = null
}
