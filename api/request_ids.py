"""Every request has an id: the caller's `X-Request-ID` when it is a plain token, else a new one. It is answered in
the `X-Request-ID` header and put, with the case id of the path, on every log line written while serving it."""

import re
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from telemetry.logs import Request, current_request

HEADER = "x-request-id"
_PLAIN = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(HEADER, "")
        request_id = given if _PLAIN.fullmatch(given) else uuid.uuid4().hex

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        token = current_request.set(Request(request_id, scope))
        try:
            await self.app(scope, receive, answer)
        finally:
            current_request.reset(token)
