"""An S3-compatible server (moto's server mode) on a free port of 127.0.0.1, its buckets, and S3 settings."""

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

from moto.server import ThreadedMotoServer
from pydantic import AnyHttpUrl, SecretStr

from settings import Settings
from storage.selection import botocore_session

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

REGION = "us-east-1"
KEY_ID, SECRET = "test-key-id", "test-secret"


@contextmanager
def s3_server() -> Iterator[str]:
    """The endpoint URL of a fresh in-memory S3 while the block runs."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@asynccontextmanager
async def s3_client(endpoint: str) -> AsyncIterator["S3Client"]:
    """A client of the test server, for the tests' own look at buckets (and tampering)."""
    client: S3Client
    async with botocore_session().create_client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET
    ) as client:
        yield client


async def create_bucket(client: "S3Client", bucket: str) -> None:
    """A bucket that keeps every version, so a test can see that an object was never written twice."""
    await client.create_bucket(Bucket=bucket)
    await client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def s3_settings(settings: Settings, endpoint: str, bucket: str, prefix: str = "evidence") -> Settings:
    """`settings` with evidence in `bucket` of the test server."""
    return settings.model_copy(
        update={
            "evidence_store": "s3",
            "evidence_s3_bucket": bucket,
            "evidence_s3_prefix": prefix,
            "evidence_s3_endpoint_url": AnyHttpUrl(endpoint),
            "evidence_s3_region": REGION,
            "evidence_s3_access_key_id": SecretStr(KEY_ID),
            "evidence_s3_secret_access_key": SecretStr(SECRET),
        }
    )
