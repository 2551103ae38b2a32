"""Evidence files, content-addressed, over any storage (`storage.blobs.BlobStore`) (product.md §8; reliability.md
EVID-01..05).

- The storage key is `<case_id>/<sha256>.<ext>`: the case, the SHA-256 of the bytes and the extension of the
  sniffed type. Nothing the client sends (file name, Content-Type) ever reaches a key.
- An upload is read in chunks while it is counted, hashed and sniffed; past `max_bytes` it stops at once, before
  anything is stored. Only a complete, allowed file is written, so no partial file is ever left. What was read
  (at most `max_bytes`) is held in memory until it is stored.
- Write-once: the same bytes uploaded again find their key taken and leave what is there untouched (each upload
  is still its own evidence record). A copy under a key whose bytes no longer match the key's SHA-256 is replaced
  by the uploaded bytes, which are exactly what the key promises.
- Reads re-hash the bytes, and refuse them when they no longer match (EVID-04).
"""

import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from starlette.concurrency import run_in_threadpool

from api.errors import ApiError, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from api.sniff import EXTENSIONS, JSON_SNIFF_MAX_BYTES, Sniffer
from storage.blobs import BlobMissing, BlobStore, BlobStoreUnavailable

log = logging.getLogger("api")

CHUNK = 64 * 1024
KEY = re.compile(r"[0-9A-Za-z_-]{1,40}/[0-9a-f]{64}\.(?:" + "|".join(sorted(set(EXTENSIONS.values()))) + r")")
_CASE_ID = re.compile(r"[0-9A-Za-z_-]{1,40}")
_SETTLE_TRIES = 3


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size_bytes: int
    media_type: str
    storage_key: str


@dataclass(frozen=True)
class _Scanned:
    data: bytes
    sha256: str
    sniffer: Sniffer


class EvidenceCorrupted(ApiError):
    status, code = 500, "evidence_corrupted"


class EvidenceMissing(ApiError):
    status, code = 500, "evidence_missing"


class StorageUnavailable(ApiError):
    status, code = 503, "storage_unavailable"


class EvidenceStore:
    def __init__(self, blobs: BlobStore, max_bytes: int) -> None:
        self.blobs = blobs
        self.max_bytes = max_bytes

    async def save(self, case_id: str, source: BinaryIO) -> StoredFile:
        """Stores `source` (read to its end) under its content address, `<case_id>/<sha256>.<ext>`."""
        if not _CASE_ID.fullmatch(case_id):
            raise ValueError(f"not a case id: {case_id!r}")
        scanned = await run_in_threadpool(self._scan, source)
        size = len(scanned.data)
        if size == 0:
            raise Unprocessable("the file is empty", code="empty_file")
        whole = scanned.data if scanned.sniffer.may_be_json and size <= JSON_SNIFF_MAX_BYTES else None
        media_type = scanned.sniffer.media_type(whole)
        if media_type is None:
            raise UnsupportedMediaType(
                "the file is not an allowed type: JPEG, PNG, WebP, HEIC, PDF, or UTF-8 text/JSON without markup"
            )
        key = f"{case_id}/{scanned.sha256}.{EXTENSIONS[media_type]}"
        with _answering():
            await self._settle(key, scanned.data, scanned.sha256)
        return StoredFile(scanned.sha256, size, media_type, key)

    async def read(self, storage_key: str, sha256: str) -> bytes:
        """The file's bytes, only if they still hash to `sha256`."""
        _check(storage_key)
        try:
            with _answering():
                data = await self.blobs.read(storage_key)
        except BlobMissing:
            log.error("evidence file %s is missing", storage_key)
            raise EvidenceMissing("the evidence file is missing from storage") from None
        if await run_in_threadpool(_sha256, data) != sha256:
            log.error("evidence file %s no longer matches its SHA-256", storage_key)
            raise EvidenceCorrupted("the stored file no longer matches its SHA-256; it is not served")
        return data

    async def discard(self, storage_key: str) -> None:
        _check(storage_key)
        with _answering():
            await self.blobs.discard(storage_key)

    def _scan(self, source: BinaryIO) -> _Scanned:
        digest, size, sniffer, data = hashlib.sha256(), 0, Sniffer(), bytearray()
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise PayloadTooLarge(f"the file is larger than {self.max_bytes} bytes", code="file_too_large")
            digest.update(chunk)
            sniffer.feed(chunk)
            data += chunk
        return _Scanned(bytes(data), digest.hexdigest(), sniffer)

    async def _settle(self, key: str, data: bytes, sha256: str) -> None:
        """Write-once: keep an intact copy already under the key; put the bytes over one that is not intact."""
        for _ in range(_SETTLE_TRIES):
            if await self.blobs.create(key, data, sha256):
                return
            try:
                existing = await self.blobs.read(key)
            except BlobMissing:
                continue  # discarded between the two calls: write it again
            if await run_in_threadpool(_sha256, existing) == sha256:
                return
            log.warning("evidence file %s did not match its SHA-256; restored from a new upload", key)
            await self.blobs.replace(key, data, sha256)
            return
        raise StorageUnavailable(f"the evidence file {key} could not be stored; try again")


@contextmanager
def _answering() -> Iterator[None]:
    """Storage that does not answer is a 503 the client may retry."""
    try:
        yield
    except BlobStoreUnavailable as error:
        log.error("evidence storage: %s", error)
        raise StorageUnavailable("evidence storage does not answer; try again") from error


def _check(storage_key: str) -> None:
    if not KEY.fullmatch(storage_key):
        raise ValueError(f"not a storage key: {storage_key!r}")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
