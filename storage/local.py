"""Evidence in a local folder (the embedded default): `<root>/<key>`, written through a temporary file.

`create` hard-links a complete, flushed temporary file to the key, which fails if the key exists: no check-then-
write race, and a reader never sees a partial file. `replace` renames over the key (atomic on POSIX).
The file system calls block, so they run in a worker thread.
"""

import asyncio
import os
import re
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from storage.blobs import BlobMissing, StoredBlob

# Path segments of letters, digits, `_`, `-` and `.`, none starting with a dot: no `..`, no temporary files.
_KEY = re.compile(r"[0-9A-Za-z_-][0-9A-Za-z_.-]*(?:/[0-9A-Za-z_-][0-9A-Za-z_.-]*)*")


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    async def create(self, key: str, data: bytes, sha256: str) -> bool:
        return await asyncio.to_thread(self._create, self.path(key), data)

    async def replace(self, key: str, data: bytes, sha256: str) -> None:
        await asyncio.to_thread(self._replace, self.path(key), data)

    async def read(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            raise BlobMissing(key) from None

    async def discard(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    async def listing(self) -> AsyncIterator[StoredBlob]:
        for blob in await asyncio.to_thread(self._listing):
            yield blob

    def _listing(self) -> list[StoredBlob]:
        found = []
        for folder, _, names in os.walk(self.root):
            for name in names:
                key = Path(folder, name).relative_to(self.root).as_posix()
                if not _KEY.fullmatch(key):
                    continue  # a temporary file of a write in progress
                try:
                    modified = os.stat(Path(folder, name)).st_mtime
                except FileNotFoundError:
                    continue  # discarded meanwhile
                found.append(StoredBlob(key, datetime.fromtimestamp(modified, UTC)))
        return found

    def path(self, key: str) -> Path:
        """Where a key lives; it must be a plain relative path that stays inside the root."""
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a storage key: {key!r}")
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"storage key outside the store: {key!r}")
        return path

    @staticmethod
    def _create(final: Path, data: bytes) -> bool:
        temp = _written(final.parent, data)
        try:
            os.link(temp, final)
        except FileExistsError:
            return False
        finally:
            temp.unlink(missing_ok=True)
        return True

    @staticmethod
    def _replace(final: Path, data: bytes) -> None:
        temp = _written(final.parent, data)
        try:
            os.replace(temp, final)
        finally:
            temp.unlink(missing_ok=True)


def _written(folder: Path, data: bytes) -> Path:
    """`data` in a new temporary file of `folder`, flushed to disk."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)
