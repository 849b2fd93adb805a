"""One Idempotency-Key, however many requests carry it at once: one generation, one charge, one answer."""

from __future__ import annotations

import asyncio

from tests.support import Api, image_bytes, ledger, user_id

SAME_TIME = 60


async def test_concurrent_requests_with_one_key_make_one_generation_and_one_charge(start_api) -> None:
    api = await start_api(rate_limit_per_minute=1000, signup_credits=100)
    me, other = await api.register(), await api.register()
    photo = image_bytes(size=(512, 512))
    key = {"Idempotency-Key": "tap-tap-tap"}

    same_key, others = await asyncio.gather(
        asyncio.gather(*(api.upload(me, photo, extra_headers=key) for _ in range(SAME_TIME))),
        asyncio.gather(*(api.upload(other, photo) for _ in range(3))),
    )

    # A replay tells the generation as it stands: still pending (202) or already done (201).
    assert {a.status_code for a in same_key} <= {201, 202}, {a.status_code for a in same_key}
    assert len({a.json()["generation"]["id"] for a in same_key}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in same_key) == SAME_TIME - 1
    assert {a.json()["remainingCredits"] for a in same_key} == {90}
    debits = [row for row in await ledger(api, await user_id(api, me)) if row[0] == "generation_debit"]
    assert len(debits) == 1
    assert await api.credits(me) == 90
    assert (await api.client.get("/generations", headers=me)).json()["count"] == 1
    # Nobody else was held up or refused meanwhile.
    assert [a.status_code for a in others] == [202] * 3
    assert await api.credits(other) == 70


async def test_a_key_used_for_another_photo_still_answers_with_the_first(api: Api) -> None:
    me = await api.register()
    key = {"Idempotency-Key": "k-1"}
    first = await api.upload(me, image_bytes(size=(400, 400)), extra_headers=key)
    second = await api.upload(me, image_bytes(size=(600, 400)), extra_headers=key)
    assert second.json()["generation"]["id"] == first.json()["generation"]["id"]
    assert await api.credits(me) == 20
