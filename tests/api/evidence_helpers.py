"""Files of each kind (every one unique, so no test shares stored bytes with another), uploads, and a look at the
store."""

import re
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.evidence import Evidence
from rulebook.enums import EvidenceKind
from tests.support.stored_files import StoredFiles

Sessions = async_sessionmaker[AsyncSession]
KEY = re.compile(r"^[0-9a-f]{16}/[0-9a-f]{64}\.(jpg|png|webp|heic|pdf|txt|json)$")
# Runs a test on the app that keeps evidence in a local folder and again on the one that keeps it in S3.
both_stores = pytest.mark.parametrize("storage", ["local", "s3"], indirect=True)


@dataclass(frozen=True)
class Storage:
    """An app (fixture `storage`: the local folder unless `both_stores` says otherwise) and what its evidence store
    holds, seen from outside."""

    app: FastAPI
    files: StoredFiles


def png() -> bytes:
    """A real 1×1 PNG, with a unique tEXt chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    unique = b"Comment\0" + uuid.uuid4().hex.encode()
    pixels = zlib.compress(b"\0\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", unique)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + uuid.uuid4().bytes + b"\xff\xd9"


def pdf() -> bytes:
    return b"%PDF-1.4\n% " + uuid.uuid4().hex.encode() + b"\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def chat_text() -> bytes:
    return f"2026-05-01 10:00 买家: 衣服开线了 ({uuid.uuid4().hex})\n<店小二> 请拍照\n".encode()


def chat_json() -> bytes:
    return f'[{{"from": "buyer", "text": "开线了", "id": "{uuid.uuid4().hex}"}}]'.encode()


def sized(size: int) -> bytes:
    """A PNG padded (after IEND, where readers ignore it) to exactly `size` bytes."""
    head = png()
    return head + b"\0" * (size - len(head))


async def upload(
    client: AsyncClient,
    case_id: str,
    headers: dict[str, str],
    content: bytes,
    *,
    kind: str = "photo",
    note: str = "",
    name: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> Response:
    files = {"file": (name, content, content_type)}
    return await client.post(
        f"/cases/{case_id}/evidence", files=files, data={"kind": kind, "note": note}, headers=headers
    )


def multipart(
    content: bytes, *, kind: str = "photo", filename: str = "x.png", boundary: str = "test-boundary-7d3f"
) -> tuple[bytes, str]:
    """A multipart body by hand (the file name raw, as a hostile client sends it; or streamed without a
    Content-Length), and its Content-Type."""
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def chunks(data: bytes, size: int = 16 * 1024) -> AsyncIterator[bytes]:
    """`data` as a stream, so httpx sends it chunked, without a Content-Length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def rows(db: Sessions, case_id: str) -> list[Evidence]:
    """The files uploaded to the case (the platform's own `system` items aside)."""
    uploaded = (Evidence.case_id == case_id, Evidence.kind != EvidenceKind.SYSTEM)
    async with db() as session:
        return list((await session.exec(select(Evidence).where(*uploaded))).all())


async def timeline(client: AsyncClient, case_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(f"/cases/{case_id}/timeline", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
