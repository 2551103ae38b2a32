"""The client side of the caller header (`workflows/callers.py`): the API's (and the worker's own) Temporal client
signs who sends each update. Outside `workflows/`, whose helpers the workflow sandbox shares and which must never
read the clock or draw random ids."""

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Interceptor as ClientInterceptor
from temporalio.client import OutboundInterceptor, StartWorkflowUpdateInput, WorkflowUpdateHandle
from temporalio.converter import PayloadConverter

from workflows.callers import HEADER, SERVICE, CallerKeys


async def _wall_clock() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


class CallerHeader(ClientInterceptor):
    """The API's (and the worker's own) client: each update carries its caller — the role it names, else the
    service's — signed with the first of `keys` (development's without them). `clock` is when the header is signed:
    the wall clock, or a time-skipping test server's own."""

    def __init__(self, keys: CallerKeys | None = None) -> None:
        self.keys = keys or CallerKeys.development()
        self.clock: Callable[[], Awaitable[datetime]] = _wall_clock

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _CarryCaller(next, self)


class _CarryCaller(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, header: CallerHeader) -> None:
        super().__init__(next)
        self._header = header

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        input.update_id = input.update_id or str(uuid.uuid4())  # what the SDK would pick, named now to be signed
        now = await self._header.clock()
        sent = {
            "update": input.update,
            "update_id": input.update_id,
            "workflow_id": input.id,
            "at": int(now.timestamp()),
        }
        caller = self._header.keys.sign({**(_named_caller(input.args) or SERVICE), **sent})
        input.headers = {**input.headers, HEADER: PayloadConverter.default.to_payloads([caller])[0]}
        return await super().start_workflow_update(input)


def _named_caller(args: Sequence[Any]) -> dict[str, str] | None:
    command = args[0] if args else None
    if command is None or not all(hasattr(command, name) for name in ("role", "actor_id")):
        return None
    shop_id = getattr(command, "shop_id", None)
    named = {"role": str(command.role), "actor_id": str(command.actor_id)}
    return named | ({"shop_id": str(shop_id)} if shop_id is not None else {})
