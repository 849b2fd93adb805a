"""Sharing a result: an unguessable link with link-preview tags, the result only, revoked at once; a public
gallery by consent, with takedown by an administrator."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from sqlalchemy import update

from app.models import User
from tests.support import Api, faint_png, user_id

WAIT = {"Prefer": "wait=30"}


async def completed(api: Api, me: dict[str, str]) -> dict:
    answer = await api.upload(me, extra_headers=WAIT)
    assert answer.status_code == 201, answer.text
    return answer.json()["generation"]


async def share(api: Api, me: dict[str, str], generation_id: str, gallery: bool = False) -> str:
    shared = await api.client.post(f"/generations/{generation_id}/share", headers=me, json={"gallery": gallery})
    assert shared.status_code == 200, shared.text
    assert shared.json()["gallery"] is gallery
    return urlsplit(shared.json()["shareUrl"]).path.removeprefix("/s/")


async def test_a_shared_result_has_a_page_with_link_preview_tags_and_nothing_private(api: Api) -> None:
    me = await api.register("owner@example.com")
    generation = await completed(api, me)
    slug = await share(api, me, generation["id"])
    assert len(slug) >= 16

    page = await api.client.get(f"/s/{slug}")  # no login
    assert page.status_code == 200
    tags = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', page.text))
    assert tags["og:image"] == f"http://localhost:8000/public/{slug}/image"
    assert tags["og:url"] == f"http://localhost:8000/s/{slug}"
    assert tags["twitter:card"] == "summary_large_image"
    assert "og:title" in tags
    public = (await api.client.get(f"/public/{slug}")).json()
    assert set(public) == {"slug", "style", "imageUrl", "shareUrl", "width", "height", "createdAt"}
    assert (public["width"], public["height"]) > (0, 0)
    image = await api.client.get(f"/public/{slug}/image")
    assert (image.status_code, image.headers["content-type"]) == (200, "image/jpeg")
    everything = page.text + str(public)
    for private in ("owner@example.com", generation["userId"], "original", generation["id"]):
        assert private not in everything


async def test_sharing_again_gives_the_same_link_and_revoking_ends_it_at_once(api: Api) -> None:
    me = await api.register()
    generation = await completed(api, me)
    slug = await share(api, me, generation["id"])
    assert await share(api, me, generation["id"], gallery=True) == slug

    assert (await api.client.delete(f"/generations/{generation['id']}/share", headers=me)).status_code == 204

    assert (await api.client.get(f"/s/{slug}")).status_code == 404
    assert (await api.client.get(f"/public/{slug}")).status_code == 404
    assert (await api.client.get(f"/public/{slug}/image")).status_code == 404
    assert (await api.client.get("/public")).json()["items"] == []


async def test_deleting_the_generation_ends_its_link(api: Api) -> None:
    me = await api.register()
    generation = await completed(api, me)
    slug = await share(api, me, generation["id"], gallery=True)
    assert (await api.client.delete(f"/generations/{generation['id']}", headers=me)).status_code == 200
    assert (await api.client.get(f"/public/{slug}/image")).status_code == 404
    assert (await api.client.get("/public")).json()["items"] == []


async def test_only_the_owner_shares_and_only_a_result(api: Api) -> None:
    me, other = await api.register(), await api.register()
    generation = await completed(api, me)
    for method in ("POST", "DELETE"):
        answer = await api.client.request(method, f"/generations/{generation['id']}/share", headers=other,
                                          json={"gallery": True} if method == "POST" else None)
        assert (answer.status_code, answer.json()["code"]) == (404, "NOT_FOUND")
    failed = (await api.upload(me, faint_png(), filename="f.png", content_type="image/png",
                               extra_headers=WAIT)).json()["generation"]
    refused = await api.client.post(f"/generations/{failed['id']}/share", headers=me, json={})
    assert (refused.status_code, refused.json()["code"]) == (409, "NOT_COMPLETED")
    assert (await api.client.get("/s/unknown-slug")).status_code == 404
    assert (await api.client.get("/public/" + "x" * 30)).status_code == 404


async def test_the_gallery_shows_consented_results_newest_first_in_pages(start_api) -> None:
    api = await start_api(rate_limit_per_minute=100, signup_credits=100)
    me = await api.register()
    slugs = []
    for gallery in (True, False, True, True):
        slugs.append(await share(api, me, (await completed(api, me))["id"], gallery=gallery))

    first = (await api.client.get("/public?limit=2")).json()
    rest = (await api.client.get(f"/public?limit=2&cursor={first['nextCursor']}")).json()

    assert [i["slug"] for i in first["items"] + rest["items"]] == [slugs[3], slugs[2], slugs[0]]
    assert rest["nextCursor"] is None


async def test_an_administrator_takes_a_result_out_of_the_gallery(api: Api) -> None:
    me = await api.register()
    slug = await share(api, me, (await completed(api, me))["id"], gallery=True)
    admin = await api.register()
    assert (await api.client.delete(f"/admin/gallery/{slug}", headers=admin)).status_code == 403
    async with api.services.sessionmaker() as session:
        await session.execute(update(User).where(User.id == uuid.UUID(await user_id(api, admin)))
                              .values(is_superuser=True))
        await session.commit()

    detail = (await api.client.get(f"/admin/users/{await user_id(api, me)}", headers=admin)).json()
    assert [g["shareSlug"] for g in detail["recentGenerations"]] == [slug]  # what the console takes down
    assert (await api.client.delete(f"/admin/gallery/{slug}", headers=admin)).status_code == 204

    assert (await api.client.get("/public")).json()["items"] == []
    assert (await api.client.get(f"/s/{slug}")).status_code == 200  # the owner's own link still works
    assert (await api.client.delete("/admin/gallery/nope", headers=admin)).status_code == 404
