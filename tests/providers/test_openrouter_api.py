"""The API with the OpenRouter provider: failures become failed generations, and a tripped breaker refuses new
work at once with nothing charged (OpenRouter answered by respx in the documented format)."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

import respx
from PIL import Image
from sqlalchemy import func, select, update

from app.models import Generation, ProviderOutage, utcnow
from app.providers.breaker import CircuitBreaker
from app.providers.openrouter import OpenRouterProvider
from tests.support import Api, ManualClock

BASE = "https://openrouter.test/api/v1"
KEY = "sk-or-v1-api-test-key-0123456789"


def completion_with_image() -> dict:
    buf = io.BytesIO()
    Image.new("RGB", (64, 80), "crimson").save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {
        "id": "gen-1766430357-abc", "model": "google/gemini-2.5-flash-image",
        "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "",
                                                           "images": [{"image_url": {"url": url}}]}}],
        "usage": {"prompt_tokens": 1290, "completion_tokens": 1290, "cost": 0.0387},
    }


RESET_SECONDS = 60.0


async def openrouter_api(start_api) -> Api:
    return await start_api(ai_provider="openrouter", openrouter_api_key=KEY, openrouter_base_url=BASE,
                           breaker_failure_threshold=2, breaker_reset_seconds=RESET_SECONDS, signup_credits=40)


async def with_breaker_clock(api: Api, clock: ManualClock) -> None:
    """Give the app an OpenRouter provider whose breaker reads `clock` (same settings otherwise)."""
    started = api.services.provider
    api.services.provider = OpenRouterProvider(
        api_key=KEY, base_url=BASE, breaker=CircuitBreaker(2, RESET_SECONDS, clock=clock)
    )
    await started.aclose()


async def let_the_outage_run_out(api: Api, clock: ManualClock | None = None) -> None:
    """What passing the reset time does: the breaker may probe, and the shared outage record has expired."""
    if clock is not None:
        clock.now += RESET_SECONDS + 1
    async with api.services.sessionmaker() as session:
        await session.execute(update(ProviderOutage).values(until=utcnow() - timedelta(seconds=1)))
        await session.commit()


async def test_breaker_refuses_new_work_with_503_and_charges_nothing_until_a_probe_succeeds(start_api) -> None:
    api = await openrouter_api(start_api)
    clock = ManualClock(1000.0)
    await with_breaker_clock(api, clock)
    me = await api.register()
    wait = {"Prefer": "wait=30"}
    with respx.mock(assert_all_called=False) as openrouter:
        completions = openrouter.post(f"{BASE}/chat/completions")
        completions.respond(401, json={"error": {"code": 401, "message": "User not found."}})

        for _ in range(2):
            failed = await api.upload(me, extra_headers=wait)
            assert failed.status_code == 502
            assert "misconfigured" in failed.json()["generation"]["errorMessage"]
        refused = await api.upload(me, extra_headers=wait)

        assert refused.status_code == 503
        assert refused.json()["code"] == "SERVICE_UNAVAILABLE"
        assert completions.call_count == 2
        assert await api.credits(me) == 40  # our key refused: our fault, refunded; the refusal charged nothing
        assert (await api.client.get("/generations", headers=me)).json()["count"] == 2

        assert (await api.upload(me, extra_headers=wait)).status_code == 503  # still open: time has not moved
        await let_the_outage_run_out(api, clock)  # past the reset time: the next call is a probe
        completions.respond(200, json=completion_with_image())
        probe = await api.upload(me, extra_headers=wait)

        assert probe.status_code == 201, probe.text
        assert api.services.provider.is_available()
        assert await api.credits(me) == 30


async def test_a_completed_generation_records_model_cost_and_serves_our_copy(start_api) -> None:
    api = await openrouter_api(start_api)
    me = await api.register()
    with respx.mock(assert_all_called=False) as openrouter:
        completions = openrouter.post(f"{BASE}/chat/completions").respond(200, json=completion_with_image())
        done = (await api.upload(me, extra_headers={"Prefer": "wait=30"})).json()["generation"]

    assert done["status"] == "completed"
    assert done["model"] == "standard"
    async with api.services.sessionmaker() as session:  # what the provider says it ran, for the operators
        assert (await session.get(Generation, done["id"])).model == "google/gemini-2.5-flash-image"
    sent = json.loads(completions.calls.last.request.content)
    assert sent["modalities"] == ["image", "text"]
    assert sent["messages"][0]["content"][1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    result = await api.client.get(done["generatedImageUrl"])
    assert Image.open(io.BytesIO(result.content)).size == (64, 80)
    assert done["generatedImageUrl"].startswith("/media/")


async def test_health_reports_whether_the_key_is_accepted(start_api) -> None:
    api = await openrouter_api(start_api)
    with respx.mock(assert_all_called=False) as openrouter:
        openrouter.get(f"{BASE}/key").respond(401, json={"error": {"code": 401, "message": "User not found."}})
        health = (await api.client.get("/health")).json()
    assert health["provider"]["key"] == "rejected"
    assert KEY not in json.dumps(health)


async def test_an_outage_seen_by_one_process_stops_uploads_in_every_process(start_api) -> None:
    """With separate workers the API never calls the model itself: it learns of the outage through the database."""
    worker_side = await openrouter_api(start_api)  # the process whose calls fail
    api_side = await openrouter_api(start_api)  # another process: its own breaker never sees a failure
    me = await api_side.register()
    wait = {"Prefer": "wait=30"}
    with respx.mock(assert_all_called=False) as openrouter:
        completions = openrouter.post(f"{BASE}/chat/completions")
        completions.respond(503, json={"error": {"code": 503, "message": "No provider available"}},
                            headers={"Retry-After": "0"})
        for _ in range(2):
            assert (await worker_side.upload(me, extra_headers=wait)).status_code == 502
        assert not worker_side.services.provider.is_available()
        assert api_side.services.provider.is_available()

        refused = await api_side.upload(me, extra_headers=wait)

        assert (refused.status_code, refused.json()["code"]) == (503, "SERVICE_UNAVAILABLE")
        assert await api_side.credits(me) == 20

        await let_the_outage_run_out(api_side)  # new work is accepted again, and its call is the probe
        completions.respond(200, json=completion_with_image())
        probe = await api_side.upload(me, extra_headers=wait)
        assert probe.status_code == 201, probe.text

    async with api_side.services.sessionmaker() as session:  # the completed probe ended the outage
        assert await session.scalar(select(func.count()).select_from(ProviderOutage)) == 0
