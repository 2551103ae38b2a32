"""`GET /cases/{id}/resolutions`: the §7 menu of an order exception, ranked by how each option fared before.

Exception cases are opened by the system, not through `POST /cases`, so these tests write them (and the history
of closed ones) straight into the database; the endpoint reads nothing else.
"""

import uuid
from typing import Any

from httpx import AsyncClient

from models.case import Case, open_key
from models.timeline import GENESIS, CaseEvent
from models.types import utcnow
from rulebook.enums import CaseKind, CaseStatus, ExceptionKind, Resolution, Role
from rulebook.ranking import rank
from tests.api.evidence_helpers import Sessions
from tests.api.helpers import AGENT, SYSTEM, OrderRef, auth, error, new_id, open_case, order_body, push_order

Events = list[tuple[str, dict[str, Any]]]


async def _case(
    db: Sessions,
    order: OrderRef,
    status: CaseStatus,
    events: Events | None = None,
    *,
    kind: CaseKind = CaseKind.LOGISTICS_STALLED,
    urgent: bool = False,
) -> str:
    case_id = uuid.uuid4().hex[:16]
    async with db() as session, session.begin():
        session.add(
            Case(
                case_id=case_id,
                kind=kind,
                status=status,
                order_id=order.order_id,
                buyer_id=order.buyer_id,
                shop_id=order.shop_id,
                amount_cents=500,
                reason="other",
                urgent=urgent,
                open_key=None if status.is_final else open_key(order.order_id, kind),
                workflow_id=f"case-{case_id}",
            )
        )
        await session.flush()
        for seq, (event_type, data) in enumerate(events or [], start=1):
            session.add(
                CaseEvent(
                    case_id=case_id,
                    seq=seq,
                    type=event_type,
                    actor_role="system",
                    actor_id="platform",
                    at=utcnow(),
                    data=data,
                    prev_hash=GENESIS,
                    hash=GENESIS,
                )
            )
    return case_id


def _decided(**data: Any) -> tuple[str, dict[str, Any]]:
    return ("decision_made", {"outcome": "coupon", **data})


async def _menu(client: AsyncClient, case_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"/cases/{case_id}/resolutions", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _perishable_order(client: AsyncClient) -> OrderRef:
    order = OrderRef(new_id("order"), new_id("buyer"), new_id("shop"), 9900, None)
    body = order_body(order.order_id, order.buyer_id, order.shop_id)
    body["items"][0]["listing"]["after_sales_policy"]["perishable"] = True
    assert (await client.post("/orders", json=body, headers=SYSTEM)).status_code == 201
    return order


async def test_the_menu_is_ranked_by_success_without_escalation_with_sample_sizes(
    client: AsyncClient, db: Sessions
) -> None:
    order, past = await push_order(client), await push_order(client)
    current = await _case(db, order, CaseStatus.AWAITING_MERCHANT)
    before = {i["resolution"]: i for i in (await _menu(client, current, order.merchant))["items"]}
    late, urge = Resolution.LATE_DELIVERY_COMPENSATION, Resolution.URGE_COURIER_COUPON
    for _ in range(3):  # chosen by merchants: 3 of 3 closed resolved
        await _case(db, past, CaseStatus.RESOLVED, [_decided(resolution=late)])
    for _ in range(3):  # executed by R-STALL: resolved
        await _case(db, past, CaseStatus.RESOLVED, [_decided(resolutions=[urge])])
    await _case(db, past, CaseStatus.RESOLVED, [("escalated", {}), _decided(resolutions=[urge])])  # not a success
    await _case(db, past, CaseStatus.REJECTED, [_decided(resolution=urge)])  # not a success
    await _case(db, past, CaseStatus.WITHDRAWN, [("withdrawn", {})])  # no resolution: not counted
    await _case(db, past, CaseStatus.RESOLVED, [_decided(resolution="teleport")])  # not on any menu: not counted
    await _case(db, past, CaseStatus.AWAITING_MERCHANT, [_decided(resolution=urge)])  # still open: not counted
    await _case(db, past, CaseStatus.RESOLVED, [_decided(resolution=late)], kind=CaseKind.MISSED_SHIPMENT)

    menu = await _menu(client, current, order.merchant)

    assert (menu["case_id"], menu["exception_kind"], menu["urgent"]) == (current, "logistics_slow", False)
    after = {i["resolution"]: i for i in menu["items"]}
    assert set(after) == {late, urge}
    assert after[late]["sample_size"] - before[late]["sample_size"] == 3
    assert after[urge]["sample_size"] - before[urge]["sample_size"] == 5
    history = {
        (ExceptionKind.LOGISTICS_SLOW, r): (
            round((b["success_rate"] or 0) * b["sample_size"]) + s,
            b["sample_size"] + n,
        )
        for r, b, s, n in ((late, before[late], 3, 3), (urge, before[urge], 3, 5))
    }
    expected = rank(ExceptionKind.LOGISTICS_SLOW, history)
    assert menu["items"] == [
        {"resolution": r.resolution, "success_rate": r.success_rate, "sample_size": r.sample_size} for r in expected
    ]


async def test_an_urgent_case_gets_the_fast_fixes_first_and_a_perishable_stall_its_own_menu(
    client: AsyncClient, db: Sessions
) -> None:
    order, fresh = await push_order(client), await _perishable_order(client)
    missed = await _case(db, order, CaseStatus.AWAITING_MERCHANT, kind=CaseKind.MISSED_SHIPMENT, urgent=True)
    stalled = await _case(db, fresh, CaseStatus.AWAITING_MERCHANT)

    urgent = await _menu(client, missed, AGENT)
    disrupted = await _menu(client, stalled, AGENT)

    assert (urgent["exception_kind"], urgent["urgent"]) == ("missed_item", True)
    assert [i["resolution"] for i in urgent["items"]] == [
        "same_day_local_reship",
        "emergency_transfer",
        "reship_missing_with_coupon",
    ]
    assert disrupted["exception_kind"] == "perishable_route_disrupted"
    assert [i["resolution"] for i in disrupted["items"]] == ["faster_transport"]


async def test_an_after_sales_request_has_no_menu(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]

    menu = await _menu(client, case_id, order.merchant)

    assert (menu["exception_kind"], menu["items"]) == (None, [])


async def test_only_the_shop_and_agents_see_the_menu(client: AsyncClient, db: Sessions) -> None:
    order = await push_order(client)
    case_id = await _case(db, order, CaseStatus.AWAITING_MERCHANT)
    other_shop = auth(Role.MERCHANT, "clerk", shop_id=new_id("shop"))

    for headers, status in ((order.buyer, 403), (SYSTEM, 403), (other_shop, 404)):
        response = await client.get(f"/cases/{case_id}/resolutions", headers=headers)
        assert response.status_code == status and error(response)["code"] in ("forbidden", "not_found")
    assert len((await _menu(client, case_id, AGENT))["items"]) == 2
