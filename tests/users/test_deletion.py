"""Deleting an account: the person, their generations, every stored image and the credit history go for good."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.models import CreditLedgerEntry, Generation, GrantedEmail, User
from tests.support import PASSWORD, Api, ledger, user_id

WAIT = {"Prefer": "wait=30"}


async def rows_of(api: Api, model: type, user_id: str) -> int:
    async with api.services.sessionmaker() as session:
        return int(await session.scalar(
            select(func.count()).select_from(model).where(model.user_id == uuid.UUID(user_id))  # type: ignore[attr-defined]
        ))


async def test_deleting_an_account_removes_everything_it_owned(api: Api) -> None:
    me = await api.register("gone@example.com")
    other = await api.register()
    user_id = (await api.client.get("/users/me", headers=me)).json()["id"]
    mine = [(await api.upload(me, extra_headers=WAIT)).json()["generation"] for _ in range(2)]
    theirs = (await api.upload(other, extra_headers=WAIT)).json()["generation"]
    media = api.settings.storage_dir / "users"
    assert len(list(media.glob("*/gen_*"))) == 3
    # A file no row points at (a crashed worker's, say) goes with the account too.
    (media / user_id / "gen_1_left-behind").mkdir()
    (media / user_id / "gen_1_left-behind" / "result.png").write_bytes(b"orphan")

    deleted = await api.client.delete("/users/me", headers=me)

    assert deleted.status_code == 200
    assert deleted.json() == {"success": True}
    assert sorted(p.name for p in media.glob("*/*")) == [theirs["id"]]  # only the other person's files remain
    for generation in mine:
        assert (await api.client.get(generation["generatedImageUrl"])).status_code == 404
    assert await rows_of(api, Generation, user_id) == 0
    assert await rows_of(api, CreditLedgerEntry, user_id) == 0
    async with api.services.sessionmaker() as session:
        assert await session.get(User, uuid.UUID(user_id)) is None
    assert (await api.client.get("/users/me", headers=me)).status_code == 401
    login = await api.client.post("/auth/jwt/login", data={"username": "gone@example.com", "password": PASSWORD})
    assert login.status_code == 400
    assert (await api.client.get(f"/generations/{theirs['id']}", headers=other)).status_code == 200


async def test_the_email_can_sign_up_again_but_gets_no_free_credits_twice(api: Api) -> None:
    me = await api.register("phoenix@example.com")
    await api.upload(me, extra_headers=WAIT)
    await api.client.delete("/users/me", headers=me)

    again = await api.register("Phoenix+again@Example.com")  # case and +tags name the same inbox

    assert await api.credits(again) == 0
    assert await ledger(api, await user_id(api, again)) == []
    assert (await api.client.get("/generations", headers=again)).json()["count"] == 0
    # What is kept is a keyed hash, not the address.
    async with api.services.sessionmaker() as session:
        kept = list(await session.scalars(select(GrantedEmail.email_hash)))
    assert len(kept) == 1
    assert "phoenix" not in kept[0]


async def test_a_cookie_session_is_cleared(api: Api) -> None:
    await api.register("cookie@example.com")
    login = await api.client.post("/auth/cookie/login", data={"username": "cookie@example.com",
                                                              "password": PASSWORD})
    assert login.status_code == 204

    deleted = await api.client.delete("/users/me", headers={"Origin": "http://localhost:8000"})

    assert deleted.status_code == 200
    assert 'aivenger_auth=""' in deleted.headers["set-cookie"]
    assert (await api.client.get("/users/me")).status_code == 401


async def test_a_cross_site_cookie_request_cannot_delete_an_account(api: Api) -> None:
    await api.register("victim@example.com")
    await api.client.post("/auth/cookie/login", data={"username": "victim@example.com", "password": PASSWORD})

    forged = await api.client.delete("/users/me", headers={"Origin": "https://evil.example"})

    assert forged.status_code == 403
    assert (await api.client.get("/users/me")).status_code == 200


async def test_on_s3_the_bucket_keeps_nothing_of_the_account(start_api, moto_endpoint: str, aws_env: None) -> None:
    bucket = f"acct-{uuid.uuid4().hex[:12]}"
    api = await start_api(storage_backend="s3", s3_bucket=bucket, s3_endpoint_url=moto_endpoint)
    me = await api.register()
    for _ in range(2):
        assert (await api.upload(me, extra_headers=WAIT)).status_code == 201
    client = api.services.storage._client
    assert len((await client.list_objects_v2(Bucket=bucket)).get("Contents", [])) == 8

    assert (await api.client.delete("/users/me", headers=me)).status_code == 200

    assert (await client.list_objects_v2(Bucket=bucket)).get("Contents", []) == []


async def test_deleting_needs_a_login(api: Api) -> None:
    answer = await api.client.delete("/users/me")
    assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHORIZED")
