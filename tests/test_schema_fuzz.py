"""The OpenAPI schema tells the truth, and no input is a server error: schemathesis over every operation.

Each operation gets the schema's examples, its coverage cases (missing and malformed values, methods it does not
allow) and fuzzed requests, valid and invalid, half of them with a NUL character or an unpaired surrogate in one text
value, all sent by a logged-in user who owns a finished generation. Every answer must be documented: its status,
content type, headers and body. Runs once per database: only PostgreSQL refuses a NUL character in text, so only there
does a value that reaches the database unchecked become an error.

The operations that end the caller's login or account (the logouts, DELETE /users/me) are fuzzed on their own, with
an account that is replaced whenever a request has ended it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import requests
import schemathesis
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis import checks
from sqlalchemy import text

from app.config import Settings
from app.db import create_engine
from app.main import create_app
from tests.conftest import TABLES
from tests.support import Api, free_port

T = TypeVar("T")
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_headers_conformance, checks.response_schema_conformance, checks.negative_data_rejection,
          checks.missing_required_header, checks.unsupported_method, checks.allow_header_conformance]
# Bounded so that a run takes seconds per database on a small machine, and derandomized so that every run sends the
# same requests: a failure seen once is seen again.
FUZZ_SETTINGS = settings(
    max_examples=50, deadline=None, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
)
# These end the caller's login or account, which every later request relies on: tested on their own, below.
ENDS_THE_SESSION = {("POST", "/auth/jwt/logout"), ("POST", "/auth/cookie/logout"), ("DELETE", "/users/me")}


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **{  # type: ignore[call-arg]
        "app_env": "test", "auth_secret": "test-secret-" + "x" * 40, "storage_backend": "local",
        "ai_provider": "local", "recovery_interval_seconds": 3600, "signup_limit_per_ip_per_hour": 100_000,
        "login_limit_per_ip_per_hour": 100_000, "rate_limit_per_minute": 100_000, **values,
    })


# The schema is the app's own; the app under test is checked to serve the same one.
schema = schemathesis.openapi.from_dict(
    create_app(_settings(database_url="sqlite+aiosqlite:///:memory:", storage_dir=Path("unused"))).openapi()
)


class _Accepting:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp_url() -> Iterator[str]:
    """A mail server that takes every message: the email routes then answer as they do in production."""
    controller = Controller(_Accepting(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


@dataclass
class Target:
    """The app under test, run on the tests' event loop, and a user with one finished generation."""

    api: Api
    loop: asyncio.AbstractEventLoop
    headers: dict[str, str]
    generation_id: str
    # The login of an account that a test may end.
    disposable: dict[str, str] | None = None

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        # A plain test runs between the loop's turns: pytest-asyncio runs the loop only for async fixtures and tests.
        return self.loop.run_until_complete(work)

    def send(self, case: schemathesis.Case, headers: dict[str, str] | None = None) -> httpx.Response:
        """Send `case` exactly as schemathesis encodes it, to the app in-process."""
        kwargs = case.as_transport_kwargs(base_url=str(self.api.client.base_url),
                                          headers=self.headers if headers is None else headers)
        prepared = requests.Request(**kwargs).prepare()
        return self.run(self.api.client.request(prepared.method or "GET", prepared.url or "",
                                                headers=dict(prepared.headers), content=prepared.body))


@pytest.fixture(scope="module")
async def target(database_url: str, smtp_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Target]:
    """One app per database for every operation (an app per operation would cost more than the fuzzing)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    app = create_app(_settings(database_url=database_url, storage_dir=tmp / "media", frontend_dist=tmp / "no-spa",
                               smtp_url=smtp_url))
    assert app.openapi() == schema.raw_schema
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000")
    try:
        api = Api(app, client)
        headers = await api.register()
        created = await api.upload(headers)
        assert created.status_code == 202, created.text
        generation_id = created.json()["generation"]["id"]
        await api.wait_done(headers, generation_id)
        yield Target(api, asyncio.get_running_loop(), headers, generation_id)
    finally:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)
        engine = create_engine(database_url)
        async with engine.begin() as conn:
            for table in TABLES:
                await conn.execute(text(f"DELETE FROM {table}"))
        await engine.dispose()


def _text_values(case: schemathesis.Case) -> list[tuple[str, str]]:
    return [(location, name) for location in ("path_parameters", "query", "headers", "body")
            if isinstance(values := getattr(case, location), dict)
            for name, value in values.items() if isinstance(value, str)]


def _spoil(case: schemathesis.Case, location: str, name: str, surrogate: bool) -> schemathesis.Case:
    values = dict(getattr(case, location))
    value = values[name]
    if location == "path_parameters":  # already percent-encoded
        bad = "%00"
    elif surrogate and location == "body" and case.media_type == "application/json":  # only JSON can carry one
        bad = "\ud800"
    else:
        bad = "\x00"
    values[name] = value[: len(value) // 2] + bad + value[len(value) // 2:]
    setattr(case, location, values)
    if bad == "\ud800":
        # Schemathesis re-checks a changed case against the schema (a NUL makes it a negative case), and its validator
        # cannot read a surrogate: the case keeps its mode.
        case.freeze_metadata()
    return case


# Hypothesis seldom puts a NUL character in a string, and never an unpaired surrogate (a JSON `\ud800` escape): half the
# generated requests get one in one of their text values, where PostgreSQL and the password hasher would choke on it.
@schema.hook
def flatmap_case(context: Any, case: schemathesis.Case) -> st.SearchStrategy[schemathesis.Case]:
    slots = _text_values(case)
    if not slots:
        return st.just(case)
    spoiled = st.tuples(st.sampled_from(slots), st.booleans()).map(
        lambda drawn: _spoil(case, *drawn[0], surrogate=drawn[1]))
    return st.one_of(st.just(case), spoiled)


def _ends_the_session(ctx: Any) -> bool:
    return (ctx.operation.method.upper(), ctx.operation.path) in ENDS_THE_SESSION


@FUZZ_SETTINGS
@schema.exclude(func=_ends_the_session).parametrize()
def test_every_operation_answers_as_documented(case: schemathesis.Case, target: Target) -> None:
    case.validate_response(target.send(case), checks=CHECKS)


# They take no input, so a few fuzzed requests say all; the coverage cases (other methods, no login) come on top.
@settings(FUZZ_SETTINGS, max_examples=5)
@schema.include(func=_ends_the_session).parametrize()
def test_ending_a_session_answers_as_documented(case: schemathesis.Case, target: Target) -> None:
    # An account of its own, replaced once a request has ended its login or itself (a password hash is slow).
    if target.disposable is None:
        target.disposable = target.run(target.api.register())
    response = target.send(case, target.disposable)
    if response.is_success:
        target.disposable = None
    case.validate_response(response, checks=CHECKS)


def test_a_real_generation_is_read_and_deleted_as_documented(target: Target) -> None:
    """Fuzzed ids find no generation; this one exists (and goes last, when the fuzzing no longer needs it)."""
    operations = schema["/generations/{generation_id}"]
    answers = []
    for method in ("GET", "DELETE", "GET"):
        case = operations[method].Case(path_parameters={"generation_id": target.generation_id})
        response = target.send(case)
        case.validate_response(response, checks=CHECKS)
        answers.append(response.status_code)
    assert answers == [200, 200, 404]
