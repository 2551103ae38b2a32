"""Request body caps (reliability.md RATE-01, EVID-01), enforced on the byte stream before anything buffers it.

- multipart/form-data (evidence uploads): the file cap (`settings.evidence_max_bytes`) plus room for the form's
  other parts and headers → 413 `file_too_large`. The route checks the file itself against the exact cap.
- every other body (JSON): `JSON_MAX_BYTES` → 413 `payload_too_large`.

A declared `Content-Length` above the cap is answered at once, without reading the body. Without one (chunked),
the bytes are counted as they arrive and reading stops with the 413 as soon as the cap is passed, so a request
never makes the service hold, or spool to disk, more than its cap.
"""

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import CodedHTTPException, error_response

JSON_MAX_BYTES = 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # the form's `kind` and `note`, part headers and boundaries


class BodyLimit:
    def __init__(self, app: ASGIApp, *, file_max_bytes: int, json_max_bytes: int = JSON_MAX_BYTES) -> None:
        self.app = app
        self.multipart_max = file_max_bytes + MULTIPART_OVERHEAD
        self.json_max = json_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cap, code = self._cap(headers.get("content-type", ""))
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            await error_response(413, code, _message(cap))(scope, receive, send)
            return
        await self.app(scope, _counted(receive, cap, code), send)

    def _cap(self, content_type: str) -> tuple[int, str]:
        if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
            return self.multipart_max, "file_too_large"
        return self.json_max, "payload_too_large"


def _counted(receive: Receive, cap: int, code: str) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > cap:
                raise CodedHTTPException(413, code, _message(cap))
        return message

    return counted


def _message(cap: int) -> str:
    return f"the request body is larger than {cap} bytes"
