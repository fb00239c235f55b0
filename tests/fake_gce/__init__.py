"""Loopback stand-ins for the Google Cloud APIs the scheduler uses, for the real client libraries.

No emulator exists for Compute Engine or Cloud Monitoring, and the Pub/Sub emulator ships with
the gcloud SDK (not installable here), so these serve the documented wire shapes:

``FakeGcpServer``   HTTP/JSON: Compute Engine v1 (instances aggregatedList/get/stop/start/
                    resume/setLabels, zoneOperations get/wait) and Pub/Sub v1 topics.publish,
                    for google-cloud-compute and google-cloud-pubsub on their REST transport.
``FakeLabelsServer`` ``FakeGcpServer`` plus Compute disks, Resource Manager v3 projects.get and
                    Cloud Storage buckets (list/get/patch with labels and metageneration
                    preconditions), for tag remediation (see ``fake_gce.labels``).
``FakeMonitoring``  gRPC: google.monitoring.v3.MetricService/ListTimeSeries. google-cloud-
                    monitoring 2.x has no REST transport (its transport registry holds only
                    ``grpc`` and ``grpc_asyncio``), so its fake speaks gRPC, in plaintext.

Both bind 127.0.0.1 only, record every request, and inject faults (429/503, RESOURCE_EXHAUSTED/
UNAVAILABLE) on chosen calls.
"""

from fake_gce.labels import FakeBucket, FakeDisk, FakeLabelsServer
from fake_gce.model import FakeInstance, RecordedCall
from fake_gce.monitoring import FakeMonitoring
from fake_gce.server import FakeGcpServer

__all__ = [
    "FakeBucket",
    "FakeDisk",
    "FakeGcpServer",
    "FakeInstance",
    "FakeLabelsServer",
    "FakeMonitoring",
    "RecordedCall",
]
