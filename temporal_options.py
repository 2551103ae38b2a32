"""How the service's processes meet Temporal, as plain values built from settings: where the cluster is and how to
prove who we are (TLS, mutual TLS or an API key), and how much one worker takes on at once.

`connect_args` is the one place that turns a target into `Client.connect` arguments: the API, the worker and
devtools all connect through it.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypedDict

from temporalio.service import TLSConfig
from temporalio.worker import PollerBehaviorSimpleMaximum

from settings import Settings


@dataclass(frozen=True)
class TemporalTarget:
    """A Temporal frontend and namespace. `tls=None` turns TLS on when any TLS file, a server name or an API key is
    given; `True` also without them (the system's roots, no client certificate); `False` never."""

    address: str
    namespace: str = "default"
    tls: bool | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    server_ca: Path | None = None
    server_name: str | None = None
    api_key: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, settings: Settings) -> "TemporalTarget":
        api_key = settings.temporal_api_key
        return cls(
            address=settings.temporal_address,
            namespace=settings.temporal_namespace,
            tls=settings.temporal_tls,
            client_cert=settings.temporal_tls_cert,
            client_key=settings.temporal_tls_key,
            server_ca=settings.temporal_tls_ca,
            server_name=settings.temporal_tls_server_name,
            api_key=api_key.get_secret_value() if api_key is not None else None,
        )


class ConnectArgs(TypedDict):
    target_host: str
    namespace: str
    tls: bool | TLSConfig | None
    api_key: str | None


def connect_args(target: TemporalTarget) -> ConnectArgs:
    """`Client.connect(**connect_args(target), …)`: the address, the namespace, TLS (certificates read now) and the
    API key (sent as `Authorization: Bearer …`; with `tls=None` it turns TLS on, as Temporal Cloud expects)."""
    return {
        "target_host": target.address,
        "namespace": target.namespace,
        "tls": _tls(target),
        "api_key": target.api_key,
    }


def _tls(target: TemporalTarget) -> bool | TLSConfig | None:
    files = (target.client_cert, target.client_key, target.server_ca)
    given = any(f is not None for f in files) or target.server_name is not None
    if target.tls is False or not given:
        return target.tls  # False; True: the system's roots; None: the SDK turns TLS on for an API key
    return TLSConfig(
        server_root_ca_cert=_read(target.server_ca),
        domain=target.server_name,
        client_cert=_read(target.client_cert),
        client_private_key=_read(target.client_key),
    )


def _read(path: Path | None) -> bytes | None:
    return path.read_bytes() if path is not None else None


@dataclass(frozen=True)
class WorkerTuning:
    """How much one worker process takes on at once; the defaults are the SDK's, but the sticky cache is bounded so
    a worker's memory stays flat however many cases wait (an evicted case replays when it next moves)."""

    max_concurrent_workflow_tasks: int = 100
    max_concurrent_activities: int = 100
    max_concurrent_local_activities: int = 100
    workflow_task_pollers: int = 5
    activity_task_pollers: int = 5
    max_cached_workflows: int = 1000
    # How long a case's next task waits for the worker that cached it before any worker takes it (and replays).
    sticky_timeout: timedelta = timedelta(seconds=10)

    @classmethod
    def of(cls, settings: Settings) -> "WorkerTuning":
        return cls(
            max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
            max_concurrent_activities=settings.worker_max_concurrent_activities,
            max_concurrent_local_activities=settings.worker_max_concurrent_local_activities,
            workflow_task_pollers=settings.worker_workflow_task_pollers,
            activity_task_pollers=settings.worker_activity_task_pollers,
            max_cached_workflows=settings.worker_max_cached_workflows,
            sticky_timeout=settings.worker_sticky_timeout,
        )


class WorkerArgs(TypedDict):
    max_concurrent_workflow_tasks: int
    max_concurrent_activities: int
    max_concurrent_local_activities: int
    workflow_task_poller_behavior: PollerBehaviorSimpleMaximum
    activity_task_poller_behavior: PollerBehaviorSimpleMaximum
    max_cached_workflows: int
    sticky_queue_schedule_to_start_timeout: timedelta


def worker_args(tuning: WorkerTuning) -> WorkerArgs:
    """`Worker(…, **worker_args(tuning))`."""
    return {
        "max_concurrent_workflow_tasks": tuning.max_concurrent_workflow_tasks,
        "max_concurrent_activities": tuning.max_concurrent_activities,
        "max_concurrent_local_activities": tuning.max_concurrent_local_activities,
        "workflow_task_poller_behavior": PollerBehaviorSimpleMaximum(tuning.workflow_task_pollers),
        "activity_task_poller_behavior": PollerBehaviorSimpleMaximum(tuning.activity_task_pollers),
        "max_cached_workflows": tuning.max_cached_workflows,
        "sticky_queue_schedule_to_start_timeout": tuning.sticky_timeout,
    }
