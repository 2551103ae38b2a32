"""The API's calls to the case workflow: start it for a new case, and send it an action or new evidence (updates).

Temporal's failures become API errors here, so routes never see a Temporal exception.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, NoReturn

from temporalio.api.history.v1 import WorkflowExecutionStartedEventAttributes
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError, Forbidden, InvalidState, Unavailable, Unprocessable
from models.case import Case
from settings import Settings
from workflows import starting
from workflows.case import CaseWorkflow
from workflows.messages import ActionRequest, CaseInput, ChainAnchor, EvidenceAdded, TrackingUpdate
from workflows.starting import start_operation

log = logging.getLogger("api")
ANCHOR_TIMEOUT = 5.0  # seconds a /verify waits for the workflow's anchor


def workflow_id(case_id: str) -> str:
    return f"case-{case_id}"


async def start_case(
    client: Client, case: Case, settings: Settings, conflict: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.FAIL
) -> None:
    """Starts the case's workflow and, in the same call, waits until it has stored the opening
    (and any instant decision): update-with-start, so a case decided at once cannot finish before we ask.
    `USE_EXISTING` finishes an opening whose request died between storing the case and hearing it opened.
    """
    start = start_operation(case, case_input(case, settings), settings.task_queue, conflict)
    try:
        await client.execute_update_with_start_workflow(CaseWorkflow.opened, start_workflow_operation=start)
    except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError, WorkflowUpdateFailedError, RuntimeError) as error:
        if isinstance(error, RuntimeError) and not _connect_failed(error):
            raise
        if not await _started(client, start, case.workflow_id):
            log.warning("could not start %s: %s", case.workflow_id, error)
            raise Unavailable("the case service is unavailable; try again", code="temporal_unavailable") from error
        # Started: the workflow stores the opening by itself; the answer shows the case as stored so far.
        log.warning("%s started but did not confirm its opening: %s", case.workflow_id, error)


async def _started(client: Client, start: WithStartWorkflowOperation[Any, Any], workflow_id: str) -> bool:
    """Whether the workflow exists, though its opening was not confirmed. Under load the update can time out after
    the start took effect and before the operation learnt of it: then only Temporal's own record tells, and a case
    row deleted on a wrong "no" leaves a workflow with no case (found by the benchmarks)."""
    try:
        await asyncio.wait_for(start.workflow_handle(), timeout=0.1)
        return True
    except Exception:
        pass
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except Exception as error:  # Temporal unreachable: as unknown as a failed start, and answered so
        if isinstance(error, RPCError) and error.status == RPCStatusCode.NOT_FOUND:
            return False
        raise Unavailable("the case service is unavailable; try again", code="temporal_unavailable") from error
    return True


async def send_action(client: Client, case: Case, request: ActionRequest, update_id: str | None = None) -> None:
    """Sends one command; the workflow's validator refuses illegal ones before anything is recorded.

    `update_id` names the command for good (a request's idempotency key): sent again, Temporal answers with the
    first outcome while the run that took it runs, the case's later runs answer it without applying it again
    (they carry the ids: workflows/continuation.py), and once the case has closed its history still shows it applied.
    """
    handle = client.get_workflow_handle_for(CaseWorkflow.run, case.workflow_id)
    try:
        await handle.execute_update(CaseWorkflow.act, request, id=update_id)
    except Exception as error:
        if update_id is not None and _closed(error) and await _applied(client, handle, update_id):
            return  # an earlier attempt of this very request closed the case: its effect is known
        _raise_api_error(error, case, f"cannot {request.action} a case that is {case.status}")


def _closed(error: Exception) -> bool:
    return isinstance(error, RPCError) and error.status == RPCStatusCode.NOT_FOUND


async def _applied(client: Client, handle: WorkflowHandle[Any, Any], update_id: str) -> bool:
    """Whether the case's last run completed an update named `update_id`, or was handed it as applied by an earlier
    run when the case continued as new."""
    async for event in handle.fetch_history_events():
        if event.HasField("workflow_execution_started_event_attributes"):
            if update_id in await _carried_update_ids(client, event.workflow_execution_started_event_attributes):
                return True
        elif (
            event.HasField("workflow_execution_update_completed_event_attributes")
            and event.workflow_execution_update_completed_event_attributes.meta.update_id == update_id
        ):
            return True
    return False


async def _carried_update_ids(client: Client, started: WorkflowExecutionStartedEventAttributes) -> tuple[str, ...]:
    if not started.continued_execution_run_id:
        return ()
    (opened,) = await client.data_converter.decode(started.input.payloads, [CaseInput])
    if not isinstance(opened, CaseInput):
        return ()
    if opened.state is not None:
        return tuple(opened.state.applied)
    return opened.carried.update_ids if opened.carried else ()


async def send_agent_command(client: Client, case: Case, update: Any, command: Any, what: str) -> None:
    """An agent's typed command (`workflows/agent_desk.py`: override, reassign), as the UI's update dialog sends it;
    a closed case whose workflow has ended answers 409 `invalid_state`."""
    handle = client.get_workflow_handle_for(CaseWorkflow.run, case.workflow_id)
    try:
        await handle.execute_update(update, command)
    except Exception as error:
        _raise_api_error(error, case, f"cannot {what} a case that is {case.status}: its workflow has ended")


async def add_evidence(client: Client, case: Case, added: EvidenceAdded) -> None:
    """Puts a stored file on the case's timeline; 409 `invalid_state` once the case is closed."""
    handle = client.get_workflow_handle_for(CaseWorkflow.run, case.workflow_id)
    try:
        await handle.execute_update(CaseWorkflow.add_evidence, added, id=f"evidence-{added.evidence_id}")
    except Exception as error:
        _raise_api_error(error, case, f"cannot add evidence to a case that is {case.status}")


async def send_tracking(client: Client, case: Case, update: TrackingUpdate) -> bool:
    """Forwards a tracking event of the case's parcel; False when the case no longer takes it (closed, moved on).
    The update id is the event's own key, so a repeated event is one update (and the workflow ignores it anyway).
    """
    handle = client.get_workflow_handle_for(CaseWorkflow.run, case.workflow_id)
    try:
        await handle.execute_update(CaseWorkflow.tracking, update, id=f"tracking-{update.key}")
    except Exception as error:
        if _not_taken(error):
            return False
        _raise_api_error(error, case, f"case {case.case_id} is {case.status}")
    return True


def _not_taken(error: Exception) -> bool:
    """The workflow refused the update (its validator) or has completed."""
    if isinstance(error, WorkflowUpdateFailedError):
        cause = error.cause
        return isinstance(cause, ApplicationError) and cause.type in ("invalid_state", "invalid_request")
    return isinstance(error, RPCError) and error.status == RPCStatusCode.NOT_FOUND


def _raise_api_error(error: Exception, case: Case, closed_message: str) -> NoReturn:
    """Temporal's failure of an update, as the API's error."""
    if isinstance(error, WorkflowUpdateFailedError):
        _refused(error.cause, case)
    if isinstance(error, RPCError) and error.status == RPCStatusCode.NOT_FOUND:
        raise InvalidState(closed_message, case.status) from error  # the workflow has completed: the case is closed
    if isinstance(error, RPCError) or (isinstance(error, RuntimeError) and _connect_failed(error)):
        raise Unavailable("the case service is unavailable; try again", code="temporal_unavailable") from error
    if isinstance(error, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise Unavailable("the case did not answer in time; try again", code="temporal_unavailable") from error
    raise error


def _connect_failed(error: RuntimeError) -> bool:
    """A client that has never reached the server (connected lazily) fails with this RuntimeError."""
    return str(error).startswith("Failed client connect")


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
    if cause.type in ("invalid_request", "extension_too_long"):
        raise Unprocessable(cause.message, code=cause.type) from cause
    raise ApiError(cause.message, http_status=500, code="action_failed") from cause


def _status_of(error: ApplicationError) -> str | None:
    details: Sequence[Any] = error.details
    first = details[0] if details else None
    return str(first["status"]) if isinstance(first, dict) and "status" in first else None


def case_input(case: Case, settings: Settings) -> CaseInput:
    """The workflow's input for `case` (also what the facts activity reads the case with)."""
    return starting.case_input(
        case,
        settings.case_timers(),
        settings.case_thresholds(),
        settings.case_deadlines(),
        settings.history_events_limit,
    )


async def chain_anchor(client: Client, case: Case) -> ChainAnchor | None:
    """The timeline's hashes as the case's workflow recorded them; None when Temporal cannot say (unavailable, or
    a closed case no worker can replay just now), so `/verify` checks what it can and says it was not anchored."""
    handle = client.get_workflow_handle_for(CaseWorkflow.run, case.workflow_id)
    try:
        return await asyncio.wait_for(handle.query(CaseWorkflow.chain), timeout=ANCHOR_TIMEOUT)
    except Exception as error:
        log.warning("no chain anchor for %s: %s", case.workflow_id, error)
        return None
