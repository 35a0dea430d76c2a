"""What stands between the network and the app: allowed hosts, byte limits on bodies
(chunked ones included), security headers, request logging, and a uvicorn protocol with
a header-read timeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from .problems import problem

__all__ = ["SECURITY_HEADERS", "BodyTooLargeError", "Guard", "guarded_h11"]

log = logging.getLogger("overland.web")

#: sent with every response: no sniffing, no framing, no referrer, same-origin everything
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; "
        b"font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        b"form-action 'self'",
    ),
)


class BodyTooLargeError(HTTPException):
    """The request body passed the byte limit while it was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


def _host_name(raw: bytes) -> str:
    host = raw.decode("latin-1").strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """Pure ASGI middleware: allowed hosts, body limits, security headers and a log line."""

    def __init__(self, app: Any, *, max_body: int, allowed_hosts: tuple[str, ...]) -> None:
        self.app = app
        self.max_body = max_body
        self.allowed = frozenset(h.lower() for h in allowed_hosts)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        status = {"code": 0}

        async def send_secured(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = {
                    **message,
                    "headers": [*message.get("headers", []), *SECURITY_HEADERS],
                }
            await send(message)

        early = self._refuse(headers)
        if early is not None:
            await early(scope, receive, send_secured)
        else:
            received = 0

            async def limited() -> Any:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_body:
                        raise BodyTooLargeError(self.max_body)
                return message

            try:
                await self.app(scope, limited, send_secured)
            except BodyTooLargeError as exc:
                if status["code"]:
                    raise
                await problem(413, "too_large", str(exc.detail))(scope, receive, send_secured)
        log.info(
            "%s %s %s %.1f ms",
            scope["method"],
            scope["path"],
            status["code"],
            (time.perf_counter() - t0) * 1000,
        )

    def _refuse(self, headers: dict[bytes, bytes]) -> JSONResponse | None:
        host = _host_name(headers.get(b"host", b""))
        if host not in self.allowed:
            return problem(
                400,
                "bad_host",
                f"host {host!r} is not served here; allowed: {', '.join(sorted(self.allowed))} "
                "(overland serve --allow-host NAME)",
            )
        length = headers.get(b"content-length", b"")
        if length and (not length.isdigit() or int(length) > self.max_body):
            return problem(413, "too_large", f"request body over {self.max_body} bytes")
        return None


def guarded_h11(header_timeout_s: float) -> type:
    """uvicorn's h11 protocol with a header-read timeout: a connection that has not sent a
    whole request head within ``header_timeout_s`` of connecting (or of starting its next
    request) is closed, so slow clients cannot hold connections."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            waiting = self.cycle is None or self.cycle.response_complete
            if waiting and self._head_timer is None and not self.transport.is_closing():
                self._head_timer = self.loop.call_later(header_timeout_s, self._too_slow)
            elif not waiting:
                self._disarm()

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _too_slow(self) -> None:
            self._head_timer = None
            if self.cycle is None or self.cycle.response_complete:
                self.transport.close()

    return GuardedH11Protocol
