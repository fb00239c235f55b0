"""A local Azure Resource Manager endpoint for the Resources and Tags APIs (tag remediation).

``FakeResources`` (server.py) serves the documented REST shapes over HTTPS to the real
``ResourceManagementClient``; it reuses the scheduler's fake ARM certificate maker and token
credential (``fake_arm``) rather than growing that server: the two APIs share nothing but TLS.
"""

from __future__ import annotations

from fake_arm import StaticTokenCredential, TlsFiles, self_signed
from fake_arm_tags.server import FakeResources
from fake_arm_tags.state import FakeGroup, FakeResource, Recorded

__all__ = [
    "FakeGroup",
    "FakeResource",
    "FakeResources",
    "Recorded",
    "StaticTokenCredential",
    "TlsFiles",
    "self_signed",
]
