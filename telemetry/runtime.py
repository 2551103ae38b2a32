"""A process's Temporal runtime. Its Core's log lines go through Python's logging (`telemetry/logs.py`), so they
share the process's format. Given an address (the worker's `AFTERSALES_WORKER_METRICS_ADDRESS`), it serves the
SDK's metrics for Prometheus there (`GET /metrics`), with the business counters the worker's activities record
through the same meter (`activities/counters.py`).

Named by Prometheus's conventions: counters end in `_total`, durations are histograms in seconds (`_seconds`).
"""

import logging

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)


def temporal_runtime(metrics_address: str | None = None) -> Runtime:
    metrics = None
    if metrics_address:
        metrics = PrometheusConfig(
            bind_address=metrics_address, counters_total_suffix=True, unit_suffix=True, durations_as_seconds=True
        )
    logs = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )
    return Runtime(telemetry=TelemetryConfig(metrics=metrics, logging=logs, attach_service_name=False))
