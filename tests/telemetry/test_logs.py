"""Log lines: one JSON object a line in production with the context where it was logged; readable text elsewhere."""

import dataclasses
import io
import json
import logging
from collections.abc import Iterator

import pytest
from temporalio import activity
from temporalio.testing import ActivityEnvironment

from settings import Settings
from telemetry.logs import Request, current_request, handler


@pytest.fixture
def written() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of the test's own, writing through the production handler to a string."""
    stream = io.StringIO()
    logger = logging.getLogger("tests.telemetry.logs")
    logger.handlers[:] = [handler(Settings(env="production", jwt_secret="x" * 32), "api", stream)]
    logger.propagate, logger.level = False, logging.INFO
    yield logger, stream
    logger.handlers.clear()


def test_a_line_logged_while_serving_a_request_is_json_with_the_request_and_its_case(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = written
    token = current_request.set(Request("req-1", {"path_params": {"case_id": "c-42"}}))
    try:
        logger.warning("refund of %s fen refused", 5900)
    finally:
        current_request.reset(token)

    line = json.loads(stream.getvalue())
    assert {key: line[key] for key in ("level", "logger", "message", "service", "request_id", "case_id")} == {
        "level": "WARNING",
        "logger": "tests.telemetry.logs",
        "message": "refund of 5900 fen refused",
        "service": "api",
        "request_id": "req-1",
        "case_id": "c-42",
    }
    assert line["time"].startswith("20")


async def test_a_line_logged_by_an_activity_names_its_workflow_and_case(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = written
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, workflow_id="case-c-7")

    @activity.defn
    async def record() -> None:
        logger.info("recorded")

    await environment.run(record)

    line = json.loads(stream.getvalue())
    assert (line["message"], line["workflow_id"], line["case_id"]) == ("recorded", "case-c-7", "c-7")


def test_development_logs_are_readable_text_with_the_context_beside_the_logger() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.telemetry.text")
    logger.handlers[:] = [handler(Settings(), "worker", stream)]
    logger.propagate = False
    token = current_request.set(Request("req-2", {}))
    try:
        logger.warning("hello")
    finally:
        current_request.reset(token)
        logger.handlers.clear()

    assert stream.getvalue().rstrip().endswith(" worker WARNING tests.telemetry.text [request_id=req-2]: hello")
