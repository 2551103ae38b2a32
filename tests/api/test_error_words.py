"""Every refusal reads as words a person understands: no Python reprs, no internal codes, no ISO times."""

import itertools
import re

from pydantic import TypeAdapter, ValidationError

from api.errors import readable
from api.schemas.actions import Propose
from rulebook.enums import Action, CaseKind, CaseStatus, Role
from rulebook.transitions import TransitionRefused, check

NOT_WORDS = [
    re.compile(r"<[A-Za-z]+\.[A-Z_]+: "),  # an enum's repr
    re.compile(r"(?<!')\b[a-z]+(?:_[a-z]+)+\b(?!')"),  # a snake_case code outside the quotes of an allowed value
    re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"),  # an ISO time
    re.compile(r"\ba [aeiou]"),  # "a agent"
]


def words(message: str) -> bool:
    return not any(pattern.search(message) for pattern in NOT_WORDS)


def test_every_refusal_of_the_action_table_reads_as_a_sentence() -> None:
    refusals = set()
    for kind, status, action, role in itertools.product(CaseKind, CaseStatus, Action, Role):
        for pending, irreversible in ((False, False), (False, True)):
            try:
                check(kind, status, action, role, pending, irreversible)
            except TransitionRefused as refused:
                refusals.add(refused.message)
    assert refusals
    unreadable = sorted(message for message in refusals if not words(message) or not message[0].isupper())
    assert not unreadable, unreadable[:5]
    assert "An agent cannot withdraw on a refund-only case" in refusals


def test_a_bad_value_names_the_values_allowed_not_their_python_reprs() -> None:
    body = {"action": "propose", "outcome": "refund", "amount_cents": 100}
    try:
        TypeAdapter(Propose).validate_python(body)
    except ValidationError as invalid:
        raw = next(str(e["msg"]) for e in invalid.errors() if e["loc"][-1] == "outcome")
    assert "<Outcome." in raw  # what pydantic says
    assert readable(raw).startswith("Input should be 'partial_refund', 'exchange'") and words(readable(raw))
