"""Billing-export arrival, whatever cloud delivered it.

Two models, because a trigger event tells only half the story:

* ``ExportObject`` - one "object created" notification (S3 ``ObjectCreated:*``, Event Grid
  ``BlobCreated``, GCS ``object.v1.finalized``), already classified: the manifest (or
  completion marker) of a billing export, or an object we ignore and why. It is built from the
  event alone, with no I/O.
* ``ExportArrived`` - the export that manifest describes: which files, which billing period,
  which source format, which execution. It is built from the ``ExportObject`` plus the bytes of
  the manifest (``costwarden.normalize.export.read_manifest``).

Everything after the normalizers (dedup, conversion, publishing) reads only these.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from costwarden.models.budget import Provider

#: The raw formats ``costwarden.focus`` converts (the same names as its ``SourceKind``; repeated
#: here because the pure core must not import the FOCUS engine, which needs DuckDB).
SourceKind = Literal[
    "aws-cur2", "aws-cur-legacy", "aws-focus", "azure-cost", "azure-focus", "gcp-billing"
]
SOURCE_KINDS: tuple[SourceKind, ...] = (
    "aws-cur2",
    "aws-cur-legacy",
    "aws-focus",
    "azure-cost",
    "azure-focus",
    "gcp-billing",
)

#: How the manifest is laid out, i.e. which parser reads it.
ManifestFormat = Literal[
    "aws-data-exports",  # CUR 2.0 / FOCUS via AWS Data Exports: <export>-Manifest.json
    "aws-cur-legacy",  # legacy Cost and Usage Reports: <report>-Manifest.json with reportKeys
    "azure-cost-export",  # Cost Management exports: manifest.json with blobs[]
    "gcp-export-marker",  # our documented EXPORT DATA script's marker: manifest-*.json
]

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ExportObject(BaseModel):
    """One created object, classified as an export manifest or ignored.

    ``store_url`` names the bucket or container the object is in, in the form the composition
    root builds a store from: ``s3://bucket``, ``https://account.blob.core.windows.net/container``
    (or Azurite's path-style ``http://127.0.0.1:10000/devstoreaccount1/container``),
    ``gs://bucket``. ``key`` is the object's name inside it, decoded (S3 URL-encodes keys in
    notifications; this never is).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Provider
    store_url: str = Field(min_length=1)
    bucket: str = Field(min_length=1, description="bucket (S3, GCS) or container (Azure)")
    key: str = Field(min_length=1)
    event_id: str = Field(min_length=1)
    manifest_format: ManifestFormat | None = None
    ignored_reason: str | None = None
    billing_period: str | None = Field(
        default=None, description="YYYY-MM when the object's path carries it"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_manifest(self) -> bool:
        return self.manifest_format is not None

    @property
    def url(self) -> str:
        return f"{self.store_url.rstrip('/')}/{self.key}"


class ExportArrived(BaseModel):
    """A billing export whose files are all written, ready to convert to FOCUS.

    ``data_files`` are keys in the same bucket/container as the manifest. An export whose files
    are found by listing (the Google export, whose ``EXPORT DATA`` cannot name its files) has
    none and a ``list_prefix`` instead. ``expected_rows`` is the row count the export itself
    declares (Azure's ``dataRowCount``, our Google marker's ``row_count``), checked after the
    conversion so a lost part file cannot pass as a smaller bill.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Provider
    store_url: str = Field(min_length=1)
    bucket: str = Field(min_length=1)
    manifest_key: str = Field(min_length=1)
    export_name: str = Field(min_length=1, description="the export / report as its cloud names it")
    export_root: str = Field(description="the folder the export writes under, for its identity")
    billing_period: str = Field(pattern=_PERIOD.pattern, description="YYYY-MM")
    source: SourceKind
    execution_id: str = Field(min_length=1)
    data_files: tuple[str, ...] = ()
    list_prefix: str | None = None
    expected_rows: int | None = Field(default=None, ge=0)

    @property
    def dedup_key(self) -> str:
        """One claim per execution of one export: a redelivery is a no-op, a restatement is not.

        A restated period is a new execution with a new id, so it is converted and replaces the
        period; a redelivered notification (same manifest, same execution) finds the key done.
        """
        return (
            f"export/{self.provider}/{self.bucket}/{self.export_root}/"
            f"{self.billing_period}/{self.execution_id}"
        )
