"""The service's Temporal data converter: pydantic's JSON (`temporalio.contrib.pydantic`), with its type adapters
built once per process, and a failure converter under which a refusal is one sentence.

The SDK gives every workflow run a payload converter of its own, and pydantic's keeps its type adapters per
converter: each new case rebuilt the adapters of its input and its facts, ~5 ms of CPU. Here an adapter is shared
by every run for a type the process itself imported. A workflow's own module is imported afresh into each run's
sandbox: an adapter kept for one of its types would keep that sandbox alive, so those keep the SDK's own cache.
"""

import functools
import sys
import types
import typing
from typing import Any

from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)
from temporalio.converter import PayloadConverter as SDKPayloadConverter
from temporalio.exceptions import ApplicationError

_PROCESS_MODULES = sys.modules  # this module is imported outside any sandbox: the process's own module table


@functools.lru_cache(maxsize=256)
def _adapter(type_hint: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_hint)


def process_wide(type_hint: object) -> bool:
    """Whether `type_hint` is made only of classes the process imported (not a sandbox's copies)."""
    try:
        hash(type_hint)
    except TypeError:
        return False
    if type_hint is None or type_hint is Any:
        return True
    origin = typing.get_origin(type_hint)
    if origin is not None:
        return process_wide(origin) and all(process_wide(arg) for arg in typing.get_args(type_hint))
    module = _PROCESS_MODULES.get(getattr(type_hint, "__module__", ""))
    named = getattr(module, getattr(type_hint, "__qualname__", ""), None) if module else None
    return named is type_hint or type_hint is types.NoneType


class _SharedAdaptersJSON(PydanticJSONPlainPayloadConverter):
    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        if type_hint is not None and process_wide(type_hint):
            return _adapter(type_hint).validate_json(payload.data)
        return super().from_payload(payload, type_hint)


class PayloadConverter(CompositePayloadConverter):
    """`PydanticPayloadConverter`, with the JSON converter above."""

    def __init__(self) -> None:
        json = _SharedAdaptersJSON()
        super().__init__(
            *(
                json if isinstance(converter, JSONPlainPayloadConverter) else converter
                for converter in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


# The ApplicationError types a validator or a handler refuses a command with (the API answers them 4xx:
# api/case_workflow.py `_refused`). They are the command's answer, not a crash.
REFUSALS = frozenset({"invalid_state", "forbidden", "invalid_request", "invalid_amount", "extension_too_long"})


class FailureConverter(DefaultFailureConverter):
    """The SDK's failures, except that a refusal carries no Python stack trace: the Temporal UI shows the failure's
    stack trace under its message, so an agent whose update is refused would read a traceback of the workflow's
    code beneath the one sentence that says why. Its type, message and details (the API's error mapping) stay."""

    def to_failure(self, exception: BaseException, payload_converter: SDKPayloadConverter, failure: Failure) -> None:
        super().to_failure(exception, payload_converter, failure)
        if isinstance(exception, ApplicationError) and exception.type in REFUSALS:
            failure.stack_trace = ""
            failure.ClearField("cause")


data_converter = DataConverter(payload_converter_class=PayloadConverter, failure_converter_class=FailureConverter)
