"""What every request shares, built once per process by the app's lifespan and kept on `app.state.services`."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api.evidence_store import EvidenceStore


@dataclass(frozen=True)
class Services:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    evidence: EvidenceStore
