"""What tests share besides fixtures: the test photos, picture factories, and a driver for the running API.

Fixtures live in conftest.py; this is a plain module that tests import.
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import select

from app.config import Settings
from app.models import CreditLedgerEntry

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "tests" / "photos"
PORTRAIT = PHOTOS / "portrait-astronaut.jpg"
CAT = PHOTOS / "cat-chelsea.jpg"
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
FAKE_ACCESS_KEY = "AKIAFAKEFORTESTS0001"
FAKE_SECRET_KEY = "fake-secret-key-for-tests-only"
PASSWORD = "correct horse battery"


def free_port() -> int:
    """A loopback port nothing listens on (until a test starts something there)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ManualClock:
    """A clock that moves only when a test moves it, so that no assertion depends on how fast the machine is."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Api:
    """A running app (lifespan included) and an HTTP client speaking to it in-process."""

    def __init__(self, app: Any, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    @property
    def services(self) -> Any:
        return self.app.state.services

    @property
    def settings(self) -> Settings:
        return self.app.state.settings

    async def register(self, email: str | None = None) -> dict[str, str]:
        """A new account; returns the Authorization header of its bearer token."""
        email = email or f"hero-{uuid.uuid4().hex[:10]}@example.com"
        created = await self.client.post("/auth/register", json={"email": email, "password": PASSWORD})
        assert created.status_code == 201, created.text
        login = await self.login(email, PASSWORD)
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def login(self, email: str, password: str) -> httpx.Response:
        """A bearer-token login, answered as it is (200, 400 for a wrong password, 429 when locked)."""
        return await self.client.post("/auth/jwt/login", data={"username": email, "password": password})

    async def upload(self, headers: dict[str, str], image: bytes | None = None, *, style: str | None = None,
                     filename: str = "portrait.jpg", content_type: str = "image/jpeg",
                     extra_headers: dict[str, str] | None = None) -> httpx.Response:
        data = {"style": style} if style else {}
        files = {"image": (filename, image if image is not None else PORTRAIT.read_bytes(), content_type)}
        return await self.client.post("/generations", headers={**headers, **(extra_headers or {})},
                                      files=files, data=data)

    async def wait_done(self, headers: dict[str, str], generation_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            got = await self.client.get(f"/generations/{generation_id}", headers=headers)
            assert got.status_code == 200, got.text
            if got.json()["status"] != "pending":
                return got.json()
            assert asyncio.get_running_loop().time() < deadline, "generation still pending"
            await asyncio.sleep(0.05)

    async def credits(self, headers: dict[str, str]) -> int:
        me = await self.client.get("/users/me", headers=headers)
        assert me.status_code == 200, me.text
        return int(me.json()["credits"])


StartApi = Callable[..., Awaitable[Api]]


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 480), **save: Any) -> bytes:
    """A photo-like picture (a gradient, so it has detail) in the given format."""
    width, height = size
    gradient = Image.linear_gradient("L").resize(size)
    picture = Image.merge("RGB", (gradient, gradient.rotate(90).resize(size), Image.new("L", size, 120)))
    buf = io.BytesIO()
    picture.save(buf, format=fmt, **save)
    return buf.getvalue()


def blank_png(size: tuple[int, int] = (400, 400)) -> bytes:
    """One colour: refused at upload, before any charge."""
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 30, 200)).save(buf, format="PNG")
    return buf.getvalue()


def faint_png(size: tuple[int, int] = (400, 400)) -> bytes:
    """Barely any detail: enough to be accepted, too little for the offline model, which then fails the generation
    (the way to reach a model failure without a network)."""
    ramp = Image.linear_gradient("L").resize(size).point(lambda v: 120 + v * 12 // 255)
    buf = io.BytesIO()
    Image.merge("RGB", (ramp, ramp, ramp)).save(buf, format="PNG")
    return buf.getvalue()


async def ledger(api: Api, user_id: str) -> list[tuple[str, int, str | None]]:
    async with api.services.sessionmaker() as session:
        rows = await session.execute(
            select(CreditLedgerEntry.kind, CreditLedgerEntry.amount, CreditLedgerEntry.generation_id)
            .where(CreditLedgerEntry.user_id == uuid.UUID(user_id)).order_by(CreditLedgerEntry.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def user_id(api: Api, headers: dict[str, str]) -> str:
    return (await api.client.get("/users/me", headers=headers)).json()["id"]
