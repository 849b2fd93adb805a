"""Security headers on every answer: the JSON API and its errors, the SPA's page and files, media, and the docs."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from app.config import Settings
from app.security_headers import spa_policy
from app.storage.s3 import S3Storage
from tests.support import Api

WAIT = {"Prefer": "wait=30"}


def directives(response: httpx.Response) -> dict[str, list[str]]:
    csp = response.headers["content-security-policy"]
    parsed: dict[str, list[str]] = {}
    for part in csp.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_common_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert directives(response)["frame-ancestors"] == ["'none'"]
    # Each header once, even where a route had set one of them itself.
    for name in ("x-content-type-options", "cache-control", "content-security-policy", "x-frame-options"):
        assert len(response.headers.get_list(name)) == 1, name


@pytest.fixture
def spa_dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        '<!doctype html><script type="module" src="/assets/index-1234.js"></script><div id=root>AIVenger</div>'
    )
    (dist / "assets" / "index-1234.js").write_text("console.log('hi')")
    return dist


class TestEveryAnswer:
    async def test_a_json_answer(self, api: Api) -> None:
        answer = await api.client.get("/styles")
        assert answer.status_code == 200
        assert_common_headers(answer)
        assert answer.headers["cache-control"] == "no-store"
        assert directives(answer)["default-src"] == ["'none'"]
        assert "strict-transport-security" not in answer.headers

    async def test_a_404(self, api: Api) -> None:
        answer = await api.client.get("/generations/gen_1_x/extra")
        assert answer.status_code == 404
        assert_common_headers(answer)
        assert answer.headers["cache-control"] == "no-store"

    async def test_an_unexpected_error(self, api: Api) -> None:
        async def broken() -> None:
            raise RuntimeError("boom")

        api.app.add_api_route("/broken", broken)
        answer = await api.client.get("/broken")
        assert answer.status_code == 500
        assert_common_headers(answer)
        assert answer.headers["cache-control"] == "no-store"

    async def test_answers_written_by_middleware(self, start_api) -> None:
        api = await start_api(max_upload_bytes=1024 * 1024)
        too_large = await api.client.post("/generations", content=b"x" * (2 * 1024 * 1024),
                                          headers={"Content-Type": "application/octet-stream"})
        assert too_large.status_code == 413
        assert_common_headers(too_large)
        unauthorized = await api.client.get("/users/me")
        assert unauthorized.status_code == 401
        assert_common_headers(unauthorized)

    async def test_a_cors_preflight(self, start_api) -> None:
        api = await start_api(cors_origins=["https://app.example"])
        preflight = await api.client.options("/generations", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        })
        assert preflight.status_code == 200
        assert_common_headers(preflight)


class TestStrictTransportSecurity:
    async def test_sent_when_the_public_url_is_https(self, start_api) -> None:
        api = await start_api(public_url="https://aivenger.example")
        for path in ("/styles", "/nothing-here"):
            answer = await api.client.get(path)
            assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"

    async def test_never_over_http(self, api: Api) -> None:
        assert api.settings.public_url.startswith("http://")
        for path in ("/styles", "/docs"):
            assert "strict-transport-security" not in (await api.client.get(path)).headers


class TestSpaPage:
    async def test_the_page_has_a_strict_policy(self, start_api, spa_dist: Path) -> None:
        api = await start_api(frontend_dist=spa_dist)
        for path in ("/", "/dashboard", "/reset-password?token=abc"):
            page = await api.client.get(path)
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("text/html")
            assert_common_headers(page)
            policy = directives(page)
            assert policy["script-src"] == ["'self'"]
            assert "'unsafe-inline'" not in policy["script-src"]
            assert "'unsafe-eval'" not in policy["script-src"]
            assert policy["default-src"] == ["'self'"]
            assert policy["object-src"] == ["'none'"]
            assert policy["base-uri"] == ["'self'"]
            assert policy["form-action"] == ["'self'"]
            assert policy["connect-src"] == ["'self'"]
            # The page must be re-read after a deploy: spa.py's own caching stays.
            assert page.headers["cache-control"] == "no-cache"

    async def test_hashed_assets_keep_their_long_caching(self, start_api, spa_dist: Path) -> None:
        api = await start_api(frontend_dist=spa_dist)
        asset = await api.client.get("/assets/index-1234.js")
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert_common_headers(asset)

    async def test_images_of_local_storage_are_same_origin(self, api: Api) -> None:
        assert directives_of_settings(api.settings)["img-src"] == ["'self'", "data:", "blob:"]


def directives_of_settings(settings: Settings) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in spa_policy(settings).split(";"))}


@pytest.mark.parametrize(("bucket", "region", "endpoint"), [
    ("aivenger", "us-east-1", None),
    ("aivenger", "eu-central-1", None),
    ("aivenger", "cn-north-1", None),
    ("media.aivenger.example", "us-east-1", None),
    ("media.aivenger.example", "ap-southeast-2", None),
    ("aivenger", "us-east-1", "http://127.0.0.1:9000"),
    ("aivenger", "auto", "https://account.r2.cloudflarestorage.com"),
])
async def test_the_page_may_show_the_presigned_s3_urls(aws_env: None, bucket: str, region: str,
                                                       endpoint: str | None) -> None:
    settings = Settings(_env_file=None, storage_backend="s3", s3_bucket=bucket, s3_region=region,  # type: ignore[call-arg]
                        s3_endpoint_url=endpoint)
    storage = await S3Storage.from_settings(settings)
    try:
        url = await storage.url("u1/g1/result.jpg")
    finally:
        await storage.aclose()
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" in directives_of_settings(settings)["img-src"]


class TestNoStore:
    async def test_account_answers_are_not_stored(self, api: Api) -> None:
        me = await api.register()
        answers = [
            await api.client.get("/users/me", headers=me),
            await api.client.patch("/users/me", headers=me, json={}),
            await api.client.get("/user/stats", headers=me),
            await api.client.get("/generations", headers=me),
            await api.client.post("/auth/jwt/login", data={"username": "nobody@example.com", "password": "x" * 10}),
            await api.client.get("/billing/invoices", headers=me),  # no such route yet: its 404 is not stored either
            await api.client.get("/admin/users", headers=me),
            await api.client.delete("/users/me", headers=me),
        ]
        for answer in answers:
            assert answer.headers["cache-control"] == "no-store", answer.request.url
            assert_common_headers(answer)

    async def test_media_keeps_its_own_caching(self, api: Api) -> None:
        me = await api.register()
        generation = (await api.upload(me, extra_headers=WAIT)).json()["generation"]
        image = await api.client.get(generation["generatedImageUrl"])
        assert image.status_code == 200
        assert image.headers["cache-control"].startswith("private, max-age=")
        assert_common_headers(image)


def inline_script_hashes(html: str) -> list[str]:
    return ["'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"
            for code in re.findall(r"<script>(.*?)</script>", html, re.DOTALL)]


class TestDocs:
    @pytest.mark.parametrize("path", ["/docs", "/redoc"])
    async def test_the_pages_load_nothing_from_elsewhere(self, api: Api, path: str) -> None:
        page = await api.client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "cdn." not in page.text
        assert "https://" not in page.text
        assert "http://" not in page.text
        assert_common_headers(page)

        references = re.findall(r'<(?:script|link)[^>]*?(?:src|href)="([^"]+)"', page.text)
        assert any(ref.endswith(".js") for ref in references)
        for ref in references:
            assert ref.startswith("/docs/assets/"), ref
            asset = await api.client.get(ref)
            assert asset.status_code == 200, ref
            expected = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}[Path(ref).suffix]
            assert asset.headers["content-type"].startswith(expected), ref
            assert len(asset.content) > 1000, ref
            assert_common_headers(asset)

    @pytest.mark.parametrize("path", ["/docs", "/redoc"])
    async def test_the_pages_run_only_their_own_scripts(self, api: Api, path: str) -> None:
        page = await api.client.get(path)
        policy = directives(page)
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        hashes = inline_script_hashes(page.text)
        assert policy["script-src"] == ["'self'", *hashes]
        assert policy["object-src"] == ["'none'"]
        assert policy["connect-src"] == ["'self'"]
        if path == "/docs":
            assert len(hashes) == 1  # the script that starts Swagger UI

    async def test_the_schema_and_an_unknown_docs_path(self, api: Api) -> None:
        assert (await api.client.get("/openapi.json")).json()["info"]["title"] == "AIVenger API"
        missing = await api.client.get("/docs/assets/nothing.js")
        assert missing.status_code == 404
        assert_common_headers(missing)

    async def test_unchanged_assets_answer_304(self, api: Api) -> None:
        first = await api.client.get("/docs/assets/swagger-ui.css")
        assert first.headers["cache-control"] == "no-cache"
        again = await api.client.get("/docs/assets/swagger-ui.css", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
