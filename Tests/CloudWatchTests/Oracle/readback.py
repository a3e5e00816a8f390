#!/usr/bin/env python3
"""Reads CloudWatch datapoints back from a local moto server with botocore (signed).

usage: readback.py ENDPOINT ACCESS_KEY SECRET_KEY NAMESPACE METRIC DIMENSIONS_JSON
Prints {"metrics": [...ListMetrics...], "maximum": n|null, "datapoints": n}.
"""
import json
import sys
from datetime import datetime, timedelta, timezone

import botocore.session

endpoint, key, secret, namespace, metric, dimensions = sys.argv[1:7]
session = botocore.session.get_session()
cw = session.create_client("cloudwatch", region_name="us-east-1", endpoint_url=endpoint,
                           aws_access_key_id=key, aws_secret_access_key=secret)
now = datetime.now(timezone.utc)
metrics = cw.list_metrics(Namespace=namespace)["Metrics"]
points = cw.get_metric_statistics(
    Namespace=namespace, MetricName=metric,
    Dimensions=[{"Name": k, "Value": v} for k, v in json.loads(dimensions).items()],
    StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=5),
    Period=60, Statistics=["Maximum"])["Datapoints"]
print(json.dumps({
    "metrics": [{"name": m["MetricName"], "dimensions": {d["Name"]: d["Value"] for d in m.get("Dimensions", [])}} for m in metrics],
    "maximum": max((p["Maximum"] for p in points), default=None),
    "datapoints": len(points),
}))
