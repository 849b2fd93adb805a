"""API keys: shown once, kept as a hash, revocable at once, and not for managing keys, email or password."""

from __future__ import annotations

import asyncio
import hashlib

from sqlalchemy import select, update

from app.models import ApiKey, User
from tests.support import PASSWORD, Api


async def new_key(api: Api, me: dict[str, str], name: str = "my script") -> dict[str, str]:
    created = await api.client.post("/users/me/api-keys", headers=me, json={"name": name})
    assert created.status_code == 201, created.text
    return created.json()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_key_works_wherever_a_login_does(api: Api) -> None:
    me = await api.register()
    key = await new_key(api, me)
    assert key["key"].startswith("aiv_")
    assert key["key"].startswith(key["prefix"])

    assert (await api.client.get("/users/me", headers=bearer(key["key"]))).status_code == 200
    upload = await api.upload(bearer(key["key"]), extra_headers={"Prefer": "wait=30"})
    assert upload.status_code == 201
    assert (await api.client.get("/generations", headers=bearer(key["key"]))).json()["count"] == 1
    assert (await api.client.get("/billing", headers=bearer(key["key"]))).json()["credits"] == 20


async def test_only_a_hash_is_kept_and_the_list_never_shows_the_key(api: Api) -> None:
    me = await api.register()
    key = await new_key(api, me)
    async with api.services.sessionmaker() as session:
        stored = (await session.scalars(select(ApiKey))).one()
    assert stored.key_hash == hashlib.sha256(key["key"].encode()).hexdigest()
    listed = (await api.client.get("/users/me/api-keys", headers=me)).json()["apiKeys"]
    assert [(k["id"], k["name"], k["prefix"]) for k in listed] == [(key["id"], "my script", key["prefix"])]
    assert key["key"] not in str(listed)


async def test_last_use_is_noted(api: Api) -> None:
    me = await api.register()
    key = await new_key(api, me)
    assert (await api.client.get("/users/me/api-keys", headers=me)).json()["apiKeys"][0]["lastUsedAt"] is None
    await api.client.get("/users/me", headers=bearer(key["key"]))
    await api.services.errands_done()
    assert (await api.client.get("/users/me/api-keys", headers=me)).json()["apiKeys"][0]["lastUsedAt"] is not None


async def test_a_revoked_key_stops_at_once(api: Api) -> None:
    me = await api.register()
    key = await new_key(api, me)
    assert (await api.client.delete(f"/users/me/api-keys/{key['id']}", headers=me)).status_code == 204
    assert (await api.client.get("/users/me", headers=bearer(key["key"]))).status_code == 401
    assert (await api.client.delete(f"/users/me/api-keys/{key['id']}", headers=me)).status_code == 404


async def test_another_persons_key_answers_404(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    key = await new_key(api, alice)
    gone = await api.client.delete(f"/users/me/api-keys/{key['id']}", headers=bob)
    assert (gone.status_code, gone.json()["code"]) == (404, "NOT_FOUND")
    assert (await api.client.get("/users/me", headers=bearer(key["key"]))).status_code == 200


async def test_a_key_cannot_manage_keys_email_password_or_delete_the_account(api: Api) -> None:
    me = await api.register("keyholder@example.com")
    key = bearer((await new_key(api, me))["key"])
    for method, path, body in (("POST", "/users/me/api-keys", {"name": "another"}),
                               ("GET", "/users/me/api-keys", None), ("DELETE", "/users/me", None)):
        refused = await api.client.request(method, path, headers=key, json=body)
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN"), path
    for change in ({"password": "a-new-password-1", "current_password": PASSWORD},
                   {"email": "other@example.com", "current_password": PASSWORD}):
        assert (await api.client.patch("/users/me", headers=key, json=change)).status_code == 401
    assert (await api.client.get("/users/me", headers=me)).json()["email"] == "keyholder@example.com"


async def test_a_disabled_account_s_keys_stop_working(api: Api) -> None:
    me = await api.register()
    key = bearer((await new_key(api, me))["key"])
    async with api.services.sessionmaker() as session:
        await session.execute(update(User).values(is_active=False))
        await session.commit()
    assert (await api.client.get("/users/me", headers=key)).status_code == 401


async def test_forged_keys_are_refused(api: Api) -> None:
    me = await api.register()
    key = (await new_key(api, me))["key"]
    for forged in (key[:-1] + ("A" if key[-1] != "A" else "B"), "aiv_", "aiv_" + "x" * 43, key + "x"):
        assert (await api.client.get("/users/me", headers=bearer(forged))).status_code == 401


async def test_names_are_checked_and_keys_are_bounded(start_api) -> None:
    api = await start_api()
    me = await api.register()
    for name in ("", "x" * 101, "nul\x00"):
        assert (await api.client.post("/users/me/api-keys", headers=me, json={"name": name})).status_code == 422
    await asyncio.gather(*(new_key(api, me, f"k{i}") for i in range(20)))
    refused = await api.client.post("/users/me/api-keys", headers=me, json={"name": "one too many"})
    assert (refused.status_code, refused.json()["code"]) == (422, "VALIDATION_ERROR")
