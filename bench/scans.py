"""The exception scan at scale: `python -m bench.scans [--orders 100000] [--events-per-parcel 5] [--period 20s]`.

Seeds a migrated database (SQLite in a temporary directory, or `--database-url`) with N orders, one outbound parcel
for nearly all of them and 5 tracking events each (500 000 for 100 000 orders), mostly delivered; among them a
backlog already due (stalled parcels, missed shipments), orders refunded in full before shipment piled at the head
of the ship-by order, and stalls and missed shipments that fall due while the benchmark runs. Then starts the real
worker (its Temporal Schedule every `--period`, standing in for T-MISSED) on a real dev server and waits until
every expected case is open. Prints each scan round's duration (from Temporal) and the detection lag of what fell
due during the run (case stored − the moment it fell due), per kind.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, col, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from devtools.stack import running_dev_server, running_service
from models.case import Case
from models.db import create_engine, session_factory
from models.migrate import upgrade_async
from rulebook.enums import CaseKind
from rulebook.timers import parse_duration
from temporal_options import TemporalTarget, connect_args
from tests.support.temporal import NAMESPACE

STALL = timedelta(hours=72)
BATCH = 5000
STATUSES = ("picked_up", "in_transit", "in_transit", "out_for_delivery", "delivered")


def order_row(i: int, ship_by: datetime, pending: bool) -> dict[str, Any]:
    return {
        "order_id": f"o-{i:07d}",
        "buyer_id": f"b-{i % 20000}",
        "shop_id": f"s-{i % 500}",
        "total_cents": 5000,
        "paid_at": ship_by - timedelta(days=2),
        "ship_by": ship_by,
        "items": [{"sku": f"sku-{i % 3000}", "title": "T恤", "quantity": 1, "unit_price_cents": 5000}],
        "shipping_address": {"city": "杭州"},
        "ledger_seq": 0,
        "shipment_pending": pending,
        "created_at": ship_by - timedelta(days=2),
    }


class Seed:
    """What the database holds, and when each case the scan should open fell (or falls) due."""

    def __init__(self, orders: int, per_parcel: int, window: timedelta) -> None:
        self.orders, self.per_parcel, self.window = orders, per_parcel, window
        self.now = datetime.now(UTC)
        self.backlog, self.refunded, self.later = 50, 1000, 40
        self.stall_due: dict[str, datetime] = {}
        self.missed_due: dict[str, datetime] = {}

    def fall_due_from_now(self) -> list[int]:
        """The later stalls and misses fall due one by one over the window, starting now."""
        self.now, step = datetime.now(UTC), self.window / self.later
        self.stall_due = {f"o-{i:07d}": self.now + step * (k + 1) for k, i in enumerate(range(100, 100 + self.later))}
        self.missed_due = {f"o-{i:07d}": self.now + step * (k + 1) for k, i in enumerate(range(200, 200 + self.later))}
        return [*range(100, 100 + self.later), *range(200, 200 + self.later)]

    def expected(self) -> int:
        return 2 * self.backlog + 2 * self.later

    def kind_of(self, i: int) -> str:
        if i < self.backlog:
            return "stalled_backlog"
        if 100 <= i < 100 + self.later:
            return "stalled_later"
        if 200 <= i < 200 + self.later:
            return "missed_later"
        if 300 <= i < 300 + self.backlog:
            return "missed_backlog"
        if 1000 <= i < 1000 + self.refunded:
            return "refunded"
        return "delivered"

    async def write(self, engine: AsyncEngine, numbers: list[int]) -> None:
        orders: list[dict[str, Any]] = []
        parcels: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        refunds: list[str] = []
        for i in numbers:
            kind, oid = self.kind_of(i), f"o-{i:07d}"
            if kind in ("missed_later", "missed_backlog", "refunded"):
                ship_by = self.missed_due.get(oid) or self.now - timedelta(days=3 if kind == "refunded" else 1)
                orders.append(order_row(i, ship_by, pending=True))
                if kind == "refunded":
                    refunds.append(oid)
                continue
            orders.append(order_row(i, self.now - timedelta(days=4), pending=False))
            last = {
                "stalled_backlog": self.now - STALL - timedelta(hours=5),
                "stalled_later": (self.stall_due.get(oid) or self.now) - STALL,
            }.get(kind, self.now - timedelta(days=1))
            statuses = STATUSES[: self.per_parcel] if kind == "delivered" else ("picked_up",) * self.per_parcel
            for n, status in enumerate(statuses):
                at = last - timedelta(hours=self.per_parcel - 1 - n)
                events.append({"tracking_no": f"T{i:07d}", "status": status, "location": "杭州", "at": at})
            parcels.append(
                {
                    "order_id": oid,
                    "carrier": "SF",
                    "tracking_no": f"T{i:07d}",
                    "direction": "outbound",
                    "last_event_at": last,
                    "tracking_final": kind == "delivered" and statuses[-1] == "delivered",
                    "created_at": last - timedelta(days=1),
                }
            )
        async with engine.begin() as conn:
            cases = [_refund_case(oid) for oid in refunds]
            tables = ("orders", "shipments", "tracking_events", "cases", "ledger_entries")
            for table, rows in zip(tables, (orders, parcels, events, cases, [_refund(c) for c in cases]), strict=True):
                for start in range(0, len(rows), BATCH):
                    await conn.execute(insert(SQLModel.metadata.tables[table]), rows[start : start + BATCH])
        print(
            f"seeded {len(orders)} orders, {len(parcels)} parcels, {len(events)} tracking events, "
            f"{len(refunds)} orders refunded before shipment"
        )


def _refund_case(order_id: str) -> dict[str, Any]:
    case_id = uuid.uuid4().hex[:16]
    return {
        "case_id": case_id,
        "kind": "refund_only",
        "status": "resolved",
        "order_id": order_id,
        "buyer_id": "b",
        "shop_id": "s",
        "amount_cents": 5000,
        "reason": "not_shipped",
        "description": "",
        "urgent": False,
        "workflow_id": f"case-{case_id}",
        "event_count": 3,
        "head_hash": "",
        "created_at": datetime.now(UTC),
        "updated_at": datetime.now(UTC),
    }


def _refund(case: dict[str, Any]) -> dict[str, Any]:
    return {
        "business_key": f"case-{case['case_id']}:refund:1",
        "case_id": case["case_id"],
        "order_id": case["order_id"],
        "kind": "refund",
        "amount_cents": 5000,
        "asked_cents": 5000,
        "note": "",
        "status": "succeeded",
        "created_at": datetime.now(UTC),
    }


async def run(args: argparse.Namespace) -> None:
    period = parse_duration(args.period)
    with tempfile.TemporaryDirectory(prefix="bench-scans-") as tmp:
        directory = Path(tmp)
        database_url = args.database_url or f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        await upgrade_async(database_url)
        engine = create_engine(database_url)
        window = parse_duration(args.window)
        seed = Seed(args.orders, args.events_per_parcel, window)
        began = time.perf_counter()
        await seed.write(engine, [i for i in range(args.orders) if not seed.kind_of(i).endswith("_later")])
        print(f"seeding took {time.perf_counter() - began:.1f} s")
        async with running_dev_server(directory) as address:
            settings = {
                "AFTERSALES_ENV": "development",
                "AFTERSALES_JWT_SECRET": "bench-secret-of-at-least-thirty-two-bytes",
                "AFTERSALES_DATABASE_URL": database_url,
                "AFTERSALES_TEMPORAL_ADDRESS": address,
                "AFTERSALES_SCANS": "true",
                "AFTERSALES_T_MISSED": args.period,
                "AFTERSALES_T_STALL": "72h",
            }
            async with running_service(directory, settings):
                await seed.write(engine, seed.fall_due_from_now())
                opened = await wait_for_cases(engine, seed, deadline=seed.now + window + 3 * period)
                client = await Client.connect(
                    **connect_args(TemporalTarget(address, NAMESPACE)), data_converter=pydantic_data_converter
                )
                await report(client, opened, seed, period)
        await engine.dispose()


async def wait_for_cases(engine: AsyncEngine, seed: Seed, deadline: datetime) -> dict[str, tuple[str, datetime]]:
    sessions = session_factory(engine)
    kinds = (CaseKind.LOGISTICS_STALLED, CaseKind.MISSED_SHIPMENT)
    while True:
        async with sessions() as session:
            rows = (await session.exec(select(Case).where(col(Case.kind).in_(kinds)))).all()
        opened = {c.order_id: (c.kind.value, c.created_at) for c in rows}
        if len(opened) >= seed.expected() or datetime.now(UTC) > deadline:
            return opened
        await asyncio.sleep(1)


async def report(client: Client, opened: dict[str, tuple[str, datetime]], seed: Seed, period: timedelta) -> None:
    await asyncio.sleep(2)  # visibility catches up with the last rounds
    rounds = [w async for w in client.list_workflows("WorkflowType = 'ScanWorkflow'")]
    durations = sorted((w.close_time - w.start_time).total_seconds() for w in rounds if w.close_time and w.start_time)
    print(f"cases opened: {len(opened)} of {seed.expected()} expected (duplicates impossible: one per order and kind)")
    if durations:
        print(
            f"scan rounds: {len(durations)}   duration  min {durations[0]:.2f} s  median "
            f"{statistics.median(durations):.2f} s  max {durations[-1]:.2f} s (the first also opened the backlog)"
        )
    for name, due in (("stalled", seed.stall_due), ("missed", seed.missed_due)):
        lags = sorted((opened[o][1] - at).total_seconds() for o, at in due.items() if o in opened)
        missing = len(due) - len(lags)
        if lags:
            p50, worst = statistics.median(lags), lags[-1]
            print(
                f"detection lag {name:<8} {len(lags)} cases  p50 {p50:6.1f} s  max {worst:6.1f} s"
                f"  (scan period {period.total_seconds():.0f} s){f'  NOT FOUND {missing}' if missing else ''}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--events-per-parcel", type=int, default=5)
    parser.add_argument("--period", default="20s", help="the scan schedule's period (T-MISSED)")
    parser.add_argument("--window", default="60s", help="the time over which the later cases fall due")
    parser.add_argument("--database-url", default=None, help="a migrated-from-empty database (default: SQLite)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
