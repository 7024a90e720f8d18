"""Request bodies over a size are refused with a 413 problem document.

Without a limit a service reads any body whole into memory. Starlette's own
``RequestBodyLimitMiddleware`` (FastAPI's ``max_body_size``) answers a plain-text
413 in place of whatever the app answers, while every Sawt error is an RFC 9457
problem; hence this small middleware, the outermost of a service's own:

* a ``Content-Length`` over the limit is answered at once, before any route runs;
* a body without one (chunked) is counted as the app reads it, and the read that
  passes the limit raises Starlette's ``HTTPException(413)`` (FastAPI lets that one
  through its body parsing, where it would turn any other error into a 400), which
  the app's problem handlers answer as :class:`~sawt_shared.errors.PayloadTooLarge`.

A body within its declared length costs one header lookup (the server enforces the
length it declared).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sawt_shared.errors import PayloadTooLarge, problem_response

__all__ = ["BodyLimit"]


class BodyLimit:
    """ASGI middleware: 413 for request bodies of more than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await problem_response(self._problem(), scope.get("path"))(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        read = 0

        async def counted() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_bytes:
                    raise HTTPException(413, self._problem().detail)
            return message

        await self.app(scope, counted, send)

    def _problem(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body may be at most {self.max_bytes} bytes.")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
