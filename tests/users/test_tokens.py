"""Login tokens end when they should: at logout, on a new password, at expiry, with the account."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from sqlalchemy import select, update

from app.models import AccessToken, utcnow
from tests.support import PASSWORD, Api


async def bearer(api: Api, email: str, password: str = PASSWORD) -> dict[str, str]:
    login = await api.login(email, password)
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def status_of(api: Api, headers: dict[str, str]) -> int:
    return (await api.client.get("/users/me", headers=headers)).status_code


async def test_logout_ends_that_login_and_no_other(api: Api) -> None:
    first = await api.register("peter@example.com")
    second = await bearer(api, "peter@example.com")

    logout = await api.client.post("/auth/jwt/logout", headers=first)

    assert logout.status_code == 204
    assert await status_of(api, first) == 401
    assert await status_of(api, second) == 200
    # A second logout with the dead token is refused like any dead token.
    assert (await api.client.post("/auth/jwt/logout", headers=first)).status_code == 401


async def test_a_new_password_ends_every_earlier_login_bearer_and_cookie(api: Api) -> None:
    phone = await api.register("gwen@example.com")
    laptop = await bearer(api, "gwen@example.com")
    cookie = await api.client.post("/auth/cookie/login", data={"username": "gwen@example.com", "password": PASSWORD})
    assert cookie.status_code == 204
    assert (await api.client.get("/users/me")).status_code == 200

    changed = await api.client.patch("/users/me", headers=laptop,
                                     json={"password": "a-new-password-1", "current_password": PASSWORD})

    assert changed.status_code == 200
    assert await status_of(api, phone) == 401
    assert await status_of(api, laptop) == 401
    assert (await api.client.get("/users/me")).status_code == 401  # the cookie's login ended too
    api.client.cookies.clear()
    assert await status_of(api, await bearer(api, "gwen@example.com", "a-new-password-1")) == 200


async def test_changing_only_the_email_keeps_the_logins(api: Api) -> None:
    me = await api.register("miles@example.com")
    changed = await api.client.patch("/users/me", headers=me,
                                     json={"email": "spider@example.com", "current_password": PASSWORD})
    assert changed.status_code == 200
    assert await status_of(api, me) == 200


async def test_an_expired_login_is_refused(api: Api) -> None:
    me = await api.register("logan@example.com")
    async with api.services.sessionmaker() as session:
        await session.execute(update(AccessToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        await session.commit()

    assert await status_of(api, me) == 401
    # The library's own routes read tokens the same way.
    assert (await api.client.patch("/users/me", headers=me, json={})).status_code == 401


async def test_only_a_hash_of_each_token_is_stored(api: Api) -> None:
    me = await api.register("kitty@example.com")
    token = me["Authorization"].removeprefix("Bearer ")
    async with api.services.sessionmaker() as session:
        stored = list(await session.scalars(select(AccessToken.token_hash)))

    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in stored


async def test_garbage_and_forged_tokens_are_refused(api: Api) -> None:
    me = await api.register("jean@example.com")
    token = me["Authorization"].removeprefix("Bearer ")
    for forged in (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), "x", "Bearer", token + "="):
        assert await status_of(api, {"Authorization": f"Bearer {forged}"}) == 401


async def test_deleting_the_account_ends_its_logins(api: Api) -> None:
    me = await api.register("scott@example.com")
    other = await bearer(api, "scott@example.com")
    assert (await api.client.delete("/users/me", headers=me)).status_code == 200
    assert await status_of(api, other) == 401
    async with api.services.sessionmaker() as session:
        assert list(await session.scalars(select(AccessToken))) == []


async def test_concurrent_logins_each_get_their_own_token(api: Api) -> None:
    await api.register("ororo@example.com")
    logins = await asyncio.gather(*(bearer(api, "ororo@example.com") for _ in range(5)))
    assert len({h["Authorization"] for h in logins}) == 5
    assert all([await status_of(api, h) == 200 for h in logins])


async def test_every_route_with_a_caller_documents_both_ways_of_signing_in(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"] == {
        "OAuth2PasswordBearer": {"type": "oauth2", "flows": {"password": {"scopes": {}, "tokenUrl": "auth/jwt/login"}}},
        "APIKeyCookie": {"type": "apiKey", "in": "cookie", "name": "aivenger_auth"},
    }
    either = [{"OAuth2PasswordBearer": []}, {"APIKeyCookie": []}]
    secured = {(method, path): operation["security"] for path, operations in schema["paths"].items()
               for method, operation in operations.items() if "security" in operation}
    assert all(security == either for security in secured.values())
    # A caller read alone, with the route's reads, before a write, by a login only, by an operator.
    for route in [("get", "/users/me"), ("get", "/user/stats"), ("get", "/generations"), ("post", "/generations"),
                  ("get", "/users/me/api-keys"), ("get", "/admin/stats")]:
        assert route in secured
        assert (await api.client.request(route[0].upper(), route[1])).status_code == 401
