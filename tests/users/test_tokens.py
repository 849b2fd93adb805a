"""Login tokens: a token checked once is remembered, but never past its expiry or under another key."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi_users.jwt import generate_jwt

from app.config import Settings
from app.users import auth
from app.users.auth import TokenStrategy

AUDIENCE = ["fastapi-users:auth"]


def strategy(secret: str) -> TokenStrategy:
    settings = Settings(_env_file=None, auth_secret=secret)  # type: ignore[call-arg]
    return TokenStrategy(settings, sessionmaker=None)  # type: ignore[arg-type]


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s" * 40
    someone = uuid.uuid4()
    token = generate_jwt({"sub": str(someone), "aud": AUDIENCE}, secret, lifetime_seconds=60)
    reader = strategy(secret)

    assert reader.user_id(token) == someone
    assert reader.user_id(token) == someone  # remembered

    later = time.time() + 61
    monkeypatch.setattr(auth.time, "time", lambda: later)
    monkeypatch.setattr("jwt.api_jwt.datetime", _Frozen(later))
    assert reader.user_id(token) is None


def test_a_token_remembered_under_one_key_is_refused_under_another() -> None:
    token = generate_jwt({"sub": str(uuid.uuid4()), "aud": AUDIENCE}, "a" * 40, lifetime_seconds=60)

    assert strategy("a" * 40).user_id(token) is not None
    assert strategy("b" * 40).user_id(token) is None


def test_tampered_and_foreign_tokens_are_refused() -> None:
    secret = "s" * 40
    token = generate_jwt({"sub": str(uuid.uuid4()), "aud": AUDIENCE}, secret, lifetime_seconds=60)
    reader = strategy(secret)

    assert reader.user_id(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert reader.user_id(generate_jwt({"sub": "not-a-uuid", "aud": AUDIENCE}, secret, 60)) is None
    assert reader.user_id(generate_jwt({"sub": str(uuid.uuid4()), "aud": ["elsewhere"]}, secret, 60)) is None
    assert reader.user_id("") is None
    assert reader.user_id("\x00") is None


class _Frozen:
    """PyJWT's view of now, moved to `at` (it checks `exp` against datetime.now)."""

    def __init__(self, at: float) -> None:
        import datetime

        self._datetime = datetime.datetime
        self._at = at
        self.timezone = datetime.timezone

    def now(self, tz: object = None) -> object:
        return self._datetime.fromtimestamp(self._at, tz)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self._datetime, name)
