#!/usr/bin/env python3
"""What a user would otherwise write: the `once` job in Python with prometheus_client and boto3.
Scrapes the targets, computes the same three job-queue signals as bench/compare.py's scalebridge
config, and publishes them with PutMetricData. Usage: python_once.py ENDPOINT URL..."""
import math
import os
import sys
import urllib.request

import boto3
from prometheus_client.parser import text_string_to_metric_families


def scrape(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample.value)
    return samples


def main():
    endpoint, urls = sys.argv[1], sys.argv[2:]
    pages = [scrape(url) for url in urls]

    def values(name):
        return [v for page in pages for v in page.get(name, [])]

    active, waiting = sum(values("instant_tasks_jobs_active")), sum(values("instant_tasks_jobs_waiting"))
    total, remaining = sum(values("total_job_spaces")), sum(values("remaining_job_spaces"))
    signals = {
        "InstantWorkersRequired": math.ceil((active + waiting) / 5),
        "QueuedWorkersRequired": math.ceil(max(values("queued_tasks_workers_required")) * (1 + 0.3)),
        "CodeRunnerUtilisation": (total - remaining) / total,
    }
    client = boto3.client(
        "cloudwatch", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=os.environ["BENCH_AWS_KEY"], aws_secret_access_key=os.environ["BENCH_AWS_SECRET"],
    )
    client.put_metric_data(
        Namespace="Bench",
        MetricData=[{"MetricName": name, "Value": float(value), "Unit": "None"} for name, value in signals.items()],
    )


if __name__ == "__main__":
    main()
