"""``ObjectStore`` on a local directory: the CLI's, the local runs' and the fast tests' store.

Every write goes to a temporary file in the target's folder and is renamed into place, so a
reader never sees half an object. A version is the file's identity (inode, mtime, size): each
rename brings a new inode, so any write changes it. Conditional writes hold an exclusive
``flock`` on one lock file for the check-and-rename, which makes them atomic across threads and
processes sharing the directory (the same guarantee S3, Azure and GCS give on the server).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from costwarden.ports_storage import ObjectInfo, ObjectNotFoundError, ObjectStoreError

_LOCK_NAME = ".costwarden-store.lock"
_TEMP_PREFIX = ".cw-tmp-"


class LocalObjectStore:
    """A directory as a bucket: key ``a/b.parquet`` is the file ``<root>/a/b.parquet``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.location = self.root.as_uri()
        self._thread_lock = threading.Lock()  # flock is per open file, not per thread

    # -- reads ----------------------------------------------------------------------------------
    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        found: list[ObjectInfo] = []
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if name == _LOCK_NAME or name.startswith(_TEMP_PREFIX):
                    continue
                path = Path(folder) / name
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    with contextlib.suppress(FileNotFoundError):  # deleted while we walked
                        found.append(_info(key, path.stat()))
        yield from sorted(found, key=lambda info: info.key)

    def head(self, key: str) -> ObjectInfo | None:
        try:
            return _info(key, self._path(key).stat())
        except FileNotFoundError:
            return None

    def read(self, key: str) -> tuple[bytes, ObjectInfo]:
        try:
            with self._path(key).open("rb") as handle:
                # fstat of the open file: the version of exactly the bytes we read
                return handle.read(), _info(key, os.fstat(handle.fileno()))
        except FileNotFoundError:
            raise ObjectNotFoundError(f"{self.location}/{key} does not exist") from None

    def download(self, key: str, path: Path) -> ObjectInfo:
        try:
            with self._path(key).open("rb") as source, path.open("wb") as target:
                shutil.copyfileobj(source, target, length=1024 * 1024)
                return _info(key, os.fstat(source.fileno()))
        except FileNotFoundError:
            raise ObjectNotFoundError(f"{self.location}/{key} does not exist") from None

    # -- writes ---------------------------------------------------------------------------------
    def upload(self, path: Path, key: str, *, content_type: str | None = None) -> ObjectInfo:
        target = self._path(key)
        temp = self._temp_beside(target)
        try:
            shutil.copyfile(path, temp)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        return _info(key, target.stat())

    def write(
        self,
        key: str,
        data: bytes,
        *,
        if_version: str | None = None,
        if_absent: bool = False,
        content_type: str | None = None,
    ) -> ObjectInfo | None:
        target = self._path(key)
        temp = self._temp_beside(target)
        try:
            temp.write_bytes(data)
            with self._exclusive():
                current = self.head(key)
                if if_absent and current is not None:
                    return None
                if if_version is not None and (current is None or current.version != if_version):
                    return None
                os.replace(temp, target)
                return _info(key, target.stat())
        finally:
            temp.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    # -- plumbing -------------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not key or key.startswith("/") or ".." in parts or key.endswith("/"):
            raise ObjectStoreError(f"not an object key: {key!r}")
        return self.root.joinpath(*parts)

    def _temp_beside(self, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=target.parent)
        os.close(handle)
        return Path(name)

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        with self._thread_lock, (self.root / _LOCK_NAME).open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _info(key: str, stat: os.stat_result) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=stat.st_size,
        version=f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}",
        updated=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
    )
