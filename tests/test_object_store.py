"""The local object store: content-addressed originals, never overwritten, atomic."""

import hashlib
import io
import threading

import pytest

from storage.objects import LocalObjectStore, ObjectNotFound, S3ObjectStore, TooLarge, original_key

_S3 = [pytest.mark.services, pytest.mark.xdist_group("services")]


@pytest.fixture(params=["local", pytest.param("s3", marks=_S3)])
def store(request, tmp_path):
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    server = request.getfixturevalue("s3_server")
    return S3ObjectStore(server.client(), f"originals-{abs(hash(request.node.name)) % 10**8}")


def test_same_file_twice_is_stored_once_and_never_overwritten(store):
    data = b"%PDF-1.7 ho so cua cong dan" * 1000
    first = store.put_original(io.BytesIO(data))
    second = store.put_original(io.BytesIO(data))
    assert first.created and not second.created
    assert first.key == second.key == original_key(hashlib.sha256(data).hexdigest())
    assert first.size == len(data)
    with store.open(first.key) as fh:
        assert fh.read() == data
    assert list(store.keys("originals/")) == [first.key]


def test_too_large_stream_leaves_nothing_behind(store):
    kept = store.put_original(io.BytesIO(b"da tiep nhan"))
    with pytest.raises(TooLarge):
        store.put_original(io.BytesIO(b"x" * 5000), max_bytes=4096)
    assert list(store.keys()) == [kept.key]  # no partial file, the earlier original intact


def test_concurrent_writers_of_one_file_store_it_once(tmp_path):
    store = LocalObjectStore(tmp_path)  # atomic link(); on S3, bucket versioning covers the race
    data = b"cung mot tep" * 10000
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.put_original(io.BytesIO(data)))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.created for r in results) == 1
    assert len(list(store.keys())) == 1


def test_missing_keys_are_reported(store):
    with pytest.raises(ObjectNotFound):
        store.open("originals/aa/bb/nothing")
    assert not store.exists("originals/aa/bb/nothing")


def test_local_keys_cannot_escape_the_store(tmp_path):
    with pytest.raises(ValueError):
        LocalObjectStore(tmp_path).open("../../etc/passwd")
