"""How `python -m app serve` reads HTTP/1.1: uvicorn's httptools protocol, held to two limits of the HTTP contract.

- A request whose head (request line and headers) is over MAX_HEADER_BYTES is answered 431 and its connection closed.
- A request gets REQUEST_DEADLINE_SECONDS from its first byte until its body is complete; then it is answered 408
  (when that cannot cut into another response) and its connection closed.

Connections idle between requests are still closed by uvicorn's keep-alive timeout.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any, cast

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from app.errors import ErrorCode

# No client of the API needs more (a bearer token and the session cookie are well under 4 KB), and without a cap
# httptools buffers a head of any size: a few such requests would take a worker's memory.
MAX_HEADER_BYTES = 16 * 1024
# Without a deadline a client that trickles its headers or stalls mid-body (slowloris) holds its connection, and
# what the app holds for it, forever; a few hundred of them starve every worker. The body counts too: an upload of
# MAX_UPLOAD_BYTES (10 MB by default) needs about 3 Mbit/s upstream to arrive in time.
REQUEST_DEADLINE_SECONDS = 30.0


class _HeadTooLarge(Exception):
    """Raised from a parser callback: it is the only way to stop httptools mid-request."""


def http_protocol(request_deadline: float = REQUEST_DEADLINE_SECONDS) -> type[asyncio.Protocol]:
    """What `uvicorn.run(http=...)` takes.

    uvicorn only calls it with keyword arguments, so a partial can stand in for the class; unlike a class made on the
    fly, it pickles by reference into the worker processes that `--workers` spawns.
    """
    factory = functools.partial(LimitedHttpToolsProtocol, request_deadline=request_deadline)
    return cast("type[asyncio.Protocol]", factory)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        request_deadline: float = REQUEST_DEADLINE_SECONDS,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.request_deadline = request_deadline
        self._deadline: asyncio.TimerHandle | None = None
        self._in_request = False  # from the first byte of a request to the end of its body
        self._in_head = False
        # The head as parsed, which misses a header still being received (httptools hands over whole headers) ...
        self._parsed_head_bytes = 0
        # ... and as received, in whole reads, which misses a read that also carried the end of the previous request.
        self._received_head_bytes = 0
        self._read_ended_a_request = False

    # A connection that never sends a byte is held to the deadline too.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        super().connection_lost(exc)

    # uvicorn's own, but for telling a head over the limit from a malformed request.
    def data_received(self, data: bytes) -> None:
        if self._deadline is None and (self.cycle is None or self.cycle.response_complete):
            # Before a request begins: bytes that begin none (blank lines) must not keep the connection open either.
            self._arm_deadline()
        self._unset_keepalive_if_required()
        self._read_ended_a_request = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _HeadTooLarge):
                self._refuse_head()
            else:
                msg = "Invalid HTTP request received."
                self.logger.warning(msg)
                self.send_400_response(msg)
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._in_head and not self._read_ended_a_request:
            self._received_head_bytes += len(data)
            if self._received_head_bytes > MAX_HEADER_BYTES:
                self._refuse_head()

    def handle_websocket_upgrade(self) -> None:
        # The connection is the WebSocket's from now on; its lifetime is not a request's.
        self._disarm_deadline()
        self._in_request = self._in_head = False
        super().handle_websocket_upgrade()

    # Parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_request = self._in_head = True
        self._parsed_head_bytes = self._received_head_bytes = 0
        # The deadline runs from the request's first byte, not from when the connection opened or went idle.
        self._arm_deadline()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._parsed_head_bytes += len(name) + len(value) + 4  # "name: value\r\n"
        self._check_head()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._check_head()
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_request = False
        self._read_ended_a_request = True
        self._disarm_deadline()
        super().on_message_complete()

    def _check_head(self) -> None:
        if len(self.url) + self._parsed_head_bytes > MAX_HEADER_BYTES:
            raise _HeadTooLarge

    def _refuse_head(self) -> None:
        self.logger.warning("Request head over %d bytes refused.", MAX_HEADER_BYTES)
        self._close(431, f"The request headers are too large (at most {MAX_HEADER_BYTES // 1024} KB in all).")

    # The deadline
    def _arm_deadline(self) -> None:
        self._disarm_deadline()
        self._deadline = self.loop.call_later(self.request_deadline, self._deadline_passed)

    def _disarm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _deadline_passed(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if not self._in_request:  # nothing was asked: there is nobody to answer
            self.transport.close()
            return
        self.logger.info("Request not received within %g seconds; connection closed.", self.request_deadline)
        self._close(408, f"The request was not received within {self.request_deadline:g} seconds.")

    def _close(self, status: int, message: str) -> None:
        """Answer the request being received with an error in the API's shape (if that can be done now), and hang up."""
        if self._may_answer():
            body = json.dumps({"success": False, "error": message, "code": ErrorCode.BAD_REQUEST}).encode()
            head = [STATUS_LINE[status]]
            for name, value in self.server_state.default_headers:
                head += [name, b": ", value, b"\r\n"]
            head += [b"content-type: application/json\r\n", b"content-length: %d\r\n" % len(body),
                     b"connection: close\r\n\r\n"]
            self.transport.write(b"".join(head) + body)
        if self.cycle is not None and not self.cycle.response_complete:
            # As connection_lost will: the app must not write after the answer above, nor wait for more body.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()

    def _may_answer(self) -> bool:
        """Whether an answer now would come in order: no other response is being written, nor this one started."""
        if self.cycle is None:
            return True
        if self._in_head:  # self.cycle is the previous request's
            return self.cycle.response_complete
        return not self.pipeline and not self.cycle.response_started
