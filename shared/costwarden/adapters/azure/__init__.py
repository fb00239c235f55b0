"""Azure adapters (Azure SDK). Installed with the ``azure`` extra; the core never imports them."""

from costwarden.adapters.azure.table_state import AzureTableStateStore

__all__ = ["AzureTableStateStore"]
