"""A case cancelled from the Temporal UI, as the API's users see it afterwards: closed, out of the merchant's queue,
and the order open to a new request."""

from httpx import AsyncClient
from temporalio.testing import WorkflowEnvironment

from tests.api.helpers import act, case_body, open_case, push_order
from tests.support.polling import eventually


async def test_after_a_cancel_request_the_case_reads_cancelled_and_the_order_takes_a_new_request(
    client: AsyncClient, time_skipping_env: WorkflowEnvironment
) -> None:
    order = await push_order(client)
    case = await open_case(client, order)

    await time_skipping_env.client.get_workflow_handle(case["workflow_id"]).cancel(reason="重复的申请")

    async def read() -> dict[str, object]:
        body: dict[str, object] = (await client.get(f"/cases/{case['case_id']}", headers=order.buyer)).json()
        return body

    closed = await eventually(read, lambda c: c["status"] == "cancelled")
    assert (closed["awaiting"], closed["deadline"]) == (None, None)
    queue = (await client.get("/cases", params={"awaiting": "merchant"}, headers=order.merchant)).json()["items"]
    assert case["case_id"] not in [c["case_id"] for c in queue]
    approve = await act(client, case["case_id"], order.merchant, action="approve")
    assert approve.status_code == 409 and approve.json()["error"]["code"] == "invalid_state"
    timeline = (await client.get(f"/cases/{case['case_id']}/timeline", headers=order.buyer)).json()["items"]
    assert timeline[-1]["type"] == "case_cancelled" and timeline[-1]["data"]["reason"] == "重复的申请"
    assert (await client.get(f"/cases/{case['case_id']}/verify", headers=order.buyer)).json()["valid"] is True
    told = (await client.get("/notifications", headers=order.merchant)).json()["items"]
    assert "重复的申请" in told[-1]["text"]

    again = await client.post("/cases", json=case_body(order), headers=order.buyer)
    assert again.status_code == 201, again.text
