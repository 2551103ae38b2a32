"""What a support agent sends from the Temporal UI's update dialog: typed commands with plain field names and no
internal fields. Each becomes the agent's `ActionRequest` (role always `agent`), held to the same validators as
the API's; the UI's `agent_id` is recorded as the actor.

Example payloads (the UI's "Send an Update", input as JSON):
  decide            {"agent_id": "agent-1", "outcome": "refund", "rationale": "开线属质量问题"}
  message           {"agent_id": "agent-1", "text": "平台客服已介入,请双方补充证据"}
  request_evidence  {"agent_id": "agent-1", "party": "buyer", "what": "开线处的近照"}
  reassign          {"agent_id": "agent-1", "to_agent_id": "agent-2", "reason": "交给熟悉服装品类的同事"}
  override          {"agent_id": "agent-1", "outcome": "reject", "rationale": "买家提供的照片系网图"}
  cancel            {"agent_id": "agent-1", "reason": "买家来电撤销申请,双方同意"}
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import UpdateMethodMultiParam

from rulebook import commands
from rulebook.enums import Action, Outcome, Party, Role
from workflows.messages import ActionRequest

AGENT_UPDATES = "decide, message, request_evidence, reassign, override or cancel"
DECIDE_HELP = (
    "Agent ruling on a case in arbitration: agent_id, outcome (refund | partial_refund | coupon | reship | reject; "
    "exchange on an exchange or return case), rationale, amount_cents (fen; partial_refund and coupon only) — e.g. "
    '{"agent_id": "agent-1", "outcome": "refund", "rationale": "开线属质量问题"}'
)
MESSAGE_HELP = 'Agent message to both parties: agent_id, text — e.g. {"agent_id": "agent-1", "text": "请双方补充证据"}'
REQUEST_EVIDENCE_HELP = (
    "Ask a party for evidence (the case waits on them): agent_id, party (buyer | merchant), what — e.g. "
    '{"agent_id": "agent-1", "party": "buyer", "what": "开线处的近照"}'
)
REASSIGN_HELP = (
    "Hand the case to another agent: agent_id, to_agent_id, reason — e.g. "
    '{"agent_id": "agent-1", "to_agent_id": "agent-2", "reason": "交给熟悉服装品类的同事"}'
)
CANCEL_HELP = (
    "Close the case as cancelled, saying who and why (both parties are told): agent_id, reason — e.g. "
    '{"agent_id": "agent-1", "reason": "买家来电撤销申请"}'
)
OVERRIDE_HELP = (
    "Override the platform's own decision within the window after it closed the case: agent_id, "
    "outcome (refund | partial_refund | coupon | reject), rationale, amount_cents (partial_refund, coupon) — e.g. "
    '{"agent_id": "agent-1", "outcome": "reject", "rationale": "买家照片系网图"}'
)
# The API's own updates keep their names (running cases replay them by name), and say whose they are.
SERVICE_ONLY = f"SERVICE ONLY — sent by the API, not for agents; agents use {AGENT_UPDATES}."
ACT_HELP = f"{SERVICE_ONLY} A buyer's or merchant's action from the REST API."
ADD_EVIDENCE_HELP = f"{SERVICE_ONLY} An uploaded evidence file, put on the timeline by the API."
OPENED_HELP = f"{SERVICE_ONLY} The API's opening of the case (update-with-start)."
TRACKING_HELP = f"{SERVICE_ONLY} A logistics event of the case's parcel, relayed by the API's feed."

P = ParamSpec("P")
R = TypeVar("R")


def service_update(
    description: str,
) -> Callable[[Callable[P, Awaitable[R]]], UpdateMethodMultiParam[P, R]]:
    """`@workflow.update` with the handler's own name and a description; typed as the bare decorator is (the SDK's
    keyword overload types an async handler's result as its coroutine)."""
    decorate: Any = workflow.update(description=description)
    return decorate  # type: ignore[no-any-return]


@dataclass(frozen=True)
class AgentDecision:
    agent_id: str
    outcome: Outcome
    rationale: str
    amount_cents: int | None = None  # partial refunds only; fen (¥59.00 = 5900)


@dataclass(frozen=True)
class AgentMessage:
    agent_id: str
    text: str


@dataclass(frozen=True)
class EvidenceRequest:
    agent_id: str
    party: Party
    what: str


@dataclass(frozen=True)
class Override:
    agent_id: str
    outcome: Outcome
    rationale: str
    amount_cents: int | None = None  # partial_refund and coupon; fen


@dataclass(frozen=True)
class Reassignment:
    agent_id: str
    to_agent_id: str
    reason: str


@dataclass(frozen=True)
class Cancellation:
    agent_id: str
    reason: str


def cancellation(cancel: Cancellation) -> tuple[str, str]:
    """Who cancels and why, both required; refuses a cancellation that names nobody or gives no reason."""
    agent_id, reason = cancel.agent_id.strip(), cancel.reason.strip()
    if not agent_id or not reason:
        raise ApplicationError("name yourself (agent_id) and say why (reason)", type="invalid_request")
    return agent_id[:64], reason[:500]


def check_decision(ruling: AgentDecision) -> None:
    """The UI's `decide` takes what the REST `decide` takes (`rulebook.commands.AGENT_OUTCOMES`)."""
    if ruling.outcome not in commands.AGENT_OUTCOMES:
        allowed = ", ".join(commands.AGENT_OUTCOMES)
        message = f"An agent cannot decide {ruling.outcome}: the outcome is one of {allowed}."
        raise ApplicationError(message, type="invalid_request", non_retryable=True)


def decision(ruling: AgentDecision) -> ActionRequest:
    return ActionRequest(
        Action.DECIDE,
        Role.AGENT,
        ruling.agent_id,
        outcome=ruling.outcome,
        amount_cents=ruling.amount_cents,
        rationale=ruling.rationale,
    )


def message(said: AgentMessage) -> ActionRequest:
    return ActionRequest(Action.MESSAGE, Role.AGENT, said.agent_id, message=said.text)


def evidence_request_data(request: EvidenceRequest) -> dict[str, str]:
    """The `evidence_requested` event's data; refuses a request to nobody or for nothing."""
    if request.party not in (Party.BUYER, Party.MERCHANT) or not request.what.strip():
        raise ApplicationError("ask the buyer or the merchant for something", type="invalid_request")
    return {"party": request.party, "what": request.what.strip()[:500]}


def evidence_action(request: EvidenceRequest) -> ActionRequest:
    """The UI's request as the API's `request_evidence` command: the same checks and the same wait."""
    return ActionRequest(
        Action.REQUEST_EVIDENCE, Role.AGENT, request.agent_id, message=request.what, evidence_from=request.party
    )


def reassignment_data(handover: Reassignment) -> dict[str, str]:
    """The `reassigned` event's data; refuses a hand-over to nobody or without a reason."""
    if not handover.to_agent_id.strip() or not handover.reason.strip():
        raise ApplicationError("name the agent and say why", type="invalid_request")
    return {"from": handover.agent_id, "to": handover.to_agent_id.strip()[:64], "reason": handover.reason.strip()[:500]}
