"""The OpenRouter provider over real HTTP, against a fake OpenRouter that checks what it is sent.

First the provider alone, then the whole service (alembic, uvicorn, the API) pointed at the same fake.
"""

import base64
import binascii
import io
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
import uvicorn
from PIL import Image, ImageChops
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.providers.base import FailureKind, ProviderError
from app.providers.openrouter import OpenRouterProvider
from app.styles import STYLES
from tests.support import PORTRAIT, ROOT

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


@pytest.fixture(scope="module")
def fake() -> FakeOpenRouter:
    return FakeOpenRouter()


@pytest.fixture(scope="module")
def fake_url(fake) -> Iterator[str]:
    sock = listening_socket()
    server = uvicorn.Server(uvicorn.Config(fake.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the fake OpenRouter did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def portrait() -> bytes:
    return PORTRAIT.read_bytes()


def same_picture(a: bytes, b: bytes) -> bool:
    with Image.open(io.BytesIO(a)) as left, Image.open(io.BytesIO(b)) as right:
        if left.size != right.size:
            return False
        return ImageChops.difference(left.convert("RGB"), right.convert("RGB")).getbbox() is None


def seed_style_request() -> dict:
    data_url = "data:image/png;base64," + base64.b64encode(make_result_image()).decode()
    return {
        "model": MODEL,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Make a hero."},
                    {"type": "image_url", "image_url": {"url": data_url}},
                ],
            }
        ],
        "modalities": ["image", "text"],
        "max_tokens": 4096,
    }


def test_fake_accepts_the_documented_request():
    assert request_problems(seed_style_request()) == []


@pytest.mark.parametrize(
    "breakage",
    [
        lambda body: body.pop("max_tokens"),
        lambda body: body.update(modalities=["text"]),
        lambda body: body["messages"][0]["content"].reverse(),
        lambda body: body["messages"][0]["content"][1]["image_url"].update(url="https://example.com/a.png"),
        lambda body: body["messages"][0]["content"][1]["image_url"].update(url="data:image/png;base64,AAAA"),
        lambda body: body.update(image_config={"aspect_ratio": "7:5"}),
    ],
)
def test_fake_rejects_requests_off_the_documented_format(breakage):
    body = seed_style_request()
    breakage(body)

    assert request_problems(body) != []


async def test_provider_over_real_http(fake, fake_url, portrait):
    provider = OpenRouterProvider(api_key=KEY, base_url=fake_url, referer="https://aivenger.test")
    try:
        result = await provider.generate(portrait, "image/jpeg", STYLES["dc"], generation_id="e2e-1")
        health = await provider.health()
    finally:
        await provider.aclose()

    assert result.image == fake.result
    assert result.model == MODEL
    assert result.cost_usd == Decimal(COST)
    assert result.provider_generation_id.startswith("gen-e2e-")
    assert (result.prompt_tokens, result.completion_tokens) == (1290, 1290)
    assert health["key"] == "accepted"
    headers, body = fake.received[-1]
    assert headers["http-referer"] == "https://aivenger.test"
    assert headers["x-title"] == "AIVenger"
    assert body["messages"][0]["content"][0]["text"] == STYLES["dc"].prompt
    assert body["image_config"] == {"aspect_ratio": "1:1"}  # the portrait is 512x512


async def test_provider_with_a_wrong_key_over_real_http(fake_url, portrait):
    provider = OpenRouterProvider(api_key="sk-or-v1-wrong", base_url=fake_url)
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.generate(portrait, "image/jpeg", STYLES["dc"], generation_id="e2e-2")
        health = await provider.health()
    finally:
        await provider.aclose()

    assert caught.value.kind is FailureKind.MISCONFIGURED
    assert "sk-or-v1-wrong" not in str(caught.value)
    assert health["key"] == "rejected"


async def test_provider_cannot_connect(portrait):
    with listening_socket() as sock:
        closed_port = sock.getsockname()[1]
    provider = OpenRouterProvider(
        api_key=KEY, base_url=f"http://127.0.0.1:{closed_port}/api/v1", sleep=no_sleep
    )
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.generate(portrait, "image/jpeg", STYLES["dc"], generation_id="e2e-3")
    finally:
        await provider.aclose()

    assert caught.value.kind is FailureKind.UNAVAILABLE
    assert caught.value.model_called is False


async def no_sleep(seconds: float) -> None:
    return None


# The whole service


@pytest.fixture(scope="module")
def api_url(fake_url, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    workdir = tmp_path_factory.mktemp("api")
    database = workdir / "aivenger.db"
    sock = listening_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(workdir / "media"),
        "AI_PROVIDER": "openrouter",
        "OPENROUTER_API_KEY": KEY,
        "OPENROUTER_BASE_URL": fake_url,
        "PUBLIC_URL": url,
    }
    env.pop("TASK_BROKER_URL", None)  # generations run in the API process
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log = (workdir / "api.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--fd", str(sock.fileno())],
        cwd=ROOT,
        env=env,
        pass_fds=[sock.fileno()],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (workdir / "api.log").read_text()
            assert time.monotonic() < deadline, "the API did not start"
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield url, database
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        sock.close()


async def test_api_generates_with_openrouter(fake, api_url, portrait):
    url, database = api_url
    async with httpx.AsyncClient(base_url=url, timeout=60) as api:
        health = (await api.get("/health")).json()
        assert health["provider"]["provider"] == "openrouter"
        assert health["provider"]["key"] == "accepted"

        account = {"email": "hero@example.com", "password": "correct horse battery staple"}
        assert (await api.post("/auth/register", json=account)).status_code == 201
        login = await api.post(
            "/auth/jwt/login", data={"username": account["email"], "password": account["password"]}
        )
        assert login.status_code == 200, login.text
        api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

        answer = await api.post(
            "/generations",
            files={"image": ("portrait-astronaut.jpg", portrait, "image/jpeg")},
            data={"style": "marvel"},
            headers={"Prefer": "wait=30"},
        )
        assert answer.status_code == 201, answer.text
        generation = answer.json()["generation"]
        assert generation["status"] == "completed"
        assert generation["model"] == MODEL

        stored = await api.get(urljoin(url + "/", generation["generatedImageUrl"]))
        assert stored.status_code == 200
        assert same_picture(stored.content, fake.result)

    headers, body = fake.received[-1]
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["http-referer"] == url
    assert body["messages"][0]["content"][0]["text"] == STYLES["marvel"].prompt
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT model, cost_usd, provider_generation_id, prompt_tokens FROM generations WHERE id = ?",
            (generation["id"],),
        ).fetchone()
    assert row[0] == MODEL
    assert Decimal(str(row[1])) == Decimal(COST)
    assert row[2].startswith("gen-e2e-")
    assert row[3] == 1290
