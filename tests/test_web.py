"""The web layer: the SPA at /, cross-site protection of cookie sessions, CORS, health and the docs."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.support import PASSWORD, Api


@pytest.fixture
def spa_dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root>AIVenger</div>")
    (dist / "assets" / "app-1234.js").write_text("console.log('hi')")
    return dist


class TestSpa:
    async def test_client_routes_fall_back_to_index_html(self, start_api, spa_dist: Path) -> None:
        api = await start_api(frontend_dist=spa_dist)
        for path in ("/", "/dashboard", "/gallery", "/login?next=/gallery"):
            page = await api.client.get(path)
            assert page.status_code == 200, path
            assert "AIVenger" in page.text
            assert page.headers["content-type"].startswith("text/html")

    async def test_assets_are_served_with_long_caching(self, start_api, spa_dist: Path) -> None:
        api = await start_api(frontend_dist=spa_dist)
        asset = await api.client.get("/assets/app-1234.js")
        assert asset.status_code == 200
        assert "immutable" in asset.headers["cache-control"]

    async def test_compressed_copies_are_served_to_clients_that_accept_them(self, start_api, spa_dist: Path) -> None:
        script = spa_dist / "assets" / "app-1234.js"
        script.with_name(script.name + ".gz").write_bytes(gzip.compress(script.read_bytes()))
        script.with_name(script.name + ".br").write_bytes(b"brotli bytes")
        api = await start_api(frontend_dist=spa_dist)

        brotli = await api.client.get("/assets/app-1234.js", headers={"Accept-Encoding": "gzip, br"})
        assert (brotli.headers["content-encoding"], brotli.headers["vary"]) == ("br", "Accept-Encoding")
        assert brotli.headers["content-type"].startswith("text/javascript")
        zipped = await api.client.get("/assets/app-1234.js", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.text == "console.log('hi')"  # the client decoded it
        plain = await api.client.get("/assets/app-1234.js", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.text == "console.log('hi')"

    async def test_source_maps_and_compressed_copies_are_not_public(self, start_api, spa_dist: Path) -> None:
        (spa_dist / "assets" / "app-1234.js.map").write_text("{}")
        (spa_dist / "assets" / "app-1234.js.gz").write_bytes(b"x")
        api = await start_api(frontend_dist=spa_dist)
        for path in ("/assets/app-1234.js.map", "/assets/app-1234.js.gz"):
            assert (await api.client.get(path)).status_code == 404, path

    async def test_link_previews_name_the_public_address(self, start_api, spa_dist: Path) -> None:
        (spa_dist / "index.html").write_text(
            '<!doctype html><meta property="og:image" content="/og-image.jpg">'
            '<meta property="og:url" content="/"><meta name="twitter:image" content="/og-image.jpg">'
            '<meta property="og:title" content="/not-a-url"><link rel="icon" href="/favicon.svg">'
            '<meta property="og:image:alt" content="/kept"><div id=root>AIVenger</div>'
        )
        (spa_dist / "index.html.br").write_bytes(b"a stale copy without the address")
        api = await start_api(frontend_dist=spa_dist, public_url="https://heroes.example/")

        for path in ("/", "/gallery", "/index.html"):
            for encoding in ("gzip, br", "identity"):
                page = await api.client.get(path, headers={"Accept-Encoding": encoding})
                assert page.status_code == 200, (path, encoding)
                assert page.headers["content-type"].startswith("text/html")
                assert page.headers["cache-control"] == "no-cache"
                assert page.headers.get("content-encoding") == ("gzip" if "gzip" in encoding else None)
                assert '<meta property="og:image" content="https://heroes.example/og-image.jpg">' in page.text
                assert '<meta property="og:url" content="https://heroes.example/">' in page.text
                assert '<meta name="twitter:image" content="https://heroes.example/og-image.jpg">' in page.text
                # Only the URLs of link previews change.
                assert 'content="/not-a-url"' in page.text
                assert 'content="/kept"' in page.text
                assert 'href="/favicon.svg"' in page.text

    async def test_api_routes_are_untouched(self, start_api, spa_dist: Path) -> None:
        api = await start_api(frontend_dist=spa_dist)
        assert (await api.client.get("/styles")).json()["styles"]
        missing = await api.client.get("/generations/x/y/z")
        assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
        assert (await api.client.get("/assets/missing.js")).status_code == 404
        secret = spa_dist.parent / "secret.txt"
        secret.write_text("top secret")
        escaped = await api.client.get("/..%2Fsecret.txt")
        assert "top secret" not in escaped.text
        assert escaped.status_code == 404

    async def test_without_a_build_unknown_paths_are_json_404s(self, api: Api) -> None:
        page = await api.client.get("/dashboard")
        assert (page.status_code, page.json()["code"]) == (404, "NOT_FOUND")


class TestCrossSite:
    async def cookie_session(self, api: Api) -> None:
        email = "lois@example.com"
        await api.client.post("/auth/register", json={"email": email, "password": PASSWORD})
        login = await api.client.post("/auth/cookie/login", data={"username": email, "password": PASSWORD})
        assert login.status_code == 204

    async def test_cookie_write_from_another_site_is_refused(self, api: Api) -> None:
        await self.cookie_session(api)
        forged = await api.client.post("/generations", headers={"Origin": "https://evil.example"},
                                       files={"image": ("a.jpg", b"x", "image/jpeg")})
        assert (forged.status_code, forged.json()["code"]) == (403, "FORBIDDEN")
        assert await self._credits(api) == 30

    async def test_cookie_write_without_origin_is_refused(self, api: Api) -> None:
        await self.cookie_session(api)
        bare = await api.client.delete("/generations/gen_1_x")
        assert bare.status_code == 403

    async def test_cookie_write_from_the_same_site_passes(self, api: Api) -> None:
        await self.cookie_session(api)
        same = await api.client.post("/generations", headers={"Origin": "http://localhost:8000"},
                                     files={"image": ("a.jpg", b"x", "image/jpeg")})
        assert same.status_code == 415  # reached the route (and refused the non-image)

    async def test_cookie_write_from_an_allowed_spa_origin_passes(self, start_api) -> None:
        api = await start_api(cors_origins=["https://app.aivenger.example"])
        await self.cookie_session(api)
        allowed = await api.client.delete("/generations/gen_1_x", headers={"Origin": "https://app.aivenger.example"})
        assert allowed.status_code == 404

    async def test_bearer_clients_are_not_affected(self, api: Api) -> None:
        me = await api.register()
        answer = await api.client.delete("/generations/gen_1_x", headers={**me, "Origin": "https://evil.example"})
        assert answer.status_code == 404

    async def _credits(self, api: Api) -> int:
        return int((await api.client.get("/users/me")).json()["credits"])


async def test_cors_allows_the_configured_spa_with_credentials(start_api) -> None:
    api = await start_api(cors_origins=["https://app.aivenger.example"])
    preflight = await api.client.options("/generations", headers={
        "Origin": "https://app.aivenger.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "prefer,idempotency-key",
    })
    assert preflight.headers["access-control-allow-origin"] == "https://app.aivenger.example"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    other = await api.client.get("/styles", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


async def test_health_reports_database_storage_and_provider(api: Api) -> None:
    health = await api.client.get("/health")
    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    assert health.json()["storage"] == "ok"
    assert health.json()["provider"]["provider"] == "local"


async def test_health_fails_when_storage_is_unreachable(api: Api) -> None:
    api.settings.storage_dir.rename(api.settings.storage_dir.with_name("moved"))
    api.settings.storage_dir.write_text("not a directory")
    health = await api.client.get("/health")
    assert health.status_code == 503
    assert health.json()["storage"].startswith("error")


async def test_openapi_documents_every_route_with_its_errors(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    post = schema["paths"]["/generations"]["post"]
    assert {"202", "201", "400", "401", "402", "413", "415", "422", "429", "502", "503"} <= set(post["responses"])
    assert post["responses"]["402"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "404" in schema["paths"]["/generations/{generation_id}"]["get"]["responses"]
    assert "/media/{key}" not in schema["paths"]
    login_errors = schema["paths"]["/auth/jwt/login"]["post"]["responses"]["400"]["content"]["application/json"]
    assert login_errors["schema"]["$ref"].endswith("/ErrorBody")  # what the handlers really send
    assert "ErrorModel" not in schema["components"]["schemas"]
    assert (await api.client.get("/docs")).status_code == 200


async def test_unknown_method_and_route_use_the_error_shape(api: Api) -> None:
    wrong = await api.client.put("/styles")
    assert wrong.json()["success"] is False
    assert wrong.status_code == 405


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
async def test_unknown_paths_answer_404_whatever_the_method(start_api, spa_dist: Path, method: str) -> None:
    api = await start_api(frontend_dist=spa_dist)
    answer = await api.client.request(method, "/generations/gen_1_x/extra")
    assert (answer.status_code, answer.json()["code"]) == (404, "NOT_FOUND")


async def test_an_unexpected_error_is_a_500_without_details_and_logs_no_traceback(api: Api, caplog) -> None:
    async def broken() -> None:
        raise RuntimeError("token sk-or-v1-secret and /home/user/photo.jpg")

    api.app.add_api_route("/broken", broken)
    caplog.set_level("DEBUG")

    answer = await api.client.get("/broken")

    assert answer.status_code == 500
    assert answer.json() == {"success": False, "error": "An unexpected error occurred.", "code": "INTERNAL_ERROR"}
    logged = caplog.text + "".join(str(r.exc_info) for r in caplog.records)
    assert "RuntimeError" in logged  # where it happened is logged...
    assert "sk-or-v1-secret" not in logged  # ...but not what the error said
    assert "Traceback" not in logged
    assert all(r.exc_info is None for r in caplog.records)
