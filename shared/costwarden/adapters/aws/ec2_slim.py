"""A lean read of EC2 ``DescribeInstances`` answers, for the tag sweep and the scheduler.

Both read a handful of an instance's fields (id, state, tags; the scheduler also the type,
launch time, root device type and hibernation flag), but DescribeInstances has no projection:
each instance comes with ~3 KB of XML (devices, network interfaces, ...), and botocore's
pure-Python parse of all of it was 70 % of a 5,000-instance tag sweep's CPU and most of its
memory, and 2.2 of the scheduler's 12.6 CPU seconds (bench/README.md). So the answer is read
here, streaming with ElementTree's C parser (a fifth of the CPU, no tree kept), into
botocore's usual shape with just those fields, and botocore parses a stub holding only the
paging token. Error answers are left alone, so botocore raises its usual ``ClientError``.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any


def slim_instance_listing(ec2: Any) -> None:
    """Make ``ec2``'s DescribeInstances answers carry only the fields costwarden reads:
    ``InstanceId``, ``State.Name``, ``Tags``, ``InstanceType``, ``LaunchTime`` (a datetime, as
    botocore gives it), ``RootDeviceType`` and ``HibernationOptions.Configured``."""
    ec2.meta.events.register(
        "before-parse.ec2.DescribeInstances", _slim_instances, unique_id="costwarden-slim"
    )


def _slim_instances(response_dict: Any, customized_response_dict: Any, **_kwargs: Any) -> None:
    if response_dict.get("status_code") != 200 or not response_dict.get("body"):
        return
    try:
        reservations, token, root = _instance_fields(response_dict["body"])
    except (ET.ParseError, ValueError):
        return  # botocore parses it as usual and says what is wrong
    stub = f"<{root}>" + (f"<nextToken>{_xml_text(token)}</nextToken>" if token else "")
    response_dict["body"] = (stub + f"</{root.split()[0]}>").encode()
    customized_response_dict["Reservations"] = reservations


def _instance_fields(body: bytes) -> tuple[list[dict[str, Any]], str | None, str]:
    """Reservations -> instances with the fields above; the next token; the root element."""
    reservations: list[dict[str, Any]] = []
    instances: list[dict[str, Any]] = []
    token: str | None = None
    path: list[str] = []
    ns = root = ""
    # The answer botocore would parse with the same expat parser (S314: not untrusted input).
    events = ET.iterparse(io.BytesIO(body), events=("start", "end"))  # noqa: S314
    for event, element in events:
        if event == "start":
            if not path:  # {namespace}DescribeInstancesResponse
                ns = element.tag[: element.tag.index("}") + 1] if "}" in element.tag else ""
                root = element.tag[len(ns) :] + (f' xmlns="{ns[1:-1]}"' if ns else "")
            path.append(element.tag)
            continue
        path.pop()
        depth, tag = len(path), element.tag
        if depth == 4 and tag == ns + "item" and path[3] == ns + "instancesSet":
            instances.append(_instance(element, ns))
            element.clear()
        elif depth == 2 and tag == ns + "item":  # a reservation
            reservations.append({"Instances": instances})
            instances = []
            element.clear()
        elif depth == 1 and tag == ns + "nextToken":
            token = element.text
    return reservations, token, root


def _instance(element: ET.Element, ns: str) -> dict[str, Any]:
    text = element.findtext
    instance: dict[str, Any] = {
        "InstanceId": text(ns + "instanceId"),
        "State": {"Name": text(f"{ns}instanceState/{ns}name")},
    }
    tags = [
        {"Key": item.findtext(ns + "key") or "", "Value": item.findtext(ns + "value") or ""}
        for item in element.iterfind(f"{ns}tagSet/{ns}item")
    ]
    if tags:
        instance["Tags"] = tags
    if instance_type := text(ns + "instanceType"):
        instance["InstanceType"] = instance_type
    if launched := text(ns + "launchTime"):
        # ISO 8601 with "Z" (2026-11-29T20:00:00.000Z); a bad value raises ValueError and the
        # whole answer goes to botocore's own parser instead.
        instance["LaunchTime"] = datetime.fromisoformat(launched)
    if root_device := text(ns + "rootDeviceType"):
        instance["RootDeviceType"] = root_device
    if (configured := text(f"{ns}hibernationOptions/{ns}configured")) is not None:
        instance["HibernationOptions"] = {"Configured": configured.strip().lower() == "true"}
    return instance


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["slim_instance_listing"]
