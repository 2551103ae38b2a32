"""FUZZ-04: coverage-guided fuzzing (atheris) of what an evidence upload goes through before anything is stored.

    python -m tests.fuzz.fuzz_evidence -atheris_runs=100000   # any libFuzzer flag; without a run count it goes on

Each input is cut into a file name, file bytes, a multipart boundary, chunk sizes and stray bytes, and:
- the multipart body a client would send is parsed by the parser the API uses (Starlette's), fed in those chunks:
  the file comes back byte for byte; stray bytes as a body fail only as a malformed form (400), never otherwise;
- the body's idempotency digest (`api.idempotency`, boundary taken out across chunk borders) is the same however
  the body is cut into chunks;
- the type sniffer (`api.sniff`) says the same for any chunking, and only ever an allowed type or "refused";
  text it accepts is UTF-8 without markup or control characters;
- the shown name (`_display_name`) has no control or format characters and at most 255 of them;
- the store (`api.evidence_store`) keeps an accepted file at `<case>/<sha256>.<ext>` of its bytes alone, inside
  its folder, whatever the name was.
A broken property raises, and atheris stops with the input that broke it (exit status non-zero).
"""

import asyncio
import contextlib
import hashlib
import io
import logging
import re
import sys
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["api"]):
    from api.evidence_store import KEY, EvidenceStore
    from api.idempotency import _BodyDigest
    from api.routes.evidence import NAME_MAX, _display_name
    from api.sniff import EXTENSIONS, Sniffer

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from api.errors import ApiError
from storage.local import LocalBlobStore

CASE_ID = "case-fuzz"
ALLOWED = set(EXTENSIONS)
_LOOP = asyncio.new_event_loop()
logging.disable(logging.WARNING)  # the multipart parser logs every malformed byte it meets
_SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None  # the store fsyncs each file: memory keeps it quick
_BLOBS = LocalBlobStore(Path(tempfile.mkdtemp(prefix="fuzz-evidence-", dir=_SCRATCH)))
_STORE = EvidenceStore(_BLOBS, max_bytes=64 * 1024)


def test_one_input(data: bytes) -> None:
    given = atheris.FuzzedDataProvider(data)
    name = given.ConsumeUnicodeNoSurrogates(given.ConsumeIntInRange(0, 300))
    boundary = given.ConsumeBytes(given.ConsumeIntInRange(1, 70))
    sizes = [given.ConsumeIntInRange(1, 64) for _ in range(4)]
    stray = given.ConsumeBytes(given.ConsumeIntInRange(0, 512))
    content = given.ConsumeBytes(given.remaining_bytes())

    check_sniffing(content, sizes)
    check_name(name)
    check_digest(form_body(name, content, boundary), boundary, sizes)
    check_parsing(name, content, sizes)
    check_stray_body(stray, sizes)
    check_storage(name, content)


def check_sniffing(content: bytes, sizes: list[int]) -> None:
    whole, cut = Sniffer(), Sniffer()
    whole.feed(content)
    for chunk in chunks(content, sizes):
        cut.feed(chunk)
    kind = whole.media_type(content)
    assert kind == cut.media_type(content), "the sniffed type depends on how the bytes arrived"
    assert kind is None or kind in ALLOWED, kind
    if kind in ("text/plain", "application/json"):
        text = content.decode("utf-8")
        assert not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text), "control characters taken as text"
        assert "<script" not in text.lower() and "<svg" not in text.lower(), "markup taken as text"


def check_name(name: str) -> None:
    shown = _display_name(name)
    assert len(shown) <= NAME_MAX
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in shown), repr(shown)


def check_digest(body: bytes, boundary: bytes, sizes: list[int]) -> None:
    content_type = f"multipart/form-data; boundary={boundary.decode('latin-1')}"
    whole, cut = _BodyDigest(content_type), _BodyDigest(content_type)
    whole.update(body)
    for chunk in chunks(body, sizes):
        cut.update(chunk)
    assert whole.hexdigest() == cut.hexdigest(), "the body's digest depends on how it was cut into chunks"


def check_parsing(name: str, content: bytes, sizes: list[int]) -> None:
    boundary = b"fuzzboundary7MA4YWxkTrZu0gW"
    if boundary in content:
        return  # a client picks a boundary its file does not contain
    header_safe = "".join(ch for ch in name if ch not in '"\\' and unicodedata.category(ch) != "Cc")  # as encoded
    body = form_body(header_safe, content, boundary)
    form = _LOOP.run_until_complete(parse(body, boundary, sizes))
    file = form.get("file")
    assert isinstance(file, UploadFile), form
    assert _LOOP.run_until_complete(file.read()) == content, "the parsed file differs from the bytes sent"
    assert form.get("kind") == "photo"


def check_stray_body(stray: bytes, sizes: list[int]) -> None:
    with contextlib.suppress(MultiPartException):  # FastAPI answers 400: a malformed form
        _LOOP.run_until_complete(parse(stray, b"fuzzboundary", sizes))


def check_storage(name: str, content: bytes) -> None:
    try:
        stored = _LOOP.run_until_complete(_STORE.save(CASE_ID, io.BytesIO(content)))
    except ApiError as refused:
        assert refused.status in (413, 415, 422), refused.status
        return
    sha = hashlib.sha256(content).hexdigest()
    assert stored.storage_key == f"{CASE_ID}/{sha}.{EXTENSIONS[stored.media_type]}", stored.storage_key
    assert KEY.fullmatch(stored.storage_key) and _BLOBS.path(stored.storage_key).is_relative_to(_BLOBS.root)
    assert _LOOP.run_until_complete(_STORE.read(stored.storage_key, sha)) == content
    _LOOP.run_until_complete(_STORE.discard(stored.storage_key))
    del name  # the name was never an input to the store: the key is the bytes' alone


def form_body(name: str, content: bytes, boundary: bytes) -> bytes:
    quoted = name.encode("utf-8", "replace")
    return b"".join(
        [
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="kind"\r\n\r\nphoto\r\n',
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="' + quoted + b'"\r\n',
            b"Content-Type: image/jpeg\r\n\r\n" + content + b"\r\n--" + boundary + b"--\r\n",
        ]
    )


async def parse(body: bytes, boundary: bytes, sizes: list[int]) -> dict[str, object]:
    headers = Headers({"content-type": f"multipart/form-data; boundary={boundary.decode('latin-1')}"})

    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks(body, sizes):
            yield chunk

    form = await MultiPartParser(headers, stream(), max_part_size=1024 * 1024).parse()
    return dict(form)


def chunks(data: bytes, sizes: list[int]) -> list[bytes]:
    cut, at, turn = [], 0, 0
    while at < len(data):
        size = sizes[turn % len(sizes)]
        cut.append(data[at : at + size])
        at, turn = at + size, turn + 1
    return cut


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
