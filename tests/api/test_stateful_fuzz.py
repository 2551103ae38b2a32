"""Stateful schema fuzzing (FUZZ-02): schemathesis follows the OpenAPI document's links — an order is posted,
shipped and tracked, a case is opened on it, read, given evidence and acted on — with generated data at every step.

Each scenario starts from a posted order (fresh ids, its lines made to add up, so the chain gets past the order). Every
request is signed as someone who may see the object (the order's buyer, the shop's merchant, an agent, the
integration for the feeds) or, now and then, as a stranger, who must never get anything but a refusal.
Every answer must be documented, conform to its schema, never be a 5xx; what was just created must be there
(`ensure_resource_availability`; `use_after_free` runs too, though no operation deletes); a 2xx is refused without a
valid token; and each case's hash chain verifies throughout.
"""

import asyncio
import contextlib
import random
import uuid
from collections import Counter
from typing import Any
from urllib.parse import unquote

import schemathesis
from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from hypothesis.stateful import initialize, rule
from schemathesis import Case, GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.generation.stateful.state_machine import APIStateMachine, StepInput, StepOutput
from schemathesis.specs.openapi.checks import ensure_resource_availability, ignored_auth, positive_data_acceptance
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.schemas.orders import MAX_CENTS
from rulebook.enums import Role
from tests.api.helpers import auth
from tests.support.schemathesis_httpx import send

RUNS, STEPS = 5, 15
RUN = settings(
    max_examples=3,
    stateful_step_count=STEPS,
    deadline=None,
    database=None,
    phases=[Phase.generate],  # bounded: a failure is reported as found, with its curl, not shrunk for minutes
    suppress_health_check=list(HealthCheck),
)
STRANGER_SHARE = 0.15
# Never a 2xx, nor a 409 that would tell what state the case is in; 403 only as any case of that role gets it.
REFUSED_TO_STRANGERS = {400, 403, 404, 413, 422}
SYSTEM_PATHS = ("/orders", "/logistics", "/inventory")
OWN_ROLE_SHARE = 0.8  # an action is mostly sent by the party it belongs to, else by another (who must be refused)
SENT_BY = {
    **dict.fromkeys(
        ["approve", "reject", "propose", "extend", "intercept", "confirm_receipt", "ship_replacement", "resolve"],
        Role.MERCHANT,
    ),
    **dict.fromkeys(["accept_proposal", "decline_proposal", "ship_return", "withdraw", "escalate"], Role.BUYER),
    **dict.fromkeys(["decide", "request_evidence", "message"], Role.AGENT),
}
# Business rules the JSON schema cannot say (an amount past what is left, a parcel number taken) are 4xx by design;
# schemathesis' own probe of ignored auth would re-send outside the in-process client, so that probe is ours below.
UNCHECKED = [positive_data_acceptance, ignored_auth]


def test_linked_calls_never_fail_the_schema_lose_what_was_created_or_leak_to_strangers(
    session_loop: asyncio.AbstractEventLoop, app: FastAPI, client: AsyncClient, time_skipping_env: WorkflowEnvironment
) -> None:
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.config.phases.stateful.inference.algorithms = []  # the document's own links, not guessed ones
    schema.config.phases.stateful.generation.modes = [GenerationMode.POSITIVE]  # deep chains; FUZZ-01/03 go negative
    machine = schema.as_state_machine()
    posting = schema["/orders"]["POST"]

    tally: Counter[str] = Counter()

    class Flow(CaseFlow, machine):  # type: ignore[misc, valid-type]
        loop, http, temporal, seen = session_loop, client, time_skipping_env.client, tally
        # No chain starts from made-up case ids: they are FUZZ-01's (and strangers' requests test them here).
        RANDOM__POST_cases = RANDOM__POST_cases_case_id_evidence = None

        @initialize(target=machine.bundles["POST /orders -> 201"], case=posting.as_strategy())
        def post_an_order(self, case: Case) -> StepOutput:
            """Every scenario starts where the real flow does: the integration posts an order."""
            step = StepInput.initial(case)
            self.recorder.record_case(case=case)
            self.control.record_step(step, self.recorder)  # counted, so each link from it is followed a few times
            return self._step(step)

    # Each Hypothesis run starts with its simplest scenario, then draws freely. The service keeps what a scenario
    # did, so a run replaying a choice sequence against it may meet other answers ("flaky data generation"): runs
    # of three scenarios, and a run that stops so is simply followed by the next, as schemathesis' own runner does.
    for _ in range(RUNS):
        with contextlib.suppress(FlakyStrategyDefinition):
            Flow.run(settings=RUN)
    case_calls = {call for call in tally if "{case_id}" in call and call.endswith(" 200")}
    assert tally["POST /cases 201"] and len(case_calls) >= 3, f"the chains stopped short: {tally}"


class CaseFlow(APIStateMachine):
    loop: asyncio.AbstractEventLoop
    http: AsyncClient
    temporal: Client
    seen: Counter[str]

    def setup(self) -> None:
        self.orders: dict[str, tuple[str, str]] = {}  # order_id → (buyer_id, shop_id)
        self.cases: dict[str, tuple[str, str]] = {}  # case_id → (buyer_id, shop_id)
        self.stranger = False

    def before_call(self, case: Case) -> None:
        for name in [h for h in case.headers or {} if h.lower() == "idempotency-key"]:
            case.headers[name] = uuid.uuid4().hex  # a key drawn again in a later scenario must not replay its answer
        if isinstance(case.body, dict | list):
            case.body = _plain(case.body)
        if case.path == "/orders" and isinstance(case.body, dict):
            _lines_add_up(case.body)
            _fresh(case.body, "order_id", "buyer_id")
        if case.path == "/orders/{order_id}/shipments" and isinstance(case.body, dict):
            _fresh(case.body, "tracking_no")

    def call(self, case: Case, **kwargs: Any) -> Response:
        signed = self._signature(case, random.Random(case.id))
        response = self.loop.run_until_complete(send(self.http, case, signed))
        response.request.read()  # a multipart body is a stream until read
        return Response.from_httpx(response, verify=False)

    def after_call(self, response: Response, case: Case) -> None:
        super().after_call(response, case)
        self.seen[f"{case.method.upper()} {case.path} {response.status_code}"] += 1
        if response.status_code != 201 or not isinstance(body := response.json(), dict):
            return
        if case.path == "/orders":
            self.orders[body["order_id"]] = (body["buyer_id"], body["shop_id"])
        elif case.path == "/cases":
            self.cases[body["case_id"]] = (body["buyer_id"], body["shop_id"])

    def validate_response(self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any) -> None:
        excluded = list(UNCHECKED)
        if self.stranger:
            assert response.status_code in REFUSED_TO_STRANGERS, (case.path, response.status_code, response.text)
            excluded.append(ensure_resource_availability)  # a stranger is told "not found" on purpose
        case.validate_response(response, excluded_checks=excluded, recorder=self.recorder)
        if response.status_code < 300 and not _negative(case):
            unsigned = self.loop.run_until_complete(send(self.http, case, {"Authorization": "Bearer not-a-token"}))
            assert unsigned.status_code == 401, (case.path, unsigned.status_code, unsigned.text)

    @rule()
    def every_chain_verifies(self) -> None:
        """Always possible, so a scenario whose links are spent goes on; each case's hash chain still verifies."""
        for case_id, (buyer_id, _) in self.cases.items():
            verified = self.loop.run_until_complete(
                self.http.get(f"/cases/{case_id}/verify", headers=auth(Role.BUYER, buyer_id))
            )
            assert verified.json()["valid"] is True, verified.text

    def teardown(self) -> None:
        """The chains verify; the run's cases are test material and end, so later skipped time does not wake them."""
        self.seen["scenarios"] += 1
        self.every_chain_verifies()
        for case_id in self.cases:
            self.loop.run_until_complete(self._end(case_id))

    async def _end(self, case_id: str) -> None:
        with contextlib.suppress(RPCError):  # closed already
            await self.temporal.get_workflow_handle(f"case-{case_id}").terminate("the fuzz run is over")

    def _signature(self, case: Case, pick: random.Random) -> dict[str, str]:
        """Who sends this request: the integration for the feeds, else a party of the object (or a stranger)."""
        self.stranger = False
        if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
            return {k: v for k, v in (case.headers or {}).items() if k.lower() == "authorization"}  # as generated
        if case.method.upper() != "GET" and case.path.startswith(SYSTEM_PATHS):
            return auth(Role.SYSTEM, "order-feed")
        parties = self._parties(case)
        if parties is None:
            return auth(Role.BUYER, "fuzz-buyer")
        buyer_id, shop_id = parties
        if pick.random() < STRANGER_SHARE:
            self.stranger = True
            return pick.choice([auth(Role.BUYER, f"not-{buyer_id}"), auth(Role.MERCHANT, "clerk", f"not-{shop_id}")])
        if case.path == "/cases":
            return auth(Role.BUYER, buyer_id)
        signed = {
            Role.BUYER: auth(Role.BUYER, buyer_id),
            Role.MERCHANT: auth(Role.MERCHANT, f"clerk-of-{shop_id}", shop_id),
            Role.AGENT: auth(Role.AGENT, "agent-fuzz"),
        }
        action = case.body.get("action") if isinstance(case.body, dict) else None
        if action in SENT_BY and pick.random() < OWN_ROLE_SHARE:
            return signed[SENT_BY[action]]
        return pick.choice(list(signed.values()))

    def _parties(self, case: Case) -> tuple[str, str] | None:
        path = {name: unquote(str(value)) for name, value in (case.path_parameters or {}).items()}  # sent quoted
        if "case_id" in path:
            return self.cases.get(path["case_id"])
        if "order_id" in path:
            return self.orders.get(path["order_id"])
        if case.path == "/cases" and isinstance(case.body, dict):
            return self.orders.get(str(case.body.get("order_id")))
        return None


def _plain(value: Any) -> Any:
    """JSON without what the API refuses by design beyond the schema's words, so chains go deep: NUL characters
    (422 `invalid_characters`; FUZZ-01 sends them) and integers spelled as floats (`3.0`: amounts are strict ints)."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _fresh(body: dict[str, Any], *fields: str) -> None:
    """Ids of this scenario's own, however small the values drawn: what an earlier scenario stored (an order, a
    parcel number, a buyer's count of withdrawals) must not change the answers, or Hypothesis sees "flaky" data."""
    for field in fields:
        if isinstance(body.get(field), str):
            body[field] = f"{body[field][:40]}-{uuid.uuid4().hex[:12]}"


def _lines_add_up(order: dict[str, Any]) -> None:
    """A generated order's total made the sum of its lines, so the business check does not stop every chain."""
    items = order.get("items")
    if not isinstance(items, list) or not items or not all(_priced(i) for i in items):
        return
    if not 1 <= sum(i["unit_price_cents"] * i["quantity"] for i in items) <= MAX_CENTS:
        items[1:] = []
        items[0] |= {"quantity": 1, "unit_price_cents": min(max(items[0]["unit_price_cents"], 100), MAX_CENTS)}
    order["total_cents"] = sum(i["unit_price_cents"] * i["quantity"] for i in items)


def _priced(item: object) -> bool:
    return isinstance(item, dict) and all(type(item.get(f)) is int for f in ("unit_price_cents", "quantity"))


def _negative(case: Case) -> bool:
    return case.meta is not None and any(c.mode.is_negative for c in case.meta.components.values())
