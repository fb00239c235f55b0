"""One contract for every ``ObjectStore`` adapter, run against the real emulators.

The conditional writes are what the period pointer's swap relies on, so they are checked on
every backend: a second create-if-absent loses, a write against a stale version loses, and a
write against the current version wins.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from costwarden.ports_storage import ObjectNotFoundError, ObjectStore, ObjectStoreError
from integration.export_arrival.conftest import NewStore


@pytest.fixture
def store(new_store: NewStore) -> ObjectStore:
    return new_store()


def test_create_if_absent_succeeds_once(store: ObjectStore) -> None:
    first = store.write("p/current.json", b"one", if_absent=True)
    second = store.write("p/current.json", b"two", if_absent=True)

    assert first is not None
    assert second is None
    assert store.read("p/current.json")[0] == b"one"


def test_compare_and_swap_wins_on_the_current_version_and_loses_on_a_stale_one(
    store: ObjectStore,
) -> None:
    created = store.write("p/current.json", b"one", if_absent=True)
    assert created is not None
    swapped = store.write("p/current.json", b"two", if_version=created.version)
    assert swapped is not None

    stale = store.write("p/current.json", b"three", if_version=created.version)

    assert stale is None
    body, info = store.read("p/current.json")
    assert body == b"two"
    assert info.version == swapped.version != created.version


def test_compare_and_swap_on_a_deleted_object_loses(store: ObjectStore) -> None:
    created = store.write("p/current.json", b"one")
    assert created is not None
    store.delete("p/current.json")

    assert store.write("p/current.json", b"two", if_version=created.version) is None
    assert store.head("p/current.json") is None


def test_concurrent_swaps_from_one_version_have_exactly_one_winner(store: ObjectStore) -> None:
    created = store.write("p/current.json", b"base", if_absent=True)
    assert created is not None
    results: list[bool] = []
    lock = threading.Lock()

    def swap(n: int) -> None:
        won = store.write("p/current.json", f"w{n}".encode(), if_version=created.version)
        with lock:
            results.append(won is not None)

    threads = [threading.Thread(target=swap, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 5 + [True]


def test_read_returns_the_bytes_and_their_version(store: ObjectStore) -> None:
    written = store.write("a/b/c.json", b'{"x": 1}', content_type="application/json")
    assert written is not None

    body, info = store.read("a/b/c.json")
    head = store.head("a/b/c.json")

    assert body == b'{"x": 1}'
    assert info.key == "a/b/c.json"
    assert info.size == 8
    assert head is not None
    assert head.version == info.version == written.version
    assert info.updated.tzinfo is not None


def test_missing_objects(store: ObjectStore, tmp_path: Path) -> None:
    assert store.head("nope.json") is None
    with pytest.raises(ObjectNotFoundError, match=r"nope\.json does not exist"):
        store.read("nope.json")
    with pytest.raises(ObjectNotFoundError, match=r"nope\.json does not exist"):
        store.download("nope.json", tmp_path / "x")
    store.delete("nope.json")  # already gone: fine


def test_upload_and_download_stream_a_multi_part_file(store: ObjectStore, tmp_path: Path) -> None:
    # 9 MiB: above boto3's 8 MiB multipart threshold, several blocks on Azure, resumable on GCS.
    source = tmp_path / "big.parquet"
    payload = bytes(range(256)) * (9 * 4096)
    source.write_bytes(payload)

    uploaded = store.upload(source, "runs/r1/part-00000.parquet")
    info = store.download("runs/r1/part-00000.parquet", tmp_path / "back.parquet")

    assert (tmp_path / "back.parquet").read_bytes() == payload
    assert uploaded.size == info.size == len(payload)


def test_list_returns_the_whole_subtree_under_a_prefix(store: ObjectStore) -> None:
    for key in ("x/1.json", "x/y/2.json", "x/y/z/3.json", "xx/4.json", "other/5.json"):
        store.write(key, b"{}")

    assert [info.key for info in store.list("x/")] == ["x/1.json", "x/y/2.json", "x/y/z/3.json"]
    assert len(list(store.list(""))) == 5


def test_list_head_and_download_spell_one_version_alike(store: ObjectStore, tmp_path: Path) -> None:
    """The export service compares a listed version with the downloaded one to notice a file
    rewritten under it (Azure lists ETags bare and heads them quoted)."""
    written = store.write("run/part-0.json", b'{"a": 1}\n')
    assert written is not None
    (listed,) = list(store.list("run/"))
    head = store.head("run/part-0.json")
    downloaded = store.download("run/part-0.json", tmp_path / "part-0.json")
    assert head is not None
    assert listed.version == head.version == downloaded.version == written.version


def test_delete_removes_the_object(store: ObjectStore) -> None:
    store.write("gone.json", b"{}")

    store.delete("gone.json")

    assert store.head("gone.json") is None
    assert list(store.list("")) == []


def test_the_local_store_refuses_keys_that_leave_its_folder(tmp_path: Path) -> None:
    from costwarden.adapters.local.file_store import LocalObjectStore

    store = LocalObjectStore(tmp_path / "bucket")

    for key in ("../escape", "/abs", "a/../../b", "", "folder/"):
        with pytest.raises(ObjectStoreError, match="not an object key"):
            store.write(key, b"x")
