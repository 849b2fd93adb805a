"""Limits per client address: sign-ups and login attempts, counted exactly under concurrency on both databases."""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from fastapi_users.password import PasswordHelper
from sqlalchemy import func, select

from app.models import User
from app.users import manager
from tests.support import PASSWORD, Api


async def sign_up(api: Api) -> int:
    email = f"mob-{uuid.uuid4().hex[:10]}@example.com"
    answer = await api.client.post("/auth/register", json={"email": email, "password": PASSWORD})
    if answer.status_code == 429:
        assert answer.json()["code"] == "RATE_LIMITED"
        assert 1 <= int(answer.headers["Retry-After"]) <= 3600
    return answer.status_code


async def test_one_address_gets_at_most_the_limit_of_accounts_even_at_once(start_api) -> None:
    api = await start_api(signup_limit_per_ip_per_hour=5)

    answers = await asyncio.gather(*(sign_up(api) for _ in range(20)))

    assert sorted(answers) == [201] * 5 + [429] * 15
    async with api.services.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 5
    assert await sign_up(api) == 429


async def test_a_refused_sign_up_counts_too(start_api) -> None:
    api = await start_api(signup_limit_per_ip_per_hour=2)
    taken = {"email": "taken@example.com", "password": PASSWORD}
    assert (await api.client.post("/auth/register", json=taken)).status_code == 201
    assert (await api.client.post("/auth/register", json=taken)).status_code == 400  # probing who has an account
    assert await sign_up(api) == 429


async def test_login_attempts_are_limited_per_address_across_accounts(start_api) -> None:
    api = await start_api(login_limit_per_ip_per_hour=12, login_max_failures=10)
    for name in ("rocket", "mantis"):
        await api.client.post("/auth/register", json={"email": f"{name}@example.com", "password": PASSWORD})

    guesses = await asyncio.gather(*(api.login(f"{name}@example.com", "wrong-password")
                                     for name in ("rocket", "mantis") for _ in range(8)))

    assert sorted(g.status_code for g in guesses) == [400] * 12 + [429] * 4
    refused = next(g for g in guesses if g.status_code == 429)
    assert refused.json()["error"] == "Too many login attempts from your address. Try again later."
    # Neither account reached its own lockout: one stranger cannot lock many people out.
    async with api.services.sessionmaker() as session:
        assert max(await session.scalars(select(User.failed_logins))) < 10


async def test_a_burst_of_sign_ups_hashes_passwords_only_in_the_hashing_threads(start_api, monkeypatch) -> None:
    # Each Argon2 hash holds 64 MiB while it runs: a burst queues for the hashing threads (one per core) instead of
    # taking memory for each. With one such thread here, no two hashes may ever run at once.
    monkeypatch.setattr(manager, "_HASHING", ThreadPoolExecutor(max_workers=1))
    api = await start_api()
    running = most = 0
    lock = threading.Lock()
    library_hash = PasswordHelper.hash

    def observed_hash(self: PasswordHelper, password: str) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return library_hash(self, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(PasswordHelper, "hash", observed_hash)

    answers = await asyncio.gather(*(sign_up(api) for _ in range(8)))

    assert answers == [201] * 8
    assert most == 1
