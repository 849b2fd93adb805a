"""A fake OpenRouter speaking its documented chat-completions format, served over real HTTP on loopback.

It checks every request against the documented shape and answers like OpenRouter (an image as a base64 data URL,
usage with its cost). `delay` holds each answer back, as a slow model would.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

KEY = "sk-or-v1-e2e-test-key"
MODEL = "google/gemini-2.5-flash-image"
COST = "0.0387"
ASPECT_RATIOS = {"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"}
INPUT_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}


def make_result_image() -> bytes:
    """A PNG no real model would draw: a gradient with a mark, so that a copy is easy to recognise."""
    image = Image.new("RGB", (96, 128))
    image.putdata([(x * 2, y * 2, (x * y) % 256) for y in range(128) for x in range(96)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status)


def message_ok(messages: object) -> bool:
    """One user message: a text part, then a base64 data URL of an image of an accepted type."""
    try:
        [message] = messages
        text, image = message["content"]
        header, payload = image["image_url"]["url"].split(",", 1)
        mime = header.removeprefix("data:").removesuffix(";base64")
        shape = (
            message["role"] == "user"
            and text["type"] == "text"
            and bool(text["text"].strip())
            and image["type"] == "image_url"
            and header == f"data:{mime};base64"
            and mime in INPUT_TYPES
        )
        Image.open(io.BytesIO(base64.b64decode(payload, validate=True))).verify()
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error, OSError):
        return False
    return shape


def request_problems(body: object) -> list[str]:
    """What is wrong with a chat-completions request, judged by the documented format."""
    if not isinstance(body, dict):
        return ["body is not an object"]
    problems = []
    if not isinstance(body.get("model"), str):
        problems.append("model")
    if "image" not in (body.get("modalities") or []):
        problems.append("modalities must include image")
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] <= 0:
        problems.append("max_tokens")
    aspect_ratio = (body.get("image_config") or {}).get("aspect_ratio")
    if aspect_ratio is not None and aspect_ratio not in ASPECT_RATIOS:
        problems.append("image_config.aspect_ratio")
    if not message_ok(body.get("messages")):
        problems.append("messages: one user message, a text part and then an image data URL")
    return problems


class FakeOpenRouter:
    def __init__(self) -> None:
        self.result = make_result_image()
        self.received: list[tuple[dict[str, str], dict]] = []
        self.client_ports: list[int] = []  # of each answered call: a new port is a new connection
        self.delay = 0.0
        self.in_flight = 0
        self.most_in_flight = 0  # the most requests it held at once
        self.app = Starlette(
            routes=[
                Route("/api/v1/chat/completions", self.completions, methods=["POST"]),
                Route("/api/v1/key", self.key, methods=["GET"]),
            ]
        )

    def authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {KEY}"

    async def completions(self, request: Request) -> JSONResponse:
        if not self.authorised(request):
            return error(401, "User not found.")
        if request.headers.get("content-type") != "application/json":
            return error(400, "Expected JSON")
        body = await request.json()
        if problems := request_problems(body):
            return error(400, "; ".join(problems))
        self.received.append((dict(request.headers), body))
        self.client_ports.append(request.client.port if request.client else 0)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        url = "data:image/png;base64," + base64.b64encode(self.result).decode()
        return JSONResponse(
            {
                "id": f"gen-e2e-{len(self.received)}",
                "provider": "Google",
                "model": body["model"],
                "object": "chat.completion",
                "created": int(time.time()),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "native_finish_reason": "STOP",
                        "message": {
                            "role": "assistant",
                            "content": "Here you go: ",
                            "refusal": None,
                            "images": [{"type": "image_url", "index": 0, "image_url": {"url": url}}],
                        },
                    }
                ],
                "usage": {
                    "prompt_tokens": 1290,
                    "completion_tokens": 1290,
                    "total_tokens": 2580,
                    "cost": 0.0387,
                },
            }
        )

    async def key(self, request: Request) -> JSONResponse:
        if not self.authorised(request):
            return error(401, "User not found.")
        return JSONResponse({"data": {"label": "sk-or-v1-e2e...", "limit": None, "usage": 0.0}})


def listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@contextlib.contextmanager
def serving(fake: FakeOpenRouter) -> Iterator[str]:
    """Serve `fake` on a free loopback port in a thread; yields its base URL."""
    sock = listening_socket()
    server = uvicorn.Server(uvicorn.Config(fake.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake OpenRouter did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
