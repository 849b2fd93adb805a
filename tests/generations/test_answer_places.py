"""Answer places: a model's answer is held in memory only while it has one, and every generation gives it back."""

from __future__ import annotations

import asyncio

from tests.support import StartApi, faint_png


async def test_every_generation_gives_its_answer_place_back(start_api: StartApi) -> None:
    """With room for one model answer at a time, generation after generation completes, failed ones included:
    each gives its place back once its files are stored (or its failure recorded)."""
    api = await start_api(signup_credits=100)
    api.services.answer_places = asyncio.Semaphore(1)
    me = await api.register()

    statuses = []
    for picture in (None, faint_png(), None, None):  # the faint one fails at the model
        upload = await api.upload(me, picture, extra_headers={"Prefer": "wait=30"})
        assert upload.status_code in (201, 502), upload.text
        statuses.append(upload.json()["generation"]["status"])

    assert statuses == ["completed", "failed", "completed", "completed"]
    assert not api.services.answer_places.locked()
