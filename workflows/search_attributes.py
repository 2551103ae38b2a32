"""The case's custom search attributes: how agents find cases in the Temporal UI and CLI."""

from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

CASE_STATUS = SearchAttributeKey.for_keyword("CaseStatus")
CASE_KIND = SearchAttributeKey.for_keyword("CaseKind")
SHOP_ID = SearchAttributeKey.for_keyword("ShopId")
BUYER_ID = SearchAttributeKey.for_keyword("BuyerId")
ORDER_ID = SearchAttributeKey.for_keyword("OrderId")
AWAITING_PARTY = SearchAttributeKey.for_keyword("AwaitingParty")
DEADLINE_AT = SearchAttributeKey.for_datetime("DeadlineAt")
URGENT = SearchAttributeKey.for_bool("Urgent")
CASE_TITLE = SearchAttributeKey.for_text("CaseTitle")  # one readable line: "急 · 仅退款 ¥59.00 · 等待商家 · 截止 …"
PRIORITY = SearchAttributeKey.for_int("Priority")  # 3 urgent arbitration, 2 urgent, 1 open, 0 closed
AMOUNT_CENTS = SearchAttributeKey.for_int("AmountCents")
RULES_APPLIED = SearchAttributeKey.for_keyword_list("RulesApplied")  # every R-… rule that spoke on the case
ASSIGNED_AGENT = SearchAttributeKey.for_keyword("AssignedAgent")  # set by `reassign`
# The timeline's anchor, kept where a rewrite of the database cannot reach: its last hash and its length.
CHAIN_HEAD = SearchAttributeKey.for_keyword("ChainHead")
CHAIN_LENGTH = SearchAttributeKey.for_int("ChainLength")

ALL = (
    CASE_STATUS,
    CASE_KIND,
    SHOP_ID,
    BUYER_ID,
    ORDER_ID,
    AWAITING_PARTY,
    DEADLINE_AT,
    URGENT,
    CASE_TITLE,
    PRIORITY,
    AMOUNT_CENTS,
    RULES_APPLIED,
    ASSIGNED_AGENT,
    CHAIN_HEAD,
    CHAIN_LENGTH,
)


def at_start(
    *,
    kind: str,
    shop_id: str,
    buyer_id: str,
    order_id: str,
    status: str,
    awaiting: str,
    urgent: bool,
    title: str | None = None,
    amount_cents: int | None = None,
) -> TypedSearchAttributes:
    """What a case carries from its first moment; the workflow keeps status, awaiting, deadline and title current."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(CASE_KIND, kind),
        SearchAttributePair(SHOP_ID, shop_id),
        SearchAttributePair(BUYER_ID, buyer_id),
        SearchAttributePair(ORDER_ID, order_id),
        SearchAttributePair(CASE_STATUS, status),
        SearchAttributePair(AWAITING_PARTY, awaiting),
        SearchAttributePair(URGENT, urgent),
    ]
    if title is not None:
        pairs.append(SearchAttributePair(CASE_TITLE, title))
    if amount_cents is not None:
        pairs.append(SearchAttributePair(AMOUNT_CENTS, amount_cents))
    return TypedSearchAttributes(pairs)
