locals {
  # Every key the config reads; unset (null) optional attributes are left out of the YAML, so
  # scalebridge's own defaults apply. (merge() of conditionals rather than a filtering `for`:
  # checkov's evaluator fails on the latter.)
  scrape = merge(
    { interval = var.scrape_interval },
    var.scrape_timeout == null ? {} : { timeout = var.scrape_timeout },
    var.max_body_bytes == null ? {} : { max_body_bytes = var.max_body_bytes },
    var.max_concurrent == null ? {} : { max_concurrent = var.max_concurrent },
  )

  targets = [for t in var.targets : merge(
    { name = t.name },
    t.url == null ? {} : { url = t.url },
    t.urls == null ? {} : { urls = t.urls },
    t.headers == null ? {} : { headers = t.headers },
    t.timeout == null ? {} : { timeout = t.timeout },
    t.tls == null ? {} : { tls = merge(
      t.tls.insecure_skip_verify == null ? {} : { insecure_skip_verify = t.tls.insecure_skip_verify },
      t.tls.ca_file == null ? {} : { ca_file = t.tls.ca_file },
    ) },
    t.format == null ? {} : { format = t.format },
    t.follow_redirects == null ? {} : { follow_redirects = t.follow_redirects },
    t.discover == null ? {} : { discover = merge(
      t.discover.dns == null ? {} : { dns = merge(
        { name = t.discover.dns.name },
        t.discover.dns.type == null ? {} : { type = t.discover.dns.type },
        t.discover.dns.port == null ? {} : { port = t.discover.dns.port },
        t.discover.dns.nameserver == null ? {} : { nameserver = t.discover.dns.nameserver },
        t.discover.dns.refresh == null ? {} : { refresh = t.discover.dns.refresh },
      ) },
      t.discover.file == null ? {} : { file = merge(
        { files = t.discover.file.files },
        t.discover.file.refresh == null ? {} : { refresh = t.discover.file.refresh },
      ) },
      t.discover.ec2 == null ? {} : { ec2 = merge(
        { port = t.discover.ec2.port },
        t.discover.ec2.filters == null ? {} : { filters = t.discover.ec2.filters },
        t.discover.ec2.region == null ? {} : { region = t.discover.ec2.region },
        t.discover.ec2.refresh == null ? {} : { refresh = t.discover.ec2.refresh },
        t.discover.ec2.endpoint == null ? {} : { endpoint = t.discover.ec2.endpoint },
        t.discover.ec2.role_arn == null ? {} : { role_arn = t.discover.ec2.role_arn },
        t.discover.ec2.external_id == null ? {} : { external_id = t.discover.ec2.external_id },
        t.discover.ec2.role_session_name == null ? {} : { role_session_name = t.discover.ec2.role_session_name },
        t.discover.ec2.duration == null ? {} : { duration = t.discover.ec2.duration },
      ) },
      t.discover.ecs == null ? {} : { ecs = merge(
        { cluster = t.discover.ecs.cluster, container_port = t.discover.ecs.container_port },
        t.discover.ecs.service == null ? {} : { service = t.discover.ecs.service },
        t.discover.ecs.family == null ? {} : { family = t.discover.ecs.family },
        t.discover.ecs.region == null ? {} : { region = t.discover.ecs.region },
        t.discover.ecs.refresh == null ? {} : { refresh = t.discover.ecs.refresh },
        t.discover.ecs.endpoint == null ? {} : { endpoint = t.discover.ecs.endpoint },
        t.discover.ecs.role_arn == null ? {} : { role_arn = t.discover.ecs.role_arn },
        t.discover.ecs.external_id == null ? {} : { external_id = t.discover.ecs.external_id },
        t.discover.ecs.role_session_name == null ? {} : { role_session_name = t.discover.ecs.role_session_name },
        t.discover.ecs.duration == null ? {} : { duration = t.discover.ecs.duration },
      ) },
      t.discover.stale_after == null ? {} : { stale_after = t.discover.stale_after },
    ) },
    t.scheme == null ? {} : { scheme = t.scheme },
    t.path == null ? {} : { path = t.path },
    t.relabel == null ? {} : { relabel = [for r in t.relabel : merge(
      r.action == null ? {} : { action = r.action },
      r.source_labels == null ? {} : { source_labels = r.source_labels },
      r.separator == null ? {} : { separator = r.separator },
      r.regex == null ? {} : { regex = r.regex },
      r.target_label == null ? {} : { target_label = r.target_label },
      r.replacement == null ? {} : { replacement = r.replacement },
    )] },
  )]

  signals = [for s in var.signals : merge(
    { name = s.name, expr = s.expr },
    s.buffer == null ? {} : { buffer = s.buffer },
    s.min == null ? {} : { min = s.min },
    s.max == null ? {} : { max = s.max },
    s.round == null ? {} : { round = s.round },
    s.labels == null ? {} : { labels = s.labels },
    s.on_empty == null ? {} : { on_empty = s.on_empty },
    s.on_target_down == null ? {} : { on_target_down = s.on_target_down },
    s.fallback == null ? {} : { fallback = s.fallback },
    s.fallback_after == null ? {} : { fallback_after = s.fallback_after },
    s.max_age == null ? {} : { max_age = s.max_age },
    s.min_targets_up == null ? {} : { min_targets_up = s.min_targets_up },
    s.source == null ? {} : { source = s.source },
  )]

  sources = [for s in var.sources : merge(
    { name = s.name, url = s.url },
    s.type == null ? {} : { type = s.type },
    s.auth == null ? {} : { auth = merge(
      { type = s.auth.type },
      s.auth.username == null ? {} : { username = s.auth.username },
      s.auth.password == null ? {} : { password = s.auth.password },
      s.auth.token == null ? {} : { token = s.auth.token },
      s.auth.region == null ? {} : { region = s.auth.region },
      s.auth.service == null ? {} : { service = s.auth.service },
      s.auth.profile == null ? {} : { profile = s.auth.profile },
      s.auth.client_id == null ? {} : { client_id = s.auth.client_id },
    ) },
    s.headers == null ? {} : { headers = s.headers },
    s.timeout == null ? {} : { timeout = s.timeout },
  )]

  config = merge(
    { scrape = local.scrape, targets = local.targets, signals = local.signals, sinks = var.sinks },
    length(local.sources) == 0 ? {} : { sources = local.sources },
    var.state_dir == null ? {} : { state_dir = var.state_dir },
    var.listen == null ? {} : { listen = var.listen },
  )
}
