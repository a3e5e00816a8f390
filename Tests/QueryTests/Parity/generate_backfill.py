#!/usr/bin/env python3
"""Writes the timestamped OpenMetrics fixture used by the --backfill parity tests.

Deterministic (no randomness): counters that move at uneven speeds and reset, gauges, a series
that disappears, one that appears late, a NaN, and a histogram. One sample every 15 s for 10 min.
Run it again only to change the fixture; the output is committed.
"""
import math

T0 = 1700000000
STEP = 15
N = 41  # 0..600 s


def ts(i):
    return T0 + i * STEP


def fmt(v):
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if float(v).is_integer():
        return str(int(v))
    return repr(v)


lines = []

lines.append("# TYPE http_requests counter")
lines.append("# HELP http_requests Requests handled.")
for handler, speed in (("tasks", 7), ("health", 3)):
    value = 0
    for i in range(N):
        value += speed + (i % 4)
        if handler == "health" and i == 25:
            value = 2  # the process restarted: counter reset
        lines.append(f'http_requests_total{{handler="{handler}"}} {fmt(value)} {ts(i)}')

lines.append("# TYPE queue_jobs_waiting gauge")
for queue, base in (("default", 30), ("priority", 4)):
    for i in range(N):
        v = base + ((i * 7) % 11) - 5
        lines.append(f'queue_jobs_waiting{{queue="{queue}"}} {fmt(v)} {ts(i)}')

lines.append("# TYPE worker_busy gauge")
for worker in ("a", "b", "c"):
    for i in range(N):
        v = 1 if (i + ord(worker)) % 3 else 0
        lines.append(f'worker_busy{{worker="{worker}"}} {v} {ts(i)}')

lines.append("# TYPE flaky_metric gauge")
for i in range(0, 20):
    lines.append(f"flaky_metric {fmt(i * 1.5)} {ts(i)}")

lines.append("# TYPE late_jobs counter")
for i in range(33, N):
    lines.append(f"late_jobs_total {fmt((i - 33) * 4)} {ts(i)}")

lines.append("# TYPE nan_gauge gauge")
for i in range(N):
    v = float("nan") if i == 38 else 10 + (i % 5)
    lines.append(f"nan_gauge {fmt(v)} {ts(i)}")

lines.append("# TYPE task_duration_seconds histogram")
bounds = ["0.1", "0.5", "1.0", "2.5", "+Inf"]
shares = [0.2, 0.35, 0.25, 0.15, 0.05]
total = 0.0
counts = [0.0] * len(bounds)
for i in range(N):
    batch = 20 + (i % 6) * 5
    cumulative = 0.0
    for j in range(len(bounds)):
        counts[j] += round(batch * shares[j])
    for j, bound in enumerate(bounds):
        cumulative += counts[j]
        lines.append(f'task_duration_seconds_bucket{{le="{bound}"}} {fmt(cumulative)} {ts(i)}')
    total += batch * 0.7
    lines.append(f"task_duration_seconds_count {fmt(cumulative)} {ts(i)}")
    lines.append(f"task_duration_seconds_sum {fmt(round(total, 3))} {ts(i)}")

lines.append("# EOF")
print("\n".join(lines))
