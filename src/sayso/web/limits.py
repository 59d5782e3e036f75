"""A cap on request bodies: anything over the limit gets 413 with a clear message.

A declared Content-Length over the limit is refused before the body is read;
a body without one (chunked) is counted as it streams in and refused as soon
as it passes the limit.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 2 * 1024 * 1024


def human_size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"


class BodyTooLarge(HTTPException):
    """Raised from inside the request's body stream; an HTTPException so that
    FastAPI's body parsing passes it on rather than calling it a parse error."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=too_large_message(limit))


def too_large_message(limit: int) -> str:
    return (f"request body too large: the limit is {human_size(limit)}; "
            "send a shorter article, or start the server with a larger --max-body")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await _plain(send, 400, "invalid Content-Length header")
                    return
                if declared > self.max_body:
                    await _refuse(scope, send, self.max_body)
                    return
        received = 0
        limit = self.max_body

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    message = too_large_message(limit)
    if scope.get("path", "").startswith("/api/"):
        import json

        body = json.dumps({"detail": message}).encode()
        media = b"application/json"
    else:
        from markupsafe import escape

        body = (f'<!doctype html><html lang="en"><meta charset="utf-8"><title>Too large · sayso</title>'
                f'<link rel="stylesheet" href="/static/sayso.css"><main class="page"><h1>Too large</h1>'
                f'<p class="error" role="alert">{escape(message)}</p><p><a href="/">Back to the analyse page'
                f'</a></p></main></html>').encode()
        media = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
