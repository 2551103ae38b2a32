"""Entry-check latency over real HTTP: `python -m bench.order_checks [--orders 100000] [--checks 2000]`.

Seeds a migrated SQLite database (in a temporary directory, or `--database-url`) with N orders of history (20 000
buyers, their addresses with units, one line each with a category and a size), starts the service (dev server,
worker, API) on free ports, then posts `--checks` drafts to `POST /orders/check` one after another, half of them
ones that warn (no unit, an unusual size), and prints the latency percentiles. The checks read the buyer's latest
orders (`ix_orders_buyer_id`) and lines per category (`ix_order_lines_buyer_category`).
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert
from sqlmodel import SQLModel

from api.auth import issue_token
from devtools.stack import running_dev_server, running_service
from models.db import create_engine
from models.migrate import upgrade_async

SECRET = "bench-secret-of-at-least-thirty-two-bytes"
BUYERS = 20_000
SIZES = ("S", "M", "L", "XL")
CATEGORIES = ("clothing", "shoes", "hats")
BATCH = 5000


def address(buyer: int) -> dict[str, Any]:
    return {
        "name": "李四",
        "phone": "13800000000",
        "province": "浙江",
        "city": "杭州",
        "district": "西湖",
        "street": f"文三路{buyer}号",
        "unit": f"{buyer % 30 + 1}-{buyer % 7 + 1}01",
    }


async def seed(database_url: str, orders: int) -> None:
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    order_rows, line_rows = [], []
    for i in range(orders):
        buyer, at = i % BUYERS, now - timedelta(minutes=i)
        category, size = CATEGORIES[i % 3], SIZES[(i // BUYERS + i % 2) % 2 + 1]
        order_rows.append(
            {
                "order_id": f"o-{i:07d}",
                "buyer_id": f"b-{buyer}",
                "shop_id": f"s-{i % 500}",
                "total_cents": 5000,
                "paid_at": at,
                "ship_by": at + timedelta(days=1),
                "items": [{"sku": f"sku-{i % 3000}", "quantity": 1, "category": category, "spec": {"size": size}}],
                "shipping_address": address(buyer),
                "ledger_seq": 0,
                "shipment_pending": False,
                "created_at": at,
            }
        )
        line_rows.append(
            {
                "order_id": f"o-{i:07d}",
                "buyer_id": f"b-{buyer}",
                "sku": f"sku-{i % 3000}",
                "quantity": 1,
                "category": category,
                "size": size,
                "created_at": at,
            }
        )
    async with engine.begin() as conn:
        for table, rows in (("orders", order_rows), ("order_lines", line_rows)):
            for start in range(0, len(rows), BATCH):
                await conn.execute(insert(SQLModel.metadata.tables[table]), rows[start : start + BATCH])
    await engine.dispose()


def draft(buyer: int, warns: bool) -> dict[str, Any]:
    size = "XXL" if warns else "M"
    return {
        "buyer_id": f"b-{buyer}",
        "items": [
            {
                "sku": "sku-1",
                "title": "T恤",
                "quantity": 1,
                "unit_price_cents": 5000,
                "category": "clothing",
                "spec": {"size": size},
            },
        ],
        "shipping_address": {**address(buyer), "unit": "" if warns else address(buyer)["unit"]},
    }


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-checks-") as tmp:
        directory = Path(tmp)
        database_url = args.database_url or f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        await upgrade_async(database_url)
        began = time.perf_counter()
        await seed(database_url, args.orders)
        print(f"seeded {args.orders} orders of history in {time.perf_counter() - began:.1f} s")
        async with running_dev_server(directory) as address_:
            settings = {
                "AFTERSALES_ENV": "development",
                "AFTERSALES_JWT_SECRET": SECRET,
                "AFTERSALES_DATABASE_URL": database_url,
                "AFTERSALES_TEMPORAL_ADDRESS": address_,
            }
            async with running_service(directory, settings) as service:
                await measure(service.base_url, args.checks)


async def measure(base_url: str, checks: int) -> None:
    token = issue_token(SECRET, sub="order-feed", role="system")
    rng = random.Random(7)
    latencies, warned = [], 0
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        for n in range(checks + 50):
            body = draft(rng.randrange(BUYERS), warns=n % 2 == 0)
            began = time.perf_counter()
            answer = await http.post("/orders/check", json=body)
            elapsed = time.perf_counter() - began
            assert answer.status_code == 200, answer.text
            if n >= 50:  # the first 50 warm the connection and the caches
                latencies.append(elapsed * 1000)
                warned += bool(answer.json()["warnings"])
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))]

    print(
        f"POST /orders/check  {len(lat)} checks ({warned} warned)  p50 {pct(0.5):.1f} ms  p95 {pct(0.95):.1f} ms  "
        f"p99 {pct(0.99):.1f} ms  max {lat[-1]:.1f} ms  mean {statistics.fmean(lat):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="an empty database (default: SQLite)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
