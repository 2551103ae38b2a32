"""How every process reaches Temporal (address, namespace, TLS or an API key) and how a worker is tuned."""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import PollerBehaviorSimpleMaximum

from activities.adapters.payments import FakePaymentProvider
from models.db import create_engine, session_factory
from settings import Settings
from temporal_options import TemporalTarget, WorkerTuning, connect_args
from worker import build_worker


@pytest.fixture
def tls_files(tmp_path: Path) -> dict[str, Path]:
    files = {name: tmp_path / f"{name}.pem" for name in ("cert", "key", "ca")}
    for name, path in files.items():
        path.write_bytes(f"-----{name}-----".encode())
    return files


def test_mutual_tls_and_an_api_key_are_read_from_the_environment_into_the_connect_arguments(
    monkeypatch: pytest.MonkeyPatch, tls_files: dict[str, Path]
) -> None:
    monkeypatch.setenv("AFTERSALES_TEMPORAL_ADDRESS", "aftersales.a1b2c.tmprl.cloud:7233")
    monkeypatch.setenv("AFTERSALES_TEMPORAL_NAMESPACE", "aftersales.a1b2c")
    monkeypatch.setenv("AFTERSALES_TEMPORAL_TLS_CERT", str(tls_files["cert"]))
    monkeypatch.setenv("AFTERSALES_TEMPORAL_TLS_KEY", str(tls_files["key"]))
    monkeypatch.setenv("AFTERSALES_TEMPORAL_TLS_CA", str(tls_files["ca"]))
    monkeypatch.setenv("AFTERSALES_TEMPORAL_TLS_SERVER_NAME", "frontend.temporal.internal")
    monkeypatch.setenv("AFTERSALES_TEMPORAL_API_KEY", "tmprl-key-secret")
    settings = Settings()

    args = connect_args(TemporalTarget.of(settings))

    assert (args["target_host"], args["namespace"]) == ("aftersales.a1b2c.tmprl.cloud:7233", "aftersales.a1b2c")
    assert args["api_key"] == "tmprl-key-secret"
    assert args["tls"] == TLSConfig(
        server_root_ca_cert=b"-----ca-----",
        domain="frontend.temporal.internal",
        client_cert=b"-----cert-----",
        client_private_key=b"-----key-----",
    )
    assert "tmprl-key-secret" not in repr(settings) and "tmprl-key-secret" not in repr(TemporalTarget.of(settings))


def test_by_default_the_connection_is_plain_and_an_api_key_alone_leaves_tls_to_the_sdk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TLS", "TLS_CERT", "TLS_KEY", "TLS_CA", "TLS_SERVER_NAME", "API_KEY", "ADDRESS", "NAMESPACE"):
        monkeypatch.delenv(f"AFTERSALES_TEMPORAL_{name}", raising=False)
    assert connect_args(TemporalTarget.of(Settings())) == {
        "target_host": "127.0.0.1:7233",
        "namespace": "default",
        "tls": None,
        "api_key": None,
    }
    # tls=None with an API key: the SDK turns TLS on (with the system's roots), as Temporal Cloud expects.
    assert connect_args(TemporalTarget("h:7233", api_key="k"))["tls"] is None
    assert connect_args(TemporalTarget("h:7233", tls=True))["tls"] is True
    assert connect_args(TemporalTarget("h:7233", tls=False, api_key="k"))["tls"] is False


def test_a_server_name_alone_is_tls_with_the_system_roots_and_that_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    assert connect_args(TemporalTarget.of(Settings()))["tls"] == TLSConfig(domain="temporal.internal")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AFTERSALES_TEMPORAL_TLS_CERT": "cert"}, "AFTERSALES_TEMPORAL_TLS_CERT and AFTERSALES_TEMPORAL_TLS_KEY go"),
        ({"AFTERSALES_TEMPORAL_TLS": "false", "AFTERSALES_TEMPORAL_TLS_CA": "ca"}, "AFTERSALES_TEMPORAL_TLS=false"),
        ({"AFTERSALES_TEMPORAL_TLS_CA": "/nowhere/ca.pem"}, "Path does not point to a file"),
        ({"AFTERSALES_WORKER_WORKFLOW_TASK_POLLERS": "1"}, "greater than or equal to 2"),
        ({"AFTERSALES_WORKER_MAX_CONCURRENT_ACTIVITIES": "0"}, "greater than 0"),
    ],
)
def test_inconsistent_temporal_settings_refuse_to_start(
    monkeypatch: pytest.MonkeyPatch, tls_files: dict[str, Path], env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, str(tls_files.get(value, value)))
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_the_worker_tuning_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "MAX_CONCURRENT_WORKFLOW_TASKS": "40",
        "MAX_CONCURRENT_ACTIVITIES": "30",
        "MAX_CONCURRENT_LOCAL_ACTIVITIES": "20",
        "WORKFLOW_TASK_POLLERS": "4",
        "ACTIVITY_TASK_POLLERS": "3",
        "MAX_CACHED_WORKFLOWS": "250",
        "STICKY_TIMEOUT": "3s",
    }.items():
        monkeypatch.setenv(f"AFTERSALES_WORKER_{name}", value)
    assert WorkerTuning.of(Settings()) == WorkerTuning(40, 30, 20, 4, 3, 250, timedelta(seconds=3))


def test_by_default_the_sticky_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AFTERSALES_WORKER_MAX_CACHED_WORKFLOWS", raising=False)
    assert WorkerTuning.of(Settings()).max_cached_workflows == 1000


async def test_the_worker_runs_with_its_tuning(time_skipping_env: WorkflowEnvironment, tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    tuning = WorkerTuning(40, 30, 20, 4, 3, 250, timedelta(seconds=3))
    queue = f"tuning-{uuid.uuid4().hex[:8]}"

    # Run (and so shut down) like every worker: one only built would stay registered with the server's client.
    worker = build_worker(time_skipping_env.client, session_factory(engine), FakePaymentProvider(), queue, tuning)
    async with worker:
        config = worker.config()

    await engine.dispose()
    assert (
        config.get("max_concurrent_workflow_tasks"),
        config.get("max_concurrent_activities"),
        config.get("max_concurrent_local_activities"),
        config.get("workflow_task_poller_behavior"),
        config.get("activity_task_poller_behavior"),
        config.get("max_cached_workflows"),
        config.get("sticky_queue_schedule_to_start_timeout"),
    ) == (40, 30, 20, PollerBehaviorSimpleMaximum(4), PollerBehaviorSimpleMaximum(3), 250, timedelta(seconds=3))
