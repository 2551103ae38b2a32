"""Twenty identical requests at once with one Idempotency-Key against the live service, and the checks every such
burst must pass (reliability.md IDEM-04): none gets a 5xx, one is answered and the others get its stored answer
or 409 `idempotency_in_flight`, and the key answers the same again afterwards."""

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.auth import issue_token
from tests.api.helpers import order_body
from tests.e2e.conftest import JWT_SECRET

TWINS = 20


def token(role: str, sub: str, shop_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, sub=sub, role=role, shop_id=shop_id)}"}


SYSTEM = token("system", "order-feed")
AGENT = token("agent", "agent-1")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Party:
    """A buyer and a shop of their own, so no burst meets another test's rows."""

    buyer_id: str
    shop_id: str

    @classmethod
    def new(cls) -> "Party":
        return cls(new_id("buyer"), new_id("shop"))

    @property
    def buyer(self) -> dict[str, str]:
        return token("buyer", self.buyer_id)

    @property
    def merchant(self) -> dict[str, str]:
        return token("merchant", f"clerk-{self.shop_id}", self.shop_id)


async def burst(
    http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], **request: Any
) -> httpx.Response:
    """Sends the same request TWINS times at once under one new key; the answer they share."""
    keyed = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    answers = await asyncio.gather(*(http.request(method, path, headers=keyed, **request) for _ in range(TWINS)))
    statuses = Counter(a.status_code for a in answers)
    assert all(status < 500 for status in statuses), f"{method} {path}: {statuses} {_texts(answers)}"
    answered = [a for a in answers if a.status_code != 409 or a.json()["error"]["code"] != "idempotency_in_flight"]
    assert answered and answered[0].is_success, f"{method} {path}: {statuses} {_texts(answers)}"
    assert {(a.status_code, a.content) for a in answered} == {(answered[0].status_code, answered[0].content)}
    again = await http.request(method, path, headers=keyed, **request)
    assert (again.status_code, again.content) == (answered[0].status_code, answered[0].content)
    assert again.headers.get("idempotent-replayed") == "true"
    return answered[0]


async def burst_unkeyed(
    http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], **request: Any
) -> list[httpx.Response]:
    """The same request TWINS times at once, for a PUT (no key: the same body twice is the same state)."""
    answers = await asyncio.gather(*(http.request(method, path, headers=headers, **request) for _ in range(TWINS)))
    assert [a.status_code for a in answers] == [200] * TWINS, _texts(answers)
    return list(answers)


def _texts(answers: list[httpx.Response]) -> list[str]:
    return sorted({a.text[:200] for a in answers if not a.is_success})


async def order(http: httpx.AsyncClient, party: Party, *, sku: str = "tee-1", shipped: bool = True) -> str:
    """An order of the party's; shipped and delivered unless `shipped` is False."""
    order_id = new_id("order")
    body = order_body(order_id, party.buyer_id, party.shop_id)
    body["items"][0]["sku"] = sku
    if not shipped:
        body["ship_by"] = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert (await http.post("/orders", json=body, headers=SYSTEM)).status_code == 201
    if shipped:
        tracking_no = new_id("SF")
        parcel = {"carrier": "SF", "tracking_no": tracking_no}
        assert (await http.post(f"/orders/{order_id}/shipments", json=parcel, headers=SYSTEM)).status_code == 201
        await tracking(http, tracking_no, "delivered")
    return order_id


async def tracking(http: httpx.AsyncClient, tracking_no: str, status: str) -> None:
    event = {"tracking_no": tracking_no, "status": status, "location": "上海", "at": datetime.now(UTC).isoformat()}
    assert (await http.post("/logistics/events", json=event, headers=SYSTEM)).status_code == 202


async def open_case(http: httpx.AsyncClient, party: Party, order_id: str, kind: str = "refund_only") -> str:
    body = {"order_id": order_id, "kind": kind, "reason": "quality_defect", "description": "开线"}
    opened = await http.post("/cases", json=body, headers=party.buyer)
    assert opened.status_code == 201, opened.text
    case_id: str = opened.json()["case_id"]
    return case_id


async def event_types(http: httpx.AsyncClient, case_id: str) -> Counter[str]:
    timeline = await http.get(f"/cases/{case_id}/timeline", headers=AGENT)
    return Counter(e["type"] for e in timeline.json()["items"])
