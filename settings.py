"""Every setting of the service, read from the environment (prefix AFTERSALES_). Workflows never read it."""

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BeforeValidator,
    Field,
    FilePath,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from api.evidence_links import EvidenceLinks
from models.checkpoint import DEV_CHECKPOINT_KEYS, CheckpointKeys, InvalidCheckpointKeys
from rulebook.business_calendar import Pause, parse_paused_days
from rulebook.deadlines import EXTENSION_MAX, DeadlinePolicy
from rulebook.facts import Thresholds
from rulebook.settlement import COUPON_MAX_CENTS
from rulebook.timers import DEFAULTS, TimerId, Timers, parse_duration
from workflows.callers import DEV_CALLER_KEYS, CallerKeys
from workflows.messages import HISTORY_EVENTS_LIMIT

ROOT = Path(__file__).resolve().parent
VAR_DIR = ROOT / "var"
DEV_JWT_SECRET = "aftersales-dev-secret-do-not-use-in-production"  # documented in README


def _duration(value: object) -> object:
    return parse_duration(value) if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _paused_days(value: object) -> object:
    return parse_paused_days(value) if isinstance(value, str) else value


# `2027-02-05..2027-02-11,2027-04-05`: dates and inclusive ranges, Asia/Shanghai (rulebook/business_calendar.py)
PausedDays = Annotated[tuple[Pause, ...], NoDecode, BeforeValidator(_paused_days)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFTERSALES_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    jwt_secret: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    # The keys that sign who sends each case command to Temporal (workflows/callers.py): `kid:base64secret,…`, the
    # first signs, all verify; held by the API and the worker only. Required outside development.
    caller_keys: SecretStr | None = None
    # Signs the timeline's checkpoints (models/checkpoint.py): `kid1:base64secret,kid0:base64secret`, each secret at
    # least 32 bytes; the first signs, all verify. The API and the worker hold them; no database role ever does.
    checkpoint_keys: SecretStr | None = None
    database_url: str = f"sqlite+aiosqlite:///{VAR_DIR / 'aftersales.db'}"
    # PostgreSQL: the role the API and the worker connect as; migrations, run as the schema's owner, grant it what
    # it needs and no more (models/privileges.py). Unset: no grants (SQLite, or one role for everything).
    database_service_role: str | None = None
    # Connections one process keeps open to its database, and how many more it may open under load: on PostgreSQL,
    # N API processes and M workers need (N + M) × (pool + overflow) under the server's max_connections.
    database_pool_size: PositiveInt = 10
    database_max_overflow: NonNegativeInt = 20
    database_pool_timeout: PositiveFloat = 30.0  # seconds a request waits for a connection before 503
    temporal_address: str = "127.0.0.1:7233"
    # `make dev`'s ports beside the Temporal address: the API's, and the Web UI's (unset: the gRPC port + 1000)
    api_port: int = Field(default=8000, ge=1, le=65535)
    temporal_ui_port: int | None = Field(default=None, ge=1, le=65535)
    temporal_namespace: str = "default"
    # TLS to Temporal (temporal_options.py): unset, it is on when a TLS file, a server name or an API key is given;
    # true also without them (the system's roots); false never. Client certificate and key for mutual TLS, the
    # server's CA where the system does not trust it, the name on its certificate where it differs from the address.
    temporal_tls: bool | None = None
    temporal_tls_cert: FilePath | None = None
    temporal_tls_key: FilePath | None = None
    temporal_tls_ca: FilePath | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: SecretStr | None = None  # e.g. Temporal Cloud's, sent as `Authorization: Bearer …`
    task_queue: str = "aftersales"
    # What one worker takes on at once (temporal_options.WorkerTuning). The sticky cache is bounded so a worker's
    # memory stays flat however many cases wait; an evicted case replays its history when it next moves.
    worker_max_concurrent_workflow_tasks: PositiveInt = 100
    worker_max_concurrent_activities: PositiveInt = 100
    worker_max_concurrent_local_activities: PositiveInt = 100
    worker_workflow_task_pollers: Annotated[int, Field(ge=2)] = 5  # one sticky, one shared at least
    worker_activity_task_pollers: PositiveInt = 5
    worker_max_cached_workflows: NonNegativeInt = 1000
    # How long a case's next task waits for the worker that cached it before any worker takes it (and replays):
    # shorter recovers faster from a dead worker, longer replays less under load.
    worker_sticky_timeout: Duration = timedelta(seconds=10)
    evidence_max_bytes: int = 10 * 1024 * 1024
    # Where evidence files live (storage/): a local folder, or an S3 bucket (AWS or any S3-compatible store).
    evidence_store: Literal["local", "s3"] = "local"
    evidence_dir: Path = VAR_DIR / "evidence"
    evidence_s3_bucket: str | None = None
    evidence_s3_prefix: str = ""  # keys become `<prefix>/<case_id>/<sha256>.<ext>`
    evidence_s3_endpoint_url: AnyHttpUrl | None = None  # unset: AWS; set for an S3-compatible store
    evidence_s3_region: str | None = None
    evidence_s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    # Unset: botocore's own chain (AWS_* variables, the shared credentials file, an instance or task role).
    evidence_s3_access_key_id: SecretStr | None = None
    evidence_s3_secret_access_key: SecretStr | None = None
    evidence_s3_timeout: Duration = timedelta(seconds=10)  # per phase (connect, read)
    # The worker's sweep (a schedule, every `every`) deletes stored files no evidence record names once they are
    # `grace` old: a withdrawn upload's file, unless an upload of the same bytes took it meanwhile.
    # Signs the short-lived links to one evidence file for one agent (api/evidence_links.py): `kid:base64secret,…`,
    # the first signs, all verify; unset: a key derived from the JWT secret. The API alone holds them.
    evidence_link_keys: SecretStr | None = None
    evidence_link_ttl: Duration = timedelta(minutes=5)  # how long such a link opens its file (at most 15m)
    evidence_sweep_every: Duration = timedelta(hours=1)
    evidence_sweep_grace: Duration = timedelta(hours=1)
    idempotency_ttl: Duration = timedelta(hours=24)
    # A request still in flight after this long died mid-way: a retry with its key takes over (and finds its effect).
    idempotency_lease: Duration = timedelta(seconds=30)
    cases_per_order: int = 6  # requests one buyer may open on one order, open or closed (ABUSE-01)
    withdrawals_per_day: int = 5  # requests one buyer may withdraw in 24 hours
    small_claim_threshold_cents: int = 2000
    stall_coupon_cents: int = 500
    # One case's goodwill coupons together, in fen (¥200); an order's coupons never exceed what it paid. Fixed when a
    # case opens (Thresholds.coupon_max_cents); the worker's ledger claim uses it for moves that do not carry one.
    coupon_max: Annotated[int, Field(ge=0, le=2**31 - 1)] = COUPON_MAX_CENTS
    scans: bool = True  # the worker keeps the exception scan's schedule (every T-MISSED) in place
    # The payment provider: the fake pays nobody and is refused outside development (see worker.py).
    payments: Literal["fake", "http"] = "fake"
    payments_url: AnyHttpUrl | None = None
    payments_api_key: SecretStr | None = None
    payments_timeout: Duration = timedelta(seconds=10)  # per phase (connect, read); well under the activity's 30 s
    reconcile_every: Duration = timedelta(minutes=10)  # the schedule that closes case rows whose workflow ended
    # The warehouses and the courier that carry out remedies (activities/adapters/): fakes only in development.
    fulfilment: Literal["fake", "http"] = "fake"
    fulfilment_url: AnyHttpUrl | None = None
    fulfilment_api_key: SecretStr | None = None
    courier: Literal["fake", "http"] = "fake"
    courier_url: AnyHttpUrl | None = None
    courier_api_key: SecretStr | None = None
    remedies_timeout: Duration = timedelta(seconds=10)

    t_merchant: Duration = DEFAULTS[TimerId.T_MERCHANT]
    t_buyer_ship: Duration = DEFAULTS[TimerId.T_BUYER_SHIP]
    t_receipt: Duration = DEFAULTS[TimerId.T_RECEIPT]
    t_buyer_reply: Duration = DEFAULTS[TimerId.T_BUYER_REPLY]
    t_agent: Duration = DEFAULTS[TimerId.T_AGENT]
    t_stall: Duration = DEFAULTS[TimerId.T_STALL]
    t_missed: Duration = DEFAULTS[TimerId.T_MISSED]
    t_refund: Duration = DEFAULTS[TimerId.T_REFUND]
    override_window: Duration = timedelta(hours=72)  # an agent may override an automated decision this long after
    extension_max: Duration = EXTENSION_MAX  # the most time one `extend` may add
    paused_days: PausedDays = ()  # days buyer- and merchant-facing waits do not count (e.g. the 春节 logistics stop)
    # A case's workflow run continues as new with its state past this many history events (workflows/continuation.py)
    history_events_limit: Annotated[int, Field(ge=50)] = HISTORY_EVENTS_LIMIT

    # Observability (README "Observability"). The worker serves Prometheus's GET /metrics on this host:port (unset:
    # none; give each worker on a machine its own port); the API always serves its own on its port.
    worker_metrics_address: str | None = None
    # The Bearer token Prometheus sends to the API's GET /metrics. Unset: /metrics answers anyone in development
    # and nobody (401) elsewhere.
    metrics_token: SecretStr | None = None
    tracing: Literal["off", "console", "otlp"] = "off"  # where OpenTelemetry spans go
    # The collector's OTLP/HTTP traces URL (e.g. http://127.0.0.1:4318/v1/traces); unset: OTEL_EXPORTER_OTLP_* or
    # the exporter's default.
    otel_endpoint: AnyHttpUrl | None = None
    log_format: Literal["json", "text"] | None = None  # unset: json in production, readable text elsewhere
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _secret_outside_development(self) -> "Settings":
        if self.jwt_secret is None:
            if self.env != "development":
                raise ValueError("AFTERSALES_JWT_SECRET is required outside development")
            self.jwt_secret = DEV_JWT_SECRET
        return self

    @model_validator(mode="after")
    def _caller_keys_outside_development(self) -> "Settings":
        if self.caller_keys is None:
            if self.env != "development":
                raise ValueError("AFTERSALES_CALLER_KEYS is required outside development")
            self.caller_keys = SecretStr(DEV_CALLER_KEYS)
        CallerKeys.parse(self.caller_keys.get_secret_value())  # a malformed key stops the settings from loading
        return self

    @model_validator(mode="after")
    def _checkpoint_keys_outside_development(self) -> "Settings":
        if self.checkpoint_keys is None:
            if self.env != "development":
                raise ValueError("AFTERSALES_CHECKPOINT_KEYS is required outside development")
            self.checkpoint_keys = SecretStr(DEV_CHECKPOINT_KEYS)
        try:
            CheckpointKeys.parse(self.checkpoint_keys.get_secret_value())
        except InvalidCheckpointKeys as error:
            raise ValueError(f"AFTERSALES_CHECKPOINT_KEYS: {error}") from None
        return self

    @model_validator(mode="after")
    def _evidence_links_valid(self) -> "Settings":
        try:
            self.evidence_links()
        except ValueError as error:
            raise ValueError(f"AFTERSALES_EVIDENCE_LINK_KEYS / _TTL: {error}") from None
        return self

    def evidence_links(self) -> EvidenceLinks:
        listed = self.evidence_link_keys.get_secret_value() if self.evidence_link_keys else None
        return EvidenceLinks.configured(listed, self.secret, self.evidence_link_ttl)

    @model_validator(mode="after")
    def _payments_url_for_http(self) -> "Settings":
        if self.payments == "http" and self.payments_url is None:
            raise ValueError("AFTERSALES_PAYMENTS_URL is required when AFTERSALES_PAYMENTS=http")
        return self

    @model_validator(mode="after")
    def _remedy_urls_for_http(self) -> "Settings":
        for service, url in (("fulfilment", self.fulfilment_url), ("courier", self.courier_url)):
            if getattr(self, service) == "http" and url is None:
                raise ValueError(f"AFTERSALES_{service.upper()}_URL is required when AFTERSALES_{service.upper()}=http")
        return self

    @model_validator(mode="after")
    def _bucket_for_s3(self) -> "Settings":
        if self.evidence_store == "s3" and not self.evidence_s3_bucket:
            raise ValueError("AFTERSALES_EVIDENCE_S3_BUCKET is required when AFTERSALES_EVIDENCE_STORE=s3")
        if (self.evidence_s3_access_key_id is None) != (self.evidence_s3_secret_access_key is None):
            raise ValueError(
                "AFTERSALES_EVIDENCE_S3_ACCESS_KEY_ID and AFTERSALES_EVIDENCE_S3_SECRET_ACCESS_KEY go together"
            )
        return self

    @property
    def logs_as_json(self) -> bool:
        return self.log_format == "json" if self.log_format else self.env == "production"

    @model_validator(mode="after")
    def _temporal_tls_consistent(self) -> "Settings":
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError("AFTERSALES_TEMPORAL_TLS_CERT and AFTERSALES_TEMPORAL_TLS_KEY go together")
        files = (self.temporal_tls_cert, self.temporal_tls_ca, self.temporal_tls_server_name)
        if self.temporal_tls is False and any(f is not None for f in files):
            raise ValueError("AFTERSALES_TEMPORAL_TLS=false with TLS files or a server name: drop one or the other")
        return self

    def checkpoint_keyring(self) -> CheckpointKeys:
        assert self.checkpoint_keys is not None
        return CheckpointKeys.parse(self.checkpoint_keys.get_secret_value())

    @property
    def secret(self) -> str:
        assert self.jwt_secret is not None
        return self.jwt_secret

    @property
    def caller_key_ring(self) -> CallerKeys:
        assert self.caller_keys is not None
        return CallerKeys.parse(self.caller_keys.get_secret_value())

    def case_timers(self) -> Timers:
        return Timers(
            merchant=self.t_merchant,
            buyer_ship=self.t_buyer_ship,
            receipt=self.t_receipt,
            buyer_reply=self.t_buyer_reply,
            agent=self.t_agent,
            stall=self.t_stall,
            refund=self.t_refund,
            override=self.override_window,
        )

    def case_deadlines(self) -> DeadlinePolicy:
        return DeadlinePolicy(paused=self.paused_days, extension_max=self.extension_max)

    def case_thresholds(self) -> Thresholds:
        return Thresholds(
            small_claim_threshold_cents=self.small_claim_threshold_cents,
            stall_coupon_cents=self.stall_coupon_cents,
            coupon_max_cents=self.coupon_max,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
