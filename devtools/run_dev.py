"""`make dev`: migrate once, then run the Temporal dev server, the worker and the API together.

All children share one new process group, so stopping is one decision: Ctrl-C or SIGTERM to this supervisor
(or any child dying) stops every child — terminate first, kill after a grace period.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

from devtools.temporal_server import ROOT, dev_server_argv, wait_until_ready
from settings import VAR_DIR, get_settings
from temporal_options import TemporalTarget

API_HOST = "127.0.0.1"
GRACE_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 60.0


class Supervisor:
    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.pgid: int | None = None
        self.stop_requested = False

    def request_stop(self, signum: int, _frame: FrameType | None) -> None:
        print(f"\n[dev] {signal.Signals(signum).name} received, stopping…", flush=True)
        self.stop_requested = True

    def start(self, name: str, argv: Sequence[str]) -> None:
        process = subprocess.Popen(argv, cwd=ROOT, process_group=self.pgid or 0)
        self.pgid = self.pgid or process.pid
        self.children[name] = process

    def dead_child(self) -> str | None:
        return next((name for name, proc in self.children.items() if proc.poll() is not None), None)

    def stop_all(self) -> None:
        for process in reversed(self.children.values()):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + GRACE_SECONDS
        for name, process in reversed(self.children.items()):
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"[dev] {name} did not stop in {GRACE_SECONDS}s, killing it", flush=True)
        if self.pgid is not None:  # kill stragglers and any grandchildren left in the group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, signal.SIGKILL)
        for process in self.children.values():
            process.wait()


def migrate() -> None:
    if not (ROOT / "alembic.ini").is_file() or not (ROOT / "migrations").is_dir():
        print("[dev] alembic.ini or migrations/ missing: skipping migrations", flush=True)
        return
    print("[dev] alembic upgrade head", flush=True)
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, check=True)


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


def busy_ports(host: str, ports: Sequence[int], api_port: int) -> list[int]:
    with_api = [(API_HOST if port == api_port else host, port) for port in ports]
    return [port for address, port in with_api if port_in_use(address, port)]


def start_temporal(supervisor: Supervisor, address: str, ui_port: int) -> None:
    host, port = split_address(address)
    argv = dev_server_argv(ip=host, port=port, ui_port=ui_port, db_filename=VAR_DIR / "temporal.db")
    supervisor.start("temporal", argv)

    def keep_waiting() -> bool:
        return not supervisor.stop_requested and supervisor.dead_child() is None

    asyncio.run(wait_until_ready(TemporalTarget(address), READY_TIMEOUT_SECONDS, keep_waiting=keep_waiting))


def start_app(supervisor: Supervisor, api_port: int) -> None:
    supervisor.start("worker", [sys.executable, "worker.py"])
    api = ["-m", "uvicorn", "api.app:create_app", "--factory", "--host", API_HOST, "--port", str(api_port)]
    supervisor.start("api", [sys.executable, *api])


def watch(supervisor: Supervisor) -> int:
    while not supervisor.stop_requested:
        if (dead := supervisor.dead_child()) is not None:
            code = supervisor.children[dead].returncode
            print(f"[dev] {dead} exited with code {code}: stopping the rest", file=sys.stderr, flush=True)
            return 1
        time.sleep(0.2)
    return 0


def run(supervisor: Supervisor) -> int:
    settings = get_settings()
    address, api_port = settings.temporal_address, settings.api_port
    host, port = split_address(address)
    ui_port = settings.temporal_ui_port or port + 1000
    if busy := busy_ports(host, [port, ui_port, api_port], api_port):
        print(f"[dev] port(s) {busy} already in use: is another `make dev` running?", file=sys.stderr)
        return 1
    VAR_DIR.mkdir(exist_ok=True)
    migrate()
    try:
        start_temporal(supervisor, address, ui_port)
    except (RuntimeError, TimeoutError) as error:
        print(f"[dev] Temporal dev server not ready: {error}", file=sys.stderr)
        return 0 if supervisor.stop_requested else 1
    start_app(supervisor, api_port)
    print(
        f"[dev] Temporal {address} · UI http://{host}:{ui_port} · API http://{API_HOST}:{api_port}/docs"
        f" · state in {VAR_DIR} (rm -rf var = fresh start) · Ctrl-C stops",
        flush=True,
    )
    return watch(supervisor)


def main() -> int:
    supervisor = Supervisor()
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    try:
        return run(supervisor)
    except subprocess.CalledProcessError as error:
        print(f"[dev] migrations failed (exit code {error.returncode})", file=sys.stderr)
        return 1
    finally:
        supervisor.stop_all()
        print("[dev] stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
