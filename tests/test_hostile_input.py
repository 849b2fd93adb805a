"""Input no client should send is refused where it enters, in the one error shape, on both databases.

PostgreSQL refuses a NUL character in text, and an unpaired surrogate (a JSON `\\ud800` escape) cannot be encoded
by the database driver or the password hasher: either would be a 500 had it reached them. The schema fuzzing
(test_schema_fuzz.py) sends such values at random; these are the known entry points, every time.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.support import PASSWORD, Api, StartApi, free_port

GENERATION_ID = "gen_1_00000000-0000-0000-0000-000000000000"


def refused(answer: httpx.Response, status: int = 422, code: str = "VALIDATION_ERROR") -> list[list[str]]:
    """The answer is the one error shape with this status and code; returns where the details say the fault is."""
    body = answer.json()
    assert (answer.status_code, body["success"], body["code"]) == (status, False, code), answer.text
    assert isinstance(body["error"], str)
    assert body["error"]
    return [detail["loc"] for detail in body.get("details") or []]


def raw_json(text: str, headers: dict[str, str] | None = None) -> dict[str, object]:
    """Arguments for a JSON body written out by hand (httpx cannot encode a lone surrogate itself)."""
    return {"content": text.encode(), "headers": {**(headers or {}), "Content-Type": "application/json"}}


def cursor_for(created: str) -> str:
    return base64.urlsafe_b64encode(f"{created}|{GENERATION_ID}".encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/auth/jwt/login", "/auth/cookie/login"])
@pytest.mark.parametrize("field", ["username", "password"])
async def test_a_nul_in_a_login_form_is_a_validation_error(api: Api, path: str, field: str) -> None:
    email = "nul@example.com"
    await api.client.post("/auth/register", json={"email": email, "password": PASSWORD})
    form = {"username": email, "password": PASSWORD, field: "in\x00valid"}

    assert refused(await api.client.post(path, data=form)) == [["body", field]]
    as_multipart = {name: (None, value.encode()) for name, value in form.items()}
    assert refused(await api.client.post(path, files=as_multipart)) == [["body", field]]
    # The account is untouched: the right password still logs in.
    assert (await api.login(email, PASSWORD)).status_code == 200


async def test_a_nul_in_an_id_a_cursor_a_header_or_a_form_field_is_a_validation_error(api: Api) -> None:
    me = await api.register()

    assert refused(await api.client.get("/generations/gen_%00", headers=me)) == [["path", "generation_id"]]
    assert refused(await api.client.delete("/generations/gen_%00", headers=me)) == [["path", "generation_id"]]
    assert refused(await api.client.get("/generations?cursor=%00", headers=me)) == [["query", "cursor"]]
    keyed = await api.upload(me, extra_headers={"Idempotency-Key": "key\x00"})
    assert refused(keyed) == [["header", "idempotency-key"]]
    assert refused(await api.upload(me, style="super\x00hero")) == [["body", "style"]]
    assert await api.credits(me) == 30


@pytest.mark.parametrize("created", [
    "2024-01-01T00:00:00",  # no time zone
    "0001-01-01T00:00:00+05:00",  # before the first UTC instant Python can hold
    "9999-12-31T23:59:59-05:00",  # after the last
    "not a time",
])
async def test_a_cursor_this_api_did_not_make_is_a_validation_error(api: Api, created: str) -> None:
    me = await api.register()
    answer = await api.client.get("/generations", params={"cursor": cursor_for(created)}, headers=me)
    assert refused(answer) == [["query", "cursor"]]


@pytest.mark.parametrize("created", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59.999999+00:00"])
async def test_a_cursor_at_either_end_of_time_is_an_empty_page(api: Api, created: str) -> None:
    me = await api.register()
    answer = await api.client.get("/generations", params={"cursor": cursor_for(created)}, headers=me)
    assert (answer.status_code, answer.json()["count"]) == (200, 0)


@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800"])
async def test_a_password_that_cannot_be_hashed_is_a_validation_error(api: Api, bad: str) -> None:
    signup = raw_json(f'{{"email": "surrogate@example.com", "password": "long enough {bad}"}}')
    assert refused(await api.client.post("/auth/register", **signup)) == [["body", "password"]]

    me = await api.register()
    change = raw_json(f'{{"password": "long enough {bad}", "current_password": "{PASSWORD}"}}', me)
    assert refused(await api.client.patch("/users/me", **change)) == [["body", "password"]]
    check = raw_json(f'{{"password": "a-brand-new-secret", "current_password": "{bad}"}}', me)
    assert refused(await api.client.patch("/users/me", **check)) == [["body", "current_password"]]
    assert (await api.client.get("/users/me", headers=me)).status_code == 200


@pytest.mark.parametrize("field", ["email", "password"])
async def test_null_is_no_new_email_or_password(api: Api, field: str) -> None:
    me = await api.register()
    change = {field: None, "current_password": PASSWORD}
    assert refused(await api.client.patch("/users/me", headers=me, json=change)) == [["body", field]]
    assert (await api.client.get("/users/me", headers=me)).status_code == 200


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/auth/reset-password", '{"token": "\\ud800", "password": "long enough"}', "token"),
    ("/auth/reset-password", '{"token": "x", "password": "long enough \\ud800"}', "password"),
    ("/auth/reset-password", '{"token": "x\\u0000", "password": "long enough"}', "token"),
    ("/auth/verify", '{"token": "\\ud800"}', "token"),
    ("/auth/forgot-password", '{"email": "a\\u0000@example.com"}', "email"),
    ("/auth/request-verify-token", '{"email": "\\ud800@example.com"}', "email"),
])
async def test_text_that_cannot_be_stored_in_the_email_routes_is_a_validation_error(
    start_api: StartApi, path: str, body: str, field: str
) -> None:
    api = await start_api(smtp_url=f"smtp://127.0.0.1:{free_port()}")  # configured; nothing is sent here
    assert refused(await api.client.post(path, **raw_json(body))) == [["body", field]]


@pytest.mark.parametrize(("method", "path", "media_type"), [
    ("POST", "/auth/register", "application/json"),
    ("POST", "/auth/forgot-password", "application/json"),
    ("PATCH", "/users/me", "application/json"),
    ("POST", "/auth/jwt/login", "application/x-www-form-urlencoded"),
])
async def test_a_body_that_is_not_utf8_is_refused_as_documented(api: Api, method: str, path: str,
                                                                media_type: str) -> None:
    me = await api.register()
    answer = await api.client.request(method, path, content=b'{"email": "\xff\xfe"}',
                                      headers={**me, "Content-Type": media_type})
    # FastAPI cannot read it as JSON (400), or reads a form holding no valid field (422).
    assert answer.status_code in (400, 422), answer.text
    refused(answer, answer.status_code, {400: "BAD_REQUEST", 422: "VALIDATION_ERROR"}[answer.status_code])
    documented = (await api.client.get("/openapi.json")).json()["paths"][path][method.lower()]["responses"]
    assert str(answer.status_code) in documented


@pytest.mark.parametrize(("path", "allowed"), [
    ("/users/me", "DELETE, GET, PATCH"),
    ("/generations", "GET, POST"),
    ("/generations/gen_1_x", "DELETE, GET"),
    ("/styles", "GET"),
])
async def test_a_method_not_allowed_names_every_method_the_path_has(api: Api, path: str, allowed: str) -> None:
    answer = await api.client.put(path)
    refused(answer, 405, "BAD_REQUEST")
    assert answer.headers["allow"] == allowed


async def test_the_schema_says_what_the_routes_do(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    upload = components["Body_generations-create_generation"]
    assert "image" in upload["required"]
    assert upload["properties"]["image"]["type"] == "string"
    for model in ("UserCreate", "UserUpdate"):
        password = components[model]["properties"]["password"]
        assert (password["minLength"], password["maxLength"]) == (8, 128)
        assert set(components[model]["properties"]) <= {"email", "password", "current_password"}
    for path in ("/auth/jwt/logout", "/auth/cookie/logout", "/auth/cookie/login"):
        responses = paths[path]["post"]["responses"]
        assert "204" in responses, path
        assert "200" not in responses, path
        assert "content" in responses.get("401", {"content": None}), path
    assert "200" in paths["/auth/jwt/login"]["post"]["responses"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert "400" in operation["responses"], (method, path)
    assert json.dumps(paths["/generations"]["get"]["parameters"]).count("pattern") == 1
