"""Both evidence stores behind one interface — the local folder and S3 (moto's server on a loopback port) — and the
evidence store's checks over each (reliability.md EVID-01, EVID-03..05)."""

import hashlib
import io
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from aiobotocore.config import AioConfig

from api.errors import PayloadTooLarge
from api.evidence_store import EvidenceCorrupted, EvidenceMissing, EvidenceStore, StorageUnavailable
from settings import Settings
from storage.blobs import BlobMissing, BlobStore
from storage.local import LocalBlobStore
from storage.s3 import S3BlobStore
from storage.selection import botocore_session, evidence_blobs
from tests.api.evidence_helpers import png
from tests.support.s3_server import KEY_ID, REGION, SECRET, create_bucket, s3_client, s3_settings
from tests.support.stored_files import BucketFiles, FolderFiles, StoredFiles

MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class Store:
    blobs: BlobStore
    files: StoredFiles


@pytest_asyncio.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path, s3_endpoint: str) -> AsyncIterator[Store]:
    """The store the settings select, and a look at what it holds from outside."""
    settings = Settings(env="test", jwt_secret="test", evidence_dir=tmp_path / "evidence")
    if request.param == "local":
        async with evidence_blobs(settings) as blobs:
            yield Store(blobs, FolderFiles(settings.evidence_dir))
        return
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    async with s3_client(s3_endpoint) as client, evidence_blobs(s3_settings(settings, s3_endpoint, bucket)) as blobs:
        await create_bucket(client, bucket)
        yield Store(blobs, BucketFiles(client, bucket, "evidence"))


def _key(data: bytes, case_id: str = "case1") -> tuple[str, str]:
    sha256 = hashlib.sha256(data).hexdigest()
    return f"{case_id}/{sha256}.png", sha256


async def test_a_new_key_is_written_once_and_read_back(store: Store) -> None:
    data = png()
    key, sha256 = _key(data)

    assert await store.blobs.create(key, data, sha256) is True
    assert await store.blobs.read(key) == data
    assert await store.files.keys("case1") == [key]
    assert len(await store.files.writes(key)) == 1


async def test_a_taken_key_is_left_untouched(store: Store) -> None:
    data = png()
    key, sha256 = _key(data)
    await store.blobs.create(key, data, sha256)
    before = await store.files.writes(key)

    assert await store.blobs.create(key, data, sha256) is False

    assert await store.files.writes(key) == before
    assert await store.blobs.read(key) == data


async def test_nothing_under_a_key_is_blob_missing_and_discarding_it_is_fine(store: Store) -> None:
    data = png()
    key, sha256 = _key(data)

    with pytest.raises(BlobMissing):
        await store.blobs.read(key)
    await store.blobs.discard(key)

    await store.blobs.create(key, data, sha256)
    await store.blobs.discard(key)
    assert await store.files.keys("case1") == []
    with pytest.raises(BlobMissing):
        await store.blobs.read(key)


async def test_replace_puts_the_key_s_own_bytes_over_a_changed_copy(store: Store) -> None:
    data = png()
    key, sha256 = _key(data)
    await store.blobs.create(key, data, sha256)
    await store.files.write(key, b"changed")

    await store.blobs.replace(key, data, sha256)

    assert await store.files.read(key) == data


async def test_the_evidence_store_keys_files_by_hash_and_finds_a_flipped_byte_or_a_missing_file(store: Store) -> None:
    evidence = EvidenceStore(store.blobs, MAX_BYTES)
    data = png()
    stored = await evidence.save("case1", io.BytesIO(data))
    assert (stored.sha256, stored.media_type) == (hashlib.sha256(data).hexdigest(), "image/png")
    assert await store.files.keys("case1") == [stored.storage_key] == [f"case1/{stored.sha256}.png"]
    assert await evidence.read(stored.storage_key, stored.sha256) == data

    flipped = bytearray(data)
    flipped[-5] ^= 0x01
    await store.files.write(stored.storage_key, bytes(flipped))
    with pytest.raises(EvidenceCorrupted):
        await evidence.read(stored.storage_key, stored.sha256)

    await store.files.remove(stored.storage_key)
    with pytest.raises(EvidenceMissing):
        await evidence.read(stored.storage_key, stored.sha256)


async def test_the_same_bytes_again_keep_the_stored_copy_and_a_changed_copy_is_restored(store: Store) -> None:
    evidence = EvidenceStore(store.blobs, MAX_BYTES)
    data = png()
    stored = await evidence.save("case1", io.BytesIO(data))
    before = await store.files.writes(stored.storage_key)

    again = await evidence.save("case1", io.BytesIO(data))
    assert again == stored and await store.files.writes(stored.storage_key) == before

    await store.files.write(stored.storage_key, data[:-1])
    await evidence.save("case1", io.BytesIO(data))
    assert await evidence.read(stored.storage_key, stored.sha256) == data


async def test_an_upload_over_the_cap_stores_nothing(store: Store) -> None:
    evidence = EvidenceStore(store.blobs, MAX_BYTES)
    data = png() + b"\0" * MAX_BYTES

    with pytest.raises(PayloadTooLarge):
        await evidence.save("case1", io.BytesIO(data))

    assert await store.files.keys("case1") == []


def test_a_local_key_that_leaves_the_folder_or_names_a_temporary_file_is_refused(tmp_path: Path) -> None:
    local = LocalBlobStore(tmp_path)
    for key in ("../x", "/etc/passwd", "a/../../x", "a/.upload-1.part", "", "a//b"):
        with pytest.raises(ValueError):
            local.path(key)


async def test_the_s3_prefix_is_where_the_objects_go(s3_endpoint: str, tmp_path: Path) -> None:
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    settings = s3_settings(Settings(env="test", jwt_secret="test"), s3_endpoint, bucket, prefix="/shop/evidence/")
    data = png()
    key, sha256 = _key(data)
    async with s3_client(s3_endpoint) as client, evidence_blobs(settings) as blobs:
        await create_bucket(client, bucket)
        await blobs.create(key, data, sha256)
        listed = await client.list_objects_v2(Bucket=bucket)

    assert [item["Key"] for item in listed["Contents"]] == [f"shop/evidence/{key}"]


async def test_s3_that_does_not_answer_is_a_503_to_retry() -> None:
    config = AioConfig(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1})
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    async with botocore_session().create_client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{closed.getsockname()[1]}",
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=config,
    ) as client:
        evidence = EvidenceStore(S3BlobStore(client, "evidence"), MAX_BYTES)
        with pytest.raises(StorageUnavailable) as raised:
            await evidence.save("case1", io.BytesIO(png()))
        with pytest.raises(StorageUnavailable):
            await evidence.read(*_key(png()))

    closed.close()
    assert (raised.value.status, raised.value.code) == (503, "storage_unavailable")


async def test_the_listing_names_every_stored_key_with_when_it_was_written(store: Store) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)  # S3 keeps whole seconds
    written = {}
    for data, case_id in ((png(), "case1"), (b"%PDF-1.4 x", "case1"), (png(), "case2")):
        key, sha256 = _key(data, case_id)
        await store.blobs.create(key, data, sha256)
        written[key] = data

    listed = {blob.key: blob.modified async for blob in store.blobs.listing()}

    assert set(listed) == set(written)
    assert all(before <= modified <= datetime.now(UTC) + timedelta(seconds=5) for modified in listed.values())
    await store.blobs.discard(next(iter(written)))
    assert {blob.key async for blob in store.blobs.listing()} == set(written) - {next(iter(written))}
