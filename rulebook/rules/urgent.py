"""R-URGENT: the buyer says the need is urgent (a child waiting for a gift).

The case is flagged urgent (raised in every queue), and the fastest fix — local stock, same-day reship, an emergency
transfer — is offered before the slower standard one. Urgent is what the buyer ticked (`facts.urgent`) or what their
own words say (`URGENT_WORDS` in the description or in a buyer's statement).
"""

from dataclasses import dataclass, replace

from rulebook.decisions import Decision
from rulebook.enums import Outcome, Party, ReasonCode, Resolution
from rulebook.facts import CaseFacts

RULE = "R-URGENT"

URGENT_WORDS = ("急", "等着", "urgent", "asap", "as soon as possible", "waiting for")
FAST = (Resolution.SAME_DAY_LOCAL_RESHIP, Resolution.EMERGENCY_TRANSFER, Resolution.FASTER_TRANSPORT)
GOODS_OUTCOMES = frozenset({Outcome.RESHIP, Outcome.EXCHANGE})


@dataclass(frozen=True)
class Urgency:
    urgent: bool
    rules: tuple[str, ...] = ()
    resolutions: tuple[Resolution, ...] = ()  # the fixes to offer, fastest first


def _says_urgent(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in URGENT_WORDS)


def is_urgent(facts: CaseFacts) -> bool:
    buyer_words = (s.text for s in facts.statements if s.by == Party.BUYER)
    return facts.urgent or _says_urgent(facts.description) or any(_says_urgent(t) for t in buyer_words)


def fastest_first(facts: CaseFacts) -> tuple[Resolution, ...]:
    """The fixes for goods the buyer is waiting on: local same-day stock, then a transfer, then the standard reship."""
    standard = Resolution.RESHIP_PAY_SHIPPING
    if facts.reason == ReasonCode.MISSING_ITEM:
        standard = Resolution.RESHIP_MISSING_WITH_COUPON
    return (Resolution.SAME_DAY_LOCAL_RESHIP, Resolution.EMERGENCY_TRANSFER, standard)


def urgency(facts: CaseFacts) -> Urgency:
    """R-URGENT on its own: whether to flag the case, and which fixes to offer first."""
    if not is_urgent(facts):
        return Urgency(False)
    return Urgency(True, (RULE,), fastest_first(facts))


def flagged(decision: Decision, facts: CaseFacts) -> Decision:
    """`decision` with R-URGENT applied: flagged, and for goods still to send, the fastest fixes first."""
    if not is_urgent(facts):
        return decision
    offers = fastest_first(facts) if decision.outcome in GOODS_OUTCOMES else decision.resolutions
    rules = decision.rules if RULE in decision.rules else (*decision.rules, RULE)
    return replace(decision, urgent=True, rules=rules, resolutions=offers)
