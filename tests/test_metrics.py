"""GET /metrics: Prometheus text for a scraper holding METRICS_TOKEN, and a route that looks absent to anyone else;
and the operator alert (log line and metric) when OpenRouter says our account is out of credit (HTTP 402)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request
from starlette.responses import JSONResponse

from app import metrics
from app.providers.base import FailureKind, ProviderError, image_of
from app.providers.breaker import BreakerState
from app.providers.openrouter import OpenRouterProvider
from app.providers.openrouter.errors import OUT_OF_CREDIT, error_for_choice, error_for_status
from app.styles import STYLES
from tests.fake_openrouter import KEY, FakeOpenRouter, error, serving
from tests.support import PORTRAIT, Api, faint_png

TOKEN = "metrics-token-for-tests-0123456789abcdef"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}
ABSENT = {"success": False, "error": "Not found.", "code": "NOT_FOUND"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(api: Api) -> str:
    answer = await api.client.get("/metrics", headers=SCRAPER)
    assert answer.status_code == 200, answer.text
    return answer.text


async def test_without_a_token_set_metrics_answers_like_a_path_that_does_not_exist(start_api) -> None:
    api = await start_api()
    for method in ("GET", "POST", "DELETE", "HEAD"):
        answer = await api.client.request(method, "/metrics", headers=SCRAPER)
        assert answer.status_code == 404, method
        if method != "HEAD":
            assert answer.json() == ABSENT


async def test_a_missing_or_wrong_bearer_gets_404_and_the_right_one_prometheus_text(start_api) -> None:
    api = await start_api(metrics_token=TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer"}):
        answer = await api.client.get("/metrics", headers=headers)
        assert answer.status_code == 404, headers
        assert answer.json() == ABSENT
    assert (await api.client.post("/metrics", headers=SCRAPER)).status_code == 404

    answer = await api.client.get("/metrics", headers=SCRAPER)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["cache-control"] == "no-store"
    assert "# TYPE aivenger_http_requests_total counter" in answer.text
    assert "process_resident_memory_bytes" in answer.text


async def test_requests_generations_credits_and_breaker_are_counted_without_personal_data(start_api) -> None:
    api = await start_api(metrics_token=TOKEN)
    before = samples(await scrape(api))
    email = "metrics-hero@example.com"
    me = await api.register(email)
    wait = {"Prefer": "wait=30"}

    completed = await api.upload(me, PORTRAIT.read_bytes(), style="marvel", extra_headers=wait)
    assert completed.status_code == 201, completed.text
    failed = await api.upload(me, faint_png(), filename="faint.png", content_type="image/png", style="dc",
                              extra_headers=wait)
    assert failed.status_code == 502, failed.text
    accepted = await api.upload(me, style="superhero")
    assert accepted.status_code == 202, accepted.text
    await api.wait_done(me, accepted.json()["generation"]["id"])
    generation_id = completed.json()["generation"]["id"]
    assert (await api.client.get(f"/generations/{generation_id}", headers=me)).status_code == 200
    assert (await api.client.get("/no-such-thing/at-all")).status_code == 404

    text = await scrape(api)
    after = samples(text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("aivenger_http_requests_total", method="POST", route="/generations", status="201") == 1
    assert grew("aivenger_http_requests_total", method="POST", route="/auth/register", status="201") == 1
    assert grew("aivenger_http_requests_total", method="POST", route="/generations", status="502") == 1
    assert grew("aivenger_http_requests_total", method="POST", route="/generations", status="202") == 1
    assert grew("aivenger_http_requests_total", method="GET", route="/generations/{generation_id}",
                status="200") >= 2
    # Routes of included routers are labelled with their prefix.
    assert grew("aivenger_http_requests_total", method="POST", route="/auth/jwt/login", status="200") == 1
    assert grew("aivenger_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert grew("aivenger_http_request_duration_seconds_count", method="POST", route="/generations") == 3

    assert grew("aivenger_generations_total", outcome="completed", style="marvel") == 1
    assert grew("aivenger_generations_total", outcome="completed", style="superhero") == 1
    assert grew("aivenger_generations_total", outcome="failed", style="dc") == 1
    assert grew("aivenger_generation_duration_seconds_count", outcome="completed") == 2
    assert grew("aivenger_generation_duration_seconds_count", outcome="failed") == 1
    assert grew("aivenger_generation_duration_seconds_bucket", outcome="completed", le="+Inf") == 2
    assert 'aivenger_generation_duration_seconds_bucket{le="30.0",outcome="completed"}' in text
    assert grew("aivenger_credits_spent_total") == 30
    assert grew("aivenger_credits_refunded_total") == 0  # a model failure is not refunded by default
    assert value(after, "aivenger_provider_breaker_state", provider="local") == 0
    assert value(after, "aivenger_provider_out_of_credit", provider="local") == 0
    assert value(after, "aivenger_generation_queue_waiting") == 0
    assert ("aivenger_generation_queue_waiting", frozenset()) in after
    for style in STYLES:
        assert ("aivenger_generations_total", frozenset({("outcome", "failed"), ("style", style)})) in after

    user_id = (await api.client.get("/users/me", headers=me)).json()["id"]
    for secret in (email, "metrics-hero", user_id, me["Authorization"].removeprefix("Bearer "), TOKEN, generation_id,
                   "/no-such-thing"):
        assert secret not in text


async def test_the_route_template_is_the_label_never_the_raw_path(start_api) -> None:
    api = await start_api(metrics_token=TOKEN, max_upload_bytes=1024 * 1024)
    me = await api.register()
    before = samples(await scrape(api))
    for n in range(3):
        await api.client.get(f"/generations/gen_{n}_nothing-here", headers=me)
        await api.client.get(f"/media/users/{n}/secret.jpg")
    # Refused by a middleware before any route ran: still counted under the route it was meant for.
    too_large = await api.client.post("/generations", headers=me, content=b"x" * (2 * 1024 * 1024))
    assert too_large.status_code == 413
    text = await scrape(api)
    after = samples(text)
    assert "gen_1_nothing-here" not in text
    assert "secret.jpg" not in text
    assert 'route="/generations/{generation_id}"' in text
    assert 'route="/media/{key}"' in text
    labels = {"method": "POST", "route": "/generations", "status": "413"}
    assert value(after, "aivenger_http_requests_total", **labels) - value(before, "aivenger_http_requests_total",
                                                                          **labels) == 1


def test_a_402_inside_an_answer_is_out_of_credit_too() -> None:
    assert error_for_choice({"code": 402, "message": "Insufficient credits"}).out_of_credit
    assert str(error_for_choice({"code": 402})) == OUT_OF_CREDIT
    assert not error_for_status(401).out_of_credit
    assert "notified" not in str(error_for_status(401))


class OutOfCreditOpenRouter(FakeOpenRouter):
    """OpenRouter while our account has no credit left: every completion is refused with 402."""

    def __init__(self) -> None:
        self.broke = True
        super().__init__()

    async def completions(self, request: Request) -> JSONResponse:
        if self.broke and self.authorised(request):
            return error(402, "Insufficient credits. Add more using https://openrouter.ai/credits")
        return await super().completions(request)


@pytest.fixture(scope="module")
def broke() -> OutOfCreditOpenRouter:
    return OutOfCreditOpenRouter()


@pytest.fixture(scope="module")
def broke_url(broke: OutOfCreditOpenRouter) -> Iterator[str]:
    with serving(broke) as url:
        yield url


@pytest.fixture
def out_of_credit(broke: OutOfCreditOpenRouter) -> Iterator[OutOfCreditOpenRouter]:
    broke.broke = True
    yield broke
    broke.broke = True


def out_of_credit_failures() -> float:
    return metrics.REGISTRY.get_sample_value("aivenger_provider_out_of_credit_failures_total",
                                             {"provider": "openrouter"}) or 0.0


async def test_a_402_is_an_operator_alert_and_a_true_message_for_the_person(
    broke_url: str, out_of_credit: OutOfCreditOpenRouter, caplog: pytest.LogCaptureFixture
) -> None:
    provider = OpenRouterProvider(api_key=KEY, base_url=broke_url)
    counted = out_of_credit_failures()
    try:
        with caplog.at_level(logging.INFO):
            with pytest.raises(ProviderError) as caught:
                await provider.generate(image_of(PORTRAIT.read_bytes()), "image/jpeg", STYLES["superhero"],
                                        generation_id="gen-402")

        assert caught.value.kind is FailureKind.MISCONFIGURED
        assert str(caught.value) == OUT_OF_CREDIT
        assert "notified" not in str(caught.value)
        alerts = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(alerts) == 1
        alert = alerts[0].getMessage()
        assert alerts[0].name == "app.providers.openrouter"
        assert "out of credit" in alert
        assert "top it up" in alert
        assert "gen-402" in alert
        assert KEY not in caplog.text
        assert out_of_credit_failures() == counted + 1
        assert provider.out_of_credit
        assert provider.breaker_state is BreakerState.CLOSED  # one failure: under the threshold

        out_of_credit.broke = False  # credit added: the next call succeeds and the gauge clears
        await provider.generate(image_of(PORTRAIT.read_bytes()), "image/jpeg", STYLES["superhero"],
                                generation_id="gen-ok")
        assert not provider.out_of_credit
    finally:
        await provider.aclose()


async def test_a_402_fails_the_generation_truthfully_and_shows_in_metrics(
    start_api, broke_url: str, out_of_credit: OutOfCreditOpenRouter, caplog: pytest.LogCaptureFixture
) -> None:
    api = await start_api(ai_provider="openrouter", openrouter_api_key=KEY, openrouter_base_url=broke_url,
                          metrics_token=TOKEN, breaker_failure_threshold=1)
    me = await api.register()
    with caplog.at_level(logging.ERROR):
        failed = await api.upload(me, extra_headers={"Prefer": "wait=30"})

    assert failed.status_code == 502, failed.text
    # Our account's fault, not the person's: refunded, and the message says so.
    assert failed.json()["generation"]["errorMessage"].startswith(OUT_OF_CREDIT)
    assert "refunded" in failed.json()["generation"]["errorMessage"]
    assert await api.credits(me) == 30
    assert any("out of credit" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    found = samples(await scrape(api))
    assert value(found, "aivenger_provider_out_of_credit", provider="openrouter") == 1
    assert value(found, "aivenger_provider_out_of_credit_failures_total", provider="openrouter") >= 1
    assert value(found, "aivenger_provider_breaker_state", provider="openrouter") == 1  # open after one failure
    refused = await api.upload(me)
    assert refused.status_code == 503  # while the breaker is open, new work is turned away uncharged
