"""Evidence an agent opens from the Temporal UI's story: the agent asks for a short-lived link with their token, and
the link opens that one file without one (api/evidence_links.py: signed for the file and the agent, expiring in
minutes; never a bearer token in a URL)."""

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel

from api.deps import EvidenceStoreDep, SessionDep, SettingsDep, VisibleCaseDep
from api.errors import ApiError, NotFound, documented
from api.evidence_links import LinkRefused
from api.routes.agent import AgentDep
from api.routes.evidence import FILE_RESPONSE, file_response, of_case
from models.evidence import Evidence

log = logging.getLogger("api")
router = APIRouter(tags=["agent"])


class EvidenceLink(BaseModel):
    url: str  # absolute: `<API>/evidence-links/<token>`
    expires_at: datetime
    agent_id: str  # whom the link was minted for


@router.post("/agent/cases/{case_id}/evidence/{evidence_id}/link")
async def evidence_link(
    evidence_id: Annotated[str, Path(max_length=64)],
    agent: AgentDep,
    case: VisibleCaseDep,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> EvidenceLink:
    """A link that opens this one evidence file in a browser without a token, for the asking agent, valid for
    `AFTERSALES_EVIDENCE_LINK_TTL` (5 minutes by default). Ask again for a new one; the story in the Temporal UI
    lists each evidence id."""
    evidence = await of_case(session, case, evidence_id)
    token, expires_at = settings.evidence_links().mint(case.case_id, evidence.evidence_id, agent.id, _now())
    url = str(request.url_for("open_evidence_link", link=token))
    return EvidenceLink(url=url, expires_at=expires_at, agent_id=agent.id)


@router.get(
    "/evidence-links/{link}",
    response_class=Response,
    responses={**FILE_RESPONSE, **documented(410, 500, 503)},
)
async def open_evidence_link(
    link: Annotated[str, Path(max_length=2000, description="the signed link an agent was given")],
    session: SessionDep,
    settings: SettingsDep,
    store: EvidenceStoreDep,
) -> Response:
    """The file an agent's link grants, shown in the browser (no token: the link is the grant). A link that was
    altered is 404 `link_invalid`; one past its time 410 `link_expired`."""
    try:
        grant = settings.evidence_links().open(link, _now())
    except LinkRefused as refused:
        if refused.code == "link_expired":
            raise ApiError(refused.message, http_status=410, code=refused.code) from None
        raise NotFound(refused.message, code=refused.code) from None
    evidence = await session.get(Evidence, grant.evidence_id)
    if evidence is None or evidence.case_id != grant.case_id:
        raise NotFound("the evidence of this link is gone", code="link_invalid")
    log.info("agent %s opened evidence %s of case %s by link", grant.agent_id, grant.evidence_id, grant.case_id)
    return await file_response(evidence, store, inline=True)


def _now() -> datetime:
    return datetime.now(UTC)
