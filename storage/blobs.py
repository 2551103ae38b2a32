"""The interface every evidence storage offers: bytes under a key, written once.

Keys are content addresses (the caller's `<case_id>/<sha256>.<ext>`), so a key only ever names one sequence of
bytes. A store writes a key only when nothing is there (`create`), or, through `replace`, over a copy that no
longer hashes to its key: the bytes written are the same whichever writer wins, so that overwrite cannot change
what a key holds. A store never decides whether bytes are intact; the caller hashes what it reads.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class BlobStoreError(Exception):
    """Storage did not do what was asked."""


class BlobMissing(BlobStoreError):
    """Nothing is stored under the key."""


class BlobStoreUnavailable(BlobStoreError):
    """Storage does not answer, or refuses the service (network, credentials, a missing bucket)."""


@dataclass(frozen=True)
class StoredBlob:
    key: str
    modified: datetime  # when its bytes were last written (UTC)


class BlobStore(Protocol):
    async def create(self, key: str, data: bytes, sha256: str) -> bool:
        """Stores `data` (whose SHA-256 is `sha256`, hex) under `key` if nothing is there: True if written, False
        if the key was already taken (what is there is left untouched)."""
        ...

    async def replace(self, key: str, data: bytes, sha256: str) -> None:
        """Puts `data` under `key` over a copy the caller found no longer hashing to `sha256`."""
        ...

    async def read(self, key: str) -> bytes:
        """Everything stored under `key`; `BlobMissing` if nothing is."""
        ...

    async def discard(self, key: str) -> None:
        """Removes a file no record names (the sweep, `activities/evidence_sweep.py`); nothing there is fine."""
        ...

    def listing(self) -> AsyncIterator[StoredBlob]:
        """Every key stored, with when it was written, in no particular order (the sweep of files no record names)."""
        ...
