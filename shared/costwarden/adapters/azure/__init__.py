"""Azure adapters (Azure SDK). Installed with the ``azure`` extra; the core never imports them.

The scheduler's adapters load on first use (PEP 562): ``azure.mgmt.compute`` alone takes about
half a second to import, which a budget alert's cold start should not pay.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from costwarden.adapters.azure.table_state import AzureTableStateStore

if TYPE_CHECKING:
    from costwarden.adapters.azure.monitor_metrics import AzureMonitorCpuMetrics
    from costwarden.adapters.azure.queue_work import StorageQueueWorkQueue
    from costwarden.adapters.azure.vm_compute import AzureVmCompute

_LAZY = {
    "AzureMonitorCpuMetrics": "costwarden.adapters.azure.monitor_metrics",
    "AzureVmCompute": "costwarden.adapters.azure.vm_compute",
    "StorageQueueWorkQueue": "costwarden.adapters.azure.queue_work",
}

__all__ = [
    "AzureMonitorCpuMetrics",
    "AzureTableStateStore",
    "AzureVmCompute",
    "StorageQueueWorkQueue",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
