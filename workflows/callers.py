"""Who sends a case command, carried where the Temporal UI cannot reach: a Temporal header.

The API's client (`CallerHeader`) puts the role and identity of every command it sends in the `aftersales-caller`
header; the worker (`CallerCheck`) makes that header the only source of a command's role. A command without it —
typed in the Temporal UI's update dialog, or sent by any client without the interceptor — is an agent's,
whatever its JSON claims, and is held to the agent's validators (a buyer's `withdraw` is 403 `forbidden`); the
feeds only the service relays (a parcel's tracking, a stored file's evidence) are refused without it.
"""

import dataclasses
from collections.abc import Sequence
from typing import Any

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import Interceptor as ClientInterceptor
from temporalio.client import OutboundInterceptor, StartWorkflowUpdateInput, WorkflowUpdateHandle
from temporalio.converter import PayloadConverter
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from rulebook.enums import Role

HEADER = "aftersales-caller"
SERVICE_ONLY = frozenset({"tracking", "add_evidence"})  # facts the service checked before sending them
SERVICE = {"role": str(Role.SYSTEM), "actor_id": "platform"}
PATCH = "caller-from-header"  # before it, a command's role was the one its JSON named


class CallerHeader(ClientInterceptor):
    """The API's (and the worker's own) client: each update naming a role carries it in the header too."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _CarryCaller(next)


class _CarryCaller(OutboundInterceptor):
    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        caller = _named_caller(input.args) or SERVICE
        input.headers = {**input.headers, HEADER: PayloadConverter.default.to_payloads([caller])[0]}
        return await super().start_workflow_update(input)


def _named_caller(args: Sequence[Any]) -> dict[str, str] | None:
    command = args[0] if args else None
    if command is None or not all(hasattr(command, name) for name in ("role", "actor_id")):
        return None
    return {"role": str(command.role), "actor_id": str(command.actor_id)}


class CallerCheck(Interceptor):
    """The worker's side: a command's role and identity are the header's, or an agent's without it."""

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return _CheckCaller


class _CheckCaller(WorkflowInboundInterceptor):
    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        if input.update in SERVICE_ONLY and HEADER not in input.headers:
            raise ApplicationError(f"only the service sends {input.update}", type="forbidden")
        super().handle_update_validator(_as_sent_by(input))  # validators never run on replay: no patch needed

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        if _carries_role(input) and workflow.patched(PATCH):
            input = _as_sent_by(input)
        return await super().handle_update_handler(input)


def _carries_role(input: HandleUpdateInput) -> bool:
    return bool(input.args) and all(hasattr(input.args[0], name) for name in ("role", "actor_id"))


def _as_sent_by(input: HandleUpdateInput) -> HandleUpdateInput:
    if not _carries_role(input):
        return input
    command = input.args[0]
    header: Payload | None = input.headers.get(HEADER)
    if header is None:
        sent = dataclasses.replace(command, role=Role.AGENT)
    else:
        caller = PayloadConverter.default.from_payloads([header], [dict])[0]
        sent = dataclasses.replace(command, role=Role(caller["role"]), actor_id=str(caller["actor_id"]))
    return dataclasses.replace(input, args=[sent, *input.args[1:]])
