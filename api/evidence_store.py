"""Evidence files on disk, content-addressed (product.md §8; reliability.md EVID-01..05).

- The storage key is `<case_id>/<sha256>.<ext>`: the case, the SHA-256 of the bytes and the extension of the
  sniffed type. Nothing the client sends (file name, Content-Type) ever reaches a path.
- An upload is streamed into a temporary file in the case's folder while it is counted, hashed and sniffed; past
  `max_bytes` it stops at once. Only a complete, allowed file is renamed (atomically) to its key; on any failure
  the temporary file is removed, so no partial file is ever left.
- Write-once: the same bytes uploaded again find their file already there and leave it untouched (each upload is
  still its own evidence record). A file under a key whose bytes no longer match the key's SHA-256 is replaced
  by the uploaded bytes, which are exactly what the key promises.
- Reads re-hash the file, and refuse it when it no longer matches (EVID-04).
The methods block on disk I/O: call them in a worker thread.
"""

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from api.errors import ApiError, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from api.sniff import EXTENSIONS, JSON_SNIFF_MAX_BYTES, Sniffer

log = logging.getLogger("api")

CHUNK = 64 * 1024
KEY = re.compile(r"[0-9A-Za-z_-]{1,40}/[0-9a-f]{64}\.(?:" + "|".join(sorted(set(EXTENSIONS.values()))) + r")")
_CASE_ID = re.compile(r"[0-9A-Za-z_-]{1,40}")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size_bytes: int
    media_type: str
    storage_key: str


class EvidenceCorrupted(ApiError):
    status, code = 500, "evidence_corrupted"


class EvidenceMissing(ApiError):
    status, code = 500, "evidence_missing"


class EvidenceStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root.resolve()
        self.max_bytes = max_bytes

    def save(self, case_id: str, source: BinaryIO) -> StoredFile:
        """Stores `source` (read to its end) under its content address in the case's folder."""
        folder = self._folder(case_id)
        handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                sha256, size, sniffer = self._copy(source, out)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise Unprocessable("the file is empty", code="empty_file")
            whole = temp.read_bytes() if sniffer.may_be_json and size <= JSON_SNIFF_MAX_BYTES else None
            media_type = sniffer.media_type(whole)
            if media_type is None:
                raise UnsupportedMediaType(
                    "the file is not an allowed type: JPEG, PNG, WebP, HEIC, PDF, or UTF-8 text/JSON without markup"
                )
            key = f"{case_id}/{sha256}.{EXTENSIONS[media_type]}"
            self._settle(temp, self.path(key), sha256)
            return StoredFile(sha256, size, media_type, key)
        finally:
            temp.unlink(missing_ok=True)

    def read(self, storage_key: str, sha256: str) -> bytes:
        """The file's bytes, only if they still hash to `sha256`."""
        path = self.path(storage_key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            log.error("evidence file %s is missing", storage_key)
            raise EvidenceMissing("the evidence file is missing from storage") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            log.error("evidence file %s no longer matches its SHA-256", storage_key)
            raise EvidenceCorrupted("the stored file no longer matches its SHA-256; it is not served")
        return data

    def discard(self, storage_key: str) -> None:
        self.path(storage_key).unlink(missing_ok=True)

    def path(self, storage_key: str) -> Path:
        """Where a key lives; the key must have the store's own shape and stay inside the root."""
        if not KEY.fullmatch(storage_key):
            raise ValueError(f"not a storage key: {storage_key!r}")
        path = (self.root / storage_key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"storage key outside the store: {storage_key!r}")
        return path

    def _copy(self, source: BinaryIO, out: BinaryIO) -> tuple[str, int, Sniffer]:
        digest, size, sniffer = hashlib.sha256(), 0, Sniffer()
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise PayloadTooLarge(f"the file is larger than {self.max_bytes} bytes", code="file_too_large")
            digest.update(chunk)
            sniffer.feed(chunk)
            out.write(chunk)
        return digest.hexdigest(), size, sniffer

    def _folder(self, case_id: str) -> Path:
        if not _CASE_ID.fullmatch(case_id):
            raise ValueError(f"not a case id: {case_id!r}")
        folder = self.root / case_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @staticmethod
    def _settle(temp: Path, final: Path, sha256: str) -> None:
        """Write-once: keep an intact file already under the key; otherwise move the new one there atomically."""
        if final.exists() and _sha256_of(final) == sha256:
            return
        if final.exists():
            log.warning("evidence file %s did not match its SHA-256; restored from a new upload", final.name)
        os.replace(temp, final)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
