"""The records behind ``FakeGcpServer``: instances, operations, errors in Google's JSON format."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PUBLIC = "https://www.googleapis.com/compute/v1"
IDS = itertools.count(4_100_000_000_000_000_001)
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_REASONS = {429: "rateLimitExceeded", 503: "backendError", 500: "backendError", 403: "forbidden"}


class HttpError(Exception):
    def __init__(self, status: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.reason = reason or _REASONS.get(status, "badRequest")


def fingerprint(labels: dict[str, str]) -> str:
    """Eight bytes of a hash, base64: the shape of a real ``labelFingerprint``."""
    digest = hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).digest()
    return base64.b64encode(digest[:8]).decode()


@dataclass
class FakeInstance:
    name: str
    zone: str
    status: str = "RUNNING"
    machine_type: str = "e2-medium"
    labels: dict[str, str] = field(default_factory=dict)
    id: int = field(default_factory=lambda: next(IDS))
    last_start: str | None = "2026-11-30T06:58:12.345-08:00"
    #: When set, the next stop/start/resume operation finishes DONE with this (status, message).
    operation_error: tuple[int, str] | None = None

    @property
    def label_fingerprint(self) -> str:
        return fingerprint(self.labels)

    def to_json(self, project: str) -> dict[str, Any]:
        zone_url = f"{PUBLIC}/projects/{project}/zones/{self.zone}"
        body: dict[str, Any] = {
            "kind": "compute#instance",
            "id": str(self.id),  # uint64: a string in JSON
            "creationTimestamp": "2026-01-05T02:00:00.000-08:00",
            "name": self.name,
            "zone": zone_url,
            "machineType": f"{zone_url}/machineTypes/{self.machine_type}",
            "status": self.status,
            "labelFingerprint": self.label_fingerprint,
            "selfLink": f"{zone_url}/instances/{self.name}",
        }
        if self.labels:
            body["labels"] = dict(self.labels)
        if self.last_start:
            body["lastStartTimestamp"] = self.last_start
        return body


@dataclass
class RecordedCall:
    """One request as the server saw it. ``call`` names the API method (``instances.stop``)."""

    call: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


@dataclass
class Fault:
    call: str
    status: int
    remaining: int | None
    instance: str | None


@dataclass
class Operation:
    name: str
    project: str
    zone: str
    kind: str
    instance: FakeInstance
    polls_left: int
    finish: Callable[[], None]
    error: tuple[int, str] | None = None
    status: str = "PENDING"

    def to_json(self) -> dict[str, Any]:
        zone_url = f"{PUBLIC}/projects/{self.project}/zones/{self.zone}"
        body: dict[str, Any] = {
            "kind": "compute#operation",
            "id": str(abs(hash(self.name)) % 10**18),
            "name": self.name,
            "zone": zone_url,
            "operationType": self.kind,
            "targetLink": f"{zone_url}/instances/{self.instance.name}",
            "targetId": str(self.instance.id),
            "status": self.status,
            "user": "costwarden@example.iam.gserviceaccount.com",
            "progress": 100 if self.status == "DONE" else 0,
            "insertTime": "2026-11-30T19:00:00.000-08:00",
            "selfLink": f"{zone_url}/operations/{self.name}",
        }
        if self.status == "DONE" and self.error:
            code, message = self.error
            body["error"] = {"errors": [{"code": "RESOURCE_OPERATION_FAILED", "message": message}]}
            body["httpErrorStatusCode"] = code
            body["httpErrorMessage"] = _STATUS_NAMES.get(code, "ERROR").replace("_", " ")
        return body


def error_body(exc: HttpError) -> dict[str, Any]:
    return {
        "error": {
            "code": exc.status,
            "message": exc.message,
            "errors": [{"message": exc.message, "domain": "global", "reason": exc.reason}],
            "status": _STATUS_NAMES.get(exc.status, "UNKNOWN"),
        }
    }
