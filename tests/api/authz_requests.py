"""How each row of the authorization matrix is asked, and, for a 2xx cell that changes a state, the objects of its
own it runs on (brought to the state its action needs). Every body is new for each call (a tracking number, an
address, a stock level), so a denied write that went through would show in the snapshot."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient, Response

from api.evidence_links import EvidenceLinks
from tests.api.authz_world import (
    RETURN_ADDRESS,
    Objects,
    People,
    fresh_case,
    open_case,
    oversold_case,
    push,
    ship,
    step,
)
from tests.api.evidence_helpers import png
from tests.api.helpers import SECRET, new_id, order_body

PUBLIC_PAGES = ("/health", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
Prepare = Callable[[AsyncClient, People, Objects, str], Awaitable[Objects]]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: dict[str, Any] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    data: dict[str, str] = field(default_factory=dict)

    async def send(self, client: AsyncClient, headers: dict[str, str]) -> Response:
        if self.files is not None:
            return await client.post(self.path, files=self.files, data=self.data, headers=headers)
        return await client.request(self.method, self.path, json=self.json, headers=headers)


@dataclass(frozen=True)
class Row:
    call: Callable[[Objects, People], Call]
    prepare: Prepare | None = None  # None: its 2xx cells leave every state as it was and run on the shared world


def _action(body: Callable[[], dict[str, Any]], target: str = "case_id", prepare: Prepare | None = None) -> Row:
    return Row(lambda o, p: Call("POST", f"/cases/{getattr(o, target)}/actions", body()), prepare)


def _link(o: Objects) -> str:
    """A link the test API signed (its key is derived from the tests' JWT secret) for buyer A's photo."""
    links = EvidenceLinks.configured(None, SECRET, timedelta(minutes=5))
    return links.mint(o.case_id, o.evidence_id, "agent-1", datetime.now(UTC))[0]


# --- objects of a cell's own ----------------------------------------------------------------------------------------


async def _new_order_id(_client: AsyncClient, _people: People, world: Objects, _role: str) -> Objects:
    return replace(world, spare_order_id=new_id("order"))


async def _unshipped_order(client: AsyncClient, people: People, world: Objects, _role: str) -> Objects:
    return replace(world, feed_order_id=await push(client, people, shipped=False, delivered=False))


async def _parcel_in_transit(client: AsyncClient, people: People, world: Objects, _role: str) -> Objects:
    order_id = await push(client, people, shipped=False, delivered=False)
    return replace(world, feed_order_id=order_id, tracking_no=await ship(client, order_id, delivered=False))


async def _new_sku(_client: AsyncClient, _people: People, world: Objects, _role: str) -> Objects:
    return replace(world, sku=new_id("sku"))


async def _closed_by_platform(client: AsyncClient, people: People, world: Objects, _role: str) -> Objects:
    order_id = await push(client, people, shipped=False, delivered=False)
    return replace(world, closed_case_id=await open_case(client, people, order_id))


async def _open(client: AsyncClient, people: People, world: Objects, _role: str) -> Objects:
    return await fresh_case(client, people, world)


async def _in_transit(client: AsyncClient, people: People, world: Objects, _role: str) -> Objects:
    return await fresh_case(client, people, world, delivered=False)


async def _proposed(client: AsyncClient, people: People, world: Objects, _role: str) -> Objects:
    fresh = await fresh_case(client, people, world)
    await step(client, people, fresh.case_id, "shop1", **_propose())
    return fresh


async def _escalable(client: AsyncClient, people: People, world: Objects, role: str) -> Objects:
    """A buyer escalates a rejection; a merchant may escalate its own case at once."""
    fresh = await fresh_case(client, people, world)
    if role == "buyer_a":
        await step(client, people, fresh.case_id, "shop1", **_reject())
    return fresh


async def _exchange(client: AsyncClient, people: People, world: Objects, goods: int) -> Objects:
    """A fresh exchange approved (goods=0), its return shipped (1), its receipt confirmed (2)."""
    fresh = await fresh_case(client, people, world, "exchange")
    await step(client, people, fresh.case_id, "shop1", action="approve", return_address=RETURN_ADDRESS)
    if goods >= 1:
        await step(client, people, fresh.case_id, "buyer_a", **_ship("ship_return"))
    if goods >= 2:
        await step(client, people, fresh.case_id, "shop1", action="confirm_receipt", condition_ok=True)
    return fresh


async def _awaiting_return(client: AsyncClient, people: People, world: Objects, _role: str) -> Objects:
    return await _exchange(client, people, world, 0)


async def _return_sent(client: AsyncClient, people: People, world: Objects, _role: str) -> Objects:
    return await _exchange(client, people, world, 1)


async def _awaiting_replacement(client: AsyncClient, people: People, world: Objects, _role: str) -> Objects:
    return await _exchange(client, people, world, 2)


async def _oversold(client: AsyncClient, people: People, world: Objects, _role: str) -> Objects:
    case_id, sku = await oversold_case(client, people)
    return replace(world, exception_case_id=case_id, sku=sku)


# --- bodies, new for every call --------------------------------------------------------------------------------------


def _propose() -> dict[str, Any]:
    return {"action": "propose", "outcome": "partial_refund", "amount_cents": 2000, "message": "补偿20元"}


def _reject() -> dict[str, Any]:
    return {"action": "reject", "reason": "吊牌已拆"}


def _ship(action: str) -> dict[str, Any]:
    return {"action": action, "carrier": "SF", "tracking_no": new_id("SFR")}


def _draft(people: People) -> dict[str, Any]:
    return order_body(new_id("draft"), people.buyer_a, people.shop1)


def _tracking(o: Objects) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(seconds=uuid.uuid4().int % 3600)
    return {"tracking_no": o.tracking_no, "status": "in_transit", "location": "苏州", "at": at.isoformat()}


def _stock() -> dict[str, Any]:
    warehouse = {"warehouse_id": "w-sh", "location": {"province": "上海", "city": "上海"}}
    return {"warehouses": [{**warehouse, "available": 1 + uuid.uuid4().int % 1000}]}


def _evidence(o: Objects, _people: People) -> Call:
    return Call(
        "POST", f"/cases/{o.case_id}/evidence", files={"file": ("x.png", png(), "image/png")}, data={"kind": "photo"}
    )


ROWS: dict[str, Row] = {
    **{f"GET {page}": Row(lambda o, p, page=page: Call("GET", page)) for page in PUBLIC_PAGES},
    "POST /orders": Row(
        lambda o, p: Call("POST", "/orders", order_body(o.spare_order_id, p.buyer_a, p.shop1)), _new_order_id
    ),
    "POST /orders/{order_id}/shipments": Row(
        lambda o, p: Call(
            "POST", f"/orders/{o.feed_order_id}/shipments", {"carrier": "SF", "tracking_no": new_id("SF")}
        ),
        _unshipped_order,
    ),
    "POST /logistics/events": Row(lambda o, p: Call("POST", "/logistics/events", _tracking(o)), _parcel_in_transit),
    "PUT /inventory/{sku}": Row(lambda o, p: Call("PUT", f"/inventory/{o.sku}", _stock()), _new_sku),
    "POST /orders/check": Row(lambda o, p: Call("POST", "/orders/check", _draft(p))),
    "GET /orders/{order_id}": Row(lambda o, p: Call("GET", f"/orders/{o.order_id}")),
    "GET /orders/{order_id}/verify": Row(lambda o, p: Call("GET", f"/orders/{o.order_id}/verify")),
    "GET /cases": Row(lambda o, p: Call("GET", "/cases")),
    "GET /cases/{case_id}": Row(lambda o, p: Call("GET", f"/cases/{o.case_id}")),
    "GET /cases/{case_id}/evidence": Row(lambda o, p: Call("GET", f"/cases/{o.case_id}/evidence")),
    "GET /cases/{case_id}/evidence/{evidence_id}": Row(
        lambda o, p: Call("GET", f"/cases/{o.case_id}/evidence/{o.evidence_id}")
    ),
    "GET /cases/{case_id}/timeline": Row(lambda o, p: Call("GET", f"/cases/{o.case_id}/timeline")),
    "GET /cases/{case_id}/verify": Row(lambda o, p: Call("GET", f"/cases/{o.case_id}/verify")),
    "GET /cases/{case_id}/decisions": Row(lambda o, p: Call("GET", f"/cases/{o.case_id}/decisions")),
    "GET /cases/{case_id}/facts": Row(lambda o, p: Call("GET", f"/cases/{o.case_id}/facts")),
    "GET /cases/{case_id}/resolutions": Row(lambda o, p: Call("GET", f"/cases/{o.exception_case_id}/resolutions")),
    "GET /notifications": Row(lambda o, p: Call("GET", "/notifications")),
    "GET /shops/{shop_id}/settings": Row(lambda o, p: Call("GET", f"/shops/{p.shop1}/settings")),
    "POST /cases": Row(
        lambda o, p: Call("POST", "/cases", {"order_id": o.feed_order_id, "kind": "refund_only", "reason": "damaged"}),
        _unshipped_order,
    ),
    "POST /cases/{case_id}/evidence": Row(_evidence),  # appends: the case's state stays
    "PUT /shops/{shop_id}/settings": Row(
        lambda o, p: Call("PUT", f"/shops/{p.shop1}/settings", {"return_address": f"{RETURN_ADDRESS} {new_id('dock')}"})
    ),
    "POST /cases/{case_id}/actions approve": _action(lambda: {"action": "approve"}, prepare=_open),
    "POST /cases/{case_id}/actions reject": _action(_reject, prepare=_open),
    "POST /cases/{case_id}/actions propose": _action(_propose, prepare=_open),
    "POST /cases/{case_id}/actions accept_proposal": _action(lambda: {"action": "accept_proposal"}, prepare=_proposed),
    "POST /cases/{case_id}/actions decline_proposal": _action(
        lambda: {"action": "decline_proposal", "message": "不接受"}, prepare=_proposed
    ),
    "POST /cases/{case_id}/actions ship_return": _action(
        lambda: _ship("ship_return"), "exchange_case_id", _awaiting_return
    ),
    "POST /cases/{case_id}/actions confirm_receipt": _action(
        lambda: {"action": "confirm_receipt", "condition_ok": True}, "exchange_case_id", _return_sent
    ),
    "POST /cases/{case_id}/actions ship_replacement": _action(
        lambda: _ship("ship_replacement"), "exchange_case_id", _awaiting_replacement
    ),
    "POST /cases/{case_id}/actions resolve": _action(
        lambda: {"action": "resolve", "resolution": "recommend_similar_refund_difference", "amount_cents": 1000},
        "exception_case_id",
        _oversold,
    ),
    "POST /cases/{case_id}/actions intercept": _action(lambda: {"action": "intercept"}, prepare=_in_transit),
    "POST /cases/{case_id}/actions escalate": _action(
        lambda: {"action": "escalate", "reason": "协商不成"}, prepare=_escalable
    ),
    "POST /cases/{case_id}/actions withdraw": _action(lambda: {"action": "withdraw"}, prepare=_open),
    "POST /cases/{case_id}/actions message": _action(lambda: {"action": "message", "text": "请尽快处理"}),
    "POST /cases/{case_id}/actions decide": _action(
        lambda: {"action": "decide", "outcome": "refund", "rationale": "质量问题"}, prepare=_open
    ),
    "POST /cases/{case_id}/actions extend": _action(
        lambda: {"action": "extend", "duration": "24h", "reason": "等待仓库核实"}, prepare=_open
    ),
    "POST /cases/{case_id}/actions request_evidence": _action(
        lambda: {"action": "request_evidence", "from": "buyer", "what": "拍清楚开线处"}, prepare=_open
    ),
    "GET /agent/queue": Row(lambda o, p: Call("GET", "/agent/queue")),
    "POST /agent/cases/{case_id}/override": Row(
        lambda o, p: Call(
            "POST", f"/agent/cases/{o.closed_case_id}/override", {"outcome": "reject", "rationale": "线下已退"}
        ),
        _closed_by_platform,
    ),
    "POST /agent/cases/{case_id}/evidence/{evidence_id}/link": Row(
        lambda o, p: Call("POST", f"/agent/cases/{o.case_id}/evidence/{o.evidence_id}/link")
    ),
    "GET /evidence-links/{link}": Row(lambda o, p: Call("GET", f"/evidence-links/{_link(o)}")),
    "POST /agent/cases/{case_id}/reassign": Row(  # appends: the case's state stays
        lambda o, p: Call("POST", f"/agent/cases/{o.case_id}/reassign", {"to_agent_id": "agent-2", "reason": "交接"})
    ),
}
