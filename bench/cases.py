"""Throughput and latency of the case service end to end: `python -m bench.cases [--cases N] [--concurrency C]`.

Starts what `make dev` starts (a Temporal dev server with the WAL pragmas, the worker, the API) on free ports
in a temporary directory, then over real HTTP: posts N orders, opens N refund cases (each a workflow start and
an update round trip), approves them all (an update, the refund activity, the recording activity), and reads
them back. Prints requests/s, latency percentiles, what was lost (nothing should be), and memory.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from api.auth import issue_token
from devtools.stack import RunningService, running_dev_server, running_service
from models.migrate import upgrade_async

SECRET = "bench-secret-of-at-least-thirty-two-bytes"


def headers(role: str, sub: str, shop_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub=sub, role=role, shop_id=shop_id)}"}


def order(order_id: str, buyer: str, shop: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    item = {"sku": "sku-1", "title": "T恤", "quantity": 1, "unit_price_cents": 5000, "listing": {}}
    address = {"name": "李四", "phone": "1", "province": "浙江", "city": "杭州", "district": "西湖", "street": "1号"}
    return {
        "order_id": order_id,
        "buyer_id": buyer,
        "shop_id": shop,
        "items": [item],
        "total_cents": 5000,
        "paid_at": now.isoformat(),
        "ship_by": (now + timedelta(days=1)).isoformat(),
        "shipping_address": address,
    }


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    started: float = 0.0
    ended: float = 0.0

    def report(self) -> str:
        lat = sorted(self.latencies)
        if not lat:
            return f"{self.name:<16} no successful requests, {self.failures} failed"
        rate = len(lat) / (self.ended - self.started)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

        return (
            f"{self.name:<16} {len(lat):>6} ok {self.failures:>4} failed {rate:>8.1f} req/s   "
            f"p50 {pct(0.50):7.1f} ms  p95 {pct(0.95):7.1f} ms  p99 {pct(0.99):7.1f} ms  max {lat[-1] * 1000:7.1f} ms  "
            f"mean {statistics.fmean(lat) * 1000:7.1f} ms"
        )


async def run_phase(name: str, jobs: list[Callable[[], Awaitable[bool]]], concurrency: int) -> Phase:
    phase, queue = Phase(name), list(reversed(jobs))

    async def runner() -> None:
        while queue:
            job = queue.pop()
            began = time.perf_counter()
            ok = await job()
            if ok:
                phase.latencies.append(time.perf_counter() - began)
            else:
                phase.failures += 1

    phase.started = time.perf_counter()
    await asyncio.gather(*(runner() for _ in range(concurrency)))
    phase.ended = time.perf_counter()
    return phase


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def scenario(http: httpx.AsyncClient, service: RunningService, cases: int, concurrency: int) -> list[str]:
    buyer, shop = "bench-buyer", "bench-shop"
    system, as_buyer, as_merchant = headers("system", "feed"), headers("buyer", buyer), headers("merchant", "m", shop)
    order_ids = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(cases)]
    case_ids: list[str] = []

    def post_order(order_id: str) -> Callable[[], Awaitable[bool]]:
        """The order, its shipment and its delivery: a case on it waits on the merchant."""

        async def job() -> bool:
            if (await http.post("/orders", json=order(order_id, buyer, shop), headers=system)).status_code != 201:
                return False
            shipment = {"carrier": "SF", "tracking_no": f"SF-{order_id}"}
            if (await http.post(f"/orders/{order_id}/shipments", json=shipment, headers=system)).status_code != 201:
                return False
            event = {**shipment, "status": "delivered", "location": "杭州", "at": datetime.now(UTC).isoformat()}
            del event["carrier"]
            return (await http.post("/logistics/events", json=event, headers=system)).status_code == 202

        return job

    def open_case(order_id: str) -> Callable[[], Awaitable[bool]]:
        async def job() -> bool:
            body = {"order_id": order_id, "kind": "refund_only", "reason": "quality_defect", "description": "开线"}
            response = await http.post("/cases", json=body, headers={**as_buyer, "Idempotency-Key": order_id})
            if response.status_code == 201:
                case_ids.append(response.json()["case_id"])
            return response.status_code == 201

        return job

    def approve(case_id: str) -> Callable[[], Awaitable[bool]]:
        async def job() -> bool:
            response = await http.post(f"/cases/{case_id}/actions", json={"action": "approve"}, headers=as_merchant)
            return response.status_code == 200 and response.json()["status"] == "resolved"

        return job

    rss_before = (rss_mib(service.worker_pid), rss_mib(service.api_pid))
    lines = [(await run_phase("order+ship+deliv", [post_order(o) for o in order_ids], concurrency)).report()]
    lines.append((await run_phase("POST /cases", [open_case(o) for o in order_ids], concurrency)).report())
    lines.append((await run_phase("approve", [approve(c) for c in list(case_ids)], concurrency)).report())
    resolved = await count(http, {"status": "resolved"}, headers("agent", "bench-agent"))
    rss_after = (rss_mib(service.worker_pid), rss_mib(service.api_pid))
    lines.append(f"cases opened {len(case_ids)}/{cases}, resolved and read back {resolved}")
    lines.append(
        f"RSS MiB worker {rss_before[0]:.0f} -> {rss_after[0]:.0f}, api {rss_before[1]:.0f} -> {rss_after[1]:.0f}"
    )
    return lines


def size_mib(directory: Path, pattern: str) -> float:
    return sum(path.stat().st_size for path in directory.glob(pattern)) / 2**20


async def count(http: httpx.AsyncClient, params: dict[str, str], auth: dict[str, str]) -> int:
    total, cursor = 0, None
    while True:
        page = (
            await http.get(
                "/cases", params={**params, "limit": "100", **({"cursor": cursor} if cursor else {})}, headers=auth
            )
        ).json()
        total += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return total


async def main(cases: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        directory = Path(tmp)
        database_url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        await upgrade_async(database_url)
        async with running_dev_server(directory) as address:
            settings = {
                "AFTERSALES_ENV": "development",  # with the fake payment provider: the service is measured, not a PSP
                "AFTERSALES_JWT_SECRET": SECRET,
                "AFTERSALES_DATABASE_URL": database_url,
                "AFTERSALES_TEMPORAL_ADDRESS": address,
                "AFTERSALES_T_MERCHANT": "1h",
            }
            async with (
                running_service(directory, settings) as service,
                httpx.AsyncClient(
                    base_url=service.base_url, timeout=60, limits=httpx.Limits(max_connections=concurrency)
                ) as http,
            ):
                lines = await scenario(http, service, cases, concurrency)
        temporal_db = size_mib(directory, "temporal.db*")
        print(f"cases={cases} concurrency={concurrency} (dev server + worker + API + SQLite on this machine)")
        print("\n".join(lines))
        print(f"Temporal database {temporal_db:.1f} MiB ({temporal_db * 1024 / max(cases, 1):.1f} KiB per case)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.cases, arguments.concurrency))
