"""What a store holds, seen from outside the service: a local folder or an S3 bucket. Tests read, tamper with and
remove stored evidence through it, as someone with access to the storage itself would."""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client


class StoredFiles(Protocol):
    async def keys(self, case_id: str) -> list[str]:
        """Every object stored for the case (temporary ones included), by storage key."""
        ...

    async def read(self, key: str) -> bytes: ...

    async def write(self, key: str, data: bytes) -> None: ...

    async def remove(self, key: str) -> None: ...

    async def writes(self, key: str) -> list[str]:
        """One mark per write the key has seen: unchanged while nothing writes the key again."""
        ...


@dataclass(frozen=True)
class FolderFiles:
    root: Path

    async def keys(self, case_id: str) -> list[str]:
        folder = self.root / case_id
        found = (str(p.relative_to(self.root)) for p in folder.rglob("*") if p.is_file())
        return sorted(found) if folder.exists() else []

    async def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    async def write(self, key: str, data: bytes) -> None:
        (self.root / key).write_bytes(data)

    async def remove(self, key: str) -> None:
        (self.root / key).unlink()

    async def writes(self, key: str) -> list[str]:
        status = (self.root / key).stat()
        return [f"{status.st_ino}:{status.st_mtime_ns}"]


@dataclass(frozen=True)
class BucketFiles:
    client: "S3Client"
    bucket: str
    prefix: str  # as the service writes keys: `<prefix>/<key>`

    async def keys(self, case_id: str) -> list[str]:
        listed = await self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._object(f"{case_id}/"))
        return sorted(item["Key"].removeprefix(f"{self.prefix}/") for item in listed.get("Contents", []))

    async def read(self, key: str) -> bytes:
        response = await self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        async with response["Body"] as body:
            return bytes(await body.read())

    async def write(self, key: str, data: bytes) -> None:
        await self.client.put_object(Bucket=self.bucket, Key=self._object(key), Body=data)

    async def remove(self, key: str) -> None:
        await self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    async def writes(self, key: str) -> list[str]:
        listed = await self.client.list_object_versions(Bucket=self.bucket, Prefix=self._object(key))
        return [v["VersionId"] for v in listed.get("Versions", []) if v["Key"] == self._object(key)]

    def _object(self, key: str) -> str:
        return f"{self.prefix}/{key}"
