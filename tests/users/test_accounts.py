"""Accounts: registration with welcome credits, bearer and cookie logins, and what a user may not change."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from app.config import ConfigurationError, Settings
from app.main import create_app
from app.models import User
from tests.support import PASSWORD, ROOT, Api


async def test_registration_grants_thirty_credits(api: Api) -> None:
    me = await api.register()
    profile = (await api.client.get("/users/me", headers=me)).json()
    assert profile["credits"] == 30
    assert profile["is_superuser"] is False
    assert "hashed_password" not in profile


async def test_duplicate_email_is_refused_in_the_error_shape(api: Api) -> None:
    await api.register("cap@example.com")
    again = await api.client.post("/auth/register", json={"email": "cap@example.com", "password": PASSWORD})
    assert again.status_code == 400
    assert again.json() == {"success": False, "error": "An account with this email already exists.",
                            "code": "BAD_REQUEST"}


async def test_short_password_is_refused(api: Api) -> None:
    short = await api.client.post("/auth/register", json={"email": "a@example.com", "password": "short"})
    assert short.status_code == 400
    assert "at least 8" in short.json()["error"]


async def test_register_cannot_grant_credits_or_superuser(api: Api) -> None:
    created = await api.client.post("/auth/register", json={
        "email": "sneaky@example.com", "password": PASSWORD, "credits": 1_000_000, "is_superuser": True,
    })
    assert created.status_code == 201
    assert created.json()["credits"] == 30
    assert created.json()["is_superuser"] is False


async def test_a_user_cannot_set_their_own_credits_or_superuser_flag(api: Api) -> None:
    me = await api.register()
    patched = await api.client.patch("/users/me", headers=me, json={"credits": 999, "is_superuser": True})
    assert patched.status_code == 200
    profile = (await api.client.get("/users/me", headers=me)).json()
    assert profile["credits"] == 30
    assert profile["is_superuser"] is False


class TestChangingEmailOrPassword:
    """A stolen login must not be enough to take the account over: changes need the current password."""

    async def test_without_the_current_password_nothing_changes(self, api: Api) -> None:
        me = await api.register("natasha@example.com")
        for change in ({"password": "a-new-password-1"}, {"email": "red@example.com"},
                       {"password": "a-new-password-1", "current_password": "not-my-password"}):
            refused = await api.client.patch("/users/me", headers=me, json=change)
            assert refused.status_code == 400, change
            assert refused.json()["error"] == (
                "To change your email or password, give your current password as current_password.")
        assert (await api.client.get("/users/me", headers=me)).json()["email"] == "natasha@example.com"
        assert (await api.login("natasha@example.com", PASSWORD)).status_code == 200

    async def test_with_it_the_password_changes(self, api: Api) -> None:
        me = await api.register("clint@example.com")
        changed = await api.client.patch("/users/me", headers=me,
                                         json={"password": "a-new-password-1", "current_password": PASSWORD})
        assert changed.status_code == 200
        assert "current_password" not in changed.json()
        assert (await api.login("clint@example.com", "a-new-password-1")).status_code == 200
        assert (await api.login("clint@example.com", PASSWORD)).status_code == 400

    async def test_a_new_email_must_be_confirmed_again(self, api: Api) -> None:
        me = await api.register("wanda@example.com")
        async with api.services.sessionmaker() as session:
            await session.execute(update(User).where(User.email == "wanda@example.com").values(is_verified=True))
            await session.commit()
        changed = await api.client.patch("/users/me", headers=me,
                                         json={"email": "scarlet@example.com", "current_password": PASSWORD})
        assert changed.status_code == 200
        assert (changed.json()["email"], changed.json()["is_verified"]) == ("scarlet@example.com", False)

    async def test_the_same_email_again_needs_no_password(self, api: Api) -> None:
        me = await api.register("sam@example.com")
        same = await api.client.patch("/users/me", headers=me, json={"email": "sam@example.com"})
        assert same.status_code == 200


async def test_wrong_password_is_refused_with_a_sentence(api: Api) -> None:
    await api.register("bruce@example.com")
    wrong = await api.client.post("/auth/jwt/login", data={"username": "bruce@example.com", "password": "nope" * 3})
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "Wrong email or password."


async def test_cookie_login_for_the_spa_is_httponly_and_logs_out(api: Api) -> None:
    await api.register("diana@example.com")

    login = await api.client.post("/auth/cookie/login", data={"username": "diana@example.com", "password": PASSWORD})

    assert login.status_code == 204
    cookie = login.headers["set-cookie"]
    assert "aivenger_auth=" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert (await api.client.get("/users/me")).status_code == 200
    logout = await api.client.post("/auth/cookie/logout", headers={"Origin": "http://localhost:8000"})
    assert logout.status_code == 204
    assert (await api.client.get("/users/me")).status_code == 401


async def test_password_hashing_runs_off_the_event_loop_thread(api: Api, hashing_threads: list[int]) -> None:
    """Hashing is slow on purpose; on the event loop's thread it would stall every other request."""
    loop_thread = threading.get_ident()

    await api.register("flash@example.com")  # hash on register
    await api.client.post("/auth/jwt/login", data={"username": "flash@example.com", "password": PASSWORD})
    await api.client.post("/auth/jwt/login", data={"username": "nobody@example.com", "password": PASSWORD})

    assert len(hashing_threads) >= 3
    assert loop_thread not in hashing_threads


class TestConfiguration:
    def test_production_refuses_the_default_secret(self) -> None:
        with pytest.raises(ConfigurationError, match="AUTH_SECRET"):
            create_app(Settings(_env_file=None, app_env="production"))  # type: ignore[call-arg]

    def test_production_refuses_a_short_secret(self) -> None:
        with pytest.raises(ConfigurationError, match="AUTH_SECRET"):
            create_app(Settings(_env_file=None, app_env="production", auth_secret="short"))  # type: ignore[call-arg]

    def test_production_starts_with_a_real_secret(self) -> None:
        polar = {"polar_access_token": "polar_oat_x", "polar_webhook_secret": "whsec_x",
                 "polar_products": {"basic": "b", "pro": "p", "pack-50": "c"}}  # no offline checkout in production
        app = create_app(Settings(_env_file=None, app_env="production", auth_secret="s" * 48, **polar))  # type: ignore[call-arg]
        assert app.title == "AIVenger API"

    def test_openrouter_without_a_key_is_a_configuration_error(self) -> None:
        with pytest.raises(ConfigurationError, match="OPENROUTER_API_KEY"):
            Settings(_env_file=None, ai_provider="openrouter").check_startable()  # type: ignore[call-arg]

    def test_provider_defaults_to_openrouter_only_with_a_key(self) -> None:
        assert Settings(_env_file=None).provider == "local"  # type: ignore[call-arg]
        keyed = Settings(_env_file=None, openrouter_api_key="sk-or-v1-abc")  # type: ignore[call-arg]
        assert keyed.provider == "openrouter"

    def test_the_command_line_start_prints_a_clear_message(self, tmp_path) -> None:
        import subprocess
        import sys

        env = {"APP_ENV": "production", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        started = subprocess.run([sys.executable, "-c", "import app.main"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=60)
        assert started.returncode == 1
        assert "Configuration error: AUTH_SECRET must be set" in started.stderr
        assert "Traceback" not in started.stderr


async def test_another_users_account_answers_404(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    bob_id = (await api.client.get("/users/me", headers=bob)).json()["id"]

    for method in ("GET", "PATCH", "DELETE"):
        answer = await api.client.request(method, f"/users/{bob_id}", headers=alice, json={})
        assert (answer.status_code, answer.json()["code"]) == (404, "NOT_FOUND"), method
    assert (await api.client.get("/users/me", headers=bob)).status_code == 200


async def test_the_cookie_follows_the_apps_own_settings(start_api) -> None:
    """A SPA on another site needs SameSite=None and Secure: set by the settings the app was made with."""
    api = await start_api(cookie_secure=True, cookie_samesite="none")
    await api.register("kara@example.com")

    login = await api.client.post("/auth/cookie/login", data={"username": "kara@example.com", "password": PASSWORD})

    cookie = login.headers["set-cookie"].lower()
    assert "secure" in cookie
    assert "samesite=none" in cookie
    assert "httponly" in cookie
