"""The facts activity gathers what the rule book decides on, from the database."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.testing import ActivityEnvironment

from activities.facts import FactsActivities, listing_policy
from models.db import transaction
from models.timeline import CaseEvent
from models.types import utcnow
from rulebook.enums import Claim, Party, ShipmentState
from rulebook.facts import DeliveryRecord, Statement
from tests.builders import add_case, add_order

Sessions = async_sessionmaker[AsyncSession]


async def test_facts_carry_the_order_shipment_what_the_parties_said_and_the_delivery_record(sessions: Sessions) -> None:
    order = await add_order(sessions, total_cents=12900)
    case = await add_case(sessions, order, amount_cents=5000)
    said = [
        ("courier_delivery_record", "system", {"reference": "dr-1", "photo_ref": None}),
        ("message", "buyer", {"text": "孩子等着玩"}),
        ("merchant_rejected", "merchant", {"reason": "吊牌已拆", "claims": [Claim.WORN, Claim.TAGS_REMOVED]}),
        ("courier_delivery_record", "system", {"reference": "dr-2", "photo_ref": "p-2"}),
    ]
    async with transaction(sessions) as session:
        for seq, (type_, role, data) in enumerate(said, start=1):
            at = utcnow()
            session.add(
                CaseEvent(
                    case_id=case.case_id,
                    seq=seq,
                    type=type_,
                    actor_role=role,
                    actor_id="x",
                    at=at,
                    data=data,
                    prev_hash="",
                    hash="",
                )
            )

    facts = await ActivityEnvironment().run(FactsActivities(sessions).load_case_facts, case)

    assert (facts.paid_cents, facts.amount_cents, facts.refunded_cents) == (12900, 5000, 0)
    assert facts.shipment == ShipmentState.DELIVERED and facts.delivered_at is not None
    assert facts.statements == (
        Statement(Party.BUYER, "message", "孩子等着玩"),
        Statement(Party.MERCHANT, Claim.WORN, "吊牌已拆"),
        Statement(Party.MERCHANT, Claim.TAGS_REMOVED, "吊牌已拆"),
    )
    assert facts.delivery_record == DeliveryRecord("dr-2", "p-2")  # the latest the case fetched
    assert facts.thresholds == case.thresholds and facts.timers == case.timers


async def test_an_order_without_a_shipment_is_not_shipped(sessions: Sessions) -> None:
    case = await add_case(sessions, await add_order(sessions, shipped=False))
    facts = await ActivityEnvironment().run(FactsActivities(sessions).load_case_facts, case)
    assert (facts.shipment, facts.delivered_at, facts.tracking) == (ShipmentState.NOT_SHIPPED, None, ())


def test_the_listing_policy_is_that_of_the_items_the_case_names_or_of_every_item() -> None:
    tee = {
        "sku": "tee",
        "category": "apparel",
        "listing": {"after_sales_policy": {"washable": True}, "description": "T恤"},
    }
    fish = {
        "sku": "fish",
        "category": "fresh",
        "listing": {"after_sales_policy": {"perishable": True, "seven_day_return": False}, "description": "鲜鱼"},
    }
    items = [fish, tee]

    named = listing_policy(items, [{"sku": "tee", "quantity": 1}])
    assert (named.perishable, named.seven_day_return, named.category, named.description) == (
        False,
        True,
        "apparel",
        "T恤",
    )
    every = listing_policy(items, None)
    assert (every.perishable, every.seven_day_return, every.description) == (True, False, "鲜鱼 / T恤")
    assert listing_policy(items, [{"sku": "unknown", "quantity": 1}]) == every  # nothing named matches: all items
