"""Every decision a test session made re-derives: at the end of the session, each stored decision packet that a
decision event on a case's chain names is re-checked with the rule book at hand (`rulebook.recheck`), as a buyer,
a merchant or an auditor would re-check it. Rows a test wrote by hand (no decision event names them) are left out."""

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.decision_packet import DecisionPacketRow
from models.timeline import CaseEvent
from rulebook.recheck import SAME, recheck

DECISION_EVENTS = ("decision_made", "decision_overridden")


async def packets_that_do_not_recheck(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, list[str]]:
    """How many packets the session's decisions named, and what each that did not re-derive as `same` said."""
    async with sessions() as session:
        decisions = await session.exec(select(CaseEvent).where(col(CaseEvent.type).in_(DECISION_EVENTS)))
        named = {(e.case_id, e.data["packet_sha256"]) for e in decisions.all() if e.data.get("packet_sha256")}
        rows = (await session.exec(select(DecisionPacketRow))).all()
    failures = []
    checked = 0
    for row in rows:
        if (row.case_id, row.sha256) not in named:
            continue
        checked += 1
        verdict = recheck(row.packet(), row.sha256)
        if verdict.code != SAME:
            failures.append(f"case {row.case_id} event {row.seq}: " + " / ".join(verdict.lines))
    return checked, failures
