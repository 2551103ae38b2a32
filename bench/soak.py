"""SOAK-01: the whole service under a steady low load with chaos, for a while: `python -m bench.soak --minutes 30`.

Starts a Temporal dev server (its SQLite file in a temporary directory), the worker and the API (`devtools.stack`),
then opens cases (order, parcel, delivery, `POST /cases` with an Idempotency-Key retried as a client would), approves
about half of them and reads them back, at `--rate` operations a second. The other half run out their T-MERCHANT
(`--t-merchant`, default 2m) and the platform steps in. Every `--chaos-every` minutes one of: the worker SIGKILLed
and started again (WF-04/WF-05), or the dev server SIGKILLed and started again on the same database file (WF-06).

Each minute it prints the RSS and open files of the worker, the API and the dev server, and the requests that
succeeded and failed. At the end (after the last deadlines have had time to run out) it prints LOAD-02: every
acknowledged 201 has its case row and its workflow, no case row or workflow is unacknowledged, no refund was paid
twice, and no case waits past its deadline (stuck).
"""

import argparse
import asyncio
import contextlib
import random
import signal
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import col, select
from temporalio.client import Client

from api.auth import issue_token
from devtools import temporal_server
from devtools.stack import RunningService, free_port, running_service
from models.case import Case
from models.db import create_engine, session_factory
from models.ledger import LedgerEntry, LedgerKind
from models.migrate import upgrade_async
from temporal_options import TemporalTarget

SECRET = "soak-secret-of-at-least-thirty-two-bytes"
STUCK_GRACE = timedelta(seconds=60)  # a deadline this far behind with the case still waiting on it is stuck


def headers(role: str, sub: str, shop_id: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub=sub, role=role, shop_id=shop_id)}"}


SYSTEM, BUYER = headers("system", "soak-feed"), headers("buyer", "soak-buyer")
MERCHANT = headers("merchant", "soak-clerk", "soak-shop")


class DevServer:
    """`temporal server start-dev` on a fixed port and database file, so it can be killed and started again."""

    def __init__(self, directory: Path) -> None:
        self.port, self.directory = free_port(), directory
        self.process: asyncio.subprocess.Process | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        argv = temporal_server.dev_server_argv(port=self.port, ui_port=None, db_filename=self.directory / "temporal.db")
        with (self.directory / "temporal.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(*argv, stdout=log, stderr=asyncio.subprocess.STDOUT)
        process = self.process
        ready = TemporalTarget(self.address)
        await temporal_server.wait_until_ready(ready, 60, keep_waiting=lambda: process.returncode is None)

    async def crash(self) -> None:
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


@dataclass
class Tally:
    ok: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)  # attempts: a client's retry with the key may follow
    gave_up: Counter[str] = field(default_factory=Counter)  # operations that never succeeded
    acked: set[str] = field(default_factory=set)  # case ids answered 201
    to_approve: list[str] = field(default_factory=list)
    unanswered: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # opens given up on: body and key
    chaos: list[str] = field(default_factory=list)

    def count(self, kind: str, response: httpx.Response | None, expected: int) -> bool:
        good = response is not None and response.status_code == expected
        (self.ok if good else self.failed)[kind] += 1
        return good


async def send(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
    try:
        return await http.request(method, path, **kwargs)
    except httpx.TransportError:
        return None


async def open_case(http: httpx.AsyncClient, tally: Tally) -> None:
    order_id, tracking = f"soak-{uuid.uuid4().hex[:12]}", f"SF{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC).isoformat()
    item = {"sku": "soak-1", "title": "T恤", "quantity": 1, "unit_price_cents": 5000}
    address = {"name": "李四", "phone": "13800000000", "province": "浙江", "city": "杭州", "street": "1号"}
    order: dict[str, Any] = {"order_id": order_id, "buyer_id": "soak-buyer", "shop_id": "soak-shop", "items": [item]}
    order |= {"total_cents": 5000, "paid_at": now, "ship_by": now, "shipping_address": address}
    feed: list[tuple[str, dict[str, Any], int]] = [
        ("/orders", order, 201),
        (f"/orders/{order_id}/shipments", {"carrier": "SF", "tracking_no": tracking}, 201),
        ("/logistics/events", {"tracking_no": tracking, "status": "delivered", "at": now}, 202),
    ]
    for path, body, expected in feed:
        if await keyed_post(http, tally, "feed", expected, path, body, SYSTEM, f"{path}-{order_id}") is None:
            return
    case = {"order_id": order_id, "kind": "refund_only", "reason": "quality_defect", "description": "开线"}
    opened = await keyed_post(http, tally, "open", 201, "/cases", case, BUYER, f"open-{order_id}")
    if opened is None:
        tally.unanswered.append((case, f"open-{order_id}"))
    else:
        tally.acked.add(opened.json()["case_id"])
        if random.random() < 0.5:
            tally.to_approve.append(opened.json()["case_id"])


async def keyed_post(
    http: httpx.AsyncClient,
    tally: Tally,
    kind: str,
    expected: int,
    path: str,
    body: dict[str, Any],
    signed: dict[str, str],
    key: str,
    attempts: int = 8,
) -> httpx.Response | None:
    """A client's POST with an Idempotency-Key, sent again with the same key after a transport error or a 5xx
    (Temporal away during chaos); the answer when it is `expected`, else None."""
    for attempt in range(attempts):
        response = await send(http, "POST", path, json=body, headers={**signed, "Idempotency-Key": key})
        if tally.count(kind, response, expected):
            return response
        if response is not None and response.status_code < 500:
            break
        await asyncio.sleep(min(2**attempt, 10))
    tally.gave_up[kind] += 1
    return None


async def approve(http: httpx.AsyncClient, tally: Tally) -> None:
    case_id = tally.to_approve.pop(0)
    path = f"/cases/{case_id}/actions"
    await keyed_post(http, tally, "approve", 200, path, {"action": "approve"}, MERCHANT, f"approve-{case_id}")


async def read(http: httpx.AsyncClient, tally: Tally) -> None:
    case_id = random.choice(sorted(tally.acked))
    tally.count("read", await send(http, "GET", f"/cases/{case_id}", headers=BUYER), 200)


async def load(http: httpx.AsyncClient, tally: Tally, rate: float, until: float) -> None:
    """Steady operations at `rate` a second, each in its own task so a slow one does not hold up the rest."""
    tasks: set[asyncio.Task[None]] = set()
    while time.monotonic() < until:
        if tally.to_approve and random.random() < 0.3:
            job = approve(http, tally)
        elif tally.acked and random.random() < 0.4:
            job = read(http, tally)
        else:
            job = open_case(http, tally)
        task = asyncio.create_task(job)
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        await asyncio.sleep(1 / rate)
    await asyncio.gather(*tasks)


async def chaos(service: RunningService, server: DevServer, tally: Tally, every: float, until: float) -> None:
    turn = 0
    await asyncio.sleep(every / 2)  # between the minute reports, which read the processes' /proc
    while time.monotonic() + every < until:
        began = time.monotonic()
        if turn % 2 == 0:
            await service.crash_worker()
            await service.start_worker()
            tally.chaos.append(f"worker SIGKILLed and started again ({time.monotonic() - began:.1f} s)")
        else:
            await server.crash()
            await server.start()
            tally.chaos.append(f"dev server SIGKILLed and started again on its file ({time.monotonic() - began:.1f} s)")
        print(f"  chaos: {tally.chaos[-1]}", flush=True)
        turn += 1
        await asyncio.sleep(every)


def proc(pid: int) -> tuple[float, int]:
    """RSS in MiB and open file descriptors of a process."""
    rss = next(
        (
            int(line.split()[1]) / 1024
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        ),
        float("nan"),
    )
    return rss, len(list(Path(f"/proc/{pid}/fd").iterdir()))


async def report(service: RunningService, server: DevServer, tally: Tally, done: asyncio.Event) -> None:
    """A line a minute, until the load and the retries it left behind are over."""
    minute = 0
    while not done.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 60)
        minute += 1
        parts = []
        for name, pid in (
            ("worker", service.worker_pid),
            ("api", service.api_pid),
            ("server", server.process.pid if server.process else 0),
        ):
            with contextlib.suppress(OSError):
                rss, fds = proc(pid)
                parts.append(f"{name} {rss:6.1f} MiB {fds:4d} fds")
        ok = " ".join(f"{k} {v}" for k, v in sorted(tally.ok.items()))
        failed = " ".join(f"{k} {v}" for k, v in sorted(tally.failed.items())) or "none"
        gave_up = " ".join(f"{k} {v}" for k, v in sorted(tally.gave_up.items())) or "none"
        line = f"min {minute:3d} | {' | '.join(parts)} | ok: {ok} | failed attempts: {failed} | gave up: {gave_up}"
        print(line, flush=True)


async def ask_again(http: httpx.AsyncClient, tally: Tally) -> None:
    """The opens the client gave up on, sent once more with their keys, as a client coming back later would: the
    answer is the case the first attempt made, or a refusal if none was made."""
    late = 0
    for body, key in tally.unanswered:
        response = await send(http, "POST", "/cases", json=body, headers={**BUYER, "Idempotency-Key": key})
        if response is not None and response.status_code == 201:
            tally.acked.add(response.json()["case_id"])
            late += 1
    print(f"opens given up on {len(tally.unanswered)}, answered 201 when asked again with their key {late}")


async def nothing_lost(database_url: str, address: str, tally: Tally) -> list[str]:
    """LOAD-02 and SOAK-01's stuck check, from the database and Temporal's own record."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = set((await session.exec(select(Case.case_id))).all())
            twice = (
                await session.exec(
                    select(LedgerEntry.case_id)
                    .where(LedgerEntry.kind == LedgerKind.REFUND)
                    .group_by(col(LedgerEntry.case_id))
                    .having(func.count() > 1)
                )
            ).all()
            refunds = (await session.exec(select(func.count()).where(LedgerEntry.kind == LedgerKind.REFUND))).one()
            waiting = (await session.exec(select(Case).where(col(Case.deadline).is_not(None)))).all()
    finally:
        await engine.dispose()
    now = datetime.now(UTC)
    stuck = [c.case_id for c in waiting if not c.status.is_final and c.deadline and c.deadline < now - STUCK_GRACE]
    client = await Client.connect(address)
    workflows = {w.id.removeprefix("case-") async for w in client.list_workflows("WorkflowType = 'CaseWorkflow'")}
    return [
        f"acknowledged 201s {len(tally.acked)} | case rows {len(rows)} | workflows {len(workflows)}",
        f"acknowledged without a row {len(tally.acked - rows)} | without a workflow {len(tally.acked - workflows)}"
        f" | rows never acknowledged {len(rows - tally.acked)}",
        f"refunds {refunds} | cases refunded twice {len(twice)}",
        f"cases past their deadline not stepped in (stuck) {len(stuck)} {stuck[:5]}",
    ]


async def soak(minutes: float, rate: float, chaos_every: float, t_merchant: int) -> None:
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        directory = Path(tmp)
        database_url = f"sqlite+aiosqlite:///{directory / 'soak.db'}"
        await upgrade_async(database_url)
        server = DevServer(directory)
        await server.start()
        settings = {
            "AFTERSALES_ENV": "development",
            "AFTERSALES_JWT_SECRET": SECRET,
            "AFTERSALES_DATABASE_URL": database_url,
            "AFTERSALES_TEMPORAL_ADDRESS": server.address,
            "AFTERSALES_T_MERCHANT": f"{t_merchant}s",
            "AFTERSALES_WORKER_STICKY_TIMEOUT": "1s",
            "AFTERSALES_EVIDENCE_DIR": str(directory / "evidence"),
        }
        try:
            async with (
                running_service(directory, settings) as service,
                httpx.AsyncClient(base_url=service.base_url, timeout=30) as http,
            ):
                print(f"soak: {minutes} min at {rate}/s, chaos every {chaos_every} min, T-MERCHANT {t_merchant}s")
                until = time.monotonic() + minutes * 60
                tally, done = Tally(), asyncio.Event()
                reporting = asyncio.create_task(report(service, server, tally, done))
                await asyncio.gather(
                    load(http, tally, rate, until), chaos(service, server, tally, chaos_every * 60, until)
                )
                done.set()
                await reporting
                print(
                    f"load and its retries over; {t_merchant + 60}s more for the last deadlines to run out", flush=True
                )
                await asyncio.sleep(t_merchant + 60)
                await ask_again(http, tally)
                print("\n".join(["LOAD-02:", *await nothing_lost(database_url, server.address, tally)]))
                print(f"chaos: {len(tally.chaos)} events: " + "; ".join(tally.chaos))
        finally:
            await server.stop()


async def main(arguments: argparse.Namespace) -> None:
    task = asyncio.current_task()
    assert task is not None
    for stop in (signal.SIGINT, signal.SIGTERM):  # end the child processes too, not only this one
        asyncio.get_running_loop().add_signal_handler(stop, task.cancel)
    await soak(arguments.minutes, arguments.rate, arguments.chaos_every, arguments.t_merchant)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=2.0, help="operations a second")
    parser.add_argument("--chaos-every", type=float, default=2.0, help="minutes between chaos events")
    parser.add_argument("--t-merchant", type=int, default=120, help="seconds")
    with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
        asyncio.run(main(parser.parse_args()))
