"""GET /config: clients learn the server's prices and limits instead of keeping copies of them."""

from __future__ import annotations


async def test_the_prices_and_limits_are_the_settings(start_api) -> None:
    api = await start_api(generation_cost=7, signup_credits=42, max_upload_bytes=3 * 1024 * 1024,
                          model_image_max_side=1536, rate_limit_per_minute=9, thumbnail_size=200)

    config = await api.client.get("/config")

    assert config.status_code == 200
    body = config.json()
    assert {key: body[key] for key in ("generationCost", "signupCredits", "maxUploadBytes", "maxImageSide",
                                       "generationsPerMinute", "thumbnailSize")} == {
        "generationCost": 7, "signupCredits": 42, "maxUploadBytes": 3 * 1024 * 1024, "maxImageSide": 1536,
        "generationsPerMinute": 9, "thumbnailSize": 200,
    }
    assert {"image/jpeg", "image/png", "image/webp", "image/heic"} <= set(body["acceptedTypes"])
    assert "image/gif" not in body["acceptedTypes"]
    assert body["minImageSide"] == 256
    assert body["sendsEmail"] is False


async def test_clients_learn_whether_the_server_sends_email(start_api) -> None:
    api = await start_api(smtp_url="smtp://mailer:secret@127.0.0.1:2525")
    body = (await api.client.get("/config")).json()
    assert body["sendsEmail"] is True
    assert "secret" not in str(body)
