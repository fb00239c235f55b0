# costwarden on Azure: one Function App (Flex Consumption, Python 3.12) with a system-assigned
# managed identity. Terraform rather than Bicep: one tool and one checked format for Azure and
# Google, scanned by checkov and parsed by the tests here (docs/deploy-azure.md).
terraform {
  required_version = ">= 1.5"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.20, < 5.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6, < 4.0"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id     = var.subscription_id
  storage_use_azuread = true
}
