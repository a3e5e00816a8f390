terraform {
  required_version = ">= 1.3.0"

  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # azurerm_container_app_job with schedule triggers.
      version = ">= 3.90"
    }
  }
}
