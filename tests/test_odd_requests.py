"""Odd requests a stranger can send: each gets a 4xx in the one error shape, never a 500, and nothing changes."""

from __future__ import annotations

import pytest

from tests.support import PASSWORD, Api


def one_shape(answer) -> str:  # type: ignore[no-untyped-def]
    body = answer.json()
    assert body["success"] is False
    assert isinstance(body["error"], str)
    assert body["error"]
    return str(body["code"])


@pytest.mark.parametrize(("path", "content_type", "content"), [
    ("/auth/register", "text/plain", b"email=a@example.com"),
    ("/auth/register", "application/xml", b"<user><email>a@example.com</email></user>"),
    ("/auth/register", "application/json", b'{"email": "a@example.com", "password": "\xff\xfe broken"}'),
    ("/auth/register", "application/json", b'{"email": "a@example.com", "password": '),
    ("/auth/jwt/login", "application/json", b'{"username": "a@example.com", "password": "x"}'),
    ("/generations", "application/json", b'{"image": "not a file"}'),
    ("/generations", "multipart/form-data; boundary=nothing", b"--nothing\r\nbroken"),
    ("/billing/checkout", "text/plain", b"basic"),
])
async def test_bodies_of_the_wrong_kind_get_a_4xx(api: Api, path: str, content_type: str, content: bytes) -> None:
    me = await api.register()
    answer = await api.client.post(path, headers={**me, "Content-Type": content_type}, content=content)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    one_shape(answer)
    assert await api.credits(me) == 30


async def test_passwords_are_at_most_128_characters(api: Api) -> None:
    too_long = "p" * 129
    refused = await api.client.post("/auth/register", json={"email": "long@example.com", "password": too_long})
    assert refused.status_code == 400
    assert refused.json()["error"] == "Password must be at most 128 characters."
    fine = await api.client.post("/auth/register", json={"email": "long@example.com", "password": "p" * 128})
    assert fine.status_code == 201
    # A megabyte of password at login is refused like any wrong one, without an answer that says more.
    huge = await api.login("long@example.com", "p" * 1_000_000)
    assert huge.status_code in (400, 413, 422)
    one_shape(huge)
    assert (await api.login("long@example.com", PASSWORD)).status_code == 400


@pytest.mark.parametrize("email", ["x" * 300 + "@example.com", "no-at-sign", "a@b@c.com", ""])
async def test_bad_email_addresses_are_refused(api: Api, email: str) -> None:
    answer = await api.client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 422
    assert one_shape(answer) == "VALIDATION_ERROR"


async def test_overlong_query_values_and_paths_get_a_4xx(api: Api) -> None:
    me = await api.register()
    for path in ("/generations?limit=" + "9" * 400, "/generations?cursor=" + "A" * 5000,
                 "/generations/" + "g" * 5000, "/credits/ledger?cursor=" + "9" * 40, "/public?cursor=" + "x" * 500):
        answer = await api.client.get(path, headers=me)
        assert 400 <= answer.status_code < 500, (path[:40], answer.status_code)
        one_shape(answer)
