"""What the rule book needs from a party before it can decide, asked for the moment the case opens (product.md §6):

- R-EXPIRED: the buyer's photo of the production and expiry dates (拍清楚保质期和生产日期);
- R-NOT-RECEIVED: the buyer's proof — the pickup code, the locker or collection-point slip. A `not_received` case
  asks for it with the courier's delivery record (`workflows/not_received.py`); any other kind opened for a parcel
  not received asks here.

Each is an `evidence_requested` event on the timeline that tells the buyer; the case keeps waiting on the merchant,
and the buyer's upload is what the rule then decides on (R-EXPIRED refunds on it, R-NOT-RECEIVED counts it as
counter-evidence).
"""

from dataclasses import dataclass

from rulebook.enums import CaseKind, Party, ReasonCode
from rulebook.facts import CaseFacts
from rulebook.rules.common import buyer_photos, evidence_by
from rulebook.rules.goods import EXPIRED
from rulebook.rules.shipment import NOT_RECEIVED

EXPIRY_DATES = "拍清楚保质期和生产日期 / photograph the production and expiry dates clearly"
PICKUP_PROOF = "取件码、快递柜或驿站的签收凭证截图 / the pickup code, or the locker or collection-point slip"


@dataclass(frozen=True)
class Need:
    rule: str
    party: Party
    what: str


def on_open(facts: CaseFacts) -> tuple[Need, ...]:
    needs: list[Need] = []
    if facts.reason == ReasonCode.EXPIRED and not buyer_photos(facts):
        needs.append(Need(EXPIRED, Party.BUYER, EXPIRY_DATES))
    opened_elsewhere = facts.kind != CaseKind.NOT_RECEIVED and facts.reason == ReasonCode.NOT_RECEIVED
    if opened_elsewhere and not evidence_by(facts, Party.BUYER):
        needs.append(Need(NOT_RECEIVED, Party.BUYER, PICKUP_PROOF))
    return tuple(needs)
