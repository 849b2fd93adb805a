"""Account emails through a real SMTP server (aiosmtpd): a password-reset link that works once, an email
verification link, at most one email per account per cooldown, and nothing that leaks."""

from __future__ import annotations

import asyncio
import email
import logging
import re
import threading
from collections.abc import Iterator
from email.message import Message
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import update

from app.config import ConfigurationError, Settings
from app.models import User
from tests.support import PASSWORD, Api, free_port, ledger, user_id

NEW_PASSWORD = "a-brand-new-secret-9"

# The test server allows AUTH without TLS on loopback, and aiosmtpd warns about that on every connection.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelope_recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.envelope_recipients.append(list(envelope.rcpt_tos))
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def only_our_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """The server accepts mail only after a login with the credentials in SMTP_URL."""
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"mailer", b"mail-password")
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    # No TLS on loopback in tests, so the server must allow AUTH without it.
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=only_our_login,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        yield f"smtp://mailer:mail-password@127.0.0.1:{controller.port}", inbox
    finally:
        controller.stop()


def link_in(message: Message, page: str) -> str:
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    match = re.search(rf"https?://\S+/{page}\?token=\S+", body)
    assert match, body
    return match.group(0)


def reset_link(message: Message) -> str:
    return link_in(message, "reset-password")


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def test_a_reset_link_is_emailed_and_sets_a_new_password_once(start_api, smtp_server) -> None:
    smtp_url, inbox = smtp_server
    api = await start_api(smtp_url=smtp_url, app_url="https://heroes.example.com/")
    before = await api.register("storm@example.com")

    asked = await api.client.post("/auth/forgot-password", json={"email": "storm@example.com"})
    await api.services.errands_done()  # the answer does not wait for the email

    assert asked.status_code == 202
    assert inbox.envelope_recipients == [["storm@example.com"]]
    message = inbox.messages[0]
    assert message["To"] == "storm@example.com"
    assert message["Subject"] == "Reset your AIVenger password"
    link = reset_link(message)
    assert link.startswith("https://heroes.example.com/reset-password?token=")

    reset = await api.client.post("/auth/reset-password", json={"token": token_of(link), "password": NEW_PASSWORD})

    assert reset.status_code == 200, reset.text
    assert (await api.client.get("/users/me", headers=before)).status_code == 401  # every earlier login ended
    assert (await api.login("storm@example.com", NEW_PASSWORD)).status_code == 200
    assert (await api.login("storm@example.com", PASSWORD)).status_code == 400
    # The token was bound to the old password: once it changed, the same link is dead.
    again = await api.client.post("/auth/reset-password", json={"token": token_of(link), "password": PASSWORD})
    assert again.status_code == 400
    assert again.json() == {"success": False, "code": "BAD_REQUEST",
                            "error": "This password reset link is invalid or has expired."}


async def test_one_account_gets_at_most_one_email_per_cooldown(start_api, smtp_server) -> None:
    """Anyone can fill in the form with someone else's address; that must not flood their inbox."""
    smtp_url, inbox = smtp_server
    api = await start_api(smtp_url=smtp_url, account_email_cooldown_seconds=600)
    await api.register("loki@example.com")
    await api.register("thor@example.com")

    answers = await asyncio.gather(*(
        api.client.post("/auth/forgot-password", json={"email": "loki@example.com"}) for _ in range(5)
    ))
    await api.services.errands_done()  # the answer does not wait for the email
    assert [a.status_code for a in answers] == [202] * 5  # the same answer: nothing tells that mail was held back
    assert inbox.envelope_recipients == [["loki@example.com"]]

    await api.client.post("/auth/forgot-password", json={"email": "thor@example.com"})  # another account: its own
    await api.services.errands_done()  # the answer does not wait for the email
    assert inbox.envelope_recipients == [["loki@example.com"], ["thor@example.com"]]

    async with api.services.sessionmaker() as session:  # the cooldown passes
        await session.execute(update(User).values(reset_email_sent_at=None))
        await session.commit()
    await api.client.post("/auth/forgot-password", json={"email": "loki@example.com"})
    await api.services.errands_done()  # the answer does not wait for the email
    assert len(inbox.messages) == 3


async def test_an_unknown_email_gets_the_same_answer_and_no_mail(start_api, smtp_server) -> None:
    smtp_url, inbox = smtp_server
    api = await start_api(smtp_url=smtp_url)

    asked = await api.client.post("/auth/forgot-password", json={"email": "nobody@example.com"})
    await api.services.errands_done()  # the answer does not wait for the email

    assert asked.status_code == 202
    assert inbox.messages == []


async def test_links_point_at_the_api_origin_when_it_serves_the_spa(start_api, smtp_server) -> None:
    smtp_url, inbox = smtp_server
    api = await start_api(smtp_url=smtp_url, public_url="http://localhost:8000")
    await api.register("wasp@example.com")

    await api.client.post("/auth/forgot-password", json={"email": "wasp@example.com"})
    await api.services.errands_done()  # the answer does not wait for the email

    assert reset_link(inbox.messages[0]).startswith("http://localhost:8000/reset-password?token=")


async def test_a_forged_or_garbled_token_is_refused_in_the_error_shape(start_api, smtp_server) -> None:
    api = await start_api(smtp_url=smtp_server[0])
    for token in ("not-a-token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"):
        refused = await api.client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
        assert refused.status_code == 400
        assert refused.json()["error"] == "This password reset link is invalid or has expired."


async def test_a_too_short_new_password_is_refused_and_the_link_still_works(start_api, smtp_server) -> None:
    smtp_url, inbox = smtp_server
    api = await start_api(smtp_url=smtp_url)
    await api.register("vision@example.com")
    await api.client.post("/auth/forgot-password", json={"email": "vision@example.com"})
    await api.services.errands_done()  # the answer does not wait for the email
    token = token_of(reset_link(inbox.messages[0]))

    short = await api.client.post("/auth/reset-password", json={"token": token, "password": "short"})

    assert short.status_code == 400
    assert short.json()["error"] == "Password must be at least 8 characters."
    assert (await api.client.post("/auth/reset-password",
                                  json={"token": token, "password": NEW_PASSWORD})).status_code == 200


@pytest.mark.parametrize(("path", "body"), [
    ("/auth/forgot-password", {"email": "hawkeye@example.com"}),
    ("/auth/reset-password", {"token": "x", "password": NEW_PASSWORD}),
    ("/auth/request-verify-token", {"email": "hawkeye@example.com"}),
    ("/auth/verify", {"token": "x"}),
])
async def test_without_smtp_the_email_routes_say_they_are_not_available(api: Api, path: str, body: dict) -> None:
    """A route that answers 202 and sends nothing would leave a person waiting for an email that never comes."""
    await api.register("hawkeye@example.com")

    answer = await api.client.post(path, json=body)

    assert answer.status_code == 503
    assert answer.json()["code"] == "SERVICE_UNAVAILABLE"
    assert "does not send email" in answer.json()["error"]


async def test_an_unreachable_mail_server_is_logged_without_secrets(start_api, caplog) -> None:
    api = await start_api(smtp_url=f"smtp://mailer:mail-password@127.0.0.1:{free_port()}")  # nothing listens
    await api.register("quake@example.com")

    with caplog.at_level(logging.INFO):
        asked = await api.client.post("/auth/forgot-password", json={"email": "quake@example.com"})
        await api.services.errands_done()  # the answer does not wait for the email

    assert asked.status_code == 202
    assert "not sent" in caplog.text
    assert "mail-password" not in caplog.text
    assert "reset-password?token" not in caplog.text


async def test_reset_hashing_runs_off_the_event_loop_thread(start_api, smtp_server, hashing_threads) -> None:
    smtp_url, inbox = smtp_server
    api = await start_api(smtp_url=smtp_url)
    await api.register("shuri@example.com")
    hashing_threads.clear()
    loop_thread = threading.get_ident()

    await api.client.post("/auth/forgot-password", json={"email": "shuri@example.com"})  # hashes the fingerprint
    await api.services.errands_done()  # the answer does not wait for the email
    token = token_of(reset_link(inbox.messages[0]))
    await api.client.post("/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})  # checks, hashes

    assert len(hashing_threads) >= 3
    assert loop_thread not in hashing_threads


async def test_a_verification_link_is_emailed_and_marks_the_address_verified(start_api, smtp_server) -> None:
    smtp_url, inbox = smtp_server
    api = await start_api(smtp_url=smtp_url)
    me = await api.register("groot@example.com")
    assert (await api.client.get("/users/me", headers=me)).json()["is_verified"] is False

    asked = await api.client.post("/auth/request-verify-token", json={"email": "groot@example.com"})
    await api.services.errands_done()  # the answer does not wait for the email

    assert asked.status_code == 202
    assert inbox.messages[0]["Subject"] == "Confirm your email for AIVenger"
    link = link_in(inbox.messages[0], "verify-email")
    verified = await api.client.post("/auth/verify", json={"token": token_of(link)})
    assert verified.status_code == 200, verified.text
    assert (await api.client.get("/users/me", headers=me)).json()["is_verified"] is True
    again = await api.client.post("/auth/verify", json={"token": token_of(link)})
    assert (again.status_code, again.json()["error"]) == (400, "This account is already verified.")


async def test_each_kind_of_email_has_its_own_cooldown(start_api, smtp_server) -> None:
    """Asking to confirm the address must not swallow the password link asked for a moment later."""
    smtp_url, inbox = smtp_server
    api = await start_api(smtp_url=smtp_url, account_email_cooldown_seconds=600)
    await api.register("rocket@example.com")

    for path in ("/auth/request-verify-token", "/auth/forgot-password") * 2:
        assert (await api.client.post(path, json={"email": "rocket@example.com"})).status_code == 202
        await api.services.errands_done()  # the answer does not wait for the email

    assert [m["Subject"] for m in inbox.messages] == ["Confirm your email for AIVenger", "Reset your AIVenger password"]


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:587"])
def test_an_smtp_url_that_cannot_work_is_refused_at_start(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL must look like"):
        Settings(_env_file=None, smtp_url=url)  # type: ignore[call-arg]


async def test_a_known_address_is_answered_without_waiting_for_the_mail_server(start_api) -> None:
    """The same answer for every address, as fast: sending happens after the answer."""
    connected = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accepts, never greets: the mail would wait SEND_TIMEOUT_SECONDS
        connected.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        api = await start_api(smtp_url=f"smtp://127.0.0.1:{port}")
        await api.register("silent@example.com")

        known = await asyncio.wait_for(api.client.post("/auth/forgot-password",
                                                       json={"email": "silent@example.com"}), 10)
        unknown = await api.client.post("/auth/forgot-password", json={"email": "nobody@example.com"})

        assert (known.status_code, known.content) == (unknown.status_code, unknown.content) == (202, b"null")
        await asyncio.wait_for(connected.wait(), 10)  # the email for the known address is on its way
    finally:
        for writer in held:
            writer.close()
        server.close()


async def test_free_credits_can_wait_for_a_confirmed_email(start_api, smtp_server) -> None:
    smtp_url, inbox = smtp_server
    api = await start_api(smtp_url=smtp_url, signup_credits_require_verified=True)
    me = await api.register("nova@example.com")
    assert await api.credits(me) == 0

    await api.client.post("/auth/request-verify-token", json={"email": "nova@example.com"})
    await api.services.errands_done()
    token = token_of(link_in(inbox.messages[0], "verify-email"))
    assert (await api.client.post("/auth/verify", json={"token": token})).status_code == 200

    assert await api.credits(me) == 30
    assert await ledger(api, await user_id(api, me)) == [("signup_grant", 30, None)]
    assert (await api.client.post("/auth/verify", json={"token": token})).status_code == 400
    assert await api.credits(me) == 30


def test_requiring_a_confirmed_email_needs_a_mail_server() -> None:
    with pytest.raises(ConfigurationError, match="SIGNUP_CREDITS_REQUIRE_VERIFIED"):
        Settings(_env_file=None, signup_credits_require_verified=True).check_startable()  # type: ignore[call-arg]
