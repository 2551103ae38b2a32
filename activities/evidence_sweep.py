"""Deletes evidence files no record names, once they are older than the grace period.

Withdrawing an upload (the case did not take it) deletes its record only: the file is content-addressed, so an
upload of the same bytes may be between storing its file and committing its record at that very moment. The sweep
deletes a key only if no evidence row names it and its object was written longer ago than the grace — far longer
than any upload takes between the two.
"""

from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.heartbeat import heartbeating
from models.evidence import Evidence
from models.types import utcnow
from storage.blobs import BlobStore
from workflows.evidence_sweep_messages import EvidenceSweepRequest, EvidenceSweepResult

BATCH = 500  # keys looked up in the database at once


class EvidenceSweep:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], blobs: BlobStore | None) -> None:
        """`blobs`: the evidence store (none: a worker without one sweeps nothing)."""
        self._sessions = sessions
        self._blobs = blobs

    @activity.defn
    async def sweep_evidence(self, request: EvidenceSweepRequest) -> EvidenceSweepResult:
        if self._blobs is None:
            return EvidenceSweepResult()
        looked_at = deleted = 0
        async with heartbeating():
            async for batch in self._old_keys(self._blobs, timedelta(seconds=request.grace_seconds)):
                looked_at += len(batch)
                deleted += await self._delete_unnamed(self._blobs, batch)
        if deleted:
            activity.logger.info("evidence sweep deleted %d files no record names", deleted)
        return EvidenceSweepResult(looked_at, deleted)

    @staticmethod
    async def _old_keys(blobs: BlobStore, grace: timedelta) -> AsyncIterator[list[str]]:
        cutoff, batch = utcnow() - grace, []
        async for blob in blobs.listing():
            if blob.modified < cutoff:
                batch.append(blob.key)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    async def _delete_unnamed(self, blobs: BlobStore, keys: list[str]) -> int:
        async with self._sessions() as session:
            named = set(
                (await session.exec(select(Evidence.storage_key).where(col(Evidence.storage_key).in_(keys)))).all()
            )
        unnamed = [key for key in keys if key not in named]
        for key in unnamed:
            await blobs.discard(key)
        return len(unnamed)
