"""Password guessing: enough wrong passwords in a row make an account refuse logins for a while."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from app.models import User, utcnow
from tests.support import PASSWORD, Api

WRONG = "not-the-password"


async def failures_of(api: Api, email: str) -> int:
    async with api.services.sessionmaker() as session:
        return int(await session.scalar(select(User.failed_logins).where(User.email == email)))


async def test_after_too_many_wrong_passwords_even_the_right_one_waits(start_api) -> None:
    api = await start_api(login_max_failures=3, login_lockout_seconds=600)
    await api.register("groot@example.com")

    for _ in range(3):
        assert (await api.login("groot@example.com", WRONG)).status_code == 400
    locked = await api.login("groot@example.com", PASSWORD)

    assert locked.status_code == 429
    assert locked.json() == {"success": False, "code": "RATE_LIMITED", "error":
                             "Too many wrong passwords for this account. Try again in 10 minutes, or reset your "
                             "password."}
    assert 590 <= int(locked.headers["Retry-After"]) <= 600
    assert (await api.login("somebody-else@example.com", WRONG)).status_code == 400  # other accounts unaffected


async def test_the_lockout_ends_when_its_time_has_passed(start_api) -> None:
    api = await start_api(login_max_failures=3, login_lockout_seconds=600)
    await api.register("drax@example.com")
    for _ in range(3):
        await api.login("drax@example.com", WRONG)

    async with api.services.sessionmaker() as session:  # ten minutes pass
        await session.execute(update(User).values(last_failed_login_at=utcnow() - timedelta(seconds=601)))
        await session.commit()

    assert (await api.login("drax@example.com", PASSWORD)).status_code == 200
    assert await failures_of(api, "drax@example.com") == 0


async def test_a_right_password_starts_the_count_again(start_api) -> None:
    api = await start_api(login_max_failures=3, login_lockout_seconds=600)
    await api.register("mantis@example.com")

    for _ in range(2):
        await api.login("mantis@example.com", WRONG)
    assert (await api.login("mantis@example.com", PASSWORD)).status_code == 200
    for _ in range(2):
        await api.login("mantis@example.com", WRONG)

    assert (await api.login("mantis@example.com", PASSWORD)).status_code == 200


async def test_concurrent_guesses_are_all_counted(start_api) -> None:
    api = await start_api(login_max_failures=100, login_lockout_seconds=600)
    await api.register("nebula@example.com")

    await asyncio.gather(*(api.login("nebula@example.com", WRONG) for _ in range(8)))

    assert await failures_of(api, "nebula@example.com") == 8


async def test_a_new_password_ends_the_lockout(start_api) -> None:
    api = await start_api(login_max_failures=3, login_lockout_seconds=600)
    me = await api.register("yondu@example.com")
    for _ in range(3):
        await api.login("yondu@example.com", WRONG)

    changed = await api.client.patch("/users/me", headers=me,
                                     json={"password": "whistle-arrow-1", "current_password": PASSWORD})

    assert changed.status_code == 200
    assert (await api.login("yondu@example.com", "whistle-arrow-1")).status_code == 200


async def test_the_lockout_is_documented_on_both_logins(api: Api) -> None:
    paths = (await api.client.get("/openapi.json")).json()["paths"]
    for login_path in ("/auth/jwt/login", "/auth/cookie/login"):
        assert "429" in paths[login_path]["post"]["responses"], login_path
    assert "429" not in paths["/auth/jwt/logout"]["post"]["responses"]


async def test_parallel_guessing_checks_no_more_passwords_than_the_limit(start_api, hashing_threads) -> None:
    api = await start_api(login_max_failures=10, login_lockout_seconds=600)
    await api.register("gamora@example.com")
    hashing_threads.clear()  # from here on, each entry is one password hashed or checked

    answers = await asyncio.gather(*(api.login("gamora@example.com", WRONG) for _ in range(40)))

    assert sorted(a.status_code for a in answers) == [400] * 10 + [429] * 30
    assert len(hashing_threads) == 10
    # Locked: the right password is not even checked, however many try it at once.
    rights = await asyncio.gather(*(api.login("gamora@example.com", PASSWORD) for _ in range(6)))
    assert [r.status_code for r in rights] == [429] * 6
    assert len(hashing_threads) == 10
