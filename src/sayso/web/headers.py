"""What every response carries and every request must show: security headers
(a Content-Security-Policy without inline script, no framing, nosniff, no
referrer), HEAD answered wherever GET is, and, when the server is given the
names it answers to, a refusal of any other Host (a DNS-rebinding page in a
newsroom's browser must not read a corpus served on the same laptop).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Inline style attributes draw the stance bars; every script is a file of /static.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Swagger UI starts itself with an inline script; only its page may run one.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def host_names(bound: str, allowed: Iterable[str] = ()) -> frozenset[str]:
    """The Host names a server bound to `bound` answers to: that address, the loopback
    names when it is a loopback address, and every `--allow-host`."""
    names = {bound.strip("[]").lower(), *(a.strip("[]").lower() for a in allowed)}
    if names & set(LOOPBACK):
        names |= set(LOOPBACK)
    return frozenset(names)


def _host_of(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:8000
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HeadersMiddleware:
    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None = None):
        self.app = app
        self.hosts = hosts  # None: any Host (the app used as a library, or behind a proxy that checks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.hosts is not None:
            host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
            if _host_of(host) not in self.hosts:
                await _refuse_host(scope, send, host)
                return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        csp = DOCS_CSP if scope.get("path") == "/api/docs" else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"content-security-policy"]
                message = {**message, "headers": [*headers, (b"content-security-policy", csp.encode()),
                                                  *SECURITY_HEADERS]}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}  # the headers of GET, no body
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse_host(scope: Scope, send: Send, host: str) -> None:
    body = json.dumps({"detail": f"this server does not answer to the host {host!r} "
                                 "(start it with --allow-host NAME to allow one)"}).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})
