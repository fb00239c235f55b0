"""``ObjectStore`` on an S3 bucket (boto3).

Conditional writes use S3's own preconditions on ``PutObject``: ``If-None-Match: *`` for
create-if-absent (GA since August 2024) and ``If-Match: <etag>`` for compare-and-swap (GA since
November 2024). A failed precondition answers 412 (or 409 ``ConditionalRequestConflict`` when
two conditional writes to one key overlap); both mean "lost the race". The ETag is the version.

Large files go through boto3's managed transfer (multipart above 8 MiB, parallel parts), so
uploads and downloads stream from and to disk and never hold a file in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from costwarden.ports_storage import ObjectInfo, ObjectNotFoundError, ObjectStoreError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_LOST_RACE = {"412", "PreconditionFailed", "409", "ConditionalRequestConflict"}


class S3ObjectStore:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket
        self.location = f"s3://{bucket}"

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield ObjectInfo(
                        key=item["Key"],
                        size=item["Size"],
                        version=item["ETag"],
                        updated=_utc(item["LastModified"]),
                    )
        except (ClientError, BotoCoreError) as exc:
            raise self._error("list", prefix, exc) from exc

    def head(self, key: str) -> ObjectInfo | None:
        try:
            response = self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return None
            raise self._error("head", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("head", key, exc) from exc
        return _info(key, response)

    def read(self, key: str) -> tuple[bytes, ObjectInfo]:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key)
            body = response["Body"].read()
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise ObjectNotFoundError(f"{self.location}/{key} does not exist") from None
            raise self._error("read", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("read", key, exc) from exc
        return body, _info(key, response)

    def download(self, key: str, path: Path) -> ObjectInfo:
        # Head first: download_file's own 404 is a bare ClientError("404") with no message.
        info = self.head(key)
        if info is None:
            raise ObjectNotFoundError(f"{self.location}/{key} does not exist")
        try:
            self._client.download_file(self._bucket, key, str(path))
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                raise ObjectNotFoundError(f"{self.location}/{key} does not exist") from None
            raise self._error("download", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("download", key, exc) from exc
        # The version of exactly the bytes downloaded (the port's promise): the object may be
        # rewritten between the head and the GETs (AWS's overwrite-mode exports are). Unchanged
        # after: the bytes are that version (an ETag names the content). Changed: a version
        # that matches neither, so a caller comparing it with a listing sees the change.
        after = self.head(key)
        if after is None or after.version != info.version:
            later = after.version if after is not None else "deleted"
            return replace(info, version=f"{info.version}->{later}")
        return info

    def upload(self, path: Path, key: str, *, content_type: str | None = None) -> ObjectInfo:
        extra = {"ContentType": content_type} if content_type else {}
        try:
            self._client.upload_file(str(path), self._bucket, key, ExtraArgs=extra)
        except (ClientError, BotoCoreError) as exc:
            raise self._error("upload", key, exc) from exc
        info = self.head(key)
        if info is None:
            raise ObjectStoreError(f"{self.location}/{key} vanished right after its upload")
        return info

    def write(
        self,
        key: str,
        data: bytes,
        *,
        if_version: str | None = None,
        if_absent: bool = False,
        content_type: str | None = None,
    ) -> ObjectInfo | None:
        arguments: dict[str, Any] = {"Bucket": self._bucket, "Key": key, "Body": data}
        if content_type:
            arguments["ContentType"] = content_type
        if if_absent:
            arguments["IfNoneMatch"] = "*"
        if if_version is not None:
            arguments["IfMatch"] = if_version
        try:
            response = self._client.put_object(**arguments)
        except ClientError as exc:
            code = _code(exc)
            conditional = if_absent or if_version is not None
            if conditional and (code in _LOST_RACE or code in _NOT_FOUND):
                return None  # NoSuchKey: If-Match on a key someone deleted
            raise self._error("write", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("write", key, exc) from exc
        return ObjectInfo(
            key=key, size=len(data), version=response["ETag"], updated=datetime.now(UTC)
        )

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _code(exc) not in _NOT_FOUND:
                raise self._error("delete", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("delete", key, exc) from exc

    def _error(self, operation: str, key: str, exc: Exception) -> ObjectStoreError:
        return ObjectStoreError(f"S3 {operation} of {self.location}/{key} failed: {exc}")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _info(key: str, response: Any) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=int(response.get("ContentLength", 0)),
        version=str(response["ETag"]),
        updated=_utc(response["LastModified"]),
    )


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
