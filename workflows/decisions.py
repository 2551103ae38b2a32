"""A decision carried out: whoever made it (the rule book, a merchant's answer, an accepted proposal, an agent), what
it says happens next is done before the case closes, and the case closes only once it has happened.

| the decision | carried out by | then |
| --- | --- | --- |
| `to_agent` | – | in_arbitration, T-AGENT |
| `reship` | `remedies.reship` | the case follows the new parcel |
| an unshipped refund, a parcel in transit | `remedies.cancel_fulfilment`, `remedies.intercept` | refund / parcel back |
| a return or an exchange granted | `returns.GoodsJourney.grant` (address, exchange stock first) | the goods' journey |
| R-STALL's coupon | `remedies.parcel_remedy(URGE)` first | the coupon |
| refund, partial refund, coupon | `money.MoneyFlow.pay` | closed, or an agent when the ledger fell short |
"""

import dataclasses

from temporalio import workflow

from rulebook import returns, transitions
from rulebook.decisions import Decision
from rulebook.enums import CaseKind, CaseStatus, Outcome, Resolution, Role, ShipmentStep
from rulebook.facts import CaseFacts
from workflows.messages import PLATFORM_ID, EventDraft
from workflows.money import MONEY_KINDS, MoneyFlow
from workflows.remedies import RemedyFlows
from workflows.remedy_messages import RemedyAction
from workflows.returns import GoodsJourney
from workflows.steps import CaseSteps

RESHIP_PATCH = "reship-carried-out"  # before it, a decided reshipment closed the case with nothing shipped
STALL_URGE_PATCH = "stall-urges-courier"  # before it, R-STALL paid its coupon and nobody urged the courier
EXCHANGE_STOCK_PATCH = "exchange-stock-checked"  # before it, an exchange asked for the goods back unchecked
SHIPMENT_STEP_PATCH = "shipment-step-carried-out"  # before it, a cancel or an interception was a label only
RETURN_ADDRESS_PATCH = "return-goes-somewhere"  # before it, a return granted without an address said "to null"


def standing(decision: Decision, by: Role) -> dict[str, object]:
    """The decision as the case row and the API show it."""
    return {
        "outcome": decision.outcome,
        "amount_cents": decision.amount_cents,
        "by": by,
        "rules": list(decision.rules),
        "rationale": decision.rationale_zh,
        "rationale_en": decision.rationale_en,
    }


@dataclasses.dataclass(frozen=True)
class Basis:
    """What a decision was made on, for its packet: the facts, and the rule book's entry point a platform's decision
    was asked through (`rulebook.packets.ON_OPEN`, `ON_MERCHANT_TIMEOUT`); None for a person's decision."""

    facts: CaseFacts
    entry_point: str | None = None


class DecisionFlow:
    def __init__(self, steps: CaseSteps, money: MoneyFlow, remedies: RemedyFlows, goods: GoodsJourney) -> None:
        self._steps = steps
        self._money = money
        self._remedies = remedies
        self._goods = goods

    def made(self, decision: Decision, by: Role, actor_id: str, packet_sha256: str | None = None) -> EventDraft:
        data: dict[str, object] = {**dataclasses.asdict(decision), "by": by}
        if packet_sha256 is not None:
            data["packet_sha256"] = packet_sha256
        return self._steps.event("decision_made", by, actor_id, data)

    async def packet(self, decision: Decision, by: Role, actor_id: str, basis: Basis | None) -> str | None:
        """The decision's packet (its SHA-256): a platform's from the facts it was made on; a person's with the facts
        loaded once, at the decision (`steps.PACKETS_PATCH`), unless the caller has them."""
        steps = self._steps
        if basis is not None and basis.entry_point is not None:
            return steps.rules_packet(basis.facts, decision, basis.entry_point)
        if by == Role.SYSTEM:
            return None  # no decision of the platform's comes without its facts
        return await steps.person_packet(decision, by, actor_id, facts=basis.facts if basis else None)

    async def person_basis(self) -> Basis | None:
        """A person's decision's facts, loaded once at the decision, before the caller drafts its events."""
        facts = await self._steps.person_facts()
        return Basis(facts) if facts is not None else None

    async def apply(
        self,
        decision: Decision,
        by: Role,
        before: list[EventDraft] | None = None,
        actor_id: str = PLATFORM_ID,
        basis: Basis | None = None,
    ) -> None:
        """`basis`: the facts the platform's rules decided on (and through which entry point), or the facts a
        person's decision was made on when the caller has them already."""
        steps, patched = self._steps, workflow.patched
        packet_sha256 = await self.packet(decision, by, actor_id, basis)
        events = [*(before or []), self.made(decision, by, actor_id, packet_sha256)]
        if decision.outcome == Outcome.TO_AGENT:
            steps.wait_on(CaseStatus.IN_ARBITRATION, steps.case.timers.agent)
            await steps.record(*events)
            return
        steps.at.decision = standing(decision, by)
        if decision.outcome == Outcome.RESHIP and patched(RESHIP_PATCH):
            await self._remedies.reship(events, fastest=steps.at.urgent)
            return
        if decision.shipment_step is not None and patched(SHIPMENT_STEP_PATCH):
            if decision.shipment_step == ShipmentStep.INTERCEPT_PARCEL:
                await self._remedies.intercept(decision.amount_cents, events)
                return
            if not await self._remedies.cancel_fulfilment(events):
                return
        goods_step = returns.after_grant(steps.case.kind, decision.outcome, self._goods.goods.stage)
        if goods_step is not None:
            asks_goods_back = goods_step.status == CaseStatus.AWAITING_RETURN_SHIPMENT
            if (
                asks_goods_back
                and not self._goods.goods.return_address
                and patched(RETURN_ADDRESS_PATCH)
                and not await self._shop_return_address(events)
            ):
                return
            if (
                decision.outcome == Outcome.EXCHANGE
                and asks_goods_back
                and patched(EXCHANGE_STOCK_PATCH)
                and not await self._remedies.replacement_in_stock(events)
            ):
                return
            await self._goods.grant(decision, goods_step, events)
            return
        if (
            Resolution.URGE_COURIER_COUPON in decision.resolutions
            and steps.case.kind == CaseKind.LOGISTICS_STALLED
            and patched(STALL_URGE_PATCH)
            and not await self._remedies.parcel_remedy(RemedyAction.URGE, events)
        ):
            return  # R-STALL: the courier is urged before the coupon; refused for good → an agent
        if decision.outcome in MONEY_KINDS and decision.amount_cents > 0:
            may_cap = decision.outcome != Outcome.PARTIAL_REFUND  # a named partial amount is paid whole or not at all
            if not await self._money.pay(MONEY_KINDS[decision.outcome], decision.amount_cents, may_cap, events):
                return
        steps.close(transitions.status_after(decision.outcome))
        events.append(steps.system("case_closed", {"status": steps.status}))
        await steps.record(*events)

    async def _shop_return_address(self, events: list[EventDraft]) -> bool:
        """A return granted without an address (R-TIMEOUT, an agent, an accepted proposal) goes to the shop's default;
        with none the buyer is not told to ship to nowhere: an agent takes the case with the reason."""
        steps = self._steps
        address = (await steps.facts()).shop_return_address
        if address:
            self._goods.goods.return_address = address
            return True
        steps.at.decision = None
        steps.wait_on(CaseStatus.IN_ARBITRATION, steps.case.timers.agent)
        data = {"reason": "the shop has no default return address", "deadline": steps.deadline_iso()}
        events.append(steps.system("return_address_missing", data))
        await steps.record(*events)
        return False
