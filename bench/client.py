"""Talking to the API as its clients do: sign-up, login, uploads, over HTTP only."""

from __future__ import annotations

import asyncio
import io
import secrets
from dataclasses import dataclass
from functools import lru_cache

import httpx
from PIL import Image

from bench.common import PHOTO

STYLES = ("superhero", "marvel", "dc")


@lru_cache
def photo_jpeg(side: int = 1024) -> bytes:
    """The test portrait at `side` px on its long edge, as a phone's JPEG would arrive (quality 90)."""
    with Image.open(PHOTO) as source:
        picture = source.convert("RGB")
    scale = side / max(picture.size)
    size = (round(picture.width * scale), round(picture.height * scale))
    buf = io.BytesIO()
    picture.resize(size, Image.Resampling.LANCZOS).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_credentials() -> tuple[str, str]:
    return f"bench-{secrets.token_hex(6)}@example.com", secrets.token_urlsafe(12)


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/jwt/login", data={"username": email, "password": password})


async def sign_up(client: httpx.AsyncClient) -> Account:
    email, password = new_credentials()
    registered = await client.post("/auth/register", json={"email": email, "password": password})
    registered.raise_for_status()
    answer = await login(client, email, password)
    answer.raise_for_status()
    return Account(email, password, answer.json()["access_token"])


async def sign_up_many(client: httpx.AsyncClient, count: int, concurrency: int = 4) -> list[Account]:
    # Password hashing is slow by design; a few at once keep the API's threads busy without queueing for ever.
    gate = asyncio.Semaphore(concurrency)

    async def one() -> Account:
        async with gate:
            return await sign_up(client)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def upload(
    client: httpx.AsyncClient, account: Account, photo: bytes, *, style: str = "superhero", wait: int = 0,
) -> httpx.Response:
    headers = dict(account.headers)
    if wait:
        headers["Prefer"] = f"wait={wait}"
    return await client.post(
        "/generations", headers=headers, files={"image": ("portrait.jpg", photo, "image/jpeg")},
        data={"style": style},
    )
