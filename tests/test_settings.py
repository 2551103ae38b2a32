"""Settings come from the environment: timers as durations, and no default secret outside development."""

import base64
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy.pool import AsyncAdaptedQueuePool

from models.checkpoint import DEV_CHECKPOINT_KEYS, CheckpointKeys
from models.db import create_engine
from settings import DEV_JWT_SECRET, Settings
from storage.selection import s3_client_options
from workflows.callers import DEV_CALLER_KEYS, CallerKeys


def test_every_timer_reads_a_duration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_T_MERCHANT", "20s")
    monkeypatch.setenv("AFTERSALES_T_BUYER_SHIP", "7d")
    monkeypatch.setenv("AFTERSALES_T_AGENT", "30m")
    settings = Settings()
    assert settings.t_merchant == timedelta(seconds=20)
    assert settings.case_timers().merchant == timedelta(seconds=20)
    assert settings.case_timers().buyer_ship == timedelta(days=7)
    assert settings.case_timers().agent == timedelta(minutes=30)
    assert settings.t_receipt == timedelta(hours=48)


def test_a_timer_that_is_not_a_duration_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_T_MERCHANT", "tomorrow")
    with pytest.raises(ValidationError, match="not a duration"):
        Settings()


def test_development_uses_the_documented_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AFTERSALES_JWT_SECRET", raising=False)
    monkeypatch.setenv("AFTERSALES_ENV", "development")
    assert Settings().secret == DEV_JWT_SECRET


@pytest.mark.parametrize("env", ["production", "test"])
def test_outside_development_a_missing_secret_refuses_to_start(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.delenv("AFTERSALES_JWT_SECRET", raising=False)
    monkeypatch.setenv("AFTERSALES_ENV", env)
    with pytest.raises(ValidationError, match="AFTERSALES_JWT_SECRET is required"):
        Settings()


def test_development_signs_callers_with_its_documented_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AFTERSALES_CALLER_KEYS", raising=False)
    monkeypatch.setenv("AFTERSALES_ENV", "development")
    assert Settings().caller_key_ring == CallerKeys.parse(DEV_CALLER_KEYS)


@pytest.mark.parametrize("env", ["production", "test"])
def test_outside_development_missing_caller_keys_refuse_to_start(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.delenv("AFTERSALES_CALLER_KEYS", raising=False)
    monkeypatch.setenv("AFTERSALES_ENV", env)
    monkeypatch.setenv("AFTERSALES_JWT_SECRET", "x" * 32)
    with pytest.raises(ValidationError, match="AFTERSALES_CALLER_KEYS is required"):
        Settings()


def test_the_first_caller_key_signs_and_every_one_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    new, old = base64.b64encode(b"n" * 32).decode(), base64.b64encode(b"o" * 32).decode()
    monkeypatch.setenv("AFTERSALES_CALLER_KEYS", f"k2:{new}, k1:{old}")
    ring = Settings().caller_key_ring
    assert (ring.signing, sorted(ring.secrets)) == ("k2", ["k1", "k2"])


@pytest.mark.parametrize(
    "keys",
    [
        "no-colon",
        f"k1:{'!' * 44}",
        f"k1:{base64.b64encode(b'short').decode()}",
        f":{base64.b64encode(b'x' * 32).decode()}",
    ],
    ids=["no kid", "not base64", "too short", "empty kid"],
)
def test_malformed_caller_keys_refuse_to_start(monkeypatch: pytest.MonkeyPatch, keys: str) -> None:
    monkeypatch.setenv("AFTERSALES_CALLER_KEYS", keys)
    with pytest.raises(ValidationError, match="caller key"):
        Settings()


def test_development_signs_checkpoints_with_the_documented_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AFTERSALES_CHECKPOINT_KEYS", raising=False)
    monkeypatch.setenv("AFTERSALES_ENV", "development")
    assert Settings().checkpoint_keyring() == CheckpointKeys.parse(DEV_CHECKPOINT_KEYS)


@pytest.mark.parametrize("env", ["production", "test"])
def test_outside_development_missing_checkpoint_keys_refuse_to_start(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.delenv("AFTERSALES_CHECKPOINT_KEYS", raising=False)
    monkeypatch.setenv("AFTERSALES_ENV", env)
    monkeypatch.setenv("AFTERSALES_JWT_SECRET", "x" * 32)
    with pytest.raises(ValidationError, match="AFTERSALES_CHECKPOINT_KEYS is required"):
        Settings()


@pytest.mark.parametrize(
    ("keys", "complaint"),
    [
        ("k1", "kid:base64secret"),
        ("k 1:" + base64.b64encode(b"k" * 32).decode(), "kid:base64secret"),
        ("k1:not base64!", "not base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "shorter than 32 bytes"),
        ("k1:" + base64.b64encode(b"k" * 32).decode() + ",k1:" + base64.b64encode(b"j" * 32).decode(), "twice"),
        (" , ", "no checkpoint key"),
    ],
)
def test_malformed_checkpoint_keys_refuse_to_start(monkeypatch: pytest.MonkeyPatch, keys: str, complaint: str) -> None:
    monkeypatch.setenv("AFTERSALES_CHECKPOINT_KEYS", keys)
    with pytest.raises(ValidationError, match=complaint):
        Settings()


def test_checkpoint_keys_are_named_the_first_signs_and_none_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = base64.b64encode(b"n" * 32).decode()
    monkeypatch.setenv("AFTERSALES_CHECKPOINT_KEYS", f"k2:{secret}, k1:{base64.b64encode(b'o' * 40).decode()}")
    settings = Settings()
    assert (settings.checkpoint_keyring().kids, settings.checkpoint_keyring().signing_kid) == (("k2", "k1"), "k2")
    assert secret not in repr(settings) and secret not in str(settings.model_dump())


def test_http_payments_without_a_url_refuse_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_PAYMENTS", "http")
    monkeypatch.delenv("AFTERSALES_PAYMENTS_URL", raising=False)
    with pytest.raises(ValidationError, match="AFTERSALES_PAYMENTS_URL is required"):
        Settings()


def test_payments_read_from_the_environment_and_keep_the_key_out_of_sight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_PAYMENTS", "http")
    monkeypatch.setenv("AFTERSALES_PAYMENTS_URL", "https://psp.example/v1")
    monkeypatch.setenv("AFTERSALES_PAYMENTS_API_KEY", "sk-live-secret")
    monkeypatch.setenv("AFTERSALES_PAYMENTS_TIMEOUT", "5s")
    settings = Settings()
    assert (settings.payments, str(settings.payments_url)) == ("http", "https://psp.example/v1")
    assert settings.payments_timeout == timedelta(seconds=5)
    assert settings.payments_api_key is not None and settings.payments_api_key.get_secret_value() == "sk-live-secret"
    assert "sk-live-secret" not in repr(settings)


def test_evidence_stays_in_the_local_folder_unless_s3_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AFTERSALES_EVIDENCE_STORE", raising=False)
    assert Settings().evidence_store == "local"


def test_s3_evidence_without_a_bucket_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_EVIDENCE_STORE", "s3")
    monkeypatch.delenv("AFTERSALES_EVIDENCE_S3_BUCKET", raising=False)
    with pytest.raises(ValidationError, match="AFTERSALES_EVIDENCE_S3_BUCKET is required"):
        Settings()


def test_an_s3_key_id_without_its_secret_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_EVIDENCE_STORE", "s3")
    monkeypatch.setenv("AFTERSALES_EVIDENCE_S3_BUCKET", "evidence")
    monkeypatch.setenv("AFTERSALES_EVIDENCE_S3_ACCESS_KEY_ID", "AKIAEXAMPLE")
    with pytest.raises(ValidationError, match="go together"):
        Settings()


def test_s3_settings_reach_the_client_and_keep_the_secret_out_of_sight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_EVIDENCE_STORE", "s3")
    monkeypatch.setenv("AFTERSALES_EVIDENCE_S3_BUCKET", "evidence")
    monkeypatch.setenv("AFTERSALES_EVIDENCE_S3_ENDPOINT_URL", "https://minio.internal:9000")
    monkeypatch.setenv("AFTERSALES_EVIDENCE_S3_REGION", "cn-north-1")
    monkeypatch.setenv("AFTERSALES_EVIDENCE_S3_ADDRESSING_STYLE", "path")
    monkeypatch.setenv("AFTERSALES_EVIDENCE_S3_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AFTERSALES_EVIDENCE_S3_SECRET_ACCESS_KEY", "s3-secret")
    monkeypatch.setenv("AFTERSALES_EVIDENCE_S3_TIMEOUT", "5s")
    settings = Settings()
    options = s3_client_options(settings)

    assert (options["endpoint_url"], options["region_name"]) == ("https://minio.internal:9000/", "cn-north-1")
    assert (options["aws_access_key_id"], options["aws_secret_access_key"]) == ("AKIAEXAMPLE", "s3-secret")
    config = options["config"]
    assert (config.connect_timeout, config.read_timeout, config.s3) == (5, 5, {"addressing_style": "path"})
    assert "s3-secret" not in repr(settings)


def test_without_s3_keys_the_client_finds_its_own_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_EVIDENCE_STORE", "s3")
    monkeypatch.setenv("AFTERSALES_EVIDENCE_S3_BUCKET", "evidence")
    options = s3_client_options(Settings())
    assert "aws_access_key_id" not in options and options["endpoint_url"] is None


def test_the_extension_cap_and_the_paused_days_travel_with_new_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_EXTENSION_MAX", "12h")
    monkeypatch.setenv("AFTERSALES_PAUSED_DAYS", "2027-04-05, 2027-02-05..2027-02-11")
    deadlines = Settings().case_deadlines()
    assert deadlines.extension_max == timedelta(hours=12)
    assert [(p.start.isoformat(), p.end.isoformat()) for p in deadlines.paused] == [
        ("2027-02-04T16:00:00+00:00", "2027-02-11T16:00:00+00:00"),  # Shanghai days, as UTC instants
        ("2027-04-04T16:00:00+00:00", "2027-04-05T16:00:00+00:00"),
    ]


def test_by_default_nothing_is_paused_and_an_extension_is_at_most_24_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AFTERSALES_PAUSED_DAYS", raising=False)
    monkeypatch.delenv("AFTERSALES_EXTENSION_MAX", raising=False)
    assert (Settings().case_deadlines().paused, Settings().extension_max) == ((), timedelta(hours=24))


def test_paused_days_that_are_not_dates_refuse_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_PAUSED_DAYS", "春节")
    with pytest.raises(ValidationError, match="not a date or a date range"):
        Settings()


async def test_each_process_keeps_the_database_pool_the_settings_give(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("AFTERSALES_DATABASE_MAX_OVERFLOW", "5")
    settings = Settings()
    url = "postgresql+asyncpg://aftersales_service@127.0.0.1/aftersales"  # never connected to
    engine = create_engine(url, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow)
    assert isinstance(engine.pool, AsyncAdaptedQueuePool)
    assert engine.pool.size() == 3
    assert (settings.database_pool_size, settings.database_max_overflow) == (3, 5)
    await engine.dispose()


def test_the_coupon_cap_reads_from_the_environment_and_travels_in_the_case_s_thresholds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().case_thresholds().coupon_max_cents == 20_000  # ¥200 unless set
    monkeypatch.setenv("AFTERSALES_COUPON_MAX", "5000")
    assert Settings().case_thresholds().coupon_max_cents == 5000
    monkeypatch.setenv("AFTERSALES_COUPON_MAX", "-1")
    with pytest.raises(ValidationError):
        Settings()
