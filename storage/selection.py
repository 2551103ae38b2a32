"""The evidence storage `AFTERSALES_EVIDENCE_STORE` names, open for a block (the API's lifespan)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session

from settings import Settings
from storage.blobs import BlobStore
from storage.local import LocalBlobStore
from storage.s3 import S3BlobStore

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client


@asynccontextmanager
async def evidence_blobs(settings: Settings) -> AsyncIterator[BlobStore]:
    if settings.evidence_store == "local":
        yield LocalBlobStore(settings.evidence_dir)
        return
    assert settings.evidence_s3_bucket is not None  # the settings refuse s3 without a bucket
    client: S3Client
    async with botocore_session().create_client("s3", **s3_client_options(settings)) as client:
        yield S3BlobStore(client, settings.evidence_s3_bucket, settings.evidence_s3_prefix)


@cache
def botocore_session() -> AioSession:
    """One per process: it caches the service models each new client would otherwise load again."""
    return get_session()


def s3_client_options(settings: Settings) -> dict[str, Any]:
    timeout = settings.evidence_s3_timeout.total_seconds()
    options: dict[str, Any] = {
        "region_name": settings.evidence_s3_region,
        "endpoint_url": str(settings.evidence_s3_endpoint_url) if settings.evidence_s3_endpoint_url else None,
        "config": AioConfig(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "max_attempts": 3},
            s3={"addressing_style": settings.evidence_s3_addressing_style},
        ),
    }
    if settings.evidence_s3_access_key_id and settings.evidence_s3_secret_access_key:
        options["aws_access_key_id"] = settings.evidence_s3_access_key_id.get_secret_value()
        options["aws_secret_access_key"] = settings.evidence_s3_secret_access_key.get_secret_value()
    return options
