"""`python -m app serve`: the API as production runs it, in as many processes as asked, held to the HTTP limits."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from tests.support import ROOT, free_port

# Short, so that the clients below are cut off in seconds; the real deadline is app.serving.REQUEST_DEADLINE_SECONDS.
DEADLINE = 2.5
# Well past DEADLINE, well short of the real deadline: a client still connected by then was not cut off.
CUT_OFF_BOUND = 20.0


@contextmanager
def serving(database_url: str, auth_secret: str, workdir: Path, *options: str,
            env: dict[str, str] | None = None) -> Iterator[int]:
    """`python -m app serve` on a free port, once /health answers; its output goes to workdir/serve.log."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "STORAGE_DIR": str(workdir / "media"),
           "AUTH_SECRET": auth_secret, "APP_ENV": "test", "FRONTEND_DIST": str(workdir / "no-spa"), **(env or {})}
    with (workdir / "serve.log").open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), *options],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
                    break
                except httpx.TransportError:
                    assert server.poll() is None, (workdir / "serve.log").read_text()
                    assert time.monotonic() < deadline, "the server did not start within a minute"
                    time.sleep(0.2)
            yield port
        finally:
            server.terminate()
            server.wait(30)


def test_serve_answers_from_two_processes(settings: Settings, tmp_path: Path, empty_tables: None) -> None:
    with serving(settings.database_url, settings.auth_secret.get_secret_value(), tmp_path, "--workers", "2") as port:
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert health.status_code == 200
        assert "server" not in health.headers  # no advertising of what runs it
    output = (tmp_path / "serve.log").read_text()
    assert output.count("Application startup complete") == 2, output


@pytest.mark.parametrize(("trusted", "spoofable"), [("127.0.0.1", True), ("10.9.8.7", False)])
def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(
    settings: Settings, tmp_path: Path, empty_tables: None, trusted: str, spoofable: bool
) -> None:
    env = {"FORWARDED_ALLOW_IPS": trusted, "SIGNUP_LIMIT_PER_IP_PER_HOUR": "2"}
    with serving(settings.database_url, settings.auth_secret.get_secret_value(), tmp_path, env=env) as port:
        def sign_up(forwarded_for: str) -> int:
            body = {"email": f"x{time.monotonic_ns()}@example.com", "password": "correct horse battery"}
            return httpx.post(f"http://127.0.0.1:{port}/auth/register", json=body, timeout=30,
                              headers={"X-Forwarded-For": forwarded_for}).status_code

        assert [sign_up("203.0.113.1") for _ in range(3)] == [201, 201, 429]
        # From the proxy, another client is another address; from anyone else, the header is a lie and ignored.
        assert sign_up("203.0.113.2") == (201 if spoofable else 429)


# --- the HTTP limits, on raw sockets against one server (two workers, as the limits must reach every one) ---


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    # The limits do not depend on the database, so these run once, on a SQLite database of their own.
    workdir = tmp_path_factory.mktemp("serve")
    database_url = f"sqlite+aiosqlite:///{workdir / 'limits.db'}"
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "DATABASE_URL": database_url})
    with serving(database_url, "test-secret-" + "x" * 40, workdir,
                 "--workers", "2", "--request-deadline", str(DEADLINE)) as listening:
        yield listening
    # A client cut off must not look like a crash of the app.
    assert "Traceback" not in (workdir / "serve.log").read_text()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_until_closed(sock: socket.socket, within: float = CUT_OFF_BOUND) -> bytes:
    """Everything the server sends until it hangs up, which it must do within the given seconds."""
    received = b""
    give_up = time.monotonic() + within
    while True:
        sock.settimeout(max(give_up - time.monotonic(), 0.01))
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        except TimeoutError:
            pytest.fail(f"the connection was still open after {within} s")
        if not chunk:
            return received
        received += chunk


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response (with a Content-Length), leaving the connection as the server leaves it."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed mid-response: {received!r}"
        received += chunk
    status, headers, body = parse(received)
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed mid-response: {received!r}"
        body += chunk
    return status, headers, body


def parse(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def assert_error_shape(body: bytes) -> None:
    error = json.loads(body)
    assert error["success"] is False
    assert error["code"] == "BAD_REQUEST"
    assert isinstance(error["error"], str)
    assert error["error"].strip()


def test_headers_over_16_kb_in_all_are_refused_with_431(port: int) -> None:
    twenty_kb = "".join(f"X-Pad-{i}: {'a' * 1000}\r\n" for i in range(20))
    with connect(port) as sock:
        sock.sendall(f"GET /health HTTP/1.1\r\nHost: x\r\n{twenty_kb}\r\n".encode())
        status, headers, body = parse(read_until_closed(sock))

    assert status == 431
    assert headers["connection"] == "close"
    assert headers["content-type"] == "application/json"
    assert_error_shape(body)


def test_a_head_still_arriving_is_refused_as_soon_as_it_is_over_16_kb(port: int) -> None:
    with connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 20 * 1024)  # and no end of line
        status, _, body = parse(read_until_closed(sock))

    assert status == 431  # not the deadline's 408
    assert_error_shape(body)


def test_headers_of_15_kb_are_served(port: int) -> None:
    health = httpx.get(f"http://127.0.0.1:{port}/health", headers={"X-Pad": "a" * 15 * 1024}, timeout=10)

    assert health.status_code == 200, health.text


def test_a_client_trickling_its_headers_is_cut_off(port: int) -> None:
    with connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        received = b""
        while time.monotonic() - started < CUT_OFF_BOUND:
            if select.select([sock], [], [], 1.0)[0]:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                received += chunk
            else:
                try:
                    sock.sendall(b"x")  # one more byte of a header name, every second
                except (BrokenPipeError, ConnectionResetError):
                    break
        else:
            pytest.fail(f"the connection was still open after {CUT_OFF_BOUND} s")

    # Unless a byte crossed the server's hang-up (and was answered with a reset), the client was told why.
    assert received == b"" or received.startswith(b"HTTP/1.1 408 "), received


def test_a_client_stalling_mid_body_is_cut_off_with_408(port: int) -> None:
    with connect(port) as sock:
        sock.sendall(b"POST /auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n" + b'{"email":"')
        status, headers, body = parse(read_until_closed(sock))

    assert status == 408
    assert headers["connection"] == "close"
    assert_error_shape(body)


def test_a_connection_that_never_asks_anything_is_closed(port: int) -> None:
    with connect(port) as sock:
        assert read_until_closed(sock) == b""


def test_a_kept_alive_connection_outlives_the_deadline_between_requests(port: int) -> None:
    with connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[0] == 200
        time.sleep(DEADLINE + 0.5)  # idle, which is the keep-alive timeout's to end (5 s), not the deadline's
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[0] == 200


def test_requests_are_served_after_all_that(port: int) -> None:
    health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)

    assert health.status_code == 200, health.text
