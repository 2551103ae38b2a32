"""`make prod-local`: the production shape on one machine, in the foreground — Ctrl-C stops it all.

PostgreSQL first: the two roles (`devtools.pg_roles`, as the administrator of PG_DSN), then the migrations once, as
the owner, granting the service role what it needs. Then a Temporal dev server (or, with `--cluster`, the cluster
the AFTERSALES_TEMPORAL_* settings name), the workers and the API processes (on consecutive ports), all as the
service role. If one of them dies, the others are stopped too.
"""

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from devtools.pg_ready import DEFAULT_DSN, ready
from devtools.pg_roles import OWNER, SERVICE, create_roles
from devtools.run_dev import port_in_use, split_address
from devtools.stack import DevServer, RunningService, dev_server, running_service
from devtools.temporal_server import wait_until_ready
from models.migrate import upgrade_async
from settings import VAR_DIR, get_settings
from temporal_options import TemporalTarget

STATE_DIR = VAR_DIR / "prod"


@dataclass
class Fleet:
    """The processes of the production shape: the dev server (None against a cluster), the workers and the APIs."""

    temporal: DevServer | None
    service: RunningService


@asynccontextmanager
async def running_fleet(
    directory: Path,
    settings: Mapping[str, str],
    *,
    apis: int = 2,
    workers: int = 2,
    api_ports: tuple[int, ...] = (),
    temporal_port: int | None = None,
    ui_port: int | None = None,
    cluster: bool = False,
) -> AsyncIterator[Fleet]:
    """Against a migrated database (`settings`' AFTERSALES_DATABASE_URL): a dev server on `temporal_port` (free if
    None) or, with `cluster`, the Temporal the settings name; then `workers` workers and `apis` API processes."""
    async with AsyncExitStack() as stack:
        temporal: DevServer | None = None
        if cluster:
            await wait_until_ready(TemporalTarget.of(get_settings()), 30)
        else:
            temporal = await stack.enter_async_context(dev_server(directory, port=temporal_port, ui_port=ui_port))
            settings = {**settings, "AFTERSALES_TEMPORAL_ADDRESS": temporal.address}
        service = await stack.enter_async_context(
            running_service(directory, settings, apis=apis, workers=workers, api_ports=api_ports)
        )
        yield Fleet(temporal, service)


async def prepare_database(admin_dsn: str) -> str:
    """The roles and the migrations (as the owner); returns the service role's URL."""
    await create_roles(admin_dsn)
    url = make_url(admin_dsn).set(drivername="postgresql+asyncpg", password=None)
    owner, service = url.set(username=OWNER), url.set(username=SERVICE)
    print(f"[prod] alembic upgrade head as {OWNER}, granting {SERVICE}", flush=True)
    await upgrade_async(owner.render_as_string(hide_password=False), SERVICE)
    return service.render_as_string(hide_password=False)


async def serve(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    if not await ready(args.pg_dsn):
        print(f"[prod] PostgreSQL does not answer at {args.pg_dsn} (set PG_DSN)", file=sys.stderr)
        return 1
    api_ports = tuple(range(args.api_port, args.api_port + args.apis))
    temporal_port = split_address(get_settings().temporal_address)[1]
    ports = [*api_ports] + ([] if args.cluster else [temporal_port, temporal_port + 1000])
    if busy := [port for port in ports if port_in_use("127.0.0.1", port)]:
        print(f"[prod] port(s) {busy} already in use: is `make dev` or another `make prod-local` running?")
        return 1
    database_url = await prepare_database(args.pg_dsn)
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    settings = {
        "AFTERSALES_DATABASE_URL": database_url,
        "AFTERSALES_SCANS": str(get_settings().scans).lower(),
        # two APIs and two workers × (5 + 10) connections stay well under a default PostgreSQL's 100
        "AFTERSALES_DATABASE_POOL_SIZE": str(os.environ.get("AFTERSALES_DATABASE_POOL_SIZE", 5)),
        "AFTERSALES_DATABASE_MAX_OVERFLOW": str(os.environ.get("AFTERSALES_DATABASE_MAX_OVERFLOW", 10)),
    }
    async with running_fleet(
        STATE_DIR,
        settings,
        apis=args.apis,
        workers=args.workers,
        api_ports=api_ports,
        temporal_port=temporal_port,
        ui_port=temporal_port + 1000,
        cluster=args.cluster,
    ) as fleet:
        _announce(fleet)
        return await _watch(fleet, stop)


def _announce(fleet: Fleet) -> None:
    if fleet.temporal is not None:
        print(f"[prod] Temporal dev server {fleet.temporal.address} · UI http://127.0.0.1:{fleet.temporal.ui_port}")
    for api in fleet.service.apis:
        print(f"[prod] {api.name} {api.url}/docs (pid {api.pid})")
    for worker in fleet.service.workers:
        print(f"[prod] {worker.name} (pid {worker.pid})")
    print(f"[prod] logs and Temporal's state in {STATE_DIR} · Ctrl-C stops everything", flush=True)


async def _watch(fleet: Fleet, stop: asyncio.Event) -> int:
    """Until Ctrl-C (0) or one of the processes exits (1)."""
    while not stop.is_set():
        if (why := _exited(fleet)) is not None:
            print(f"[prod] {why}: stopping the rest", file=sys.stderr, flush=True)
            return 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
    print("\n[prod] stopping…", flush=True)
    return 0


def _exited(fleet: Fleet) -> str | None:
    if fleet.temporal is not None and fleet.temporal.exited():
        return f"the Temporal dev server exited (see {fleet.temporal.log})"
    dead = fleet.service.exited()
    return None if dead is None else f"{dead.name} exited with code {dead.process.returncode} (see {dead.log})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-dsn", default=DEFAULT_DSN, help="an administrator's DSN (default: %(default)s)")
    parser.add_argument("--apis", type=int, default=2, help="API processes (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="workers (default: %(default)s)")
    parser.add_argument("--api-port", type=int, default=8000, help="the first API's port (default: %(default)s)")
    parser.add_argument("--cluster", action="store_true", help="no dev server: the AFTERSALES_TEMPORAL_* cluster")
    code = asyncio.run(serve(parser.parse_args()))
    print("[prod] stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
