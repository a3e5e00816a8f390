locals {
  worker_pool = var.target_kind == "worker_pool"
  # Exactly what the cloud_run sink calls: read the resource, update its scaling.
  scaler_permissions = local.worker_pool ? ["run.workerPools.get", "run.workerPools.update"] : ["run.services.get", "run.services.update"]
  role_id            = "${replace(var.name, "-", "_")}_scaler"
  config_env = {
    name = "SCALEBRIDGE_CONFIG"
    secret = {
      secret  = google_secret_manager_secret.config.secret_id
      version = "latest"
    }
  }
}

resource "google_service_account" "scalebridge" {
  project      = var.project
  account_id   = var.name
  display_name = "scalebridge: metrics and instance counts for ${var.target_name}"
}

resource "google_project_iam_custom_role" "scaler" {
  project     = var.project
  role_id     = local.role_id
  title       = "scalebridge scaler"
  description = "Read and update the scaling of one Cloud Run ${local.worker_pool ? "worker pool" : "service"} (bound on that resource only)."
  permissions = local.scaler_permissions
}

# Granted on the scaled resource, not the project.
resource "google_cloud_run_v2_worker_pool_iam_member" "scaler" {
  count    = local.worker_pool ? 1 : 0
  project  = var.project
  location = var.region
  name     = var.target_name
  role     = google_project_iam_custom_role.scaler.id
  member   = "serviceAccount:${google_service_account.scalebridge.email}"
}

resource "google_cloud_run_v2_service_iam_member" "scaler" {
  count    = local.worker_pool ? 0 : 1
  project  = var.project
  location = var.region
  name     = var.target_name
  role     = google_project_iam_custom_role.scaler.id
  member   = "serviceAccount:${google_service_account.scalebridge.email}"
}

# Custom metrics can only be granted per project; metricWriter allows writing time series only.
resource "google_project_iam_member" "metric_writer" {
  project = var.project
  role    = "roles/monitoring.metricWriter"
  member  = "serviceAccount:${google_service_account.scalebridge.email}"
}

resource "google_secret_manager_secret" "config" {
  project   = var.project
  secret_id = "${var.name}-config"

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "config" {
  secret      = google_secret_manager_secret.config.id
  secret_data = var.config_yaml
}

resource "google_secret_manager_secret_iam_member" "config" {
  project   = var.project
  secret_id = google_secret_manager_secret.config.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.scalebridge.email}"
}

resource "google_cloud_run_v2_service" "scalebridge" {
  count               = var.deployment == "service" ? 1 : 0
  project             = var.project
  name                = var.name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  deletion_protection = false

  template {
    service_account = google_service_account.scalebridge.email

    scaling {
      min_instance_count = 1
      max_instance_count = 1
    }

    containers {
      image = var.image
      args  = ["run", "--config", "env:SCALEBRIDGE_CONFIG", "--listen", "0.0.0.0:8080", "--log-format", "json"]

      ports {
        container_port = 8080
      }

      env {
        name = local.config_env.name
        value_source {
          secret_key_ref {
            secret  = local.config_env.secret.secret
            version = local.config_env.secret.version
          }
        }
      }

      resources {
        # The loop runs between requests: CPU always allocated.
        cpu_idle = false
        limits = {
          cpu    = "1"
          memory = "256Mi"
        }
      }

      # Started once the first cycle is done; alive while cycles keep finishing. Neither
      # depends on a cloud's answers, so a 403 or an outage never becomes a restart loop.
      startup_probe {
        http_get {
          path = "/readyz"
        }
        period_seconds    = 10
        failure_threshold = 12
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 60
        failure_threshold = 5
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.config]
}

resource "google_cloud_run_v2_job" "scalebridge" {
  count               = var.deployment == "job" ? 1 : 0
  project             = var.project
  name                = var.name
  location            = var.region
  deletion_protection = false

  template {
    task_count = 1

    template {
      service_account = google_service_account.scalebridge.email
      max_retries     = 0
      timeout         = "50s"

      containers {
        image = var.image
        args  = ["once", "--config", "env:SCALEBRIDGE_CONFIG", "--log-format", "json"]

        env {
          name = local.config_env.name
          value_source {
            secret_key_ref {
              secret  = local.config_env.secret.secret
              version = local.config_env.secret.version
            }
          }
        }

        dynamic "volume_mounts" {
          for_each = var.state_bucket == null ? [] : [var.state_bucket]
          content {
            name       = "state"
            mount_path = "/var/lib/scalebridge"
          }
        }
      }

      dynamic "volumes" {
        for_each = var.state_bucket == null ? [] : [var.state_bucket]
        content {
          name = "state"
          gcs {
            bucket    = volumes.value
            read_only = false
          }
        }
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.config]
}

# The scheduler runs the job as its own account, allowed to run this job only.
resource "google_service_account" "invoker" {
  count        = var.deployment == "job" ? 1 : 0
  project      = var.project
  account_id   = "${var.name}-invoker"
  display_name = "Runs the scalebridge job on its schedule"
}

resource "google_cloud_run_v2_job_iam_member" "invoker" {
  count    = var.deployment == "job" ? 1 : 0
  project  = var.project
  location = var.region
  name     = google_cloud_run_v2_job.scalebridge[0].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.invoker[0].email}"
}

resource "google_cloud_scheduler_job" "scalebridge" {
  count    = var.deployment == "job" ? 1 : 0
  project  = var.project
  region   = var.region
  name     = var.name
  schedule = var.schedule

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/projects/${var.project}/locations/${var.region}/jobs/${var.name}:run"

    oauth_token {
      service_account_email = google_service_account.invoker[0].email
    }
  }
}
