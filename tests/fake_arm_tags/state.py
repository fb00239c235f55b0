"""What the fake Resources API keeps, and the JSON it answers with (Microsoft.Resources
2025-04-01: ``Resources_List``, ``ResourceGroups_List``/``_Get``, ``Tags_GetAtScope``,
``Tags_UpdateAtScope``; field names as documented in azure-rest-api-specs, values made up).

Tag semantics follow the ARM documentation ("Use tags to organize your Azure resources"):
tag *names* are case-insensitive for operations (a Merge of ``environment`` onto a resource
tagged ``Environment`` updates that tag, and the name keeps the casing it already had, which
the docs say a provider may do); values are case-sensitive. ``Delete`` removes the given names,
or name/value pairs when a value is given (only if the value matches). Limits (REFERENCE §5):
at most 50 tags, names <= 512 characters without ``< > % & \\ ? /``, values <= 256.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_TAGS = 50
FORBIDDEN = frozenset("<>%&\\?/")
GROUP_TYPE = "Microsoft.Resources/resourceGroups"


@dataclass
class FakeGroup:
    subscription: str
    name: str
    location: str = "westeurope"
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.name}"

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": GROUP_TYPE,
            "location": self.location,
            "properties": {"provisioningState": "Succeeded"},
        }
        if self.tags:  # ARM leaves ``tags`` out of an untagged entity
            out["tags"] = dict(self.tags)
        return out


@dataclass
class FakeResource:
    subscription: str
    resource_group: str
    #: ARM type, e.g. ``Microsoft.Compute/virtualMachines`` (one level: no child types).
    type: str
    name: str
    location: str = "westeurope"
    tags: dict[str, str] = field(default_factory=dict)
    kind: str | None = None

    @property
    def id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/{self.type}/{self.name}"
        )

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "location": self.location,
        }
        if self.kind is not None:
            out["kind"] = self.kind
        if self.tags:
            out["tags"] = dict(self.tags)
        return out


Taggable = FakeGroup | FakeResource


def tags_json(entity: Taggable) -> dict[str, Any]:
    return {
        "id": f"{entity.id}/providers/Microsoft.Resources/tags/default",
        "name": "default",
        "type": "Microsoft.Resources/tags",
        "properties": {"tags": dict(entity.tags)},
    }


class TagRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _find(tags: dict[str, str], name: str) -> str | None:
    folded = name.casefold()
    return next((k for k in tags if k.casefold() == folded), None)


def apply_patch(current: dict[str, str], operation: str, given: dict[str, str]) -> dict[str, str]:
    """The tags after a ``Tags_UpdateAtScope`` (see the module docstring); raises TagRefused."""
    for name, value in given.items():
        if bad := sorted(set(name) & FORBIDDEN):
            raise TagRefused("InvalidTagNameCharacters", f"tag name {name!r} contains {bad}")
        if len(name) > 512 or len(value) > 256:
            raise TagRefused("InvalidTagNameOrValue", f"tag {name!r} is too long")
    if operation == "Replace":
        result = dict(given)
    elif operation == "Merge":
        result = dict(current)
        for name, value in given.items():
            result[_find(result, name) or name] = value
    elif operation == "Delete":
        result = dict(current)
        for name, value in given.items():
            existing = _find(result, name)
            if existing is not None and value in ("", result[existing]):
                del result[existing]
    else:
        raise TagRefused("InvalidRequestContent", f"unknown operation {operation!r}")
    if len(result) > MAX_TAGS:
        raise TagRefused("TagsLimitExceeded", f"{len(result)} tags; at most {MAX_TAGS} are allowed")
    return result


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    status: int
    at: float
    body: Any = None


@dataclass
class Fault:
    method: str
    path: Any  # re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str]
    code: str
    message: str
    #: Only PATCHes with this ``operation`` (Merge / Delete / Replace); None: any request.
    operation: str | None = None
