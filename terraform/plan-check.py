#!/usr/bin/env python3
"""Checks `terraform show -json` of the aws-ecs-sidecar example's plan: the task definition's
scalebridge container carries the documented settings."""
import json
import sys

plan = json.load(open(sys.argv[1]))
definitions = [c["change"]["after"] for c in plan["resource_changes"] if c["type"] == "aws_ecs_task_definition"]
assert len(definitions) == 1, f"expected one task definition, got {len(definitions)}"
containers = json.loads(definitions[0]["container_definitions"])
sidecar = next(c for c in containers if c["name"] == "scalebridge")
expected = {
    "essential": False,
    "user": "10001",
    "readonlyRootFilesystem": True,
    "memoryReservation": 32,
    "command": ["run", "--config", "env:SCALEBRIDGE_CONFIG", "--log-format", "json"],
}
for key, value in expected.items():
    assert sidecar.get(key) == value, f"{key}: {sidecar.get(key)!r}, expected {value!r}"
assert "memory" not in sidecar, "no hard memory limit: reaching one gets the sidecar killed"
assert sidecar["healthCheck"]["command"] == ["CMD", "/usr/local/bin/scalebridge", "healthcheck"], sidecar["healthCheck"]
assert sidecar["healthCheck"]["startPeriod"] >= 30, sidecar["healthCheck"]
assert sidecar["logConfiguration"]["logDriver"] == "awslogs", sidecar["logConfiguration"]
assert set(sidecar["logConfiguration"]["options"]) >= {"awslogs-group", "awslogs-region", "awslogs-stream-prefix"}
assert [s["name"] for s in sidecar["secrets"]] == ["SCALEBRIDGE_CONFIG"], sidecar["secrets"]
policies = [c for c in plan["resource_changes"] if c["type"] == "aws_appautoscaling_policy"]
assert policies and policies[0]["change"]["after"]["policy_type"] == "TargetTrackingScaling"
print("plan: the sidecar container has the documented settings (memoryReservation 32, healthcheck, awslogs, non-root, read-only root)")
