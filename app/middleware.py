"""ASGI middleware: request-size limits and cross-site request protection for cookie sessions."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError, ErrorCode, describe_exception

logger = logging.getLogger(__name__)

# Room for the multipart framing and the small form fields around the file.
MULTIPART_OVERHEAD = 64 * 1024
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


async def _send_error(send: Send, status: int, message: str, code: ErrorCode) -> None:
    body = json.dumps({"success": False, "error": message, "code": code}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})


class CatchUnexpected:
    """The last resort: any error nothing else handled becomes a 500 in the one error shape, and one log line that
    says where, never a stack trace or the error's message (which may carry secrets or personal data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            logger.error("unexpected error on %s %s: %s", scope["method"], scope["path"], describe_exception(exc))
            if not started:
                await _send_error(send, 500, AppError.message, ErrorCode.INTERNAL_ERROR)


class BodySizeLimit:
    """Refuse a request body over the limit while it arrives, without reading (or buffering) the rest."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_file_mb: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.message = f"The file is too large: the limit is {max_file_mb} MB."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _send_error(send, 413, self.message, ErrorCode.FILE_TOO_LARGE)
            return

        received = 0
        too_large = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    # Ends the body early: the app stops parsing, and its answer is replaced below.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if too_large:
                return
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not response_started:
            await _send_error(send, 413, self.message, ErrorCode.FILE_TOO_LARGE)


class CookieCsrfGuard:
    """Writes authenticated by the session cookie must come from an allowed origin.

    Browsers attach cookies to cross-site requests; they also send `Origin`, which a hostile page cannot forge.
    Requests carrying a bearer token (API clients) are not at risk and pass untouched.
    """

    def __init__(self, app: ASGIApp, cookie_name: str, allowed_origins: list[str]) -> None:
        self.app = app
        self.cookie_marker = f"{cookie_name}=".encode()
        self.allowed = {self._origin(o) for o in allowed_origins if o}

    @staticmethod
    def _origin(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = dict(scope["headers"])
            uses_cookie = self.cookie_marker in headers.get(b"cookie", b"")
            if uses_cookie and b"authorization" not in headers:
                source = (headers.get(b"origin") or headers.get(b"referer") or b"").decode("latin-1")
                host = headers.get(b"host", b"").decode("latin-1").lower()
                same_origin = bool(source) and urlsplit(source).netloc.lower() == host
                if not same_origin and (not source or self._origin(source) not in self.allowed):
                    await _send_error(send, 403, "Cross-site request refused.", ErrorCode.FORBIDDEN)
                    return
        await self.app(scope, receive, send)
