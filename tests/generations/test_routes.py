"""The generation routes of the HTTP contract, on both databases."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.styles import STYLES
from tests.support import Api, faint_png, image_bytes


def error_of(response) -> tuple[int, str]:
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str)
    assert body["error"]
    return response.status_code, body["code"]


class TestCreate:
    async def test_accepted_at_once_with_location_and_remaining_credits(self, api: Api) -> None:
        me = await api.register()

        accepted = await api.upload(me)

        assert accepted.status_code == 202
        body = accepted.json()
        generation = body["generation"]
        assert accepted.headers["location"] == f"/generations/{generation['id']}"
        assert body["success"] is True
        assert body["remainingCredits"] == 20
        assert generation["status"] == "pending"
        assert generation["style"] == "superhero"
        assert generation["creditsUsed"] == 10
        assert generation["generatedImageUrl"] is None
        assert generation["id"].startswith("gen_")
        assert set(generation) >= {"id", "userId", "style", "status", "originalImageUrl", "generatedImageUrl",
                                   "thumbnailUrl", "creditsUsed", "errorMessage", "createdAt", "updatedAt"}

    async def test_completes_in_the_background_with_a_stored_stylised_result(self, api: Api) -> None:
        me = await api.register()
        accepted = await api.upload(me, style="dc")

        done = await api.wait_done(me, accepted.json()["generation"]["id"])

        assert done["status"] == "completed"
        assert done["errorMessage"] is None
        assert done["model"] == "standard"  # the model chosen (the offline provider draws it)
        result = await api.client.get(done["generatedImageUrl"])
        assert result.status_code == 200
        assert result.headers["content-type"] == "image/jpeg"
        assert result.headers["x-content-type-options"] == "nosniff"
        assert Image.open(io.BytesIO(result.content)).size == (512, 512)
        thumbnail = await api.client.get(done["thumbnailUrl"])
        assert Image.open(io.BytesIO(thumbnail.content)).format == "WEBP"
        assert max(Image.open(io.BytesIO(thumbnail.content)).size) <= 512
        assert await api.credits(me) == 20

    async def test_prefer_wait_answers_201_with_the_completed_generation(self, api: Api) -> None:
        me = await api.register()

        done = await api.upload(me, extra_headers={"Prefer": "wait=30"})

        assert done.status_code == 201
        assert done.json()["generation"]["status"] == "completed"
        assert done.json()["remainingCredits"] == 20
        assert done.headers["preference-applied"] == "wait=30"

    async def test_prefer_wait_answers_502_when_the_model_fails(self, api: Api) -> None:
        me = await api.register()

        failed = await api.upload(me, faint_png(), filename="blank.png", content_type="image/png",
                                  extra_headers={"Prefer": "wait=30"})

        assert error_of(failed) == (502, "AI_GENERATION_FAILED")
        body = failed.json()
        assert body["generation"]["status"] == "failed"
        assert "blank" in body["generation"]["errorMessage"]
        assert body["error"] == body["generation"]["errorMessage"]
        # Seed policy: a model failure is not refunded by default.
        assert await api.credits(me) == 20

    async def test_model_failure_is_refunded_when_the_setting_says_so(self, start_api) -> None:
        api = await start_api(refund_model_failures=True)
        me = await api.register()

        failed = await api.upload(me, faint_png(), filename="b.png", content_type="image/png",
                                  extra_headers={"Prefer": "wait=30"})

        assert failed.status_code == 502
        assert "refunded" in failed.json()["generation"]["errorMessage"]
        assert await api.credits(me) == 30

    @pytest.mark.parametrize("style", sorted(STYLES))
    async def test_each_style_is_accepted(self, api: Api, style: str) -> None:
        me = await api.register()
        accepted = await api.upload(me, style=style)
        assert accepted.status_code == 202
        assert accepted.json()["generation"]["style"] == style

    async def test_unknown_style_is_a_validation_error_and_charges_nothing(self, api: Api) -> None:
        me = await api.register()

        refused = await api.upload(me, style="anime")

        assert error_of(refused) == (422, "VALIDATION_ERROR")
        assert refused.json()["details"][0]["loc"] == ["body", "style"]
        assert await api.credits(me) == 30

    async def test_idempotency_key_repeat_returns_the_same_generation_and_charges_once(self, api: Api) -> None:
        me = await api.register()
        key = {"Idempotency-Key": "upload-42"}

        first = await api.upload(me, extra_headers=key)
        again = await api.upload(me, extra_headers=key)

        assert first.status_code == 202
        assert again.json()["generation"]["id"] == first.json()["generation"]["id"]
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["remainingCredits"] == 20
        assert await api.credits(me) == 20
        listed = await api.client.get("/generations", headers=me)
        assert listed.json()["count"] == 1

    async def test_idempotency_keys_are_per_user(self, api: Api) -> None:
        alice, bob = await api.register(), await api.register()
        key = {"Idempotency-Key": "same-key"}

        a = await api.upload(alice, extra_headers=key)
        b = await api.upload(bob, extra_headers=key)

        assert a.json()["generation"]["id"] != b.json()["generation"]["id"]
        assert await api.credits(bob) == 20

    async def test_insufficient_credits_after_three(self, api: Api) -> None:
        me = await api.register()
        for _ in range(3):
            assert (await api.upload(me)).status_code == 202

        refused = await api.upload(me)

        assert error_of(refused) == (402, "INSUFFICIENT_CREDITS")
        assert refused.json()["error"] == (
            "Insufficient credits. Buy a credit pack or a plan to continue: see GET /billing/plans.")
        assert await api.credits(me) == 0

    async def test_rate_limit_answers_429_with_retry_after(self, start_api) -> None:
        api = await start_api(rate_limit_per_minute=2, signup_credits=100)
        me = await api.register()
        for _ in range(2):
            assert (await api.upload(me)).status_code == 202

        limited = await api.upload(me)

        assert error_of(limited) == (429, "RATE_LIMITED")
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert await api.credits(me) == 80


class TestRead:
    async def test_list_is_newest_first_with_cursor_pages(self, start_api) -> None:
        api = await start_api(signup_credits=100, rate_limit_per_minute=100)
        me = await api.register()
        ids = [(await api.upload(me)).json()["generation"]["id"] for _ in range(5)]

        first = await api.client.get("/generations", params={"limit": 2}, headers=me)
        second = await api.client.get("/generations", params={"limit": 2, "cursor": first.json()["nextCursor"]},
                                      headers=me)
        third = await api.client.get("/generations", params={"limit": 2, "cursor": second.json()["nextCursor"]},
                                     headers=me)

        pages = [first.json(), second.json(), third.json()]
        assert [p["count"] for p in pages] == [2, 2, 1]
        assert [g["id"] for p in pages for g in p["generations"]] == ids[::-1]
        assert third.json()["nextCursor"] is None

    async def test_status_filter(self, api: Api) -> None:
        me = await api.register()
        await api.upload(me, extra_headers={"Prefer": "wait=30"})
        await api.upload(me, faint_png(), filename="b.png", content_type="image/png",
                         extra_headers={"Prefer": "wait=30"})

        completed = await api.client.get("/generations", params={"status": "completed"}, headers=me)
        failed = await api.client.get("/generations", params={"status": "failed"}, headers=me)

        assert [g["status"] for g in completed.json()["generations"]] == ["completed"]
        assert [g["status"] for g in failed.json()["generations"]] == ["failed"]

    @pytest.mark.parametrize("params", [{"status": "done"}, {"limit": 0}, {"limit": 101}, {"cursor": "%%%"}])
    async def test_bad_query_values_are_validation_errors(self, api: Api, params: dict) -> None:
        me = await api.register()
        refused = await api.client.get("/generations", params=params, headers=me)
        assert error_of(refused) == (422, "VALIDATION_ERROR")
        assert refused.json()["details"]

    async def test_stats_count_completed_generations(self, api: Api) -> None:
        me = await api.register()
        empty = await api.client.get("/user/stats", headers=me)
        assert empty.json() == {"credits": 30, "totalGenerations": 0, "lastGenerationDate": None}

        done = (await api.upload(me, extra_headers={"Prefer": "wait=30"})).json()["generation"]
        await api.upload(me, faint_png(), filename="b.png", content_type="image/png",
                         extra_headers={"Prefer": "wait=30"})

        stats = (await api.client.get("/user/stats", headers=me)).json()
        assert stats["credits"] == 10
        assert stats["totalGenerations"] == 1
        assert stats["lastGenerationDate"].replace("+00:00", "Z")[:19] == done["createdAt"].replace(
            "+00:00", "Z")[:19]

    async def test_styles_are_public_and_include_the_three(self, api: Api) -> None:
        styles = await api.client.get("/styles")
        assert styles.status_code == 200
        assert {s["id"] for s in styles.json()["styles"]} >= {"superhero", "marvel", "dc"}
        assert all(s["name"] and s["description"] for s in styles.json()["styles"])


class TestDelete:
    async def test_delete_removes_the_row_and_every_file(self, api: Api) -> None:
        me = await api.register()
        done = (await api.upload(me, extra_headers={"Prefer": "wait=30"})).json()["generation"]
        generation_dir = api.settings.storage_dir / "users" / done["userId"] / done["id"]
        files = sorted(p.name for p in generation_dir.iterdir())
        assert files == ["original-thumbnail.webp", "original.jpg", "result.jpg", "thumbnail.webp"]

        deleted = await api.client.delete(f"/generations/{done['id']}", headers=me)

        assert deleted.status_code == 200
        assert deleted.json() == {"success": True}
        assert not generation_dir.exists()
        assert (await api.client.get(f"/generations/{done['id']}", headers=me)).status_code == 404
        assert (await api.client.get(done["generatedImageUrl"])).status_code == 404


class TestOwnership:
    async def test_another_users_generation_answers_404_everywhere(self, api: Api) -> None:
        alice, mallory = await api.register(), await api.register()
        gen = (await api.upload(alice, extra_headers={"Prefer": "wait=30"})).json()["generation"]

        got = await api.client.get(f"/generations/{gen['id']}", headers=mallory)
        deleted = await api.client.delete(f"/generations/{gen['id']}", headers=mallory)
        listed = await api.client.get("/generations", headers=mallory)
        missing = await api.client.get("/generations/gen_0_nope", headers=mallory)

        assert error_of(got) == (404, "NOT_FOUND")
        assert got.json() == missing.json()
        assert error_of(deleted) == (404, "NOT_FOUND")
        assert listed.json()["count"] == 0
        assert (await api.client.get(f"/generations/{gen['id']}", headers=alice)).status_code == 200

    @pytest.mark.parametrize(("method", "path"), [
        ("GET", "/generations"), ("POST", "/generations"), ("GET", "/generations/gen_1_x"),
        ("DELETE", "/generations/gen_1_x"), ("GET", "/user/stats"), ("GET", "/users/me"),
    ])
    async def test_every_route_needs_login(self, api: Api, method: str, path: str) -> None:
        answer = await api.client.request(method, path)
        assert error_of(answer) == (401, "UNAUTHORIZED")

    async def test_a_bad_token_is_unauthorized(self, api: Api) -> None:
        answer = await api.client.get("/generations", headers={"Authorization": "Bearer not-a-token"})
        assert error_of(answer) == (401, "UNAUTHORIZED")


async def test_png_webp_uploads_are_accepted(api: Api) -> None:
    me = await api.register()
    png = await api.upload(me, image_bytes("PNG"), filename="a.png", content_type="image/png")
    webp = await api.upload(me, image_bytes("WEBP"), filename="a.webp", content_type="image/webp")
    assert (png.status_code, webp.status_code) == (202, 202)


async def test_on_s3_urls_are_presigned_and_delete_empties_the_bucket(start_api, moto_endpoint: str,
                                                                    aws_env: None) -> None:
    import uuid

    import httpx

    bucket = f"gen-{uuid.uuid4().hex[:12]}"
    api = await start_api(storage_backend="s3", s3_bucket=bucket, s3_endpoint_url=moto_endpoint)
    me = await api.register()
    done = (await api.upload(me, extra_headers={"Prefer": "wait=30"})).json()["generation"]
    assert done["status"] == "completed"
    storage = api.services.storage

    async with httpx.AsyncClient() as outside:  # a presigned URL works for anyone holding it, like an <img>
        result = await outside.get(done["generatedImageUrl"])
    assert result.status_code == 200
    assert result.headers["content-type"] == "image/jpeg"
    assert moto_endpoint in done["originalImageUrl"]
    assert "X-Amz-Signature" in done["thumbnailUrl"]
    listed = await storage._client.list_objects_v2(Bucket=bucket)
    assert len(listed.get("Contents", [])) == 4  # original, its thumbnail, result, its thumbnail

    assert (await api.client.delete(f"/generations/{done['id']}", headers=me)).status_code == 200

    listed = await storage._client.list_objects_v2(Bucket=bucket)
    assert listed.get("Contents", []) == []
