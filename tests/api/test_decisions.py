"""`GET /cases/{id}/decisions`: each decision with the packet anyone can re-check, the one the chain names; and
`GET /cases/{id}/facts` previewing with the case's own settings."""

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from api.app import create_app
from rulebook import packets
from rulebook.enums import Role
from settings import Settings
from tests.api.helpers import AGENT, act, auth, open_case, push_order
from tests.api.test_facts import _shipped_with_tracking

ROOT = Path(__file__).resolve().parents[2]


def recheck_cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rulebook.recheck", str(path), *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)


async def decisions(client: AsyncClient, case_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(f"/cases/{case_id}/decisions", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_refund_at_once_has_one_packet_its_parties_see_the_chain_names_and_the_recheck_finds_same(
    client: AsyncClient, tmp_path: Path
) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]

    [item] = await decisions(client, case_id, order.buyer)
    assert await decisions(client, case_id, order.merchant) == [item] == await decisions(client, case_id, AGENT)
    stranger = await client.get(f"/cases/{case_id}/decisions", headers=auth(Role.BUYER, "someone-else"))
    assert stranger.status_code == 404
    assert (item["by"], item["outcome"], item["amount_cents"]) == ("system", "refund", 9900)
    assert packets.sha256(item["packet"]) == item["packet_sha256"]
    timeline = (await client.get(f"/cases/{case_id}/timeline", headers=order.buyer)).json()["items"]
    [made] = [e for e in timeline if e["type"] == "decision_made"]
    assert (made["seq"], made["data"]["packet_sha256"]) == (item["seq"], item["packet_sha256"])
    assert (await client.get(f"/cases/{case_id}/verify", headers=order.buyer)).json()["valid"] is True
    assert "13800000000" not in json.dumps(item, ensure_ascii=False)  # nothing of the buyer's address

    saved = tmp_path / "decision.json"
    saved.write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    same = recheck_cli(saved)
    assert (same.returncode, same.stdout.strip()) == (0, "same"), same.stderr

    edited = json.loads(json.dumps(item))
    edited["packet"]["facts"]["shipment"] = "delivered"  # the order "was" delivered: nothing at once
    saved.write_text(json.dumps(edited), encoding="utf-8")
    refused = recheck_cli(saved)
    assert refused.returncode == 2 and refused.stdout.startswith("refused: the packet's SHA-256 is")

    alone = tmp_path / f"{item['packet_sha256']}.json"  # a packet alone, claimed by its file's name
    alone.write_text(json.dumps(edited["packet"]), encoding="utf-8")
    assert recheck_cli(alone).returncode == 2
    alone.write_text(json.dumps(item["packet"]), encoding="utf-8")
    assert recheck_cli(alone).returncode == 0


async def test_a_merchants_approval_shows_what_the_rules_recommended_beside_it(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    assert await decisions(client, case_id, order.buyer) == []
    assert (await act(client, case_id, order.merchant, action="approve")).status_code == 200

    [item] = await decisions(client, case_id, order.merchant)
    packet = item["packet"]
    assert (item["by"], packet["decided_by"], packet["entry_point"]) == ("merchant", "person", packets.RECOMMEND)
    assert packet["by"] == {"role": "merchant", "actor_id": f"clerk-of-{order.shop_id}"}
    assert packet["recommended"]["outcome"] in {"to_agent", "refund"}


async def test_facts_preview_with_the_settings_the_case_opened_with(
    app: FastAPI, api_settings: Settings, client: AsyncClient
) -> None:
    """A parcel quiet for 10 hours is not stalled under the case's T-STALL (72 h), whatever today's says (1 h)."""
    order = await _shipped_with_tracking(client, 12, 10)
    case_id = (await open_case(client, order))["case_id"]
    timeline = (await client.get(f"/cases/{case_id}/timeline", headers=order.buyer)).json()["items"]
    assert timeline[0]["data"]["settings"]["timers"]["stall"] == 72 * 3600

    today = api_settings.model_copy(update={"t_stall": timedelta(hours=1)})
    later = create_app(today, temporal_client=app.state.services.temporal)
    async with later.router.lifespan_context(later):
        transport = ASGITransport(app=later, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://test") as other:
            facts = (await other.get(f"/cases/{case_id}/facts", headers=order.merchant)).json()
    assert [t["stalled"] for t in facts["tracking"]] == [False, False]
