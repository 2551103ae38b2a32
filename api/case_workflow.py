"""The API's two calls to the case workflow: start it for a new case, and send it an action (as an update).

Temporal's failures become API errors here, so routes never see a Temporal exception.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, NoReturn

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError, Forbidden, InvalidState, Unavailable, Unprocessable
from models.case import Case
from rulebook.enums import CaseStatus, Party
from settings import Settings
from workflows import search_attributes as sa
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput

log = logging.getLogger("api")


def workflow_id(case_id: str) -> str:
    return f"case-{case_id}"


async def start_case(client: Client, case: Case, settings: Settings) -> None:
    """Starts the case's workflow and, in the same call, waits until it has stored the opening
    (and any instant decision): update-with-start, so a case decided at once cannot finish before we ask.
    """
    start = WithStartWorkflowOperation(
        CaseWorkflow.run,
        _input(case, settings),
        id=case.workflow_id,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        task_queue=settings.task_queue,
        search_attributes=sa.at_start(
            kind=case.kind,
            shop_id=case.shop_id,
            buyer_id=case.buyer_id,
            order_id=case.order_id,
            status=CaseStatus.AWAITING_MERCHANT,
            awaiting=Party.MERCHANT,
            urgent=case.urgent,
        ),
        static_summary=_summary(case),
        static_details=_details(case),
    )
    try:
        await client.execute_update_with_start_workflow(CaseWorkflow.opened, start_workflow_operation=start)
    except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError, WorkflowUpdateFailedError) as error:
        if not await _started(start):
            log.warning("could not start %s: %s", case.workflow_id, error)
            raise Unavailable("the case service is unavailable; try again", code="temporal_unavailable") from error
        # Started: the workflow stores the opening by itself; the answer shows the case as stored so far.
        log.warning("%s started but did not confirm its opening: %s", case.workflow_id, error)


async def _started(start: WithStartWorkflowOperation[Any, Any]) -> bool:
    try:
        await asyncio.wait_for(start.workflow_handle(), timeout=0.1)
    except Exception:
        return False
    return True


async def send_action(client: Client, case: Case, request: ActionRequest) -> None:
    """Sends one command; the workflow's validator refuses illegal ones before anything is recorded."""
    handle = client.get_workflow_handle_for(CaseWorkflow.run, case.workflow_id)
    try:
        await handle.execute_update(CaseWorkflow.act, request)
    except WorkflowUpdateFailedError as error:
        _refused(error.cause, case)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:  # the workflow has completed: the case is closed
            raise InvalidState(f"cannot {request.action} a case that is {case.status}", case.status) from error
        raise Unavailable("the case service is unavailable; try again", code="temporal_unavailable") from error
    except WorkflowUpdateRPCTimeoutOrCancelledError as error:
        raise Unavailable("the case did not answer in time; try again", code="temporal_unavailable") from error


def _refused(cause: BaseException, case: Case) -> NoReturn:
    if not isinstance(cause, ApplicationError):
        raise ApiError("the action failed", http_status=500, code="action_failed") from cause
    status = _status_of(cause) or case.status
    if cause.type == "invalid_state":
        raise InvalidState(cause.message, status) from cause
    if cause.type == "forbidden":
        raise Forbidden(cause.message) from cause
    if cause.type == "invalid_amount":
        raise Unprocessable(cause.message, code="invalid_amount") from cause
    raise ApiError(cause.message, http_status=500, code="action_failed") from cause


def _status_of(error: ApplicationError) -> str | None:
    details: Sequence[Any] = error.details
    first = details[0] if details else None
    return str(first["status"]) if isinstance(first, dict) and "status" in first else None


def _input(case: Case, settings: Settings) -> CaseInput:
    return CaseInput(
        case_id=case.case_id,
        kind=case.kind,
        order_id=case.order_id,
        buyer_id=case.buyer_id,
        shop_id=case.shop_id,
        amount_cents=case.amount_cents,
        reason=case.reason,
        urgent=case.urgent,
        timers=settings.case_timers(),
        thresholds=settings.case_thresholds(),
    )


def _summary(case: Case) -> str:
    urgent = " · URGENT" if case.urgent else ""
    amount = f"¥{case.amount_cents / 100:.2f}"
    return f"{case.kind} · order {case.order_id} · {amount} · {case.buyer_id} → {case.shop_id}{urgent}"


def _details(case: Case) -> str:
    lines = [
        f"**Case** {case.case_id} ({case.kind})",
        f"**Order** {case.order_id} · buyer {case.buyer_id} · shop {case.shop_id}",
        f"**Asked** ¥{case.amount_cents / 100:.2f} · reason {case.reason}",
    ]
    if case.description:
        lines.append(f"**Buyer says** {case.description[:500]}")
    return "\n\n".join(lines)
