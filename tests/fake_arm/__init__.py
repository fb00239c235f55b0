"""A local Azure Resource Manager + Azure Monitor metrics endpoint for the real Azure SDK clients.

``FakeArm`` (server.py) serves the documented REST shapes over HTTPS with a certificate made at
test time (tls.py); ``StaticTokenCredential`` is the credential the clients authenticate with.
"""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken

from fake_arm.server import FakeArm, FakeVm, MetricsCall, Recorded
from fake_arm.tls import TlsFiles, self_signed

__all__ = [
    "FakeArm",
    "FakeVm",
    "MetricsCall",
    "Recorded",
    "StaticTokenCredential",
    "TlsFiles",
    "client_options",
    "self_signed",
]


def client_options(tls: TlsFiles) -> dict[str, Any]:
    """Azure SDK client options for the fake: trust its certificate, retry 429/5xx three times
    without real back-off, poll long-running operations without waiting."""
    return {
        "connection_verify": str(tls.cert),
        "retry_total": 3,
        "retry_backoff_factor": 0.001,
        "retry_backoff_max": 0.01,
        "polling_interval": 0,
    }


class StaticTokenCredential:
    """A ``TokenCredential`` that hands out one fixed bearer token (the fake checks it is sent)."""

    token = "fake-arm-token"

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)
