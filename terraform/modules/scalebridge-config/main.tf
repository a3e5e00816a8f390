locals {
  config = merge(
    {
      scrape  = { interval = var.scrape_interval }
      targets = [for t in var.targets : { name = t.name, urls = t.urls }]
      signals = [for s in var.signals : merge(
        { name = s.name, expr = s.expr },
        s.buffer != 0 ? { buffer = s.buffer } : {},
        s.round != "none" ? { round = s.round } : {},
      )]
      sinks = var.sinks
    },
    var.state_dir == null ? {} : { state_dir = var.state_dir },
  )
}
