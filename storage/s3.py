"""Evidence in an S3 bucket, or any S3-compatible store (MinIO, Ceph, R2, …): `<prefix><key>`.

`create` is a conditional PUT (`If-None-Match: *`): the store refuses it (412) when the key exists, so two
uploads of the same bytes write once without a check-then-write race; a 409 (another conditional write to the
key in flight) counts as taken too. Each PUT carries the bytes' SHA-256 (`x-amz-checksum-sha256`), which S3
checks before it stores anything. `replace` is a plain PUT: only ever bytes that hash to the key.
"""

import base64
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from storage.blobs import BlobMissing, BlobStoreUnavailable, StoredBlob

if TYPE_CHECKING:  # the types are a development dependency
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import PutObjectRequestTypeDef


class S3BlobStore:
    def __init__(self, client: "S3Client", bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    async def create(self, key: str, data: bytes, sha256: str) -> bool:
        try:
            await self.client.put_object(**self._put(key, data, sha256, if_absent=True))
        except ClientError as error:
            if _status(error) in (409, 412):
                return False
            raise _unavailable(error) from error
        except BotoCoreError as error:
            raise _unavailable(error) from error
        return True

    async def replace(self, key: str, data: bytes, sha256: str) -> None:
        try:
            await self.client.put_object(**self._put(key, data, sha256, if_absent=False))
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(error) from error

    async def read(self, key: str) -> bytes:
        try:
            response = await self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
            async with response["Body"] as body:
                return bytes(await body.read())
        except ClientError as error:
            if _status(error) == 404:
                raise BlobMissing(key) from None
            raise _unavailable(error) from error
        except BotoCoreError as error:
            raise _unavailable(error) from error

    async def discard(self, key: str) -> None:
        try:
            await self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(error) from error

    async def listing(self) -> AsyncIterator[StoredBlob]:
        """`ListObjectsV2` under the prefix, a page (1 000 keys) at a time."""
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            async for page in pages:
                for item in page.get("Contents", []):
                    yield StoredBlob(item["Key"].removeprefix(self.prefix), item["LastModified"])
        except (ClientError, BotoCoreError) as error:
            raise _unavailable(error) from error

    def object_key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _put(self, key: str, data: bytes, sha256: str, *, if_absent: bool) -> "PutObjectRequestTypeDef":
        checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
        request: PutObjectRequestTypeDef = {
            "Bucket": self.bucket,
            "Key": self.object_key(key),
            "Body": data,
            "ChecksumSHA256": checksum,
        }
        if if_absent:
            request["IfNoneMatch"] = "*"
        return request


def _status(error: ClientError) -> int:
    status: int = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status


def _unavailable(error: Exception) -> BlobStoreUnavailable:
    return BlobStoreUnavailable(f"S3 did not answer as expected: {error}")
