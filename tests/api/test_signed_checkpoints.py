"""The chain checked against signed checkpoints (product.md §8; issue "A record no one can rewrite", findings 1 and 2):
an event forged past the head with the head moved, a truncated or rewritten chain are caught by the newest checkpoint
whose signature verifies — with Temporal's record of the case out of reach too; a checkpoint row with a signature that
fails is never trusted and is itself reported; without any witness the chain is unverified (`valid: null`), never
valid; a checkpoint signed with an earlier key verifies while that key is listed."""

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import delete, update
from sqlmodel import col, select
from temporalio.client import Client

from api.app import create_app
from models.case import Case
from models.checkpoint import CaseCheckpoint, CheckpointKeys
from models.timeline import CaseEvent, canonical, chain_hash
from models.types import utcnow
from settings import Settings
from tests.api.helpers import open_case, push_order
from tests.api.test_timeline import CLOSED_AT_ONCE, Sessions, rewrite, verified
from tests.support.tamper import unguarded
from workflows.payloads import data_converter

DEAD = "127.0.0.1:1"  # nothing listens on port 1: the case's workflow cannot be asked for its anchor
NEW_KEY = "new:" + base64.b64encode(b"the-next-checkpoint-key-of-at-least-32-bytes").decode()
FORGED_REFUND = ("refund_executed", {"amount_cents": 500000, "reference": "psp-forged-1"})
FORGED_MESSAGE = ("message", {"text": "商家已同意全额退款"})


@asynccontextmanager
async def service(settings: Settings, temporal: Client) -> AsyncIterator[AsyncClient]:
    """Another API process on the same database: other settings, or a Temporal client that reaches nothing."""
    app: FastAPI = create_app(settings, temporal_client=temporal)
    transport = ASGITransport(app=app)
    async with app.router.lifespan_context(app), AsyncClient(transport=transport, base_url="http://other") as http:
        yield http


@asynccontextmanager
async def unanchored(settings: Settings) -> AsyncIterator[AsyncClient]:
    """The API with the worker and Temporal out of reach (finding 2: the anchor cannot be asked)."""
    async with service(settings, await Client.connect(DEAD, lazy=True, data_converter=data_converter)) as http:
        yield http


async def closed_case(client: AsyncClient) -> tuple[str, dict[str, str]]:
    order = await push_order(client, shipped=False)
    return (await open_case(client, order))["case_id"], order.buyer


async def forge_past_the_head(sessions: Sessions, case_id: str, kind: str, data: dict[str, Any]) -> int:
    """Finding 1, as the service's own role may: INSERT event n+1 chained correctly after the head, and UPDATE the
    head on the case to it. Answers the forged event's seq."""
    async with sessions() as session, session.begin():
        case = await session.get(Case, case_id)
        assert case is not None
        seq, at = case.event_count + 1, utcnow()
        digest = chain_hash(case.head_hash, canonical(case_id, seq, kind, "system", "platform", at, data))
        session.add(
            CaseEvent(
                case_id=case_id, seq=seq, type=kind, actor_role="system", actor_id="platform", at=at, data=data,
                prev_hash=case.head_hash, hash=digest,
            )
        )  # fmt: skip
        await session.exec(update(Case).where(col(Case.case_id) == case_id).values(head_hash=digest, event_count=seq))
    return seq


async def checkpoints(sessions: Sessions, case_id: str) -> list[CaseCheckpoint]:
    async with sessions() as session:
        query = select(CaseCheckpoint).where(CaseCheckpoint.case_id == case_id).order_by(col(CaseCheckpoint.id))
        return list((await session.exec(query)).all())


async def test_every_step_of_a_case_leaves_a_signed_checkpoint_of_its_head(
    client: AsyncClient, db: Sessions, api_settings: Settings
) -> None:
    case_id, _ = await closed_case(client)

    stored = await checkpoints(db, case_id)
    async with db() as session:
        case = await session.get(Case, case_id)
    assert case is not None and stored
    assert (stored[-1].event_count, stored[-1].head_hash, stored[-1].kid) == (5, case.head_hash, "test")
    assert [c.event_count for c in stored] == sorted({c.event_count for c in stored})  # one per step, in order
    assert all(api_settings.checkpoint_keyring().check(c) == "valid" for c in stored)


async def test_a_forged_refund_appended_past_the_head_with_the_head_moved_is_caught(
    client: AsyncClient, db: Sessions
) -> None:
    """Finding 1: the anchor knows five events and never noticed a sixth; the checkpoint covers exactly five."""
    case_id, buyer = await closed_case(client)
    seq = await forge_past_the_head(db, case_id, *FORGED_REFUND)

    answer = await verified(client, case_id, buyer)

    assert answer == {
        "valid": False,
        "events": 6,
        "broken_at": seq,
        "finding": "appended",
        "reason": "appended",
        "anchored": True,
        "checkpoint": {"events": 5, "kid": "test"},
    }


async def test_a_forged_message_appended_past_the_head_is_caught_with_temporal_out_of_reach(
    client: AsyncClient, db: Sessions, api_settings: Settings
) -> None:
    case_id, buyer = await closed_case(client)
    await forge_past_the_head(db, case_id, *FORGED_MESSAGE)

    async with unanchored(api_settings) as down:
        answer = await verified(down, case_id, buyer)

    assert (answer["valid"], answer["finding"], answer["broken_at"], answer["anchored"]) == (
        False,
        "appended",
        6,
        False,
    )


async def test_a_truncated_chain_with_its_head_moved_back_is_caught_by_the_checkpoint_alone(
    client: AsyncClient, owner_sessions: Sessions, api_settings: Settings
) -> None:
    case_id, buyer = await closed_case(client)
    async with unguarded(owner_sessions) as session:
        await rewrite(session, case_id, keep=3, change={})

    async with unanchored(api_settings) as down:
        answer = await verified(down, case_id, buyer)

    assert answer == {
        "valid": False,
        "events": 3,
        "broken_at": 4,
        "finding": "truncated",
        "reason": "truncated",
        "anchored": False,
        "checkpoint": {"events": 5, "kid": "test"},
    }


async def test_a_fully_rewritten_chain_with_temporal_out_of_reach_is_not_valid(
    client: AsyncClient, owner_sessions: Sessions, api_settings: Settings
) -> None:
    """Finding 2: with the worker stopped, a chain recomputed from genesis answered valid after 5 s."""
    case_id, buyer = await closed_case(client)
    refund_seq = CLOSED_AT_ONCE.index("refund_executed") + 1
    async with unguarded(owner_sessions) as session:
        await rewrite(session, case_id, keep=5, change={refund_seq: {"amount_cents": 500000}})

    async with unanchored(api_settings) as down:
        answer = await verified(down, case_id, buyer)

    assert (answer["valid"], answer["finding"], answer["anchored"]) == (False, "rewritten", False)
    assert 1 <= answer["broken_at"] <= refund_seq  # after the last checkpoint that still holds
    assert answer["checkpoint"] == {"events": 5, "kid": "test"}


async def test_a_checkpoint_whose_signature_fails_is_not_trusted_and_is_reported(
    client: AsyncClient, db: Sessions
) -> None:
    """The service role may INSERT checkpoints: one claiming the forged head, with a made-up signature under the
    real key's name, is passed over (the chain is checked against the newest genuine one) and named."""
    case_id, buyer = await closed_case(client)
    seq = await forge_past_the_head(db, case_id, *FORGED_REFUND)
    async with db() as session, session.begin():
        case = await session.get(Case, case_id)
        assert case is not None
        session.add(
            CaseCheckpoint(
                case_id=case_id, event_count=seq, head_hash=case.head_hash, at=utcnow(), kid="test",
                signature="0" * 64,
            )
        )  # fmt: skip
        attackers_own = CheckpointKeys.parse("test2:" + base64.b64encode(b"x" * 32).decode())
        session.add(attackers_own.sign(case_id, seq, case.head_hash, utcnow()))  # a key the service does not list

    answer = await verified(client, case_id, buyer)

    assert answer == {
        "valid": False,
        "events": 6,
        "broken_at": seq,
        "finding": "appended",
        "reason": "appended",
        "anchored": True,
        "checkpoint": {"events": 5, "kid": "test"},
        "forged_checkpoints": [seq],
    }


async def test_a_forged_checkpoint_beside_an_intact_chain_makes_it_invalid(client: AsyncClient, db: Sessions) -> None:
    case_id, buyer = await closed_case(client)
    async with db() as session, session.begin():
        session.add(
            CaseCheckpoint(
                case_id=case_id, event_count=2, head_hash="f" * 64, at=utcnow(), kid="test", signature="e" * 64
            )
        )

    answer = await verified(client, case_id, buyer)

    assert (answer["valid"], answer["finding"], answer["forged_checkpoints"]) == (False, "forged_checkpoint", [2])


async def test_without_a_checkpoint_or_an_anchor_the_chain_is_unverified_never_valid(
    client: AsyncClient, owner_sessions: Sessions, api_settings: Settings
) -> None:
    case_id, buyer = await closed_case(client)
    async with unguarded(owner_sessions) as session:  # as a case stored before checkpoints were signed
        await session.exec(delete(CaseCheckpoint).where(col(CaseCheckpoint.case_id) == case_id))

    async with unanchored(api_settings) as down:
        answer = await verified(down, case_id, buyer)

    assert answer["valid"] is None and "valid" in answer
    assert (answer["events"], answer["finding"], answer["anchored"]) == (5, "unwitnessed", False)
    assert "unverified" in answer["reason"] and "checkpoint" not in answer


async def test_events_past_the_anchor_of_a_case_without_checkpoints_are_unverified(
    client: AsyncClient, db: Sessions, owner_sessions: Sessions
) -> None:
    """A case stored before checkpoints: the anchor vouches for its five events, nothing for a sixth."""
    case_id, buyer = await closed_case(client)
    async with unguarded(owner_sessions) as session:
        await session.exec(delete(CaseCheckpoint).where(col(CaseCheckpoint.case_id) == case_id))
    await forge_past_the_head(db, case_id, *FORGED_REFUND)

    answer = await verified(client, case_id, buyer)

    assert (answer["valid"], answer["finding"], answer["broken_at"], answer["anchored"]) == (
        None,
        "unwitnessed",
        6,
        True,
    )


async def test_a_checkpoint_signed_with_an_earlier_key_verifies_while_that_key_is_listed(
    client: AsyncClient, api_settings: Settings
) -> None:
    """Rotation: the new key first (it signs from now on), the earlier one after it (its checkpoints still verify);
    once the earlier key is no longer listed, what it signed is unverifiable — not forged, not trusted."""
    case_id, buyer = await closed_case(client)  # signed with `test`
    old = api_settings.checkpoint_keys
    assert old is not None
    rotated = api_settings.model_copy(update={"checkpoint_keys": SecretStr(f"{NEW_KEY},{old.get_secret_value()}")})
    retired = api_settings.model_copy(update={"checkpoint_keys": SecretStr(NEW_KEY)})

    async with unanchored(rotated) as during:
        while_listed = await verified(during, case_id, buyer)
    async with unanchored(retired) as after:
        once_removed = await verified(after, case_id, buyer)

    assert while_listed == {"valid": True, "events": 5, "anchored": False, "checkpoint": {"events": 5, "kid": "test"}}
    assert (once_removed["valid"], once_removed["finding"], "forged_checkpoints" in once_removed) == (
        None,
        "unwitnessed",
        False,
    )


def test_the_first_key_signs_and_every_listed_key_verifies() -> None:
    old = CheckpointKeys.parse("old:" + base64.b64encode(b"o" * 32).decode())
    both = CheckpointKeys.parse(NEW_KEY + ",old:" + base64.b64encode(b"o" * 32).decode())
    at = utcnow()

    signed_before, signed_after = old.sign("c-1", 3, "a" * 64, at), both.sign("c-1", 4, "b" * 64, at + timedelta(1))

    assert (signed_before.kid, signed_after.kid) == ("old", "new")
    assert (both.check(signed_before), both.check(signed_after), old.check(signed_after)) == (
        "valid",
        "valid",
        "unknown_key",
    )
    moved = signed_before.model_copy(update={"event_count": 4})
    assert both.check(moved) == "forged"
