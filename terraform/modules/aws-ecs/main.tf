locals {
  resource_id = "service/${var.cluster_name}/${var.service_name}"

  container_definition = {
    name      = "scalebridge"
    image     = var.image
    essential = false
    user      = "10001"
    command   = ["run", "--config", "env:SCALEBRIDGE_CONFIG", "--log-format", "json"]
    # The parameter by name (same region as the task), known at plan time unlike its ARN.
    secrets = [{ name = "SCALEBRIDGE_CONFIG", valueFrom = aws_ssm_parameter.config.name }]
    environment = [
      { name = "AWS_REGION", value = var.region },
    ]
    readonlyRootFilesystem = true
    # Soft limit, for task placement only: `run` holds 11-13 MiB, `once` and `check` peak at 18 MiB.
    memoryReservation = var.memory_reservation
    # The loop's progress, asked of /healthz by the binary itself (no curl in the image).
    healthCheck = {
      command     = ["CMD", "/usr/local/bin/scalebridge", "healthcheck"]
      interval    = 30
      timeout     = 10
      retries     = 3
      startPeriod = 60
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.sidecar.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "scalebridge"
      }
    }
  }
}

resource "aws_ssm_parameter" "config" {
  name        = "/${var.name}/${var.service_name}/config"
  description = "scalebridge config for ${var.service_name}"
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = var.config_yaml
}

resource "aws_cloudwatch_log_group" "sidecar" {
  #checkov:skip=CKV_AWS_158:Encrypted with the CloudWatch Logs service key by default; pass kms_key_arn for a customer-managed key.
  name              = "/ecs/${var.service_name}/scalebridge"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# PutMetricData has no resource-level permissions: the namespace condition is the narrowing.
data "aws_iam_policy_document" "publish" {
  statement {
    sid       = "PutMetricDataInOneNamespace"
    effect    = "Allow"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.namespace]
    }
  }
}

resource "aws_iam_role_policy" "publish" {
  name   = "${var.name}-put-metric-data"
  role   = var.task_role_name
  policy = data.aws_iam_policy_document.publish.json
}

data "aws_iam_policy_document" "read_config" {
  statement {
    sid       = "ReadTheConfigParameter"
    effect    = "Allow"
    actions   = ["ssm:GetParameters"]
    resources = [aws_ssm_parameter.config.arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptTheConfigParameter"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "read_config" {
  name   = "${var.name}-read-config"
  role   = var.execution_role_name
  policy = data.aws_iam_policy_document.read_config.json
}

resource "aws_appautoscaling_target" "service" {
  service_namespace  = "ecs"
  resource_id        = local.resource_id
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity
}

# Target tracking creates and owns its CloudWatch alarms; no other alarms are needed.
resource "aws_appautoscaling_policy" "track" {
  name               = "${var.name}-${var.service_name}-track-${var.metric_name}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service.service_namespace
  resource_id        = aws_appautoscaling_target.service.resource_id
  scalable_dimension = aws_appautoscaling_target.service.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.target_value
    scale_out_cooldown = var.scale_out_cooldown
    scale_in_cooldown  = var.scale_in_cooldown

    customized_metric_specification {
      # per_task: the metric itself, averaged.
      metric_name = var.scaling_mode == "per_task" ? var.metric_name : null
      namespace   = var.scaling_mode == "per_task" ? var.namespace : null
      statistic   = var.scaling_mode == "per_task" ? "Average" : null

      dynamic "dimensions" {
        for_each = var.scaling_mode == "per_task" ? var.metric_dimensions : {}
        content {
          name  = dimensions.key
          value = dimensions.value
        }
      }

      # workers_required: required / running tasks, so the target is 1.
      dynamic "metrics" {
        for_each = var.scaling_mode == "workers_required" ? ["required"] : []
        content {
          id          = "required"
          return_data = false
          metric_stat {
            stat = "Maximum"
            metric {
              namespace   = var.namespace
              metric_name = var.metric_name
              dynamic "dimensions" {
                for_each = var.metric_dimensions
                content {
                  name  = dimensions.key
                  value = dimensions.value
                }
              }
            }
          }
        }
      }

      dynamic "metrics" {
        for_each = var.scaling_mode == "workers_required" ? ["running"] : []
        content {
          id          = "running"
          return_data = false
          metric_stat {
            stat = "Average"
            metric {
              namespace   = "ECS/ContainerInsights"
              metric_name = "RunningTaskCount"
              dimensions {
                name  = "ClusterName"
                value = var.cluster_name
              }
              dimensions {
                name  = "ServiceName"
                value = var.service_name
              }
            }
          }
        }
      }

      dynamic "metrics" {
        for_each = var.scaling_mode == "workers_required" ? ["ratio"] : []
        content {
          id          = "ratio"
          expression  = "required / MAX([running, 1])"
          return_data = true
        }
      }
    }
  }
}
