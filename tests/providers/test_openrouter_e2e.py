"""The OpenRouter provider over real HTTP, against a fake OpenRouter that checks what it is sent.

First the provider alone, then the whole service (alembic, uvicorn, the API) pointed at the same fake.
"""

import asyncio
import base64
import io
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from PIL import Image, ImageChops, ImageStat

from app.providers.base import AnswerSlot, FailureKind, ProviderError, image_of
from app.providers.openrouter import OpenRouterProvider
from app.providers.openrouter.client import KEEPALIVE_SECONDS
from app.styles import STYLES
from tests.fake_openrouter import (
    COST,
    KEY,
    MODEL,
    FakeOpenRouter,
    listening_socket,
    make_result_image,
    request_problems,
    serving,
)
from tests.support import PORTRAIT, ROOT


@pytest.fixture(scope="module")
def fake() -> FakeOpenRouter:
    return FakeOpenRouter()


@pytest.fixture(scope="module")
def fake_url(fake) -> Iterator[str]:
    with serving(fake) as url:
        yield url


@pytest.fixture
def portrait() -> bytes:
    return PORTRAIT.read_bytes()


def same_picture(a: bytes, b: bytes) -> bool:
    """The same pixels, but for what a high-quality JPEG changes (results are stored as JPEG)."""
    with Image.open(io.BytesIO(a)) as left, Image.open(io.BytesIO(b)) as right:
        if left.size != right.size:
            return False
        difference = ImageStat.Stat(ImageChops.difference(left.convert("RGB"), right.convert("RGB")))
        return max(difference.mean) < 8  # a grey picture of the same size is 50 to 65 away


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
        result = await provider.generate(image_of(portrait), "image/jpeg", STYLES["dc"], generation_id="e2e-1")
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


async def test_a_connection_idle_for_longer_than_the_keepalive_is_not_reused(fake, fake_url, portrait):
    """The fake is uvicorn, which closes connections idle for 5 s: a call reusing one just then would fail after
    reaching the model. A connection is reused right after a call, and not once idle past KEEPALIVE_SECONDS."""
    provider = OpenRouterProvider(api_key=KEY, base_url=fake_url, referer="https://aivenger.test")
    try:
        for name in ("first", "right-after"):
            await provider.generate(image_of(portrait), "image/jpeg", STYLES["dc"], generation_id=name)
        await asyncio.sleep(KEEPALIVE_SECONDS + 0.3)
        await provider.generate(image_of(portrait), "image/jpeg", STYLES["dc"], generation_id="after-a-pause")
    finally:
        await provider.aclose()

    first, right_after, after_a_pause = fake.client_ports[-3:]
    assert right_after == first
    assert after_a_pause != first


async def test_every_model_slot_reaches_the_model_at_once(make_settings, portrait):
    """MODEL_CONCURRENCY calls run at once, however many: the HTTP client's connections are not a second, smaller
    limit (httpx's default pool holds 100, and the calls beyond it would wait, then fail)."""
    fake = FakeOpenRouter()
    fake.delay = 1.0
    with serving(fake) as url:
        provider = OpenRouterProvider.from_settings(
            make_settings(ai_provider="openrouter", openrouter_api_key=KEY, openrouter_base_url=url,
                          model_concurrency=150))
        try:
            results = await asyncio.gather(*(
                provider.generate(image_of(portrait), "image/jpeg", STYLES["dc"], generation_id=f"slot-{i}")
                for i in range(150)))
        finally:
            await provider.aclose()

    assert [result.image for result in results] == [fake.result] * 150
    assert fake.most_in_flight == 150


async def test_an_answer_beyond_the_places_waits_unread_until_one_is_given_back(portrait):
    fake = FakeOpenRouter()
    places = asyncio.Semaphore(1)
    slots = {"a": AnswerSlot(places), "b": AnswerSlot(places)}
    with serving(fake) as url:
        provider = OpenRouterProvider(api_key=KEY, base_url=url)
        try:
            calls = {name: asyncio.create_task(provider.generate(
                image_of(portrait), "image/jpeg", STYLES["dc"], generation_id=name, answer_slot=slot))
                for name, slot in slots.items()}
            done, _ = await asyncio.wait(calls.values(), return_when=asyncio.FIRST_COMPLETED)
            [first] = [name for name, call in calls.items() if call in done]
            [second] = [name for name in calls if name != first]
            # The model has answered both; the second answer is left in its connection while the place is held.
            async with asyncio.timeout(10):
                while len(fake.received) < 2 or fake.in_flight:
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)
            assert not calls[second].done()

            slots[first].release()
            assert (await calls[second]).image == fake.result
        finally:
            await provider.aclose()
    slots[second].release()
    assert places.locked() is False


async def test_provider_with_a_wrong_key_over_real_http(fake_url, portrait):
    provider = OpenRouterProvider(api_key="sk-or-v1-wrong", base_url=fake_url)
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.generate(image_of(portrait), "image/jpeg", STYLES["dc"], generation_id="e2e-2")
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
            await provider.generate(image_of(portrait), "image/jpeg", STYLES["dc"], generation_id="e2e-3")
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
        assert generation["model"] == "standard"  # the choice; the provider's own name is kept below

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
