"""The evidence sweep as its schedule runs it: the workflow on a worker holding the evidence store deletes the
files no record names, older than the grace, and keeps the rest."""

import hashlib
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.adapters.payments import FakePaymentProvider
from models.evidence import Evidence
from rulebook.enums import EvidenceKind, Role
from storage.local import LocalBlobStore
from tests.builders import add_case, add_order
from worker import build_worker
from workflows.evidence_sweep import EvidenceSweepWorkflow
from workflows.evidence_sweep_messages import EvidenceSweepRequest, EvidenceSweepResult

Sessions = async_sessionmaker[AsyncSession]


async def test_the_sweep_deletes_only_old_files_no_record_names(
    time_skipping_env: WorkflowEnvironment, sessions: Sessions, tmp_path: Path
) -> None:
    case = await add_case(sessions, await add_order(sessions))
    blobs = LocalBlobStore(tmp_path / "evidence")
    keys = {}
    for name in ("named", "orphan"):
        data = f"{name} {uuid.uuid4()}".encode()
        sha256 = hashlib.sha256(data).hexdigest()
        keys[name] = f"{case.case_id}/{sha256}.txt"
        await blobs.create(keys[name], data, sha256)
    async with sessions() as session:
        session.add(
            Evidence(
                evidence_id=uuid.uuid4().hex[:16],
                case_id=case.case_id,
                kind=EvidenceKind.CHAT_LOG,
                sha256=keys["named"].split("/")[1].split(".")[0],
                size_bytes=1,
                media_type="text/plain",
                storage_key=keys["named"],
                uploaded_by_role=Role.BUYER,
                uploaded_by_id=case.buyer_id,
            )
        )
        await session.commit()
    queue = f"sweep-{uuid.uuid4().hex[:8]}"

    async with build_worker(time_skipping_env.client, sessions, FakePaymentProvider(), queue, evidence=blobs):

        async def sweep(grace: float) -> EvidenceSweepResult:
            return await time_skipping_env.client.execute_workflow(
                EvidenceSweepWorkflow.run, EvidenceSweepRequest(grace), id=f"sweep-{uuid.uuid4()}", task_queue=queue
            )

        assert await sweep(3600) == EvidenceSweepResult(looked_at=0, deleted=0)
        assert await sweep(0) == EvidenceSweepResult(looked_at=2, deleted=1)

    assert {blob.key async for blob in blobs.listing()} == {keys["named"]}
