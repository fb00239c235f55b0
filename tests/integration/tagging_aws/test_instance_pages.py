"""The slimmed DescribeInstances listing against a local server speaking EC2's XML: every
page is followed, and ids, states and tags come through exactly (escaping included).

moto answers in one page, so paging is checked here with answers shaped like the EC2 API
reference's DescribeInstances example (namespace, reservations, the instance's other fields).
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import boto3
import pytest

from costwarden.adapters.aws.tagging_inventory import AwsTagInventory
from costwarden.ports_compute import Target

pytestmark = pytest.mark.integration

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def instance(instance_id: str, state: str, tags: dict[str, str]) -> str:
    tag_set = "".join(f"<item><key>{k}</key><value>{v}</value></item>" for k, v in tags.items())
    return f"""
      <item>
        <instanceId>{instance_id}</instanceId>
        <imageId>ami-0abcdef1234567890</imageId>
        <instanceState><code>16</code><name>{state}</name></instanceState>
        <privateDnsName>ip-10-0-0-157.ec2.internal</privateDnsName>
        <blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs>
          <volumeId>vol-1234567890abcdef0</volumeId><status>attached</status>
          <attachTime>2026-11-01T10:00:00.000Z</attachTime>
          <deleteOnTermination>true</deleteOnTermination></ebs></item></blockDeviceMapping>
        <networkInterfaceSet><item><networkInterfaceId>eni-0598c7d356eba48d7</networkInterfaceId>
          <groupSet><item><groupId>sg-0598c7d356eba48d7</groupId><groupName>web</groupName>
          </item></groupSet></item></networkInterfaceSet>
        {f"<tagSet>{tag_set}</tagSet>" if tags else ""}
      </item>"""


PAGES = {
    "": (
        [
            instance("i-1234567890abcdef0", "running", {"Name": "a &amp; b", "Owner": "x@y.z"}),
            instance("i-1234567890abcdef1", "stopped", {}),
        ],
        "page&amp;2",  # the token as it is on the wire: the client sends it back unescaped
    ),
    "page&2": ([instance("i-1234567890abcdef2", "running", {"env": "&lt;dev&gt;"})], None),
}


class Ec2Pages(BaseHTTPRequestHandler):
    tokens: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        token = form.get("NextToken", [""])[0]
        self.tokens.append(token)
        items, next_token = PAGES[token]
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="{NS}">'
            "<requestId>8f7724cf-496f-496e-8fe3-example</requestId><reservationSet>"
            "<item><reservationId>r-1234567890abcdef0</reservationId>"
            f"<ownerId>123456789012</ownerId><instancesSet>{''.join(items)}</instancesSet>"
            "</item></reservationSet>"
            + (f"<nextToken>{next_token}</nextToken>" if next_token else "")
            + "</DescribeInstancesResponse>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def ec2_pages() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ec2Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Ec2Pages.tokens = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_every_page_is_read_with_ids_states_and_tags_intact(ec2_pages: str) -> None:
    inventory = AwsTagInventory(
        boto3.Session(region_name="us-east-1"),
        Target(cloud="aws", account="123456789012", region="us-east-1"),
        endpoint_url=ec2_pages,
        type_filter=lambda kind: kind == "ec2:instance",
    )
    listed = {r.resource_id.rsplit("/", 1)[-1]: r.tags for r in inventory.list_resources()}
    assert listed == {
        "i-1234567890abcdef0": {"Name": "a & b", "Owner": "x@y.z"},
        "i-1234567890abcdef1": {},
        "i-1234567890abcdef2": {"env": "<dev>"},
    }
    assert Ec2Pages.tokens == ["", "page&2"]
