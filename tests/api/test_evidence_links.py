"""An agent opens an evidence file from the Temporal UI: a link signed for that one file and that agent, expiring
within minutes, with no token in it (api/evidence_links.py)."""

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient

from api.evidence_links import EvidenceLinks, LinkRefused
from rulebook.enums import Role
from tests.api.evidence_helpers import png, upload
from tests.api.helpers import AGENT, SECRET, auth, error, open_case, push_order

LINKS = EvidenceLinks.configured(None, SECRET, timedelta(minutes=5))  # the test API's: derived from its JWT secret


async def _photo(client: AsyncClient) -> tuple[str, str, bytes]:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    content = png()
    evidence_id = (await upload(client, case_id, order.buyer, content)).json()["evidence_id"]
    return case_id, evidence_id, content


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def test_an_agent_gets_a_five_minute_link_that_opens_the_file_without_a_token(client: AsyncClient) -> None:
    case_id, evidence_id, content = await _photo(client)
    before = datetime.now(UTC)

    asked = await client.post(f"/agent/cases/{case_id}/evidence/{evidence_id}/link", headers=AGENT)

    assert asked.status_code == 200, asked.text
    link = asked.json()
    assert link["agent_id"] == "agent-1" and "/evidence-links/" in link["url"]
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert before + timedelta(minutes=4) < expires_at <= before + timedelta(minutes=5, seconds=1)
    token = link["url"].split("/evidence-links/")[1]
    assert token.count(".") == 1 and AGENT["Authorization"].split()[1] not in link["url"]  # not the agent's JWT
    opened = await client.get(_path(link["url"]))  # no Authorization header
    assert opened.status_code == 200
    assert hashlib.sha256(opened.content).hexdigest() == hashlib.sha256(content).hexdigest()
    assert opened.headers["content-disposition"].startswith("inline;")
    assert opened.headers["cache-control"] == "private, no-store"
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert opened.headers["x-content-type-options"] == "nosniff"


async def test_only_an_agent_asks_and_only_for_evidence_of_that_case(client: AsyncClient) -> None:
    case_id, evidence_id, _ = await _photo(client)
    other_case, _, _ = await _photo(client)

    buyer = auth(Role.BUYER, "someone")
    assert (await client.post(f"/agent/cases/{case_id}/evidence/{evidence_id}/link", headers=buyer)).status_code == 403
    assert (await client.post(f"/agent/cases/{case_id}/evidence/{evidence_id}/link")).status_code == 401
    elsewhere = await client.post(f"/agent/cases/{other_case}/evidence/{evidence_id}/link", headers=AGENT)
    assert elsewhere.status_code == 404


async def test_an_expired_link_is_410_and_an_altered_one_404(client: AsyncClient) -> None:
    case_id, evidence_id, _ = await _photo(client)
    _, other_evidence, _ = await _photo(client)

    expired, _ = LINKS.mint(case_id, evidence_id, "agent-1", datetime.now(UTC) - timedelta(minutes=6))
    answer = await client.get(f"/evidence-links/{expired}")
    assert answer.status_code == 410 and error(answer)["code"] == "link_expired"

    token, _ = LINKS.mint(case_id, evidence_id, "agent-1", datetime.now(UTC))
    payload, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for changed in ({"e": other_evidence}, {"x": claims["x"] + 3600}, {"a": "agent-2"}):
        forged = base64.urlsafe_b64encode(json.dumps({**claims, **changed}).encode()).rstrip(b"=").decode()
        answer = await client.get(f"/evidence-links/{forged}.{mac}")
        assert answer.status_code == 404 and error(answer)["code"] == "link_invalid", changed
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    for bad in (f"{payload}.{flipped}", payload, "x", f"{payload}.{mac}.{mac}"):
        answer = await client.get(f"/evidence-links/{bad}")
        assert answer.status_code == 404 and error(answer)["code"] == "link_invalid", bad
    other_key = EvidenceLinks.configured(None, "another-secret-of-at-least-32-bytes!", timedelta(minutes=5))
    foreign, _ = other_key.mint(case_id, evidence_id, "agent-1", datetime.now(UTC))
    assert (await client.get(f"/evidence-links/{foreign}")).status_code == 404
    assert (await client.get(f"/evidence-links/{token}")).status_code == 200


def test_links_live_minutes_and_rotate_with_their_keys() -> None:
    with pytest.raises(ValueError):
        EvidenceLinks.configured(None, SECRET, timedelta(hours=1))
    old = base64.b64encode(b"o" * 32).decode()
    new = base64.b64encode(b"n" * 32).decode()
    before = EvidenceLinks.configured(f"old:{old}", SECRET, timedelta(minutes=5))
    after = EvidenceLinks.configured(f"new:{new},old:{old}", SECRET, timedelta(minutes=5))
    now = datetime.now(UTC)
    token, _ = before.mint("c", "e", "agent-1", now)
    assert after.open(token, now).agent_id == "agent-1"  # the old key still verifies
    with pytest.raises(LinkRefused):
        EvidenceLinks.configured(f"new:{new}", SECRET, timedelta(minutes=5)).open(token, now)
    with pytest.raises(LinkRefused, match="expired"):
        after.open(token, now + timedelta(minutes=5))
