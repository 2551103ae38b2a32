"""The one place that says which rule is asked first when several apply.

Facts about the parcel come before the state of the goods, the specific before the general, and the seven-day
no-reason return last of all (it needs no evidence, so any rule that looks at evidence speaks before it):

1. R-SHIPPED-REFUND-ONLY  not shipped → refund at once; in transit → intercept and refund; delivered → negotiate
2. R-NOT-RECEIVED         tracking says delivered, the buyer says not
3. R-STALL                shipment stalled → urge the courier, coupon to the buyer
4. R-SMALL                small damage with photos → partial refund at once
5. R-EXPIRED              expired on arrival, photo of the date → refund
6. R-WASH                 faded after one wash → the listing's washing note decides
7. R-WORN                 the merchant says used → policy vs evidence, a defect wins over use
8. R-NOT-AS-DESCRIBED     differs from the listing snapshot, buyer photos → merchant makes it right
9. R-7D                   seven-day no-reason return

The first rule that returns a `Decision` decides; the `Finding`s of the rules asked before it travel with a
`to_agent` decision. R-URGENT is not in the list: it flags whatever is decided (see `rulebook.rules.urgent`).
R-TIMEOUT wraps the whole list (see `rulebook.decide.on_merchant_timeout`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from rulebook.decisions import Decision
from rulebook.facts import CaseFacts
from rulebook.rules import goods, seven_day, shipment
from rulebook.rules.common import Finding, Verdict


@dataclass(frozen=True)
class Rule:
    id: str
    check: Callable[[CaseFacts], Verdict]
    at_once: bool = False  # may decide when the case opens, without waiting on the merchant


PRECEDENCE: tuple[Rule, ...] = (
    Rule(shipment.REFUND_ONLY, shipment.not_shipped, at_once=True),
    Rule(shipment.REFUND_ONLY, shipment.shipped),
    Rule(shipment.NOT_RECEIVED, shipment.not_received),
    Rule(shipment.STALL, shipment.stall),
    Rule(goods.SMALL, goods.small, at_once=True),
    Rule(goods.EXPIRED, goods.expired),
    Rule(goods.WASH, goods.wash),
    Rule(goods.WORN, goods.worn),
    Rule(goods.NOT_AS_DESCRIBED, goods.not_as_described),
    Rule(seven_day.RULE, seven_day.seven_day_return),
)

# Every rule id of product.md §6, in the spec's order.
RULE_IDS: tuple[str, ...] = (
    "R-TIMEOUT",
    "R-7D",
    "R-NOT-AS-DESCRIBED",
    "R-SHIPPED-REFUND-ONLY",
    "R-NOT-RECEIVED",
    "R-WORN",
    "R-WASH",
    "R-EXPIRED",
    "R-SMALL",
    "R-URGENT",
    "R-STALL",
)

PRECEDENCE_IDS: tuple[str, ...] = tuple(dict.fromkeys(rule.id for rule in PRECEDENCE))
AT_ONCE: tuple[Rule, ...] = tuple(rule for rule in PRECEDENCE if rule.at_once)


@dataclass(frozen=True)
class Evaluation:
    decision: Decision | None
    findings: tuple[Finding, ...] = ()


def evaluate(facts: CaseFacts, rules: tuple[Rule, ...] = PRECEDENCE) -> Evaluation:
    """Ask `rules` in order: the first decision wins, with the findings gathered before it."""
    findings: list[Finding] = []
    for rule in rules:
        verdict = rule.check(facts)
        if isinstance(verdict, Decision):
            return Evaluation(verdict, tuple(findings))
        if isinstance(verdict, Finding):
            findings.append(verdict)
    return Evaluation(None, tuple(findings))
