"""One local ARM endpoint serving both fakes: the Resources/Tags API (``FakeResources``) and the
Compute API (``fake_arm.FakeArm``), as production reaches both through one ``base_url``
(``bootstrap_tagging._azure_ports`` builds the tag adapters and ``AzureVmCompute`` on it).

Routing: ``.../providers/Microsoft.Compute/...`` (VM list, get, instance view, deallocate/start,
operations) goes to ``FakeArm``; everything else, including every tags request (a VM's
``.../providers/Microsoft.Resources/tags/default`` too), goes to ``FakeResources``. A VM added
with ``add_vm`` exists in both; its tags live in ``FakeResources`` and are copied onto the
``FakeVm`` before each compute request, so the compute listing sees the tags the tag writer and
the actuator's last-action merge wrote, as ARM would. Requests are served one at a time.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

from fake_arm import FakeArm, FakeVm, TlsFiles
from fake_arm.tls import HttpsServerThread
from fake_arm_tags.server import FakeResources, handler_for

VM_TYPE = "Microsoft.Compute/virtualMachines"
_COMPUTE = re.compile(r"/providers/microsoft\.compute/", re.IGNORECASE)
_TAGS = re.compile(r"/providers/microsoft\.resources/tags/default$", re.IGNORECASE)


class FakeArmWithCompute:
    """Start with ``with FakeArmWithCompute(tls) as arm:``; ``arm.url`` is the ARM ``base_url``;
    ``arm.resources`` and ``arm.compute`` are the two fakes (their state and recorded calls)."""

    def __init__(self, tls: TlsFiles, *, lro_polls: int = 2) -> None:
        self._tls = tls
        self.resources = FakeResources(tls)
        self.compute = FakeArm(tls, lro_polls=lro_polls)
        self._vms: list[FakeVm] = []
        self._lock = threading.Lock()
        self._http: HttpsServerThread | None = None
        self.url = ""

    def __enter__(self) -> FakeArmWithCompute:
        self._http = HttpsServerThread(self._tls, handler_for(self), name="fake-arm-combined")
        self.url = self._http.start()
        # both fakes build nextLink / operation URLs from their own ``url``
        self.resources.url = self.compute.url = self.url
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.stop()

    def add_vm(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        *,
        tags: dict[str, str] | None = None,
        power: str | None = "running",
    ) -> FakeVm:
        """A VM in both fakes (add its resource group with ``resources.add_group`` first)."""
        self.resources.add_resource(subscription, resource_group, VM_TYPE, name, tags=tags or {})
        vm = self.compute.add_vm(
            name, subscription=subscription, resource_group=resource_group, power=power
        )
        with self._lock:
            self._vms.append(vm)
            self._sync_tags()
        return vm

    def handle(self, method: str, raw_path: str, body: bytes, auth: str | None) -> Reply:
        path = unquote(urlsplit(raw_path).path)
        with self._lock:
            if _COMPUTE.search(path) and not _TAGS.search(path):
                self._sync_tags()
                reply = self.compute.handle(method, raw_path, body, auth)
                return reply.status, reply.payload, reply.headers
            return self.resources.handle(method, raw_path, body, auth)

    def _sync_tags(self) -> None:
        for vm in self._vms:
            vm.tags = self.resources.tags_of(vm.id)


Reply = tuple[int, Any, dict[str, str]]
