"""Who sends a case command, carried where the Temporal UI cannot reach: a Temporal header.

The API's client (`api.caller_header.CallerHeader`) puts the role and identity of every command it sends in the
`aftersales-caller` header; the worker (`CallerCheck`) makes that header the only source of a command's role. A
command without it — typed in the Temporal UI's update dialog, or sent by any client without the interceptor — is an
agent's, whatever its JSON claims, and is held to the agent's validators (a buyer's `withdraw` is 403 `forbidden`); the
feeds only the service relays (a parcel's tracking, a stored file's evidence) are refused without it.

The header is signed (HMAC-SHA256) with a key only the API and the worker hold (`AFTERSALES_CALLER_KEYS`): over the
caller, the moment it was sent, the update's name and id and the case's workflow id. Anyone else who reaches
Temporal can send an update without a header (an agent's, as the UI does), never one as a buyer, a merchant or the
system: the validator refuses a header that is unsigned, signed with an unknown key or for another update or case,
or older than `FRESH` by the workflow's clock (403 `forbidden`). The check is pure computation in the validator, so
a refusal writes nothing to the history and replay never runs it.
"""

import base64
import dataclasses
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadConverter
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

import signing_keys
from rulebook.enums import Role

HEADER = "aftersales-caller"
SERVICE_ONLY = frozenset({"tracking", "add_evidence"})  # facts the service checked before sending them
SERVICE = {"role": str(Role.SYSTEM), "actor_id": "platform"}
PATCH = "caller-from-header"  # before it, a command's role was the one its JSON named
FRESH = timedelta(minutes=5)  # a signed header older (or newer) than this by the workflow's clock is refused
SIGNED = ("role", "actor_id", "shop_id", "at", "update", "update_id", "workflow_id", "kid")
# Development's key (and the tests'): never outside development, where AFTERSALES_CALLER_KEYS is required.
DEV_CALLER_KEYS = "dev:" + base64.b64encode(b"aftersales-dev-caller-key-do-not-use-in-production").decode()


@dataclasses.dataclass(frozen=True)
class CallerKeys:
    """`kid:base64secret,…`: the first key signs, every key verifies (rotation: add the new key second everywhere,
    then move it first, then drop the old one)."""

    signing: str  # the kid of the key that signs
    secrets: Mapping[str, bytes]

    @classmethod
    def parse(cls, text: str) -> "CallerKeys":
        keys = signing_keys.parse(text, "caller key")
        return cls(signing=keys[0][0], secrets=dict(keys))

    @classmethod
    def development(cls) -> "CallerKeys":
        return cls.parse(DEV_CALLER_KEYS)

    def sign(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        signed = {**{name: fields.get(name) for name in SIGNED}, "kid": self.signing}
        return {**signed, "sig": _mac(self.secrets[self.signing], signed)}

    def problem(
        self, caller: Mapping[str, Any], *, update: str, update_id: str, workflow_id: str, now: datetime
    ) -> str:
        """Why a header cannot be trusted, or "" when it is the service's own, for this very update, and fresh."""
        secret = self.secrets.get(str(caller.get("kid")))
        given = caller.get("sig")
        if secret is None or not isinstance(given, str):
            return "the caller header is not signed with a key of the service"
        if not hmac.compare_digest(given, _mac(secret, {name: caller.get(name) for name in SIGNED})):
            return "the caller header's signature does not match"
        if (caller.get("update"), caller.get("update_id"), caller.get("workflow_id")) != (
            update,
            update_id,
            workflow_id,
        ):
            return "the caller header was signed for another update"
        at = caller.get("at")
        if not isinstance(at, int) or isinstance(at, bool) or abs(now.timestamp() - at) > FRESH.total_seconds():
            return "the caller header is stale"
        return ""


def _mac(secret: bytes, fields: Mapping[str, Any]) -> str:
    message = json.dumps(dict(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


class CallerCheck(Interceptor):
    """The worker's side: a command's role and identity are the header's — once its signature, update and age are
    checked against `keys` — or an agent's without it."""

    def __init__(self, keys: CallerKeys | None = None) -> None:
        self.keys = keys or CallerKeys.development()

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        keys = self.keys

        class _CheckWithKeys(_CheckCaller):
            _keys = keys

        return _CheckWithKeys


class _CheckCaller(WorkflowInboundInterceptor):
    _keys: CallerKeys

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        if input.update in SERVICE_ONLY and HEADER not in input.headers:
            raise ApplicationError(f"only the service sends {input.update}", type="forbidden", non_retryable=True)
        header = input.headers.get(HEADER)
        if header is not None:
            problem = self._keys.problem(
                _caller(header),
                update=input.update,
                update_id=input.id,
                workflow_id=workflow.info().workflow_id,
                now=workflow.now(),
            )
            if problem:
                raise ApplicationError(problem, type="forbidden", non_retryable=True)
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
        caller = _caller(header)
        sent = dataclasses.replace(command, role=Role(caller["role"]), actor_id=str(caller["actor_id"]))
    return dataclasses.replace(input, args=[sent, *input.args[1:]])


def _caller(header: Payload) -> dict[str, Any]:
    try:
        caller = PayloadConverter.default.from_payloads([header], [dict])[0]
    except Exception:  # not JSON at all: as untrusted as a bad signature
        caller = None
    return caller if isinstance(caller, dict) else {}
