"""Evidence of a case: upload (multipart), list, download. Files live in `api.evidence_store` (over `storage/`).

An upload is checked against the case's stored status first (a closed case stores nothing), then stored, recorded
as a row and put on the timeline by the workflow's `add_evidence` update. If the workflow refuses (the case closed
in between) or cannot be reached, the row is deleted again, so the evidence list and the timeline agree; the file
goes too unless another record of the case has the same bytes, or the update's fate is unknown.
Uploading the same bytes twice makes two records (each upload has its own kind, note, uploader and timeline
event) that share one stored file.
"""

import hashlib
import json
import unicodedata
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api import links
from api.case_workflow import add_evidence
from api.deps import EvidenceStoreDep, PartyDep, SessionDep, TemporalDep, VisibleCaseDep
from api.errors import ApiError, InvalidState, NotFound, Unprocessable, documented
from api.evidence_store import EvidenceCorrupted, EvidenceStore, StoredFile
from api.idempotency import IDEMPOTENT, IdempotentRoute
from api.schemas.evidence import EvidenceList, EvidencePublic
from api.sniff import EXTENSIONS, JSON
from api.text import shown
from models.case import Case
from models.evidence import Evidence
from rulebook.enums import EvidenceKind, Role
from workflows.messages import EvidenceAdded

router = APIRouter(prefix="/cases/{case_id}/evidence", tags=["evidence"], route_class=IdempotentRoute)

NAME_MAX = 255
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file's bytes, with the media type sniffed at upload",
        "content": {
            # a chat export, or the platform's own record (listing, tracking), is JSON: any JSON value, not a string
            media_type: {"schema": {} if media_type == JSON else {"type": "string", "format": "binary"}}
            for media_type in EXTENSIONS
        },
    }
}


@router.post("", status_code=201, dependencies=IDEMPOTENT, responses=documented(413, 415, 503) | links.EVIDENCE_ADDED)
async def upload_evidence(
    caller: PartyDep,
    case: VisibleCaseDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP, HEIC, PDF, or a UTF-8 text/JSON chat export")],
    kind: Annotated[EvidenceKind, Form()],
    session: SessionDep,
    client: TemporalDep,
    store: EvidenceStoreDep,
    note: Annotated[str, Form(max_length=1000, pattern=r"^[^\x00]*$")] = "",
) -> EvidencePublic:
    """Stores a file content-addressed by SHA-256 and puts it on the case's timeline."""
    if case.status.is_final:
        raise InvalidState(f"cannot add evidence to a case that is {case.status}", case.status)
    if kind == EvidenceKind.SYSTEM:
        raise Unprocessable("system evidence is captured by the platform, never uploaded", code="invalid_kind")
    stored = await store.save(case.case_id, file.file)
    evidence = Evidence(
        evidence_id=uuid.uuid4().hex[:16],
        case_id=case.case_id,
        kind=kind,
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        media_type=stored.media_type,
        storage_key=stored.storage_key,
        original_name=_display_name(file.filename),
        note=note,
        uploaded_by_role=caller.role,
        uploaded_by_id=caller.id,
    )
    session.add(evidence)
    await session.commit()
    try:
        await add_evidence(client, case, _added(evidence, stored, caller.role))
    except ApiError:
        await _withdraw(session, evidence)
        raise
    return EvidencePublic.of(evidence)


@router.get("")
async def list_evidence(case: VisibleCaseDep, session: SessionDep) -> EvidenceList:
    """The case's evidence, oldest first."""
    return EvidenceList(items=await evidence_of(session, case.case_id))


@router.get("/{evidence_id}", response_class=Response, responses={**FILE_RESPONSE, **documented(500, 503)})
async def download_evidence(
    evidence_id: str, case: VisibleCaseDep, session: SessionDep, store: EvidenceStoreDep
) -> Response:
    """The file, re-hashed on the way out: bytes that no longer match their SHA-256 are never served."""
    return await file_response(await of_case(session, case, evidence_id), store)


async def file_response(evidence: Evidence, store: EvidenceStore, *, inline: bool = False) -> Response:
    """The evidence's bytes, re-hashed; `inline` (an agent's signed link): shown in the browser rather than saved,
    still sandboxed, never cached and never sent on as a referrer."""
    if evidence.content is not None:  # system evidence: its canonical JSON, re-hashed like a file
        data, extension = system_content(evidence), "json"
    else:
        data = await store.read(evidence.storage_key, evidence.sha256)
        extension = evidence.storage_key.rsplit(".", 1)[-1]
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{evidence.evidence_id}.{extension}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "Referrer-Policy": "no-referrer",
        "ETag": f'"{evidence.sha256}"',
    }
    return Response(data, media_type=evidence.media_type, headers=headers)


def system_content(evidence: Evidence) -> bytes:
    body = json.dumps(evidence.content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    data = body.encode()
    if hashlib.sha256(data).hexdigest() != evidence.sha256:
        raise EvidenceCorrupted("the stored system evidence no longer matches its SHA-256; it is not served")
    return data


async def evidence_of(session: AsyncSession, case_id: str) -> list[EvidencePublic]:
    rows = await session.exec(select(Evidence).where(Evidence.case_id == case_id).order_by(col(Evidence.created_at)))
    return [EvidencePublic.of(e) for e in rows.all()]


async def of_case(session: AsyncSession, case: Case, evidence_id: str) -> Evidence:
    """The evidence if it belongs to this (visible) case: another case's id is as unknown as a made-up one."""
    evidence = await session.get(Evidence, evidence_id)
    if evidence is None or evidence.case_id != case.case_id:
        raise NotFound(f"no evidence {shown(evidence_id)} in case {case.case_id}")
    return evidence


def _added(evidence: Evidence, stored: StoredFile, role: Role) -> EvidenceAdded:
    return EvidenceAdded(
        evidence_id=evidence.evidence_id,
        kind=evidence.kind,
        sha256=stored.sha256,
        media_type=stored.media_type,
        size_bytes=stored.size_bytes,
        role=role,
        actor_id=evidence.uploaded_by_id,
        note=evidence.note,
    )


async def _withdraw(session: AsyncSession, evidence: Evidence) -> None:
    """Undoes an upload the timeline did not take: its record only. Its file is content-addressed, so an upload of
    the same bytes may be about to record it; the worker's evidence sweep deletes it once no record has named it for
    AFTERSALES_EVIDENCE_SWEEP_GRACE (activities/evidence_sweep.py)."""
    await session.delete(evidence)
    await session.commit()


def _display_name(filename: str | None) -> str:
    """The client's file name as metadata: control and format characters (NUL, RTL overrides) removed, truncated."""
    cleaned = "".join(ch for ch in filename or "" if unicodedata.category(ch) not in ("Cc", "Cf"))
    return cleaned[:NAME_MAX]
