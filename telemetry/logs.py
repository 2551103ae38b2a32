"""The processes' log lines: JSON, one object a line, in production (`AFTERSALES_LOG_FORMAT=json`), readable text
elsewhere. Every line says when, which service, level, logger and message, and the context known where it was
logged: the request's id and the case of its path (API), the workflow and its case (worker), the trace (when on).
"""

import logging
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TextIO

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity, workflow

from settings import Settings

CONTEXT_FIELDS = ("request_id", "case_id", "workflow_id", "trace_id", "span_id")
CASE_WORKFLOW_PREFIX = "case-"


@dataclass(frozen=True)
class Request:
    """The request being served: its id, and its ASGI scope, where routing puts the path's parameters."""

    request_id: str
    scope: Mapping[str, Any]

    def fields(self) -> dict[str, str]:
        found = {"request_id": self.request_id}
        case_id = (self.scope.get("path_params") or {}).get("case_id")
        if isinstance(case_id, str):
            found["case_id"] = case_id
        return found


current_request: ContextVar[Request | None] = ContextVar("current_request", default=None)


def configure(settings: Settings, service: str) -> None:
    """This process's logging: one handler on the root logger, which uvicorn's loggers propagate to."""
    root = logging.getLogger()
    root.handlers[:] = [handler(settings, service)]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    if settings.logs_as_json:  # the workflow's and activity's details are fields already
        workflow.logger.workflow_info_on_message = False
        activity.logger.activity_info_on_message = False


def handler(settings: Settings, service: str, stream: TextIO = sys.stderr) -> logging.Handler:
    found = logging.StreamHandler(stream)
    found.addFilter(ContextFields(service))
    found.setFormatter(json_formatter() if settings.logs_as_json else ReadableFormatter())
    return found


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],  # uvicorn's message again, with terminal colours
    )


class ReadableFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(service)s %(levelname)s %(name)s%(context)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        shown = " ".join(f"{key}={getattr(record, key)}" for key in CONTEXT_FIELDS if hasattr(record, key))
        record.context = f" [{shown}]" if shown else ""
        return super().format(record)


SIGNED_LINK = re.compile(r"(/evidence-links/)[^\s?\"]+")  # a live link in a log line would open its file


class ContextFields(logging.Filter):
    """Puts the service and the context known where a record was logged on it, as its own fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):  # an evidence link opens a file
            record.args = tuple(SIGNED_LINK.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args)
        for key, value in context(record).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def context(record: logging.LogRecord) -> dict[str, str]:
    request = current_request.get()
    found = request.fields() if request else {}
    workflow_id = _workflow_id(record)
    if workflow_id:
        found["workflow_id"] = workflow_id
        if workflow_id.startswith(CASE_WORKFLOW_PREFIX):
            found.setdefault("case_id", workflow_id.removeprefix(CASE_WORKFLOW_PREFIX))
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        found["trace_id"], found["span_id"] = format(span.trace_id, "032x"), format(span.span_id, "016x")
    return found


def _workflow_id(record: logging.LogRecord) -> str | None:
    """From the details the SDK's workflow and activity loggers attach, or the activity being run."""
    for details in (getattr(record, "temporal_workflow", None), getattr(record, "temporal_activity", None)):
        if isinstance(details, dict) and details.get("workflow_id"):
            return str(details["workflow_id"])
    if activity.in_activity():
        return activity.info().workflow_id or None
    return None
