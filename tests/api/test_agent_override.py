"""An agent overrides the platform's own decision within its window, with a reason; money already moved stays on
the ledger and a refund taken back is a reversal, a new ledgered move. And an agent hands a case to another."""

from datetime import timedelta

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import WorkflowEnvironment

from rulebook.timers import Timers
from settings import Settings
from tests.api.helpers import AGENT, act, error, open_case, push_order
from tests.builders import add_case, add_order
from tests.workflows.support import start

Sessions = async_sessionmaker[AsyncSession]


async def types(client: AsyncClient, case_id: str, headers: dict[str, str]) -> list[str]:
    timeline = (await client.get(f"/cases/{case_id}/timeline", headers=headers)).json()["items"]
    return [e["type"] for e in timeline]


async def test_an_automated_refund_overridden_to_a_rejection_is_reversed_on_the_ledger(client: AsyncClient) -> None:
    order = await push_order(client, shipped=False)
    case = await open_case(client, order)  # not shipped: the platform refunds at once
    assert (case["status"], case["decision"]["by"]) == ("resolved", "system")

    overridden = await client.post(
        f"/agent/cases/{case['case_id']}/override",
        json={"outcome": "reject", "rationale": "订单已由线下渠道退款"},
        headers=AGENT,
    )

    assert overridden.status_code == 200, overridden.text
    assert (overridden.json()["status"], overridden.json()["decision"]["overrides"]) == ("rejected", "refund")
    assert (await types(client, case["case_id"], order.buyer))[-2:] == ["decision_overridden", "refund_reversed"]
    ledger = (await client.get(f"/orders/{order.order_id}", headers=AGENT)).json()
    moves = sorted((m["kind"], m["status"], m["amount_cents"]) for m in ledger["money_moves"])
    assert moves == [("refund", "succeeded", 9900), ("reversal", "succeeded", 9900)]
    assert (ledger["refunded_cents"], ledger["refundable_cents"]) == (0, 9900)
    again = await client.post(
        f"/agent/cases/{case['case_id']}/override", json={"outcome": "refund", "rationale": "再议"}, headers=AGENT
    )
    assert (again.status_code, error(again)["code"]) == (409, "invalid_state")
    verified = (await client.get(f"/cases/{case['case_id']}/verify", headers=AGENT)).json()
    assert verified["valid"] is True


async def test_an_override_may_add_a_coupon_but_needs_its_amount(client: AsyncClient) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]
    path = f"/agent/cases/{case_id}/override"

    missing = await client.post(path, json={"outcome": "coupon", "rationale": "补偿"}, headers=AGENT)
    coupon = await client.post(
        path, json={"outcome": "coupon", "amount_cents": 500, "rationale": "补偿"}, headers=AGENT
    )

    assert (missing.status_code, error(missing)["code"]) == (422, "invalid_request")
    assert coupon.status_code == 200 and coupon.json()["status"] == "resolved"
    assert (await client.get(f"/orders/{order.order_id}", headers=AGENT)).json()["coupons_cents"] == 500


async def test_only_an_agent_overrides_and_only_what_the_platform_decided(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    await act(client, case_id, order.merchant, action="approve")  # a person decided
    body = {"outcome": "reject", "rationale": "x"}

    by_merchant = await client.post(f"/agent/cases/{case_id}/override", json=body, headers=order.merchant)
    by_agent = await client.post(f"/agent/cases/{case_id}/override", json=body, headers=AGENT)

    assert by_merchant.status_code == 403
    assert (by_agent.status_code, error(by_agent)["code"]) == (409, "invalid_state")


async def test_an_agent_hands_a_case_to_another(client: AsyncClient) -> None:
    order = await push_order(client)
    case_id = (await open_case(client, order))["case_id"]
    await act(client, case_id, order.merchant, action="reject", reason="已超时")
    await act(client, case_id, order.buyer, action="escalate", reason="请平台介入")
    body = {"to_agent_id": "agent-2", "reason": "交给熟悉服装品类的同事"}

    handed = await client.post(f"/agent/cases/{case_id}/reassign", json=body, headers=AGENT)
    by_buyer = await client.post(f"/agent/cases/{case_id}/reassign", json=body, headers=order.buyer)

    assert handed.status_code == 200 and handed.json()["status"] == "in_arbitration"
    assert (await types(client, case_id, order.buyer))[-1] == "reassigned"
    assert by_buyer.status_code == 403


async def test_past_the_window_the_platforms_decision_stands(
    client: AsyncClient, time_skipping_env: WorkflowEnvironment, api_settings: Settings, db: Sessions
) -> None:
    order = await add_order(db, shipped=False)  # the platform refunds it at once
    case = await add_case(db, order, timers=Timers(override=timedelta(hours=2)))
    handle = await start(time_skipping_env, api_settings.task_queue, case)

    await time_skipping_env.sleep(timedelta(hours=3))
    await handle.result()
    late = await client.post(
        f"/agent/cases/{case.case_id}/override", json={"outcome": "reject", "rationale": "太晚了"}, headers=AGENT
    )

    assert (late.status_code, error(late)["code"]) == (409, "invalid_state")


async def test_an_override_the_ledger_cannot_pay_is_refused_before_anything_moves(client: AsyncClient) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order, amount_cents=4000))["case_id"]  # refunded at once
    await open_case(client, order)  # the next request takes the other 5 900: nothing is left on the order
    body = {"outcome": "partial_refund", "amount_cents": 4500, "rationale": "另补偿5元"}

    overridden = await client.post(f"/agent/cases/{case_id}/override", json=body, headers=AGENT)

    assert (overridden.status_code, error(overridden)["code"]) == (422, "invalid_amount"), overridden.text
    assert "500" in error(overridden)["message"]
    assert (await types(client, case_id, order.buyer))[-1] != "decision_overridden"
    ruled = await client.post(f"/agent/cases/{case_id}/override", json={**body, "amount_cents": 3000}, headers=AGENT)
    assert ruled.status_code == 200 and ruled.json()["status"] == "resolved", ruled.text


async def money_moves(client: AsyncClient, order_id: str) -> list[tuple[str, str, int]]:
    ledger = (await client.get(f"/orders/{order_id}", headers=AGENT)).json()
    return sorted((m["kind"], m["status"], m["amount_cents"]) for m in ledger["money_moves"])


async def test_an_override_to_the_amount_already_refunded_moves_nothing(client: AsyncClient) -> None:
    """A partial refund of 4 000 refunded at once, overridden to the same 4 000: no second payment."""
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order, amount_cents=4000))["case_id"]
    body = {"outcome": "partial_refund", "amount_cents": 4000, "rationale": "维持原退款金额"}

    overridden = await client.post(f"/agent/cases/{case_id}/override", json=body, headers=AGENT)

    assert overridden.status_code == 200 and overridden.json()["status"] == "resolved", overridden.text
    assert await money_moves(client, order.order_id) == [("refund", "succeeded", 4000)]
    assert (await types(client, case_id, order.buyer))[-1] == "decision_overridden"


async def test_an_override_to_a_smaller_refund_reverses_the_difference(client: AsyncClient) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]  # 9 900 refunded at once
    body = {"outcome": "partial_refund", "amount_cents": 3000, "rationale": "只退一部分"}

    overridden = await client.post(f"/agent/cases/{case_id}/override", json=body, headers=AGENT)

    assert overridden.status_code == 200 and overridden.json()["status"] == "resolved", overridden.text
    moves = await money_moves(client, order.order_id)
    assert moves == [("refund", "succeeded", 9900), ("reversal", "succeeded", 6900)]
    ledger = (await client.get(f"/orders/{order.order_id}", headers=AGENT)).json()
    assert (ledger["refunded_cents"], ledger["refundable_cents"]) == (3000, 6900)
    assert (await types(client, case_id, order.buyer))[-2:] == ["decision_overridden", "refund_reversed"]


async def test_an_override_coupon_over_the_cap_is_refused_before_anything_moves(client: AsyncClient) -> None:
    order = await push_order(client, shipped=False)
    case_id = (await open_case(client, order))["case_id"]  # refunded at once by the platform
    path = f"/agent/cases/{case_id}/override"

    huge = await client.post(
        path, json={"outcome": "coupon", "amount_cents": 2_147_483_647, "rationale": "补偿"}, headers=AGENT
    )
    over = await client.post(
        path, json={"outcome": "coupon", "amount_cents": 20_001, "rationale": "补偿"}, headers=AGENT
    )
    beyond_schema = await client.post(
        path, json={"outcome": "coupon", "amount_cents": 2_147_483_648, "rationale": "补偿"}, headers=AGENT
    )

    assert (huge.status_code, error(huge)["code"]) == (422, "invalid_amount")
    assert "over the cap of 20000 fen" in error(huge)["message"]
    assert (over.status_code, error(over)["code"]) == (422, "invalid_amount")
    assert beyond_schema.status_code == 422 and set(beyond_schema.json()["error"]) >= {"code", "message"}
    ledger = (await client.get(f"/orders/{order.order_id}", headers=AGENT)).json()
    assert ledger["coupons_cents"] == 0 and [m["kind"] for m in ledger["money_moves"]] == ["refund"]
    assert (await types(client, case_id, order.buyer))[-1] != "decision_overridden"
