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
    "self_signed",
]


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
