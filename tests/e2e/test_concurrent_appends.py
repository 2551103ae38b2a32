"""AUDIT-05 ★ over the live service: fifty requests at once that each append an event to one case — messages from the
buyer, the merchant and an agent, evidence from both parties. They must make one contiguous hash chain that verifies
against the workflow's anchor, and each must be on it once. (The recorder's own races:
tests/activities/test_recording.py.)"""

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from devtools.stack import RunningService
from models.case import Case
from models.timeline import GENESIS
from tests.api.evidence_helpers import png
from tests.e2e.twins import AGENT, Party, open_case, order

pytestmark = pytest.mark.e2e
Sessions = async_sessionmaker[AsyncSession]
MESSAGES, UPLOADS = 40, 10
RETRIES = 12


@dataclass(frozen=True)
class Appended:
    statuses: Counter[int]
    events: list[dict[str, Any]]
    verified: dict[str, Any]
    case: Case


@pytest_asyncio.fixture(scope="module")
async def appended(patient_service: RunningService, sessions: Sessions) -> Appended:
    party = Party.new()
    async with httpx.AsyncClient(base_url=patient_service.base_url, timeout=120) as http:
        case_id = await open_case(http, party, await order(http, party))
        senders = [party.buyer] * 20 + [party.merchant] * 15 + [AGENT] * 5
        messages = [
            answered(http, f"/cases/{case_id}/actions", headers, json={"action": "message", "text": f"第{n}条"})
            for n, headers in enumerate(senders)
        ]
        uploads = [
            answered(
                http,
                f"/cases/{case_id}/evidence",
                headers,
                files={"file": (f"{n}.png", png(), "image/png")},
                data={"kind": "photo", "note": f"第{n}张"},
            )
            for n, headers in enumerate([party.buyer, party.merchant] * (UPLOADS // 2))
        ]
        answers = await asyncio.gather(*messages, *uploads)
        events = (await http.get(f"/cases/{case_id}/timeline", headers=party.buyer)).json()["items"]
        verified = (await http.get(f"/cases/{case_id}/verify", headers=party.buyer)).json()
    async with sessions() as session:
        case = await session.get(Case, case_id)
    assert case is not None
    return Appended(Counter(a.status_code for a in answers), events, verified, case)


async def answered(http: httpx.AsyncClient, path: str, headers: dict[str, str], **body: Any) -> httpx.Response:
    """A POST as a careful client sends it: under its own Idempotency-Key, sent again with that key, backing off,
    while the service answers 503 (Temporal turns away more concurrent updates of one workflow than it allows)."""
    keyed = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    for attempt in range(RETRIES):
        response = await http.post(path, headers=keyed, **body)
        if response.status_code != 503:
            break
        await asyncio.sleep(min(0.25 * 2**attempt, 4.0))
    return response


async def test_fifty_events_appended_at_once_make_one_contiguous_chain(appended: Appended) -> None:
    events = appended.events
    assert appended.statuses == {200: MESSAGES, 201: UPLOADS}
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["prev_hash"] for e in events] == [GENESIS] + [e["hash"] for e in events[:-1]]  # no fork
    assert appended.verified.pop("checkpoint")["events"] == len(events)
    assert appended.verified == {"valid": True, "events": len(events), "anchored": True}
    assert (appended.case.event_count, appended.case.head_hash) == (len(events), events[-1]["hash"])


async def test_each_of_fifty_events_appended_at_once_is_on_the_timeline_once(appended: Appended) -> None:
    texts = Counter(e["data"]["text"] for e in appended.events if e["type"] == "message")
    notes = Counter(e["data"]["note"] for e in appended.events if e["type"] == "evidence_added")
    assert texts == Counter(f"第{n}条" for n in range(MESSAGES))
    assert notes == Counter(f"第{n}张" for n in range(UPLOADS))
